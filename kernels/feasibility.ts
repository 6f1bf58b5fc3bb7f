/**
 * The constraint residuals of problem (6) (SPEC section 2) over a batch of N realisations of M
 * UEs, the tensor twin of engine/model/feasibility.ts. Like the rest of the batched model
 * (rate.ts, latency-energy.ts) every kernel takes and returns float32 tensors, batch first
 * ([N, M] per UE, [N] per realisation), in model units (see engine/units.ts); it is pure,
 * disposes its intermediates and reads nothing back to the host. test/kernels/model.test.ts
 * checks the batched model against engine/model/.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ConstraintId } from '../engine/model/feasibility.js';
import type { RateKind } from '../engine/model/rate.js';
import type { BatchPoint, BatchProblem } from './batch.js';
import { energyMj, latencyMs } from './latency-energy.js';
import { rateMbps } from './rate.js';

/**
 * Relative violations of problem (6), each max(0, .) with NaN read as +Infinity, as in
 * engine/model/feasibility.ts. Free all of them with tf.dispose(violations).
 */
export type ConstraintViolations = {
  /** Largest violation over every constraint, [N] float32; 0 when the point is feasible. */
  maxViolation: tf.Tensor1D;
  /** Largest violation of each constraint over the UEs, [N] float32 each. */
  perConstraint: Record<ConstraintId, tf.Tensor1D>;
};

/** NaN -> +Infinity, then max(0, v): a violation as the feasibility check notes it. Same shape. */
function positivePart(v: tf.Tensor): tf.Tensor {
  return tf.maximum(tf.where(tf.isNaN(v), tf.fill(v.shape, Infinity), v), 0);
}

/** (value - limit) / scale, positive part. */
const relative = (value: tf.Tensor, limit: number | tf.Tensor, scale: number | tf.Tensor): tf.Tensor =>
  positivePart(tf.div(tf.sub(value, limit), scale));

/** Box [0, hi] relative to its width: max(-x, x - hi) / hi, positive part. [N, M]. */
const boxViolation = (x: tf.Tensor, hi: number): tf.Tensor =>
  positivePart(tf.div(tf.maximum(tf.neg(x), tf.sub(x, hi)), hi));

/** Largest over the UEs: [N, M] -> [N]. */
const overUes = (v: tf.Tensor): tf.Tensor1D => tf.max(v, 1) as tf.Tensor1D;

/**
 * The constraint residuals of problem (6) (SPEC section 2) for a batch, with the rate R
 * ('exact', the default, as the final re-check of SPEC section 4 uses) or R~ ('v1'):
 *   (6b) (T_m - Tmax)/Tmax;  (6c) sum b - 1;  (6d) (Rmin - R_m)/Rmin (cached UEs too);
 *   (6e) (E_m - Emax)/Emax;  (6f) (sum_m [s f_es + (1-s)(1-alpha) f_es] - Fes_max)/Fes_max;
 *   (6g) (sum s D - Smax)/max(Smax, mean D);
 *   (6h) s not in {0, 1} -> Infinity, max(-alpha, alpha-1), max(-b, b-1), and for p, f_ue, f_es
 *        max(-x, x - xmax)/xmax.
 * Each is taken as max(0, .) with NaN read as Infinity, then maximised over the UEs.
 * point: BatchPoint, [N, M] each. Returns [N] float32 tensors (relative, dimensionless).
 */
export function constraintViolations(problem: BatchProblem, point: BatchPoint, kind: RateKind = 'exact'): ConstraintViolations {
  return tf.tidy(() => {
    const { params } = problem;
    const { cached: s, alpha, bandwidth } = point;
    const rate = rateMbps(kind, problem, bandwidth, point.powerW);

    const binary = tf.logicalOr(tf.equal(s, 0), tf.equal(s, 1));
    const bounds = [
      tf.where(binary, tf.zerosLike(s), tf.fill(s.shape, Infinity)),
      positivePart(tf.maximum(tf.neg(alpha), tf.sub(alpha, 1))),
      positivePart(tf.maximum(tf.neg(bandwidth), tf.sub(bandwidth, 1))),
      boxViolation(point.powerW, params.pMaxW),
      boxViolation(point.fUeGHz, params.fUeMaxGHz),
      boxViolation(point.fEsGHz, params.fEsMaxGHz),
    ].reduce((a, b) => tf.maximum(a, b));

    const esLoadGHz = tf.where(tf.notEqual(s, 0), point.fEsGHz, tf.mul(tf.sub(1, alpha), point.fEsGHz));
    const cacheScale = tf.maximum(tf.mean(problem.bitsKbit, 1), params.sMaxKbit);
    const perConstraint: Record<ConstraintId, tf.Tensor1D> = {
      '6b': overUes(relative(latencyMs(problem, point, rate), params.tMaxMs, params.tMaxMs)),
      '6c': positivePart(tf.sub(tf.sum(bandwidth, 1), 1)) as tf.Tensor1D,
      '6d': overUes(relative(tf.neg(rate), -params.rMinMbps, params.rMinMbps)),
      '6e': overUes(relative(energyMj(problem, point, rate), params.eMaxMj, params.eMaxMj)),
      '6f': relative(tf.sum(esLoadGHz, 1), params.fEsMaxGHz, params.fEsMaxGHz) as tf.Tensor1D,
      '6g': relative(tf.sum(tf.mul(s, problem.bitsKbit), 1), params.sMaxKbit, cacheScale) as tf.Tensor1D,
      '6h': overUes(bounds),
    };
    const maxViolation = tf.max(tf.stack(Object.values(perConstraint), 1), 1) as tf.Tensor1D;
    return { maxViolation, perConstraint };
  });
}
