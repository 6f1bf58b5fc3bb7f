/**
 * A real single-node Slurm for the cluster tests: munged, slurmctld and slurmd (Debian's
 * slurm-wlm and munge packages) started in the foreground as children of the test, with a minimal
 * slurm.conf, a munge key and every state, spool, log and pid file under one temporary folder,
 * and free ports. Commands run against it with `env()` (SLURM_CONF points at its slurm.conf), and
 * `stop()` cancels its jobs and ends the daemons (also at process exit, should a test fail first).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** The programs the cluster needs, each found on PATH or in /usr/sbin. */
const PROGRAMS = ['munged', 'mungekey', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scontrol', 'scancel'] as const;
type Program = (typeof PROGRAMS)[number];

function which(name: string): string | null {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/bin']) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

/** Why a real Slurm cannot be started here (not root, a program missing), or null when it can. */
export function slurmUnavailable(): string | null {
  if (process.platform !== 'linux') return `Slurm runs on Linux, this is ${process.platform}`;
  if (process.getuid?.() !== 0) return 'not root (slurmd and munged run as root here; CI runs as root)';
  const missing = PROGRAMS.filter((p) => which(p) === null);
  if (missing.length) return `not installed: ${missing.join(', ')} (apt-get install slurmctld slurmd slurm-client munge)`;
  return null;
}

/** A free TCP port on this host (asked of the kernel, then released). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** What slurmd finds on this host (`slurmd -C`): CPUs and RealMemory in MiB. */
function hostResources(): { cpus: number; memoryMib: number } {
  const r = spawnSync(which('slurmd')!, ['-C'], { encoding: 'utf8' });
  const cpus = Number(/CPUs=(\d+)/.exec(r.stdout)?.[1]);
  const memoryMib = Number(/RealMemory=(\d+)/.exec(r.stdout)?.[1]);
  if (!(cpus >= 1 && memoryMib >= 1)) throw new Error(`slurmd -C gave no CPUs/RealMemory: ${r.stdout}${r.stderr}`);
  return { cpus, memoryMib };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface SlurmCluster {
  /** The folder holding slurm.conf, the munge key and socket, state, spool and logs. */
  dir: string;
  /** The environment for commands against this cluster: the caller's, with SLURM_CONF set. */
  env(extra?: Record<string, string>): NodeJS.ProcessEnv;
  /** Runs a Slurm client (sbatch, squeue, ...) against this cluster; throws on a non-zero exit. */
  client(program: Program, args: string[], options?: { cwd?: string; env?: Record<string, string> }): string;
  /** Resolves when none of the jobs (ids, array or not) is pending or running; rejects after timeoutMs. */
  waitFor(jobIds: string[], timeoutMs: number): Promise<void>;
  /** The state of every job of `jobId` (each task of an array), e.g. { '12_0': 'COMPLETED' }. */
  states(jobId: string): Record<string, string>;
  /** The daemons' log tails, for a failure's message. */
  logs(): string;
  stop(): Promise<void>;
}

/**
 * Starts munged, slurmctld and slurmd under `dir` and resolves when the node is idle. The node
 * declares at least `minCpus` CPUs and `minMemoryMib` memory (SlurmdParameters=config_overrides
 * lets it claim more than the host has; nothing is enforced without cgroups), so that several
 * array tasks of modest size run side by side on a small CI host.
 */
export async function startSlurm(dir: string, { minCpus = 16, minMemoryMib = 20_000 } = {}): Promise<SlurmCluster> {
  const node = hostname().split('.')[0]!;
  const host = hostResources();
  const [ctldPort, slurmdPort] = [await freePort(), await freePort()];
  for (const sub of ['munge', 'state', 'spool']) mkdirSync(join(dir, sub), { recursive: true, mode: 0o700 });
  const socket = join(dir, 'munge', 'munge.socket');
  const key = join(dir, 'munge', 'munge.key');
  const conf = join(dir, 'slurm.conf');
  writeFileSync(conf, [
    'ClusterName=dtmctest',
    `SlurmctldHost=${node}(127.0.0.1)`,
    'SlurmUser=root',
    'SlurmdUser=root',
    `SlurmctldPort=${ctldPort}`,
    `SlurmdPort=${slurmdPort}`,
    'AuthType=auth/munge',
    'CredType=cred/munge',
    `AuthInfo=socket=${socket}`,
    `StateSaveLocation=${join(dir, 'state')}`,
    `SlurmdSpoolDir=${join(dir, 'spool')}`,
    `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
    `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
    `SlurmctldLogFile=${join(dir, 'slurmctld.log')}`,
    `SlurmdLogFile=${join(dir, 'slurmd.log')}`,
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_Core_Memory',
    'SlurmdParameters=config_overrides',
    'MpiDefault=none',
    'ReturnToService=2',
    'SchedulerType=sched/builtin',
    'AccountingStorageType=accounting_storage/none',
    'JobAcctGatherType=jobacct_gather/none',
    'JobCompType=jobcomp/none',
    'MinJobAge=600',
    `NodeName=${node} NodeAddr=127.0.0.1 CPUs=${Math.max(host.cpus, minCpus)} RealMemory=${Math.max(host.memoryMib, minMemoryMib)} State=UNKNOWN`,
    'PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP',
    '',
  ].join('\n'));
  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ ...process.env, SLURM_CONF: conf, ...extra });

  const r = spawnSync(which('mungekey')!, ['--create', `--keyfile=${key}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mungekey failed: ${r.stderr}`);
  chmodSync(key, 0o400);

  const children: { name: string; child: ChildProcess; exited: Promise<void> }[] = [];
  const daemon = (name: string, args: string[]): void => {
    const out = openSync(join(dir, `${name}.out`), 'a');
    const child = spawn(which(name)!, args, { env: env(), stdio: ['ignore', out, out] });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    children.push({ name, child, exited });
  };
  const killAll = (): void => {
    for (const { child } of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.on('exit', killAll);

  const run = (program: Program, args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): string => {
    const res = spawnSync(which(program)!, args, { encoding: 'utf8', cwd: options.cwd, env: env(options.env), timeout: 60_000 });
    if (res.status !== 0) throw new Error(`${program} ${args.join(' ')} exited ${res.status}: ${res.stderr}${res.stdout}`);
    return res.stdout;
  };
  // Each daemon's log file, or what it printed before it opened one.
  const logs = (): string => ['slurmctld', 'slurmd', 'munged']
    .map((name) => [`${name}.log`, `${name}.out`].find((f) => existsSync(join(dir, f))))
    .filter((f): f is string => f !== undefined)
    .map((f) => `--- ${f}\n${readFileSync(join(dir, f), 'utf8').trimEnd().split('\n').slice(-10).join('\n')}`)
    .join('\n');

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    spawnSync(which('scancel')!, ['--user=root'], { env: env(), timeout: 10_000 });
    for (const { child, exited } of [...children].reverse()) {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000)]);
    }
    killAll();
    process.off('exit', killAll);
  };

  try {
    daemon('munged', ['--foreground', '--force', `--key-file=${key}`, `--socket=${socket}`, `--pid-file=${join(dir, 'munge', 'munged.pid')}`,
      `--log-file=${join(dir, 'munged.log')}`, `--seed-file=${join(dir, 'munge', 'munged.seed')}`]);
    for (let i = 0; !existsSync(socket); i++) {
      if (i > 100) throw new Error('munged did not create its socket within 10 s');
      await sleep(100);
    }
    daemon('slurmctld', ['-D', '-i']);
    daemon('slurmd', ['-D', '-N', node]);
    for (let i = 0; ; i++) {
      const s = spawnSync(which('scontrol')!, ['show', 'node', node], { encoding: 'utf8', env: env(), timeout: 10_000 });
      const state = /State=(\S+)/.exec(s.stdout ?? '')?.[1];
      if (state !== undefined && /^IDLE/.test(state)) break;
      if (i > 60) throw new Error(`the node is not idle after 30 s (${state ?? s.stderr})`);
      await sleep(500);
    }
  } catch (e) {
    const message = `${(e as Error).message}\n${logs()}`;
    await stop();
    throw new Error(message);
  }

  return {
    dir,
    env,
    client: run,
    logs,
    stop,
    async waitFor(jobIds, timeoutMs) {
      const start = Date.now();
      for (;;) {
        const queued = run('squeue', ['--noheader', '--format=%i %T', `--jobs=${jobIds.join(',')}`]).trim();
        if (queued === '') return;
        if (Date.now() - start > timeoutMs) throw new Error(`jobs still queued after ${timeoutMs} ms:\n${queued}\n${logs()}`);
        await sleep(1000);
      }
    },
    states(jobId) {
      const out: Record<string, string> = {};
      for (const line of run('scontrol', ['--oneliner', 'show', 'job', jobId]).split('\n')) {
        const id = /ArrayJobId=(\d+) ArrayTaskId=(\S+)/.exec(line);
        const own = /^JobId=(\d+)/.exec(line);
        const state = /JobState=(\S+)/.exec(line)?.[1];
        if (state === undefined || own === null) continue;
        out[id ? `${id[1]}_${id[2]}` : own[1]!] = state;
      }
      return out;
    },
  };
}
