/**
 * Checks, in the main thread before the pool starts, that a job's GPU engine can start on this
 * machine: otherwise every worker would fail its chunks (exit 4, "chunks failed twice") where the
 * truth is bad input (exit 2, with the reason and what to install).
 */
import { createRequire } from 'node:module';
import { fail } from '../engine/errors.js';
import type { JobEngine } from './job-file.js';

/** The packages the tensorflow backend loads, in the order kernels/backend.ts tries them. */
const TENSORFLOW_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];

/** Fails ('backend') when `engine` is webgpu without an adapter, or tensorflow without its package. */
export async function checkEngineStarts(engine: JobEngine): Promise<void> {
  if (engine === 'webgpu') {
    const { findWebGpuAdapter } = await import('../kernels/backend.js');
    const { adapter, reason } = await findWebGpuAdapter();
    if (!adapter) fail('backend', `backend webgpu cannot start on this machine: ${reason}`);
  } else if (engine === 'tensorflow') {
    const require = createRequire(import.meta.url);
    const found = TENSORFLOW_PACKAGES.some((pkg) => {
      try {
        require.resolve(pkg);
        return true;
      } catch {
        return false;
      }
    });
    if (!found) {
      fail('backend', `backend tensorflow cannot start on this machine: neither ${TENSORFLOW_PACKAGES.join(' nor ')} is installed `
        + '(npm install @tensorflow/tfjs-node-gpu beside dtmc; CUDA 11.2, cuDNN 8.1), or use backend webgpu, wasm or float64');
    }
  }
}
