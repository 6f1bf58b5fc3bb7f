/**
 * The convex surrogate of one joint SCA step (issue 7, SPEC section 7) for one realisation, as a
 * block problem: per UE m six variables x_m = (b, p, f_ue, u, tau, alpha) in model units, eight
 * constraint slots c_k(x_m) <= 0, and two linear coupling rows (sum b <= 1 and (6f)). The caching
 * set s is fixed (the AO's); everything continuous moves at once.
 *
 * Change of variables: u = (1 - alpha) f_es for an uncached UE (its share of the ES) and u = f_es
 * for a cached one, so (6f) reads sum u <= Fes_max (linear) and the f_es box u <= (1 - alpha) Fes_max.
 * With w = 1 - alpha, ku = 1 - delta_ue, ke = 1 - delta_es, an uncached UE has
 *   T = alpha C/(ku f_ue) + D tau + w^2 C/(ke u)              (tau >= 1/R~, as in SP3)
 *   E = alpha (theta/2) C ku^2 f_ue^2 + D w p tau
 * and each non-convex product gets a convex upper bound, tight (equal, with the same gradient)
 * at the expansion point (alpha_bar, f_bar, u_bar, p_bar, tau_bar = 1/R~(b̄, p̄)); joint-bounds.ts
 * states and proves each one:
 *   alpha/f_ue   <= (th1 alpha^2 + 1/(th1 f^2))/2,  th1 = 1/(alpha_bar f_bar)
 *   alpha f_ue^2 <= (th3 alpha^2 + f^4/th3)/2,      th3 = f_bar^2/alpha_bar
 *   w^2/u        <= (th2 w^4 + 1/(th2 u^2))/2,      th2 = 1/(w_bar^2 u_bar)
 *   w p tau      <= ((w/a)^3 + (p/b)^3 + (tau/c)^3)/3 (a b c = 1, equal ratios at the point)
 * and the rate its SP3 bound Rs (rate-surrogate.ts). w^2/u is jointly convex as it stands; its
 * separable bound keeps every slot separable (diagonal Hessians), the structure the block
 * interior-point method solves in O(M). Every bound is at least the function it replaces, so a
 * point feasible for the surrogate is feasible for (6) with R~, and the surrogate objective
 * bounds J from above and equals it at the expansion point: an SCA step never raises J.
 *
 * Degenerate points, where a bound's scale would be 0 or infinite, use exact forms instead:
 *   alpha_bar < ALPHA_MIN: f_ue is fixed at f_bar, and the local terms alpha C/(ku f_bar) and
 *     alpha (theta/2) C ku^2 f_bar^2 are linear in alpha (exact), so alpha can still leave 0;
 *   w_bar < W_MIN (alpha_bar near 1): alpha is fixed; the edge term w_bar^2 C/(ke u) is exact and
 *     convex in u; at w_bar = 0 there is no edge work, u stays 0 and f_es keeps its value.
 *
 * Slots, normalised as in SP3 (1 unit = the size of the limit):
 *   0 rate-min  (Rmin - Rs)/Rmin                 all UEs
 *   1 tau       (1/tau - Rs)/Rmin                 uncached
 *   2 latency   T^/Tmax - 1                       all UEs (cached: C/(ke u)/Tmax - 1)
 *   3 energy    E^/Emax - 1                       uncached
 *   4 p box     p/Pmax - 1                        all UEs
 *   5 f_ue box  f_ue/Fue_max - 1                  when f_ue is free
 *   6 f_es box  u/Fes_max - w (cached: - 1)       when u is free
 *   7 alpha >=0 -alpha                            when alpha is free
 * alpha <= 1 follows from slot 6 and u > 0. Variables with no effect keep their values, as in SP3:
 * f_ue, tau and alpha of a cached UE.
 */
import type { Problem } from '../problem.js';
import type { Point } from '../model/point.js';
import type { BlockProblem } from './block-problem.js';
import { RateSurrogate, type RateAt } from './rate-surrogate.js';

export const JNV = 6;
export const J_B = 0;
export const J_P = 1;
export const J_FUE = 2;
export const J_U = 3;
export const J_TAU = 4;
export const J_ALPHA = 5;
export const JNC = 8;

/** Below this alpha_bar the local bounds are replaced by the exact linear terms (f_ue fixed). */
export const ALPHA_MIN = 1e-3;
/** Below this w_bar = 1 - alpha_bar, alpha is fixed for the step. */
export const W_MIN = 1e-3;

/** How each UE's terms are formed in this step. */
const enum Local {
  /** alpha_bar >= ALPHA_MIN: AM-GM bounds in (alpha, f_ue). */
  Bound,
  /** f_ue fixed: terms linear in alpha. */
  Linear,
}

