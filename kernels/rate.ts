/**
 * The URLLC rate of SPEC section 2 (the letter's eq. 1) over a batch: float32 tensors [N, M] in
 * model units, the tensor twin of engine/model/rate.ts.
 *
 *   gamma = p c / b,  R = (B/ln2) [ b ln(1+gamma) - kappa sqrt(b V(gamma)) ],  V = 1 - (1+gamma)^-2
 *
 * with kappa = Qinv(eps)/sqrt(phi B). R~ ("v1") sets V = 1.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { RateKind } from '../engine/model/rate.js';
import type { BatchProblem } from './batch.js';

/**
 * ln(1 + x), elementwise, accurate to a few float32 ulps for every x > -1.
 *
 * The wasm backend's Log1p computes log(1 + x) directly, which loses all digits for small x
 * (log1p(1e-7) comes out 1.19e-7). This uses the classical correction: with u = fl(1 + x),
 * ln(1+x) = ln(u) x / (u - 1), exact up to the rounding of ln(u), and x itself when u = 1.
 * x: any shape, float32. Returns the same shape, float32.
 */
export function log1pAccurate(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const u = tf.add(x, 1);
    const uMinus1 = tf.sub(u, 1);
    const corrected = tf.mul(tf.log(u), tf.div(x, uMinus1));
    // x = +Infinity gives Inf/Inf in the correction; ln(1+Inf) is Inf.
    const large = tf.where(tf.isInf(x), x, corrected);
    return tf.where(tf.equal(uMinus1, 0), x, large);
  });
}

/** SNR gamma = p c / b [-]: bandwidth b [N, M] (share), powerW p [N, M] [W]; returns [N, M] float32. */
export function snr(problem: BatchProblem, bandwidth: tf.Tensor, powerW: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => tf.div(tf.mul(powerW, problem.cPerW), bandwidth));
}

/**
 * Channel dispersion V(gamma) = 1 - (1+gamma)^-2 [-], any shape, float32.
 * Computed as gamma(2+gamma)/(1+gamma)^2 without cancellation, evaluated as the product of the two
 * ratios gamma/(1+gamma) and (2+gamma)/(1+gamma) so that (1+gamma)^2 cannot overflow float32
 * (gamma above 1.8e19).
 */
export function dispersion(gamma: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const onePlus = tf.add(gamma, 1);
    return tf.mul(tf.div(gamma, onePlus), tf.div(tf.add(gamma, 2), onePlus));
  });
}

/** (B/ln2) [ b ln(1+gamma) - kappa sqrt(b v) ] with v = 1 (R~) or V(gamma) (R). */
function rate(problem: BatchProblem, bandwidth: tf.Tensor, powerW: tf.Tensor, kind: RateKind): tf.Tensor2D {
  return tf.tidy(() => {
    const { rateScaleMbps, kappa } = problem.params;
    const gamma = snr(problem, bandwidth, powerW);
    const capacity = tf.mul(bandwidth, log1pAccurate(gamma));
    const spread = kind === 'exact' ? tf.mul(bandwidth, dispersion(gamma)) : bandwidth;
    const penalty = tf.mul(tf.sqrt(spread), kappa);
    return tf.mul(tf.sub(capacity, penalty), rateScaleMbps) as tf.Tensor2D;
  });
}

/**
 * R~ [Mbit/s], the rate with V = 1 that the optimiser works on (SPEC section 2):
 * R~ = (B/ln2) [ b ln(1+gamma) - kappa sqrt(b) ], gamma = p c / b.
 * bandwidth: b [N, M] (share of B); powerW: p [N, M] [W]; c from problem.cPerW [N, M] [1/W].
 * Returns [N, M] float32 [Mbit/s]; may be zero or negative at low SNR.
 */
export function rateV1Mbps(problem: BatchProblem, bandwidth: tf.Tensor, powerW: tf.Tensor): tf.Tensor2D {
  return rate(problem, bandwidth, powerW, 'v1');
}

/**
 * R [Mbit/s], the finite-blocklength rate of SPEC eq. 1 with the exact dispersion
 * V = 1 - (1+gamma)^-2 = gamma(2+gamma)/(1+gamma)^2: R = (B/ln2) [ b ln(1+gamma) - kappa sqrt(b V) ].
 * Same shapes and units as rateV1Mbps; R >= R~.
 */
export function rateExactMbps(problem: BatchProblem, bandwidth: tf.Tensor, powerW: tf.Tensor): tf.Tensor2D {
  return rate(problem, bandwidth, powerW, 'exact');
}

/** R~ ('v1') or R ('exact') [Mbit/s], [N, M] float32. */
export function rateMbps(kind: RateKind, problem: BatchProblem, bandwidth: tf.Tensor, powerW: tf.Tensor): tf.Tensor2D {
  return rate(problem, bandwidth, powerW, kind);
}
