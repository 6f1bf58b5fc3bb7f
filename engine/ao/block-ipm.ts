/**
 * A log-barrier interior-point method (Boyd & Vandenberghe, Convex Optimization, section 11.3)
 * for convex problems with SP3's structure: per-UE blocks of NV variables with their own
 * constraint slots, plus two linear coupling rows. Centring minimises
 * psi_t = f0 - (1/t) sum log(-f_i) by Newton's method; its matrix is
 *
 *   H = blockdiag(H_1, ..., H_M) + sum_k d_k u_k u_k^T      (k = 0, 1)
 *
 * and one step costs a Cholesky of each NV x NV block plus a 2 x 2 system (Woodbury). In phase
 * one a single global slack sigma joins the slack slots (c_k(x) <= sigma) and the objective is
 * sigma; sigma's column is eliminated by one more Schur complement. Then t <- mu t.
 *
 * Certificate: on the central path lambda_i = 1/(t (-f_i)) is dual feasible and the duality gap
 * is exactly m/t; the Newton decrement^2 at the returned point says how well it was centred.
 * (A primal-dual variant was tried first: its residual-norm line search stalled on the
 * strongly curved 1/b, 1/p and 1/tau terms; the barrier's Armijo search on psi does not.)
 */
import { choleskyInPlace, choleskySolveInPlace } from './small-cholesky.js';

/** What the solver needs of a problem; `Sp3Surrogate` is the one implementation. */
export interface BlockProblem {
  readonly M: number;
  readonly free: Uint8Array;
  readonly active: Uint8Array;
  readonly coupling: readonly [Float64Array, Float64Array];
  readonly couplingRhs: Float64Array;
  objective(x: Float64Array, grad: Float64Array, hdiag: Float64Array): number;
  slots(x: Float64Array, val: Float64Array, grad: Float64Array, hdiag: Float64Array): boolean;
}

export interface IpmOptions {
  /** Variables and constraint slots per block. */
  nv: number;
  nc: number;
  /** Slots below this index take the phase-one slack. */
  slackSlots: number;
  /** Phase one: stop as soon as sigma < -sigmaTarget (strictly feasible with margin). */
  sigmaTarget: number;
  /** Phase two stops when the gap m/t <= gapRtol |f0| + gapAtol. */
  gapRtol: number;
  gapAtol: number;
  maxIterations: number;
  /** Barrier parameter growth per outer step: t <- mu t. */
  mu: number;
  /** The first t puts the gap m/t at this fraction of |f0| (phase two) or of |sigma0| (phase one). */
  initialGapFraction: number;
  /** Centring ends when the Newton decrement^2 / 2 <= centringTol |f0|. */
  centringTol: number;
  /** Called after every accepted step (diagnostics). */
  onIteration?: (info: { iteration: number; gap: number; decrement2: number; step: number; objective: number }) => void;
}

export const DEFAULT_IPM_OPTIONS: IpmOptions = {
  nv: 5, nc: 7, slackSlots: 4, sigmaTarget: 1e-5,
  gapRtol: 1e-9, gapAtol: 1e-13, maxIterations: 200, mu: 100, initialGapFraction: 1e-2,
  centringTol: 1e-12,
};

export type IpmOutcome =
  | 'solved' // phase two: optimum certified
  | 'interior-found' // phase one: strictly feasible point found
  | 'no-interior' // phase one: converged with sigma >= 0
  | 'max-iterations'
  | 'numerical-failure';

export interface IpmResult {
  outcome: IpmOutcome;
  x: Float64Array;
  sigma: number;
  /** Multipliers per slot [M * nc] (0 for inactive slots) and of the two coupling rows. */
  lambda: Float64Array;
  lambdaCoupling: Float64Array;
  objective: number;
  /** Duality gap -sum f_i lambda_i of the returned multipliers (m/t on the central path). */
  gap: number;
  /** Newton decrement^2 of the last centring step (how far from the central point). */
  decrement2: number;
  iterations: number;
}

