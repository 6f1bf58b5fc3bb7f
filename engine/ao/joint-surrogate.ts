/**
 * The convex surrogate of one joint SCA step (docs/joint-optimiser.md) for one realisation, as a
 * block problem: per UE m six variables x_m = (b, p, r, u, tau, alpha) in model units, eight
 * constraint slots c_k(x_m) <= 0, and two linear coupling rows (sum b <= 1 and (6f)). The caching
 * set s is fixed (the AO's); everything continuous moves at once.
 *
 * Change of variables (with w = 1 - alpha, ku = 1 - delta_ue, ke = 1 - delta_es):
 *   r = alpha / f_ue   [1/GHz]  the local time per local cycle: f_ue = alpha / r
 *   u = w f_es         [GHz]    the UE's share of the ES (cached: u = f_es): f_es = u / w
 * In these variables an uncached UE has
 *   T = (C/ku) r + D tau + (C/ke) w^2/u                        (tau >= 1/R~, as in SP3)
 *   E = (theta/2) C ku^2 alpha^3/r^2 + D w p tau
 *   (6f)       sum_m u_m <= Fes_max                            (linear)
 *   f_ue box   alpha <= Fue_max r,  f_es box  u <= w Fes_max   (linear)
 * The local latency is linear, alpha^3/r^2 and w^2/u are jointly convex (x^3/y^2 and x^2/y on
 * x, y > 0; their Hessians are positive semidefinite of rank one), so the only non-convex terms
 * left are the rate, which gets SP3's concave lower bound Rs (rate-surrogate.ts), and the
 * transmission energy w p tau, which gets an upper bound from the inequality of arithmetic and
 * geometric means, tight at the expansion point (w̄, p̄, tau_bar = 1/R~(b̄, p̄)):
 *   w p tau <= ((w/a)^3 + (p/b)^3 + (tau/c)^3)/3,   a = w̄/g, b = p̄/g, c = tau_bar/g, g = (w̄ p̄ tau_bar)^(1/3)
 * (x y z <= (x^3 + y^3 + z^3)/3 for x, y, z >= 0, with x = w/a, y = p/b, z = tau/c and a b c = 1;
 * equality iff x = y = z, which holds, at g, at the point, where the gradients agree too; the
 * right side is convex). A point feasible for the surrogate is therefore feasible for (6) with R~,
 * and the surrogate objective is J itself up to tau >= 1/R~ (equal at the expansion point): an
 * SCA step never raises J.
 *
 * Slots, normalised as in SP3 (1 unit = the size of the limit):
 *   0 rate-min  (Rmin - Rs)/Rmin                 all UEs
 *   1 tau       (1/tau - Rs)/Rmin                 uncached
 *   2 latency   T^/Tmax - 1                       all UEs (cached: C/(ke u)/Tmax - 1)
 *   3 energy    E^/Emax - 1                       uncached
 *   4 p box     p/Pmax - 1                        all UEs
 *   5 f_ue box  alpha - Fue_max r                 uncached
 *   6 f_es box  u/Fes_max - w (cached: - 1)       all UEs
 *   7 alpha>=0  -alpha                            uncached
 * alpha <= 1 follows from slot 6 and u > 0. Mixed curvatures: (alpha, r) in the energy, (alpha, u)
 * in the latency and the objective. A cached UE's r, tau and alpha have no effect and keep their
 * values (its f_ue and alpha come back unchanged).
 *
 * The interior: an IPM needs alpha, r, u > 0 strictly, so a UE at alpha_bar = 0 or 1 starts the
 * step from alpha = ALPHA_PULL or 1 - ALPHA_PULL (pullInside); the product bound is expanded at
 * w = max(w̄, ALPHA_PULL), still an upper bound everywhere, and the step is taken only if J falls.
 */
import type { Problem } from '../problem.js';
import type { Point } from '../model/point.js';
import type { BlockProblem } from './block-problem.js';
import { RateSurrogate, type RateAt } from './rate-surrogate.js';
import { ALPHA_PULL, SLACK_SLOTS } from './solver-constants.js';

export const JNV = 6;
export const J_B = 0;
export const J_P = 1;
export const J_R = 2;
export const J_U = 3;
export const J_TAU = 4;
export const J_ALPHA = 5;
export const JNC = 8;

/** Mixed-curvature pairs, in this order: (alpha, r) and (alpha, u). */
const CROSS_AR = 0;
const CROSS_AU = 1;
const PAIRS = [[J_ALPHA, J_R], [J_ALPHA, J_U]] as const;

export class JointSurrogate implements BlockProblem {
  readonly M: number;
  readonly nv = JNV;
  readonly crossPairs = PAIRS;
  readonly slackSlots = SLACK_SLOTS;
  readonly free: Uint8Array;
  readonly active: Uint8Array;
  readonly coupling: [Float64Array, Float64Array];
  readonly couplingRhs: Float64Array;
  readonly rate: RateSurrogate;

