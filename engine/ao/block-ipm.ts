/**
 * An interior-point method for convex problems with SP3's structure (block-problem.ts): per-UE
 * blocks of nv variables (five in SP3, six in the joint surrogate) with their own constraint slots, plus two linear coupling rows. Every
 * step solves the block Newton system of block-newton.ts, O(M) work.
 *
 * Plain mode (phase two), from a strictly feasible x0:
 * 1. Log-barrier centring (Boyd & Vandenberghe section 11.3): Newton on
 *    psi_t = f0 - (1/t) sum log(-f_i), backtracking for feasibility then Armijo on psi_t, until
 *    the Newton decrement is small beside the gap m/t.
 * 2. From that central point, primal-dual steps (section 11.7: the same Newton matrix with the
 *    current multipliers, t = pdMu m / eta, backtracking on the residual norm) cut the gap about
 *    20x a step.
 * 3. If a primal-dual step comes out short (rounding near a tight constraint), barrier centring
 *    continues from there with t <- mu t until m/t is small.
 * Phase-one mode minimises one global slack sigma with the slack slots read c_k(x) <= sigma, by
 * barrier centring alone, and stops once sigma < -target (the step is capped so that sigma lands
 * near -2 target rather than deep inside: a start close to the boundary lies closer to phase
 * two's central path).
 *
 * Certificate: the duality gap of the returned multipliers (m/t on the central path, eta after
 * primal-dual steps) below gapRtol |f0|, with the Newton decrement or the dual residual reported.
 * Tried and dropped: primal-dual steps from the start (poorly centred multipliers made them
 * crawl) and an elastic single-phase start (an exact penalty on one slack; badly scaled, it
 * needed more Newton steps than phase one + phase two).
 */
import { BlockNewtonSystem } from './block-newton.js';
import { dualityGap, primalDualResidual } from './block-kkt.js';
import { Evaluation, type BlockProblem } from './block-problem.js';
import { START_PHASE_ONE_TARGET } from './solver-constants.js';

export type { BlockProblem } from './block-problem.js';

export type IpmMode = 'plain' | 'phase-one';

export interface IpmOptions {
  /**
   * Phase one stops as soon as sigma < -sigmaTarget (strictly feasible with a margin); the
   * problem's slots 0 .. slackSlots - 1 take the slack.
   */
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
}

