/**
 * SP2, offloading (SPEC section 3, step 2), batched: the exact continuous knapsack of
 * engine/ao/sp2-offloading.ts (offloadingLp + solveKnapsack) for N realisations at once.
 *
 * Per row, over the uncached UEs: minimise sum alpha_m w_m, w_m = C (1/f'_ue - 1/f'_es) [ms],
 * subject to lo_m <= alpha_m <= hi_m and (6f) written as sum_uncached f_es alpha >= need,
 * need = sum_all f_es - Fes_max [GHz]. The bounds come from (6b) and (6e), both linear in alpha:
 *   (6b) alpha (C/f'_ue - C/f'_es) <= Tmax - D/R~ - C/f'_es,
 *   (6e) alpha ((theta/2) C f'_ue^2 - p D/R~) <= Emax - p D/R~,
 * intersected with [0, 1] and widened to include the previous alpha. As tensor ops:
 * 1. alpha0 = hi where w < 0, else lo; freed0 = sum alpha0 f_es.
 * 2. The UEs that can be raised (w >= 0, hi > lo, f_es > 0) are ranked by ascending w / f_es,
 *    ties to the lower index (kernels/row-sort.ts); the others rank after them with no room.
 * 3. A cumulative sum in that order of freed0 and the rooms (hi - lo) f_es gives, per UE, the
 *    capacity freed before it (`before`) and with it (`after`). A raisable UE with after < need
 *    goes to hi, the one with before < need <= after ends fractional at
 *    min(hi, lo + (need - before) / f_es), the rest stay at lo.
 * 4. The row is feasible when all the rooms reach need - rtol sum f_es (rtol = LIMIT_RTOL_F32,
 *    the float32 counterpart of the float64 path's 1e-12).
 * A row is reported (and keeps its alpha) when its LP is infeasible or an uncached UE's LP data
 * has a NaN (for instance a non-positive rate makes D/R~ infinite and the (6e) bound Inf/Inf),
 * where the float64 path would return NaN alphas.
 *
 * Cost: about 8.5 us per realisation on the wasm backend at M = 15 (the float64 path: about 4).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BatchPoint, BatchProblem } from './batch.js';
import { sortRows } from './row-sort.js';
import { checkShapes, isSet, LIMIT_RTOL_F32, rowsTrue, uncachedParts } from './sp-terms.js';

/** The result of a batched SP2 step; the caller owns both tensors. */
export type OffloadingBatchResult = {
  /** The new alpha [N, M] float32 [-]. */
  alpha: tf.Tensor2D;
  /**
   * [N] float32: 1 where an active row's LP is infeasible or its solution is not finite (NaN or
   * Inf in the row's data); such a row keeps its previous alpha. 0 elsewhere.
   */
  infeasible: tf.Tensor1D;
};

/**
 * Runs SP2 on a batch.
 *
 * @param problem N realisations of M UEs (cPerW [1/W], cyclesMc [Mcycles], bitsKbit [kbit]; each
 *   [N, M] float32).
 * @param x the current point, each field [N, M] float32: cached (0/1), alpha [-], bandwidth [-],
 *   powerW [W], fUeGHz [GHz], fEsGHz [GHz]. The previous alpha must be feasible for the LP for
 *   the result to be (as it is inside the AO); otherwise the row may be reported infeasible.
 * @param active [N]: nonzero where the realisation is still iterating; rows with 0 keep
 *   x.alpha exactly and report 0.
 * @returns alpha [N, M] (cached UEs keep their alpha exactly) and infeasible [N]. Every
 *   intermediate is disposed; nothing is read back to the host.
 */