/** Values, derivatives and residual pieces at one point; two of these are swapped by the search. */
class Evaluation {
  readonly val: Float64Array;
  readonly grad: Float64Array;
  readonly hdiag: Float64Array;
  readonly objGrad: Float64Array;
  readonly objH: Float64Array;
  readonly couplingVal = new Float64Array(2);
  objective = 0;
  constructor(n: number, nSlots: number, nv: number) {
    this.val = new Float64Array(nSlots);
    this.grad = new Float64Array(nSlots * nv);
    this.hdiag = new Float64Array(nSlots * nv);
    this.objGrad = new Float64Array(n);
    this.objH = new Float64Array(n);
  }
}

export class BlockIpm {
  private readonly o: IpmOptions;
  private readonly n: number;
  private cur: Evaluation;
  private trial: Evaluation;
  private readonly H: Float64Array;
  private readonly rhs: Float64Array;
  private readonly hcol: Float64Array;
  private readonly z0: Float64Array;
  private readonly z1: Float64Array;
  private readonly dx: Float64Array;
  private readonly xTrial: Float64Array;
  private readonly dLambda: Float64Array;
  private readonly lambdaTrial: Float64Array;
  /** The Newton right-hand side (minus the gradient of psi/t) of the last step. */
  private readonly rhsCopy: Float64Array;
  private rhsSigma = 0;

  constructor(readonly problem: BlockProblem, options: Partial<IpmOptions> = {}) {
    this.o = { ...DEFAULT_IPM_OPTIONS, ...options };
    const { nv, nc } = this.o;
    const M = problem.M;
    this.n = M * nv;
    this.cur = new Evaluation(this.n, M * nc, nv);
    this.trial = new Evaluation(this.n, M * nc, nv);
    this.H = new Float64Array(M * nv * nv);
    this.rhs = new Float64Array(this.n);
    this.hcol = new Float64Array(this.n);
    this.z0 = new Float64Array(this.n);
    this.z1 = new Float64Array(this.n);
    this.dx = new Float64Array(this.n);
    this.xTrial = new Float64Array(this.n);
    this.dLambda = new Float64Array(M * nc + 2);
    this.lambdaTrial = new Float64Array(M * nc + 2);
    this.rhsCopy = new Float64Array(this.n);
  }

