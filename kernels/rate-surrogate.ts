/**
 * The concave lower bound Rs of the rate (SPEC section 3, step 3, eqs. 17 and 19) over a batch,
 * the float32 twin of engine/ao/rate-surrogate.ts, shared by SP3's surrogate and the joint one:
 *   Rs(b, p) = K (rsConst + rsLinB b - ap/p - lb2/b)   [Mbit/s], K = B/ln2,
 * around the expansion point (b̄, p̄), and the derivatives of the normalised slot
 * (Rmin - Rs)/Rmin. Shapes [N, M].
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BatchProblem } from './batch.js';
import { log1pAccurate } from './rate.js';

type T = tf.Tensor;

export interface RateSurrogate {
  rsConst: T;
  rsLinB: T;
  ap: T;
  lb2: T;
}

/** Coefficients around (b̄, p̄) (inside a caller's tidy). */
export function rateSurrogateCoefficients(problem: BatchProblem, bBar: T, pBar: T): RateSurrogate {
  const P = problem.params;
  const gamma = tf.div(tf.mul(pBar, problem.cPerW), bBar);
  const L = log1pAccurate(gamma);
  const a = tf.div(tf.mul(bBar, gamma), tf.add(1, gamma));
  const sb = tf.sqrt(bBar);
  return {
    rsConst: tf.sub(tf.add(tf.mul(tf.mul(2, bBar), L), tf.mul(2, a)), tf.mul(P.kappa / 2, sb)),
    rsLinB: tf.neg(tf.add(tf.div(a, bBar), tf.div(P.kappa / 2, sb))),
    ap: tf.mul(a, pBar),
    lb2: tf.mul(L, tf.square(bBar)),
  };
}

/**
 * Rs at (b, p) and, with derivatives, the gradient and diagonal curvature of (Rmin - Rs)/Rmin
 * (Rs is separable in b and p). Inside a caller's tidy.
 */
export function rateSurrogateAt(problem: BatchProblem, rb: RateSurrogate, b: T, p: T, withDerivatives: boolean): { rs: T; grad: { b: T; p: T } | null; hd: { b: T; p: T } | null } {
  const K = problem.params.rateScaleMbps;
  const rMin = problem.params.rMinMbps;
  const invB = tf.reciprocal(b);
  const invP = tf.reciprocal(p);
  const lb2OverB = tf.mul(rb.lb2, invB);
  const apOverP = tf.mul(rb.ap, invP);
  const rs = tf.mul(K, tf.sub(tf.sub(tf.add(rb.rsConst, tf.mul(rb.rsLinB, b)), apOverP), lb2OverB));
  if (!withDerivatives) return { rs, grad: null, hd: null };
  const dRsDb = tf.mul(K, tf.add(rb.rsLinB, tf.mul(lb2OverB, invB)));
  const dRsDp = tf.mul(K, tf.mul(apOverP, invP));
  return {
    rs,
    grad: { b: tf.div(tf.neg(dRsDb), rMin), p: tf.div(tf.neg(dRsDp), rMin) },
    hd: { b: tf.mul((2 * K) / rMin, tf.mul(lb2OverB, tf.square(invB))), p: tf.mul((2 * K) / rMin, tf.mul(apOverP, tf.square(invP))) },
  };
}

/** A slot of the rate surrogate: value [N, M], gradient and diagonal curvature in b, p and tau. */
export interface RateSlot {
  val: T;
  grad: { b?: T; p?: T; tau?: T };
  hd: { b?: T; p?: T; tau?: T };
}

/**
 * Slots 0 and 1 of both surrogates (SP3's and the joint one) at (b, p, tau), inside a caller's
 * tidy: 0 rate-min (Rmin - Rs)/Rmin on every UE, 1 tau (1/tau - Rs)/Rmin where `uncached` [N, M]
 * is 1 (it reads -1 where it is 0). Gradients and curvatures when `withDerivatives`, else empty.
 */
export function rateSlots(problem: BatchProblem, rb: RateSurrogate, b: T, p: T, tau: T, uncached: T, withDerivatives: boolean): [RateSlot, RateSlot] {
  const rMin = problem.params.rMinMbps;
  const rate = rateSurrogateAt(problem, rb, b, p, withDerivatives);
  const invTau = tf.reciprocal(tau);
  const rateMin = tf.div(tf.sub(rMin, rate.rs), rMin);
  const tauSlot = tf.add(tf.mul(uncached, tf.div(tf.sub(invTau, rate.rs), rMin)), tf.sub(uncached, 1));
  if (!withDerivatives) return [{ val: rateMin, grad: {}, hd: {} }, { val: tauSlot, grad: {}, hd: {} }];
  const g = rate.grad!;
  const h = rate.hd!;
  return [
    { val: rateMin, grad: { ...g }, hd: { ...h } },
    {
      val: tauSlot,
      grad: { b: tf.mul(uncached, g.b), p: tf.mul(uncached, g.p), tau: tf.mul(uncached, tf.mul(-1 / rMin, tf.square(invTau))) },
      hd: { b: tf.mul(uncached, h.b), p: tf.mul(uncached, h.p), tau: tf.mul(uncached, tf.mul(2 / rMin, tf.pow(invTau, 3))) },
    },
  ];
}
