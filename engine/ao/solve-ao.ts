/**
 * Algorithm 1 (SPEC sections 3-4) in float64 for one realisation: the readable reference path.
 *
 *   start:   feasible point (exact bandwidth test, construction, phase one)
 *   repeat:  SP1 caching -> SP2 offloading -> SP3 resources
 *   until:   |J(i) - J(i-1)| <= tol J(i-1), or Imax iterations
 *
 * Method joint continues from the AO's final point with the joint SCA (joint-sca.ts).
 * Every sub-step keeps or lowers J (computed with R~), and the final point is re-checked against
 * (6) with the exact rate. Numerical trouble is a status on the result, never an exception.
 */
import type { Problem } from '../problem.js';
import { checkFeasibility, type ConstraintId } from '../model/feasibility.js';
import { totalLatencyMs } from '../model/latency-energy.js';
import { allocatePoint, copyPointInto, pointIsFinite, type Point } from '../model/point.js';
import { feasibleStart, type StartResult } from './feasible-start.js';
import { aoVariant } from './variant.js';
import { refineJoint, type JointStats } from './joint-sca.js';
import { solveCaching } from './sp1-caching.js';
import { solveOffloading } from './sp2-offloading.js';
import { solveResources, type Sp3WarmStart } from './sp3-resources.js';
import { expansionTau } from './sp3-surrogate.js';

/** How a realisation ended, in the order chunk files and summaries list them. */
export const AO_STATUSES = ['converged', 'max-iterations', 'infeasible', 'numerical-failure'] as const;
export type AoStatus = (typeof AO_STATUSES)[number];

/**
 * Whether a realisation ended with a solution (converged, or stopped after Imax iterations): a
 * feasible point whose J counts in the statistics. Takes any status string (chunk columns, the
 * fused engine's codes).
 */
export const isSolved = (status: string): status is 'converged' | 'max-iterations' =>
  status === 'converged' || status === 'max-iterations';

export interface Sp3Certificate {
  /** SP3 calls, and how many ended with a certified optimum ("solved"). */
  calls: number;
  certified: number;
  /** Largest relative duality gap over the certified calls. */
  maxRelativeGap: number;
  /** Calls whose candidate was not taken (no improvement, or no interior). */
  kept: number;
  /** Newton steps of the interior-point method over all calls (phase one and two). */
  newtonSteps: number;
}

export interface AoResult {
  status: AoStatus;
  /** AO iterations run, plus the joint SCA's steps (trace has iterations + 1 entries). */
  iterations: number;
  /** J with the V = 1 rate R~ [ms], and with the exact rate [ms]. */
  objectiveMs: number;
  objectiveExactMs: number;
  /** J(0), J(1), ... [ms]. */
  traceMs: number[];
  /** J after SP1, SP2 and SP3 of every iteration [ms]. */
  stepTraceMs: number[];
  /** Exact-rate feasibility check of the final point (NaN and the start's failed group when infeasible). */
  maxViolation: number;
  violatedConstraint: ConstraintId | null;
  violatedDevice: number | null;
  point: Point;
  start: StartResult;
  sp3: Sp3Certificate;
  /** The joint SCA's steps after the AO (method joint), else null. */
  joint: JointStats | null;
  /** A sentence on anything unusual (why infeasible, what failed); empty otherwise. */
  message: string;
}

/**
 * Inputs must be finite and positive; a NaN or Inf becomes a numerical-failure status. Returns
 * the first bad entry ("gain[3] is NaN"), or null.
 */
export function badInput(problem: Problem): string | null {
  const arrays: [string, Float64Array][] = [['gain', problem.cPerW], ['cycles', problem.cyclesMc], ['bits', problem.bitsKbit]];
  for (const [name, arr] of arrays) {
    for (let m = 0; m < arr.length; m++) {
      if (!(Number.isFinite(arr[m]) && arr[m] > 0)) return `${name}[${m}] is ${arr[m]}`;
    }
  }
  return null;
}

