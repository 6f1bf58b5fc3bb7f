/**
 * A log-barrier interior-point method (Boyd & Vandenberghe, Convex Optimization, section 11.3)
 * for convex problems with SP3's structure: per-UE blocks of NV variables with their own
 * constraint slots, plus two linear coupling rows. Centring minimises
 * psi_t = F(x, sigma) - (1/t) sum log(-f_i) by Newton's method; its matrix is
 *
 *   H = blockdiag(H_1, ..., H_M) + sum_k d_k u_k u_k^T      (k = 0, 1)
 *
 * and one step costs a Cholesky of each NV x NV block plus a 2 x 2 system (Woodbury). Then
 * t <- mu t until the gap m/t is small.
 *
 * Modes:
 * - "plain": F = f0, from a strictly feasible x0.
 * - "phase-one": F = sigma, the slack slots read c_k(x) <= sigma; stops once sigma < -target,
 *   with the step capped so that sigma lands near -2 target rather than deep inside (a start
 *   close to the boundary lies closer to phase two's central path).
 * sigma is one global variable; its column is eliminated by one more Schur complement.
 *
 * Certificate: on the central path lambda_i = 1/(t (-f_i)) is dual feasible and the duality gap
 * is exactly m/t; the Newton decrement^2 at the returned point says how well it was centred.
 * Tried and dropped: a primal-dual variant (its residual-norm line search stalled on the strongly
 * curved 1/b, 1/p and 1/tau terms) and an elastic single-phase start (an exact penalty on one
 * slack; badly scaled, it needed more Newton steps than phase one + phase two).
 */
import { cholesky5InPlace, cholesky5SolveInPlace } from './small-cholesky.js';

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

export type IpmMode = 'plain' | 'phase-one';

export interface IpmOptions {
  /** Variables and constraint slots per block. */
  nv: number;
  nc: number;
  /** Slots below this index take the slack sigma in phase one. */
  slackSlots: number;
  /** Phase one stops as soon as sigma < -sigmaTarget (strictly feasible with a margin). */
  sigmaTarget: number;
  /** Plain mode stops when the gap m/t <= gapRtol |F| + gapAtol. */
  gapRtol: number;
  gapAtol: number;
  /** Plain mode: primal-dual steps after the first centring (see primalDual). */
  primalDual: boolean;
  /** Primal-dual centring: t = pdMu m / eta. */
  pdMu: number;
  /** Primal-dual steps shorter than this hand back to the barrier. */
  pdMinStep: number;
  /** Primal-dual stop: dual residual <= dualRtol max(1, |grad f0|_inf). */
  dualRtol: number;
  maxIterations: number;
  /** Barrier parameter growth per outer step: t <- mu t. */
  mu: number;
  /** The first t puts the gap m/t at this fraction of |F(x0)| (at least 1e-3 in phase one). */
  initialGapFraction: number;
  /** Centring ends when the Newton decrement^2 / 2 <= max(centringTol max(1, |F|), centringGapFraction m/t). */
  centringTol: number;
  centringGapFraction: number;
  /** Called after every Newton step (diagnostics). */
  onIteration?: (info: { iteration: number; gap: number; decrement2: number; step: number; objective: number; sigma: number }) => void;
}

export const DEFAULT_IPM_OPTIONS: IpmOptions = {
  nv: 5, nc: 7, slackSlots: 4, sigmaTarget: 1e-5,
  gapRtol: 1e-9, gapAtol: 1e-13, maxIterations: 200, mu: 100, initialGapFraction: 1e-2, centringTol: 1e-12,
  centringGapFraction: 0.01, primalDual: true, pdMu: 20, pdMinStep: 0.2, dualRtol: 1e-6,
};

export type IpmOutcome =
  | 'solved' // plain: optimum certified
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
  /** f0 at x (plain) or sigma (phase one). */
  objective: number;
  /** Duality gap m/t of the central-path multipliers. */
  gap: number;
  /** Newton decrement^2 of the last centring step (how far from the central point). */
  decrement2: number;
  iterations: number;
  /** Plain mode: the point where the first centring ended (a warm start for a similar problem). */
  firstCentre: Float64Array | null;
}

