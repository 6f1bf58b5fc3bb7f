/**
 * Algorithm 1 for a whole batch in lockstep on the tensor engine (the float32 twin of
 * engine/ao/solve-ao.ts). Every realisation carries its own state, active flag, iteration count
 * and status: converged or failed realisations stop changing while the rest go on, and a NaN in
 * one realisation marks that one and leaves the others untouched.
 *
 *   start (host, float64):  engine/ao/feasible-start.ts per realisation (bandwidth test,
 *                           construction, phase one); infeasible ones never enter the batch loop
 *   repeat (tensors):       SP1 caching -> SP2 offloading -> SP3 resources, for the active rows
 *   until:                  |J(i) - J(i-1)| <= tol J(i-1) per row, or Imax iterations
 *
 * An SP3 candidate is taken only where the true objective (V = 1 rate) does not rise and the
 * point keeps (6) to float32 accuracy. The final points are re-checked on the host in float64
 * against (6) with the exact rate, as the reference path does. One read-back per AO iteration
 * (J of every row) and a few per SP3 Newton step (the batch's done flags).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Problem } from '../engine/problem.js';
import { allocatePointColumns, pointViews, type Point } from '../engine/model/point.js';
import { checkFeasibility, type ConstraintId } from '../engine/model/feasibility.js';
import { totalLatencyMs as totalLatencyMs64 } from '../engine/model/latency-energy.js';
import { feasibleStart, type StartResult } from '../engine/ao/feasible-start.js';
import { badInput, isSolved, type AoStatus } from '../engine/ao/solve-ao.js';
import { batchPoint, batchProblem, disposeBatchPoint, disposeBatchProblem, unbatchPoint, type BatchPoint, type BatchProblem } from './batch.js';
import { constraintViolations } from './feasibility.js';
import { totalLatencyMs } from './latency-energy.js';
import { solveCachingBatch } from './sp1-caching.js';
import { solveOffloadingBatch } from './sp2-offloading.js';
import { solveResourcesBatch } from './sp3-resources.js';
import type { SurrogateSolver } from './webgpu/block-ipm.js';
import { jointStepBatch } from './joint-sca.js';
import type { BatchIpmOptions } from './block-ipm.js';
import { tidy } from './tidy.js';
import { requireMethod } from './engines.js';
import { ACCEPT_VIOLATION_F32 } from '../engine/ao/solver-constants.js';

/** The result of one realisation of a batch (the batch counterpart of AoResult). */
export interface BatchAoResult {
  status: AoStatus;
  iterations: number;
  /** J of the final point, evaluated in float64, with R~ and with the exact rate [ms]. */
  objectiveMs: number;
  objectiveExactMs: number;
  /** J(0), J(1), ... as the float32 engine computed them [ms]. */
  traceMs: number[];
  /** Exact-rate check of the final point in float64. */
  maxViolation: number;
  violatedConstraint: ConstraintId | null;
  point: Point;
  start: StartResult;
  /** SP3 calls of this realisation and how many ended certified. */
  sp3Calls: number;
  sp3Certified: number;
  /** Method joint: joint SCA steps taken (counted in iterations and traceMs too), and surrogate solves certified. */
  jointSteps: number;
  jointCertified: number;
  message: string;
}

/** Where the time of one batch went [ms] (wall clock; tensor work is awaited at each read-back). */
export interface BatchTimings {
  startMs: number;
  sp1Ms: number;
  sp2Ms: number;
  sp3Ms: number;
  /** J, acceptance and the per-row bookkeeping. */
  bookkeepingMs: number;
  finishMs: number;
  sp3NewtonSteps: number;
  /** Method joint: the joint SCA steps after the AO, and their Newton steps. */
  jointMs: number;
  jointNewtonSteps: number;
}

