/**
 * Latency (SPEC section 2, the letter's eq. 5) and UE energy over a batch: float32 tensors [N, M]
 * in model units, the tensor twin of engine/model/latency-energy.ts.
 *
 *   T = s C/f'_es + (1-s) [ alpha C/f'_ue + D/R + (1-alpha) C/f'_es ]
 *   E = (1-s) [ alpha (theta/2) C f'_ue^2 + (1-alpha) p D/R ]
 *
 * with f' = (1 - delta) f. Zero-factor rule: a term whose factor (s, 1-s, alpha or 1-alpha) is
 * exactly zero is zero, even where its denominator is zero or its value infinite (alpha = 0 needs
 * no f_ue, alpha = 1 no f_es, a cached task no rate); the factor selects with tf.where, never by
 * multiplying 0 by Infinity. A rate R <= 0 (or NaN) makes D/R infinite, as in the float64 path.
 * For s in {0, 1} this is exactly the engine's branch on s.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { RateKind } from '../engine/model/rate.js';
import type { BatchPoint, BatchProblem } from './batch.js';
import { rateMbps } from './rate.js';

/** factor * term, or 0 where factor is exactly 0 (whatever term is). Same shapes. */
function scaled(factor: tf.Tensor, term: tf.Tensor): tf.Tensor {
  return tf.where(tf.equal(factor, 0), tf.zerosLike(term), tf.mul(factor, term));
}

/** Transmission time D/R [ms], +Infinity where R <= 0 or R is NaN. rate: [N, M] [Mbit/s]. */
function transmitMs(problem: BatchProblem, rate: tf.Tensor): tf.Tensor {
  return tf.where(tf.greater(rate, 0), tf.div(problem.bitsKbit, rate), tf.fill(rate.shape, Infinity));
}

/** C / f' [ms] for a CPU rate f [GHz] and deviation delta. */
const computeMs = (problem: BatchProblem, fGHz: tf.Tensor, delta: number): tf.Tensor =>
  tf.div(problem.cyclesMc, tf.mul(fGHz, 1 - delta));

/**
 * t_m of SP1, the latency of each UE if it is not cached [ms]:
 * alpha C/f'_ue + D/R + (1-alpha) C/f'_es (SPEC sections 2 and 3), with the zero-factor rule.
 * point: [N, M] each (cached is ignored); rate: R~ or R [N, M] [Mbit/s]. Returns [N, M] float32 [ms].
 */
export function uncachedMs(problem: BatchProblem, point: BatchPoint, rate: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    const { deltaUe, deltaEs } = problem.params;
    const { alpha } = point;
    const local = scaled(alpha, computeMs(problem, point.fUeGHz, deltaUe));
    const edge = scaled(tf.sub(1, alpha), computeMs(problem, point.fEsGHz, deltaEs));
    return tf.add(tf.add(local, transmitMs(problem, rate)), edge) as tf.Tensor2D;
  });
}

/**
 * T_m of SPEC eq. 5 [ms]: s C/f'_es + (1-s) t_m, with the zero-factor rule.
 * point: BatchPoint, [N, M] each (cached s in {0, 1}, alpha, f_ue [GHz], f_es [GHz]);
 * rate: R~ or R [N, M] [Mbit/s] (non-positive gives an infinite latency to an uncached UE).
 * Returns [N, M] float32 [ms].
 */
export function latencyMs(problem: BatchProblem, point: BatchPoint, rate: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    const s = point.cached;
    const cached = scaled(s, computeMs(problem, point.fEsGHz, problem.params.deltaEs));
    const uncached = scaled(tf.sub(1, s), uncachedMs(problem, point, rate));
    return tf.add(cached, uncached) as tf.Tensor2D;
  });
}

/**
 * UE energy E_m of SPEC section 2 [mJ]: (1-s) [ alpha (theta/2) C f'_ue^2 + (1-alpha) p D/R ],
 * with the zero-factor rule (a cached UE spends nothing).
 * point: [N, M] each (p [W], f_ue [GHz]); rate: R~ or R [N, M] [Mbit/s]. Returns [N, M] float32 [mJ].
 */
export function energyMj(problem: BatchProblem, point: BatchPoint, rate: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    const { deltaUe, thetaModel } = problem.params;
    const { alpha } = point;
    const f = tf.mul(point.fUeGHz, 1 - deltaUe);
    const localPerAlpha = tf.mul(tf.mul(problem.cyclesMc, tf.square(f)), 0.5 * thetaModel);
    const local = scaled(alpha, localPerAlpha);
    const transmit = scaled(tf.sub(1, alpha), tf.mul(point.powerW, transmitMs(problem, rate)));
    return scaled(tf.sub(1, point.cached), tf.add(local, transmit)) as tf.Tensor2D;
  });
}

/**
 * J = sum_m T_m [ms], the objective of problem (6), with the rate R~ ('v1', the default, as the
 * optimiser uses) or R ('exact'). point: [N, M] each. Returns [N] float32 [ms].
 */
export function totalLatencyMs(problem: BatchProblem, point: BatchPoint, kind: RateKind = 'v1'): tf.Tensor1D {
  return tf.tidy(() => {
    const rate = rateMbps(kind, problem, point.bandwidth, point.powerW);
    return tf.sum(latencyMs(problem, point, rate), 1) as tf.Tensor1D;
  });
}
