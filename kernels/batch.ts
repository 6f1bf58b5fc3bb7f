/**
 * A batch of N realisations for the tensor engine: problem data and decision variables as
 * float32 tensors of shape [N, M] (batch first), in model units (ms, kbit, Mcycles, GHz, Mbit/s,
 * W, mJ; see engine/units.ts). Every realisation of a batch shares one parameter set.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ModelParams, Problem } from '../engine/problem.js';
import { allocatePointColumns, pointViews, type Point } from '../engine/model/point.js';
import { fail } from '../engine/errors.js';

export interface BatchProblem {
  N: number;
  M: number;
  /** Shared by every realisation of the batch. */
  params: ModelParams;
  /** c = ||h||^2 / (B N0) [1/W], [N, M]. */
  cPerW: tf.Tensor;
  /** C [Mcycles], [N, M]. */
  cyclesMc: tf.Tensor;
  /** D [kbit], [N, M]. */
  bitsKbit: tf.Tensor;
}

/** Decision variables, each [N, M]; `cached` holds 0 or 1. */
export interface BatchPoint {
  cached: tf.Tensor;
  alpha: tf.Tensor;
  bandwidth: tf.Tensor;
  powerW: tf.Tensor;
  fUeGHz: tf.Tensor;
  fEsGHz: tf.Tensor;
}

export const POINT_FIELDS = ['cached', 'alpha', 'bandwidth', 'powerW', 'fUeGHz', 'fEsGHz'] as const;

/** Whether rows are consecutive views of one buffer (points made by pointViews). */
function contiguous(rows: ArrayLike<number>[], M: number): rows is Float64Array[] | Uint8Array[] {
  const first = rows[0] as Float64Array | Uint8Array;
  if (!ArrayBuffer.isView(first)) return false;
  return rows.every((r, n) => ArrayBuffer.isView(r) && (r as Float64Array).buffer === first.buffer
    && (r as Float64Array).byteOffset === first.byteOffset + n * M * first.BYTES_PER_ELEMENT && r.length === M);
}

function stack(rows: ArrayLike<number>[], M: number): tf.Tensor {
  const data = new Float32Array(rows.length * M);
  if (contiguous(rows, M)) {
    const first = rows[0] as Float64Array;
    data.set(new (first.constructor as Float64ArrayConstructor)(first.buffer, first.byteOffset, rows.length * M));
  } else {
    rows.forEach((r, n) => {
      for (let m = 0; m < M; m++) data[n * M + m] = r[m];
    });
  }
  return tf.tensor2d(data, [rows.length, M], 'float32');
}

/** Stacks float64 problems (same M and parameters) into a batch. */
export function batchProblem(problems: readonly Problem[]): BatchProblem {
  if (problems.length === 0) fail('invalid-argument', 'a batch needs at least one realisation');
  const M = problems[0].cPerW.length;
  if (problems.some((p) => p.cPerW.length !== M)) fail('invalid-argument', 'every realisation of a batch must have the same M');
  const first = problems[0].params;
  const keys = Object.keys(first) as (keyof ModelParams)[];
  if (problems.some((p) => p.params !== first && keys.some((k) => p.params[k] !== first[k]))) {
    fail('invalid-argument', 'every realisation of a batch must have the same parameters');
  }
  return {
    N: problems.length, M, params: problems[0].params,
    cPerW: stack(problems.map((p) => p.cPerW), M),
    cyclesMc: stack(problems.map((p) => p.cyclesMc), M),
    bitsKbit: stack(problems.map((p) => p.bitsKbit), M),
  };
}

/** Stacks float64 points into a batch point. */
export function batchPoint(points: readonly Point[]): BatchPoint {
  const M = points[0].alpha.length;
  return {
    cached: stack(points.map((x) => x.cached), M),
    alpha: stack(points.map((x) => x.alpha), M),
    bandwidth: stack(points.map((x) => x.bandwidth), M),
    powerW: stack(points.map((x) => x.powerW), M),
    fUeGHz: stack(points.map((x) => x.fUeGHz), M),
    fEsGHz: stack(points.map((x) => x.fEsGHz), M),
  };
}

/** Reads a batch point back into float64 points (one per realisation). */
export async function unbatchPoint(bp: BatchPoint): Promise<Point[]> {
  const [N, M] = bp.alpha.shape;
  const fields = await Promise.all(POINT_FIELDS.map((f) => bp[f].data()));
  const columns = allocatePointColumns(N, M);
  for (let i = 0; i < N * M; i++) columns.cached[i] = fields[0][i] > 0.5 ? 1 : 0;
  columns.alpha.set(fields[1]);
  columns.bandwidth.set(fields[2]);
  columns.powerW.set(fields[3]);
  columns.fUeGHz.set(fields[4]);
  columns.fEsGHz.set(fields[5]);
  return pointViews(columns, N, M);
}

export function disposeBatchProblem(p: BatchProblem): void {
  tf.dispose([p.cPerW, p.cyclesMc, p.bitsKbit]);
}

export function disposeBatchPoint(x: BatchPoint): void {
  tf.dispose(POINT_FIELDS.map((f) => x[f]));
}
