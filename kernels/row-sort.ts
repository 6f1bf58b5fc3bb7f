/**
 * A stable sort of every row of an [N, M] key, for the batched SP1 greedy and the SP2 knapsack.
 * Ties go to the lower index, exactly as the float64 path's `sort((i, j) => key(j) - key(i) ||
 * i - j)`: the rank of entry m in row n is
 *
 *   rank[n, m] = #{ j : key[n, j] comes first } + #{ j < m : key[n, j] = key[n, m] }
 *
 * computed from the pairwise differences key[n, j] - key[n, m] ([N, M, M], one broadcast
 * subtraction; the sign of a float difference is exact) and a sum over j. It does not rely on
 * how a backend's topk orders ties. Keys are first clamped to the finite float32 range
 * (+-Infinity to +-3.4e38, so that Infinity - Infinity cannot make a NaN) and NaN keys are put
 * last; equal clamped keys tie by index, as the float64 comparator treats two infinite keys.
 * Every row's ranks are therefore a permutation of 0..M-1 whatever the data.
 *
 * The permutation is applied with a plain gather on the flattened [N * M] tensor (tf.gather with
 * batchDims = 1 gives wrong rows, or faults with "memory access out of bounds", on the wasm
 * backend of tfjs 4.22). Broadcast comparisons are avoided: on wasm they take a slow generic
 * path (about 15 times slower than a broadcast subtraction).
 *
 * Every function here only creates tensors: call it inside the caller's tf.tidy.
 */
import * as tf from '@tensorflow/tfjs-core';

export type SortDirection = 'descending' | 'ascending';

/** The largest finite float32. */
const F32_MAX = 3.4028234663852886e38;

/** A row-wise permutation and how to apply it and undo it. */
export interface RowSort {
  /** rank[n, m]: position of entry m in row n's sorted order, [N, M] int32. */
  rank: tf.Tensor2D;
  /** x [N, M] in sorted order: out[n, p] = x[n, order[n, p]]. */
  sorted(x: tf.Tensor): tf.Tensor2D;
  /** The inverse: y [N, M] given in sorted order, back to the original order. */
  unsorted(y: tf.Tensor): tf.Tensor2D;
  /**
   * Several [N, M] fields in sorted order, each as M columns [N] (column p = the entries at
   * position p), for sequential steps over the positions; one gather for all of them.
   */
  sortedColumns(xs: readonly tf.Tensor[]): tf.Tensor1D[][];
  /** M columns [N] given in sorted order (column p for position p), back to [N, M] in the original order. */
  unsortedColumns(cols: readonly tf.Tensor[]): tf.Tensor2D;
}

/** Sorts each row of key [N, M] float32 stably (ties to the lower index; NaN last). */
export function sortRows(key: tf.Tensor, direction: SortDirection): RowSort {
  const [N, M] = key.shape as [number, number];
  const rank = stableRanks(key, direction);
  const order = tf.topk(tf.neg(tf.cast(rank, 'float32')), M).indices; // distinct values: no ties
  // Row starts n M as an [N, M] int32 tensor without a broadcast: i - (i mod M), i = 0..NM-1.
  const flatIndex = tf.reshape(tf.range(0, N * M, 1, 'int32'), [N, M]);
  const rowStart = tf.sub(flatIndex, tf.mod(flatIndex, tf.scalar(M, 'int32')));
  const flatOrder = tf.reshape(tf.add(rowStart, order), [N * M]);
  const flatRank = tf.reshape(tf.add(rowStart, rank), [N * M]);
  const gatherFlat = (x: tf.Tensor, idx: tf.Tensor): tf.Tensor2D => {
    const flatX: tf.Tensor = tf.reshape(x, [N * M]);
    return tf.reshape(tf.gather(flatX, idx), [N, M]) as tf.Tensor2D;
  };
  const sortedColumns = (xs: readonly tf.Tensor[]): tf.Tensor1D[][] => {
    const K = xs.length;
    const flat = tf.reshape(tf.stack(xs as tf.Tensor[], 0), [K, N * M]);
    const byPosition = tf.transpose(tf.reshape(tf.gather(flat, flatOrder, 1), [K, N, M]), [0, 2, 1]); // [K, M, N]
    // Two unstacks of at most M rows: one unstack of K M rows is several times slower on wasm.
    return tf.unstack(byPosition, 0).map((field) => tf.unstack(field, 0) as tf.Tensor1D[]);
  };
  return {
    rank,
    sorted: (x) => gatherFlat(x, flatOrder),
    unsorted: (y) => gatherFlat(y, flatRank),
    sortedColumns,
    unsortedColumns: (cols) => gatherFlat(tf.transpose(tf.stack(cols as tf.Tensor[], 0)), flatRank),
  };
}

/** Stable ranks of each row of key [N, M] float32, as [N, M] int32 (see the file's doc). */
export function stableRanks(key: tf.Tensor, direction: SortDirection): tf.Tensor2D {
  // Its own tidy: the [N, M, M] intermediates are freed at once, not at the end of the caller's.
  return tf.tidy(() => {
    const M = key.shape[1] as number;
    const sign = direction === 'descending' ? 1 : -1;
    // Oriented so that "entry j comes before entry m" is "diff[n, m, j] > 0"; NaN to the end.
    const k = tf.clipByValue(tf.where(tf.isNaN(key), tf.fill(key.shape, -Infinity), tf.mul(sign, key)), -F32_MAX, F32_MAX);
    const diff = tf.sub(tf.expandDims(k, 1), tf.expandDims(k, 2)); // [N, M, M]: k[n, j] - k[n, m]
    const range = tf.range(0, M, 1, 'float32');
    // lowerIndex[0, m, j] = 1 when j < m, from the sign of j - m (no broadcast comparison).
    const lowerIndex = tf.expandDims(tf.relu(tf.neg(tf.sign(tf.sub(tf.expandDims(range, 0), tf.expandDims(range, 1))))), 0);
    const comesFirst = tf.add(tf.cast(tf.greater(diff, 0), 'float32'), tf.mul(tf.cast(tf.equal(diff, 0), 'float32'), lowerIndex));
    return tf.cast(tf.sum(comesFirst, 2), 'int32') as tf.Tensor2D;
  });
}
