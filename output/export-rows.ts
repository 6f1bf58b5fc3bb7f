/**
 * The rows a row export takes from a job's output folder (`dtmc export`: output/export-parquet.ts,
 * output/export-csv.ts): its chunk files point by point, each read and checked as `dtmc aggregate`
 * reads it (checksum, layout, rows, domain), one chunk in memory at a time.
 *
 * A job with missing chunks is refused before anything is written, and a corrupt chunk file when it
 * is met (the export's files are then not replaced), each a named error, unless `partial`: then
 * the complete chunks are exported and the rest listed in the `ExportScan`. Under a precision
 * target a point's rows are its stopping prefix's (output/precision-prefix.ts), as in aggregate.
 */
import { existsSync } from 'node:fs';
import { RecordBatch, Schema, Table } from 'apache-arrow';
import { fail } from '../engine/errors.js';
import { chunkPath, hasFailedRecord, type FolderChunk, type JobFolder } from './job-folder.js';
import { readChunkFile } from './chunk-file.js';
import { ChunkReadBuffer } from './chunk-checksum.js';
import { folderPrefixes } from './precision-prefix.js';

/** What an export left out: chunks with no file (and those recorded as failed), and corrupt ones with why. */
export interface ExportScan {
  missing: string[];
  failed: string[];
  corrupt: { id: string; path: string; problem: string }[];
}

/** What an export wrote. */
export interface RowExport {
  /** The Parquet folder or the CSV file. */
  out: string;
  files: string[];
  rows: number;
  scan: ExportScan;
}

export interface ExportOptions {
  /** Export the complete chunks of an incomplete job (or one with corrupt chunk files). */
  partial: boolean;
  /** The version of dtmc exporting (dtmc.exported_by). */
  exporterVersion: string;
}

/** A point's chunks, in order. */
export interface PointChunks {
  point: number;
  chunks: FolderChunk[];
}

/**
 * The folder's chunks grouped by point; without `partial`, a job with missing chunks is a named
 * error (nothing is written). Missing chunks go into `scan`.
 */
export function planExport(folder: JobFolder, partial: boolean, scan: ExportScan): PointChunks[] {
  const byPoint = folder.points.map((p): PointChunks => ({ point: p.index, chunks: [] }));
  const prefixes = folderPrefixes(folder); // null without a precision target
  for (const c of folder.chunks) {
    const prefix = prefixes?.[c.point].decision;
    if (prefix?.decided && c.k >= prefix.chunks) continue; // past the stopping prefix: never results (as in aggregate)
    if (existsSync(chunkPath(folder.dir, c.id))) {
      if (prefix && c.k >= prefix.chunks) continue; // past the complete prefix of an undecided point: not results yet
      byPoint[c.point].chunks.push(c);
    } else {
      scan.missing.push(c.id);
      if (hasFailedRecord(folder.dir, c.id)) scan.failed.push(c.id);
    }
  }
  if (scan.missing.length && !partial) {
    fail('invalid-argument', `${folder.dir} is incomplete: ${scan.missing.length} chunk(s) missing`
      + `${scan.failed.length ? ` (${scan.failed.length} recorded as failed)` : ''}, e.g. ${scan.missing.slice(0, 3).join(', ')}. `
      + 'Run the job again to finish it, or pass --partial to export what is there.');
  }
  return byPoint;
}

/**
 * The tables of `chunks`, each checked, its schema metadata left out (the export writes its own);
 * a corrupt one is a named error, or with `partial` listed in `scan` and skipped.
 */
export function* chunkTables(folder: JobFolder, chunks: readonly FolderChunk[], partial: boolean, scan: ExportScan): Generator<Table> {
  const { jobHash } = folder.manifest;
  const buffer = new ChunkReadBuffer(); // each table is valid until the next is asked for
  for (const c of chunks) {
    const path = chunkPath(folder.dir, c.id);
    const { table, problem } = readChunkFile(path, { jobHash, chunk: c.id, point: c.point, first: c.first, count: c.count }, buffer);
    if (!table) {
      const why = problem ?? 'unreadable';
      if (!partial) fail('corrupt-data', `corrupt chunk file: ${path} ${why}. Run the job again to redo it, or pass --partial to leave it out.`);
      scan.corrupt.push({ id: c.id, path, problem: why });
      continue;
    }
    const schema = new Schema(table.schema.fields);
    yield new Table(schema, table.batches.map((b) => new RecordBatch(schema, b.data)));
  }
}

/**
 * The key-value metadata of an export: the job, its hash, the engine version that started the
 * folder, the exporter's version, and whether it was exported with --partial (chunks may be left out).
 */
export function exportMetadata(folder: JobFolder, exporterVersion: string, partial: boolean): Map<string, string> {
  const { job, jobHash, engineVersion } = folder.manifest;
  return new Map([
    ['dtmc.job', JSON.stringify(job)], ['dtmc.job_hash', jobHash], ['dtmc.engine_version', engineVersion], ['dtmc.exported_by', exporterVersion],
    ['dtmc.partial', String(partial)],
  ]);
}
