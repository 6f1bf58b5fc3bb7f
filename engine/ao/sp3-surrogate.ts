/**
 * The convex surrogate of SP3 (SPEC section 3, step 3) for one realisation, as a block problem:
 * per UE m five variables x_m = (b, p, f_ue, f_es, tau) in model units, seven constraint slots
 * c_k(x_m) <= 0, and two linear coupling rows (sum b <= 1 and (6f)).
 *
 * Around the expansion point (b̄, p̄, tau_bar = 1/R~(b̄, p̄)), Rs(b, p) is the concave lower
 * bound of the rate of rate-surrogate.ts (eqs. 17 and 19).
 *
 * Slots, each normalised so that 1 unit is the size of its limit:
 *   0 rate-min   (Rmin - Rs) / Rmin                                    all UEs        (10)
 *   1 tau        (1/tau - Rs) / Rmin                                   uncached       (11b)
 *   2 latency    T^/Tmax - 1                                           all UEs        (15b)
 *   3 energy     E^/Emax - 1                                           uncached       (13)
 *   4 p box      p/Pmax - 1                                            all UEs
 *   5 f_ue box   f_ue/Fue_max - 1                                      when f_ue is free
 *   6 f_es box   f_es/Fes_max - 1                                      when f_es is free
 * with T^ = (1-s)[alpha C/f'_ue + D tau + (1-alpha) C/f'_es] + s C/f'_es and
 * E^ = (1-s)[alpha theta/2 C f'_ue^2 + (1-alpha) D/2 (tau_bar/p̄ p^2 + p̄/tau_bar tau^2)].
 * Every slot is separable in the variables, so its Hessian is diagonal.
 *
 * A variable with no effect keeps its value (it is "fixed"): f_ue of a cached UE or one with
 * alpha = 0, f_es of an uncached UE with alpha = 1, tau of a cached UE. Fixed variables have zero
 * gradient and curvature in every slot, so the solver leaves them unchanged.
 */
import type { Problem } from '../problem.js';
import type { Point } from '../model/point.js';
import { rateV1Mbps } from '../model/rate.js';
import { RateSurrogate, type RateAt } from './rate-surrogate.js';
import { SLACK_SLOTS } from './solver-constants.js';
import { aoVariant } from './variant.js';

/** Variables per UE and their offsets in x_m. */
export const NV = 5;
export const V_B = 0;
export const V_P = 1;
export const V_FUE = 2;
export const V_FES = 3;
export const V_TAU = 4;

/** Constraint slots per UE; slots 0 .. SLACK_SLOTS - 1 take the phase-one slack (block-interior.ts). */
export const NC = 7;

/** The SP3 surrogate around one expansion point, with alpha and s fixed. */
export class Sp3Surrogate {
  readonly M: number;
  readonly nv = NV;
  /** Every slot and the objective are separable: no mixed curvatures. */
  readonly crossPairs = [] as const;
  /** Slots 0-3 (rate-min, tau, latency, energy) take the phase-one slack. */
  readonly slackSlots = SLACK_SLOTS;
  /** [M * NV] 1 when the variable is optimised. */
  readonly free: Uint8Array;
  /** [M * NC] 1 when the slot is a constraint of this UE. */
  readonly active: Uint8Array;
  /** Coupling rows [2][M * NV] and right-hand sides: u_k . x <= rhs_k. */
  readonly coupling: [Float64Array, Float64Array];
  readonly couplingRhs: Float64Array;

  private readonly cached: Uint8Array;
  private readonly alpha: Float64Array;
  private readonly C: Float64Array;
  private readonly D: Float64Array;
  private readonly bBar: Float64Array;
  private readonly pBar: Float64Array;
  private readonly tauBar: Float64Array;
  /** Rs around (b̄, p̄). */
  readonly rate: RateSurrogate;
  private readonly at: RateAt = { rs: 0, dB: 0, dP: 0, d2B: 0, d2P: 0 };