export const DEFAULT_IPM_OPTIONS: IpmOptions = {
  sigmaTarget: START_PHASE_ONE_TARGET,
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

export class BlockIpm {
  private o: IpmOptions = DEFAULT_IPM_OPTIONS;
  private problem!: BlockProblem;
  private readonly n: number;
  private cur: Evaluation;
  private trial: Evaluation;
  private readonly xTrial: Float64Array;
  private readonly newton: BlockNewtonSystem;
  private readonly dx: Float64Array;
  private readonly dLambda: Float64Array;
  private readonly lambdaTrial: Float64Array;
  // Mode of the current solve: phase one has sigma and no f0.
  private withSigma = false;
  /** [M * nc] 1 for active slack slots when the slack is on, so f_i = val_i - sigma there. */
  private readonly slackMask: Uint8Array;

  /** Work arrays for problems of M blocks of nv variables and nc slots, reused by every solve. */
  constructor(readonly M: number, readonly nv: number, readonly nc: number, readonly nCross: number) {
    this.n = M * nv;
    this.cur = new Evaluation(this.n, M * nc, nv, nCross);
    this.trial = new Evaluation(this.n, M * nc, nv, nCross);
    this.xTrial = new Float64Array(this.n);
    this.slackMask = new Uint8Array(M * nc);
    this.newton = new BlockNewtonSystem(M, nv);
    this.dx = this.newton.dx;
    this.dLambda = new Float64Array(M * nc + 2);
    this.lambdaTrial = new Float64Array(M * nc + 2);
  }

  /**
   * Minimises `problem` from x0 (strictly inside every constraint that does not take the slack)
   * in the given mode; in phase one sigma0 must exceed every slack slot at x0.
   */
  solve(problem: BlockProblem, x0: Float64Array, mode: IpmMode, sigma0 = 0, options: Partial<IpmOptions> = {}): IpmResult {
    if (problem.M !== this.M || problem.nv !== this.nv || problem.active.length !== this.M * this.nc || problem.crossPairs.length !== this.nCross) {
      throw new Error(`BlockIpm sized for M = ${this.M}, nv = ${this.nv}, nc = ${this.nc}, ${this.nCross} cross pairs got another problem shape`);
    }
    if (!(Number.isInteger(problem.slackSlots) && problem.slackSlots >= 0 && problem.slackSlots <= this.nc)) {
      throw new Error(`BlockIpm: problem.slackSlots must be an integer in [0, ${this.nc}], got ${problem.slackSlots}`);
    }
    this.problem = problem;
    this.o = { ...DEFAULT_IPM_OPTIONS, ...options };
    const { nc } = this;
    const { mu } = this.o;
    const P = problem;
    const M = P.M;
    this.withSigma = mode === 'phase-one';
    for (let i = 0; i < M * nc; i++) this.slackMask[i] = this.withSigma && i % nc < P.slackSlots ? 1 : 0;
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
        const dSigma = this.newton.solve(this.problem, this.cur, this.slackMask, this.withSigma, sigma, lambda, t);
        if (Number.isNaN(dSigma)) return result('numerical-failure');
        iterations++;
        // Newton decrement^2 = -grad(psi_t) . step (psi scaled by 1/t, in units of F).
        let dec2 = this.withSigma ? this.newton.rhsSigma * dSigma : 0;
        for (let j = 0; j < this.n; j++) dec2 += this.newton.rhsCopy[j] * this.dx[j];
        decrement2 = dec2;
        if (!Number.isFinite(dec2)) return result('numerical-failure');
        // dec2 = rhs' H^-1 rhs > 0 in exact arithmetic. Late in the barrier (t ~ 1e10) the Newton
        // system is so ill-conditioned that a step this small comes out with the wrong sign: no
        // descent is possible at this t, so the point is centred as far as rounding allows (as
        // when the line search fails). A clearly negative dec2 is a failure.
        if (dec2 < 0) {
          if (-dec2 <= this.o.gapRtol * fScale()) break;
          return result('numerical-failure');
        }
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
    const { nc } = this;
    const nv = this.nv;
    const P = this.problem;
    const nl = lambda.length;
    const base = P.active.length;
    const dl = this.dLambda;
    const lt = this.lambdaTrial;
    let gap = Infinity;
    for (let it = 0; it < budget; it++) {
      gap = dualityGap(this.problem, this.cur, lambda);
      const t = (this.o.pdMu * mActive) / gap;
      const { norm: r0, dualInf: dual } = primalDualResidual(this.problem, this.cur, lambda, t);
      let gradScale = 1;
      for (let j = 0; j < this.n; j++) gradScale = Math.max(gradScale, Math.abs(this.cur.objGrad[j]));
      if (!Number.isFinite(gap) || !Number.isFinite(dual)) return { solved: false, failed: true, gap, iterations: it };
      if (gap <= this.o.gapRtol * Math.abs(this.cur.f0) + this.o.gapAtol && dual <= this.o.dualRtol * gradScale) {
        return { solved: true, failed: false, gap, iterations: it };
      }
      if (Number.isNaN(this.newton.solve(this.problem, this.cur, this.slackMask, this.withSigma, 0, lambda, t))) return { solved: false, failed: true, gap, iterations: it };
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
        const gdx = nv === 5 ? slotSlope5(grad, i, dx, nc) : slotSlope(grad, i, dx, nc, nv);
        const li = lambda[i];
        const d = -li + (invT + li * gdx) / -val[i];
        dl[i] = d;
        if (d < 0) sMax = Math.min(sMax, -li / d);
      }
      for (let k = 0; k < 2; k++) {
        const row = P.coupling[k];
        let udx = 0;
        for (let j = 0; j < this.n; j++) udx += row[j] * this.dx[j];
        dl[base + k] = -lambda[base + k] + (1 / t + lambda[base + k] * udx) / -e.couplingVal[k];
        if (dl[base + k] < 0) sMax = Math.min(sMax, -lambda[base + k] / dl[base + k]);
      }
      let s = Math.min(0.99 * sMax, this.maxLinearStep(0, 0));
      let accepted = false;
      while (s > 1e-10) {
        for (let j = 0; j < this.n; j++) this.xTrial[j] = x[j] + s * this.dx[j];
        if (this.evaluate(this.xTrial, this.trial) && this.strictlyFeasible(this.trial, 0)) {
          for (let i = 0; i < nl; i++) lt[i] = lambda[i] + s * dl[i];
          if (primalDualResidual(this.problem, this.trial, lt, t).norm <= (1 - 0.01 * s) * r0) {
            this.acceptTrial(x);
            lambda.set(lt);
            accepted = true;
            break;
          }
        }
        s *= 0.5;
      }
      // A short step means the primal-dual iteration has reached its accuracy limit (rounding in
      // the nearly active constraints); the barrier takes over from here.
      if (!accepted || s < this.o.pdMinStep) return { solved: false, failed: false, gap: dualityGap(this.problem, this.cur, lambda), iterations: it + 1 };
    }
    return { solved: false, failed: false, gap, iterations: budget };
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
    const { nc } = this;
    const nv = this.nv;
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
      const slope = (slackMask[i] ? -dSigma : 0) + (nv === 5 ? slotSlope5(grad, i, dx, nc) : slotSlope(grad, i, dx, nc, nv));
      if (slope > 0) sMax = Math.min(sMax, -(slackMask[i] ? val[i] - sigma : val[i]) / slope);
    }
    for (let k = 0; k < 2; k++) {
      const row = P.coupling[k];
      let slope = 0;
      for (let j = 0; j < this.n; j++) slope += row[j] * this.dx[j];
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
    if (!P.slots(x, e.val, e.grad, e.hdiag, e.hcross)) return false;
    if (this.withSigma) {
      e.objGrad.fill(0);
      e.objH.fill(0);
      e.objHCross.fill(0);
      e.f0 = 0;
    } else {
      e.f0 = P.objective(x, e.objGrad, e.objH, e.objHCross);
      if (!Number.isFinite(e.f0)) return false;
    }
    for (let k = 0; k < 2; k++) {
      const row = P.coupling[k];
      let ux = 0;
      for (let j = 0; j < this.n; j++) ux += row[j] * x[j];
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
}

/** grad f_i . dx for slot i (its block's nv variables). */
function slotSlope(grad: Float64Array, i: number, dx: Float64Array, nc: number, nv: number): number {
  const xb = ((i / nc) | 0) * nv;
  const g = i * nv;
  let s = 0;
  for (let a = 0; a < nv; a++) s += grad[g + a] * dx[xb + a];
  return s;
}

/** slotSlope for SP3's five variables, unrolled (small enough for V8 to inline in the hot loops). */
function slotSlope5(grad: Float64Array, i: number, dx: Float64Array, nc: number): number {
  const xb = ((i / nc) | 0) * 5;
  const g = i * 5;
  return grad[g] * dx[xb] + grad[g + 1] * dx[xb + 1] + grad[g + 2] * dx[xb + 2] + grad[g + 3] * dx[xb + 3] + grad[g + 4] * dx[xb + 4];
}
