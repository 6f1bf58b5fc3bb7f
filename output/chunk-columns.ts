/**
 * The columns of a chunk file, declared once: each column's name, Arrow type, unit, meaning and
 * domain, how it is built from a chunk's rows (ChunkRows), how it reads back as plain arrays,
 * and the rule a reader checks its values against. Derived from it: the writer
 * (output/chunk-file.ts `chunkTable`), the reader's schema and domain checks
 * (output/chunk-domain.ts), the table in docs/chunk-columns.md (`formatChunkColumnsMarkdown`,
 * test/docs/chunk-columns.test.ts keeps them equal), and the per-device values the solvers fill
 * (`deviceValues`: jobs/solve-chunk.ts, jobs/fused-rows.ts). A row export (Parquet, CSV) takes
 * each column's `values`.
 *
 * One row per realisation; per-device columns are fixed-size lists of M (row-major [n * M] in
 * ChunkRows). Every row also carries what its job and point share (RowContext: the job's name,
 * hash, seed and common-random-numbers flag, and every parameter of engine/settings.ts), so that
 * rows of different jobs concatenate without null columns. One naming convention for every
 * column: snake_case with the unit in the name; a parameter's column is its settings name in
 * snake_case (`parameterColumnName`: sMaxKbit -> s_max_kbit, fEsMaxGHz -> f_es_max_ghz, M -> m).
 *
 * `CHUNK_LAYOUT` numbers this set of columns; a chunk file records it (dtmc.chunk_layout), and a
 * file of another layout is not a complete chunk of this engine: `dtmc run` redoes it.
 */
import {
  Bool, Field, FixedSizeList, Float64, Int32, Int64, List, makeData, Uint32, Uint8, Utf8, type Data, type DataType, type Table, type Vector,
} from 'apache-arrow';
import { AO_STATUSES, isSolved } from '../engine/ao/solve-ao.js';
import { DEFAULT_SETTINGS, PARAMETERS, parameterTable, type Settings } from '../engine/settings.js';
import { parameterColumnName, type RowContext } from './row-context.js';

/**
 * The layout of the columns below. 1: the swept parameters after `point`, the rest only in the
 * metadata (files without dtmc.chunk_layout); 2: every parameter and the job's identity as columns.
 */
export const CHUNK_LAYOUT = 2;

/** AO outcomes, the values of `status`. */
const STATUS_SET = new Set<string>(AO_STATUSES);

/** Where a per-device column's values come from: a field of the final point, or of its exact-rate evaluation. */
type DeviceSource = { point: 'alpha' | 'bandwidth' | 'powerW' | 'fUeGHz' | 'fEsGHz' } | { exact: 'latencyMs' | 'energyMj' | 'rateMbps' };

/** The float64 per-device columns, in file order. */
const DEVICE = [
  { name: 'alpha', source: { point: 'alpha' }, unit: '', doc: 'alpha_m: portion of the task computed locally (no effect where cached)', fraction: true },
  { name: 'bandwidth', source: { point: 'bandwidth' }, unit: '', doc: 'b_m: bandwidth share of B', fraction: false },
  { name: 'power_w', source: { point: 'powerW' }, unit: 'W', doc: 'p_m: transmit power', fraction: false },
  { name: 'f_ue_ghz', source: { point: 'fUeGHz' }, unit: 'GHz', doc: 'f_ue_m: the UE\'s CPU rate (the digital twin\'s estimate)', fraction: false },
  { name: 'f_es_ghz', source: { point: 'fEsGHz' }, unit: 'GHz', doc: 'f_es_m: the edge server\'s CPU rate given to the UE (estimate)', fraction: false },
  { name: 'latency_ms', source: { exact: 'latencyMs' }, unit: 'ms', doc: 'the UE\'s latency, with the exact rate', fraction: false },
  { name: 'energy_mj', source: { exact: 'energyMj' }, unit: 'mJ', doc: 'the UE\'s energy, with the exact rate', fraction: false },
  { name: 'rate_mbps', source: { exact: 'rateMbps' }, unit: 'Mbit/s', doc: 'the UE\'s uplink rate, exact', fraction: false },
] as const satisfies readonly { name: string; source: DeviceSource; unit: string; doc: string; fraction: boolean }[];

/** Per-device float64 columns, in order (cached, a uint8 list, apart). */
export const DEVICE_COLUMNS = DEVICE.map((d) => d.name);
export type DeviceColumn = (typeof DEVICE)[number]['name'];