export interface BatchAoOptions {
  /** Filled with the time spent in each phase, when given. */
  timings?: BatchTimings;
  /** Options of the batched barrier method (tolerances, step limits). */
  ipm?: Partial<BatchIpmOptions>;
  /** A candidate must keep (6) (V = 1 rate) to this relative violation in float32 (default ACCEPT_VIOLATION_F32). */
  acceptViolation?: number;
  /** How the barrier method of SP3 and of the joint steps runs (default auto: fused on webgpu, tfjs ops elsewhere). */
  surrogateSolver?: SurrogateSolver;

}

/** Solves N realisations that share one parameter set; results in input order. */
export async function solveAoBatch(problems: readonly Problem[], options: BatchAoOptions = {}): Promise<BatchAoResult[]> {
  const N = problems.length;
  const M = problems[0].cPerW.length;
  const { params } = problems[0];
  requireMethod(tf.getBackend(), params.method);
  const acceptViolation = options.acceptViolation ?? ACCEPT_VIOLATION_F32;
  const timings = options.timings;
  let clock = performance.now();
  /** Adds the time since the last call to `field` (reading a tensor first makes the work finish). */
  const lap = async (field: Exclude<keyof BatchTimings, 'sp3NewtonSteps' | 'jointNewtonSteps'>, sync?: tf.Tensor): Promise<void> => {
    if (!timings) return;
    if (sync) await sync.data();
    const now = performance.now();
    timings[field] += now - clock;
    clock = now;
  };

  // Start on the host in float64 (the reference path's construction and phase one).
  // The starts are views into one set of columns (no per-realisation allocation).
  const starts = pointViews(allocatePointColumns(N, M), N, M);
  const results: BatchAoResult[] = problems.map((_, n) => ({
    status: 'numerical-failure', iterations: 0, objectiveMs: Number.NaN, objectiveExactMs: Number.NaN, traceMs: [],
    maxViolation: Number.NaN, violatedConstraint: null, point: starts[n],
    start: { feasible: false, method: 'none', failedConstraint: null, proven: false, detail: '' },
    sp3Calls: 0, sp3Certified: 0, jointSteps: 0, jointCertified: 0, message: '',
  }));
  const badRows = problems.map(badInput);
  const activeHost = new Float32Array(N);
  problems.forEach((p, n) => {
    const x = starts[n];
    const bad = badRows[n];
    if (bad) {
      results[n].message = `non-finite or non-positive input: ${bad}`;
    } else {
      const start = feasibleStart(p, x);
      results[n].start = start;
      if (start.feasible) activeHost[n] = 1;
      else {
        results[n].status = 'infeasible';
        results[n].violatedConstraint = start.failedConstraint;
        results[n].message = `(${start.failedConstraint}) cannot hold: ${start.detail}${start.proven ? ' (proven)' : ''}`;
      }
    }
    // Rows that never iterate still need finite values in the batch tensors.
    if (!activeHost[n]) {
      x.bandwidth.fill(1 / M);
      x.powerW.fill(params.pMaxW);
      x.fUeGHz.fill(params.fUeMaxGHz);
      x.fEsGHz.fill(params.fEsMaxGHz / M);
    }
  });

  // Problems with bad input get harmless stand-in data; their rows stay inactive.
  const standIn = problems.find((_, n) => !badRows[n]) ?? problems[0];
  const safeProblems = problems.map((p, n) => (badRows[n] ? standIn : p));
  const bp = batchProblem(safeProblems);
  let x: BatchPoint = batchPoint(starts);
  let active = tf.tensor1d(activeHost);
  let jPrev = totalLatencyMs(bp, x);
  const jPrevHost = (await jPrev.data()) as Float32Array;
  problems.forEach((_, n) => activeHost[n] && results[n].traceMs.push(jPrevHost[n]));
  await lap('startMs');

  for (let i = 1; i <= params.maxIterations; i++) {
    if (!activeHost.some((a) => a > 0)) break;
    // SP1 and SP2 on the active rows.
    const cached = solveCachingBatch(bp, x, active as tf.Tensor1D, params.cachingRule);
    x = replacePoint(x, { cached });
    await lap('sp1Ms', cached);
    const sp2 = solveOffloadingBatch(bp, { ...x }, active as tf.Tensor1D);
    x = replacePoint(x, { alpha: sp2.alpha });
    await lap('sp2Ms', sp2.alpha);
    const jSp2 = totalLatencyMs(bp, x);
    // SP3: candidate, taken where J does not rise and (6) holds to float32 accuracy.
    const rowActive = tf.reshape(active, [N, 1]);
    const sp3 = await solveResourcesBatch(bp, x, rowActive, options.ipm, options.surrogateSolver);
    if (timings) timings.sp3NewtonSteps += sp3.newtonSteps;
    await lap('sp3Ms', sp3.solved);
    const accept = acceptMask(bp, x, sp3.candidate, jSp2, sp3.solved, rowActive, acceptViolation);
    x = takeAccepted(x, sp3.candidate, accept);
    const j = totalLatencyMs(bp, x);
    const [jHost, certHost, failedHost, sp2BadHost] = await Promise.all([j.data(), sp3.certified.data(), sp3.failed.data(), sp2.infeasible.data()]);
    tf.dispose([jSp2, rowActive, accept, sp2.infeasible, sp3.solved, sp3.certified, sp3.failed, ...Object.values(sp3.candidate), jPrev]);
    jPrev = j;

    // Per-row bookkeeping on the host.
    problems.forEach((_, n) => {
      if (!activeHost[n]) return;
      const r = results[n];
      r.iterations = i;
      r.sp3Calls++;
      r.sp3Certified += certHost[n] > 0 ? 1 : 0;
      const jn = jHost[n];
      if (!Number.isFinite(jn) || failedHost[n] > 0 || sp2BadHost[n] > 0) {
        r.status = 'numerical-failure';
        r.message = sp2BadHost[n] > 0 ? `SP2 found its LP infeasible at iteration ${i}` : `non-finite values at iteration ${i}`;
        activeHost[n] = 0;
        return;
      }
      const prev = r.traceMs[r.traceMs.length - 1];
      r.traceMs.push(jn);
      if (Math.abs(jn - prev) <= params.tolerance * prev) {
        r.status = 'converged';
        activeHost[n] = 0;
      } else if (i === params.maxIterations) {
        r.status = 'max-iterations';
        activeHost[n] = 0;
      }
    });
    active.dispose();
    active = tf.tensor1d(activeHost);
    await lap('bookkeepingMs');
  }

  if (params.method === 'joint') x = await refineJointBatch(bp, x, results, options, acceptViolation);
  await lap('jointMs');

  // Final points back to float64 and the exact-rate check on the host.
  const points = await unbatchPoint(x);
  problems.forEach((p, n) => {
    const r = results[n];
    r.point = points[n];
    if (r.status === 'infeasible' || badRows[n]) return;
    r.objectiveMs = totalLatencyMs64(p, points[n], 'v1');
    r.objectiveExactMs = totalLatencyMs64(p, points[n], 'exact');
    const check = checkFeasibility(p, points[n], 'exact');
    r.maxViolation = check.maxViolation;
    r.violatedConstraint = check.constraint;
  });
  tf.dispose([active, jPrev]);
  disposeBatchPoint(x);
  disposeBatchProblem(bp);
  await lap('finishMs');
  return results;
}

