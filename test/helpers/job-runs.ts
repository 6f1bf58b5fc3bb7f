/**
 * Running `dtmc run` / `dtmc aggregate` as a user does (the compiled CLI in a child process) and
 * reading a job's output folder back, for the batch-job tests.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tableFromIPC } from 'apache-arrow';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');

export const tempDir = (label: string): string => mkdtempSync(join(tmpdir(), `dtmc-${label}-`));

export function writeJob(dir: string, job: object, name = 'job.json'): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(job));
  return path;
}

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The test's environment without the variables that configure `dtmc run` (a scheduler's array
 * variables, DTMC_SHARD*, DTMC_WORKERS, DTMC_OUT, SLURM_CPUS_PER_TASK), so that tests run inside a
 * Slurm job or a pod behave as anywhere else; `env` adds what a test sets.
 */
export const cleanEnv = (env: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(SLURM_|JOB_COMPLETION_INDEX$|DTMC_(SHARD|SHARDS|SHARD_BASE|WORKERS|OUT)$)/.test(k))),
  ...env,
});

export function dtmc(args: string[], env: Record<string, string> = {}): CliRun {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 180_000, env: cleanEnv(env) });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts `dtmc args` without waiting. */
export const dtmcAsync = (args: string[]): ChildProcess => spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv() });

/** Resolves when some chunk file exists in outDir/chunks (polling), or rejects after timeoutMs. */
export async function firstChunk(outDir: string, timeoutMs = 60_000): Promise<void> {
  const start = Date.now();
  for (;;) {
    try {
      if (readdirSync(join(outDir, 'chunks')).some((f) => f.endsWith('.arrow'))) return;
    } catch {
      // not created yet
    }
    if (Date.now() - start > timeoutMs) throw new Error(`no chunk file in ${outDir} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const exited = (child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> =>
  new Promise((resolvePromise) => {
    let stderr = '';
    child.stderr?.on('data', (d) => (stderr += String(d)));
    child.on('exit', (code, signal) => resolvePromise({ code, signal, stderr }));
  });

/** Every row of every chunk file, as plain values, sorted by (point, realisation). */
export function readRows(outDir: string): Record<string, unknown>[] {
  const files = readdirSync(join(outDir, 'chunks')).filter((f) => f.endsWith('.arrow')).sort();
  const rows: Record<string, unknown>[] = [];
  for (const f of files) {
    const table = tableFromIPC(readFileSync(join(outDir, 'chunks', f)));
    for (let r = 0; r < table.numRows; r++) {
      const row: Record<string, unknown> = {};
      for (const field of table.schema.fields) {
        const v = table.getChild(field.name)!.get(r);
        row[field.name] = v && typeof v === 'object' && 'toArray' in v ? Array.from((v as { toArray(): ArrayLike<number> }).toArray()) : v;
      }
      rows.push(row);
    }
  }
  return rows.sort((a, b) => (a.point as number) - (b.point as number) || (a.realisation as number) - (b.realisation as number));
}

/**
 * readRows without the columns naming the job (job_name, job_hash): what two different jobs that
 * must give the same results (another chunk size, backend auto) are compared on.
 */
export function resultRows(outDir: string): Record<string, unknown>[] {
  return readRows(outDir).map(({ job_name: _name, job_hash: _hash, ...rest }) => rest);
}
