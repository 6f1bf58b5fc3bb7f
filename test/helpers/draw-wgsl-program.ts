/**
 * Runs a small test program built on DRAW_WGSL on the webgpu backend: one thread per row, an
 * optional int32 input X [inRows, N] (row r of thread n at X[r * N + n]), an int32 output
 * [outRows, N] the program fills with `out(k, row, bits)` (u32 words and f32 bits alike, bitcast).
 * The program's uniforms are `rows : i32` then DRAW_UNIFORMS.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { DRAW_UNIFORMS_DECL, DRAW_WGSL, drawProgramUniforms, type DrawUniformValues } from '../../kernels/webgpu/draw-wgsl.js';

const WORKGROUP = 64;

export interface DrawTestRun {
  /** The output as unsigned words, [outRows * N]. */
  words: Uint32Array;
  /** The same bits read as float32. */
  floats: Float32Array;
}

/**
 * @param name shader cache key
 * @param body WGSL statements of `main` for thread `row` (0 .. N - 1); reads `inp(r, row)`, writes `out(k, row, bits)`
 * @param input int32 words [inRows * N] or null
 */
export async function runDrawTestProgram(
  name: string, body: string, N: number, outRows: number, values: DrawUniformValues, input: Uint32Array | null = null,
): Promise<DrawTestRun> {
  const inRows = input ? input.length / N : 0;
  const userCode = /* wgsl */ `
${DRAW_WGSL}
fn inp(r : i32, row : i32) -> u32 {
  ${input ? 'return bitcast<u32>(X[r * uniforms.rows + row]);' : 'return 0u;'}
}
fn out(k : i32, row : i32, bits : u32) {
  result[k * uniforms.rows + row] = bitcast<i32>(bits);
}
fn main(index : i32) {
  if (index >= uniforms.rows) {
    return;
  }
  let row = index;
  ${body}
}
`;
  const program: WebGPUProgram = {
    variableNames: input ? ['X'] : [],
    outputShape: [outRows, N],
    shaderKey: `dtmcDrawTest_${name}`,
    dispatchLayout: { x: [0, 1] },
    dispatch: [Math.ceil(N / WORKGROUP), 1, 1],
    workgroupSize: [WORKGROUP, 1, 1],
    uniforms: `rows : i32, ${DRAW_UNIFORMS_DECL}`,
    getUserCode: () => userCode,
  };
  const backend = tf.backend() as WebGPUBackend;
  const x = input ? tf.tensor2d(new Int32Array(input.buffer, input.byteOffset, input.length), [inRows, N], 'int32') : null;
  const uniforms = [{ type: 'int32', data: [N] }, ...drawProgramUniforms(values)];
  const info = backend.runWebGPUProgram(program, x ? [x] : [], 'int32', uniforms as Parameters<WebGPUBackend['runWebGPUProgram']>[3]);
  const result = tf.engine().makeTensorFromTensorInfo(info);
  const data = (await result.data()) as Int32Array;
  result.dispose();
  x?.dispose();
  const words = new Uint32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  return { words, floats: new Float32Array(words.buffer) };
}
