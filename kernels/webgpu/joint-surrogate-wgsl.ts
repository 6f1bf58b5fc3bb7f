/**
 * WGSL of the joint surrogate for one UE of one realisation (the per-thread twin of
 * kernels/joint-surrogate.ts; read engine/ao/joint-surrogate.ts for the formulas): the objective part
 * T^_m and the eight slots with gradients, diagonal curvatures and the two mixed curvatures
 * ((alpha, r) in the energy, (alpha, u) in the latency and the objective), in the block order
 * b, p, tau, r, u, alpha; and the joint spec for the fused block solver (./block-ipm-wgsl.ts,
 * whose shader defines `coef`, the variable constants and `uniforms`).
 */
import type { FusedBlockSpec } from './block-spec-wgsl.js';
import { SLACK_SLOTS } from '../../engine/ao/solver-constants.js';
import { RATE_SURROGATE_WGSL } from './rate-surrogate-wgsl.js';

const JOINT_SLOTS_WGSL = /* wgsl */ `
${RATE_SURROGATE_WGSL}
// The objective part T^_m and the eight slots of UE m at x; derivatives when deriv.
// Mixed pairs: 0 = (alpha, r), 1 = (alpha, u).
fn slots(m : i32, x : array<f32, NV>, deriv : bool) -> Slots {
  var s = Slots();
  let cached = coef(K_CACHED, m);
  let uncached = coef(K_UNCACHED, m);
  let kt = coef(K_KT, m);
  let ce = coef(K_CE, m);
  let tx = coef(K_TX, m);
  let kE = coef(K_K_E, m);
  let sw = coef(K_SW, m);
  let sp = coef(K_SP, m);
  let st = coef(K_ST, m);
  let b = x[B];
  let p = x[P];
  let tau = x[TAU];
  let r = x[R];
  let u = x[U];
  let alpha = x[ALPHA];
  let w = 1.0 - alpha;
  setRateSlots(&s, m, b, p, tau, deriv);
  let edgeNum = cached + uncached * w * w;
  let edge = ce * edgeNum / u;
  let latency = kt * r + tx * tau + edge;
  let a2r2 = (alpha / r) * (alpha / r);
  let xw = w * sw;
  let yp = p * sp;
  let zt = tau * st;
  let energy = kE * alpha * a2r2 + tx / 3.0 * (xw * xw * xw + yp * yp * yp + zt * zt * zt);
  s.obj = latency;
  s.act = array<f32, 8>(1.0, uncached, 1.0, uncached, 1.0, uncached, 1.0, uncached);
  s.val[2] = latency / uniforms.tMax - 1.0;
  s.val[3] = energy / uniforms.eMax - 1.0;
  s.val[4] = p / uniforms.pMax - 1.0;
  s.val[5] = alpha - uniforms.fUeMax * r;
  s.val[6] = u / uniforms.fEsMax - (cached + uncached * w);
  s.val[7] = -alpha;
  if (!deriv) {
    return s;
  }
  // Latency (and the objective).
  s.og[R] = kt;
  s.og[TAU] = tx;
  s.og[U] = -edge / u;
  s.og[ALPHA] = -2.0 * uncached * ce * w / u;
  s.oh[U] = 2.0 * edge / (u * u);
  s.oh[ALPHA] = 2.0 * uncached * ce / u;
  s.ocx[1] = 2.0 * uncached * ce * w / (u * u);
  for (var i = 0; i < 6; i++) {
    s.g[2][i] = s.og[i] / uniforms.tMax;
    s.h[2][i] = s.oh[i] / uniforms.tMax;
  }
  s.cx[2][1] = s.ocx[1] / uniforms.tMax;
  // Energy.
  let kEa2r2 = kE * a2r2;
  let eMax = uniforms.eMax;
  s.g[3][ALPHA] = (3.0 * kEa2r2 - tx * xw * xw * sw) / eMax;
  s.g[3][R] = -2.0 * kEa2r2 * alpha / r / eMax;
  s.g[3][P] = tx * yp * yp * sp / eMax;
  s.g[3][TAU] = tx * zt * zt * st / eMax;
  s.h[3][ALPHA] = (6.0 * kEa2r2 / alpha + 2.0 * tx * xw * sw * sw) / eMax;
  s.h[3][R] = 6.0 * kEa2r2 * alpha / (r * r) / eMax;
  s.h[3][P] = 2.0 * tx * yp * sp * sp / eMax;
  s.h[3][TAU] = 2.0 * tx * zt * st * st / eMax;
  s.cx[3][0] = -6.0 * kEa2r2 / r / eMax;
  // Boxes.
  s.g[4][P] = 1.0 / uniforms.pMax;
  s.g[5][ALPHA] = uncached;
  s.g[5][R] = -uniforms.fUeMax * uncached;
  s.g[6][U] = 1.0 / uniforms.fEsMax;
  s.g[6][ALPHA] = uncached;
  s.g[7][ALPHA] = -uncached;
  return s;
}

`;

/** The joint surrogate for the fused block solver: coefficient rows are fields of JointCoefficients. */
export const JOINT_FUSED: FusedBlockSpec = {
  name: 'Joint',
  vars: ['b', 'p', 'tau', 'r', 'u', 'alpha'],
  nc: 8,
  slackSlots: SLACK_SLOTS,
  coefficients: ['cached', 'uncached', 'kt', 'ce', 'tx', 'kE', 'sw', 'sp', 'st', 'rsConst', 'rsLinB', 'ap', 'lb2'],
  slotsWgsl: JOINT_SLOTS_WGSL,
  crossPairs: [['alpha', 'r'], ['alpha', 'u']],
  coupling: [{ v: 'b', weight: null, rhs: 1 }, { v: 'u', weight: null, rhs: 'fEsMax' }],
  // r, tau and alpha are fixed on cached UEs (slot 1, tau, is active on uncached UEs only).
  fixed: [{ v: 'r', whereSlotInactive: 1 }, { v: 'tau', whereSlotInactive: 1 }, { v: 'alpha', whereSlotInactive: 1 }],
  outVars: ['b', 'p', 'tau', 'r', 'u', 'alpha'],
};
