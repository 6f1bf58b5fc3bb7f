/**
 * The joint surrogate over a batch, the float32 twin of engine/ao/joint-surrogate.ts (read its
 * doc for the change of variables, the bounds and their proofs): per UE the variables
 * b [-], p [W], r = alpha/f_ue [1/GHz], u = (1 - alpha) f_es (cached: f_es) [GHz],
 * tau [ms/kbit] and alpha [-], the same eight slots, and the coupling rows sum b <= 1 and
 * sum u <= Fes_max. Shapes [N, M].
 *
 * Cached UEs keep r, tau and alpha fixed at harmless stand-ins (1, 1, 1/2): every term that uses
 * them carries a factor (1 - s) that is zero there, and their slots are masked inactive.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BatchPoint, BatchProblem } from './batch.js';
import type { BatchBlockProblem, BlockTerms, BlockVars } from './block-problem.js';
import { rateSlots, rateSurrogateCoefficients, type RateSurrogate } from './rate-surrogate.js';
import { ALPHA_PULL, SLACK_SLOTS } from '../engine/ao/solver-constants.js';

type T = tf.Tensor;


export interface JointCoefficients extends RateSurrogate {
  problem: BatchProblem;
  cached: T;
  uncached: T;
  /** (1 - s) C/ku [ms GHz], C/ke [ms GHz], (1 - s) D [kbit], (1 - s) (theta/2) C ku^2 [mJ/GHz^2]. */
  kt: T;
  ce: T;
  tx: T;
  kE: T;
  /** Product-bound scales g/w_e, g/p̄, g/tau_bar with w_e = max(1 - alpha_bar, ALPHA_PULL). */
  sw: T;
  sp: T;
  st: T;
}

/** Coefficients around x with tau_bar = 1/R~(b̄, p̄); the caller disposes them with `disposeJointCoefficients`. */
export function jointCoefficients(problem: BatchProblem, x: BatchPoint, tauBar: T): JointCoefficients {
  const P = problem.params;
  const ku = 1 - P.deltaUe;
  const ke = 1 - P.deltaEs;
  const tensors = tf.tidy(() => {
    const uncached = tf.sub(1, x.cached);
    const C = problem.cyclesMc;
    const we = tf.maximum(tf.sub(1, x.alpha), ALPHA_PULL);
    const g = tf.pow(tf.mul(tf.mul(we, x.powerW), tauBar), 1 / 3);
    return {
      cached: tf.clone(x.cached),
      uncached,
      kt: tf.mul(uncached, tf.div(C, ku)),
      ce: tf.div(C, ke),
      tx: tf.mul(uncached, problem.bitsKbit),
      kE: tf.mul(uncached, tf.mul(C, 0.5 * P.thetaModel * ku * ku)),
      sw: tf.div(g, we),
      sp: tf.div(g, x.powerW),
      st: tf.div(g, tauBar),
      ...rateSurrogateCoefficients(problem, x.bandwidth, x.powerW),
    };
  });
  return { ...tensors, problem };
}

export function disposeJointCoefficients(c: JointCoefficients): void {
  const { problem: _problem, ...tensors } = c;
  void _problem;
  tf.dispose(Object.values(tensors));
}

/** The start of a step: x packed into the joint variables and pulled strictly inside by `pull` (inside a caller's tidy). */
export function jointStart(c: JointCoefficients, x: BatchPoint, tauBar: T, pull: number): BlockVars {
  const P = c.problem.params;
  const keep = 1 - pull;
  const isCached = tf.greater(c.cached, 0);
  const al = tf.clipByValue(x.alpha, ALPHA_PULL, 1 - ALPHA_PULL);
  const fue = tf.minimum(tf.where(tf.greater(x.fUeGHz, 0), x.fUeGHz, tf.fill(x.fUeGHz.shape, P.fUeMaxGHz)), P.fUeMaxGHz * keep);
  const fes = tf.where(tf.greater(x.fEsGHz, 0), tf.minimum(tf.mul(x.fEsGHz, keep), P.fEsMaxGHz * keep), tf.fill(x.fEsGHz.shape, (P.fEsMaxGHz * keep) / c.problem.M));
  const ones = tf.onesLike(x.alpha);
  return {
    b: tf.mul(x.bandwidth, keep),
    p: tf.minimum(x.powerW, P.pMaxW * keep),
    r: tf.where(isCached, ones, tf.div(al, fue)),
    u: tf.where(isCached, tf.minimum(tf.mul(x.fEsGHz, keep), P.fEsMaxGHz * keep), tf.mul(tf.sub(1, al), fes)),
    tau: tf.where(isCached, ones, tauBar),
    alpha: tf.where(isCached, tf.mul(0.5, ones), al),
  };
}