export class JointSurrogate implements BlockProblem {
  readonly M: number;
  readonly nv = JNV;
  readonly free: Uint8Array;
  readonly active: Uint8Array;
  readonly coupling: [Float64Array, Float64Array];
  readonly couplingRhs: Float64Array;
  readonly rate: RateSurrogate;

  private readonly cached: Uint8Array;
  private readonly local: Local[];
  private readonly alphaBar: Float64Array;
  private readonly fBar: Float64Array;
  private readonly wBar: Float64Array;
  private readonly th1: Float64Array;
  private readonly th2: Float64Array;
  private readonly th3: Float64Array;
  /** Product bound scales g/w̄, g/p̄, g/tau_bar (0 when w̄ = 0: no transmission energy term). */
  private readonly sw: Float64Array;
  private readonly sp: Float64Array;
  private readonly st: Float64Array;
  private readonly at: RateAt = { rs: 0, dB: 0, dP: 0, d2B: 0, d2P: 0 };
  /** One UE's terms: value, gradient and diagonal curvature of T^ and E^ (written by `terms`). */
  private readonly tv = { t: 0, e: 0 };
  private readonly tg = new Float64Array(JNV);
  private readonly th = new Float64Array(JNV);
  private readonly eg = new Float64Array(JNV);
  private readonly eh = new Float64Array(JNV);

  constructor(readonly problem: Problem, x: Point, tauBar: Float64Array) {
    const { params } = problem;
    const M = (this.M = x.alpha.length);
    this.free = new Uint8Array(M * JNV);
    this.active = new Uint8Array(M * JNC);
    this.coupling = [new Float64Array(M * JNV), new Float64Array(M * JNV)];
    this.couplingRhs = Float64Array.of(1, params.fEsMaxGHz);
    this.cached = x.cached.slice();
    this.local = [];
    this.alphaBar = x.alpha.slice();
    this.fBar = x.fUeGHz.slice();
    this.wBar = new Float64Array(M);
    this.th1 = new Float64Array(M);
    this.th2 = new Float64Array(M);
    this.th3 = new Float64Array(M);
    this.sw = new Float64Array(M);
    this.sp = new Float64Array(M);
    this.st = new Float64Array(M);
    this.rate = new RateSurrogate(problem, x.bandwidth, x.powerW);
    for (let m = 0; m < M; m++) {
      const f = m * JNV;
      const c = m * JNC;
      this.free[f + J_B] = 1;
      this.free[f + J_P] = 1;
      this.free[f + J_U] = 1;
      this.active[c + 0] = 1;
      this.active[c + 2] = 1;
      this.active[c + 4] = 1;
      this.active[c + 6] = 1;
      this.coupling[0][f + J_B] = 1;
      this.coupling[1][f + J_U] = 1;
      if (this.cached[m]) {
        this.local.push(Local.Linear);
        continue;
      }
      const al = x.alpha[m];
      const w = 1 - al;
      const fb = x.fUeGHz[m];
      const ub = w * x.fEsGHz[m];
      this.wBar[m] = w;
      const local = al >= ALPHA_MIN && fb > 0 ? Local.Bound : Local.Linear;
      this.local.push(local);
      if (local === Local.Bound) {
        this.th1[m] = 1 / (al * fb);
        this.th3[m] = (fb * fb) / al;
        this.free[f + J_FUE] = 1;
        this.active[c + 5] = 1;
      }
      // alpha moves when w_bar is large enough for the edge bound, and (at alpha_bar = 0) when
      // the linear local term has a positive f_ue to use.
      const alphaFree = w >= W_MIN && ub > 0 && (local === Local.Bound || fb > 0);
      if (alphaFree) {
        this.th2[m] = 1 / (w * w * ub);
        this.free[f + J_ALPHA] = 1;
        this.active[c + 7] = 1;
      }
      if (!(w > 0 && ub > 0)) {
        // No edge work: u stays 0, out of (6f) and its box.
        this.free[f + J_U] = 0;
        this.active[c + 6] = 0;
        this.coupling[1][f + J_U] = 0;
      }
      this.free[f + J_TAU] = 1;
      this.active[c + 1] = 1;
      this.active[c + 3] = 1;
      if (w > 0) {
        const g = Math.cbrt(w * x.powerW[m] * tauBar[m]);
        this.sw[m] = g / w;
        this.sp[m] = g / x.powerW[m];
        this.st[m] = g / tauBar[m];
      }
    }
  }

  /** Packs the point into the solver's layout [M * JNV]: u = (1 - alpha) f_es (cached: f_es). */
  pack(x: Point, tau: Float64Array): Float64Array {
    const v = new Float64Array(this.M * JNV);
    for (let m = 0; m < this.M; m++) {
      const f = m * JNV;
      v[f + J_B] = x.bandwidth[m];
      v[f + J_P] = x.powerW[m];
      v[f + J_FUE] = x.fUeGHz[m];
      v[f + J_U] = this.cached[m] ? x.fEsGHz[m] : (1 - x.alpha[m]) * x.fEsGHz[m];
      v[f + J_TAU] = tau[m];
      v[f + J_ALPHA] = x.alpha[m];
    }
    return v;
  }

