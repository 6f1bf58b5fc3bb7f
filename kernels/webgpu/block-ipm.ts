/**
 * The fused block solvers on the webgpu backend: phase one and phase two of a block problem's
 * barrier method for every realisation of a batch in one GPU dispatch, one thread per
 * realisation (WGSL in ./block-ipm-wgsl.ts), registered as a tfjs kernel of the webgpu
 * backend per problem (`DtmcSp3Barrier` for SP3, `DtmcJointBarrier` for the joint surrogate). It
 * replaces some 1 300 tfjs kernels per Newton step of the plain solver (kernels/block-ipm.ts),
 * which stays the reference this one is tested against.
 *
 * Shapes: coefficients and variables [N, M], rowActive [N, 1]; results [N, M] and [N, 1].
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { fail } from '../../engine/errors.js';
import type { BatchProblem } from '../batch.js';
import type { BatchIpmOptions } from '../block-ipm.js';
import type { BlockVars } from '../block-problem.js';
import { blockBarrierWgsl } from './block-ipm-wgsl.js';
import { inRows, OUT_FLAGS, outRows, UNIFORMS, type FusedBlockSpec, type UniformName } from './block-spec-wgsl.js';

type T = tf.Tensor;

/** Threads per workgroup (one realisation each). */
const WORKGROUP = 64;

export interface FusedBarrierResult {
  /** The final iterate of phase two (the spec's output variables), [N, M]; the start where not solved. */
  v: BlockVars;
  /** [N, 1] 0/1: phase two ran from a strictly interior point and did not fail. */
  solved: T;
  /** [N, 1] 0/1: phase two stopped centred with the gap below gapRtol |F|. */
  certified: T;
  /** [N, 1] 0/1: a Newton step produced NaN or Infinity. */
  failed: T;
  /** The largest number of Newton steps (both phases) over the batch. */
  newtonSteps: number;
}

/** True when the fused solvers can run: the webgpu backend is the active one. */
export function fusedBarrierAvailable(): boolean {
  return tf.getBackend() === 'webgpu';
}

/**
 * How the barrier method of a surrogate (SP3's in kernels/sp3-resources.ts, the joint one in
 * kernels/joint-sca.ts) runs: `tfjs` as tfjs ops on any backend (kernels/block-ipm.ts, the
 * reference), `fused` as one WGSL dispatch on the webgpu backend (this file), `auto` fused where
 * the webgpu backend runs, else tfjs.
 */
export type SurrogateSolver = 'auto' | 'tfjs' | 'fused';

/** Whether `solver` runs on the fused solver with the backend now active. */
export const runsFused = (solver: SurrogateSolver): boolean => solver === 'fused' || (solver === 'auto' && fusedBarrierAvailable());

function program(spec: FusedBlockSpec, N: number, M: number): WebGPUProgram {
  return {
    variableNames: ['X'],
    outputShape: [outRows(spec, M), N],
    shaderKey: `dtmc${spec.name}Barrier_M${M}`,
    dispatchLayout: { x: [0, 1] },
    dispatch: [Math.ceil(N / WORKGROUP), 1, 1],
    workgroupSize: [WORKGROUP, 1, 1],
    uniforms: UNIFORMS.map(([name, type]) => `${name} : ${type},`).join(' '),
    getUserCode: () => blockBarrierWgsl(spec, M),
  };
}

/**
 * The most realisations one dispatch takes: the packed input [inRows, N] must fit the device's
 * largest storage-buffer binding (128 MiB on many drivers: about 117 000 realisations of SP3 at M = 15).
 */
export function maxFusedRows(spec: FusedBlockSpec, M: number): number {
  const limit = (tf.backend() as WebGPUBackend).device.limits.maxStorageBufferBindingSize;
  return Math.max(1, Math.floor(limit / (4 * Math.max(inRows(spec, M), outRows(spec, M)))));
}

/**
 * Runs both phases of the spec's barrier method from v0 (pulled inside the boxes and coupling
 * rows) for the rows where rowActive is 1, with the options of the plain solver (the straggler
 * rule does not apply: every thread stops on its own). `coefficients` holds the spec's
 * coefficient tensors by name. `maxRows` overrides the realisations per dispatch (default: what
 * the device's binding limit allows).
 */
