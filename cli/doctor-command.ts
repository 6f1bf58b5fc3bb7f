/**
 * `dtmc doctor`: what this host can run. Every tfjs engine of the table (kernels/engines.ts) is
 * started in turn, with the table's install hint for those that
 * cannot start; for webgpu the GPU adapter found (vendor, architecture, limits) and the Vulkan
 * pieces Dawn needs (the loader libvulkan.so.1 and a driver ICD); for each missing piece, what to
 * install; and the engine `--backend auto` picks here, with why. Exit code 0 when the wasm backend
 * starts, 2 otherwise.
 */
import { existsSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { cpuBudget, type CpuCount } from '../jobs/cpu-budget.js';
import { AUTO, BACKEND_NAMES, ENGINES, engineLines, type BackendName } from '../kernels/engines.js';
import { EXIT, exitCodesHelp } from './exit-codes.js';
import { formatTable } from './format-report.js';
import { packageVersion } from './package-info.js';

export interface BackendCheck {
  backend: BackendName;
  /** The engine in a line (the engine table). */
  description: string;
  ok: boolean;
  detail: string;
  /** What to install or set when it cannot start. */
  fix: string;
}

export interface DoctorReport {
  engine: string;
  node: string;
  platform: string;
  cpu: string;
  cores: number;
  /** The CPUs this process may use, for automatic thread counts (jobs/cpu-budget.ts), and which limit set it. */
  cpuBudget: CpuCount;
  memoryGiB: number;
  vulkan: { loader: string | null; icds: string[] };
  adapter: Record<string, string | number> | null;
  backends: BackendCheck[];
  /** What `--backend auto` (the default of solve --batch) runs here, and why. */
  auto: { engine: 'webgpu' | 'float64'; reason: string; line: string };
}

const ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/usr/local/nvidia/share/vulkan/icd.d'];

/** The Vulkan loader as the dynamic linker sees it, and the driver manifests (ICDs) found. */
export function findVulkan(env: NodeJS.ProcessEnv = process.env): { loader: string | null; icds: string[] } {
  let loader: string | null = null;
  try {
    const out = execFileSync('ldconfig', ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    loader = /libvulkan\.so\.1 .*=> (\S+)/.exec(out)?.[1] ?? null;
  } catch {
    loader = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib64/libvulkan.so.1', '/usr/lib/libvulkan.so.1'].find(existsSync) ?? null;
  }
  const named = (env.VK_DRIVER_FILES ?? env.VK_ICD_FILENAMES ?? '').split(':').filter(Boolean);
  const icds = named.length ? named.filter(existsSync) : ICD_DIRS.flatMap((d) => (existsSync(d) ? readdirSync(d).filter((f) => f.endsWith('.json')).map((f) => join(d, f)) : []));
  return { loader, icds };
}

export async function doctor(): Promise<DoctorReport> {
  const backends: BackendCheck[] = [];
  let adapter: DoctorReport['adapter'] = null;
  for (const backend of BACKEND_NAMES) {
    const { description, installHint } = ENGINES[backend];
    try {
      backends.push({ backend, description, ok: true, detail: await ENGINES[backend].start(), fix: '' });
    } catch (e) {
      backends.push({ backend, description, ok: false, detail: (e as Error).message.replace(/^the \w+ backend /, ''), fix: installHint });
    }
  }
  // Loaded here, not on import: the other commands (a float64 job) need no tfjs or webgpu.
  const { classifyAdapter, findWebGpuAdapter } = await import('../kernels/backend.js');
  const found = await findWebGpuAdapter();
  if (found.adapter) {
    const a = found.adapter as unknown as { info?: Record<string, string>; limits?: Record<string, number> };
    const limits = a.limits ?? {};
    const { kind } = classifyAdapter(found.adapter);
    adapter = {
      kind, vendor: a.info?.vendor ?? '', architecture: a.info?.architecture ?? '', device: a.info?.device ?? '', description: a.info?.description ?? '',
      maxBufferSize: limits.maxBufferSize, maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension, maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
    };
  }
  const budget = cpuBudget();
  const { engine, reason } = await AUTO.resolve();
  const line = engine === 'webgpu' ? `auto: webgpu (${reason})` : `auto: float64 path on ${budget.count} core(s) (${reason})`;
  return {
    engine: packageVersion(), node: process.version, platform: `${process.platform} ${process.arch}`,
    cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, cpuBudget: budget, memoryGiB: Math.round(totalmem() / 2 ** 30),
    vulkan: findVulkan(), adapter, backends, auto: { engine, reason, line },
  };
}

interface DoctorArgs {
  json: boolean;
}

export const doctorCommand: CommandModule<object, DoctorArgs> = {
  command: 'doctor',
  describe: 'Check which backends can start on this host, the GPU adapter found, what to install for the rest, and what auto picks',
  builder: (y: Argv<object>): Argv<DoctorArgs> =>
    y.option('json', { type: 'boolean', default: false, describe: 'print one JSON object' })
      .example('$0 doctor', 'backends, GPU adapter, Vulkan loader and drivers')
      .epilog(exitCodesHelp('doctor')),
  handler: async (args) => {
    const r = await doctor();
    process.exitCode = r.backends.find((b) => b.backend === 'wasm')?.ok ? EXIT.ok : EXIT.badInput;
    if (args.json) {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      return;
    }
    const lines = [
      `dtmc ${r.engine}, Node ${r.node}, ${r.platform}, ${r.cores} x ${r.cpu}, ${r.memoryGiB} GiB`,
      `CPUs for automatic thread counts (workers "auto", solve --batch): ${r.cpuBudget.count}, ${r.cpuBudget.source}`,
      `Vulkan loader: ${r.vulkan.loader ?? 'not found (Debian/Ubuntu: apt-get install libvulkan1 libglvnd0)'}`,
      `Vulkan drivers (ICDs): ${r.vulkan.icds.length ? r.vulkan.icds.join(', ') : 'none found (install the GPU driver, or set VK_DRIVER_FILES)'}`,
      `GPU adapter: ${r.adapter ? Object.entries(r.adapter).filter(([, v]) => v !== '' && v !== undefined).map(([k, v]) => `${k} ${v}`).join(', ') : 'none'}`,
      r.auto.line,
      '',
      ...formatTable(['backend', 'starts', 'detail'], r.backends.map((b) => [b.backend, b.ok ? 'yes' : 'no', b.ok ? b.detail : 'cannot start']), ['left', 'left', 'left']),
      ...r.backends.filter((b) => !b.ok).flatMap((b) => ['', `${b.backend}: ${b.detail}`, `  to fix: ${b.fix}`]),
      '',
      'Engines (--backend of solve --batch, backend of a job):',
      ...engineLines(),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  },
};