  /** Writes the solver's variables back into x and tau; f_es = u/(1 - alpha) where u moved. */
  unpack(v: Float64Array, x: Point, tau: Float64Array): void {
    for (let m = 0; m < this.M; m++) {
      const f = m * JNV;
      x.bandwidth[m] = v[f + J_B];
      x.powerW[m] = v[f + J_P];
      x.fUeGHz[m] = v[f + J_FUE];
      tau[m] = v[f + J_TAU];
      if (this.cached[m]) {
        x.fEsGHz[m] = v[f + J_U];
        continue;
      }
      x.alpha[m] = v[f + J_ALPHA];
      if (this.free[f + J_U]) x.fEsGHz[m] = v[f + J_U] / (1 - v[f + J_ALPHA]);
    }
  }

  /** Moves v strictly inside the boxes, alpha >= 0 and the coupling rows by a relative `pull`. */
  pullInside(v: Float64Array, pull: number): void {
    const { params } = this.problem;
    const keep = 1 - pull;
    for (let m = 0; m < this.M; m++) {
      const f = m * JNV;
      v[f + J_B] *= keep;
      v[f + J_P] = Math.min(v[f + J_P], params.pMaxW * keep);
      if (this.free[f + J_FUE]) v[f + J_FUE] = Math.min(v[f + J_FUE], params.fUeMaxGHz * keep);
      if (this.free[f + J_ALPHA]) v[f + J_ALPHA] = Math.min(Math.max(v[f + J_ALPHA], pull * ALPHA_MIN), 1 - this.wBar[m] * keep);
      if (this.free[f + J_U]) {
        const w = this.cached[m] ? 1 : 1 - v[f + J_ALPHA];
        v[f + J_U] = Math.min(v[f + J_U] * keep, w * params.fEsMaxGHz * keep);
      }
    }
  }

  /**
   * Latency T^ and energy E^ of uncached UE m at x (block offset f), with gradients and diagonal
   * curvatures over the block's variables, into tv/tg/th/eg/eh. False outside the domain.
   */
  private terms(m: number, x: Float64Array, f: number): boolean {
    const { params } = this.problem;
    const ku = 1 - params.deltaUe;
    const ke = 1 - params.deltaEs;
    const C = this.problem.cyclesMc[m];
    const D = this.problem.bitsKbit[m];
    const tg = this.tg, th = this.th, eg = this.eg, eh = this.eh;
    tg.fill(0); th.fill(0); eg.fill(0); eh.fill(0);
    const alphaFree = this.free[f + J_ALPHA] === 1;
    const al = alphaFree ? x[f + J_ALPHA] : this.alphaBar[m];
    const w = 1 - al;
    const tau = x[f + J_TAU];
    if (!(tau > 0)) return false;
    let t = D * tau;
    tg[J_TAU] = D;
    // Local computing: alpha C/(ku f) and alpha (theta/2) C ku^2 f^2.
    const kt = C / ku;
    const kE = 0.5 * params.thetaModel * C * ku * ku;
    let e = 0;
    if (this.local[m] === Local.Bound) {
      const fue = x[f + J_FUE];
      if (!(fue > 0)) return false;
      const th1 = this.th1[m];
      const th3 = this.th3[m];
      t += 0.5 * kt * (th1 * al * al + 1 / (th1 * fue * fue));
      tg[J_ALPHA] += kt * th1 * al;
      th[J_ALPHA] += kt * th1;
      tg[J_FUE] = -kt / (th1 * fue * fue * fue);
      th[J_FUE] = (3 * kt) / (th1 * fue * fue * fue * fue);
      const f2 = fue * fue;
      e += 0.5 * kE * (th3 * al * al + (f2 * f2) / th3);
      eg[J_ALPHA] += kE * th3 * al;
      eh[J_ALPHA] += kE * th3;
      eg[J_FUE] = (2 * kE * f2 * fue) / th3;
      eh[J_FUE] = (6 * kE * f2) / th3;
    } else if (al > 0 || alphaFree) {
      const fb = this.fBar[m];
      t += (kt * al) / fb;
      tg[J_ALPHA] += kt / fb;
      e += kE * al * fb * fb;
      eg[J_ALPHA] += kE * fb * fb;
    }
    // Edge computing: w^2 C/(ke u).
    if (this.free[f + J_U]) {
      const u = x[f + J_U];
      if (!(u > 0)) return false;
      const ce = C / ke;
      if (alphaFree) {
        const th2 = this.th2[m];
        t += 0.5 * ce * (th2 * w * w * w * w + 1 / (th2 * u * u));
        tg[J_ALPHA] -= 2 * ce * th2 * w * w * w;
        th[J_ALPHA] += 6 * ce * th2 * w * w;
        tg[J_U] = -ce / (th2 * u * u * u);
        th[J_U] = (3 * ce) / (th2 * u * u * u * u);
      } else {
        t += (ce * w * w) / u;
        tg[J_U] = (-ce * w * w) / (u * u);
        th[J_U] = (2 * ce * w * w) / (u * u * u);
      }
    }
    // Transmission energy: D w p tau <= D ((w sw)^3 + (p sp)^3 + (tau st)^3)/3.
    if (this.sw[m] > 0) {
      const xw = w * this.sw[m];
      const yp = x[f + J_P] * this.sp[m];
      const zt = tau * this.st[m];
      e += (D * (xw * xw * xw + yp * yp * yp + zt * zt * zt)) / 3;
      if (alphaFree) {
        eg[J_ALPHA] -= D * xw * xw * this.sw[m];
        eh[J_ALPHA] += 2 * D * xw * this.sw[m] * this.sw[m];
      }
      eg[J_P] = D * yp * yp * this.sp[m];
      eh[J_P] = 2 * D * yp * this.sp[m] * this.sp[m];
      eg[J_TAU] = D * zt * zt * this.st[m];
      eh[J_TAU] = 2 * D * zt * this.st[m] * this.st[m];
    }
    if (!alphaFree) {
      // A fixed variable has no gradient or curvature (the solver's identity rows rely on it).
      tg[J_ALPHA] = th[J_ALPHA] = eg[J_ALPHA] = eh[J_ALPHA] = 0;
    }
    this.tv.t = t;
    this.tv.e = e;
    return true;
  }

