/**
 * Runs the fused AO program (fused-ao-wgsl.ts) and the fused joint program (fused-joint-wgsl.ts)
 * on the webgpu backend: registered as the tfjs kernels `DtmcFusedAo` and `DtmcFusedJoint`, one dispatch per slice of realisations that the device's largest
 * storage-buffer binding holds, one read-back per slice.
 *
 * Shapes: input [inRows, n] float32 (fused-ao-layout.ts), output [outRows, n] float32.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import type { ModelParams } from '../../engine/problem.js';
import { fail } from '../../engine/errors.js';
import { ACCEPT_VIOLATION_F32, JOINT_GAP_FRACTION } from '../../engine/ao/solver-constants.js';
import { waitGently } from './gentle-wait.js';
import { DEFAULT_BATCH_IPM_OPTIONS, type BatchIpmOptions } from '../block-ipm.js';
import { AO_UNIFORMS, fusedAoWgsl, type AoUniformName } from './fused-ao-wgsl.js';
import { fusedJointWgsl } from './fused-joint-wgsl.js';
import { DRAW_UNIFORMS, drawUniformValues, type DrawUniformValues } from './draw-wgsl.js';
import type { Settings } from '../../engine/settings.js';
import { inRows, MODES, modeReadsPoint, OUTPUT_UE_FIELDS, outRows, type FusedMode } from './fused-ao-layout.js';

/** The AO program and the joint program, as tfjs kernels. */
/** Draw uniforms of a program that reads its problems from X. */
const NO_DRAW = Object.fromEntries(DRAW_UNIFORMS.map(([name]) => [name, 0])) as DrawUniformValues;

const KERNELS = { ao: 'DtmcFusedAo', joint: 'DtmcFusedJoint' } as const;
type Program = keyof typeof KERNELS;
/** Threads per workgroup (one realisation each). */
const WORKGROUP = 64;

type Attrs = Record<AoUniformName, number> & { M: number; maxIterations: number; withPoint: number };

function program(kind: Program, N: number, M: number, maxIterations: number, withPoint: boolean): WebGPUProgram {
  return {
    variableNames: ['X'],
    outputShape: [outRows(M, maxIterations), N],
    shaderKey: `dtmcFused_${kind}_M${M}_I${maxIterations}_P${withPoint ? 1 : 0}`,
    dispatchLayout: { x: [0, 1] },
    dispatch: [Math.ceil(N / WORKGROUP), 1, 1],
    workgroupSize: [WORKGROUP, 1, 1],
    uniforms: AO_UNIFORMS.map(([name, type]) => `${name} : ${type},`).join(' '),
    getUserCode: () => (kind === 'joint' ? fusedJointWgsl(M, maxIterations) : fusedAoWgsl(M, maxIterations)),
  };
}

function ensureKernel(kind: Program): void {
  if (tf.getKernel(KERNELS[kind], 'webgpu')) return;
  tf.registerKernel({
    kernelName: KERNELS[kind],
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const a = attrs as unknown as Attrs;
      const types = { i32: 'int32', u32: 'uint32', f32: 'float32' } as const;
      const uniforms = AO_UNIFORMS.map(([name, type]) => ({ type: types[type], data: [a[name]] }));
      return (backend as WebGPUBackend).runWebGPUProgram(program(kind, a.rows, a.M, a.maxIterations, a.withPoint > 0), [inputs.X as tf.TensorInfo], 'float32',
        uniforms as Parameters<WebGPUBackend['runWebGPUProgram']>[3]);
    },
  });
}

/** The most realisations one dispatch takes (input and output must each fit one binding). */
export function maxFusedAoRows(M: number, maxIterations: number): number {
  const limit = (tf.backend() as WebGPUBackend).device.limits.maxStorageBufferBindingSize;
  return Math.max(1, Math.floor(limit / (4 * Math.max(inRows(M, true), outRows(M, maxIterations)))));
}

export interface DispatchStats {
  dispatches: number;
  readBacks: number;
  /** Time awaiting the device's results [ms] (the host is idle then). */
  waitMs: number;
}

/**
 * One call of the program over n realisations: `input` [inRows, n] (row-major, n fastest), the
 * result [outRows, n]. Slices of at most `maxRows` realisations (default: the binding limit) run
 * as consecutive dispatches; `stats` counts them and the time waited.
 */
/** Realisations first .. first + n - 1 of (seed, point) at `settings`, drawn on the GPU. */
export interface DrawOnDevice {
  settings: Settings;
  seed: number;
  point: number | null;
  first: number;
}