export async function solveBlockFused(
  spec: FusedBlockSpec, coefficients: object, problem: BatchProblem, v0: BlockVars, rowActive: T,
  o: BatchIpmOptions, maxRows?: number,
): Promise<FusedBarrierResult> {
  if (!fusedBarrierAvailable()) fail('backend', `the fused ${spec.name} solver needs the webgpu backend (running: ${tf.getBackend()})`);
  ensureKernel(spec);
  const { N, M } = problem;
  const rowsIn = inRows(spec, M);
  const packed = tf.tidy(() => {
    const byName = coefficients as Record<string, T>;
    const columns = [...spec.coefficients.map((k) => byName[k]), ...spec.vars.map((k) => v0[k]), rowActive];
    return tf.transpose(tf.concat(columns, 1)) as T; // [inRows, N]
  });
  if (packed.shape[0] !== rowsIn) fail('invalid-argument', `fused ${spec.name}: packed input has ${packed.shape[0]} rows, expected ${rowsIn}`);
  // Batches larger than one binding allows run as consecutive dispatches over column slices.
  const step = maxRows ?? maxFusedRows(spec, M);
  const outs: T[] = [];
  for (let first = 0; first < N; first += step) {
    const n = Math.min(step, N - first);
    const part = N <= step ? packed : tf.slice(packed, [0, first], [rowsIn, n]);
    outs.push(dispatch(spec, problem, part, n, o));
    if (part !== packed) part.dispose();
  }
  packed.dispose();
  const out = outs.length === 1 ? outs[0] : tf.concat(outs, 1);
  if (outs.length > 1) tf.dispose(outs);
  const result = tf.tidy(() => {
    const rows = tf.transpose(out); // [N, outRows]
    const vars: BlockVars = Object.fromEntries(spec.outVars.map((k, i) => [k, tf.slice(rows, [0, i * M], [N, M])]));
    const flag = (k: (typeof OUT_FLAGS)[number]): T => tf.slice(rows, [0, spec.outVars.length * M + OUT_FLAGS.indexOf(k)], [N, 1]);
    return { v: vars, solved: flag('solved'), certified: flag('certified'), failed: flag('failed'), steps: tf.max(flag('steps')) };
  });
  out.dispose();
  const newtonSteps = (await result.steps.data())[0];
  result.steps.dispose();
  return { v: result.v, solved: result.solved, certified: result.certified, failed: result.failed, newtonSteps };
}

type BarrierAttrs = Record<UniformName, number> & { M: number };

/** The kernel name of a spec's fused solver. */
const fusedKernelName = (spec: FusedBlockSpec): string => `Dtmc${spec.name}Barrier`;

/**
 * Registers the spec's fused solver as a tfjs kernel of the webgpu backend (as data, so another
 * backend can join with its own kernelFunc): input X [inRows, rows], attrs M and the uniforms'
 * values, output [outRows, rows].
 */
function ensureKernel(spec: FusedBlockSpec): void {
  const kernelName = fusedKernelName(spec);
  if (tf.getKernel(kernelName, 'webgpu')) return;
  tf.registerKernel({
    kernelName,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const a = attrs as unknown as BarrierAttrs;
      const uniforms = UNIFORMS.map(([name, type]) => ({ type: type === 'i32' ? 'int32' : 'float32', data: [a[name]] }));
      return (backend as WebGPUBackend).runWebGPUProgram(program(spec, a.rows, a.M), [inputs.X as tf.TensorInfo], 'float32',
        uniforms as Parameters<WebGPUBackend['runWebGPUProgram']>[3]);
    },
  });
}

/** One dispatch over n realisations: packed [inRows, n] in, [outRows, n] out. */
function dispatch(spec: FusedBlockSpec, problem: BatchProblem, packed: T, N: number, o: BatchIpmOptions): T {
  const { M, params: P } = problem;
  const attrs: BarrierAttrs = {
    M, rows: N, maxSteps: o.maxNewtonSteps, maxHalvings: o.maxHalvings,
    K: P.rateScaleMbps, rMin: P.rMinMbps, tMax: P.tMaxMs, eMax: P.eMaxMj, pMax: P.pMaxW, fUeMax: P.fUeMaxGHz, fEsMax: P.fEsMaxGHz,
    gapRtol: o.gapRtol, centringTol: o.centringTol, centringGapFraction: o.centringGapFraction, mu: o.mu,
    initialGapFraction: o.initialGapFraction, sigmaTarget: o.sigmaTarget,
  };
  return tf.engine().runKernel(fusedKernelName(spec), { X: packed }, attrs as unknown as tf.NamedAttrMap) as T;
}
