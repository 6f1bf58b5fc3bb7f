/**
 * `dtmc export DIR --format parquet`: a job's rows as a Parquet dataset that DuckDB, R (arrow),
 * pyarrow and polars read natively and offline, written by parquet-wasm (WebAssembly, no native
 * binary; docs/export-engine-notes.md has the measured choice against DuckDB's COPY).
 *
 *   OUT/p<point>.parquet   one file per sweep point: its complete chunks' rows in order, zstd,
 *                          the chunk columns as they are (output/chunk-columns.ts; every parameter
 *                          is a column, so files of different jobs concatenate by name)
 *
 * One file per point, not one per chunk: the notes measured 1,000 files of 1,000 rows at 22%
 * more bytes and 3.4 times the query time of 10 files of 10^5 rows. A flat folder, not hive
 * `point=K/` folders: DuckDB and arrow would take `point` from the folder name (as BIGINT, or
 * clashing with the column in the file), where here every file is complete on its own.
 *
 * Key-value metadata of each file: dtmc.job, dtmc.job_hash, dtmc.engine_version (of the folder),
 * dtmc.exported_by, dtmc.partial (true: exported with --partial, so missing or corrupt chunks may be
 * left out; the command lists them) and dtmc.point.
 *
 * Memory: a point's chunks stream through parquet-wasm one at a time (row groups of at most
 * ROW_GROUP_ROWS rows are encoded as they fill) and the bytes stream to disk. Atomic twice over:
 * each file is written by output/atomic-file.ts into a staging folder beside OUT, and the staging
 * folder replaces OUT by renames once every point is written, so a reader never sees a mix.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { tableToIPC, type Table } from 'apache-arrow';
import { fail } from '../engine/errors.js';
import { makeFolder, writeFileAtomically } from './atomic-file.js';
import { fsFailure } from './fs-errors.js';
import type { JobFolder } from './job-folder.js';
import { chunkTables, exportMetadata, planExport, type ExportOptions, type ExportScan, type RowExport } from './export-rows.js';

/** parquet-wasm, loaded when an export starts (its 5 MB of WebAssembly compile on import: no other command pays for it). */
type ParquetWasm = typeof import('parquet-wasm');
type WasmBatch = import('parquet-wasm').RecordBatch;

/**
 * Rows per row group: bounds what parquet-wasm holds encoded before it writes (a row takes about
 * 0.9 kB in the file at M = 15, measured on jobs/smoke.json: about 60 MB a row group).
 */
const ROW_GROUP_ROWS = 65_536;

/** A point's file in an export folder. */
export const pointFileName = (point: number): string => `p${String(point).padStart(5, '0')}.parquet`;
const POINT_FILE = /^p\d{5,}\.parquet$/;

/** Writes the folder's rows as OUT/p<point>.parquet (see the file's doc); returns what it wrote. */
export async function exportParquet(folder: JobFolder, out: string, o: ExportOptions): Promise<RowExport> {
  const scan: ExportScan = { missing: [], failed: [], corrupt: [] };
  const plan = planExport(folder, o.partial, scan);
  checkReplaceable(out);
  const parquet = await import('parquet-wasm');
  makeFolder(dirname(out), 'the export\'s parent folder');
  const staging = join(dirname(out), `${basename(out)}.tmp-${randomBytes(8).toString('hex')}`);
  makeFolder(staging, 'the export\'s staging folder');
  const files: string[] = [];
  let rows = 0;
  try {
    for (const { point, chunks } of plan) {
      const tables = chunkTables(folder, chunks, o.partial, scan);
      const first = tables.next();
      if (first.done) continue; // no complete chunk: no file
      const metadata = exportMetadata(folder, o.exporterVersion, o.partial);
      metadata.set('dtmc.point', String(point));
      let counted = 0;
      const counting = function* (): Generator<Table> {
        for (let t: IteratorResult<Table> = first; !t.done; t = tables.next()) {
          counted += t.value.numRows;
          yield t.value;
        }
      };
      const name = pointFileName(point);
      await writeParquetFile(parquet, join(staging, name), counting(), metadata);
      rows += counted;
      files.push(join(out, name));
    }
    replaceFolder(staging, out);
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
  return { out, files, rows, scan };
}

/**
 * One Parquet file from `tables` (one point's chunks), written atomically as it is encoded. An
 * error of the tables (a corrupt chunk) is thrown as it is, and nothing is left under `path`.
 */
async function writeParquetFile(parquet: ParquetWasm, path: string, tables: Iterator<Table>, metadata: Map<string, string>): Promise<void> {
  let failure: unknown = null;
  const batches = new ReadableStream<WasmBatch>({
    pull(c) {
      try {
        const next = tables.next();
        if (next.done) return c.close();
        const wasm = parquet.Table.fromIPCStream(tableToIPC(next.value, 'stream'));
        for (const b of wasm.recordBatches()) c.enqueue(b);
        wasm.free();
      } catch (e) {
        failure = e;
        c.error(e);
      }
    },
  });
  const properties = new parquet.WriterPropertiesBuilder()
    .setCompression(parquet.Compression.ZSTD)
    .setMaxRowGroupSize(ROW_GROUP_ROWS)
    .setKeyValueMetadata(metadata)
    .build();
  try {
    const bytes = (await parquet.transformParquetStream(batches, properties)) as ReadableStream<Uint8Array>;
    await writeFileAtomically(path, bytes);
  } catch (e) {
    throw failure ?? e;
  }
}

/** OUT may be replaced: absent, or a folder holding only an earlier export's point files. */
function checkReplaceable(out: string): void {
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) fail('invalid-argument', `${out} is a file; the Parquet export is a folder: choose another --out`);
  const foreign = readdirSync(out).filter((f) => !POINT_FILE.test(f));
  if (foreign.length) {
    fail('invalid-argument', `${out} holds ${foreign.length} file(s) that are not an export's (e.g. ${foreign[0]}); nothing is replaced: choose another --out`);
  }
}

/** The staging folder takes OUT's place (an earlier export is renamed away first, then removed). */
function replaceFolder(staging: string, out: string): void {
  const old = existsSync(out) ? `${out}.old-${randomBytes(8).toString('hex')}` : null;
  try {
    if (old) renameSync(out, old);
    renameSync(staging, out);
  } catch (e) {
    throw fsFailure(e, `moving the export into ${out}`, 'the earlier export, if any, is as it was or beside it as .old-*');
  }
  if (old) rmSync(old, { recursive: true, force: true });
}
