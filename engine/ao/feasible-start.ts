/**
 * The feasible start of Algorithm 1 (SPEC section 4).
 *
 * 1. The start s = 0, b = 1/M, p = Pmax, f_es = Fes_max/M, f_ue = Fue_max, alpha = 1/2, with
 *    f_ue lowered to the energy-limited value where (6e) fails, and alpha searched on a grid of
 *    step 1/1000 (nearest to 1/2 first) where (6b) or (6e) still fails. If it meets (6), done.
 * 2. An exact test: if the smallest bandwidth shares that give R~ >= Rmin at Pmax sum to more
 *    than 1, the realisation is infeasible by (6c)/(6d), proven.
 * 3. Else phase one (SCA over the SP3 surrogate with one slack), tried with
 *    s = 0 and the start's alpha, then alpha = 0, then alpha = 1, then s from SP1.
 */
import type { Problem } from '../problem.js';
import { checkFeasibility, type ConstraintId } from '../model/feasibility.js';
import { uncachedMj, uncachedMs } from '../model/latency-energy.js';
import { allocatePoint, copyPointInto, type Point } from '../model/point.js';
import { rateV1Mbps } from '../model/rate.js';
import { solveCaching } from './sp1-caching.js';
import { expansionTau, Sp3Surrogate } from './sp3-surrogate.js';
import { packPoint, pullInside, unpackPoint } from './sp3-resources.js';
import { findInterior } from './block-interior.js';
import { ACCEPT_VIOLATION_F64, START_PHASE_ONE_ROUNDS, START_PHASE_ONE_TARGET } from './solver-constants.js';
import { aoVariant } from './variant.js';

export interface StartResult {
  feasible: boolean;
  /** How the start was found: "direct", or "phase-one: <attempt>". */
  method: string;
  /** For infeasible realisations: the constraint group that failed. */
  failedConstraint: ConstraintId | null;
  /** True only when the bandwidth test proves infeasibility. */
  proven: boolean;
  detail: string;
}

/** Grid of alpha values, nearest to 1/2 first (lower first on ties). */
const ALPHA_GRID: readonly number[] = (() => {
  const g: number[] = [];
  for (let k = 0; k <= 1000; k++) g.push(k / 1000);
  return g.sort((a, b) => Math.abs(a - 0.5) - Math.abs(b - 0.5) || a - b);
})();

/**
 * The smallest b in (0, 1] with R~(b, Pmax) >= Rmin (Infinity if none), by bisection. R~ is
 * increasing in b wherever R~ >= 0 and gamma >= 4 (ln(1+x)/2 >= x/(1+x) for x >= 4), so with
 * Pmax c >= 4 the crossing is unique and the result is exact; `monotone` says whether that held.
 */
export function smallestBandwidth(problem: Problem, m: number): { bandwidth: number; monotone: boolean } {
  const { params } = problem;
  const pMax = params.pMaxW;
  const c = problem.cPerW[m];
  const monotone = pMax * c >= 4;
  if (!(rateV1Mbps(params, c, 1, pMax) >= params.rMinMbps)) return { bandwidth: Infinity, monotone };
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
    const mid = 0.5 * (lo + hi);
    if (rateV1Mbps(params, c, mid, pMax) >= params.rMinMbps) hi = mid;
    else lo = mid;
  }
  return { bandwidth: hi, monotone };
}

/**
 * Fills x with the construction of SPEC section 4 (steps before phase one); with a fixed alpha
 * (the offload-all and local-all baselines) every UE keeps it and only f_ue is adapted.
 */
export function constructStart(problem: Problem, x: Point, fixedAlpha: number | null = null): void {
  const { params } = problem;
  const M = x.alpha.length;
  const ku = 1 - params.deltaUe;
  for (let m = 0; m < M; m++) {
    x.cached[m] = 0;
    x.bandwidth[m] = 1 / M;
    x.powerW[m] = params.pMaxW;
    x.fEsGHz[m] = params.fEsMaxGHz / M;
    x.fUeGHz[m] = params.fUeMaxGHz;
    const alpha0 = fixedAlpha ?? 0.5;
    x.alpha[m] = alpha0;
    const C = problem.cyclesMc[m];
    const D = problem.bitsKbit[m];
    const r = rateV1Mbps(params, problem.cPerW[m], x.bandwidth[m], x.powerW[m]);
    // The largest f_ue <= Fue_max that keeps (6e) at this alpha (null if none).
    const energyLimitedFue = (alpha: number): number | null => {
      if (alpha === 0) return params.fUeMaxGHz;
      const spare = params.eMaxMj - uncachedMj(params, C, D, alpha, 0, x.powerW[m], r);
      if (!(spare > 0)) return null;
      const f = Math.sqrt(spare / (alpha * 0.5 * params.thetaModel * C)) / ku;
      return Math.min(params.fUeMaxGHz, f);
    };
    const meets = (alpha: number, fue: number): boolean =>
      uncachedMs(params, C, D, alpha, fue, x.fEsGHz[m], r) <= params.tMaxMs
      && uncachedMj(params, C, D, alpha, fue, x.powerW[m], r) <= params.eMaxMj;
    if (meets(alpha0, params.fUeMaxGHz)) continue;
    const fHalf = energyLimitedFue(alpha0);
    if (fHalf !== null && (meets(alpha0, fHalf) || fixedAlpha !== null)) {
      x.fUeGHz[m] = fHalf;
      continue;
    }
    if (fixedAlpha !== null) continue;
    for (const alpha of ALPHA_GRID) {
      const fue = energyLimitedFue(alpha);
      if (fue !== null && meets(alpha, fue)) {
        x.alpha[m] = alpha;
        x.fUeGHz[m] = fue;
        break;
      }
    }
  }
}

