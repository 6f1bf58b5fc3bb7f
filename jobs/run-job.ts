/**
 * `dtmc run`: expands a job into chunks, skips the complete ones already in the output folder,
 * and solves the rest on a Piscina pool, each worker writing its chunk's Arrow file.
 *
 * Output folder:
 *   .dtmc.lock[.<i>-of-<n>]      held while a run works on the folder (jobs/folder-lock.ts)
 *   job.json                     the job, its hash and the engine version (a different job is refused)
 *   chunks/<chunk>.arrow         one complete chunk (output/chunk-file.ts)
 *   chunks/<chunk>.arrow.sha256  its checksum, written just before it (output/chunk-checksum.ts)
 *   chunks/<chunk>.failed.json   a chunk whose worker crashed twice (retried on the next run)
 *
 * Nothing is lost: chunk files appear only complete (temporary name, then rename), a run on the
 * same folder resumes (redoing missing, truncated or corrupt chunks: a chunk is checked against its
 * checksum, then its layout and values), a worker crash is retried
 * once and then recorded while the rest goes on, and SIGINT or SIGTERM stops cleanly: running
 * chunks finish (a second signal abandons them) and finished ones stay. A file that cannot be
 * written (full disk, read-only folder, a directory in its place) stops the run the same way,
 * with the named error in `writeError`: the chunk is not solved again, nor are the rest.
 */
