/**
 * Starting the TensorFlow.js backends of the tensor engine, and telling a hardware GPU adapter
 * from a software one. Which engines exist, what each solves and how each reports is the table
 * of kernels/engines.ts; its tensor engines start here:
 *
 * - `wasm`: @tensorflow/tfjs-backend-wasm, its .wasm files read from the package (or DTMC_WASM_DIR).
 * - `cpu`: @tensorflow/tfjs-backend-cpu, in production mode.
 * - `webgpu`: @tensorflow/tfjs-backend-webgpu on Dawn through the `webgpu` package, on any GPU
 *   with a Vulkan driver (the host needs the Vulkan loader libvulkan1, libglvnd0 and the GPU
 *   driver's Vulkan ICD).
 * - `tensorflow`: @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node when the user has installed
 *   them (never a dependency of this package: their install downloads libtensorflow).
 * - `auto`: the fastest engine present, never a software adapter (`chooseAutoEngine`): webgpu on a
 *   hardware GPU adapter, else the float64 reference path on every core. The float64 path is not
 *   a tfjs backend, so the engines that can run it (`solve --batch`, jobs) resolve auto first;
 *   `useBackend('auto')`, asked for a tfjs backend all the same, starts wasm where there is no
 *   hardware adapter.
 *
 * A software adapter (Mesa's lavapipe/llvmpipe, SwiftShader, a fallback adapter) runs WebGPU on
 * the CPU, about 20 times slower than the float64 path on the same cores; `classifyAdapter` is
 * the one place that tells it from a GPU. Asking for `webgpu` by name still runs on it.
 *
 * A backend that cannot start is a `DtmcError` (code 'backend') saying why and what to install.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { fail } from '../engine/errors.js';
import { BACKEND_NAMES, ENGINES, TENSORFLOW_PACKAGES, type BackendName } from './engines.js';

export type { BackendName } from './engines.js';
/** What `useBackend` accepts: a tfjs backend of the engine table, or `auto`. */
export type BackendChoice = BackendName | 'auto';
const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', ...BACKEND_NAMES];

export interface BackendInfo {
  /** The tfjs backend that runs the kernels. */
  name: BackendName;
  /** A line for logs and result metadata, e.g. "wasm (simd, 1 thread)" or the GPU adapter. */
  detail: string;
}

const require = createRequire(import.meta.url);