  /**
   * Phase two minimises the problem's objective from a strictly feasible x0; phase one
   * minimises sigma from (x0, sigma0) with every slack slot < sigma0 and the rest < 0.
   */
  solve(x0: Float64Array, phase: 'one' | 'two', sigma0 = 0): IpmResult {
    const { nc, slackSlots, mu } = this.o;
    const P = this.problem;
    const M = P.M;
    const one = phase === 'one';
    const x = x0.slice();
    let sigma = one ? sigma0 : 0;
    const lambda = new Float64Array(M * nc + 2); // slots, then the two coupling rows
    let iterations = 0;
    let t = 0;
    let decrement2 = Number.NaN;
    const result = (outcome: IpmOutcome): IpmResult => {
      // Dual point of the central path: lambda_i = 1/(t (-f_i)); eta = m/t there.
      this.centralMultipliers(this.cur, sigma, t, one, lambda);
      let gap = 0;
      for (let i = 0; i < M * nc; i++) if (P.active[i]) gap -= this.fOf(this.cur, i, sigma, one) * lambda[i];
      for (let k = 0; k < 2; k++) gap -= this.cur.couplingVal[k] * lambda[M * nc + k];
      return {
        outcome, x, sigma, lambda: lambda.slice(0, M * nc), lambdaCoupling: lambda.slice(M * nc),
        objective: one ? sigma : this.cur.objective, gap, decrement2, iterations,
      };
    };
    if (!this.evaluate(x, sigma, one, this.cur) || !this.strictlyFeasible(this.cur, sigma, one)) {
      return result('numerical-failure');
    }
    let mActive = 2;
    for (let i = 0; i < M * nc; i++) mActive += P.active[i];
    const fScale = (): number => (one ? 1 : Math.abs(this.cur.objective));
    t = mActive / (this.o.initialGapFraction * (one ? Math.max(Math.abs(sigma), 1e-3) : fScale()) + this.o.gapAtol);

    for (;;) {
      // Centring: Newton on psi = f0 + (1/t) phi with backtracking (feasibility, then Armijo).
      for (;;) {
        if (iterations >= this.o.maxIterations) return result('max-iterations');
        if (one && sigma < -this.o.sigmaTarget) return result('interior-found');
        this.centralMultipliers(this.cur, sigma, t, one, lambda);
        const dSigma = this.newtonStep(sigma, lambda, t, one);
        if (Number.isNaN(dSigma)) return result('numerical-failure');
        iterations++;
        // Newton decrement^2 = -grad(psi) . d (psi scaled by 1/t, in units of f0).
        let dec2 = one ? this.rhsSigma * dSigma : 0;
        for (let j = 0; j < this.n; j++) dec2 += this.rhsCopy[j] * this.dx[j];
        decrement2 = dec2;
        if (!(dec2 >= 0) || !Number.isFinite(dec2)) return result('numerical-failure');
        if (dec2 / 2 <= this.o.centringTol * fScale()) break;
        const psi0 = this.barrierValue(this.cur, sigma, t, one);
        let s = this.maxLinearStep(sigma, dSigma, one);
        let accepted = false;
        while (s > 1e-12) {
          for (let j = 0; j < this.n; j++) this.xTrial[j] = x[j] + s * this.dx[j];
          const sigmaTrial = sigma + s * dSigma;
          if (this.evaluate(this.xTrial, sigmaTrial, one, this.trial) && this.strictlyFeasible(this.trial, sigmaTrial, one)
            && this.barrierValue(this.trial, sigmaTrial, t, one) <= psi0 - 0.01 * s * dec2) {
            x.set(this.xTrial);
            sigma = sigmaTrial;
            const tmp = this.cur;
            this.cur = this.trial;
            this.trial = tmp;
            accepted = true;
            break;
          }
          s *= 0.5;
        }
        this.o.onIteration?.({ iteration: iterations, gap: mActive / t, decrement2: dec2, step: accepted ? s : 0, objective: this.cur.objective });
        if (!accepted) break; // centred as far as rounding allows
      }
      if (one) {
        if (sigma < -this.o.sigmaTarget) return result('interior-found');
        if (mActive / t <= this.o.gapAtol + 1e-10) return result(sigma < 0 ? 'interior-found' : 'no-interior');
      } else if (mActive / t <= this.o.gapRtol * fScale() + this.o.gapAtol) {
        return result('solved');
      }
      t *= mu;
    }
  }

  /**
   * The first trial step: 1, or 0.99 of the step at which the linearisation of a constraint
   * reaches zero (for convex constraints the true value is at least the linear one, so longer
   * steps are never feasible).
   */
  private maxLinearStep(sigma: number, dSigma: number, one: boolean): number {
    const { nv, nc, slackSlots } = this.o;
    const P = this.problem;
    const e = this.cur;
    let sMax = 1 / 0.99;
    for (let i = 0; i < P.active.length; i++) {
      if (!P.active[i]) continue;
      const b = (i / nc) | 0;
      let slope = one && i % nc < slackSlots ? -dSigma : 0;
      for (let a = 0; a < nv; a++) slope += e.grad[i * nv + a] * this.dx[b * nv + a];
      if (slope > 0) sMax = Math.min(sMax, -this.fOf(e, i, sigma, one) / slope);
    }
    for (let k = 0; k < 2; k++) {
      const u = P.coupling[k];
      let slope = 0;
      for (let j = 0; j < this.n; j++) slope += u[j] * this.dx[j];
      if (slope > 0) sMax = Math.min(sMax, -e.couplingVal[k] / slope);
    }
    return 0.99 * sMax;
  }

  private fOf(e: Evaluation, i: number, sigma: number, one: boolean): number {
    return one && i % this.o.nc < this.o.slackSlots ? e.val[i] - sigma : e.val[i];
  }