  /** The surrogate objective sum_m T^_m [ms] with gradient and diagonal Hessian [M * JNV]; NaN outside the domain. */
  objective(x: Float64Array, grad: Float64Array, hdiag: Float64Array): number {
    const ke = 1 - this.problem.params.deltaEs;
    grad.fill(0);
    hdiag.fill(0);
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
      if (!this.terms(m, x, f)) return Number.NaN;
      total += this.tv.t;
      for (let a = 0; a < JNV; a++) {
        grad[f + a] = this.tg[a];
        hdiag[f + a] = this.th[a];
      }
    }
    return total;
  }

  /** Values [M * JNC], gradients and diagonal Hessians [M * JNC * JNV]; inactive slots read -1. */
  slots(x: Float64Array, val: Float64Array, grad: Float64Array, hdiag: Float64Array): boolean {
    const { params } = this.problem;
    const ke = 1 - params.deltaEs;
    const rMin = params.rMinMbps;
    const tMax = params.tMaxMs;
    const eMax = params.eMaxMj;
    const at = this.at;
    grad.fill(0);
    hdiag.fill(0);
    for (let m = 0; m < this.M; m++) {
      const f = m * JNV;
      const c = m * JNC;
      const b = x[f + J_B];
      const p = x[f + J_P];
      if (!(b > 0 && p > 0)) return false;
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

      const u = x[f + J_U];
      if (this.cached[m]) {
        if (!(u > 0)) return false;
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
      if (!this.terms(m, x, f)) return false;
      const alphaFree = this.free[f + J_ALPHA] === 1;
      const al = alphaFree ? x[f + J_ALPHA] : this.alphaBar[m];

      // 2 latency, 3 energy
      g = (c + 2) * JNV;
      val[c + 2] = this.tv.t / tMax - 1;
      for (let a = 0; a < JNV; a++) {
        grad[g + a] = this.tg[a] / tMax;
        hdiag[g + a] = this.th[a] / tMax;
      }
      g = (c + 3) * JNV;
      val[c + 3] = this.tv.e / eMax - 1;
      for (let a = 0; a < JNV; a++) {
        grad[g + a] = this.eg[a] / eMax;
        hdiag[g + a] = this.eh[a] / eMax;
      }

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

      // 5 f_ue box
      if (this.free[f + J_FUE]) {
        g = (c + 5) * JNV;
        val[c + 5] = x[f + J_FUE] / params.fUeMaxGHz - 1;
        grad[g + J_FUE] = 1 / params.fUeMaxGHz;
      }
      // 6 f_es box: u/Fes - (1 - alpha)
      if (this.free[f + J_U]) {
        g = (c + 6) * JNV;
        val[c + 6] = u / params.fEsMaxGHz - (1 - al);
        grad[g + J_U] = 1 / params.fEsMaxGHz;
        if (alphaFree) grad[g + J_ALPHA] = 1;
      }
      // 7 alpha >= 0
      if (alphaFree) {
        g = (c + 7) * JNV;
        val[c + 7] = -al;
        grad[g + J_ALPHA] = -1;
      }
    }
    return true;
  }
}
