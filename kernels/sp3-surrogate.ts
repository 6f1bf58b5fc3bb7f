/**
 * SP3's convex surrogate over a batch (SPEC section 3, step 3), as tensors [N, M]: the same seven
 * constraint slots, objective and fixed-variable rules as engine/ao/sp3-surrogate.ts (read its
 * doc for the formulas), evaluated with their gradients and diagonal Hessians.
 *
 * Variables per UE (model units): b [-], p [W], fue [GHz], fes [GHz], tau [ms/kbit].
 * A gradient or curvature that is zero by structure is `null`, so the Newton assembly skips it.
 * Entries of fixed variables are zero by construction (their factors alpha, 1 - alpha or 1 - s
 * vanish), so the step leaves them unchanged.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BatchPoint, BatchProblem } from './batch.js';
import { log1pAccurate } from './rate.js';
import { rateSlots, rateSurrogateCoefficients } from './rate-surrogate.js';
import type { BatchBlockProblem } from './block-problem.js';
import { SLACK_SLOTS } from '../engine/ao/solver-constants.js';

export type Var = 'b' | 'p' | 'fue' | 'fes' | 'tau';
export const VARS: readonly Var[] = ['b', 'p', 'fue', 'fes', 'tau'];
export type Vars = Record<Var, tf.Tensor>;
export type Partial5 = Partial<Record<Var, tf.Tensor>>;

/** One slot: value [N, M] (-1 where inactive), gradient and diagonal curvature by variable. */
export interface Slot {
  val: tf.Tensor;
  grad: Partial5;
  hd: Partial5;
}


/** Everything about the surrogate that does not change during one SP3 solve. */
export interface Sp3Coefficients {
  problem: BatchProblem;
  /** [N, M] masks (float 0/1). */
  uncached: tf.Tensor;
  freeFue: tf.Tensor;
  freeFes: tf.Tensor;
  /** (1 - s) alpha C / ku [ms GHz]. */
  localWork: tf.Tensor;
  /** (s + (1 - s)(1 - alpha)) C / ke [ms GHz]. */
  edgeWork: tf.Tensor;
  /** (1 - s) D [kbit]. */
  txBits: tf.Tensor;
  /** (1 - s) alpha theta C ku^2 [mJ / GHz^2]. */
  localEnergy: tf.Tensor;
  /** (1 - s)(1 - alpha) D tau_bar / p̄ and (1 - s)(1 - alpha) D p̄ / tau_bar. */
  energyP: tf.Tensor;
  energyTau: tf.Tensor;
  /** Rs = K (rsConst + rsLinB b - ap / p - lb2 / b) [Mbit/s] (rate-surrogate.ts). */
  rsConst: tf.Tensor;
  rsLinB: tf.Tensor;
  ap: tf.Tensor;
  lb2: tf.Tensor;
  /** (6f) weights s + (1 - s)(1 - alpha) where f_es is free, else 0. */
  esWeight: tf.Tensor;
}

/**
 * Coefficients around the expansion point x (b̄, p̄) with tau_bar [N, M] = 1/R~(b̄, p̄).
 * The caller disposes them with `disposeCoefficients`.
 */
export function sp3Coefficients(problem: BatchProblem, x: BatchPoint, tauBar: tf.Tensor): Sp3Coefficients {
  const P = problem.params;
  const ku = 1 - P.deltaUe;
  const ke = 1 - P.deltaEs;
  const tensors = tf.tidy(() => {
    const s = x.cached;
    const uncached = tf.sub(1, s);
    const alpha = x.alpha;
    const freeFue = tf.mul(uncached, tf.cast(tf.greater(alpha, 0), 'float32'));
    const freeFes = tf.sub(1, tf.mul(uncached, tf.cast(tf.equal(alpha, 1), 'float32')));
    const C = problem.cyclesMc;
    const D = problem.bitsKbit;
    const unAlpha = tf.mul(uncached, tf.sub(1, alpha));
    return {
      uncached,
      freeFue,
      freeFes,
      localWork: tf.div(tf.mul(tf.mul(uncached, alpha), C), ku),
      edgeWork: tf.div(tf.mul(tf.add(s, unAlpha), C), ke),
      txBits: tf.mul(uncached, D),
      localEnergy: tf.mul(tf.mul(tf.mul(uncached, alpha), C), P.thetaModel * ku * ku),
      energyP: tf.div(tf.mul(tf.mul(unAlpha, D), tauBar), x.powerW),
      energyTau: tf.div(tf.mul(tf.mul(unAlpha, D), x.powerW), tauBar),
      ...rateSurrogateCoefficients(problem, x.bandwidth, x.powerW),
      esWeight: tf.mul(freeFes, tf.add(s, unAlpha)),
    };
  });
  return { ...tensors, problem };
}

export function disposeCoefficients(c: Sp3Coefficients): void {
  const { problem: _problem, ...tensors } = c;
  void _problem;
  tf.dispose(Object.values(tensors));
}

/** The surrogate objective sum_m T^_m parts: per-UE value [N, M], gradient and curvature. */
export interface Objective {
  val: tf.Tensor;
  grad: Partial5;
  hd: Partial5;
}

/**
 * Evaluates the objective and the seven slots at v (inside a caller's tidy), with gradients and
 * curvatures when `withDerivatives` (the Newton step) or values only (the line search). Slot
 * order: 0 rate-min, 1 tau, 2 latency, 3 energy, 4 p box, 5 f_ue box, 6 f_es box. An inactive
 * slot reads -1: mask * value + (mask - 1), exact for the finite values that fixed variables keep.
 */
