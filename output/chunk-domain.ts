/**
 * The domain of a chunk's values: what a chunk file may hold, checked row by row after its
 * checksum and layout. A value outside its domain is corruption (or a bug), never data: a status
 * that is not one of the four, a point or realisation of another chunk, a list of the wrong
 * length, a cached flag other than 0 or 1, a negative time or a fraction above 1.
 *
 * Rules, per row (NaN stands for "no value" where the solver leaves one, e.g. an infeasible row's
 * objective; +Infinity is a legitimate latency or violation of a numerical failure):
 *   point          the chunk's point                 status   one of STATUSES
 *   iterations     >= 0                              cached   0 or 1 each; cached_count = their sum
 *   objective_ms, objective_exact_ms   finite and >= 0 on solved rows, else NaN or >= 0
 *   alpha, offload_portion             NaN or in [0, 1]
 *   every other float (lists too)      NaN or >= 0
 *   list columns   fixed-size lists of M (the chunk's dtmc.settings), every column n * M values
 *   trace_ms       offsets from 0, non-decreasing, inside its values
 */
import { FixedSizeList, type Table, type Vector } from 'apache-arrow';
import { DEVICE_COLUMNS } from './chunk-file.js';
import { isSolved } from '../engine/ao/solve-ao.js';

export const STATUSES = ['converged', 'max-iterations', 'infeasible', 'numerical-failure'] as const;
const STATUS_SET = new Set<string>(STATUSES);

/** Columns every chunk has, with their Arrow types (as apache-arrow prints them; lists checked apart). */
const SCALAR_COLUMNS: Record<string, string> = {
  point: 'Int32', realisation: 'Uint32', status: 'Utf8', iterations: 'Int32', objective_ms: 'Float64', objective_exact_ms: 'Float64',
  max_violation: 'Float64', offload_portion: 'Float64', cached_count: 'Int32', trace_ms: 'List<Float64>',
};

const fraction = (x: number): boolean => Number.isNaN(x) || (x >= 0 && x <= 1);
const nonNegative = (x: number): boolean => Number.isNaN(x) || x >= 0;

/** The first value outside its domain in `table` (a chunk of `point`), or null when all are in. */
export function chunkDomainProblem(table: Table, point: number | undefined): string | null {
  const n = table.numRows;
  const col = (name: string): Vector | null => table.getChild(name);
  for (const [name, type] of Object.entries(SCALAR_COLUMNS)) {
    const c = col(name);
    if (!c) return `has no ${name} column`;
    if (String(c.type) !== type) return `column ${name} is ${String(c.type)}, expected ${type}`;
    if (c.length !== n) return `column ${name} has ${c.length} values for ${n} rows`;
  }
  const M = settingsM(table);
  if (typeof M === 'string') return M;
  const lists: Record<string, Float64Array | Uint8Array> = {};
  for (const name of ['cached', ...DEVICE_COLUMNS]) {
    const c = col(name);
    if (!c) return `has no ${name} column`;
    const want = name === 'cached' ? 'Uint8' : 'Float64';
    if (!(c.type instanceof FixedSizeList) || c.type.listSize !== M || String(c.type.children[0].type) !== want) {
      return `column ${name} is ${String(c.type)}, expected FixedSizeList[${M}]<${want}>`;
    }
    const values = flatValues(c);
    if (!values || values.length !== n * M) return `column ${name} holds ${values?.length ?? 'no'} values, expected ${n} x ${M}`;
    lists[name] = values;
  }

  const [pointCol, status, iterations, objective, exact, violation, offload, cachedCount] =
    ['point', 'status', 'iterations', 'objective_ms', 'objective_exact_ms', 'max_violation', 'offload_portion', 'cached_count'].map((c) => col(c)!);
  const cached = lists.cached;
  for (let r = 0; r < n; r++) {
    const at = `row ${r}`;
    if (point !== undefined && pointCol.get(r) !== point) return `${at} holds point ${pointCol.get(r)}, expected ${point}`;
    const st = status.get(r) as string | null;
    if (st === null || !STATUS_SET.has(st)) return `${at} has status ${JSON.stringify(st)}, not one of ${STATUSES.join(', ')}`;
    const it = iterations.get(r) as number;
    if (!(it >= 0)) return `${at} has ${it} iterations`;
    for (const [name, c] of [['objective_ms', objective], ['objective_exact_ms', exact]] as const) {
      const x = c.get(r) as number;
      if (isSolved(st) ? !(Number.isFinite(x) && x >= 0) : !nonNegative(x)) return `${at} (${st}) has ${name} ${x}`;
    }
    if (!nonNegative(violation.get(r) as number)) return `${at} has max_violation ${violation.get(r)}`;
    if (!fraction(offload.get(r) as number)) return `${at} has offload_portion ${offload.get(r)}, outside [0, 1]`;
    let sum = 0;
    for (let m = 0; m < M; m++) {
      const f = cached[r * M + m];
      if (f !== 0 && f !== 1) return `${at} has cached[${m}] = ${f}, not 0 or 1`;
      sum += f;
    }
    if (cachedCount.get(r) !== sum) return `${at} has cached_count ${cachedCount.get(r)} but ${sum} cached devices`;
  }
  for (const name of DEVICE_COLUMNS) {
    const values = lists[name];
    const ok = name === 'alpha' ? fraction : nonNegative;
    for (let i = 0; i < values.length; i++) {
      if (!ok(values[i])) return `row ${Math.floor(i / M)} has ${name}[${i % M}] = ${values[i]}${name === 'alpha' ? ', outside [0, 1]' : ''}`;
    }
  }
  return traceProblem(col('trace_ms')!, n);
}

