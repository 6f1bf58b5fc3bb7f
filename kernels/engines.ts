/**
 * The engines dtmc solves on, as one table: the float64 reference path and the tensor engine on
 * each tfjs backend, and how `auto` resolves. The job validator (jobs/job-file.ts), the chunk
 * solver (jobs/solve-chunk.ts), `dtmc run` (jobs/run-job.ts, jobs/engine-check.ts), `solve --batch`
 * (cli/solve-batch.ts, cli/solve-command.ts), `doctor` and the tensor kernels' method guards all
 * read it: adding an engine or a method touches this table and the engine's own files.
 *
 * Importing this module loads no tfjs and no webgpu: an engine's packages load when it starts
 * (kernels/backend.ts starts the tfjs backends), so a float64 job loads no tfjs.
 */
import { createRequire } from 'node:module';
import { fail } from '../engine/errors.js';
import { METHODS, type Method } from '../engine/settings.js';
import type { AutoEngine } from './backend.js';

export const ENGINE_NAMES = ['float64', 'wasm', 'cpu', 'webgpu', 'tensorflow'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];
/** The engines that run the tensor engine on the tfjs backend of the same name. */
export type BackendName = Exclude<EngineName, 'float64'>;
/** What `--backend` and a job's `backend` accept: an engine, or `auto`. */
export type EngineChoice = EngineName | 'auto';

export interface Engine {
  name: EngineName;
  /** One line for help text and `doctor`. */
  description: string;
  /** The methods (settings.method) it solves. */
  methods: readonly Method[];
  /**
   * How it solves a batch: `reference` the float64 solver one realisation at a time, `tensor` the
   * op-by-op tensor engine (kernels/solve-ao-batch.ts), `fused` the fused GPU engine
   * (kernels/webgpu/fused-ao.ts, drawing on the GPU too).
   */
  solver: 'reference' | 'tensor' | 'fused';
  /** One worker owns the device (a GPU: several contexts in one process fail), so a job runs one worker. */
  ownsDevice: boolean;
  /**
   * Realisations per tensor batch of `solve --batch`: 1024 on wasm and cpu, 100 000 on a GPU,
   * where each peaked (docs/performance.md). On the float64 path the most per worker task (the
   * pool gives each worker about four tasks, cli/solve-batch.ts).
   */
  defaultChunk: number;
  /**
   * Starts it in this thread (its packages load now, once per process) and returns the line that
   * reports it, e.g. "wasm", "cpu (plain JavaScript)", "webgpu (nvidia hopper NVIDIA H200)",
   * "float64 (reference path)". Fails ('backend') with the reason when it cannot start.
   */
  start: () => Promise<string>;
  /**
   * Why it cannot start on this host, found without starting it ('' when nothing is known to be
   * missing): checked in the main thread before a job's pool starts.
   */
  missing: () => Promise<string>;
  /** What to install or set when it cannot start (`doctor`). */
  installHint: string;
}

/** Methods the tensor engines solve; the baselines run on the float64 path only. */
const TENSOR_METHODS: readonly Method[] = ['ao', 'joint'];
/** The packages the tensorflow engine loads, in the order it tries them. */
export const TENSORFLOW_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

const backend = (): Promise<typeof import('./backend.js')> => import('./backend.js');
const nothingMissing = async (): Promise<string> => '';

export const ENGINES: Readonly<Record<EngineName, Engine>> = {
  float64: {
    name: 'float64',
    description: 'the float64 reference solver (solveAo), one realisation at a time on a worker pool of one thread per core',
    methods: METHODS,
    solver: 'reference',
    ownsDevice: false,
    defaultChunk: 1000,
    start: async () => 'float64 (reference path)',
    missing: nothingMissing,
    installHint: 'nothing to install: it is plain TypeScript',
  },
  wasm: {
    name: 'wasm',
    description: '@tensorflow/tfjs-backend-wasm, its .wasm files shipped in the package; works offline everywhere',
    methods: TENSOR_METHODS,
    solver: 'tensor',
    ownsDevice: false,
    defaultChunk: 1024,
    start: async () => (await backend()).startWasm(),
    missing: nothingMissing,
    installHint: 'reinstall dtmc (npm ci): @tensorflow/tfjs-backend-wasm ships its .wasm files; in a bundle, set DTMC_WASM_DIR to its wasm folder',
  },
  cpu: {
    name: 'cpu',
    // The one place that states its speed: docs/performance.md, "Build machine, 2 cores" (2026-11-28).
    description: '@tensorflow/tfjs-backend-cpu, plain JavaScript: about 11 times slower than wasm (24 against 258 solves/s at batch 1024, docs/performance.md)',
    methods: TENSOR_METHODS,
    solver: 'tensor',
    ownsDevice: false,
    defaultChunk: 1024,
    start: async () => (await backend()).startCpu(),
    missing: nothingMissing,
    installHint: 'reinstall dtmc (npm ci)',
  },
  webgpu: {
    name: 'webgpu',
    description: '@tensorflow/tfjs-backend-webgpu on Dawn (the webgpu package), on any GPU with a Vulkan driver; runs the fused GPU engine',
    methods: TENSOR_METHODS,
    solver: 'fused',
    ownsDevice: true,
    defaultChunk: 100_000,
    start: async () => (await backend()).startWebGpu(),
    missing: async () => (await (await backend()).findWebGpuAdapter()).reason,
    installHint: 'a GPU with a Vulkan driver: the loader (Debian/Ubuntu: apt-get install libvulkan1 libglvnd0) and the driver\'s ICD '
      + '(NVIDIA: its driver package; if not found, VK_DRIVER_FILES=/path/to/nvidia_icd.json); without a GPU, Mesa\'s lavapipe '
      + '(mesa-vulkan-drivers 25 or later) runs it on the CPU',
  },
  tensorflow: {
    name: 'tensorflow',
    description: '@tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node, installed by you beside dtmc; their install downloads libtensorflow',
    methods: TENSOR_METHODS,
    solver: 'tensor',
    ownsDevice: true,
    defaultChunk: 100_000,
    start: async () => (await backend()).startTensorflow(),
    missing: async () => {
      const require = createRequire(import.meta.url);
      const found = TENSORFLOW_PACKAGES.some((pkg) => {
        try {
          return Boolean(require.resolve(pkg));
        } catch {
          return false;
        }
      });
      return found ? '' : `neither ${TENSORFLOW_PACKAGES.join(' nor ')} is installed `
        + '(npm install @tensorflow/tfjs-node-gpu beside dtmc; CUDA 11.2, cuDNN 8.1), or use backend webgpu, wasm or float64';
    },
    installHint: 'npm install @tensorflow/tfjs-node-gpu (CUDA 11.2, cuDNN 8.1) or @tensorflow/tfjs-node beside dtmc',
  },
};