/**
 * Where a candidate is taken, [N, 1] 0/1: rows that are active (`rowActive` [N, 1]) and that the
 * barrier method solved (`solved` [N, 1]), where J of the candidate (V = 1 rate) is at most
 * `jRefMs` [N] and (6) holds to `acceptViolation` (relative, float32 accuracy).
 */
function acceptMask(
  bp: BatchProblem, x: BatchPoint, candidate: Partial<BatchPoint>, jRefMs: tf.Tensor, solved: tf.Tensor, rowActive: tf.Tensor, acceptViolation: number,
): tf.Tensor {
  return tidy(() => {
    const cand: BatchPoint = { ...x, ...candidate };
    const viol = constraintViolations(bp, cand, 'v1');
    const ok = tf.logicalAnd(tf.lessEqual(totalLatencyMs(bp, cand), jRefMs), tf.lessEqual(viol.maxViolation, acceptViolation));
    return tf.mul(tf.mul(tf.reshape(tf.cast(ok, 'float32'), [bp.N, 1]), solved), rowActive);
  });
}

/** x with the candidate's fields where `accept` [N, 1] is 1; x's replaced tensors are disposed. */
function takeAccepted(x: BatchPoint, candidate: Partial<BatchPoint>, accept: tf.Tensor): BatchPoint {
  const fields = Object.keys(candidate) as (keyof BatchPoint)[];
  return replacePoint(x, tidy(() => {
    const wide = tf.greater(tf.add(accept, tf.zerosLike(x[fields[0]])), 0); // the mask broadcast once, as in block-ipm.ts keepVars
    return Object.fromEntries(fields.map((k) => [k, tf.where(wide, candidate[k]!, x[k])]));
  }));
}

