/**
 * One chunk of a job as an Arrow IPC file (the file format, with its footer): one row per
 * realisation, standard Arrow types only, so pyarrow, polars and DuckDB read it as it is.
 *
 * Columns: output/chunk-columns.ts declares them (name, Arrow type, unit, meaning, domain), and
 * docs/chunk-columns.md shows them as a table. The job's identity and the point's parameters are
 * columns too, built from the metadata (output/row-context.ts).
 *
 * Schema metadata: dtmc.job (the job, JSON), dtmc.job_hash, dtmc.engine_version, dtmc.backend,
 * dtmc.chunk (the chunk id), dtmc.settings (the point's full parameter set, JSON) and
 * dtmc.chunk_layout (`CHUNK_LAYOUT`: a file of another layout is refused as not this engine's
 * chunk, and `dtmc run` redoes it).
 *
 * A file is written under a random temporary name, every byte checked, flushed to disk and renamed
 * (output/atomic-file.ts): a chunk file that exists is complete, with its checksum file beside it
 * (output/chunk-checksum.ts, written first). `readChunkFile` re-checks it anyway: checksum, layout
 * (output/arrow-layout.ts), then the rows' identity and domain (output/chunk-domain.ts); a copied,
 * truncated or flipped file fails.
 */
import { writeFileAtomically, type WriteCalls } from './atomic-file.js';
import { Field, makeData, RecordBatch, RecordBatchFileReader, RecordBatchFileWriter, Schema, Struct, Table } from 'apache-arrow';
import { CHUNK_COLUMNS, CHUNK_LAYOUT, type ChunkRows } from './chunk-columns.js';
import { rowContext } from './row-context.js';
import { checkArrowFileLayout } from './arrow-layout.js';
import { readCheckedBytes, type ChunkReadBuffer } from './chunk-checksum.js';
import { chunkDomainProblem } from './chunk-domain.js';

export interface ChunkMeta {
  job: string;
  jobHash: string;
  engineVersion: string;
  backend: string;
  chunk: string;
  settings: string;
}

const META_KEYS: Record<keyof ChunkMeta, string> = {
  job: 'dtmc.job', jobHash: 'dtmc.job_hash', engineVersion: 'dtmc.engine_version', backend: 'dtmc.backend', chunk: 'dtmc.chunk', settings: 'dtmc.settings',
};
const LAYOUT_KEY = 'dtmc.chunk_layout';

/** The Arrow table of one chunk: its columns as output/chunk-columns.ts declares them, and its metadata. */
export function chunkTable(rows: ChunkRows, meta: ChunkMeta): Table {
  const context = rowContext(meta.job, meta.jobHash, meta.settings);
  if (typeof context === 'string') throw new Error(`chunkTable: the chunk's metadata ${context}`);
  const columns = CHUNK_COLUMNS.map((c) => c.data(rows, context));
  const fields = CHUNK_COLUMNS.map((c, i) => new Field(c.name, columns[i].type, false));
  const metadata = new Map([...Object.entries(META_KEYS).map(([k, key]) => [key, meta[k as keyof ChunkMeta]] as const), [LAYOUT_KEY, String(CHUNK_LAYOUT)] as const]);
  const schema = new Schema(fields, metadata);
  const data = makeData({ type: new Struct(fields), length: rows.n, children: columns });
  return new Table(schema, [new RecordBatch(schema, data)]);
}

/**
 * Writes `table` to `path` atomically (output/atomic-file.ts: a random temporary beside it, every
 * byte checked, flushed and renamed; a failure is a named error and replaces nothing). The calls
 * run on libuv's threads, so a GPU job's host keeps its main thread for the next batch.
 */
export async function writeTableAtomically(path: string, table: Table, calls?: WriteCalls): Promise<void> {
  await writePiecesAtomically(path, await encodeTable(table), calls);
}

/**
 * The Arrow IPC file of `table` as the pieces the writer makes (views of the columns' buffers,
 * byte for byte what tableToIPC concatenates): no copy of the table is made before the write.
 */
export async function encodeTable(table: Table): Promise<Uint8Array[]> {
  const pieces: Uint8Array[] = [];
  for await (const piece of RecordBatchFileWriter.writeAll(table)) pieces.push(piece);
  return pieces;
}

