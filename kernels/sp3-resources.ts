/**
 * SP3 for a batch (the tensor twin of engine/ao/sp3-resources.ts): build the surrogate around
 * the current points, pull the start inside the boxes and coupling rows, find a strictly interior
 * point by phase one, minimise the surrogate, and return the candidate variables. The AO driver
 * takes a candidate only where the true objective does not rise and the point stays feasible.
 * Shapes: [N, M] per UE, [N, 1] per realisation.
 *
 * Tried and dropped here: the float64 path's warm start from the previous call's first central
 * point. In float32 it cut the Newton steps by 9% but made the steps costlier (more line-search
 * trials) and certified fewer calls: 190 against 260 solves/s at N = 512 on wasm.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BatchPoint, BatchProblem } from './batch.js';
import { disposeCoefficients, expansionTauBatch, sp3BlockProblem, sp3Coefficients, VARS, type Vars } from './sp3-surrogate.js';
import { DEFAULT_BATCH_IPM_OPTIONS, solveBlockBatch, type BatchIpmOptions } from './block-ipm.js';
import { tidy } from './tidy.js';
import { PULL } from '../engine/ao/solver-constants.js';
import { runsFused, solveBlockFused, type SurrogateSolver } from './webgpu/block-ipm.js';
import { SP3_FUSED } from './webgpu/sp3-surrogate-wgsl.js';

export interface Sp3BatchResult {
  /** Candidate b, p, fue, fes [N, M] (equal to the input where not solved). */
  candidate: Pick<BatchPoint, 'bandwidth' | 'powerW' | 'fUeGHz' | 'fEsGHz'>;
  /** [N, 1] 1 where phase two ran from a strictly interior point (its iterate is in `candidate`). */
  solved: T;
  /** [N, 1] 1 where phase two certified its optimum (gap below gapRtol, centred). */
  certified: T;
  /** [N, 1] 1 where a step produced NaN. */
  failed: T;
  newtonSteps: number;
}
type T = tf.Tensor;

export async function solveResourcesBatch(
  problem: BatchProblem, x: BatchPoint, rowActive: T, options: Partial<BatchIpmOptions> = {}, solver: SurrogateSolver = 'auto',
): Promise<Sp3BatchResult> {
  const P = problem.params;
  const tauBar = expansionTauBatch(problem, x);
  const c = sp3Coefficients(problem, x, tauBar);
  const keep = 1 - PULL;
  const v0: Vars = tf.tidy(() => ({
    b: tf.mul(x.bandwidth, keep),
    p: tf.minimum(x.powerW, P.pMaxW * keep),
    fue: tf.where(tf.greater(c.freeFue, 0), tf.minimum(x.fUeGHz, P.fUeMaxGHz * keep), x.fUeGHz),
    fes: tf.where(tf.greater(c.freeFes, 0), tf.minimum(tf.mul(x.fEsGHz, keep), P.fEsMaxGHz * keep), x.fEsGHz),
    tau: tf.clone(tauBar),
  })) as unknown as Vars;

  const take = (mask: T, a: T, b: T): T => tf.where(tf.greater(mask, 0), a, b);
  if (runsFused(solver)) {
    const fused = await solveBlockFused(SP3_FUSED, c, problem, v0, rowActive, { ...DEFAULT_BATCH_IPM_OPTIONS, ...options });
    const candidate = tidy(() => ({
      bandwidth: take(fused.solved, fused.v.b, x.bandwidth),
      powerW: take(fused.solved, fused.v.p, x.powerW),
      fUeGHz: take(fused.solved, fused.v.fue, x.fUeGHz),
      fEsGHz: take(fused.solved, fused.v.fes, x.fEsGHz),
    }));
    const certified = tidy(() => tf.mul(fused.solved, fused.certified));
    tf.dispose([tauBar, ...VARS.map((k) => v0[k]), ...Object.values(fused.v), fused.certified]);
    disposeCoefficients(c);
    return { candidate, solved: fused.solved, certified, failed: fused.failed, newtonSteps: fused.newtonSteps };
  }

  const { v, solved, certified: twoCertified, failed, newtonSteps } = await solveBlockBatch(sp3BlockProblem(c), v0, rowActive, options);
  const candidate = tidy(() => ({
    bandwidth: take(solved, v.b, x.bandwidth),
    powerW: take(solved, v.p, x.powerW),
    fUeGHz: take(solved, v.fue, x.fUeGHz),
    fEsGHz: take(solved, v.fes, x.fEsGHz),
  }));
  const certified = tidy(() => tf.mul(solved, twoCertified));
  tf.dispose([tauBar, twoCertified, ...VARS.map((k) => v0[k]), ...Object.values(v)]);
  disposeCoefficients(c);
  return { candidate, solved, certified, failed, newtonSteps };
}