/** Values and derivatives at one point; two of these are swapped by the line search. */
class Evaluation {
  readonly val: Float64Array;
  readonly grad: Float64Array;
  readonly hdiag: Float64Array;
  readonly objGrad: Float64Array;
  readonly objH: Float64Array;
  readonly couplingVal = new Float64Array(2);
  /** f0 (0 in phase one). */
  f0 = 0;
  constructor(n: number, nSlots: number, nv: number) {
    this.val = new Float64Array(nSlots);
    this.grad = new Float64Array(nSlots * nv);
    this.hdiag = new Float64Array(nSlots * nv);
    this.objGrad = new Float64Array(n);
    this.objH = new Float64Array(n);
  }
}

export class BlockIpm {
  private o: IpmOptions = DEFAULT_IPM_OPTIONS;
  private problem!: BlockProblem;
  private readonly n: number;
  private cur: Evaluation;
  private trial: Evaluation;
  private readonly H: Float64Array;
  private readonly rhs: Float64Array;
  private readonly hcol: Float64Array;
  private readonly hcolSolved: Float64Array;
  private readonly z0: Float64Array;
  private readonly z1: Float64Array;
  private readonly dx: Float64Array;
  private readonly xTrial: Float64Array;
  private readonly rhsCopy: Float64Array;
  private rhsSigma = 0;
  private readonly dLambda: Float64Array;
  private readonly hCopy: Float64Array;
  private readonly refine: Float64Array;
  private readonly lambdaTrial: Float64Array;
  // Mode of the current solve: phase one has sigma and no f0.
  private withSigma = false;
  /** [M * nc] 1 for active slack slots when the slack is on, so f_i = val_i - sigma there. */
  private readonly slackMask: Uint8Array;

  /** Work arrays for problems of M blocks of nv variables and nc slots, reused by every solve. */
  constructor(readonly M: number, readonly nv = DEFAULT_IPM_OPTIONS.nv, readonly nc = DEFAULT_IPM_OPTIONS.nc) {
    if (nv !== 5) throw new Error('BlockIpm factors 5 x 5 blocks (SP3 has five variables per UE)');
    this.n = M * nv;
    this.cur = new Evaluation(this.n, M * nc, nv);
    this.trial = new Evaluation(this.n, M * nc, nv);
    this.H = new Float64Array(M * nv * nv);
    this.rhs = new Float64Array(this.n);
    this.hcol = new Float64Array(this.n);
    this.hcolSolved = new Float64Array(this.n);
    this.z0 = new Float64Array(this.n);
    this.z1 = new Float64Array(this.n);
    this.dx = new Float64Array(this.n);
    this.xTrial = new Float64Array(this.n);
    this.rhsCopy = new Float64Array(this.n);
    this.slackMask = new Uint8Array(M * nc);
    this.dLambda = new Float64Array(M * nc + 2);
    this.hCopy = new Float64Array(M * 25);
    this.refine = new Float64Array(this.n);
    this.lambdaTrial = new Float64Array(M * nc + 2);
  }