export function evaluateSlots(c: Sp3Coefficients, v: Vars, withDerivatives = true): { objective: Objective; slots: Slot[] } {
  const P = c.problem.params;
  const { b, p, fue, fes, tau } = v;
  const masked = (mask: tf.Tensor, val: tf.Tensor): tf.Tensor => tf.add(tf.mul(mask, val), tf.sub(mask, 1));
  const { uncached } = c;
  const tMax = P.tMaxMs;
  const eMax = P.eMaxMj;

  const invFue = tf.reciprocal(fue);
  const invFes = tf.reciprocal(fes);
  const [rateMin, tauSlot] = rateSlots(c.problem, c, b, p, tau, uncached, withDerivatives);
  const localT = tf.mul(c.localWork, invFue);
  const edgeT = tf.mul(c.edgeWork, invFes);
  const latency = tf.add(tf.add(tf.mul(c.txBits, tau), localT), edgeT);
  const energy = tf.mul(0.5, tf.add(tf.add(tf.mul(c.localEnergy, tf.square(fue)), tf.mul(c.energyP, tf.square(p))), tf.mul(c.energyTau, tf.square(tau))));
  const values = [
    rateMin.val, //                                          0 rate-min: (Rmin - Rs)/Rmin
    tauSlot.val, //                                          1 tau: (1/tau - Rs)/Rmin, uncached
    tf.sub(tf.div(latency, tMax), 1), //                    2 latency: T^/Tmax - 1
    masked(uncached, tf.sub(tf.div(energy, eMax), 1)), //           3 energy: E^/Emax - 1, uncached
    tf.sub(tf.div(p, P.pMaxW), 1), //                       4 p box
    masked(c.freeFue, tf.sub(tf.div(fue, P.fUeMaxGHz), 1)), // 5 f_ue box
    masked(c.freeFes, tf.sub(tf.div(fes, P.fEsMaxGHz), 1)), // 6 f_es box
  ];
  if (!withDerivatives) {
    return { objective: { val: latency, grad: {}, hd: {} }, slots: values.map((val) => ({ val, grad: {}, hd: {} })) };
  }

  const objective: Objective = {
    val: latency,
    grad: { fue: tf.neg(tf.mul(localT, invFue)), fes: tf.neg(tf.mul(edgeT, invFes)), tau: c.txBits },
    hd: { fue: tf.mul(tf.mul(2, localT), tf.square(invFue)), fes: tf.mul(tf.mul(2, edgeT), tf.square(invFes)) },
  };
  const slots: Slot[] = [
    rateMin,
    tauSlot,
    {
      val: values[2],
      grad: { fue: tf.div(objective.grad.fue!, tMax), fes: tf.div(objective.grad.fes!, tMax), tau: tf.div(c.txBits, tMax) },
      hd: { fue: tf.div(objective.hd.fue!, tMax), fes: tf.div(objective.hd.fes!, tMax) },
    },
    {
      val: values[3],
      grad: { fue: tf.div(tf.mul(c.localEnergy, fue), eMax), p: tf.div(tf.mul(c.energyP, p), eMax), tau: tf.div(tf.mul(c.energyTau, tau), eMax) },
      hd: { fue: tf.div(c.localEnergy, eMax), p: tf.div(c.energyP, eMax), tau: tf.div(c.energyTau, eMax) },
    },
    { val: values[4], grad: { p: tf.fill(b.shape, 1 / P.pMaxW) }, hd: {} },
    { val: values[5], grad: { fue: tf.div(c.freeFue, P.fUeMaxGHz) }, hd: {} },
    { val: values[6], grad: { fes: tf.div(c.freeFes, P.fEsMaxGHz) }, hd: {} },
  ];
  return { objective, slots };
}

/**
 * SP3's surrogate as a batched block problem for kernels/block-ipm.ts: variables factorised in
 * the order b, p, tau, fue, fes (the sparsest factor), fixed fue, fes and tau masked, coupling
 * rows sum b <= 1 and sum esWeight fes <= Fes_max.
 */
export function sp3BlockProblem(c: Sp3Coefficients): BatchBlockProblem {
  return {
    N: c.problem.N,
    order: ['b', 'p', 'tau', 'fue', 'fes'],
    freeMask: { fue: c.freeFue, fes: c.freeFes, tau: c.uncached },
    coupling: [{ v: 'b', weight: null, rhs: 1 }, { v: 'fes', weight: c.esWeight, rhs: c.problem.params.fEsMaxGHz }],
    slackSlots: SLACK_SLOTS,
    evaluate: (v, withDerivatives) => evaluateSlots(c, v as Vars, withDerivatives),
    active: () => slotActive(c),
  };
}

/** Active masks of the slots [N, M] (1 where the slot is a constraint of that UE). */
export function slotActive(c: Sp3Coefficients): tf.Tensor[] {
  const ones = tf.onesLike(c.uncached);
  return [ones, c.uncached, ones, c.uncached, ones, c.freeFue, c.freeFes];
}

/** tau_bar = 1/R~(b̄, p̄) [N, M] (1/Rmin where R~ <= 0). */
export function expansionTauBatch(problem: BatchProblem, x: BatchPoint): tf.Tensor {
  const P = problem.params;
  return tf.tidy(() => {
    const gamma = tf.div(tf.mul(x.powerW, problem.cPerW), x.bandwidth);
    const r = tf.mul(P.rateScaleMbps, tf.sub(tf.mul(x.bandwidth, log1pAccurate(gamma)), tf.mul(P.kappa, tf.sqrt(x.bandwidth))));
    return tf.reciprocal(tf.where(tf.greater(r, 0), r, tf.fill(r.shape, P.rMinMbps)));
  });
}
