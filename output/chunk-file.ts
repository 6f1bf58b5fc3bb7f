/**
 * One chunk of a job as an Arrow IPC file (the file format, with its footer): one row per
 * realisation, standard Arrow types only, so pyarrow, polars and DuckDB read it as it is.
 *
 * Columns (units in the names; per-device columns are fixed-size lists of M):
 *   point int32, <swept parameters> float64 or utf8, realisation uint32, status utf8,
 *   iterations int32, objective_ms, objective_exact_ms, max_violation, offload_portion float64,
 *   cached_count int32, cached list<uint8>[M], alpha, bandwidth, power_w, f_ue_ghz, f_es_ghz,
 *   latency_ms, energy_mj, rate_mbps list<float64>[M], trace_ms list<float64>
 *
 * objective_ms is J with the V = 1 rate (what the AO minimises); objective_exact_ms, latency_ms,
 * energy_mj and rate_mbps use the exact rate (the physics the final check uses). offload_portion
 * is the mean of 1 - alpha over uncached devices (NaN when all are cached).
 *
 * Schema metadata: dtmc.job (the job, JSON), dtmc.job_hash, dtmc.engine_version, dtmc.backend,
 * dtmc.chunk (the chunk id), dtmc.settings (the point's full parameter set, JSON).
 *
 * A file is written under a random temporary name, every byte checked, flushed to disk and renamed
 * (output/atomic-file.ts): a chunk file that exists is complete, with its checksum file beside it
 * (output/chunk-checksum.ts, written first). `readChunkFile` re-checks it anyway: checksum, layout
 * (output/arrow-layout.ts), then the rows' identity and domain (output/chunk-domain.ts); a copied,
 * truncated or flipped file fails.
 */
import { writeFileAtomically, type WriteCalls } from './atomic-file.js';
import {
  Field, FixedSizeList, Float64, Int32, List, makeData, RecordBatch, RecordBatchFileReader, RecordBatchFileWriter, Schema, Struct, Table, Uint32, Uint8, Utf8,
  type Data, type DataType,
} from 'apache-arrow';
import { checkArrowFileLayout } from './arrow-layout.js';
import { readCheckedBytes } from './chunk-checksum.js';
import { chunkDomainProblem } from './chunk-domain.js';

/** Per-device columns, in order, as float64 lists (cached is a uint8 list). */
export const DEVICE_COLUMNS = ['alpha', 'bandwidth', 'power_w', 'f_ue_ghz', 'f_es_ghz', 'latency_ms', 'energy_mj', 'rate_mbps'] as const;
export type DeviceColumn = (typeof DEVICE_COLUMNS)[number];

/** The rows of one chunk, column by column (n rows, M devices). */
export interface ChunkRows {
  n: number;
  M: number;
  point: number;
  /** The swept parameters' values at this point (the same on every row). */
  sweepValues: Record<string, number | string>;
  realisation: Uint32Array;
  status: string[];
  iterations: Int32Array;
  objectiveMs: Float64Array;
  objectiveExactMs: Float64Array;
  maxViolation: Float64Array;
  offloadPortion: Float64Array;
  cachedCount: Int32Array;
  /** [n * M], row-major. */
  cached: Uint8Array;
  device: Record<DeviceColumn, Float64Array>;
  /** Row r's trace is traceValues[traceOffsets[r] .. traceOffsets[r + 1]). */
  traceOffsets: Int32Array;
  traceValues: Float64Array;
}

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

const item = <T extends DataType>(type: T): Field<T> => new Field('item', type, false);
const plain = <T extends DataType>(type: T, length: number, data: ArrayLike<number>): Data<T> => makeData({ type, length, data } as never) as Data<T>;
const fixedList = <T extends DataType>(type: T, n: number, M: number, values: ArrayLike<number>): Data =>
  makeData({ type: new FixedSizeList(M, item(type)), length: n, child: plain(type, n * M, values) });

/** A utf8 column of strings with few distinct values (statuses, a swept text), each encoded once. */
function utf8Column(values: readonly string[]): Data<Utf8> {
  const encoder = new TextEncoder();
  const encoded = new Map<string, Uint8Array>();
  const offsets = new Int32Array(values.length + 1);
  for (let i = 0; i < values.length; i++) {
    let bytes = encoded.get(values[i]);
    if (!bytes) encoded.set(values[i], (bytes = encoder.encode(values[i])));
    offsets[i + 1] = offsets[i] + bytes.length;
  }
  const data = new Uint8Array(offsets[values.length]);
  for (let i = 0; i < values.length; i++) data.set(encoded.get(values[i])!, offsets[i]);
  return makeData({ type: new Utf8(), length: values.length, valueOffsets: offsets, data });
}

/** The Arrow table of one chunk. */
export function chunkTable(rows: ChunkRows, meta: ChunkMeta): Table {
  const { n, M } = rows;
  const columns: [Field, Data][] = [[new Field('point', new Int32(), false), plain(new Int32(), n, new Int32Array(n).fill(rows.point))]];
  for (const [name, value] of Object.entries(rows.sweepValues)) {
    if (typeof value === 'number') columns.push([new Field(name, new Float64(), false), plain(new Float64(), n, new Float64Array(n).fill(value))]);
    else columns.push([new Field(name, new Utf8(), false), utf8Column(new Array<string>(n).fill(value))]);
  }
  columns.push(
    [new Field('realisation', new Uint32(), false), plain(new Uint32(), n, rows.realisation)],
    [new Field('status', new Utf8(), false), utf8Column(rows.status)],
    [new Field('iterations', new Int32(), false), plain(new Int32(), n, rows.iterations)],
    [new Field('objective_ms', new Float64(), false), plain(new Float64(), n, rows.objectiveMs)],
    [new Field('objective_exact_ms', new Float64(), false), plain(new Float64(), n, rows.objectiveExactMs)],
    [new Field('max_violation', new Float64(), false), plain(new Float64(), n, rows.maxViolation)],
    [new Field('offload_portion', new Float64(), false), plain(new Float64(), n, rows.offloadPortion)],
    [new Field('cached_count', new Int32(), false), plain(new Int32(), n, rows.cachedCount)],
    [new Field('cached', new FixedSizeList(M, item(new Uint8())), false), fixedList(new Uint8(), n, M, rows.cached)],
  );
  for (const name of DEVICE_COLUMNS) {
    columns.push([new Field(name, new FixedSizeList(M, item(new Float64())), false), fixedList(new Float64(), n, M, rows.device[name])]);
  }
  const traceType = new List(item(new Float64()));
  columns.push([new Field('trace_ms', traceType, false), makeData({
    type: traceType, length: n, valueOffsets: rows.traceOffsets, child: plain(new Float64(), rows.traceValues.length, rows.traceValues),
  })]);
  const fields = columns.map(([f]) => f);
  const metadata = new Map(Object.entries(META_KEYS).map(([k, key]) => [key, meta[k as keyof ChunkMeta]]));
  const schema = new Schema(fields, metadata);
  const data = makeData({ type: new Struct(fields), length: n, children: columns.map(([, d]) => d) });
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
 */
export function readChunkFile(path: string, expect: ChunkExpectation): { table: Table | null; problem: string | null } {
  const { bytes, problem: unchecked } = readCheckedBytes(path);
  if (!bytes) return { table: null, problem: unchecked };
  let table: Table;
  try {
    table = parseChunkBytes(bytes);
  } catch (e) {
    return { table: null, problem: `unreadable (${(e as Error).message})` };
  }
  const meta = table.schema.metadata;
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