  private readonly cached: Uint8Array;
  /** Product bound scales g/w_e, g/p̄, g/tau_bar with w_e = max(w̄, ALPHA_PULL). */
  private readonly sw: Float64Array;
  private readonly sp: Float64Array;
  private readonly st: Float64Array;
  private readonly at: RateAt = { rs: 0, dB: 0, dP: 0, d2B: 0, d2P: 0 };
  /** One uncached UE's terms (written by `terms`): values, gradients, diagonal and mixed curvatures of T^ and E^. */
  private tVal = 0;
  private eVal = 0;
  private readonly tg = new Float64Array(JNV);
  private readonly th = new Float64Array(JNV);
  private readonly eg = new Float64Array(JNV);
  private readonly eh = new Float64Array(JNV);
  private tAU = 0;
  private eAR = 0;

  constructor(readonly problem: Problem, x: Point, tauBar: Float64Array) {
    const { params } = problem;
    const M = (this.M = x.alpha.length);
    this.free = new Uint8Array(M * JNV);
    this.active = new Uint8Array(M * JNC);
    this.coupling = [new Float64Array(M * JNV), new Float64Array(M * JNV)];
    this.couplingRhs = Float64Array.of(1, params.fEsMaxGHz);
    this.cached = x.cached.slice();
    this.sw = new Float64Array(M);
    this.sp = new Float64Array(M);
    this.st = new Float64Array(M);
    this.rate = new RateSurrogate(problem, x.bandwidth, x.powerW);
    for (let m = 0; m < M; m++) {
      const f = m * JNV;
      const c = m * JNC;
      const uncached = this.cached[m] ? 0 : 1;
      this.free[f + J_B] = 1;
      this.free[f + J_P] = 1;
      this.free[f + J_U] = 1;
      this.free[f + J_R] = uncached;
      this.free[f + J_TAU] = uncached;
      this.free[f + J_ALPHA] = uncached;
      for (const k of [0, 2, 4, 6]) this.active[c + k] = 1;
      for (const k of [1, 3, 5, 7]) this.active[c + k] = uncached;
      this.coupling[0][f + J_B] = 1;
      this.coupling[1][f + J_U] = 1;
      if (uncached) {
        const w = Math.max(1 - x.alpha[m], ALPHA_PULL);
        const g = Math.cbrt(w * x.powerW[m] * tauBar[m]);
        this.sw[m] = g / w;
        this.sp[m] = g / x.powerW[m];
        this.st[m] = g / tauBar[m];
      }
    }
  }

  /** Packs the point into the solver's layout [M * JNV]: r = alpha/f_ue, u = (1 - alpha) f_es (cached: f_es). */
  pack(x: Point, tau: Float64Array): Float64Array {
    const v = new Float64Array(this.M * JNV);
    for (let m = 0; m < this.M; m++) {
      const f = m * JNV;
      const al = x.alpha[m];
      v[f + J_B] = x.bandwidth[m];
      v[f + J_P] = x.powerW[m];
      v[f + J_R] = x.fUeGHz[m] > 0 ? al / x.fUeGHz[m] : 0;
      v[f + J_U] = this.cached[m] ? x.fEsGHz[m] : (1 - al) * x.fEsGHz[m];
      v[f + J_TAU] = tau[m];
      v[f + J_ALPHA] = al;
    }
    return v;
  }

  /**
   * Moves v (packed from x) strictly inside the boxes, 0 < alpha < 1 and the coupling rows by a
   * relative `pull`: alpha into [ALPHA_PULL, 1 - ALPHA_PULL], f_ue and f_es kept (at most their
   * pulled maxima) and r, u recomputed from them.
   */
  pullInside(v: Float64Array, x: Point, pull: number): void {
    const { params } = this.problem;
    const keep = 1 - pull;
    for (let m = 0; m < this.M; m++) {
      const f = m * JNV;
      v[f + J_B] *= keep;
      v[f + J_P] = Math.min(v[f + J_P], params.pMaxW * keep);
      if (this.cached[m]) {
        v[f + J_U] = Math.min(v[f + J_U] * keep, params.fEsMaxGHz * keep);
        continue;
      }
      const al = Math.min(Math.max(v[f + J_ALPHA], ALPHA_PULL), 1 - ALPHA_PULL);
      const fue = x.fUeGHz[m] > 0 ? Math.min(x.fUeGHz[m], params.fUeMaxGHz * keep) : params.fUeMaxGHz * keep;
      const fes = x.fEsGHz[m] > 0 ? Math.min(x.fEsGHz[m] * keep, params.fEsMaxGHz * keep) : (params.fEsMaxGHz * keep) / this.M;
      v[f + J_ALPHA] = al;
      v[f + J_R] = al / fue;
      v[f + J_U] = (1 - al) * fes;
    }
  }