/** The constraint each slack slot of SP3's surrogate stands for (in phase one's verdicts). */
export const SLOT_CONSTRAINT: readonly ConstraintId[] = ['6d', '6b', '6b', '6e'];

interface PhaseOneResult {
  feasible: boolean;
  sigma: number;
  failedConstraint: ConstraintId;
  numericalFailure: boolean;
}

/** Phase one by SCA from x (s and alpha fixed), in place; x is feasible for (6) on success. */
function phaseOne(problem: Problem, x: Point): PhaseOneResult {
  let best = Infinity;
  let failedConstraint: ConstraintId = '6b';
  for (let round = 0; round < START_PHASE_ONE_ROUNDS; round++) {
    const tauBar = expansionTau(problem, x);
    const s = new Sp3Surrogate(problem, x, tauBar);
    const v = packPoint(x, tauBar);
    pullInside(s, v);
    const r = findInterior(s, v, START_PHASE_ONE_TARGET);
    if (r.outcome === 'numerical-failure' || Number.isNaN(r.sigma)) {
      return { feasible: false, sigma: best, failedConstraint, numericalFailure: true };
    }
    failedConstraint = SLOT_CONSTRAINT[r.worstSlot];
    unpackPoint(r.v, x, tauBar);
    if (r.sigma < 0 && checkFeasibility(problem, x, 'v1').maxViolation <= ACCEPT_VIOLATION_F64) {
      return { feasible: true, sigma: r.sigma, failedConstraint, numericalFailure: false };
    }
    // Stop when a round no longer lowers the largest violation.
    if (Number.isFinite(best) && !(r.sigma < best - 1e-9 * Math.max(1, Math.abs(best)))) break;
    best = Math.min(best, r.sigma);
  }
  return { feasible: false, sigma: best, failedConstraint, numericalFailure: false };
}

/** Finds a feasible start for problem (6) in x (SPEC section 4). */
export function feasibleStart(problem: Problem, x: Point): StartResult {
  const M = x.alpha.length;
  const variant = aoVariant(problem.params.method);
  // The construction first: where it meets (6) the bandwidth test cannot prove infeasibility,
  // so the test (15 bisections) runs only for the realisations the construction leaves infeasible.
  constructStart(problem, x, variant.fixedAlpha);
  if (checkFeasibility(problem, x, 'v1').maxViolation === 0) {
    return { feasible: true, method: 'direct', failedConstraint: null, proven: false, detail: '' };
  }

  let bandwidthSum = 0;
  let provable = true;
  let hopeless = -1;
  for (let m = 0; m < M; m++) {
    const r = smallestBandwidth(problem, m);
    bandwidthSum += r.bandwidth;
    provable &&= r.monotone;
    if (hopeless < 0 && r.bandwidth === Infinity) hopeless = m;
  }
  if (bandwidthSum > 1 && provable) {
    return {
      feasible: false, method: 'bandwidth test', failedConstraint: '6d', proven: true,
      detail: hopeless >= 0
        ? `UE ${hopeless} cannot reach Rmin at Pmax even with the whole band`
        : `the smallest bandwidth shares meeting Rmin at Pmax sum to ${bandwidthSum.toPrecision(6)} > 1`,
    };
  }

  if (variant.fixedRadio) {
    // b and p are fixed, so the rate is: (6d) holds for UE m or cannot.
    const { params } = problem;
    for (let m = 0; m < M; m++) {
      if (!(rateV1Mbps(params, problem.cPerW[m], 1 / M, params.pMaxW) >= params.rMinMbps)) {
        return {
          feasible: false, method: 'equal-radio rate', failedConstraint: '6d', proven: true,
          detail: `UE ${m} cannot reach Rmin with b = 1/M at Pmax`,
        };
      }
    }
  }

  const base = allocatePoint(M);
  copyPointInto(x, base);
  // A baseline's fixed decisions restrict the attempts: no other alpha, no caching.
  const attempts: [string, (y: Point) => void][] = [
    ['s = 0, start alpha', () => {}],
    ...(variant.fixedAlpha === null ? [
      ['s = 0, alpha = 0', (y: Point) => y.alpha.fill(0)],
      ['s = 0, alpha = 1', (y: Point) => y.alpha.fill(1)],
    ] as [string, (y: Point) => void][] : []),
    ...(variant.optimiseCaching ? [['s from SP1, start alpha', (y: Point) => solveCaching(problem, y, false)]] as [string, (y: Point) => void][] : []),
  ];
  let closest: PhaseOneResult | null = null;
  for (const [name, prepare] of attempts) {
    copyPointInto(base, x);
    prepare(x);
    const r = phaseOne(problem, x);
    if (r.feasible) return { feasible: true, method: `phase-one: ${name}`, failedConstraint: null, proven: false, detail: '' };
    if (!closest || r.sigma < closest.sigma) closest = r;
  }
  copyPointInto(base, x);
  const failed = closest?.failedConstraint ?? '6b';
  return {
    feasible: false, method: 'phase-one', failedConstraint: failed, proven: false,
    detail: `heuristic verdict: phase one could not meet (${failed}); smallest normalised violation ${closest?.sigma.toPrecision(4)}`,
  };
}
