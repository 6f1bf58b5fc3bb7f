/**
 * WGSL of SP3's surrogate for one UE of one realisation (the per-thread twin of
 * kernels/sp3-slots.ts): the objective part T^_m and the seven slots with their gradients and
 * diagonal curvatures, in the block order b, p, tau, fue, fes; and SP3's spec for the fused block
 * solver (./block-barrier-wgsl.ts, whose shader defines `coef`, `B`, `P`, `TAU`, `FUE`, `FES` and
 * `uniforms`).
 */
import type { FusedBlockSpec } from './block-barrier-wgsl.js';
import { RATE_BOUND_WGSL } from './rate-bound-wgsl.js';

const SP3_SLOTS_WGSL = /* wgsl */ `
${RATE_BOUND_WGSL}
struct Slots {
  val : array<f32, 7>,
  act : array<f32, 7>,
  g : array<array<f32, 5>, 7>,
  h : array<array<f32, 5>, 7>,
  obj : f32,
  og : array<f32, 5>,
  oh : array<f32, 5>,
}

// The objective part T^_m and the seven slots of UE m at x; derivatives when deriv.
fn slots(m : i32, x : array<f32, 5>, deriv : bool) -> Slots {
  var s = Slots();
  let u = coef(0, m);
  let freeFue = coef(1, m);
  let freeFes = coef(2, m);
  let localWork = coef(3, m);
  let edgeWork = coef(4, m);
  let txBits = coef(5, m);
  let localEnergy = coef(6, m);
  let energyP = coef(7, m);
  let energyTau = coef(8, m);
  let rsConst = coef(9, m);
  let rsLinB = coef(10, m);
  let ap = coef(11, m);
  let lb2 = coef(12, m);
  let rMin = uniforms.rMin;
  let b = x[B];
  let p = x[P];
  let tau = x[TAU];
  let fue = x[FUE];
  let fes = x[FES];
  let q = rateBound(b, p, rsConst, rsLinB, ap, lb2);
  let rs = q.rs;
  let localT = localWork / fue;
  let edgeT = edgeWork / fes;
  let latency = txBits * tau + localT + edgeT;
  let energy = 0.5 * (localEnergy * fue * fue + energyP * p * p + energyTau * tau * tau);
  s.obj = latency;
  s.act = array<f32, 7>(1.0, u, 1.0, u, 1.0, freeFue, freeFes);
  s.val[0] = (rMin - rs) / rMin;
  s.val[1] = (1.0 / tau - rs) / rMin;
  s.val[2] = latency / uniforms.tMax - 1.0;
  s.val[3] = energy / uniforms.eMax - 1.0;
  s.val[4] = p / uniforms.pMax - 1.0;
  s.val[5] = fue / uniforms.fUeMax - 1.0;
  s.val[6] = fes / uniforms.fEsMax - 1.0;
  if (!deriv) {
    return s;
  }
  let gRb = q.gb;
  let gRp = q.gp;
  let hRb = q.hb;
  let hRp = q.hp;
  s.og[FUE] = -localT / fue;
  s.og[FES] = -edgeT / fes;
  s.og[TAU] = txBits;
  s.oh[FUE] = 2.0 * localT / (fue * fue);
  s.oh[FES] = 2.0 * edgeT / (fes * fes);
  s.g[0][B] = gRb;
  s.g[0][P] = gRp;
  s.h[0][B] = hRb;
  s.h[0][P] = hRp;
  s.g[1][B] = gRb;
  s.g[1][P] = gRp;
  s.g[1][TAU] = -1.0 / (rMin * tau * tau);
  s.h[1][B] = hRb;
  s.h[1][P] = hRp;
  s.h[1][TAU] = 2.0 / (rMin * tau * tau * tau);
  s.g[2][FUE] = s.og[FUE] / uniforms.tMax;
  s.g[2][FES] = s.og[FES] / uniforms.tMax;
  s.g[2][TAU] = txBits / uniforms.tMax;
  s.h[2][FUE] = s.oh[FUE] / uniforms.tMax;
  s.h[2][FES] = s.oh[FES] / uniforms.tMax;
  s.g[3][FUE] = localEnergy * fue / uniforms.eMax;
  s.g[3][P] = energyP * p / uniforms.eMax;
  s.g[3][TAU] = energyTau * tau / uniforms.eMax;
  s.h[3][FUE] = localEnergy / uniforms.eMax;
  s.h[3][P] = energyP / uniforms.eMax;
  s.h[3][TAU] = energyTau / uniforms.eMax;
  s.g[4][P] = 1.0 / uniforms.pMax;
  s.g[5][FUE] = 1.0 / uniforms.fUeMax;
  s.g[6][FES] = 1.0 / uniforms.fEsMax;
  return s;
}

// The slot value as the barrier sees it: minus the slack on slots 0-3 in phase one.
fn shifted(s : Slots, k : i32, phaseOne : bool, sig : f32) -> f32 {
  return select(s.val[k], s.val[k] - sig, phaseOne && k < 4);
}

`;

/** SP3 for the fused block solver: coefficient rows are fields of Sp3Coefficients. */
export const SP3_FUSED: FusedBlockSpec = {
  name: 'Sp3',
  vars: ['b', 'p', 'tau', 'fue', 'fes'],
  nc: 7,
  coefficients: [
    'uncached', 'freeFue', 'freeFes', 'localWork', 'edgeWork', 'txBits', 'localEnergy', 'energyP', 'energyTau',
    'rsConst', 'rsLinB', 'ap', 'lb2', 'esWeight',
  ],
  slotsWgsl: SP3_SLOTS_WGSL,
  crossPairs: [],
  coupling: [{ v: 'b', weight: '1.0', rhs: '1.0' }, { v: 'fes', weight: 'coef(13, m)', rhs: 'uniforms.fEsMax' }],
  fixedIdentity: `
      H[TAU][TAU] += 1.0 - S.act[1];
      H[FUE][FUE] += 1.0 - S.act[5];
      H[FES][FES] += 1.0 - S.act[6];`,
  fixedMask: `
      dx[m][TAU] *= S.act[1];
      dx[m][FUE] *= S.act[5];
      dx[m][FES] *= S.act[6];`,
  outVars: ['b', 'p', 'fue', 'fes'],
};