/** Writes the pieces to `path` as writeTableAtomically does. */
export async function writePiecesAtomically(path: string, pieces: readonly Uint8Array[], calls?: WriteCalls): Promise<void> {
  await writeFileAtomically(path, pieces, calls);
}

/** What the job expects of a chunk file (readChunkFile). */
export interface ChunkExpectation {
  jobHash: string;
  chunk: string;
  /** The sweep point; every row's point column must hold it (unchecked when absent). */
  point?: number;
  first: number;
  count: number;
}

/**
 * Reads a chunk file and checks it against what the job expects: bytes that match its checksum
 * file (checked before apache-arrow parses anything), an Arrow layout inside the file's bounds,
 * the job's hash, the chunk id, exactly realisations first .. first + count - 1, and every value
 * in its domain. `problem` says why a file is not a valid complete chunk (null when it is).
 * With `into` (a pass over many chunks), the file is read into that buffer and the table is valid
 * only until its next read (output/chunk-checksum.ts `ChunkReadBuffer`).
 */
export function readChunkFile(path: string, expect: ChunkExpectation, into?: ChunkReadBuffer): { table: Table | null; problem: string | null } {
  const { bytes, problem: unchecked } = readCheckedBytes(path, into);
  if (!bytes) return { table: null, problem: unchecked };
  let table: Table;
  try {
    table = parseChunkBytes(bytes);
  } catch (e) {
    return { table: null, problem: `unreadable (${(e as Error).message})` };
  }
  const meta = table.schema.metadata;
  const layout = meta.get(LAYOUT_KEY) ?? '1';
  if (layout !== String(CHUNK_LAYOUT)) return { table: null, problem: `is of chunk layout ${layout}, not ${CHUNK_LAYOUT} (written by an older dtmc: every parameter is a column now; dtmc run redoes it)` };
  if (meta.get(META_KEYS.jobHash) !== expect.jobHash) return { table: null, problem: 'written by a different job' };
  if (meta.get(META_KEYS.chunk) !== expect.chunk) return { table: null, problem: `holds chunk ${meta.get(META_KEYS.chunk)}` };
  if (table.numRows !== expect.count) return { table: null, problem: `has ${table.numRows} rows, expected ${expect.count}` };
  const r = table.getChild('realisation');
  if (!r) return { table: null, problem: 'has no realisation column' };
  for (let i = 0; i < expect.count; i++) {
    if (r.get(i) !== expect.first + i) return { table: null, problem: `row ${i} holds realisation ${r.get(i)}, expected ${expect.first + i}` };
  }
  const outside = chunkDomainProblem(table, expect.point);
  return outside ? { table: null, problem: outside } : { table, problem: null };
}

/** Record batches one chunk file may hold (dtmc writes one). */
const MAX_CHUNK_BATCHES = 64;

/**
 * The table of an Arrow IPC file, its layout checked first and its batches loaded by index
 * (apache-arrow's `readRecordBatch(i)` throws on a wrong message type where `tableFromIPC` loops:
 * see output/arrow-layout.ts).
 */
export function parseChunkBytes(bytes: Uint8Array): Table {
  const blocks = checkArrowFileLayout(bytes, MAX_CHUNK_BATCHES);
  const reader = RecordBatchFileReader.from(bytes);
  if (!reader.isFile()) throw new Error('not an Arrow file');
  reader.open();
  if (reader.numRecordBatches !== blocks.length || reader.numDictionaries !== 0) throw new Error('footer read differently than checked');
  const batches: RecordBatch[] = [];
  for (let i = 0; i < blocks.length; i++) {
    const batch = reader.readRecordBatch(i);
    if (!batch) throw new Error(`record batch ${i} is missing`);
    batches.push(batch);
  }
  return new Table(reader.schema, batches);
}

/** The metadata of a chunk table. */
export function chunkMeta(table: Table): ChunkMeta {
  const meta = table.schema.metadata;
  return Object.fromEntries(Object.entries(META_KEYS).map(([k, key]) => [k, meta.get(key) ?? ''])) as unknown as ChunkMeta;
}
