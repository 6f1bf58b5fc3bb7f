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
import { disposeCoefficients, evaluateSlots, expansionTauBatch, slotActive, sp3BlockProblem, sp3Coefficients, VARS, type Vars } from './sp3-slots.js';
import { SLACK_SLOTS } from './block-problem.js';
import { DEFAULT_BATCH_IPM_OPTIONS, solveBarrierBatch, type BatchIpmOptions } from './block-ipm.js';
import { tidy } from './tidy.js';
import { fusedBarrierAvailable, solveBarrierFused } from './webgpu/sp3-barrier.js';

/**
 * How SP3's barrier method runs: `tfjs` as tfjs ops on any backend (kernels/block-ipm.ts), `fused`
 * as one WGSL dispatch on the webgpu backend (kernels/webgpu/sp3-barrier.ts), `auto` fused where
 * the webgpu backend runs, else tfjs.
 */
export type Sp3Solver = 'auto' | 'tfjs' | 'fused';

/** Relative pull into the interior of the boxes and coupling rows (as the float64 path). */
const PULL = 1e-2;

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
  problem: BatchProblem, x: BatchPoint, rowActive: T, options: Partial<BatchIpmOptions> = {}, solver: Sp3Solver = 'auto',
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
  if (solver === 'fused' || (solver === 'auto' && fusedBarrierAvailable())) {
    const fused = await solveBarrierFused(c, v0, rowActive, { ...DEFAULT_BATCH_IPM_OPTIONS, ...options });
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

  // Phase one from the pulled point: sigma0 above the largest slack slot of each realisation.
  const sigma0 = tidy(() => {
    const { slots } = evaluateSlots(c, v0);
    const active = slotActive(c);
    let worst: T = tf.fill([problem.N, 1], -Infinity);
    for (let k = 0; k < SLACK_SLOTS; k++) {
      const val = tf.where(tf.greater(active[k], 0), slots[k].val, tf.fill(slots[k].val.shape, -Infinity));
      worst = tf.maximum(worst, tf.max(val, 1, true));
    }
    return tf.add(worst, tf.mul(1e-2, tf.maximum(1, tf.abs(worst))));
  });
  const block = sp3BlockProblem(c);
  const one = await solveBarrierBatch(block, v0, 'phase-one', rowActive, sigma0, options);
  const inside = tidy(() => tf.mul(tf.mul(rowActive, tf.cast(tf.less(one.sigma!, 0), 'float32')), tf.sub(1, one.failed)));
  const two = await solveBarrierBatch(block, one.v, 'plain', inside, null, options);
  // Every strictly interior iterate is a valid candidate (the AO takes it only if J does not
  // rise); realisations stopped as stragglers are candidates but not certified.
  const solved = tidy(() => tf.mul(inside, tf.sub(1, two.failed)));
  const candidate = tidy(() => ({
    bandwidth: take(solved, two.v.b, x.bandwidth),
    powerW: take(solved, two.v.p, x.powerW),
    fUeGHz: take(solved, two.v.fue, x.fUeGHz),
    fEsGHz: take(solved, two.v.fes, x.fEsGHz),
  }));
  const failed = tidy(() => tf.maximum(one.failed, two.failed));
  const certified = tidy(() => tf.mul(solved, two.certified));
  tf.dispose([tauBar, sigma0, inside, one.sigma ?? [], one.done, one.certified, one.failed, one.gap, two.done, two.certified, two.failed, two.gap,
    ...VARS.map((k) => v0[k]), ...VARS.map((k) => one.v[k]), ...VARS.map((k) => two.v[k])]);
  disposeCoefficients(c);
  return { candidate, solved, certified, failed, newtonSteps: one.newtonSteps + two.newtonSteps };
}