  /** Writes the solver's variables back into x and tau: f_ue = alpha/r, f_es = u/(1 - alpha). */
  unpack(v: Float64Array, x: Point, tau: Float64Array): void {
    for (let m = 0; m < this.M; m++) {
      const f = m * JNV;
      x.bandwidth[m] = v[f + J_B];
      x.powerW[m] = v[f + J_P];
      if (this.cached[m]) {
        x.fEsGHz[m] = v[f + J_U];
        continue;
      }
      const al = v[f + J_ALPHA];
      x.alpha[m] = al;
      x.fUeGHz[m] = al / v[f + J_R];
      x.fEsGHz[m] = v[f + J_U] / (1 - al);
      tau[m] = v[f + J_TAU];
    }
  }

  /**
   * T^ of uncached UE m at the block at offset f, and E^ too when `withEnergy` (the objective
   * needs only T^): values, gradients, diagonal curvatures and the mixed ones (alpha, u) of T^
   * and (alpha, r) of E^. False outside the domain.
   */
  private terms(m: number, x: Float64Array, f: number, withEnergy: boolean): boolean {
    const { params } = this.problem;
    const ku = 1 - params.deltaUe;
    const ke = 1 - params.deltaEs;
    const C = this.problem.cyclesMc[m];
    const D = this.problem.bitsKbit[m];
    const al = x[f + J_ALPHA];
    const r = x[f + J_R];
    const u = x[f + J_U];
    const tau = x[f + J_TAU];
    const w = 1 - al;
    if (!(al > 0 && r > 0 && u > 0 && tau > 0)) return false;
    const tg = this.tg, th = this.th, eg = this.eg, eh = this.eh;
    // Latency: (C/ku) r + D tau + (C/ke) w^2/u.
    const kt = C / ku;
    const ce = C / ke;
    this.tVal = kt * r + D * tau + (ce * w * w) / u;
    tg[J_B] = 0; tg[J_P] = 0;
    tg[J_R] = kt;
    tg[J_TAU] = D;
    tg[J_ALPHA] = (-2 * ce * w) / u;
    tg[J_U] = (-ce * w * w) / (u * u);
    th.fill(0);
    th[J_ALPHA] = (2 * ce) / u;
    th[J_U] = (2 * ce * w * w) / (u * u * u);
    this.tAU = (2 * ce * w) / (u * u);
    if (!withEnergy) return true;
    // Energy: kE alpha^3/r^2 + D ((w sw)^3 + (p sp)^3 + (tau st)^3)/3.
    const kE = 0.5 * params.thetaModel * C * ku * ku;
    const r2 = r * r;
    const xw = w * this.sw[m];
    const yp = x[f + J_P] * this.sp[m];
    const zt = tau * this.st[m];
    this.eVal = (kE * al * al * al) / r2 + (D * (xw * xw * xw + yp * yp * yp + zt * zt * zt)) / 3;
    eg[J_B] = 0;
    eg[J_U] = 0;
    eg[J_ALPHA] = (3 * kE * al * al) / r2 - D * xw * xw * this.sw[m];
    eg[J_R] = (-2 * kE * al * al * al) / (r2 * r);
    eg[J_P] = D * yp * yp * this.sp[m];
    eg[J_TAU] = D * zt * zt * this.st[m];
    eh.fill(0);
    eh[J_ALPHA] = (6 * kE * al) / r2 + 2 * D * xw * this.sw[m] * this.sw[m];
    eh[J_R] = (6 * kE * al * al * al) / (r2 * r2);
    eh[J_P] = 2 * D * yp * this.sp[m] * this.sp[m];
    eh[J_TAU] = 2 * D * zt * this.st[m] * this.st[m];
    this.eAR = (-6 * kE * al * al) / (r2 * r);
    return true;
  }

  /** The surrogate objective sum_m T^_m [ms] with its derivatives; NaN outside the domain. */
  objective(x: Float64Array, grad: Float64Array, hdiag: Float64Array, hcross: Float64Array): number {
    const ke = 1 - this.problem.params.deltaEs;
    grad.fill(0);
    hdiag.fill(0);
    hcross.fill(0);
    let total = 0;
    for (let m = 0; m < this.M; m++) {
      const f = m * JNV;
      if (this.cached[m]) {
        const u = x[f + J_U];
        if (!(u > 0)) return Number.NaN;
        const ce = this.problem.cyclesMc[m] / ke;
        total += ce / u;
        grad[f + J_U] = -ce / (u * u);
        hdiag[f + J_U] = (2 * ce) / (u * u * u);
        continue;
      }
      if (!this.terms(m, x, f, false)) return Number.NaN;
      total += this.tVal;
      writeScaled(grad, hdiag, f, this.tg, this.th, 1);
      hcross[m * PAIRS.length + CROSS_AU] = this.tAU;
    }
    return total;
  }

