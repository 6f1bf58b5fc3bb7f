/**
 * A probe of a fused spec's WGSL slots (kernels/webgpu/*-slots-wgsl.ts) on the webgpu backend:
 * one thread per realisation calls `slots(m, x, true)` for every UE and writes every field of
 * Slots. Input X [(NCOEF + NV) M, N] as the standalone fused solver's (coefficients, then the
 * variables, in the spec's orders); output [M * width, N]: per UE the objective's value,
 * gradient [NV], diagonal curvature [NV] and mixed curvatures [NX], then per slot its active
 * flag, value, gradient, diagonal and mixed curvatures. Switches to the webgpu backend and back.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { blockPlumbingWgsl, type FusedBlockSpec } from '../../kernels/webgpu/block-spec-wgsl.js';
import { useBackend } from '../../kernels/backend.js';
import { testBackend } from './tf-backend.js';

const WORKGROUP = 64;
const PROBE_UNIFORMS = ['K', 'rMin', 'tMax', 'eMax', 'pMax', 'fUeMax', 'fEsMax'] as const;
export type ProbeUniforms = Record<(typeof PROBE_UNIFORMS)[number], number>;

export const slotProbeWidth = (spec: FusedBlockSpec): number => {
  const NV = spec.vars.length;
  const NX = spec.crossPairs.length;
  return 1 + 2 * NV + NX + spec.nc * (2 + 2 * NV + NX);
};

function probeWgsl(spec: FusedBlockSpec, M: number): string {
  const NX = spec.crossPairs.length;
  const cross = (expr: string): string => (NX ? `for (var q = 0; q < ${NX}; q++) { put(${expr}); }` : '');
  return /* wgsl */ `
const M : i32 = ${M};
var<private> row : i32;
var<private> field : i32;
fn coef(c : i32, m : i32) -> f32 {
  return X[(c * M + m) * uniforms.rows + row];
}
${blockPlumbingWgsl(spec)}
${spec.slotsWgsl}
fn put(value : f32) {
  result[field * uniforms.rows + row] = value;
  field++;
}
fn main(index : i32) {
  if (index >= uniforms.rows) {
    return;
  }
  row = index;
  field = 0;
  for (var m = 0; m < M; m++) {
    var x = array<f32, NV>();
    for (var i = 0; i < NV; i++) {
      x[i] = coef(NCOEF + i, m);
    }
    let S = slots(m, x, true);
    put(S.obj);
    for (var i = 0; i < NV; i++) { put(S.og[i]); }
    for (var i = 0; i < NV; i++) { put(S.oh[i]); }
    ${cross('S.ocx[q]')}
    for (var k = 0; k < NC; k++) {
      put(S.act[k]);
      put(S.val[k]);
      for (var i = 0; i < NV; i++) { put(S.g[k][i]); }
      for (var i = 0; i < NV; i++) { put(S.h[k][i]); }
      ${cross('S.cx[k][q]')}
    }
  }
}
`;
}

/** Runs the probe over N realisations; returns the output [M * width, N]. */
export async function runSlotProbe(spec: FusedBlockSpec, M: number, N: number, input: Float32Array, uniforms: ProbeUniforms): Promise<Float32Array> {
  await useBackend('webgpu');
  try {
    const program: WebGPUProgram = {
      variableNames: ['X'],
      outputShape: [M * slotProbeWidth(spec), N],
      shaderKey: `dtmcSlotProbe_${spec.name}_M${M}`,
      dispatchLayout: { x: [0, 1] },
      dispatch: [Math.ceil(N / WORKGROUP), 1, 1],
      workgroupSize: [WORKGROUP, 1, 1],
      uniforms: `rows : i32, ${PROBE_UNIFORMS.map((u) => `${u} : f32,`).join(' ')}`,
      getUserCode: () => probeWgsl(spec, M),
    };
    const x = tf.tensor2d(input, [input.length / N, N]);
    const backend = tf.backend() as WebGPUBackend;
    const values = [{ type: 'int32', data: [N] }, ...PROBE_UNIFORMS.map((u) => ({ type: 'float32', data: [uniforms[u]] }))];
    const info = backend.runWebGPUProgram(program, [x], 'float32', values as Parameters<WebGPUBackend['runWebGPUProgram']>[3]);
    const result = tf.engine().makeTensorFromTensorInfo(info);
    const data = (await result.data()) as Float32Array;
    tf.dispose([x, result]);
    return data;
  } finally {
    await testBackend();
  }
}