export function solveAo(problem: Problem): AoResult {
  const { params } = problem;
  const variant = aoVariant(params.method);
  const M = problem.cPerW.length;
  const x = allocatePoint(M);
  const sp3: Sp3Certificate = { calls: 0, certified: 0, maxRelativeGap: 0, kept: 0, newtonSteps: 0 };
  const result: AoResult = {
    status: 'numerical-failure', iterations: 0, objectiveMs: Number.NaN, objectiveExactMs: Number.NaN,
    traceMs: [], stepTraceMs: [], maxViolation: Number.NaN, violatedConstraint: null, violatedDevice: null,
    point: x, start: { feasible: false, method: 'none', failedConstraint: null, proven: false, detail: '' },
    sp3, joint: null, message: '',
  };
  const finish = (status: AoStatus, message = ''): AoResult => {
    result.status = status;
    result.message = message;
    if (variant.joint && isSolved(status)) {
      // The joint SCA from the AO's point: its steps continue the trace, and it never raises J.
      const joint = (result.joint = refineJoint(problem, x, result.traceMs));
      result.iterations += joint.steps;
      if (joint.stop === 'numerical-failure') result.message = 'the joint SCA stopped on a numerical failure (the point is its last good step)';
    }
    if (status !== 'infeasible' && pointIsFinite(x)) {
      result.objectiveMs = totalLatencyMs(problem, x, 'v1');
      result.objectiveExactMs = totalLatencyMs(problem, x, 'exact');
    }
    if (status === 'infeasible') {
      // No point to check: name the constraint group that failed at the start.
      result.violatedConstraint = result.start.failedConstraint;
      return result;
    }
    const check = checkFeasibility(problem, x, 'exact');
    result.maxViolation = check.maxViolation;
    result.violatedConstraint = check.constraint;
    result.violatedDevice = check.device;
    return result;
  };

  const bad = badInput(problem);
  if (bad) return finish('numerical-failure', `non-finite or non-positive input: ${bad}`);

  // Start (SPEC section 4).
  result.start = feasibleStart(problem, x);
  if (!result.start.feasible) {
    const s = result.start;
    return finish('infeasible', `(${s.failedConstraint}) cannot hold: ${s.detail}${s.proven ? ' (proven)' : ''}`);
  }
  let j = totalLatencyMs(problem, x);
  if (!Number.isFinite(j)) return finish('numerical-failure', 'the start has a non-finite objective');
  result.traceMs.push(j);

  const tau = expansionTau(problem, x);
  const warm: Sp3WarmStart = { v: null };
  const lastGood = allocatePoint(M);
  for (let i = 1; i <= params.maxIterations; i++) {
    copyPointInto(x, lastGood);
    const jPrev = j;

    // Baselines (params.method) keep their fixed decisions: no SP1 without caching, no SP2
    // with a fixed alpha; equal-radio fixes b and p inside SP3's surrogate.
    if (variant.optimiseCaching) solveCaching(problem, x); //             SP1
    result.stepTraceMs.push(totalLatencyMs(problem, x));
    if (variant.fixedAlpha === null && !solveOffloading(problem, x).solved) { // SP2
      copyPointInto(lastGood, x);
      return finish('numerical-failure', `SP2 found its LP infeasible at iteration ${i}`);
    }
    const jAfterSp2 = totalLatencyMs(problem, x);
    result.stepTraceMs.push(jAfterSp2);
    const r3 = solveResources(problem, x, tau, jAfterSp2, warm); //       SP3
    sp3.calls++;
    sp3.newtonSteps += r3.iterations;
    if (r3.status === 'numerical-failure' || !pointIsFinite(x)) {
      copyPointInto(lastGood, x);
      return finish('numerical-failure', `SP3 ${r3.reason} at iteration ${i}`);
    }
    if (r3.status === 'kept') sp3.kept++;
    if (r3.ipmOutcome === 'solved') {
      sp3.certified++;
      sp3.maxRelativeGap = Math.max(sp3.maxRelativeGap, r3.relativeGap);
    }
    j = totalLatencyMs(problem, x);
    result.stepTraceMs.push(j);
    result.traceMs.push(j);
    result.iterations = i;
    if (!Number.isFinite(j)) {
      copyPointInto(lastGood, x);
      return finish('numerical-failure', `non-finite objective at iteration ${i}`);
    }
    if (Math.abs(j - jPrev) <= params.tolerance * jPrev) return finish('converged');
  }
  return finish('max-iterations');
}