  /** Values [M * JNC] with their derivatives; inactive slots read -1. False outside the domain. */
  slots(x: Float64Array, val: Float64Array, grad: Float64Array, hdiag: Float64Array, hcross: Float64Array): boolean {
    const { params } = this.problem;
    const ke = 1 - params.deltaEs;
    const rMin = params.rMinMbps;
    const tMax = params.tMaxMs;
    const eMax = params.eMaxMj;
    const nx = PAIRS.length;
    const at = this.at;
    grad.fill(0);
    hdiag.fill(0);
    hcross.fill(0);
    for (let m = 0; m < this.M; m++) {
      const f = m * JNV;
      const c = m * JNC;
      const b = x[f + J_B];
      const p = x[f + J_P];
      const u = x[f + J_U];
      if (!(b > 0 && p > 0 && u > 0)) return false;
      for (let k = 0; k < JNC; k++) val[c + k] = -1;
      this.rate.at(m, b, p, at);

      // 0 rate-min, 4 p box
      let g = (c + 0) * JNV;
      val[c + 0] = (rMin - at.rs) / rMin;
      grad[g + J_B] = -at.dB / rMin;
      grad[g + J_P] = -at.dP / rMin;
      hdiag[g + J_B] = -at.d2B / rMin;
      hdiag[g + J_P] = -at.d2P / rMin;
      g = (c + 4) * JNV;
      val[c + 4] = p / params.pMaxW - 1;
      grad[g + J_P] = 1 / params.pMaxW;

      if (this.cached[m]) {
        // 2 latency C/(ke u), 6 f_es box
        const ce = this.problem.cyclesMc[m] / ke;
        g = (c + 2) * JNV;
        val[c + 2] = ce / u / tMax - 1;
        grad[g + J_U] = -ce / (u * u) / tMax;
        hdiag[g + J_U] = (2 * ce) / (u * u * u) / tMax;
        g = (c + 6) * JNV;
        val[c + 6] = u / params.fEsMaxGHz - 1;
        grad[g + J_U] = 1 / params.fEsMaxGHz;
        continue;
      }
      if (!this.terms(m, x, f, true)) return false;
      const al = x[f + J_ALPHA];

      // 2 latency, 3 energy
      val[c + 2] = this.tVal / tMax - 1;
      writeScaled(grad, hdiag, (c + 2) * JNV, this.tg, this.th, tMax);
      hcross[(c + 2) * nx + CROSS_AU] = this.tAU / tMax;
      val[c + 3] = this.eVal / eMax - 1;
      writeScaled(grad, hdiag, (c + 3) * JNV, this.eg, this.eh, eMax);
      hcross[(c + 3) * nx + CROSS_AR] = this.eAR / eMax;

      // 1 tau: (1/tau - Rs)/Rmin
      const tau = x[f + J_TAU];
      g = (c + 1) * JNV;
      val[c + 1] = (1 / tau - at.rs) / rMin;
      grad[g + J_B] = -at.dB / rMin;
      grad[g + J_P] = -at.dP / rMin;
      grad[g + J_TAU] = -1 / (tau * tau) / rMin;
      hdiag[g + J_B] = -at.d2B / rMin;
      hdiag[g + J_P] = -at.d2P / rMin;
      hdiag[g + J_TAU] = 2 / (tau * tau * tau) / rMin;

      // 5 f_ue box: alpha - Fue r
      g = (c + 5) * JNV;
      val[c + 5] = al - params.fUeMaxGHz * x[f + J_R];
      grad[g + J_ALPHA] = 1;
      grad[g + J_R] = -params.fUeMaxGHz;
      // 6 f_es box: u/Fes - (1 - alpha)
      g = (c + 6) * JNV;
      val[c + 6] = u / params.fEsMaxGHz - (1 - al);
      grad[g + J_U] = 1 / params.fEsMaxGHz;
      grad[g + J_ALPHA] = 1;
      // 7 alpha >= 0
      g = (c + 7) * JNV;
      val[c + 7] = -al;
      grad[g + J_ALPHA] = -1;
    }
    return true;
  }
}

/** Writes one UE term's gradient and diagonal curvature, divided by `scale`, at offset g. */
function writeScaled(grad: Float64Array, hdiag: Float64Array, g: number, tg: Float64Array, th: Float64Array, scale: number): void {
  for (let a = 0; a < JNV; a++) {
    grad[g + a] = tg[a] / scale;
    hdiag[g + a] = th[a] / scale;
  }
}