  /**
   * Minimises `problem` from x0 (strictly inside every constraint that does not take the slack)
   * in the given mode; in phase one sigma0 must exceed every slack slot at x0.
   */
  solve(problem: BlockProblem, x0: Float64Array, mode: IpmMode, sigma0 = 0, options: Partial<IpmOptions> = {}): IpmResult {
    if (problem.M !== this.M) throw new Error(`BlockIpm sized for M = ${this.M} got a problem with M = ${problem.M}`);
    this.problem = problem;
    this.o = { ...DEFAULT_IPM_OPTIONS, ...options, nv: this.nv, nc: this.nc };
    const { nc, mu } = this.o;
    const P = problem;
    const M = P.M;
    this.withSigma = mode === 'phase-one';
    for (let i = 0; i < M * nc; i++) this.slackMask[i] = this.withSigma && i % nc < this.o.slackSlots ? 1 : 0;
    const x = x0.slice();
    let sigma = this.withSigma ? sigma0 : 0;
    const lambda = new Float64Array(M * nc + 2); // slots, then the two coupling rows
    let iterations = 0;
    let t = 0;
    let decrement2 = Number.NaN;
    let mActive = 2;
    for (let i = 0; i < M * nc; i++) mActive += P.active[i];
    const result = (outcome: IpmOutcome, pdGap?: number): IpmResult => {
      if (pdGap === undefined) this.centralMultipliers(this.cur, sigma, t, lambda);
      return {
        outcome, x, sigma, lambda: lambda.slice(0, M * nc), lambdaCoupling: lambda.slice(M * nc),
        objective: this.withSigma ? sigma : this.cur.f0, gap: pdGap ?? mActive / t, decrement2, iterations, firstCentre,
      };
    };
    if (!this.evaluate(x, this.cur) || !this.strictlyFeasible(this.cur, sigma)) return result('numerical-failure');
    const fScale = (): number => Math.max(1, Math.abs(this.objectiveOf(this.cur, sigma)));
    const start = mode === 'phase-one' ? Math.max(Math.abs(sigma), 1e-3) : Math.abs(this.objectiveOf(this.cur, sigma));
    t = mActive / (this.o.initialGapFraction * start + this.o.gapAtol);
    let usePrimalDual = this.o.primalDual;
    let firstCentre: Float64Array | null = null;

    for (;;) {
      // Centring: Newton on psi_t with backtracking (feasibility, then Armijo).
      for (;;) {
        if (iterations >= this.o.maxIterations) return result('max-iterations');
        if (mode === 'phase-one' && sigma < -this.o.sigmaTarget) return result('interior-found');
        this.centralMultipliers(this.cur, sigma, t, lambda);
        const dSigma = this.newtonStep(sigma, lambda, t);
        if (Number.isNaN(dSigma)) return result('numerical-failure');
        iterations++;
        // Newton decrement^2 = -grad(psi_t) . step (psi scaled by 1/t, in units of F).
        let dec2 = this.withSigma ? this.rhsSigma * dSigma : 0;
        for (let j = 0; j < this.n; j++) dec2 += this.rhsCopy[j] * this.dx[j];
        decrement2 = dec2;
        if (!(dec2 >= 0) || !Number.isFinite(dec2)) return result('numerical-failure');
        // Approximate centring: the point's distance to the central point (about dec2/2 in psi)
        // only needs to be small beside the gap m/t that the certificate reports.
        if (dec2 / 2 <= Math.max(this.o.centringTol * fScale(), this.o.centringGapFraction * (mActive / t))) break;
        const psi0 = this.barrierValue(this.cur, sigma, t);
        let s = this.maxLinearStep(sigma, dSigma);
        let accepted = false;
        while (s > 1e-12) {
          for (let j = 0; j < this.n; j++) this.xTrial[j] = x[j] + s * this.dx[j];
          const sigmaTrial = sigma + s * dSigma;
          if (this.evaluate(this.xTrial, this.trial) && this.strictlyFeasible(this.trial, sigmaTrial)
            && this.barrierValue(this.trial, sigmaTrial, t) <= psi0 - 0.01 * s * dec2) {
            this.acceptTrial(x);
            sigma = sigmaTrial;
            accepted = true;
            break;
          }
          s *= 0.5;
        }
        this.o.onIteration?.({ iteration: iterations, gap: mActive / t, decrement2: dec2, step: accepted ? s : 0, objective: this.cur.f0, sigma });
        if (!accepted) break; // centred as far as rounding allows
      }
      if (mode === 'plain' && firstCentre === null) firstCentre = x.slice();
      if (mode === 'plain' && usePrimalDual) {
        // From the first central point, primal-dual steps reduce the gap much faster than
        // re-centring at t <- mu t; if they stall, the barrier continues from where they stopped.
        this.centralMultipliers(this.cur, sigma, t, lambda);
        const pd = this.primalDual(x, lambda, mActive, this.o.maxIterations - iterations);
        iterations += pd.iterations;
        if (pd.solved) return result('solved', pd.gap);
        if (pd.failed) return result('numerical-failure', pd.gap);
        t = Math.max(t, mActive / pd.gap);
        usePrimalDual = false;
      }
      if (mode === 'phase-one') {
        if (sigma < -this.o.sigmaTarget) return result('interior-found');
        if (mActive / t <= this.o.gapAtol + 1e-10) return result(sigma < 0 ? 'interior-found' : 'no-interior');
      } else if (mActive / t <= this.o.gapRtol * fScale() + this.o.gapAtol) {
        return result('solved');
      }
      t *= mu;
    }
  }