/** A new batch point with some fields replaced; the replaced tensors of the old one are disposed. */
function replacePoint(x: BatchPoint, fields: Partial<BatchPoint>): BatchPoint {
  for (const [k, v] of Object.entries(fields) as [keyof BatchPoint, tf.Tensor][]) if (v !== x[k]) x[k].dispose();
  return { ...x, ...fields };
}

/**
 * Method joint: the joint SCA steps (kernels/joint-sca.ts) from the AO's points, on the rows
 * that ended converged or max-iterations. A candidate is taken where J does not rise and (6)
 * holds to float32 accuracy; a row stops at the first step not taken or on the AO's rule.
 */
async function refineJointBatch(bp: BatchProblem, x0: BatchPoint, results: BatchAoResult[], options: BatchAoOptions, acceptViolation: number): Promise<BatchPoint> {
  const { timings } = options;
  const { N, params } = bp;
  let x = x0;
  const activeHost = new Float32Array(N);
  results.forEach((r, n) => {
    if (isSolved(r.status)) activeHost[n] = 1;
  });
  for (let i = 1; i <= params.maxIterations && activeHost.some((a) => a > 0); i++) {
    const rowActive = tf.tensor2d(activeHost, [N, 1]);
    const step = await jointStepBatch(bp, x, rowActive, options.ipm, options.surrogateSolver);
    if (timings) timings.jointNewtonSteps += step.newtonSteps;
    const jX = totalLatencyMs(bp, x);
    const accept = acceptMask(bp, x, step.candidate, jX, step.solved, rowActive, acceptViolation);
    x = takeAccepted(x, step.candidate, accept);
    const j = totalLatencyMs(bp, x);
    const [jHost, acceptHost, certHost, failedHost] = await Promise.all([j.data(), accept.data(), step.certified.data(), step.failed.data()]);
    tf.dispose([j, jX, rowActive, accept, step.solved, step.certified, step.failed, ...Object.values(step.candidate)]);
    results.forEach((r, n) => {
      if (!activeHost[n]) return;
      r.jointCertified += certHost[n] > 0 ? 1 : 0;
      if (!(acceptHost[n] > 0)) {
        // As on the float64 path: the AO's status stands, the point is the last good step.
        if (failedHost[n] > 0) r.message = 'the joint SCA stopped on a numerical failure (the point is its last good step)';
        activeHost[n] = 0;
        return;
      }
      const prev = r.traceMs[r.traceMs.length - 1];
      r.traceMs.push(jHost[n]);
      r.iterations++;
      r.jointSteps++;
      if (Math.abs(jHost[n] - prev) <= params.tolerance * prev) activeHost[n] = 0;
    });
  }
  return x;
}
