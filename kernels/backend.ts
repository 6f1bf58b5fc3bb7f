/**
 * Choosing and starting the TensorFlow.js backend of the tensor engine.
 *
 * - `wasm`: @tensorflow/tfjs-backend-wasm, its .wasm files shipped in the package; works offline
 *   everywhere; the default.
 * - `cpu`: @tensorflow/tfjs-backend-cpu, plain JS (about 20 times slower than wasm).
 * - `webgpu`: @tensorflow/tfjs-backend-webgpu on Dawn through the `webgpu` package, on any GPU
 *   with a Vulkan driver (the host needs the Vulkan loader libvulkan1, libglvnd0 and the GPU
 *   driver's Vulkan ICD).
 * - `tensorflow`: @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node when the user has installed
 *   them (never a dependency of this package: their install downloads libtensorflow).
 * - `auto`: webgpu if an adapter is found, then tensorflow if loadable, else wasm.
 *
 * A backend that cannot start is a `DtmcError` (code 'backend') saying why and what to install.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { fail } from '../engine/errors.js';

export type BackendName = 'wasm' | 'cpu' | 'webgpu' | 'tensorflow';
export type BackendChoice = BackendName | 'auto';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'wasm', 'cpu', 'webgpu', 'tensorflow'];

export interface BackendInfo {
  /** The tfjs backend that runs the kernels. */
  name: BackendName;
  /** A line for logs and result metadata, e.g. "wasm (simd, 1 thread)" or the GPU adapter. */
  detail: string;
}

const require = createRequire(import.meta.url);

async function startWasm(): Promise<string> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  // In Node the .wasm files are read from the package's own dist folder (no network), or from
  // DTMC_WASM_DIR where the engine runs bundled without node_modules.
  wasm.setWasmPaths(`${process.env.DTMC_WASM_DIR ?? dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
  if (!(await tf.setBackend('wasm'))) fail('backend', 'the wasm backend failed to initialise');
  return 'wasm';
}

async function startCpu(): Promise<string> {
  // Production mode: no debug checks, and no console banner suggesting tfjs-node on first use
  // (the tensorflow backend covers that, with its own message).
  tf.enableProdMode();
  await import('@tensorflow/tfjs-backend-cpu');
  if (!(await tf.setBackend('cpu'))) fail('backend', 'the cpu backend failed to initialise');
  return 'cpu (plain JavaScript)';
}

/** Looks for a WebGPU adapter through Dawn; null (with the reason) when there is none. */
export async function findWebGpuAdapter(): Promise<{ adapter: GPUAdapterLike | null; reason: string }> {
  let webgpu: { create: (flags: string[]) => GpuLike; globals: Record<string, unknown> };
  try {
    webgpu = (await import('webgpu')) as unknown as typeof webgpu;
  } catch (e) {
    return { adapter: null, reason: `the 'webgpu' package did not load (${(e as Error).message})` };
  }
  const g = globalThis as unknown as { navigator?: { gpu?: GpuLike } };
  if (!g.navigator?.gpu) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: webgpu.create([]) }, configurable: true, writable: true });
    Object.assign(globalThis, webgpu.globals);
  }
  const adapter = await g.navigator!.gpu!.requestAdapter();
  if (!adapter) {
    return {
      adapter: null,
      reason: 'no WebGPU adapter: install the Vulkan loader (Debian: libvulkan1 libglvnd0) and the GPU '
        + "driver's Vulkan ICD (NVIDIA: set VK_DRIVER_FILES to its nvidia_icd.json if it is not found)",
    };
  }
  return { adapter, reason: '' };
}

interface GPUAdapterLike {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string };
}
interface GpuLike {
  requestAdapter(): Promise<GPUAdapterLike | null>;
}

async function startWebGpu(): Promise<string> {
  const { adapter, reason } = await findWebGpuAdapter();
  if (!adapter) fail('backend', `the webgpu backend cannot start: ${reason}`);
  // The backend registers itself on import, only if navigator.gpu exists (set above).
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) fail('backend', 'the webgpu backend failed to initialise');
  const info = adapter.info ?? {};
  return `webgpu (${[info.vendor, info.architecture, info.device || info.description].filter(Boolean).join(' ') || 'adapter found'})`;
}

async function startTensorflow(): Promise<string> {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await import(pkg);
    } catch {
      continue;
    }
    if (await tf.setBackend('tensorflow')) return `tensorflow (${pkg})`;
  }
  return fail('backend',
    'the tensorflow backend needs @tensorflow/tfjs-node-gpu (CUDA 11.2, cuDNN 8.1) or @tensorflow/tfjs-node '
    + 'installed beside dtmc (npm install @tensorflow/tfjs-node-gpu); their install step downloads '
    + 'libtensorflow, so they are not dependencies of this package');
}

const STARTERS: Record<BackendName, () => Promise<string>> = {
  wasm: startWasm, cpu: startCpu, webgpu: startWebGpu, tensorflow: startTensorflow,
};

/** Starts the chosen backend (once per process; asking again for the running one is free). */
export async function useBackend(choice: BackendChoice = 'wasm'): Promise<BackendInfo> {
  if (!BACKEND_CHOICES.includes(choice)) {
    fail('invalid-argument', `--backend must be one of ${BACKEND_CHOICES.join(', ')}, got "${choice}"`);
  }
  if (choice !== 'auto') {
    const detail = await STARTERS[choice]();
    return { name: choice, detail };
  }
  for (const name of ['webgpu', 'tensorflow'] as const) {
    try {
      return { name, detail: await STARTERS[name]() };
    } catch {
      // try the next one
    }
  }
  return { name: 'wasm', detail: await startWasm() };
}