  /**
   * Primal-dual interior-point steps (Boyd & Vandenberghe section 11.7) from a strictly feasible
   * x with multipliers lambda > 0, in place. Same Newton matrix as the barrier's with the current
   * lambda; dual update lambda + s dlambda; backtracking on the residual norm.
   */
  private primalDual(x: Float64Array, lambda: Float64Array, mActive: number, budget: number): { solved: boolean; failed: boolean; gap: number; iterations: number } {
    const { nc } = this.o;
    const P = this.problem;
    const nl = lambda.length;
    const base = P.active.length;
    const dl = this.dLambda;
    const lt = this.lambdaTrial;
    let gap = Infinity;
    for (let it = 0; it < budget; it++) {
      gap = this.pdGap(this.cur, lambda);
      const t = (this.o.pdMu * mActive) / gap;
      const { norm: r0, dualInf: dual } = this.pdResidual(this.cur, lambda, t);
      let gradScale = 1;
      for (let j = 0; j < this.n; j++) gradScale = Math.max(gradScale, Math.abs(this.cur.objGrad[j]));
      if (!Number.isFinite(gap) || !Number.isFinite(dual)) return { solved: false, failed: true, gap, iterations: it };
      if (gap <= this.o.gapRtol * Math.abs(this.cur.f0) + this.o.gapAtol && dual <= this.o.dualRtol * gradScale) {
        return { solved: true, failed: false, gap, iterations: it };
      }
      if (Number.isNaN(this.newtonStep(0, lambda, t))) return { solved: false, failed: true, gap, iterations: it };
      const e = this.cur;
      let sMax = 1;
      const active = P.active;
      const grad = e.grad;
      const val = e.val;
      const dx = this.dx;
      const invT = 1 / t;
      for (let i = 0; i < base; i++) {
        if (!active[i]) {
          dl[i] = 0;
          continue;
        }
        const xb = ((i / nc) | 0) * 5;
        const g = i * 5;
        const gdx = grad[g] * dx[xb] + grad[g + 1] * dx[xb + 1] + grad[g + 2] * dx[xb + 2] + grad[g + 3] * dx[xb + 3] + grad[g + 4] * dx[xb + 4];
        const li = lambda[i];
        const d = -li + (invT + li * gdx) / -val[i];
        dl[i] = d;
        if (d < 0) sMax = Math.min(sMax, -li / d);
      }
      for (let k = 0; k < 2; k++) {
        const u = P.coupling[k];
        let udx = 0;
        for (let j = 0; j < this.n; j++) udx += u[j] * this.dx[j];
        dl[base + k] = -lambda[base + k] + (1 / t + lambda[base + k] * udx) / -e.couplingVal[k];
        if (dl[base + k] < 0) sMax = Math.min(sMax, -lambda[base + k] / dl[base + k]);
      }
      let s = Math.min(0.99 * sMax, this.maxLinearStep(0, 0));
      let accepted = false;
      while (s > 1e-10) {
        for (let j = 0; j < this.n; j++) this.xTrial[j] = x[j] + s * this.dx[j];
        if (this.evaluate(this.xTrial, this.trial) && this.strictlyFeasible(this.trial, 0)) {
          for (let i = 0; i < nl; i++) lt[i] = lambda[i] + s * dl[i];
          if (this.pdResidual(this.trial, lt, t).norm <= (1 - 0.01 * s) * r0) {
            this.acceptTrial(x);
            lambda.set(lt);
            accepted = true;
            break;
          }
        }
        s *= 0.5;
      }
      this.o.onIteration?.({ iteration: -it, gap, decrement2: dual, step: accepted ? s : 0, objective: this.cur.f0, sigma: 0 });
      // A short step means the primal-dual iteration has reached its accuracy limit (rounding in
      // the nearly active constraints); the barrier takes over from here.
      if (!accepted || s < this.o.pdMinStep) return { solved: false, failed: false, gap: this.pdGap(this.cur, lambda), iterations: it + 1 };
    }
    return { solved: false, failed: false, gap, iterations: budget };
  }

