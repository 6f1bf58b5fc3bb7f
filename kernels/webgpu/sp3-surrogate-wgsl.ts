/**
 * WGSL of SP3's surrogate for one UE of one realisation (the per-thread twin of
 * kernels/sp3-surrogate.ts): the objective part T^_m and the seven slots with their gradients and
 * diagonal curvatures, in the block order b, p, tau, fue, fes; and SP3's spec for the fused block
 * solver (./block-ipm-wgsl.ts, whose shader defines `coef`, `B`, `P`, `TAU`, `FUE`, `FES` and
 * `uniforms`).
 */
import type { FusedBlockSpec } from './block-spec-wgsl.js';
import { SLACK_SLOTS } from '../../engine/ao/solver-constants.js';
import { RATE_SURROGATE_WGSL } from './rate-surrogate-wgsl.js';

const SP3_SLOTS_WGSL = /* wgsl */ `
${RATE_SURROGATE_WGSL}
// The objective part T^_m and the seven slots of UE m at x; derivatives when deriv.
fn slots(m : i32, x : array<f32, NV>, deriv : bool) -> Slots {
  var s = Slots();
  let uncached = coef(K_UNCACHED, m);
  let freeFue = coef(K_FREE_FUE, m);
  let freeFes = coef(K_FREE_FES, m);
  let localWork = coef(K_LOCAL_WORK, m);
  let edgeWork = coef(K_EDGE_WORK, m);
  let txBits = coef(K_TX_BITS, m);
  let localEnergy = coef(K_LOCAL_ENERGY, m);
  let energyP = coef(K_ENERGY_P, m);
  let energyTau = coef(K_ENERGY_TAU, m);
  let b = x[B];
  let p = x[P];
  let tau = x[TAU];
  let fue = x[FUE];
  let fes = x[FES];
  setRateSlots(&s, m, b, p, tau, deriv);
  let localT = localWork / fue;
  let edgeT = edgeWork / fes;
  let latency = txBits * tau + localT + edgeT;
  let energy = 0.5 * (localEnergy * fue * fue + energyP * p * p + energyTau * tau * tau);
  s.obj = latency;
  s.act = array<f32, 7>(1.0, uncached, 1.0, uncached, 1.0, freeFue, freeFes);
  s.val[2] = latency / uniforms.tMax - 1.0;
  s.val[3] = energy / uniforms.eMax - 1.0;
  s.val[4] = p / uniforms.pMax - 1.0;
  s.val[5] = fue / uniforms.fUeMax - 1.0;
  s.val[6] = fes / uniforms.fEsMax - 1.0;
  if (!deriv) {
    return s;
  }
  s.og[FUE] = -localT / fue;
  s.og[FES] = -edgeT / fes;
  s.og[TAU] = txBits;
  s.oh[FUE] = 2.0 * localT / (fue * fue);
  s.oh[FES] = 2.0 * edgeT / (fes * fes);
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


`;

/** SP3 for the fused block solver: coefficient rows are fields of Sp3Coefficients. */
export const SP3_FUSED: FusedBlockSpec = {
  name: 'Sp3',
  vars: ['b', 'p', 'tau', 'fue', 'fes'],
  nc: 7,
  slackSlots: SLACK_SLOTS,
  coefficients: [
    'uncached', 'freeFue', 'freeFes', 'localWork', 'edgeWork', 'txBits', 'localEnergy', 'energyP', 'energyTau',
    'rsConst', 'rsLinB', 'ap', 'lb2', 'esWeight',
  ],
  slotsWgsl: SP3_SLOTS_WGSL,
  crossPairs: [],
  coupling: [{ v: 'b', weight: null, rhs: 1 }, { v: 'fes', weight: 'esWeight', rhs: 'fEsMax' }],
  // tau is fixed on cached UEs (slot 1, tau, inactive); fue and fes where their boxes are inactive.
  fixed: [{ v: 'tau', whereSlotInactive: 1 }, { v: 'fue', whereSlotInactive: 5 }, { v: 'fes', whereSlotInactive: 6 }],
  outVars: ['b', 'p', 'fue', 'fes'],
};