  constructor(readonly problem: Problem, x: Point, tauBar: Float64Array) {
    const { params } = problem;
    const M = (this.M = x.alpha.length);
    this.free = new Uint8Array(M * NV);
    this.active = new Uint8Array(M * NC);
    this.coupling = [new Float64Array(M * NV), new Float64Array(M * NV)];
    this.couplingRhs = Float64Array.of(1, params.fEsMaxGHz);
    this.cached = x.cached.slice();
    this.alpha = x.alpha.slice();
    this.C = problem.cyclesMc;
    this.D = problem.bitsKbit;
    this.bBar = x.bandwidth.slice();
    this.pBar = x.powerW.slice();
    this.tauBar = tauBar.slice();
    this.rate = new RateSurrogate(problem, this.bBar, this.pBar);
    const radioFixed = aoVariant(params.method).fixedRadio;
    for (let m = 0; m < M; m++) {
      const s = this.cached[m];
      const al = this.alpha[m];
      const fueFree = !s && al > 0;
      const fesFree = s || al < 1;
      const f = m * NV;
      // A method with fixed radio (equal-radio: b = 1/M, p = Pmax) has no p box, no bandwidth coupling.
      const radioFree = !radioFixed;
      this.free[f + V_B] = radioFree ? 1 : 0;
      this.free[f + V_P] = radioFree ? 1 : 0;
      this.free[f + V_FUE] = fueFree ? 1 : 0;
      this.free[f + V_FES] = fesFree ? 1 : 0;
      this.free[f + V_TAU] = s ? 0 : 1;
      const c = m * NC;
      this.active[c + 0] = 1;
      this.active[c + 1] = s ? 0 : 1;
      this.active[c + 2] = 1;
      this.active[c + 3] = s ? 0 : 1;
      this.active[c + 4] = radioFree ? 1 : 0;
      this.active[c + 5] = fueFree ? 1 : 0;
      this.active[c + 6] = fesFree ? 1 : 0;
      this.coupling[0][f + V_B] = radioFree ? 1 : 0;
      this.coupling[1][f + V_FES] = fesFree ? (s ? 1 : 1 - al) : 0;
    }
  }

  /** Rs(b, p) [Mbit/s] of UE m. */
  surrogateRateMbps(m: number, b: number, p: number): number {
    return this.rate.value(m, b, p);
  }

  /**
   * The surrogate objective sum_m T^_m [ms] with its gradient and diagonal Hessian [M * NV].
   * Returns NaN outside the domain (a free variable <= 0).
   */
  objective(x: Float64Array, grad: Float64Array, hdiag: Float64Array): number {
    const { params } = this.problem;
    const ku = 1 - params.deltaUe;
    const ke = 1 - params.deltaEs;
    grad.fill(0);
    hdiag.fill(0);
    let total = 0;
    for (let m = 0; m < this.M; m++) {
      const f = m * NV;
      const C = this.C[m];
      const fes = x[f + V_FES];
      if (this.cached[m]) {
        if (!(fes > 0)) return Number.NaN;
        total += C / (ke * fes);
        grad[f + V_FES] = -C / (ke * fes * fes);
        hdiag[f + V_FES] = (2 * C) / (ke * fes * fes * fes);
        continue;
      }
      const al = this.alpha[m];
      const tau = x[f + V_TAU];
      if (!(tau > 0)) return Number.NaN;
      total += this.D[m] * tau;
      grad[f + V_TAU] = this.D[m];
      if (this.free[f + V_FUE]) {
        const fue = x[f + V_FUE];
        if (!(fue > 0)) return Number.NaN;
        total += (al * C) / (ku * fue);
        grad[f + V_FUE] = -(al * C) / (ku * fue * fue);
        hdiag[f + V_FUE] = (2 * al * C) / (ku * fue * fue * fue);
      }
      if (this.free[f + V_FES]) {
        if (!(fes > 0)) return Number.NaN;
        total += ((1 - al) * C) / (ke * fes);
        grad[f + V_FES] = -((1 - al) * C) / (ke * fes * fes);
        hdiag[f + V_FES] = (2 * (1 - al) * C) / (ke * fes * fes * fes);
      }
    }
    return total;
  }