  /** Surrogate duality gap eta = -sum f_i lambda_i (plain mode). */
  private pdGap(e: Evaluation, lambda: Float64Array): number {
    const active = this.problem.active;
    let gap = 0;
    for (let i = 0; i < active.length; i++) if (active[i]) gap -= e.val[i] * lambda[i];
    return gap - e.couplingVal[0] * lambda[active.length] - e.couplingVal[1] * lambda[active.length + 1];
  }

  /**
   * The primal-dual residual at (e, lambda): the dual part grad f0 + sum lambda_i grad f_i +
   * sum lambda_k u_k over the free variables and the centring part -lambda_i f_i - 1/t. Returns
   * the 2-norm of both (for the line search); `dualInf` receives the dual part's inf-norm.
   */
  private pdResidual(e: Evaluation, lambda: Float64Array, t: number): { norm: number; dualInf: number } {
    const { nc } = this.o;
    const P = this.problem;
    const active = P.active;
    const free = P.free;
    const grad = e.grad;
    const val = e.val;
    const objGrad = e.objGrad;
    const [u0, u1] = P.coupling;
    const base = active.length;
    const lc0 = lambda[base];
    const lc1 = lambda[base + 1];
    const invT = 1 / t;
    let sq = 0;
    let dualInf = 0;
    for (let b = 0; b < P.M; b++) {
      const xb = b * 5;
      let d0 = objGrad[xb] + lc0 * u0[xb] + lc1 * u1[xb];
      let d1 = objGrad[xb + 1] + lc0 * u0[xb + 1] + lc1 * u1[xb + 1];
      let d2 = objGrad[xb + 2] + lc0 * u0[xb + 2] + lc1 * u1[xb + 2];
      let d3 = objGrad[xb + 3] + lc0 * u0[xb + 3] + lc1 * u1[xb + 3];
      let d4 = objGrad[xb + 4] + lc0 * u0[xb + 4] + lc1 * u1[xb + 4];
      for (let k = 0; k < nc; k++) {
        const i = b * nc + k;
        if (!active[i]) continue;
        const li = lambda[i];
        const g = i * 5;
        d0 += li * grad[g];
        d1 += li * grad[g + 1];
        d2 += li * grad[g + 2];
        d3 += li * grad[g + 3];
        d4 += li * grad[g + 4];
        const rc = -li * val[i] - invT;
        sq += rc * rc;
      }
      if (free[xb]) { sq += d0 * d0; dualInf = Math.max(dualInf, Math.abs(d0)); }
      if (free[xb + 1]) { sq += d1 * d1; dualInf = Math.max(dualInf, Math.abs(d1)); }
      if (free[xb + 2]) { sq += d2 * d2; dualInf = Math.max(dualInf, Math.abs(d2)); }
      if (free[xb + 3]) { sq += d3 * d3; dualInf = Math.max(dualInf, Math.abs(d3)); }
      if (free[xb + 4]) { sq += d4 * d4; dualInf = Math.max(dualInf, Math.abs(d4)); }
    }
    for (let k = 0; k < 2; k++) {
      const rc = -lambda[base + k] * e.couplingVal[k] - invT;
      sq += rc * rc;
    }
    return { norm: Math.sqrt(sq), dualInf };
  }

  /** Moves x to the trial point, whose evaluation becomes the current one. */
  private acceptTrial(x: Float64Array): void {
    x.set(this.xTrial);
    const tmp = this.cur;
    this.cur = this.trial;
    this.trial = tmp;
  }

  /** F = f0 (plain) or sigma (phase one). */
  private objectiveOf(e: Evaluation, sigma: number): number {
    return this.withSigma ? sigma : e.f0;
  }