/**
 * The point of the joint variables v: b, p; uncached alpha, f_ue = alpha/r, f_es = u/(1 - alpha);
 * cached f_es = u, alpha and f_ue kept (inside a caller's tidy).
 */
export function jointPoint(c: JointCoefficients, v: BlockVars, x: BatchPoint): Pick<BatchPoint, 'alpha' | 'bandwidth' | 'powerW' | 'fUeGHz' | 'fEsGHz'> {
  const isCached = tf.greater(c.cached, 0);
  return {
    alpha: tf.where(isCached, x.alpha, v.alpha),
    bandwidth: tf.clone(v.b),
    powerW: tf.clone(v.p),
    fUeGHz: tf.where(isCached, x.fUeGHz, tf.div(v.alpha, v.r)),
    fEsGHz: tf.where(isCached, v.u, tf.div(v.u, tf.sub(1, v.alpha))),
  };
}

/**
 * The objective and the eight slots at v (inside a caller's tidy), with derivatives when asked.
 * Slot order as the float64 surrogate: 0 rate-min, 1 tau, 2 latency, 3 energy, 4 p box,
 * 5 f_ue box (alpha - Fue r), 6 f_es box (u/Fes - w), 7 alpha >= 0. An inactive slot reads -1.
 */
export function evaluateJoint(c: JointCoefficients, v: BlockVars, withDerivatives: boolean): { objective: BlockTerms; slots: BlockTerms[] } {
  const P = c.problem.params;
  const tMax = P.tMaxMs;
  const eMax = P.eMaxMj;
  const { b, p, r, u, tau, alpha } = v;
  const un = c.uncached;
  const masked = (mask: T, val: T): T => tf.add(tf.mul(mask, val), tf.sub(mask, 1));
  const [rateMin, tauSlot] = rateSlots(c.problem, c, b, p, tau, un, withDerivatives);
  const w = tf.sub(1, alpha);
  const invU = tf.reciprocal(u);
  // Latency: (1-s)(C/ku) r + (1-s) D tau + (C/ke) (s + (1-s) w^2)/u.
  const edgeNum = tf.add(c.cached, tf.mul(un, tf.square(w)));
  const edge = tf.mul(tf.mul(c.ce, edgeNum), invU);
  const latency = tf.add(tf.add(tf.mul(c.kt, r), tf.mul(c.tx, tau)), edge);
  // Energy: kE alpha^3/r^2 + (1-s) D ((w sw)^3 + (p sp)^3 + (tau st)^3)/3.
  const invR = tf.reciprocal(r);
  const a2r2 = tf.square(tf.mul(alpha, invR));
  const xw = tf.mul(w, c.sw);
  const yp = tf.mul(p, c.sp);
  const zt = tf.mul(tau, c.st);
  const cube = (q: T): T => tf.mul(tf.square(q), q);
  const energy = tf.add(tf.mul(tf.mul(c.kE, alpha), a2r2), tf.mul(tf.div(c.tx, 3), tf.add(tf.add(cube(xw), cube(yp)), cube(zt))));
  const values = [
    rateMin.val, //                                                           0 rate-min
    tauSlot.val, //                                                           1 tau
    tf.sub(tf.div(latency, tMax), 1), //                                      2 latency
    masked(un, tf.sub(tf.div(energy, eMax), 1)), //                             3 energy
    tf.sub(tf.div(p, P.pMaxW), 1), //                                         4 p box
    masked(un, tf.sub(alpha, tf.mul(P.fUeMaxGHz, r))), //                      5 f_ue box
    tf.sub(tf.div(u, P.fEsMaxGHz), tf.add(c.cached, tf.mul(un, w))), //       6 f_es box
    masked(un, tf.neg(alpha)), //                                              7 alpha >= 0
  ];
  if (!withDerivatives) {
    return { objective: { val: latency, grad: {}, hd: {} }, slots: values.map((val) => ({ val, grad: {}, hd: {} })) };
  }
  // Edge term: d/du, d/dalpha and their curvatures (the alpha ones vanish on cached UEs).
  const unCeW = tf.mul(tf.mul(un, c.ce), w);
  const tGrad = { r: c.kt, tau: c.tx, u: tf.neg(tf.mul(edge, invU)), alpha: tf.mul(-2, tf.mul(unCeW, invU)) };
  const tHd = { u: tf.mul(2, tf.mul(edge, tf.square(invU))), alpha: tf.mul(2, tf.mul(tf.mul(un, c.ce), invU)) };
  const tCross = tf.mul(2, tf.mul(unCeW, tf.square(invU)));
  const objective: BlockTerms = { val: latency, grad: tGrad, hd: tHd, cross: [{ a: 'alpha', b: 'u', h: tCross }] };
  const over = (q: T, k: number): T => tf.div(q, k);
  const kEa2r2 = tf.mul(c.kE, a2r2);
  const eGrad = {
    alpha: tf.sub(tf.mul(3, kEa2r2), tf.mul(c.tx, tf.mul(tf.square(xw), c.sw))),
    r: tf.mul(-2, tf.mul(tf.mul(kEa2r2, alpha), invR)),
    p: tf.mul(c.tx, tf.mul(tf.square(yp), c.sp)),
    tau: tf.mul(c.tx, tf.mul(tf.square(zt), c.st)),
  };
  const eHd = {
    alpha: tf.add(tf.mul(6, tf.mul(kEa2r2, tf.reciprocal(alpha))), tf.mul(2, tf.mul(c.tx, tf.mul(xw, tf.square(c.sw))))),
    r: tf.mul(6, tf.mul(tf.mul(kEa2r2, alpha), tf.square(invR))),
    p: tf.mul(2, tf.mul(c.tx, tf.mul(yp, tf.square(c.sp)))),
    tau: tf.mul(2, tf.mul(c.tx, tf.mul(zt, tf.square(c.st)))),
  };
  const eCross = tf.mul(-6, tf.mul(kEa2r2, invR));
  const slots: BlockTerms[] = [
    rateMin,
    tauSlot,
    {
      val: values[2],
      grad: Object.fromEntries(Object.entries(tGrad).map(([k, g]) => [k, over(g, tMax)])),
      hd: Object.fromEntries(Object.entries(tHd).map(([k, h]) => [k, over(h, tMax)])),
      cross: [{ a: 'alpha', b: 'u', h: over(tCross, tMax) }],
    },
    {
      val: values[3],
      grad: Object.fromEntries(Object.entries(eGrad).map(([k, g]) => [k, over(g, eMax)])),
      hd: Object.fromEntries(Object.entries(eHd).map(([k, h]) => [k, over(h, eMax)])),
      cross: [{ a: 'alpha', b: 'r', h: over(eCross, eMax) }],
    },
    { val: values[4], grad: { p: tf.fill(b.shape, 1 / P.pMaxW) }, hd: {} },
    { val: values[5], grad: { alpha: un, r: tf.mul(-P.fUeMaxGHz, un) }, hd: {} },
    { val: values[6], grad: { u: tf.fill(u.shape, 1 / P.fEsMaxGHz), alpha: un }, hd: {} },
    { val: values[7], grad: { alpha: tf.neg(un) }, hd: {} },
  ];
  return { objective, slots };
}

/**
 * The joint surrogate as a batched block problem for kernels/block-ipm.ts: r, tau and alpha
 * fixed on cached UEs, coupling rows sum b <= 1 and sum u <= Fes_max.
 */
export function jointBlockProblem(c: JointCoefficients): BatchBlockProblem {
  return {
    N: c.problem.N,
    order: ['b', 'p', 'tau', 'r', 'u', 'alpha'],
    freeMask: { r: c.uncached, tau: c.uncached, alpha: c.uncached },
    coupling: [{ v: 'b', weight: null, rhs: 1 }, { v: 'u', weight: null, rhs: c.problem.params.fEsMaxGHz }],
    slackSlots: SLACK_SLOTS,
    evaluate: (v, withDerivatives) => evaluateJoint(c, v, withDerivatives),
    active: () => {
      const ones = tf.onesLike(c.uncached);
      return [ones, c.uncached, ones, c.uncached, ones, c.uncached, ones, c.uncached];
    },
  };
}
