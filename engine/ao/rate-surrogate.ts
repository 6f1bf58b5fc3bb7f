/**
 * The concave lower bound Rs of the rate R~ used by SP3 and by the joint surrogate (SPEC section
 * 3, step 3, eqs. 17 and 19), per UE, around the expansion point (b̄, p̄). With
 * gamma_bar = p̄ c / b̄, Lbar = ln(1 + gamma_bar), a = b̄ gamma_bar / (1 + gamma_bar):
 *   G(b, p) = 2 b̄ Lbar + a (2 - p̄/p - b/b̄) - Lbar b̄^2 / b      (concave, <= b ln(1+gamma))
 *   W(b)    = kappa ( sqrt(b̄)/2 + b / (2 sqrt(b̄)) )              (linear, >= kappa sqrt(b))
 *   Rs      = (B/ln2) [ G - W ]  [Mbit/s]                          (concave, <= R~, equal at the point)
 * Rs is separable in b and p, so its Hessian is diagonal.
 */
import type { Problem } from '../problem.js';

/** Rs and its derivatives at one (b, p): filled by `RateSurrogate.at`. */
export interface RateAt {
  rs: number;
  dB: number;
  dP: number;
  d2B: number;
  d2P: number;
}

export class RateSurrogate {
  /** Lbar b̄^2 per UE (the coefficient of -1/b in G). */
  private readonly lb2: Float64Array;
  /** a p̄ per UE (the coefficient of -1/p in G). */
  private readonly ap: Float64Array;
  /** Constant part of G - W per UE: 2 b̄ Lbar + 2 a - kappa sqrt(b̄)/2. */
  private readonly rsConst: Float64Array;
  /** Coefficient of b in G - W: -a/b̄ - kappa/(2 sqrt b̄). */
  private readonly rsLinB: Float64Array;
  private readonly K: number;

  constructor(problem: Problem, bBar: Float64Array, pBar: Float64Array) {
    const { params } = problem;
    const M = bBar.length;
    this.K = params.rateScaleMbps;
    this.lb2 = new Float64Array(M);
    this.ap = new Float64Array(M);
    this.rsConst = new Float64Array(M);
    this.rsLinB = new Float64Array(M);
    for (let m = 0; m < M; m++) {
      const gamma = (pBar[m] * problem.cPerW[m]) / bBar[m];
      const L = Math.log1p(gamma);
      const a = (bBar[m] * gamma) / (1 + gamma);
      const sb = Math.sqrt(bBar[m]);
      this.lb2[m] = L * bBar[m] * bBar[m];
      this.ap[m] = a * pBar[m];
      this.rsConst[m] = 2 * bBar[m] * L + 2 * a - (params.kappa * sb) / 2;
      this.rsLinB[m] = -a / bBar[m] - params.kappa / (2 * sb);
    }
  }

  /** Rs(b, p) [Mbit/s] of UE m. */
  value(m: number, b: number, p: number): number {
    return this.K * (this.rsConst[m] + this.rsLinB[m] * b - this.ap[m] / p - this.lb2[m] / b);
  }

  /** Rs of UE m at (b, p) with its first and second derivatives, into `out`. */
  at(m: number, b: number, p: number, out: RateAt): void {
    const K = this.K;
    const lb2 = this.lb2[m];
    const ap = this.ap[m];
    out.rs = K * (this.rsConst[m] + this.rsLinB[m] * b - ap / p - lb2 / b);
    out.dB = K * (this.rsLinB[m] + lb2 / (b * b));
    out.dP = (K * ap) / (p * p);
    out.d2B = (-2 * K * lb2) / (b * b * b);
    out.d2P = (-2 * K * ap) / (p * p * p);
  }
}