  /**
   * The first trial step: 1, or 0.99 of the step at which the linearisation of a constraint
   * reaches zero (for convex constraints the true value is at least the linear one, so longer
   * steps are never feasible).
   */
  private maxLinearStep(sigma: number, dSigma: number): number {
    const { nc } = this.o;
    const P = this.problem;
    const e = this.cur;
    let sMax = 1 / 0.99;
    const active = P.active;
    const slackMask = this.slackMask;
    const grad = e.grad;
    const val = e.val;
    const dx = this.dx;
    for (let i = 0; i < active.length; i++) {
      if (!active[i]) continue;
      const xb = ((i / nc) | 0) * 5;
      const g = i * 5;
      const slope = (slackMask[i] ? -dSigma : 0) + grad[g] * dx[xb] + grad[g + 1] * dx[xb + 1]
        + grad[g + 2] * dx[xb + 2] + grad[g + 3] * dx[xb + 3] + grad[g + 4] * dx[xb + 4];
      if (slope > 0) sMax = Math.min(sMax, -(slackMask[i] ? val[i] - sigma : val[i]) / slope);
    }
    for (let k = 0; k < 2; k++) {
      const u = P.coupling[k];
      let slope = 0;
      for (let j = 0; j < this.n; j++) slope += u[j] * this.dx[j];
      if (slope > 0) sMax = Math.min(sMax, -e.couplingVal[k] / slope);
    }
    // Phase one: land sigma near -2 sigmaTarget rather than deep inside.
    if (this.withSigma && dSigma < 0) sMax = Math.min(sMax, Math.max(0, sigma + 2 * this.o.sigmaTarget) / -dSigma / 0.99);
    return 0.99 * sMax;
  }

  /** lambda_i = 1/(t (-f_i)) for every active constraint. */
  private centralMultipliers(e: Evaluation, sigma: number, t: number, lambda: Float64Array): void {
    const active = this.problem.active;
    const slackMask = this.slackMask;
    const val = e.val;
    const base = active.length;
    for (let i = 0; i < base; i++) lambda[i] = active[i] ? 1 / (t * (slackMask[i] ? sigma - val[i] : -val[i])) : 0;
    for (let k = 0; k < 2; k++) lambda[base + k] = 1 / (t * -e.couplingVal[k]);
  }

  /** psi_t = F - (1/t) sum log(-f_i). */
  private barrierValue(e: Evaluation, sigma: number, t: number): number {
    const active = this.problem.active;
    const slackMask = this.slackMask;
    const val = e.val;
    let logs = 0;
    for (let i = 0; i < active.length; i++) if (active[i]) logs += Math.log(slackMask[i] ? sigma - val[i] : -val[i]);
    logs += Math.log(-e.couplingVal[0]) + Math.log(-e.couplingVal[1]);
    return this.objectiveOf(e, sigma) - logs / t;
  }

  /** Fills e at x; false outside the domain. */
  private evaluate(x: Float64Array, e: Evaluation): boolean {
    const P = this.problem;
    if (!P.slots(x, e.val, e.grad, e.hdiag)) return false;
    if (this.withSigma) {
      e.objGrad.fill(0);
      e.objH.fill(0);
      e.f0 = 0;
    } else {
      e.f0 = P.objective(x, e.objGrad, e.objH);
      if (!Number.isFinite(e.f0)) return false;
    }
    for (let k = 0; k < 2; k++) {
      const u = P.coupling[k];
      let ux = 0;
      for (let j = 0; j < this.n; j++) ux += u[j] * x[j];
      e.couplingVal[k] = ux - P.couplingRhs[k];
    }
    return true;
  }

  private strictlyFeasible(e: Evaluation, sigma: number): boolean {
    const active = this.problem.active;
    const slackMask = this.slackMask;
    const val = e.val;
    for (let i = 0; i < active.length; i++) if (active[i] && !((slackMask[i] ? val[i] - sigma : val[i]) < 0)) return false;
    return e.couplingVal[0] < 0 && e.couplingVal[1] < 0;
  }

