/**
 * The output folder of a job, in one place: where each of its files lies, the manifest (job.json)
 * and the failed-chunk records, read and written. `dtmc run` (jobs/run-job.ts) writes a folder
 * through it; aggregate, convergence and verify (output/) read one through it.
 *
 *   DIR/.dtmc.lock[.<i>-of-<n>]      held while a run works on the folder (jobs/folder-lock.ts)
 *   DIR/job.json                     the manifest: the job, its hash and the engine version that started the folder
 *   DIR/chunks/<chunk>.arrow         one complete chunk (output/chunk-file.ts)
 *   DIR/chunks/<chunk>.arrow.sha256  its checksum, written just before it (output/chunk-checksum.ts)
 *   DIR/chunks/<chunk>.failed.json   a chunk whose worker crashed twice (retried on the next run)
 *   DIR/summary.arrow, summary.csv   the summary per sweep point (output/aggregate.ts)
 *   DIR/plots/                       the charts (output/plot.ts)
 *   DIR/rows/p<point>.parquet        the rows as Parquet, one file per point (dtmc export, output/export-parquet.ts)
 *   DIR/rows.csv                     the rows as CSV (dtmc export --format csv, output/export-csv.ts)
 *
 * output/ imports nothing from jobs/: what it needs of a job is declared here (FolderJob,
 * FolderPoint, FolderChunk), and the caller hands in a JobFormat that validates a manifest's job,
 * hashes it and expands it into sweep points and chunks (jobs/job-file.ts `JOB_FORMAT`).
 */
import { existsSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../engine/errors.js';
import { writeFileAtomicallySync } from './atomic-file.js';
import type { PlotSettings } from './plot-settings.js';
import type { PrecisionTarget } from './precision.js';

// ---------------------------------------------------------------------------------------------
// Paths

export const manifestPath = (dir: string): string => join(dir, 'job.json');
export const chunksDir = (dir: string): string => join(dir, 'chunks');
export const chunkPath = (dir: string, id: string): string => join(dir, 'chunks', `${id}.arrow`);
/** The checksum file beside a chunk file (output/chunk-checksum.ts). */
export const checksumPath = (chunkFile: string): string => `${chunkFile}.sha256`;
export const failedRecordPath = (dir: string, id: string): string => join(dir, 'chunks', `${id}.failed.json`);
export const summaryPaths = (dir: string): { arrow: string; csv: string } => ({ arrow: join(dir, 'summary.arrow'), csv: join(dir, 'summary.csv') });
export const plotsDir = (dir: string): string => join(dir, 'plots');
/** Where `dtmc export` writes by default: the Parquet folder and the CSV file. */
export const exportPaths = (dir: string): { parquet: string; csv: string } => ({ parquet: join(dir, 'rows'), csv: join(dir, 'rows.csv') });

/** A share of a job's chunks: shard `index` of `count` (0 of 1: the whole job). */
export interface FolderShard {
  index: number;
  count: number;
}

const LOCK_NAME = /^\.dtmc\.lock(?:\.(\d+)-of-(\d+))?$/;

/** The lock file name of a shard (jobs/folder-lock.ts takes and clears the locks). */
export const lockName = (shard: FolderShard): string => (shard.count === 1 ? '.dtmc.lock' : `.dtmc.lock.${shard.index}-of-${shard.count}`);

/** The shard a lock file name stands for, or null when the name is not a lock's. */
export function lockShard(name: string): FolderShard | null {
  const m = LOCK_NAME.exec(name);
  if (!m) return null;
  return m[1] === undefined ? { index: 0, count: 1 } : { index: Number(m[1]), count: Number(m[2]) };
}

// ---------------------------------------------------------------------------------------------
// What output/ needs of a job

/** The fields of a job that output/ reads (jobs/job-file.ts's Job has them all, and more). */
export interface FolderJob {
  name: string;
  /** Realisations per sweep point. */
  realisations: number;
  /** The swept values per key (a baseline's pairing with the AO looks for `method`). */
  sweep: Record<string, readonly unknown[]>;
  plot: PlotSettings;
  /** A precision target per point (output/precision.ts); `realisations` is then the cap. */
  precision?: PrecisionTarget;
}

/** A sweep point: its index and the swept parameters' values there. */
export interface FolderPoint {
  index: number;
  values: Record<string, number | string>;
}

/** A chunk: its file stem (e.g. "p00003-c000012"), its point, its number k within the point and realisations first .. first + count - 1. */
export interface FolderChunk {
  id: string;
  point: number;
  k: number;
  first: number;
  count: number;
}

/** How a manifest's job is validated, hashed and expanded: given by the caller (jobs/job-file.ts `JOB_FORMAT`). */
export interface JobFormat<J extends FolderJob> {
  /** The job with every default filled in; throws a named error (fields prefixed with `where`). */
  parse(raw: unknown, where: string): J;
  /** The job's identity, the hash its chunk files carry. */
  hash(job: J): string;
  /** Sweep points in order, and every chunk, point by point. */
  points(job: J): readonly FolderPoint[];
  chunks(job: J): readonly FolderChunk[];
}

// ---------------------------------------------------------------------------------------------
// The manifest

/** The manifest of an output folder (DIR/job.json). */
export interface Manifest<J extends FolderJob = FolderJob> {
  job: J;
  jobHash: string;
  engineVersion: string;
}

/** Most bytes of a job.json (a job file is at most 1 MiB). */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** The text of a job.json. */
export const manifestText = (manifest: Manifest): string => `${JSON.stringify(manifest, null, 2)}\n`;

/** Reads DIR/job.json, or null when there is none; its job goes through `format` and its hash is checked. */
export function readManifest<J extends FolderJob>(dir: string, format: JobFormat<J>): Manifest<J> | null {
  const path = manifestPath(dir);
  if (!existsSync(path)) return null;
  let raw: Manifest<J>;
  try {
    if (statSync(path).size > MAX_MANIFEST_BYTES) throw new Error(`larger than ${MAX_MANIFEST_BYTES} bytes`);
    raw = JSON.parse(readFileSync(path, 'utf8')) as Manifest<J>;
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    return fail('io', `${path} is not readable JSON (${e.message}); it is not an output folder of dtmc run`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || typeof raw.job !== 'object' || raw.job === null) {
    return fail('io', `${path} holds ${raw === null ? 'null' : Array.isArray(raw) ? 'an array' : typeof raw === 'object' ? 'an object without a job' : `a ${typeof raw}`}, not a dtmc manifest (an object with job, jobHash and engineVersion); it is not an output folder of dtmc run`);
  }
  // Through the schema, so that a manifest written before a field existed gets its default.
  const job = format.parse(raw.job, path);
  const hash = format.hash(job);
  if (raw.jobHash !== hash) {
    fail('invalid-argument', `${path} has been changed: its job hashes to ${hash.slice(0, 12)} but it records ${String(raw.jobHash).slice(0, 12)}, `
      + 'the hash its chunk files carry. Restore the job it was made with (every chunk file holds it in its dtmc.job metadata).');
  }
  return { ...raw, job };
}

/** Replaces DIR/job.json (atomically, output/atomic-file.ts). */
export function writeManifest(dir: string, manifest: Manifest): void {
  writeFileAtomicallySync(manifestPath(dir), manifestText(manifest));
}

/** An output folder opened for reading: its manifest and its job's sweep points and chunks. */
export interface JobFolder<J extends FolderJob = FolderJob> {
  dir: string;
  manifest: Manifest<J>;
  points: readonly FolderPoint[];
  chunks: readonly FolderChunk[];
}

/** Opens DIR (a named error when it has no job.json). */
export function openJobFolder<J extends FolderJob>(dir: string, format: JobFormat<J>): JobFolder<J> {
  const manifest = readManifest(dir, format);
  if (!manifest) fail('io', `${dir} has no job.json: not an output folder of dtmc run`);
  return { dir, manifest, points: format.points(manifest.job), chunks: format.chunks(manifest.job) };
}

// ---------------------------------------------------------------------------------------------
// Failed-chunk records

/** DIR/chunks/<chunk>.failed.json: a chunk whose worker crashed on every attempt. */
export interface FailedChunkRecord {
  chunk: string;
  attempts: number;
  /** The last attempt's error message. */
  error: string;
}

export const hasFailedRecord = (dir: string, id: string): boolean => existsSync(failedRecordPath(dir, id));

/** Writes the record (atomically; a file that cannot be written is a named 'io' error). */
export function writeFailedRecord(dir: string, record: FailedChunkRecord): void {
  writeFileAtomicallySync(failedRecordPath(dir, record.chunk), `${JSON.stringify(record, null, 2)}\n`);
}

/** The record of chunk `id`, or null when there is none; a damaged one is a named error. */
export function readFailedRecord(dir: string, id: string): FailedChunkRecord | null {
  const path = failedRecordPath(dir, id);
  if (!existsSync(path)) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    return fail('corrupt-data', `${path} is not readable JSON (${e.message})`);
  }
  const r = raw as Partial<FailedChunkRecord> | null;
  if (!r || typeof r !== 'object' || r.chunk !== id || !Number.isInteger(r.attempts) || typeof r.error !== 'string') {
    fail('corrupt-data', `${path} is not a failed-chunk record of ${id} (an object with chunk, attempts and error)`);
  }
  return { chunk: r.chunk, attempts: r.attempts!, error: r.error };
}

/** Removes the record of chunk `id` if there is one (a run retries the chunk). */
export function removeFailedRecord(dir: string, id: string): void {
  if (hasFailedRecord(dir, id)) unlinkSync(failedRecordPath(dir, id));
}