/** Starts the wasm backend; its report line. */
export async function startWasm(): Promise<string> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  // In Node the .wasm files are read from the package's own dist folder (no network), or from
  // DTMC_WASM_DIR where the engine runs bundled without node_modules.
  wasm.setWasmPaths(`${process.env.DTMC_WASM_DIR ?? dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
  if (!(await tf.setBackend('wasm'))) fail('backend', 'the wasm backend failed to initialise');
  return 'wasm';
}

/** Starts the cpu backend; its report line. */
export async function startCpu(): Promise<string> {
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

/** What a WebGPU adapter says of itself (GPUAdapterInfo). */
export interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  /** On GPUAdapterInfo in current Dawn and the WebGPU spec; on the adapter itself in older builds. */
  isFallbackAdapter?: boolean;
}
export interface GPUAdapterLike {
  info?: AdapterInfoLike;
  isFallbackAdapter?: boolean;
}
interface GpuLike {
  requestAdapter(): Promise<GPUAdapterLike | null>;
}

/** Starts the webgpu backend on the adapter found, or fails saying what is missing; its report line. */
export async function startWebGpu(): Promise<string> {
  const { adapter, reason } = await findWebGpuAdapter();
  if (!adapter) fail('backend', `the webgpu backend cannot start: ${reason}`);
  // The backend registers itself on import, only if navigator.gpu exists (set above).
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) fail('backend', 'the webgpu backend failed to initialise');
  return `webgpu (${adapterLabel(adapter.info ?? {})})`;
}

/** The adapter in a few words: vendor, architecture, device (or description). */
function adapterLabel(info: AdapterInfoLike): string {
  return [info.vendor, info.architecture, info.device || info.description].filter(Boolean).join(' ') || 'adapter found';
}

/** Drivers that run Vulkan, D3D or WebGPU on the CPU, as adapters name them. */
const SOFTWARE_DRIVERS = /llvmpipe|lavapipe|softpipe|swiftshader|swrast|microsoft basic render/i;

export interface AdapterClass {
  kind: 'hardware' | 'software';
  /** The adapter in words, as `--backend webgpu` reports it, e.g. "mesa software llvmpipe-llvm-15-0-6-256-bits-". */
  label: string;
  /** Why it counts as software (the signs found, e.g. 'marked a fallback adapter; names "llvmpipe"'); '' for hardware. */
  reason: string;
}

/**
 * Tells a hardware GPU adapter from a software one. Software when any sign says so: the adapter
 * is marked a fallback adapter (Dawn marks its CPU adapters), its architecture is "software"
 * (Dawn on lavapipe), or a field names a CPU driver (llvmpipe, lavapipe, SwiftShader, ...).
 * Mesa alone is no sign: it also drives AMD and Intel GPUs.
 */
export function classifyAdapter(adapter: GPUAdapterLike): AdapterClass {
  const info = adapter.info ?? {};
  const label = adapterLabel(info);
  const signs: string[] = [];
  if (info.isFallbackAdapter === true || adapter.isFallbackAdapter === true) signs.push('marked a fallback adapter');
  if (info.architecture?.toLowerCase() === 'software') signs.push('architecture "software"');
  const named = [info.vendor, info.architecture, info.device, info.description]
    .map((f) => (f ? SOFTWARE_DRIVERS.exec(f)?.[0].toLowerCase() : undefined)).filter((n): n is string => n !== undefined);
  for (const n of new Set(named)) signs.push(`names "${n}"`);
  return { kind: signs.length ? 'software' : 'hardware', label, reason: signs.join('; ') };
}

/** The engine `auto` stands for on this host, and why. */
export interface AutoEngine {
  /** webgpu on a hardware GPU adapter, else the float64 reference path on every core. */
  engine: 'webgpu' | 'float64';
  /** In words, e.g. 'the WebGPU adapter found is a software one: mesa software llvmpipe-... (architecture "software"; ...)'. */
  reason: string;
  /** The adapter found, classified; null when there is none. */
  adapter: AdapterClass | null;
}

let autoEngine: Promise<AutoEngine> | undefined;

/** Resolves `auto` (once per process): webgpu on a hardware GPU adapter, else the float64 path. */
export function chooseAutoEngine(): Promise<AutoEngine> {
  autoEngine ??= (async () => {
    const { adapter, reason } = await findWebGpuAdapter();
    if (!adapter) return { engine: 'float64', reason: reason.startsWith('no WebGPU adapter') ? 'no WebGPU adapter found' : reason, adapter: null };
    const c = classifyAdapter(adapter);
    return c.kind === 'hardware'
      ? { engine: 'webgpu', reason: `hardware GPU adapter: ${c.label}`, adapter: c }
      : { engine: 'float64', reason: `the WebGPU adapter found is a software one: ${c.label} (${c.reason})`, adapter: c };
  })();
  return autoEngine;
}

/** Starts the tensorflow backend from the first of its packages installed; its report line. */
export async function startTensorflow(): Promise<string> {
  for (const pkg of TENSORFLOW_PACKAGES) {
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

/**
 * Starts the chosen backend (once per process; asking again for the running one is free). `auto`
 * starts webgpu on a hardware adapter, else wasm (engines that can run the float64 path resolve
 * auto with `chooseAutoEngine` before they get here).
 */
export async function useBackend(choice: BackendChoice = 'wasm'): Promise<BackendInfo> {
  if (!BACKEND_CHOICES.includes(choice)) {
    fail('invalid-argument', `--backend must be one of ${BACKEND_CHOICES.join(', ')}, got "${choice}"`);
  }
  if (choice !== 'auto') {
    const detail = await ENGINES[choice].start();
    return { name: choice, detail };
  }
  const auto = await chooseAutoEngine();
  if (auto.engine === 'webgpu') return { name: 'webgpu', detail: await startWebGpu() };
  // A tfjs backend was asked for where auto means the float64 path: the fastest one on a CPU.
  return { name: 'wasm', detail: `${await startWasm()} (auto: ${auto.reason})` };
}
