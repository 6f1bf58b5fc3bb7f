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
 * ChunkRows). The swept parameters' columns follow `point` (`chunkColumns`).
 */
import {
  Field, FixedSizeList, Float64, Int32, List, makeData, Uint32, Uint8, Utf8, type Data, type DataType, type Table, type Vector,
} from 'apache-arrow';
import { AO_STATUSES, isSolved } from '../engine/ao/solve-ao.js';

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
  col(name: string): Vector;
  /** A per-device column's values, all batches together [n * M]. */
  flat(name: string): Float64Array | Uint8Array;
}

/** A column's values read back as plain arrays: a number or string per row, a number[] per row for lists. */
export type PlainColumn = number[] | string[] | number[][];

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
  data(rows: ChunkRows): Data;
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
function numberColumn(doc: Doc, arrow: 'int32' | 'uint32' | 'float64', get: (rows: ChunkRows) => ArrayLike<number>): ChunkColumn {
  const type = (): Int32 | Uint32 | Float64 => (arrow === 'int32' ? new Int32() : arrow === 'uint32' ? new Uint32() : new Float64());
  return {
    ...doc, arrow, perDevice: false, type,
    data: (rows) => plain(type(), rows.n, get(rows)),
    values: (table) => perRow(table, doc.name, (x) => x as number),
  };
}

function utf8Column(doc: Doc, get: (rows: ChunkRows) => readonly string[]): ChunkColumn {
  return {
    ...doc, arrow: 'utf8', perDevice: false, type: () => new Utf8(),
    data: (rows) => utf8Data(get(rows)),
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

/** The columns of every chunk, in file order; the swept parameters' columns go after `point` (chunkColumns). */
export const CHUNK_COLUMNS: readonly ChunkColumn[] = [
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

/** The column of a swept parameter: its value at the point on every row. */
function sweepColumn(name: string, value: number | string): ChunkColumn {
  const doc = { name, unit: '', doc: 'a swept parameter', domain: '' };
  return typeof value === 'number'
    ? numberColumn(doc, 'float64', (rows) => new Float64Array(rows.n).fill(value))
    : utf8Column(doc, (rows) => new Array<string>(rows.n).fill(value));
}

/** The columns of a chunk whose point has these swept values, in file order. */
export function chunkColumns(sweepValues: Record<string, number | string>): ChunkColumn[] {
  const [point, ...rest] = CHUNK_COLUMNS;
  return [point, ...Object.entries(sweepValues).map(([name, value]) => sweepColumn(name, value)), ...rest];
}

/** The docs' table of the columns (docs/chunk-columns.md), one markdown line per row. */
export function formatChunkColumnsMarkdown(): string[] {
  const row = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  const [point, ...rest] = CHUNK_COLUMNS;
  const line = (c: ChunkColumn): string => row([`\`${c.name}\``, `\`${c.arrow}\``, c.unit || '-', c.doc, c.domain]);
  return [
    row(['column', 'Arrow type', 'unit', 'meaning', 'domain (checked when read)']),
    row(['---', '---', '---', '---', '---']),
    line(point),
    row(['one per swept parameter, named as it', '`float64` or `utf8`', 'the parameter\'s', 'its value at the sweep point, on every row', 'not checked']),
    ...rest.map(line),
  ];
}