  /**
   * Solves the Newton system of psi_t for dx (in this.dx) and returns d sigma (0 without sigma,
   * NaN on a numerical failure). Right-hand sides use the central multipliers lambda.
   */
  private newtonStep(sigma: number, lambda: Float64Array, t: number): number {
    const { nv, nc } = this.o;
    const P = this.problem;
    const M = P.M;
    const e = this.cur;
    const H = this.H;
    const r = this.rhs;
    const hcol = this.hcol;
    hcol.fill(0);
    // sigma's curvature and right-hand side (minus the gradient of psi_t / t), phase one only.
    let hss = 0;
    let rSigma = -1;
    const objGrad = e.objGrad;
    const objH = e.objH;
    const val = e.val;
    const grad = e.grad;
    const hdiag = e.hdiag;
    const active = P.active;
    const free = P.free;
    const slackMask = this.slackMask;
    for (let b = 0; b < M; b++) {
      const xb = b * 5;
      // The block's upper triangle and right-hand side, accumulated in locals.
      let h00 = objH[xb], h11 = objH[xb + 1], h22 = objH[xb + 2], h33 = objH[xb + 3], h44 = objH[xb + 4];
      let h01 = 0, h02 = 0, h03 = 0, h04 = 0, h12 = 0, h13 = 0, h14 = 0, h23 = 0, h24 = 0, h34 = 0;
      let r0 = -objGrad[xb], r1 = -objGrad[xb + 1], r2 = -objGrad[xb + 2], r3 = -objGrad[xb + 3], r4 = -objGrad[xb + 4];
      for (let k = 0; k < nc; k++) {
        const i = b * nc + k;
        if (!active[i]) continue;
        const slack = slackMask[i];
        const fi = slack ? val[i] - sigma : val[i];
        const li = lambda[i];
        const w = li / -fi;
        const rho = 1 / (t * -fi);
        const g = i * 5;
        const g0 = grad[g], g1 = grad[g + 1], g2 = grad[g + 2], g3 = grad[g + 3], g4 = grad[g + 4];
        const w0 = w * g0, w1 = w * g1, w2 = w * g2, w3 = w * g3;
        h00 += li * hdiag[g] + w0 * g0;
        h11 += li * hdiag[g + 1] + w1 * g1;
        h22 += li * hdiag[g + 2] + w2 * g2;
        h33 += li * hdiag[g + 3] + w3 * g3;
        h44 += li * hdiag[g + 4] + w * g4 * g4;
        h01 += w0 * g1; h02 += w0 * g2; h03 += w0 * g3; h04 += w0 * g4;
        h12 += w1 * g2; h13 += w1 * g3; h14 += w1 * g4;
        h23 += w2 * g3; h24 += w2 * g4;
        h34 += w3 * g4;
        r0 -= rho * g0; r1 -= rho * g1; r2 -= rho * g2; r3 -= rho * g3; r4 -= rho * g4;
        if (slack) {
          hcol[xb] -= w0; hcol[xb + 1] -= w1; hcol[xb + 2] -= w2; hcol[xb + 3] -= w3; hcol[xb + 4] -= w * g4;
          hss += w;
          rSigma += rho;
        }
      }
      const hb = b * 25;
      H[hb] = h00; H[hb + 1] = h01; H[hb + 2] = h02; H[hb + 3] = h03; H[hb + 4] = h04;
      H[hb + 5] = h01; H[hb + 6] = h11; H[hb + 7] = h12; H[hb + 8] = h13; H[hb + 9] = h14;
      H[hb + 10] = h02; H[hb + 11] = h12; H[hb + 12] = h22; H[hb + 13] = h23; H[hb + 14] = h24;
      H[hb + 15] = h03; H[hb + 16] = h13; H[hb + 17] = h23; H[hb + 18] = h33; H[hb + 19] = h34;
      H[hb + 20] = h04; H[hb + 21] = h14; H[hb + 22] = h24; H[hb + 23] = h34; H[hb + 24] = h44;
      r[xb] = r0; r[xb + 1] = r1; r[xb + 2] = r2; r[xb + 3] = r3; r[xb + 4] = r4;
      // Fixed variables get an identity row (their gradients are zero, so the step leaves them).
      for (let a = 0; a < 5; a++) {
        if (free[xb + a]) continue;
        for (let c = 0; c < 5; c++) {
          H[hb + a * 5 + c] = 0;
          H[hb + c * 5 + a] = 0;
        }
        H[hb + a * 5 + a] = 1;
        r[xb + a] = 0;
        hcol[xb + a] = 0;
      }
    }
    const base = M * nc;
    let d0 = 0;
    let d1 = 0;
    for (let k = 0; k < 2; k++) {
      const u = P.coupling[k];
      const gk = e.couplingVal[k];
      if (k === 0) d0 = lambda[base] / -gk;
      else d1 = lambda[base + 1] / -gk;
      const rho = 1 / (t * -gk);
      for (let j = 0; j < this.n; j++) r[j] -= rho * u[j];
    }
    this.rhsCopy.set(r);
    this.rhsSigma = rSigma;

    if (!this.withSigma) this.hCopy.set(H);
    // Block solves: r <- Hb^-1 r, z_k <- Hb^-1 u_k, hcolSolved <- Hb^-1 hcol.
    const [u0, u1] = P.coupling;
    this.z0.set(u0);
    this.z1.set(u1);
    this.hcolSolved.set(hcol);
    for (let b = 0; b < M; b++) {
      const hb = b * nv * nv;
      if (!cholesky5InPlace(H, hb)) return Number.NaN;
      cholesky5SolveInPlace(H, hb, b * nv, r, this.z0, this.z1);
      if (this.withSigma) cholesky5SolveInPlace(H, hb, b * nv, this.hcolSolved);
    }
    // Woodbury with v_k = sqrt(d_k) u_k: S = I + V^T Hb^-1 V.
    const s0 = Math.sqrt(d0);
    const s1 = Math.sqrt(d1);
    const z0 = this.z0;
    const z1 = this.z1;
    const n = this.n;
    let u0z0 = 0, u0z1 = 0, u1z1 = 0;
    for (let j = 0; j < n; j++) {
      u0z0 += u0[j] * z0[j];
      u0z1 += u0[j] * z1[j];
      u1z1 += u1[j] * z1[j];
    }
    const S00 = 1 + d0 * u0z0;
    const S01 = s0 * s1 * u0z1;
    const S11 = 1 + d1 * u1z1;
    const det = S00 * S11 - S01 * S01;
    if (!(det > 0)) return Number.NaN;
    const applyCoupling = (w: Float64Array): void => {
      let q0 = 0, q1 = 0;
      for (let j = 0; j < n; j++) {
        q0 += u0[j] * w[j];
        q1 += u1[j] * w[j];
      }
      q0 *= s0;
      q1 *= s1;
      const c0 = s0 * ((S11 * q0 - S01 * q1) / det);
      const c1 = s1 * ((S00 * q1 - S01 * q0) / det);
      for (let j = 0; j < n; j++) w[j] -= c0 * z0[j] + c1 * z1[j];
    };
    applyCoupling(r);
    let dSigma = 0;
    if (this.withSigma) {
      // [A h; h^T hss] [dx; dsigma] = [r; rSigma] with A^-1 r and A^-1 h from Woodbury.
      applyCoupling(this.hcolSolved);
      let hAr = 0, hAh = 0;
      for (let j = 0; j < this.n; j++) {
        hAr += hcol[j] * r[j];
        hAh += hcol[j] * this.hcolSolved[j];
      }
      const schur = hss - hAh;
      if (!(schur > 0)) return Number.NaN;
      dSigma = (rSigma - hAr) / schur;
      for (let j = 0; j < this.n; j++) r[j] -= dSigma * this.hcolSolved[j];
    }
    if (!this.withSigma) {
      // One step of iterative refinement: the Woodbury update subtracts nearly equal vectors
      // when a coupling row is almost active, and late primal-dual steps need the accuracy.
      const res = this.refine;
      const rhs = this.rhsCopy;
      let u0x = 0, u1x = 0;
      for (let j = 0; j < n; j++) {
        u0x += u0[j] * r[j];
        u1x += u1[j] * r[j];
      }
      const hc = this.hCopy;
      for (let b = 0; b < M; b++) {
        const hb = b * 25;
        const xb = b * 5;
        for (let a = 0; a < 5; a++) {
          const row = hb + a * 5;
          res[xb + a] = rhs[xb + a] - d0 * u0[xb + a] * u0x - d1 * u1[xb + a] * u1x
            - (hc[row] * r[xb] + hc[row + 1] * r[xb + 1] + hc[row + 2] * r[xb + 2] + hc[row + 3] * r[xb + 3] + hc[row + 4] * r[xb + 4]);
        }
        cholesky5SolveInPlace(H, hb, xb, res);
      }
      applyCoupling(res);
      for (let j = 0; j < n; j++) r[j] += res[j];
    }
    this.dx.set(r);
    for (let j = 0; j < this.n; j++) if (!P.free[j]) this.dx[j] = 0;
    return dSigma;
  }
}
