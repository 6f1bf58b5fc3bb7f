/**
 * How many CPUs this process may really use, for every automatic thread count (a job's
 * `"workers": "auto"`, the draw pool, `solve --batch`'s float64 pool, `doctor`): the least of
 *
 * - the affinity mask: os.availableParallelism(), which in Node 20 (libuv 1.46) follows
 *   sched_getaffinity (`taskset`, Slurm's CPU binding) but not the cgroup's CPU quota;
 * - the cgroup's CPU limit (a container's `--cpus`, a pod's CPU limit, Slurm's cgroup plugin):
 *   ceil(quota / period), at least 1, the least over this process's cgroup and its parents; cgroup
 *   v2 `cpu.max` ("max 100000" is no limit), cgroup v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`
 *   (-1 is no limit). The cgroup is read from /proc/self/cgroup;
 * - SLURM_CPUS_PER_TASK, when set (what Slurm allocated to the task).
 *
 * And the worker count of a job (`workerChoice`): --workers, else DTMC_WORKERS, else the job's
 * `workers` when a number, else this budget. The roots of /proc and /sys/fs/cgroup are parameters,
 * so tests give fake trees.
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, posix } from 'node:path';
import { fail } from '../engine/errors.js';

/** A thread count and where it came from, in words (for logs and `doctor`). */
export interface CpuCount {
  count: number;
  source: string;
}

/** Where the budget is read from; each defaults to this process's own. */
export interface CpuSources {
  env?: NodeJS.ProcessEnv;
  /** The affinity mask's CPU count [default: os.availableParallelism()]. */
  affinity?: number;
  /** The folder holding `self/cgroup` [default: /proc]. */
  procRoot?: string;
  /** Where the cgroup file systems are mounted [default: /sys/fs/cgroup]. */
  cgroupRoot?: string;
}

/** The text of `path`, or null when it cannot be read (absent, no permission). */
function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** `dir` and its parents up to the mount `root`, the deepest first ('/a/b' -> /a/b, /a, /). */
const upFrom = (root: string, cgroupPath: string): string[] => {
  const out: string[] = [];
  for (let p = posix.normalize(cgroupPath || '/'); ; p = posix.dirname(p)) {
    out.push(join(root, p));
    if (p === '/' || p === '.') return out;
  }
};

/** ceil(quota / period), at least 1; null for no limit or text that is not a limit. */
const cpusOf = (quota: number, period: number): number | null =>
  (Number.isFinite(quota) && quota > 0 && Number.isFinite(period) && period > 0 ? Math.max(1, Math.ceil(quota / period)) : null);

/** The least limit over the folders (each read with `limitIn`), and the file that set it. */
function leastLimit(dirs: string[], limitIn: (dir: string) => { cpus: number | null; file: string } | null): CpuCount | null {
  let best: CpuCount | null = null;
  for (const dir of dirs) {
    const l = limitIn(dir);
    if (l?.cpus != null && (best === null || l.cpus < best.count)) best = { count: l.cpus, source: l.file };
  }
  return best;
}

/**
 * The cgroup CPU limit of this process, null when there is none (or no cgroup file system):
 * cgroup v1 when /proc/self/cgroup names a cpu controller whose folder is mounted, else v2.
 */
export function cgroupCpuLimit(procRoot = '/proc', cgroupRoot = '/sys/fs/cgroup'): CpuCount | null {
  const text = readText(join(procRoot, 'self', 'cgroup'));
  if (text === null) return null;
  const lines = text.split('\n').filter(Boolean).map((l) => {
    const [, controllers, ...path] = l.split(':');
    return { controllers: controllers.split(','), path: path.join(':') };
  });
  const v1 = lines.find((l) => l.controllers.includes('cpu'));
  if (v1) {
    const mount = [v1.controllers.join(','), 'cpu', 'cpu,cpuacct', 'cpuacct,cpu'].map((m) => join(cgroupRoot, m)).find((m) => existsSync(m));
    if (mount) {
      return leastLimit(upFrom(mount, v1.path), (dir) => {
        const quota = readText(join(dir, 'cpu.cfs_quota_us'));
        const period = readText(join(dir, 'cpu.cfs_period_us'));
        return quota === null || period === null ? null : { cpus: cpusOf(Number(quota.trim()), Number(period.trim())), file: join(dir, 'cpu.cfs_quota_us') };
      });
    }
  }
  const v2 = lines.find((l) => l.controllers.length === 1 && l.controllers[0] === '' && l.path !== undefined);
  if (!v2) return null;
  // A hybrid host mounts the v2 hierarchy at <root>/unified.
  const v2Root = !existsSync(join(cgroupRoot, 'cgroup.controllers')) && existsSync(join(cgroupRoot, 'unified', 'cgroup.controllers')) ? join(cgroupRoot, 'unified') : cgroupRoot;
  return leastLimit(upFrom(v2Root, v2.path), (dir) => {
    const max = readText(join(dir, 'cpu.max'));
    if (max === null) return null;
    const [quota, period] = max.trim().split(/\s+/);
    return { cpus: quota === 'max' ? null : cpusOf(Number(quota), Number(period ?? 100000)), file: join(dir, 'cpu.max') };
  });
}

/** A positive integer from the environment variable `name`, or a named error. */
function envCount(env: NodeJS.ProcessEnv, name: string, max?: number): number | undefined {
  const text = env[name];
  if (text === undefined) return undefined;
  const n = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || n < 1 || !Number.isSafeInteger(n) || (max !== undefined && n > max)) {
    fail('invalid-argument', `${name} must be an integer ${max !== undefined ? `in [1, ${max}]` : '>= 1'}, got "${text}"`);
  }
  return n;
}

/** The CPUs this process may use: the least of the affinity mask, the cgroup limit and SLURM_CPUS_PER_TASK. */
export function cpuBudget(s: CpuSources = {}): CpuCount {
  const env = s.env ?? process.env;
  const affinity = s.affinity ?? availableParallelism();
  const candidates: CpuCount[] = [{ count: affinity, source: 'the affinity mask' }];
  const cgroup = cgroupCpuLimit(s.procRoot, s.cgroupRoot);
  if (cgroup) candidates.push({ count: cgroup.count, source: `the cgroup CPU limit (${cgroup.source})` });
  const slurm = envCount(env, 'SLURM_CPUS_PER_TASK');
  if (slurm !== undefined) candidates.push({ count: slurm, source: 'SLURM_CPUS_PER_TASK' });
  // The least; on a tie the first named (the affinity mask, then the cgroup).
  return candidates.reduce((a, b) => (b.count < a.count ? b : a));
}

/**
 * A job's worker count: `flag` (--workers), else DTMC_WORKERS, else the job's `workers` when a
 * number, else the CPU budget. `max` bounds DTMC_WORKERS as the job file bounds `workers`.
 */
export function workerChoice(flag: number | undefined, jobWorkers: number | 'auto', max: number, s: CpuSources = {}): CpuCount {
  if (flag !== undefined) return { count: flag, source: '--workers' };
  const env = envCount(s.env ?? process.env, 'DTMC_WORKERS', max);
  if (env !== undefined) return { count: env, source: 'DTMC_WORKERS' };
  if (jobWorkers !== 'auto') return { count: jobWorkers, source: 'the job\'s "workers"' };
  const budget = cpuBudget(s);
  return { count: budget.count, source: `auto: ${budget.source}` };
}