/** M from the chunk's dtmc.settings metadata. */
function settingsM(table: Table): number | string {
  let M: unknown;
  try {
    M = (JSON.parse(table.schema.metadata.get('dtmc.settings') ?? 'null') as { M?: unknown } | null)?.M;
  } catch {
    return 'has unreadable dtmc.settings metadata';
  }
  return Number.isInteger(M) && (M as number) >= 1 ? (M as number) : `has dtmc.settings with M = ${JSON.stringify(M)}`;
}

/** The values of a fixed-size-list column, all batches together (null when not a plain typed array). */
function flatValues(c: Vector): Float64Array | Uint8Array | null {
  const parts: (Float64Array | Uint8Array)[] = [];
  for (const d of c.data) {
    const child = d.children[0];
    const values = child?.values as Float64Array | Uint8Array | undefined;
    if (!values) return null;
    const size = (d.type as FixedSizeList).listSize;
    parts.push(values.subarray(child.offset + d.offset * size, child.offset + (d.offset + d.length) * size));
  }
  if (parts.length === 1) return parts[0];
  const out = parts[0] instanceof Float64Array ? new Float64Array(parts.reduce((s, p) => s + p.length, 0)) : new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** trace_ms: per batch, offsets from 0, non-decreasing, ending inside the values; values NaN or >= 0. */
function traceProblem(c: Vector, n: number): string | null {
  let row = 0;
  for (const d of c.data) {
    const offsets = d.valueOffsets as Int32Array | undefined;
    const values = d.children[0]?.values as Float64Array | undefined;
    if (!offsets || !values || offsets.length < d.offset + d.length + 1) return 'column trace_ms has no offsets or values';
    for (let r = d.offset; r < d.offset + d.length; r++, row++) {
      if (!(offsets[r] >= 0 && offsets[r + 1] >= offsets[r] && offsets[r + 1] <= values.length)) return `row ${row} has trace_ms offsets ${offsets[r]} .. ${offsets[r + 1]} outside its ${values.length} values`;
      for (let i = offsets[r]; i < offsets[r + 1]; i++) if (!nonNegative(values[i])) return `row ${row} has trace_ms[${i - offsets[r]}] = ${values[i]}`;
    }
  }
  return row === n ? null : `column trace_ms has ${row} rows, expected ${n}`;
}
