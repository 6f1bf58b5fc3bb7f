/**
 * Per-UE model terms shared by the batched SP1 and SP2 kernels (SPEC section 2), float32 [N, M]
 * tensors in model units: the parts of the uncached latency and energy that SP1 and SP2 weigh
 * separately (the rate comes from kernels/rate.ts).
 *
 * Every function here only creates tensors: call it inside the caller's tf.tidy.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LIMIT_RTOL } from '../engine/ao/sp1-caching.js';
import { fail } from '../engine/errors.js';
import type { BatchPoint, BatchProblem } from './batch.js';
import { rateV1Mbps } from './rate.js';

/**
 * Relative slack of the limits that a previous point may meet with equality ((6b), (6e), (6f),
 * (6g)). The float64 path's LIMIT_RTOL (1e-12) is far below float32 resolution (2^-24 = 6e-8),
 * and a float32 sum of M = 15 terms carries a relative error of a few 2^-24, so the batched
 * path uses 2^-20 (9.5e-7): the float32 equivalent of LIMIT_RTOL.
 */
export const LIMIT_RTOL_F32 = Math.max(LIMIT_RTOL, 2 ** -20);

/** The per-UE latency and energy parts of an uncached task, each [N, M] float32. */
export interface UncachedParts {
  /** D / R~, +Infinity where R~ <= 0 [ms]. */
  transmitMs: tf.Tensor2D;
  /** C / f'_ue, the whole task computed locally [ms]. */
  localFullMs: tf.Tensor2D;
  /** C / f'_es, the whole task computed at the edge; also the latency of a cached task [ms]. */
  edgeFullMs: tf.Tensor2D;
  /** p D / R~ [mJ]. */
  transmitMj: tf.Tensor2D;
  /** (theta/2) C f'_ue^2, the whole task computed locally [mJ]. */
  localFullMj: tf.Tensor2D;
}

/** The uncached parts of every UE of the batch (the caller disposes them, e.g. by tf.tidy). */
export function uncachedParts(problem: BatchProblem, x: BatchPoint): UncachedParts {
  const { params } = problem;
  const rate = rateV1Mbps(problem, x.bandwidth, x.powerW);
  const transmitMs = tf.where(tf.greater(rate, 0), tf.div(problem.bitsKbit, rate), tf.fill(rate.shape, Infinity)) as tf.Tensor2D;
  const fUe = tf.mul(1 - params.deltaUe, x.fUeGHz);
  return {
    transmitMs,
    localFullMs: tf.div(problem.cyclesMc, fUe),
    edgeFullMs: tf.div(problem.cyclesMc, tf.mul(1 - params.deltaEs, x.fEsGHz)),
    transmitMj: tf.mul(x.powerW, transmitMs),
    localFullMj: tf.mul(0.5 * params.thetaModel, tf.mul(problem.cyclesMc, tf.square(fUe))) as tf.Tensor2D,
  };
}

/** alpha * v with the zero-factor rule: 0 where alpha = 0 (whatever v is, Infinity included). */
const scaledBy = (factor: tf.Tensor, v: tf.Tensor): tf.Tensor2D =>
  tf.where(tf.equal(factor, 0), tf.zerosLike(v), tf.mul(factor, v)) as tf.Tensor2D;

/** t_m = alpha C/f'_ue + D/R~ + (1-alpha) C/f'_es [ms], [N, M] (SPEC eq. 5, s = 0). */
export function uncachedMs(alpha: tf.Tensor, parts: UncachedParts): tf.Tensor2D {
  const local = scaledBy(alpha, parts.localFullMs);
  const edge = scaledBy(tf.sub(1, alpha), parts.edgeFullMs);
  return tf.add(tf.add(local, parts.transmitMs), edge) as tf.Tensor2D;
}

/** E_m = alpha (theta/2) C f'_ue^2 + (1-alpha) p D/R~ [mJ], [N, M] (SPEC section 2, s = 0). */
export function uncachedMj(alpha: tf.Tensor, parts: UncachedParts): tf.Tensor2D {
  return tf.add(scaledBy(alpha, parts.localFullMj), scaledBy(tf.sub(1, alpha), parts.transmitMj)) as tf.Tensor2D;
}

/** A flag of any dtype as bool: nonzero (NaN included) is true. */
export function isSet(flag: tf.Tensor): tf.Tensor {
  return tf.notEqual(tf.cast(flag, 'float32'), 0);
}

/**
 * A per-row flag [N] (bool, or numbers: nonzero = true) repeated over the M columns, [N, M] bool.
 * Built by a broadcast addition and a scalar comparison: broadcast comparisons, and the Tile
 * that tf.where uses to broadcast its condition, are slow on the wasm backend.
 */
export function rowsTrue(flag: tf.Tensor, M: number): tf.Tensor2D {
  const column = tf.expandDims(tf.cast(isSet(flag), 'float32'), 1);
  return tf.greater(tf.add(column, tf.zeros([flag.shape[0] as number, M])), 0.5) as tf.Tensor2D;
}

/** Throws a DtmcError naming the op and the argument when a shape does not fit the batch. */
export function checkShapes(op: string, problem: BatchProblem, x: BatchPoint, active: tf.Tensor1D): void {
  const { N, M } = problem;
  const expect2d: [string, tf.Tensor][] = [
    ['problem.cPerW', problem.cPerW], ['problem.cyclesMc', problem.cyclesMc], ['problem.bitsKbit', problem.bitsKbit],
    ['x.cached', x.cached], ['x.alpha', x.alpha], ['x.bandwidth', x.bandwidth], ['x.powerW', x.powerW],
    ['x.fUeGHz', x.fUeGHz], ['x.fEsGHz', x.fEsGHz],
  ];
  for (const [name, t] of expect2d) {
    if (t.rank !== 2 || t.shape[0] !== N || t.shape[1] !== M) {
      fail('invalid-argument', `argument '${name}' passed to '${op}' must have shape [${N}, ${M}], got [${t.shape.join(', ')}]`);
    }
  }
  if (active.rank !== 1 || active.shape[0] !== N) {
    fail('invalid-argument', `argument 'active' passed to '${op}' must have shape [${N}], got [${active.shape.join(', ')}]`);
  }
}