export interface DispatchOptions {
  ipm?: Partial<BatchIpmOptions>;
  acceptViolation?: number;
  maxRows?: number;
}

/**
 * `input` null with `draw`: mode 'solve' draws the problems on the GPU from their keys (no upload).
 */
export async function runFusedAo(
  mode: FusedMode, params: ModelParams, M: number, n: number, input: Float32Array | null, stats: DispatchStats,
  options: DispatchOptions & { draw?: DrawOnDevice } = {},
): Promise<Float32Array> {
  if (tf.getBackend() !== 'webgpu') fail('backend', `the fused AO needs the webgpu backend (running: ${tf.getBackend()})`);
  const kind: Program = mode === 'joint' ? 'joint' : 'ao';
  ensureKernel(kind);
  const withPoint = modeReadsPoint(mode);
  const rowsIn = inRows(M, withPoint);
  const rowsOut = outRows(M, params.maxIterations);
  const { draw } = options;
  if (draw ? mode !== 'solve' || input !== null : input === null || input.length !== rowsIn * n) {
    fail('invalid-argument', `fused AO: mode ${mode} needs ${draw ? 'no input when drawing' : `an input of ${rowsIn} x ${n} values`}`);
  }
  const o = { ...DEFAULT_BATCH_IPM_OPTIONS, ...(kind === 'joint' ? { initialGapFraction: JOINT_GAP_FRACTION } : {}), ...options.ipm };
  const step = options.maxRows ?? maxFusedAoRows(M, params.maxIterations);
  const out = new Float32Array(rowsOut * n);
  for (let first = 0; first < n; first += step) {
    const count = Math.min(step, n - first);
    let slice = input;
    if (input && count < n) {
      slice = new Float32Array(rowsIn * count);
      for (let r = 0; r < rowsIn; r++) slice.set(input.subarray(r * n + first, r * n + first + count), r * count);
    }
    const attrs: Attrs = {
      M, maxIterations: params.maxIterations, withPoint: withPoint ? 1 : 0,
      rows: count, maxSteps: o.maxNewtonSteps, maxHalvings: o.maxHalvings,
      K: params.rateScaleMbps, rMin: params.rMinMbps, tMax: params.tMaxMs, eMax: params.eMaxMj, pMax: params.pMaxW,
      fUeMax: params.fUeMaxGHz, fEsMax: params.fEsMaxGHz,
      gapRtol: o.gapRtol, centringTol: o.centringTol, centringGapFraction: o.centringGapFraction, mu: o.mu,
      initialGapFraction: o.initialGapFraction, sigmaTarget: o.sigmaTarget,
      mode: MODES.indexOf(mode), savingRule: params.cachingRule === 'saving' ? 1 : 0,
      kappa: params.kappa, ku: 1 - params.deltaUe, ke: 1 - params.deltaEs, theta: params.thetaModel, sMax: params.sMaxKbit,
      tolerance: params.tolerance, acceptViolation: options.acceptViolation ?? ACCEPT_VIOLATION_F32,
      drawOnDevice: draw ? 1 : 0,
      ...(draw ? drawUniformValues(draw.settings, draw.seed, draw.point, draw.first + first, count) : NO_DRAW),
    };
    // Dawn reports a shader or pipeline error without throwing: an error scope turns it into one.
    const device = (tf.backend() as WebGPUBackend).device;
    device.pushErrorScope('validation');
    const x = slice ? tf.tensor2d(slice, [rowsIn, count], 'float32') : tf.zeros([1, 1]);
    const y = tf.engine().runKernel(KERNELS[kind], { X: x }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    x.dispose();
    stats.dispatches++;
    const t0 = performance.now();
    const data = (await waitGently(() => y.data())) as Float32Array;
    stats.waitMs += performance.now() - t0;
    stats.readBacks++;
    y.dispose();
    const error = await device.popErrorScope();
    if (error) fail('backend', `the fused AO program failed on this device: ${error.message}`);
    if (count === n) return data;
    // The per-UE block is [field][row][m], the rest [row][n] (fused-ao-layout.ts).
    const ueRows = OUTPUT_UE_FIELDS.length * M;
    for (let f = 0; f < OUTPUT_UE_FIELDS.length; f++) out.set(data.subarray(f * count * M, (f + 1) * count * M), (f * n + first) * M);
    for (let r = ueRows; r < rowsOut; r++) out.set(data.subarray(r * count, (r + 1) * count), r * n + first);
  }
  return out;
}
