/**
 * Starts a tfjs backend for the tensor tests: `DTMC_TEST_BACKEND` (wasm by default, cpu, webgpu).
 * Tests that need the webgpu backend call `webgpuOrSkip` and skip with a printed reason when no
 * adapter is found.
 */
import { useBackend, type BackendInfo, type BackendName } from '../../kernels/backend.js';

export async function testBackend(name: BackendName = (process.env.DTMC_TEST_BACKEND as BackendName | undefined) ?? 'wasm'): Promise<BackendInfo> {
  return useBackend(name);
}