  /**
   * Values [M * NC], gradients and diagonal Hessians [M * NC * NV] of every slot; inactive slots
   * get value -1 and zero derivatives. Returns false outside the domain (a free variable <= 0).
   */
  slots(x: Float64Array, val: Float64Array, grad: Float64Array, hdiag: Float64Array): boolean {
    const { params } = this.problem;
    const ku = 1 - params.deltaUe;
    const ke = 1 - params.deltaEs;
    const rMin = params.rMinMbps;
    const at = this.at;
    grad.fill(0);
    hdiag.fill(0);
    for (let m = 0; m < this.M; m++) {
      const f = m * NV;
      const c = m * NC;
      const b = x[f + V_B];
      const p = x[f + V_P];
      const fue = x[f + V_FUE];
      const fes = x[f + V_FES];
      const tau = x[f + V_TAU];
      if (!(b > 0 && p > 0)) return false;
      const cached = this.cached[m];
      const al = this.alpha[m];
      const C = this.C[m];
      const D = this.D[m];
      this.rate.at(m, b, p, at);
      const { rs, dB: dRsDb, dP: dRsDp, d2B: d2RsDb, d2P: d2RsDp } = at;
      for (let k = 0; k < NC; k++) val[c + k] = -1;

      // 0 rate-min: (Rmin - Rs)/Rmin
      let g = (c + 0) * NV;
      val[c + 0] = (rMin - rs) / rMin;
      grad[g + V_B] = -dRsDb / rMin;
      grad[g + V_P] = -dRsDp / rMin;
      hdiag[g + V_B] = -d2RsDb / rMin;
      hdiag[g + V_P] = -d2RsDp / rMin;

      // 4 p box
      g = (c + 4) * NV;
      val[c + 4] = p / params.pMaxW - 1;
      grad[g + V_P] = 1 / params.pMaxW;

      // 2 latency, 6 f_es box
      if (this.free[f + V_FES]) {
        if (!(fes > 0)) return false;
        g = (c + 6) * NV;
        val[c + 6] = fes / params.fEsMaxGHz - 1;
        grad[g + V_FES] = 1 / params.fEsMaxGHz;
      }
      g = (c + 2) * NV;
      const tMax = params.tMaxMs;
      if (cached) {
        val[c + 2] = C / (ke * fes) / tMax - 1;
        grad[g + V_FES] = -C / (ke * fes * fes) / tMax;
        hdiag[g + V_FES] = (2 * C) / (ke * fes * fes * fes) / tMax;
        continue;
      }
      if (!(tau > 0)) return false;
      let lat = D * tau;
      grad[g + V_TAU] = D / tMax;
      if (this.free[f + V_FUE]) {
        if (!(fue > 0)) return false;
        lat += (al * C) / (ku * fue);
        grad[g + V_FUE] = -(al * C) / (ku * fue * fue) / tMax;
        hdiag[g + V_FUE] = (2 * al * C) / (ku * fue * fue * fue) / tMax;
        const gb = (c + 5) * NV;
        val[c + 5] = fue / params.fUeMaxGHz - 1;
        grad[gb + V_FUE] = 1 / params.fUeMaxGHz;
      }
      if (this.free[f + V_FES]) {
        lat += ((1 - al) * C) / (ke * fes);
        grad[g + V_FES] = -((1 - al) * C) / (ke * fes * fes) / tMax;
        hdiag[g + V_FES] = (2 * (1 - al) * C) / (ke * fes * fes * fes) / tMax;
      }
      val[c + 2] = lat / tMax - 1;

      // 1 tau: (1/tau - Rs)/Rmin
      g = (c + 1) * NV;
      val[c + 1] = (1 / tau - rs) / rMin;
      grad[g + V_B] = -dRsDb / rMin;
      grad[g + V_P] = -dRsDp / rMin;
      grad[g + V_TAU] = -1 / (tau * tau) / rMin;
      hdiag[g + V_B] = -d2RsDb / rMin;
      hdiag[g + V_P] = -d2RsDp / rMin;
      hdiag[g + V_TAU] = 2 / (tau * tau * tau) / rMin;

      // 3 energy: E^/Emax - 1
      g = (c + 3) * NV;
      const eMax = params.eMaxMj;
      let energy = 0;
      if (this.free[f + V_FUE]) {
        const th = params.thetaModel * C * ku * ku;
        energy += 0.5 * al * th * fue * fue;
        grad[g + V_FUE] = (al * th * fue) / eMax;
        hdiag[g + V_FUE] = (al * th) / eMax;
      }
      if (al < 1) {
        const cp = ((1 - al) * D * this.tauBar[m]) / this.pBar[m]; // (1-alpha) D tau_bar/p̄
        const ct = ((1 - al) * D * this.pBar[m]) / this.tauBar[m]; // (1-alpha) D p̄/tau_bar
        energy += 0.5 * (cp * p * p + ct * tau * tau);
        grad[g + V_P] = (cp * p) / eMax;
        grad[g + V_TAU] = (ct * tau) / eMax;
        hdiag[g + V_P] = cp / eMax;
        hdiag[g + V_TAU] = ct / eMax;
      }
      val[c + 3] = energy / eMax - 1;
    }
    return true;
  }
}

/** tau_bar = 1/R~(b̄, p̄) per UE [ms/kbit]; where R~ <= 0 (only in phase-I starts) uses 1/Rmin. */
export function expansionTau(problem: Problem, x: Point): Float64Array {
  const out = new Float64Array(x.alpha.length);
  for (let m = 0; m < out.length; m++) {
    const r = rateV1Mbps(problem.params, problem.cPerW[m], x.bandwidth[m], x.powerW[m]);
    out[m] = 1 / (r > 0 ? r : problem.params.rMinMbps);
  }
  return out;
}