  /** lambda_i = 1/(t (-f_i)) for every active constraint. */
  private centralMultipliers(e: Evaluation, sigma: number, t: number, one: boolean, lambda: Float64Array): void {
    const P = this.problem;
    const base = P.active.length;
    for (let i = 0; i < base; i++) lambda[i] = P.active[i] ? 1 / (t * -this.fOf(e, i, sigma, one)) : 0;
    for (let k = 0; k < 2; k++) lambda[base + k] = 1 / (t * -e.couplingVal[k]);
  }

  /** psi / t = f0 - (1/t) sum log(-f_i) (f0 = sigma in phase one). */
  private barrierValue(e: Evaluation, sigma: number, t: number, one: boolean): number {
    const P = this.problem;
    let logs = 0;
    for (let i = 0; i < P.active.length; i++) if (P.active[i]) logs += Math.log(-this.fOf(e, i, sigma, one));
    logs += Math.log(-e.couplingVal[0]) + Math.log(-e.couplingVal[1]);
    return (one ? sigma : e.objective) - logs / t;
  }

  /** Fills e at (x, sigma); false outside the domain. */
  private evaluate(x: Float64Array, sigma: number, one: boolean, e: Evaluation): boolean {
    const P = this.problem;
    if (!P.slots(x, e.val, e.grad, e.hdiag)) return false;
    if (one) {
      e.objGrad.fill(0);
      e.objH.fill(0);
      e.objective = sigma;
    } else {
      e.objective = P.objective(x, e.objGrad, e.objH);
      if (!Number.isFinite(e.objective)) return false;
    }
    for (let k = 0; k < 2; k++) {
      const u = P.coupling[k];
      let ux = 0;
      for (let j = 0; j < this.n; j++) ux += u[j] * x[j];
      e.couplingVal[k] = ux - P.couplingRhs[k];
    }
    return true;
  }

  private strictlyFeasible(e: Evaluation, sigma: number, one: boolean): boolean {
    const P = this.problem;
    for (let i = 0; i < P.active.length; i++) if (P.active[i] && !(this.fOf(e, i, sigma, one) < 0)) return false;
    return e.couplingVal[0] < 0 && e.couplingVal[1] < 0;
  }

