/**
 * Starts a tfjs backend for the tensor tests: `DTMC_TEST_BACKEND` (wasm by default, cpu, webgpu).
 * Tests that need the webgpu backend run their body through `onWebGpu`, which skips with a
 * printed reason when no adapter is found.
 */
import { findWebGpuAdapter, useBackend, type BackendInfo, type BackendName } from '../../kernels/backend.js';

export async function testBackend(name: BackendName = (process.env.DTMC_TEST_BACKEND as BackendName | undefined) ?? 'wasm'): Promise<BackendInfo> {
  return useBackend(name);
}

let adapterCheck: Promise<string> | null = null;

/** Why the webgpu tests skip here ('' when a WebGPU adapter is found), looked up once per process. */
export function webGpuSkipReason(): Promise<string> {
  adapterCheck ??= findWebGpuAdapter().then(({ adapter, reason }) => (adapter ? '' : reason));
  return adapterCheck;
}

/** Runs `body` on the webgpu backend (then back to the test backend), or prints why it skips. */
export async function onWebGpu(name: string, body: () => Promise<void>): Promise<void> {
  const skip = await webGpuSkipReason();
  if (skip) {
    console.log(`  skipped (${name}): ${skip}`);
    return;
  }
  await useBackend('webgpu');
  try {
    await body();
  } finally {
    await testBackend();
  }
}