import { existsSync, readdirSync, readFileSync, unlinkSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import { DtmcError, fail } from '../engine/errors.js';
import { acquireFolderLock, createExclusive } from './folder-lock.js';
import { checkEngineStarts } from './engine-check.js';
import { readChunkFile } from '../output/chunk-file.js';
import { makeFolder, writeFileAtomicallySync } from '../output/atomic-file.js';
import { checksumPath } from '../output/chunk-checksum.js';
import { canonicalJson, MAX_WORKERS, jobChunks, jobHash, parseJob, shardChunks, sweepPoints, type Chunk, type Job } from './job-file.js';
import { AUTO, ENGINES, type EngineChoice, type EngineName } from '../kernels/engines.js';
import type { WorkerResult, WorkerTask } from './worker.js';
import { createProgress, type ProgressMode } from './progress.js';
import { addFusedWork, emptyFusedWork, type FusedWorkCounts } from '../kernels/webgpu/fused-work.js';

export interface Shard {
  index: number;
  count: number;
}

export interface RunOptions {
  job: Job;
  outDir: string;
  shard: Shard;
  /** Overrides the job's worker count. */
  workers?: number;
  progress: ProgressMode;
  engineVersion: string;
  /** Log lines (stderr in the CLI). */
  log: (line: string) => void;
  /** Remove the folder's conflicting locks whoever holds them (a run on another host known dead). */
  breakLock?: boolean;
}

export interface RunOutcome {
  /** Chunks of this shard, and how many were already complete. */
  chunks: number;
  skipped: number;
  written: number;
  failed: { id: string; error: string }[];
  /** Chunks that were running when a second signal abandoned them (redone by the next run). */
  abandoned: string[];
  /** Set when a signal stopped the run (its name). */
  interrupted: NodeJS.Signals | null;
  /** Set when a file of the run could not be written (the first such error): the run stopped. */
  writeError: string | null;
  realisations: number;
  seconds: number;
  workers: number;
  backend: string;
  /** The fused GPU engine's work over the chunks this run wrote (GPU jobs only). */
  gpu?: FusedWorkCounts;
}

export const chunkPath = (outDir: string, id: string): string => join(outDir, 'chunks', `${id}.arrow`);
const failedPath = (outDir: string, id: string): string => join(outDir, 'chunks', `${id}.failed.json`);

/** The manifest of an output folder. */
export interface Manifest {
  job: Job;
  jobHash: string;
  engineVersion: string;
}

/** Most bytes of a job.json (a job file is at most 1 MiB). */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** Reads DIR/job.json, or null when there is none; its hash is checked against its job. */
export function readManifest(outDir: string): Manifest | null {
  const path = join(outDir, 'job.json');
  if (!existsSync(path)) return null;
  let raw: Manifest;
  try {
    if (statSync(path).size > MAX_MANIFEST_BYTES) throw new Error(`larger than ${MAX_MANIFEST_BYTES} bytes`);
    raw = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    return fail('io', `${path} is not readable JSON (${e.message}); it is not an output folder of dtmc run`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || typeof raw.job !== 'object' || raw.job === null) {
    return fail('io', `${path} holds ${raw === null ? 'null' : Array.isArray(raw) ? 'an array' : typeof raw === 'object' ? 'an object without a job' : `a ${typeof raw}`}, not a dtmc manifest (an object with job, jobHash and engineVersion); it is not an output folder of dtmc run`);
  }
  if (!raw || typeof raw !== 'object') fail('io', `${path} is not a dtmc job manifest (a JSON object with job, jobHash and engineVersion)`);
  // Through the schema, so that a manifest written before a field existed gets its default.
  const job = parseJob(raw.job, path);
  const hash = jobHash(job);
  if (raw.jobHash !== hash) {
    fail('invalid-argument', `${path} has been changed: its job hashes to ${hash.slice(0, 12)} but it records ${String(raw.jobHash).slice(0, 12)}, `
      + 'the hash its chunk files carry. Restore the job it was made with (every chunk file holds it in its dtmc.job metadata).');
  }
  return { ...raw, job };
}

function writeManifest(outDir: string, manifest: Manifest): void {
  writeFileAtomicallySync(join(outDir, 'job.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

/**
 * Creates DIR/job.json (exclusively: of two jobs claiming one empty folder, one wins), or checks
 * that the folder holds this job. A folder with chunk files but no job.json is refused: nothing
 * proves they are this job's, so none is deleted.
 */
function claimFolder(outDir: string, manifest: Manifest, log: (line: string) => void): void {
  let existing = readManifest(outDir);
  if (!existing) {
    const chunksDir = join(outDir, 'chunks');
    const files = existsSync(chunksDir) ? readdirSync(chunksDir) : [];
    if (files.length) {
      fail('invalid-argument', `${outDir} has no job.json, but its chunks folder holds ${files.length} file(s) (e.g. ${files[0]}): `
        + 'nothing shows they are this job\'s, so none is touched. Use another --out folder, or move that chunks folder away.');
    }
    if (createExclusive(join(outDir, 'job.json'), `${JSON.stringify(manifest, null, 2)}\n`)) {
      makeFolder(chunksDir);
      return;
    }
    existing = readManifest(outDir)!; // another run claimed it just now
  }
  if (existing.jobHash !== manifest.jobHash) {
    fail('invalid-argument',
      `${outDir} holds results of a different job (${existing.job?.name ?? '?'}, hash ${String(existing.jobHash).slice(0, 12)}; this job: `
      + `${manifest.job.name}, hash ${manifest.jobHash.slice(0, 12)}). Use another --out folder, or the job file that made it.`);
  }
  if (existing.engineVersion !== manifest.engineVersion) {
    log(`note: ${outDir} was started by engine ${existing.engineVersion}, this is ${manifest.engineVersion}; `
      + 'each chunk file records the version that wrote it (dtmc.engine_version)');
  }
  // Same results; the fields outside the hash (plot, description, workers) follow the job file.
  if (canonicalJson(existing.job) !== canonicalJson(manifest.job)) writeManifest(outDir, { ...existing, job: manifest.job });
  makeFolder(join(outDir, 'chunks'));
}

/** Sorts the shard's chunks into complete ones and ones to run (removing what must be redone). */
function planChunks(outDir: string, hash: string, chunks: Chunk[], log: (line: string) => void): { todo: Chunk[]; skipped: number } {
  const leftovers = new Set(readdirSync(join(outDir, 'chunks')).filter((f) => /\.arrow(\.sha256)?\.tmp-/.test(f)));
  const todo: Chunk[] = [];
  let skipped = 0;
  for (const c of chunks) {
    const path = chunkPath(outDir, c.id);
    for (const f of leftovers) if (f.startsWith(`${c.id}.arrow.`)) unlinkSync(join(outDir, 'chunks', f));
    if (existsSync(failedPath(outDir, c.id))) unlinkSync(failedPath(outDir, c.id));
    if (existsSync(path)) {
      const { problem } = readChunkFile(path, { jobHash: hash, chunk: c.id, point: c.point, first: c.first, count: c.count });
      if (!problem) {
        skipped++;
        continue;
      }
      log(`redoing chunk ${c.id}: its file ${problem}`);
      unlinkSync(path);
      if (existsSync(checksumPath(path))) unlinkSync(checksumPath(path));
    }
    todo.push(c);
  }
  return { todo, skipped };
}

/** The job's engine, `auto` resolved (with why): webgpu on a hardware GPU adapter, else float64. */
export async function resolveJobBackend(backend: EngineChoice): Promise<{ engine: EngineName; reason: string }> {
  if (backend !== 'auto') return { engine: backend, reason: '' };
  // Resolving auto loads the webgpu package; a float64 job needs none of it.
  const auto = await AUTO.resolve();
  return { engine: auto.engine, reason: auto.reason };
}

/**
 * Runs the job's shard in its output folder, holding the folder's lock (jobs/folder-lock.ts)
 * from before the folder is claimed until the pool is gone, on errors and signals too.
 */
export async function runJob(o: RunOptions): Promise<RunOutcome> {
  if (o.workers !== undefined && !(Number.isInteger(o.workers) && o.workers >= 1 && o.workers <= MAX_WORKERS)) {
    fail('invalid-argument', `--workers must be an integer in [1, ${MAX_WORKERS}], got ${o.workers}`);
  }
  // Resolved once, here, so that every worker runs the same engine and the pool is sized for it;
  // an engine that cannot start here is bad input, found before anything is written.
  const engine = await resolveJobBackend(o.job.backend);
  await checkEngineStarts(engine.engine);
  makeFolder(o.outDir);
  const lock = acquireFolderLock(o.outDir, o.shard, { jobName: o.job.name, jobHash: jobHash(o.job), breakLock: o.breakLock, log: o.log });
  try {
    return await runLocked(o, engine);
  } finally {
    lock.release();
  }
}

async function runLocked(o: RunOptions, { engine, reason }: { engine: EngineName; reason: string }): Promise<RunOutcome> {
  const { job, outDir } = o;
  const hash = jobHash(job);
  claimFolder(outDir, { job, jobHash: hash, engineVersion: o.engineVersion }, o.log);
  const points = sweepPoints(job);
  const chunks = shardChunks(jobChunks(job), o.shard);
  const { todo, skipped } = planChunks(outDir, hash, chunks, o.log);

  const backendLine = reason ? `auto: ${engine} (${reason})` : engine;
  let workers = o.workers ?? (job.workers === 'auto' ? availableParallelism() : job.workers);
  if (ENGINES[engine].ownsDevice && workers > 1) {
    o.log(`backend ${engine}: one worker owns the device (asked for ${workers})`);
    workers = 1;
  }
  workers = Math.max(1, Math.min(workers, todo.length || 1));
  const outcome: RunOutcome = {
    chunks: chunks.length, skipped, written: 0, failed: [], abandoned: [], interrupted: null, writeError: null, realisations: 0, seconds: 0, workers, backend: backendLine,
  };
  const totalRealisations = todo.reduce((s, c) => s + c.count, 0);
  o.log(`job ${job.name}: ${points.length} sweep point(s), ${jobChunks(job).length} chunk(s)`
    + `${o.shard.count > 1 ? `, shard ${o.shard.index}/${o.shard.count}: ${chunks.length}` : ''}; `
    + `${skipped} already complete, ${todo.length} to run (${totalRealisations} realisations) on ${workers} worker(s), backend ${backendLine}`);
  if (todo.length === 0) return outcome;

  const pool = new Piscina({ filename: new URL('./worker.js', import.meta.url).href, minThreads: workers, maxThreads: workers, idleTimeout: 1000 });
  const progress = createProgress(o.progress, todo.length, totalRealisations, o.log);
  const started = performance.now();
  const queue: { chunk: Chunk; attempt: number }[] = todo.map((chunk) => ({ chunk, attempt: 1 }));
  let stopping = false;
  let abandoning = false;
  let abandon: () => void = () => {};
  const abandoned = new Promise<void>((resolve) => (abandon = resolve));
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!stopping) {
      stopping = true;
      outcome.interrupted = signal;
      o.log(`${signal}: no new chunks; letting the running ones finish (send it again to abandon them)`);
    } else {
      o.log(`${signal}: abandoning the running chunks`);
      abandoning = true;
      abandon();
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A full disk or a read-only folder fails every chunk after it as well: stop as for a signal.
  const onWriteError = (message: string): void => {
    if (!outcome.writeError) o.log(`${message}; no new chunks, letting the running ones finish`);
    outcome.writeError ??= message;
    stopping = true;
  };

  const runOne = async (item: { chunk: Chunk; attempt: number }): Promise<void> => {
    const { chunk, attempt } = item;
    const point = points[chunk.point];
    const task: WorkerTask = {
      task: {
        settings: point.settings, sweepValues: point.values, seed: job.seed, point: chunk.point,
        commonRandomNumbers: job.commonRandomNumbers, first: chunk.first, count: chunk.count, backend: engine,
        autoReason: reason || undefined,
      },
      chunkId: chunk.id, attempt, path: chunkPath(outDir, chunk.id),
      meta: { job: JSON.stringify(job), jobHash: hash, engineVersion: o.engineVersion, chunk: chunk.id },
    };
    try {
      const r = (await pool.run(task)) as WorkerResult;
      if (r.writeError) return onWriteError(r.writeError);
      outcome.backend = r.backend;
      if (r.gpu) addFusedWork((outcome.gpu ??= emptyFusedWork()), r.gpu);
      outcome.written++;
      outcome.realisations += r.rows;
      progress.chunkDone(r.rows);
    } catch (e) {
      const error = (e as Error).message;
      if (abandoning) {
        outcome.abandoned.push(chunk.id); // not a crash: the next run redoes it
      } else if (attempt === 1 && !stopping) {
        o.log(`chunk ${chunk.id} failed (${error}); retrying it once`);
        queue.push({ chunk, attempt: 2 });
      } else {
        o.log(`chunk ${chunk.id} failed again (${error}); recorded in ${failedPath(outDir, chunk.id)}`);
        outcome.failed.push({ id: chunk.id, error });
        try {
          writeFileAtomicallySync(failedPath(outDir, chunk.id), `${JSON.stringify({ chunk: chunk.id, attempts: attempt, error }, null, 2)}\n`);
        } catch (w) {
          if (!(w instanceof DtmcError)) throw w;
          onWriteError(w.message);
        }
      }
    }
  };

  // At most `workers` chunks in flight; a finished one makes room for the next.
  const lanes = Array.from({ length: workers }, async () => {
    while (!stopping && queue.length) await runOne(queue.shift()!);
  });
  await Promise.race([Promise.all(lanes), abandoned]);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  progress.stop();
  await pool.destroy();
  if (outcome.abandoned.length) o.log(`abandoned ${outcome.abandoned.length} running chunk(s) (${outcome.abandoned.join(', ')}); the next run redoes them`);
  outcome.seconds = (performance.now() - started) / 1000;
  return outcome;
}