  /**
   * Solves the reduced Newton system for dx (in this.dx) and returns d sigma (0 in phase two,
   * NaN on a numerical failure).
   */
  private newtonStep(sigma: number, lambda: Float64Array, t: number, one: boolean): number {
    const { nv, nc, slackSlots } = this.o;
    const P = this.problem;
    const M = P.M;
    const e = this.cur;
    const H = this.H;
    const r = this.rhs;
    const hcol = this.hcol;
    H.fill(0);
    hcol.fill(0);
    let hss = 0;
    let rSigma = -1;
    for (let j = 0; j < this.n; j++) r[j] = -e.objGrad[j];
    for (let b = 0; b < M; b++) {
      const hb = b * nv * nv;
      for (let a = 0; a < nv; a++) H[hb + a * nv + a] += e.objH[b * nv + a];
      for (let k = 0; k < nc; k++) {
        const i = b * nc + k;
        if (!P.active[i]) continue;
        const fi = this.fOf(e, i, sigma, one);
        const li = lambda[i];
        const w = li / -fi;
        const rho = 1 / (t * -fi);
        const g = i * nv;
        for (let a = 0; a < nv; a++) {
          const ga = e.grad[g + a];
          H[hb + a * nv + a] += li * e.hdiag[g + a];
          r[b * nv + a] -= rho * ga;
          if (ga === 0) continue;
          for (let c = 0; c < nv; c++) H[hb + a * nv + c] += w * ga * e.grad[g + c];
        }
        if (one && k < slackSlots) {
          for (let a = 0; a < nv; a++) hcol[b * nv + a] -= w * e.grad[g + a];
          hss += w;
          rSigma += rho;
        }
      }
      for (let a = 0; a < nv; a++) {
        if (P.free[b * nv + a]) continue;
        for (let c = 0; c < nv; c++) {
          H[hb + a * nv + c] = 0;
          H[hb + c * nv + a] = 0;
        }
        H[hb + a * nv + a] = 1;
        r[b * nv + a] = 0;
        hcol[b * nv + a] = 0;
      }
    }
    const d = [0, 0];
    const base = M * nc;
    for (let k = 0; k < 2; k++) {
      const u = P.coupling[k];
      const gk = e.couplingVal[k];
      d[k] = lambda[base + k] / -gk;
      const rho = 1 / (t * -gk);
      for (let j = 0; j < this.n; j++) r[j] -= rho * u[j];
    }

    this.rhsCopy.set(r);
    this.rhsSigma = rSigma;
    // Block solves: r <- Hb^-1 r, z_k <- Hb^-1 u_k, hcol <- Hb^-1 hcol.
    const [u0, u1] = P.coupling;
    this.z0.set(u0);
    this.z1.set(u1);
    for (let b = 0; b < M; b++) {
      const hb = b * nv * nv;
      if (!choleskyInPlace(H, hb, nv)) return Number.NaN;
      choleskySolveInPlace(H, hb, nv, r, b * nv);
      choleskySolveInPlace(H, hb, nv, this.z0, b * nv);
      choleskySolveInPlace(H, hb, nv, this.z1, b * nv);
      if (one) choleskySolveInPlace(H, hb, nv, hcol, b * nv);
    }
    // Woodbury with v_k = sqrt(d_k) u_k: S = I + V^T Hb^-1 V.
    const s0 = Math.sqrt(d[0]);
    const s1 = Math.sqrt(d[1]);
    let u0z0 = 0, u0z1 = 0, u1z1 = 0;
    for (let j = 0; j < this.n; j++) {
      u0z0 += u0[j] * this.z0[j];
      u0z1 += u0[j] * this.z1[j];
      u1z1 += u1[j] * this.z1[j];
    }
    const S00 = 1 + d[0] * u0z0;
    const S01 = s0 * s1 * u0z1;
    const S11 = 1 + d[1] * u1z1;
    const det = S00 * S11 - S01 * S01;
    if (!(det > 0)) return Number.NaN;
    const applyCoupling = (w: Float64Array): void => {
      let q0 = 0, q1 = 0;
      for (let j = 0; j < this.n; j++) {
        q0 += u0[j] * w[j];
        q1 += u1[j] * w[j];
      }
      q0 *= s0;
      q1 *= s1;
      const c0 = (S11 * q0 - S01 * q1) / det;
      const c1 = (S00 * q1 - S01 * q0) / det;
      for (let j = 0; j < this.n; j++) w[j] -= s0 * c0 * this.z0[j] + s1 * c1 * this.z1[j];
    };
    applyCoupling(r);
    let dSigma = 0;
    if (one) {
      applyCoupling(hcol);
      // hcol now holds A^-1 h; recover h . A^-1 r and h . A^-1 h from the unsolved h.
      const h = this.sigmaColumn(lambda, sigma, one);
      let hAr = 0, hAh = 0;
      for (let j = 0; j < this.n; j++) {
        hAr += h[j] * r[j];
        hAh += h[j] * hcol[j];
      }
      const schur = hss - hAh;
      if (!(schur > 0)) return Number.NaN;
      dSigma = (rSigma - hAr) / schur;
      for (let j = 0; j < this.n; j++) r[j] -= dSigma * hcol[j];
    }
    this.dx.set(r);
    for (let j = 0; j < this.n; j++) if (!P.free[j]) this.dx[j] = 0;
    return dSigma;
  }

  /** The x-sigma column h = -sum_slack (lambda_i / -f_i) grad f_i (free variables only). */
  private sigmaColumn(lambda: Float64Array, sigma: number, one: boolean): Float64Array {
    const { nv, nc, slackSlots } = this.o;
    const P = this.problem;
    const h = new Float64Array(this.n);
    for (let i = 0; i < P.active.length; i++) {
      if (!P.active[i] || i % nc >= slackSlots) continue;
      const w = lambda[i] / -this.fOf(this.cur, i, sigma, one);
      const b = (i / nc) | 0;
      for (let a = 0; a < nv; a++) if (P.free[b * nv + a]) h[b * nv + a] -= w * this.cur.grad[i * nv + a];
    }
    return h;
  }
}
