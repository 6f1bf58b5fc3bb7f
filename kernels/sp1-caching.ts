/**
 * SP1, caching (SPEC section 3, step 1), batched: the float64 rule of engine/ao/sp1-caching.ts
 * for N realisations at once.
 *
 * Per row, with everything else fixed:
 * - t_m = alpha C/f'_ue + D/R~ + (1-alpha) C/f'_es (SPEC eq. 5 with s = 0, zero-factor rule) and
 *   the cached latency C/f'_es;
 * - a stable sort by descending key (t_m, or the saving t_m - C/f'_es), ties to the lower index
 *   (kernels/row-sort.ts: ranks from the signs of all pairwise key differences plus the index
 *   order among equal keys, so no backend's topk tie rule is relied on; NaN keys last);
 * - M sequential accept/skip steps over the sorted positions, each a handful of [N] tensor ops
 *   with running sums of the cache use and the ES load: the UE at position p is cached when
 *   (6g) cache + D <= Smax (1 + rtol), (6f) load + alpha f_es <= Fes_max (1 + rtol) (caching
 *   turns its load (1-alpha) f_es into f_es), C/f'_es <= Tmax and C/f'_es < t_m;
 * - the keep-previous rule: the new row replaces the previous one only when J does not rise
 *   (sum over the changed UEs of the latency change <= 0) and every UE leaving the cache meets
 *   (6b) and (6e) uncached (with the slack rtol). A row whose J change is NaN keeps its set.
 * rtol is LIMIT_RTOL_F32 (kernels/sp-terms.ts), the float32 counterpart of LIMIT_RTOL.
 * As in the float64 path, a UE whose rate is not positive (or NaN) has D/R~ = +Infinity, so
 * caching it always lowers its latency.
 *
 * Cost: about 10 us per realisation on the wasm backend at M = 15 (the float64 path: about 4).
 * The M steps are M small tensor ops each, per batch, not per realisation.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CachingRule } from '../engine/settings.js';
import type { BatchPoint, BatchProblem } from './batch.js';
import { sortRows } from './row-sort.js';
import { checkShapes, isSet, LIMIT_RTOL_F32, rowsTrue, uncachedMj, uncachedMs, uncachedParts } from './sp-terms.js';

/**
 * Runs SP1 on a batch and returns the new caching decision.
 *
 * @param problem N realisations of M UEs (cPerW [1/W], cyclesMc [Mcycles], bitsKbit [kbit]; each
 *   [N, M] float32).
 * @param x the current point, each field [N, M] float32: cached (0/1), alpha [-], bandwidth [-],
 *   powerW [W], fUeGHz [GHz], fEsGHz [GHz].
 * @param active [N]: nonzero where the realisation is still iterating; rows with 0 keep
 *   x.cached exactly.
 * @param rule 'latency' (the letter's, descending t_m) or 'saving' (descending t_m - C/f'_es).
 * @returns cached [N, M] float32, 0 or 1 (inactive rows: x.cached's row as it was). The caller
 *   owns it; every intermediate is disposed. Nothing is read back to the host.
 */
export function solveCachingBatch(
  problem: BatchProblem, x: BatchPoint, active: tf.Tensor1D, rule: CachingRule,
): tf.Tensor2D {
  checkShapes('solveCachingBatch', problem, x, active);
  const { params, N, M } = problem;
  return tf.tidy(() => {
    const parts = uncachedParts(problem, x);
    const tUncached = uncachedMs(x.alpha, parts); // t_m [ms]
    const tCached = parts.edgeFullMs; // C/f'_es [ms]
    const key: tf.Tensor = rule === 'saving' ? tf.sub(tUncached, tCached) : tUncached;
    // The two tests that do not depend on the running sums: C/f'_es <= Tmax and C/f'_es < t_m.
    const worthCaching = tf.cast(tf.logicalAnd(tf.lessEqual(tCached, params.tMaxMs), tf.less(tCached, tUncached)), 'float32');

    // Stable descending order, ties to the lower index; each field as M columns [N] in that order.
    const sort = sortRows(key, 'descending');
    const [bitsS, alphaS, fEsS, worthS] = sort.sortedColumns([problem.bitsKbit, x.alpha, x.fEsGHz, worthCaching]);

    // The greedy from nothing cached: M accept/skip steps on [N] running sums of the cache use
    // (6g) and the ES load (6f); caching UE m adds alpha_m f_es_m to the load.
    const cacheLimitKbit = params.sMaxKbit * (1 + LIMIT_RTOL_F32);
    const loadLimitGHz = params.fEsMaxGHz * (1 + LIMIT_RTOL_F32);
    let cacheKbit: tf.Tensor1D = tf.zeros([N]);
    let loadGHz = tf.sum(tf.mul(tf.sub(1, x.alpha), x.fEsGHz), 1) as tf.Tensor1D;
    const accepted: tf.Tensor1D[] = [];
    for (let p = 0; p < M; p++) {
      const [ok, cacheNext, loadNext] = tf.tidy(() => {
        const cacheIf = tf.add(cacheKbit, bitsS[p]);
        const loadIf = tf.add(loadGHz, tf.mul(alphaS[p], fEsS[p]));
        const fits = tf.logicalAnd(
          tf.logicalAnd(tf.lessEqual(cacheIf, cacheLimitKbit), tf.lessEqual(loadIf, loadLimitGHz)),
          tf.greater(worthS[p], 0),
        );
        return [fits, tf.where(fits, cacheIf, cacheKbit), tf.where(fits, loadIf, loadGHz)] as tf.Tensor1D[];
      });
      tf.dispose([cacheKbit, loadGHz]);
      cacheKbit = cacheNext;
      loadGHz = loadNext;
      accepted.push(ok);
    }
    tf.dispose([cacheKbit, loadGHz]);
    const next = sort.unsortedColumns(accepted.map((ok) => tf.cast(ok, 'float32')));

    // Keep-previous rule: J must not rise; UEs leaving the cache must meet (6b) and (6e).
    const prevOn = tf.notEqual(x.cached, 0);
    const nextOn = tf.notEqual(next, 0);
    const changed = tf.notEqual(prevOn, nextOn);
    const gain = tf.where(nextOn, tf.sub(tCached, tUncached), tf.sub(tUncached, tCached));
    const deltaJMs = tf.sum(tf.where(changed, gain, tf.zerosLike(gain)), 1);
    const leaving = tf.logicalAnd(prevOn, tf.logicalNot(nextOn));
    const meetsUncached = tf.logicalAnd(
      tf.lessEqual(tUncached, params.tMaxMs * (1 + LIMIT_RTOL_F32)),
      tf.lessEqual(uncachedMj(x.alpha, parts), params.eMaxMj * (1 + LIMIT_RTOL_F32)),
    );
    const leavesOk = tf.all(tf.logicalOr(tf.logicalNot(leaving), meetsUncached), 1);
    const take = tf.logicalAnd(isSet(active), tf.logicalAnd(tf.lessEqual(deltaJMs, 0), leavesOk));
    return tf.where(rowsTrue(take, M), next, x.cached) as tf.Tensor2D;
  });
}