/** The rows of one chunk, column by column (n rows, M devices). */
export interface ChunkRows {
  n: number;
  M: number;
  point: number;
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

/**
 * A per-device column's values from a final point and its exact-rate evaluation, as they are
 * (no copy): [M] for one realisation, or [n * M] for a batch's columns.
 */
export function deviceValues(
  name: DeviceColumn,
  point: Record<'alpha' | 'bandwidth' | 'powerW' | 'fUeGHz' | 'fEsGHz', Float64Array>,
  exact: Record<'latencyMs' | 'energyMj' | 'rateMbps', Float64Array>,
): Float64Array {
  const { source } = DEVICE.find((d) => d.name === name)!;
  return 'point' in source ? point[source.point] : exact[source.exact];
}

/** What a domain rule sees of a chunk table, its columns already checked present, typed and sized. */
export interface ChunkCheck {
  n: number;
  M: number;
  /** The chunk's sweep point (unchecked when absent). */
  point?: number;
  /** What every row shares, from the chunk's metadata. */
  context: RowContext;
  col(name: string): Vector;
  /** A per-device column's values, all batches together [n * M]. */
  flat(name: string): Float64Array | Uint8Array;
}

/** A column's values read back as plain arrays: a number, string or boolean per row, a number[] per row for lists. */
export type PlainColumn = number[] | string[] | boolean[] | number[][];


export interface ChunkColumn {
  name: string;
  /** The Arrow type as the docs name it. */
  arrow: string;
  /** '' for none. */
  unit: string;
  doc: string;
  /** The values a reader accepts, in words (the rules below check them). */
  domain: string;
  /** A fixed-size list of M (one value per device). */
  perDevice: boolean;
  /** The Arrow type for M devices. */
  type(M: number): DataType;
  /** The column's Arrow data for a chunk's rows. */
  data(rows: ChunkRows, context: RowContext): Data;
  /** The column of a chunk table as plain arrays (row exports). */
  values(table: Table): PlainColumn;
  /** Row r's problem: every column's row rule runs on a row before the next row. */
  rowRule?(r: number, c: ChunkCheck): string | null;
  /** The column's problem, checked after the row rules. */
  columnRule?(c: ChunkCheck): string | null;
}

type Doc = Pick<ChunkColumn, 'name' | 'unit' | 'doc' | 'domain'> & Pick<Partial<ChunkColumn>, 'rowRule' | 'columnRule'>;

const item = <T extends DataType>(type: T): Field<T> => new Field('item', type, false);
const plain = <T extends DataType>(type: T, length: number, data: ArrayLike<number>): Data<T> => makeData({ type, length, data } as never) as Data<T>;
const perRow = <T>(table: Table, name: string, read: (x: unknown) => T): T[] => {
  const v = table.getChild(name)!;
  return Array.from({ length: table.numRows }, (_, r) => read(v.get(r)));
};
const listValues = (x: unknown): number[] => Array.from((x as Vector).toArray() as ArrayLike<number>);

/** A utf8 column of strings with few distinct values (statuses, a swept text), each encoded once. */
function utf8Data(values: readonly string[]): Data<Utf8> {
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

/** An int32, uint32 or float64 column, one value per row. */
function numberColumn(doc: Doc, arrow: 'int32' | 'uint32' | 'float64', get: (rows: ChunkRows, context: RowContext) => ArrayLike<number>): ChunkColumn {
  const type = (): Int32 | Uint32 | Float64 => (arrow === 'int32' ? new Int32() : arrow === 'uint32' ? new Uint32() : new Float64());
  return {
    ...doc, arrow, perDevice: false, type,
    data: (rows, context) => plain(type(), rows.n, get(rows, context)),
    values: (table) => perRow(table, doc.name, (x) => x as number),
  };
}

function utf8Column(doc: Doc, get: (rows: ChunkRows, context: RowContext) => readonly string[]): ChunkColumn {
  return {
    ...doc, arrow: 'utf8', perDevice: false, type: () => new Utf8(),
    data: (rows, context) => utf8Data(get(rows, context)),
    values: (table) => perRow(table, doc.name, (x) => x as string),
  };
}

/** A fixed-size list of M per row: uint8 or float64 values, [n * M] row-major. */
function deviceColumn(doc: Doc, arrow: 'uint8' | 'float64', get: (rows: ChunkRows) => ArrayLike<number>): ChunkColumn {
  const value = (): Uint8 | Float64 => (arrow === 'uint8' ? new Uint8() : new Float64());
  const type = (M: number): FixedSizeList => new FixedSizeList(M, item(value()));
  return {
    ...doc, arrow: `list<${arrow}>[M]`, perDevice: true, type,
    data: (rows) => makeData({ type: type(rows.M), length: rows.n, child: plain(value(), rows.n * rows.M, get(rows)) }),
    values: (table) => perRow(table, doc.name, listValues),
  };
}

/** A list of float64 of any length per row. */
function listColumn(doc: Doc, get: (rows: ChunkRows) => { offsets: Int32Array; values: Float64Array }): ChunkColumn {
  const type = (): List => new List(item(new Float64()));
  return {
    ...doc, arrow: 'list<float64>', perDevice: false, type,
    data: (rows) => {
      const { offsets, values } = get(rows);
      return makeData({ type: type(), length: rows.n, valueOffsets: offsets, child: plain(new Float64(), values.length, values) });
    },
    values: (table) => perRow(table, doc.name, listValues),
  };
}

const fraction = (x: number): boolean => Number.isNaN(x) || (x >= 0 && x <= 1);
const nonNegative = (x: number): boolean => Number.isNaN(x) || x >= 0;
const num = (c: ChunkCheck, name: string, r: number): number => c.col(name).get(r) as number;

/** objective_ms and objective_exact_ms: finite and >= 0 on solved rows, else NaN or >= 0. */
const objectiveRule = (name: string) => (r: number, c: ChunkCheck): string | null => {
  const st = c.col('status').get(r) as string;
  const x = num(c, name, r);
  return (isSolved(st) ? !(Number.isFinite(x) && x >= 0) : !nonNegative(x)) ? `row ${r} (${st}) has ${name} ${x}` : null;
};

/** A per-device float64 column: every value NaN or >= 0 (alpha: NaN or in [0, 1]). */
const deviceRule = (name: string, isFraction: boolean) => (c: ChunkCheck): string | null => {
  const values = c.flat(name);
  const ok = isFraction ? fraction : nonNegative;
  for (let i = 0; i < values.length; i++) {
    if (!ok(values[i])) return `row ${Math.floor(i / c.M)} has ${name}[${i % c.M}] = ${values[i]}${isFraction ? ', outside [0, 1]' : ''}`;
  }
  return null;
};

/** trace_ms: per batch, offsets from 0, non-decreasing, ending inside the values; values NaN or >= 0. */
function traceRule(c: ChunkCheck): string | null {
  let row = 0;
  for (const d of c.col('trace_ms').data) {
    const offsets = d.valueOffsets as Int32Array | undefined;
    const values = d.children[0]?.values as Float64Array | undefined;
    if (!offsets || !values || offsets.length < d.offset + d.length + 1) return 'column trace_ms has no offsets or values';
    for (let r = d.offset; r < d.offset + d.length; r++, row++) {
      if (!(offsets[r] >= 0 && offsets[r + 1] >= offsets[r] && offsets[r + 1] <= values.length)) return `row ${row} has trace_ms offsets ${offsets[r]} .. ${offsets[r + 1]} outside its ${values.length} values`;
      for (let i = offsets[r]; i < offsets[r + 1]; i++) if (!nonNegative(values[i])) return `row ${row} has trace_ms[${i - offsets[r]}] = ${values[i]}`;
    }
  }
  return row === c.n ? null : `column trace_ms has ${row} rows, expected ${c.n}`;
}

/** The columns of a chunk's results, in file order (the context columns follow them). */
const RESULT_COLUMNS: readonly ChunkColumn[] = [
  numberColumn({
    name: 'point', unit: '', doc: 'the sweep point (its index in the job)', domain: 'the chunk\'s point',
    rowRule: (r, c) => (c.point !== undefined && num(c, 'point', r) !== c.point ? `row ${r} holds point ${num(c, 'point', r)}, expected ${c.point}` : null),
  }, 'int32', (rows) => new Int32Array(rows.n).fill(rows.point)),
  numberColumn({
    name: 'realisation', unit: '', doc: 'the realisation index (which random draw)', domain: 'the chunk\'s first .. first + count - 1, in order',
  }, 'uint32', (rows) => rows.realisation),
  utf8Column({
    name: 'status', unit: '', doc: 'the AO\'s outcome', domain: AO_STATUSES.join(', '),
    rowRule: (r, c) => {
      const st = c.col('status').get(r) as string | null;
      return st === null || !STATUS_SET.has(st) ? `row ${r} has status ${JSON.stringify(st)}, not one of ${AO_STATUSES.join(', ')}` : null;
    },
  }, (rows) => rows.status),
  numberColumn({
    name: 'iterations', unit: '', doc: 'AO iterations', domain: '>= 0',
    rowRule: (r, c) => (num(c, 'iterations', r) >= 0 ? null : `row ${r} has ${num(c, 'iterations', r)} iterations`),
  }, 'int32', (rows) => rows.iterations),
  numberColumn({
    name: 'objective_ms', unit: 'ms', doc: 'J with the V = 1 rate (what the AO minimises)', domain: 'finite and >= 0 when converged or max-iterations, else NaN or >= 0',
    rowRule: objectiveRule('objective_ms'),
  }, 'float64', (rows) => rows.objectiveMs),
  numberColumn({
    name: 'objective_exact_ms', unit: 'ms', doc: 'J with the exact rate', domain: 'as objective_ms',
    rowRule: objectiveRule('objective_exact_ms'),
  }, 'float64', (rows) => rows.objectiveExactMs),
  numberColumn({
    name: 'max_violation', unit: '', doc: 'largest relative violation of (6) with the exact rate', domain: 'NaN or >= 0',
    rowRule: (r, c) => (nonNegative(num(c, 'max_violation', r)) ? null : `row ${r} has max_violation ${num(c, 'max_violation', r)}`),
  }, 'float64', (rows) => rows.maxViolation),
  numberColumn({
    name: 'offload_portion', unit: '', doc: 'mean of 1 - alpha over the uncached devices (NaN when all are cached)', domain: 'NaN or in [0, 1]',
    rowRule: (r, c) => (fraction(num(c, 'offload_portion', r)) ? null : `row ${r} has offload_portion ${num(c, 'offload_portion', r)}, outside [0, 1]`),
  }, 'float64', (rows) => rows.offloadPortion),
  numberColumn({
    name: 'cached_count', unit: '', doc: 'cached tasks', domain: 'the number of 1s in cached (checked with cached)',
  }, 'int32', (rows) => rows.cachedCount),
  deviceColumn({
    name: 'cached', unit: '', doc: 's_m: 1 when the task is cached at the edge server', domain: '0 or 1 each',
    rowRule: (r, c) => {
      const flags = c.flat('cached');
      let sum = 0;
      for (let m = 0; m < c.M; m++) {
        const f = flags[r * c.M + m];
        if (f !== 0 && f !== 1) return `row ${r} has cached[${m}] = ${f}, not 0 or 1`;
        sum += f;
      }
      return num(c, 'cached_count', r) === sum ? null : `row ${r} has cached_count ${num(c, 'cached_count', r)} but ${sum} cached devices`;
    },
  }, 'uint8', (rows) => rows.cached),
  ...DEVICE.map((d) => deviceColumn({
    name: d.name, unit: d.unit, doc: d.doc, domain: d.fraction ? 'NaN or in [0, 1]' : 'NaN or >= 0', columnRule: deviceRule(d.name, d.fraction),
  }, 'float64', (rows) => rows.device[d.name])),
  listColumn({
    name: 'trace_ms', unit: 'ms', doc: 'J(0), J(1), ...: J after each AO iteration', domain: 'NaN or >= 0', columnRule: traceRule,
  }, (rows) => ({ offsets: rows.traceOffsets, values: rows.traceValues })),
];

// ---------------------------------------------------------------------------------------------
// The context columns: the same value on every row of a chunk


type ConstantKind = 'utf8' | 'int32' | 'int64' | 'float64' | 'bool';
type Constant = string | number | boolean;

/** Packed validity-style bits: n flags all `on` (the padding bits of the last byte clear). */
function constantBits(n: number, on: boolean): Uint8Array {
  const bits = new Uint8Array(Math.ceil(n / 8)).fill(on ? 0xff : 0);
  if (on && n % 8) bits[bits.length - 1] = (1 << (n % 8)) - 1;
  return bits;
}

/**
 * A column holding `value(context)` on every row; a reader checks that every row holds the value
 * the chunk's metadata gives (the columns and dtmc.job / dtmc.settings cannot disagree).
 */
function constantColumn(doc: Omit<Doc, 'domain' | 'rowRule' | 'columnRule'> & { domain: string }, kind: ConstantKind, value: (c: RowContext) => Constant): ChunkColumn {
  const types = { utf8: () => new Utf8(), int32: () => new Int32(), int64: () => new Int64(), float64: () => new Float64(), bool: () => new Bool() };
  const type = types[kind];
  const read = (x: unknown): Constant => (kind === 'int64' ? Number(x as bigint) : (x as Constant));
  const data = (n: number, v: Constant): Data => {
    switch (kind) {
      case 'utf8': return utf8Data(new Array<string>(n).fill(v as string));
      case 'int32': return plain(new Int32(), n, new Int32Array(n).fill(v as number));
      case 'float64': return plain(new Float64(), n, new Float64Array(n).fill(v as number));
      case 'int64': return makeData({ type: new Int64(), length: n, data: new BigInt64Array(n).fill(BigInt(v as number)) });
      case 'bool': return makeData({ type: new Bool(), length: n, data: constantBits(n, v as boolean) });
    }
  };
  return {
    ...doc, arrow: kind, perDevice: false, type,
    data: (rows, context) => data(rows.n, value(context)),
    values: (table) => perRow(table, doc.name, read) as PlainColumn,
    columnRule: (c) => {
      const want = value(c.context);
      const v = c.col(doc.name);
      for (let r = 0; r < c.n; r++) {
        const x = read(v.get(r));
        if (!Object.is(x, want)) return `row ${r} has ${doc.name} ${JSON.stringify(x)}, but the chunk's metadata says ${JSON.stringify(want)}`;
      }
      return null;
    },
  };
}

/** The job's identity: what tells rows of different jobs apart, and the draws a realisation got. */
const JOB_COLUMNS: readonly ChunkColumn[] = [
  constantColumn({ name: 'job_name', unit: '', doc: 'the job\'s name', domain: 'the name in dtmc.job' }, 'utf8', (c) => c.jobName),
  constantColumn({ name: 'job_hash', unit: '', doc: 'the job\'s identity (sha256 of what shapes its results)', domain: 'dtmc.job_hash' }, 'utf8', (c) => c.jobHash),
  constantColumn({ name: 'seed', unit: '', doc: 'the job\'s seed: a realisation\'s draws come from (seed, point, realisation)', domain: 'the seed in dtmc.job' }, 'int64', (c) => c.seed),
  constantColumn({
    name: 'common_random_numbers', unit: '', doc: 'true: realisation r draws the same at every point (the point is left out of the key)', domain: 'commonRandomNumbers in dtmc.job',
  }, 'bool', (c) => c.commonRandomNumbers),
];

/** One column per parameter of engine/settings.ts (the parameter table), in its order. */
const PARAMETER_COLUMNS: readonly ChunkColumn[] = parameterTable().map((q) => {
  const name = q.name as keyof Settings;
  const kind: ConstantKind = typeof DEFAULT_SETTINGS[name] === 'string' ? 'utf8' : PARAMETERS.find((x) => x.name === name)?.integer ? 'int32' : 'float64';
  return constantColumn({
    name: parameterColumnName(name), unit: q.unit === '-' ? '' : q.unit, doc: `${q.symbol === '-' ? '' : `${q.symbol}: `}${q.doc} (parameter \`${name}\`)`, domain: `${name} in dtmc.settings`,
  }, kind, (c) => c.settings[name]);
});

/** The columns of every chunk, in file order: the results, then the job's identity, then every parameter. */
export const CHUNK_COLUMNS: readonly ChunkColumn[] = [...RESULT_COLUMNS, ...JOB_COLUMNS, ...PARAMETER_COLUMNS];

/** The names of the context columns (the same value on every row of a chunk). */
export const CONTEXT_COLUMN_NAMES: readonly string[] = [...JOB_COLUMNS, ...PARAMETER_COLUMNS].map((c) => c.name);

/** The docs' table of the columns (docs/chunk-columns.md), one markdown line per column. */
export function formatChunkColumnsMarkdown(): string[] {
  const row = (cells: string[]): string => `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
  const line = (c: ChunkColumn): string => row([`\`${c.name}\``, `\`${c.arrow}\``, c.unit || '-', c.doc, c.domain]);
  return [
    row(['column', 'Arrow type', 'unit', 'meaning', 'domain (checked when read)']),
    row(['---', '---', '---', '---', '---']),
    ...CHUNK_COLUMNS.map(line),
  ];
}
