/**
 * One step of the joint SCA for a batch (the tensor twin of one iteration of
 * engine/ao/joint-sca.ts): build the joint surrogate around the current points, pull the start
 * inside, run both barrier phases, and return the candidate points. The caller (solve-ao-batch.ts)
 * takes a candidate only where J does not rise and (6) holds, and stops a row on the AO's rule.
 * Shapes: [N, M] per UE, [N, 1] per realisation.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BatchPoint, BatchProblem } from './batch.js';
import { DEFAULT_BATCH_IPM_OPTIONS, solveBlockBatch, type BatchIpmOptions } from './block-ipm.js';
import { runsFused, solveBlockFused, type SurrogateSolver } from './webgpu/block-ipm.js';
import { JOINT_FUSED } from './webgpu/joint-surrogate-wgsl.js';
import { disposeJointCoefficients, jointBlockProblem, jointCoefficients, jointPoint, jointStart } from './joint-surrogate.js';
import { expansionTauBatch } from './sp3-surrogate.js';
import { tidy } from './tidy.js';
import { JOINT_GAP_FRACTION, PULL } from '../engine/ao/solver-constants.js';


export interface JointStepResult {
  /** Candidate alpha, b, p, f_ue, f_es [N, M] (the input where not solved). */
  candidate: Pick<BatchPoint, 'alpha' | 'bandwidth' | 'powerW' | 'fUeGHz' | 'fEsGHz'>;
  /** [N, 1] 1 where phase two ran from a strictly interior point (its iterate is the candidate). */
  solved: tf.Tensor;
  certified: tf.Tensor;
  failed: tf.Tensor;
  newtonSteps: number;
}

/**
 * One joint step. `solver` picks the barrier solver as for SP3: `fused` runs both phases in one
 * WGSL dispatch on the webgpu backend (kernels/webgpu/joint-surrogate-wgsl.ts), `tfjs` as tfjs ops
 * (kernels/block-ipm.ts, the reference), `auto` fused where the webgpu backend runs.
 */
export async function jointStepBatch(
  problem: BatchProblem, x: BatchPoint, rowActive: tf.Tensor, options: Partial<BatchIpmOptions> = {}, solver: SurrogateSolver = 'auto',
): Promise<JointStepResult> {
  const tauBar = expansionTauBatch(problem, x);
  const c = jointCoefficients(problem, x, tauBar);
  const v0 = tidy(() => jointStart(c, x, tauBar, PULL));
  const o = { ...DEFAULT_BATCH_IPM_OPTIONS, initialGapFraction: JOINT_GAP_FRACTION, ...options };
  const fused = runsFused(solver);
  const { v, solved, certified: twoCertified, failed, newtonSteps } = fused
    ? await solveBlockFused(JOINT_FUSED, c, problem, v0, rowActive, o)
    : await solveBlockBatch(jointBlockProblem(c), v0, rowActive, o);
  const candidate = tidy(() => {
    const point = jointPoint(c, v, x);
    const take = (a: tf.Tensor, b: tf.Tensor): tf.Tensor => tf.where(tf.greater(tf.add(solved, tf.zerosLike(a)), 0), a, b);
    return {
      alpha: take(point.alpha, x.alpha), bandwidth: take(point.bandwidth, x.bandwidth), powerW: take(point.powerW, x.powerW),
      fUeGHz: take(point.fUeGHz, x.fUeGHz), fEsGHz: take(point.fEsGHz, x.fEsGHz),
    };
  });
  const certified = tidy(() => tf.mul(solved, twoCertified));
  tf.dispose([tauBar, twoCertified, ...Object.values(v0), ...Object.values(v)]);
  disposeJointCoefficients(c);
  return { candidate, solved, certified, failed, newtonSteps };
}