/** `auto`: the fastest engine present, resolved once per process. */
export const AUTO = {
  description: 'the fastest engine present: webgpu on a hardware GPU adapter, else float64, never a software adapter such as Mesa\'s lavapipe',
  /** The engines it may choose. */
  chooses: ['webgpu', 'float64'] as const satisfies readonly EngineName[],
  /** The engine it stands for on this host, and why (kernels/backend.ts `chooseAutoEngine`). */
  resolve: async (): Promise<AutoEngine> => (await backend()).chooseAutoEngine(),
};

/** `auto`, then every engine: the choices of `--backend`. */
export const ENGINE_CHOICES: readonly EngineChoice[] = ['auto', ...ENGINE_NAMES];
/** The engines that run on a tfjs backend, in table order. */
export const BACKEND_NAMES = ENGINE_NAMES.filter((n): n is BackendName => ENGINES[n].solver !== 'reference');

/** The engine of a name, or an 'invalid-argument' error naming `field` and the engines. */
export function engineNamed(name: string, field: string): Engine {
  if (!(ENGINE_NAMES as readonly string[]).includes(name)) fail('invalid-argument', `${field} must be one of ${ENGINE_NAMES.join(', ')}, got "${name}"`);
  return ENGINES[name as EngineName];
}

/** The methods a choice solves; for `auto`, those of every engine it may choose. */
export function methodsOf(choice: EngineChoice): readonly Method[] {
  if (choice !== 'auto') return ENGINES[choice].methods;
  return METHODS.filter((m) => AUTO.chooses.every((e) => ENGINES[e].methods.includes(m)));
}

/** The engines that solve `method`, in table order. */
export const enginesFor = (method: Method): EngineName[] => ENGINE_NAMES.filter((e) => ENGINES[e].methods.includes(method));

/**
 * Why `choice` cannot solve `method`, as a sentence about `field`; '' when it can. E.g.
 * 'job.backend must be an engine that runs method no-cache (float64); wasm runs methods ao and joint'.
 */
export function methodRefusal(field: string, choice: EngineChoice, method: Method): string {
  const runs = methodsOf(choice);
  if (runs.includes(method)) return '';
  return `${field} must be an engine that runs method ${method} (${enginesFor(method).join(', ')}); ${choice} runs methods ${joinAnd(runs)}`;
}

/**
 * The guard of a solver that runs on the tfjs backend `running` (tf.getBackend()): fails
 * ('invalid-argument') unless its engine solves `method`.
 */
export function requireMethod(running: string, method: Method): void {
  const engine = engineNamed(running, 'the running tfjs backend');
  if (!engine.methods.includes(method)) {
    fail('invalid-argument', `method ${method} runs on ${enginesFor(method).join(', ')} only; the ${running} engine runs methods ${joinAnd(engine.methods)}`);
  }
}

/** Every engine in a line, `auto` first: for help text and `doctor`. */
export function engineLines(indent = '  '): string[] {
  const methods = (c: EngineChoice): string => {
    const runs = methodsOf(c);
    return runs.length === METHODS.length ? 'every method' : `methods ${joinAnd(runs)}`;
  };
  return ENGINE_CHOICES.map((c) => `${indent}${c.padEnd(12)}${c === 'auto' ? AUTO.description : ENGINES[c].description}; ${methods(c)}`);
}

const joinAnd = (xs: readonly string[]): string => (xs.length < 2 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);
