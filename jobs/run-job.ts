/**
 * `dtmc run`: expands a job into chunks, skips the complete ones already in the output folder,
 * and solves the rest on a Piscina pool, each worker writing its chunk's Arrow file.
 *
 * The output folder's files and their paths: output/job-folder.ts. A folder holding a different
 * job (job.json) is refused.
 *
 * Nothing is lost: chunk files appear only complete (temporary name, then rename), a run on the
 * same folder resumes (redoing missing, truncated or corrupt chunks: a chunk is checked against its
 * checksum, then its layout and values), a worker crash is retried
 * once and then recorded while the rest goes on, and SIGINT or SIGTERM stops cleanly: running
 * chunks finish (a second signal abandons them) and finished ones stay. A file that cannot be
 * written (full disk, read-only folder, a directory in its place) stops the run the same way,
 * with the named error in `writeError`: the chunk is not solved again, nor are the rest.
 *
 * A job with a precision target (`precision`, output/precision.ts) runs chunks in the order
 * (chunk number, point), checks each point's complete prefix of chunks before starting one of its
 * chunks (reading what other shards wrote into the folder) and after writing one, and starts none
 * past a prefix that met the target. Chunks past it that were started anyway (several workers run
 * ahead; a shard cannot see a prefix another shard has not finished) are deleted once the prefix
 * is decided, here or by the next run: they are never results, and the folder then holds exactly
 * the rows aggregate reads, for any reader that globs chunks/*.arrow.
 */
import { existsSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import { DtmcError, fail } from '../engine/errors.js';
import { acquireFolderLock, createExclusive } from './folder-lock.js';
import { checkEngineStarts } from './engine-check.js';
import { readChunkFile } from '../output/chunk-file.js';
import { makeFolder } from '../output/atomic-file.js';
import {
  checksumPath, chunkPath, chunksDir, failedRecordPath, manifestPath, manifestText, readManifest, removeFailedRecord, writeFailedRecord, writeManifest, type FolderShard, type Manifest,
} from '../output/job-folder.js';
import { folderReader, PrecisionTracker } from '../output/precision-prefix.js';
import { canonicalJson, JOB_FORMAT, MAX_WORKERS, jobChunks, jobHash, shardChunks, sweepPoints, type Chunk, type Job } from './job-file.js';
import { AUTO, ENGINES, type EngineChoice, type EngineName } from '../kernels/engines.js';
import type { WorkerResult, WorkerTask } from './worker.js';
import { createProgress, type ProgressMode } from './progress.js';
import { workerChoice, type CpuCount } from './cpu-budget.js';
import { addFusedWork, emptyFusedWork, type FusedWorkCounts } from '../kernels/webgpu/fused-work.js';

/** A share of the job's chunks: shard `index` of `count`. */
export type Shard = FolderShard;

export interface RunOptions {
  job: Job;
  outDir: string;
  shard: Shard;
  /** Overrides the job's worker count (then DTMC_WORKERS, the job's, the CPU budget: jobs/cpu-budget.ts). */
  workers?: number;
  progress: ProgressMode;
  engineVersion: string;
  /** Log lines (stderr in the CLI). */
  log: (line: string) => void;
  /** Remove the folder's conflicting locks whoever holds them (a run on another host known dead). */
  breakLock?: boolean;
  /**
   * The pool's worker instead of jobs/worker.ts, for tests (test/helpers/fault-worker.ts injects
   * crashes and a full disk) or a custom worker: `module`, a file URL or absolute path of a module
   * whose default export takes a WorkerTask and returns a WorkerResult; `data`, what it reads as
   * Piscina's `workerData` (structured-cloneable).
   */
  worker?: { module: string; data?: unknown };
}

export interface RunOutcome {
  /** Chunks of this shard, and how many were already complete. */
  chunks: number;
  skipped: number;
  written: number;
  /**
   * Chunks of this shard past their point's stopping prefix (a precision target was met): not
   * run, or run and deleted. Neither skipped nor written counts them.
   */
  unneeded: number;
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
  /** Where the worker count came from (--workers, DTMC_WORKERS, the job's, or auto: which CPU limit). */
  workersSource: string;
  backend: string;
  /** The fused GPU engine's work over the chunks this run wrote (GPU jobs only). */
  gpu?: FusedWorkCounts;
}

/**
 * Creates DIR/job.json (exclusively: of two jobs claiming one empty folder, one wins), or checks
 * that the folder holds this job. A folder with chunk files but no job.json is refused: nothing
 * proves they are this job's, so none is deleted.
 */
function claimFolder(outDir: string, manifest: Manifest<Job>, log: (line: string) => void): void {
  let existing = readManifest(outDir, JOB_FORMAT);
  if (!existing) {
    const chunks = chunksDir(outDir);
    const files = existsSync(chunks) ? readdirSync(chunks) : [];
    if (files.length) {
      fail('invalid-argument', `${outDir} has no job.json, but its chunks folder holds ${files.length} file(s) (e.g. ${files[0]}): `
        + 'nothing shows they are this job\'s, so none is touched. Use another --out folder, or move that chunks folder away.');
    }
    if (createExclusive(manifestPath(outDir), manifestText(manifest))) {
      makeFolder(chunks);
      return;
    }
    existing = readManifest(outDir, JOB_FORMAT)!; // another run claimed it just now
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
  makeFolder(chunksDir(outDir));
}

/** Removes a chunk's file, then its checksum (either may be gone already: another shard removed it). */
function removeChunkFiles(outDir: string, id: string): void {
  const path = chunkPath(outDir, id);
  for (const f of [path, checksumPath(path)]) {
    try {
      unlinkSync(f);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
}

/** Sorts the shard's chunks into complete ones and ones to run (removing what must be redone). */
function planChunks(outDir: string, hash: string, chunks: Chunk[], log: (line: string) => void): { todo: Chunk[]; complete: Chunk[] } {
  const leftovers = new Set(readdirSync(chunksDir(outDir)).filter((f) => /\.arrow(\.sha256)?\.tmp-/.test(f)));
  const todo: Chunk[] = [];
  const complete: Chunk[] = [];
  for (const c of chunks) {
    const path = chunkPath(outDir, c.id);
    for (const f of leftovers) if (f.startsWith(`${c.id}.arrow.`)) unlinkSync(join(chunksDir(outDir), f));
    removeFailedRecord(outDir, c.id);
    if (existsSync(path)) {
      const { problem } = readChunkFile(path, { jobHash: hash, chunk: c.id, point: c.point, first: c.first, count: c.count });
      if (!problem) {
        complete.push(c);
        continue;
      }
      log(`redoing chunk ${c.id}: its file ${problem}`);
      removeChunkFiles(outDir, c.id);
    }
    todo.push(c);
  }
  return { todo, complete };
}

/**
 * The stopping rule of a job with a precision target, applied to its folder: which chunks are
 * past their point's decided prefix (`unneeded`), and `discard`, which deletes the files of every
 * chunk past a point's decided prefix (of any shard: never results).
 */
function precisionPlan(outDir: string, job: Job, hash: string, points: ReturnType<typeof sweepPoints>, all: Chunk[]) {
  if (!job.precision) return null;
  const perPoint = all.length / points.length;
  const folder = { dir: outDir, manifest: { job, jobHash: hash, engineVersion: '' }, points, chunks: all };
  const tracker = new PrecisionTracker(points, perPoint, job.precision, folderReader(folder, perPoint));
  return {
    unneeded: (c: Chunk): boolean => tracker.unneeded(c.point, c.k),
    /** Settles the point's group; deletes the chunks past its decided prefix. */
    discard(point: number): void {
      const d = tracker.settle(point);
      if (!d.decided) return;
      for (const g of tracker.groupPoints(point)) {
        for (let k = d.chunks; k < perPoint; k++) {
          const c = all[g * perPoint + k];
          removeChunkFiles(outDir, c.id);
          removeFailedRecord(outDir, c.id);
        }
      }
    },
  };
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
  if (o.worker !== undefined && !(typeof o.worker.module === 'string' && o.worker.module !== '')) {
    fail('invalid-argument', `options.worker.module must be a file URL or path of a worker module, got ${JSON.stringify(o.worker.module)}`);
  }
  // Resolved once, here, so that every worker runs the same engine and the pool is sized for it;
  // an engine that cannot start here is bad input, found before anything is written.
  const asked = workerChoice(o.workers, o.job.workers, MAX_WORKERS);
  const engine = await resolveJobBackend(o.job.backend);
  await checkEngineStarts(engine.engine);
  makeFolder(o.outDir);
  const lock = acquireFolderLock(o.outDir, o.shard, { jobName: o.job.name, jobHash: jobHash(o.job), breakLock: o.breakLock, log: o.log });
  try {
    return await runLocked(o, engine, asked);
  } finally {
    lock.release();
  }
}

async function runLocked(o: RunOptions, { engine, reason }: { engine: EngineName; reason: string }, asked: CpuCount): Promise<RunOutcome> {
  const { job, outDir } = o;
  const hash = jobHash(job);
  claimFolder(outDir, { job, jobHash: hash, engineVersion: o.engineVersion }, o.log);
  const points = sweepPoints(job);
  const all = jobChunks(job);
  const chunks = shardChunks(all, o.shard);
  let { todo, complete } = planChunks(outDir, hash, chunks, o.log);
  const precision = precisionPlan(outDir, job, hash, points, all);
  if (precision) {
    for (const p of points) precision.discard(p.index);
    complete = complete.filter((c) => !precision.unneeded(c));
    // Chunk 0 of every point first, then chunk 1, ...: fewer chunks run past a prefix that meets the target.
    todo = todo.filter((c) => !precision.unneeded(c)).sort((a, b) => a.k - b.k || a.point - b.point);
  }
  const skipped = complete.length;
  const unneeded = chunks.length - skipped - todo.length;

  const backendLine = reason ? `auto: ${engine} (${reason})` : engine;
  let workers = asked.count;
  let workersSource = asked.source;
  if (ENGINES[engine].ownsDevice && workers > 1) {
    o.log(`backend ${engine}: one worker owns the device (asked for ${workers})`);
    workers = 1;
    workersSource = `backend ${engine} owns the device`;
  }
  if (workers > (todo.length || 1)) workersSource += `, at most one per chunk to run (${asked.count} asked)`;
  workers = Math.max(1, Math.min(workers, todo.length || 1));
  const outcome: RunOutcome = {
    chunks: chunks.length, skipped, written: 0, unneeded, failed: [], abandoned: [], interrupted: null, writeError: null, realisations: 0, seconds: 0, workers, workersSource, backend: backendLine,
  };
  const totalRealisations = todo.reduce((s, c) => s + c.count, 0);
  o.log(`job ${job.name}: ${points.length} sweep point(s), ${jobChunks(job).length} chunk(s)`
    + `${o.shard.count > 1 ? `, shard ${o.shard.index}/${o.shard.count}: ${chunks.length}` : ''}; `
    + `${skipped} already complete, ${todo.length} to run (${totalRealisations} realisations) on ${workers} worker(s) (${workersSource}), backend ${backendLine}`
    + `${precision ? `; ${unneeded} not needed (their point met its precision target)` : ''}`);
  if (todo.length === 0) return outcome;

  const pool = new Piscina({
    filename: o.worker?.module ?? new URL('./worker.js', import.meta.url).href, minThreads: workers, maxThreads: workers, idleTimeout: 1000,
    ...(o.worker?.data !== undefined ? { workerData: o.worker.data } : {}),
  });
  const progress = createProgress(o.progress, todo.length, totalRealisations, o.log);
  const started = performance.now();
  const queue: { chunk: Chunk; attempt: number }[] = todo.map((chunk) => ({ chunk, attempt: 1 }));
  const written = new Set<string>();
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
        settings: point.settings, seed: job.seed, point: chunk.point,
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
      written.add(chunk.id);
      outcome.realisations += r.rows;
      progress.chunkDone(r.rows);
      precision?.discard(chunk.point);
    } catch (e) {
      const error = (e as Error).message;
      if (abandoning) {
        outcome.abandoned.push(chunk.id); // not a crash: the next run redoes it
      } else if (attempt === 1 && !stopping) {
        o.log(`chunk ${chunk.id} failed (${error}); retrying it once`);
        queue.push({ chunk, attempt: 2 });
      } else {
        o.log(`chunk ${chunk.id} failed again (${error}); recorded in ${failedRecordPath(outDir, chunk.id)}`);
        outcome.failed.push({ id: chunk.id, error });
        try {
          writeFailedRecord(outDir, { chunk: chunk.id, attempts: attempt, error });
        } catch (w) {
          if (!(w instanceof DtmcError)) throw w;
          onWriteError(w.message);
        }
      }
    }
  };

  // At most `workers` chunks in flight; a finished one makes room for the next.
  const lanes = Array.from({ length: workers }, async () => {
    while (!stopping && queue.length) {
      const item = queue.shift()!;
      if (precision?.unneeded(item.chunk)) continue; // its point met its target meanwhile
      await runOne(item);
    }
  });
  await Promise.race([Promise.all(lanes), abandoned]);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  progress.stop();
  await pool.destroy();
  // Counted at the end: a prefix decided during the run may have made chunks written or skipped unneeded.
  const kept = (c: Chunk): boolean => !precision?.unneeded(c);
  outcome.written = chunks.filter((c) => written.has(c.id) && kept(c)).length;
  if (precision) {
    outcome.skipped = complete.filter(kept).length;
    outcome.unneeded = chunks.filter((c) => !kept(c)).length;
  }
  if (outcome.abandoned.length) o.log(`abandoned ${outcome.abandoned.length} running chunk(s) (${outcome.abandoned.join(', ')}); the next run redoes them`);
  outcome.seconds = (performance.now() - started) / 1000;
  return outcome;
}