export function solveOffloadingBatch(problem: BatchProblem, x: BatchPoint, active: tf.Tensor1D): OffloadingBatchResult {
  checkShapes('solveOffloadingBatch', problem, x, active);
  const { params, N, M } = problem;
  return tf.tidy((): OffloadingBatchResult => {
    const parts = uncachedParts(problem, x);
    const uncached = tf.equal(x.cached, 0);
    const prev = x.alpha;

    // Bounds from (6b) and (6e): a alpha <= r  =>  alpha <= r/a (a > 0) or alpha >= r/a (a < 0).
    const cost = tf.sub(parts.localFullMs, parts.edgeFullMs); // w [ms]; also the (6b) slope
    const rhsT = tf.sub(tf.sub(params.tMaxMs, parts.transmitMs), parts.edgeFullMs);
    const slopeE = tf.sub(parts.localFullMj, parts.transmitMj);
    const rhsE = tf.sub(params.eMaxMj, parts.transmitMj);
    const ones = tf.onesLike(prev);
    const zeros = tf.zerosLike(prev);
    const boundT = tf.div(rhsT, cost);
    const boundE = tf.div(rhsE, slopeE);
    const hiT = tf.where(tf.greater(cost, 0), boundT, ones);
    const hiE = tf.where(tf.greater(slopeE, 0), boundE, ones);
    const loT = tf.where(tf.less(cost, 0), boundT, zeros);
    const loE = tf.where(tf.less(slopeE, 0), boundE, zeros);
    const hi = tf.maximum(tf.minimum(tf.minimum(ones, hiT), hiE), prev);
    const lo = tf.minimum(tf.maximum(tf.maximum(zeros, loT), loE), prev);
    // A NaN among a UE's LP data (the float64 path returns NaN there), detected before
    // tf.minimum/maximum, whose NaN handling differs between backends.
    const nanData = tf.logicalOr(
      tf.logicalOr(tf.logicalOr(tf.isNaN(hiT), tf.isNaN(hiE)), tf.logicalOr(tf.isNaN(loT), tf.isNaN(loE))),
      tf.logicalOr(tf.logicalOr(tf.isNaN(cost), tf.isNaN(slopeE)), tf.logicalOr(tf.isNaN(prev), tf.isNaN(x.fEsGHz))),
    );
    const capacity = x.fEsGHz; // [GHz]
    const sumFesGHz = tf.sum(capacity, 1);
    const need = tf.expandDims(tf.sub(sumFesGHz, params.fEsMaxGHz), 1); // [N, 1] GHz

    // 1. Each alpha at the bound its cost prefers.
    const alpha0 = tf.where(tf.less(cost, 0), hi, lo);
    const freed0 = tf.sum(tf.where(uncached, tf.mul(alpha0, capacity), zeros), 1);

    // 2. The raisable UEs in ascending cost per unit of freed capacity, ties to the lower index.
    const raise = tf.logicalAnd(
      tf.logicalAnd(uncached, tf.greaterEqual(cost, 0)),
      tf.logicalAnd(tf.greater(hi, lo), tf.greater(capacity, 0)),
    );
    const sort = sortRows(tf.where(raise, tf.div(cost, capacity), tf.fill([N, M], Infinity)), 'ascending');
    const room = tf.where(raise, tf.mul(tf.sub(hi, lo), capacity), zeros);

    // 3. Freed capacity before and after each UE in that order: [freed0, freed0 + room_0, ...],
    //    compared with need through differences (broadcast comparisons are slow on wasm).
    const cum = tf.cumsum(tf.concat([tf.expandDims(freed0, 1), sort.sorted(room)], 1), 1);
    const before = sort.unsorted(tf.slice(cum, [0, 0], [N, M]));
    const after = sort.unsorted(tf.slice(cum, [0, 1], [N, M]));
    const missingBefore = tf.sub(need, before); // > 0: the UE is reached before (6f) holds
    const fractional = tf.minimum(hi, tf.add(lo, tf.div(missingBefore, capacity)));
    const raised = tf.where(tf.less(tf.sub(after, need), 0), hi, tf.where(tf.greater(missingBefore, 0), fractional, lo));
    const next = tf.where(raise, raised, alpha0);

    // 4. Feasibility of (6f) and finiteness; the new alpha applies to uncached UEs of good rows.
    const total = tf.squeeze(tf.slice(cum, [0, M], [N, 1]), [1]);
    const feasible = tf.greaterEqual(tf.sub(total, tf.squeeze(need, [1])), tf.mul(-LIMIT_RTOL_F32, sumFesGHz));
    const goodUe = tf.logicalAnd(tf.isFinite(next), tf.logicalNot(nanData));
    const finite = tf.all(tf.logicalOr(tf.logicalNot(uncached), goodUe), 1);
    const on = isSet(active);
    const bad = tf.logicalAnd(on, tf.logicalNot(tf.logicalAnd(feasible, finite)));
    const apply = tf.logicalAnd(rowsTrue(tf.logicalAnd(on, tf.logicalNot(bad)), M), uncached);
    return {
      alpha: tf.where(apply, next, prev) as tf.Tensor2D,
      infeasible: tf.cast(bad, 'float32') as tf.Tensor1D,
    };
  });
}
