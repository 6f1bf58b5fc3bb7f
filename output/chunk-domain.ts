/**
 * The domain of a chunk's values: what a chunk file may hold, checked after its checksum and
 * layout. A value outside its domain is corruption (or a bug), never data: a status that is not
 * one of the four, a point of another chunk, a list of the wrong length, a cached flag other than
 * 0 or 1, a negative time or a fraction above 1.
 *
 * The columns, their Arrow types and their rules are declared in output/chunk-columns.ts (the
 * table: docs/chunk-columns.md); this runs them: every column present with its type (per-device
 * columns: fixed-size lists of M, the chunk's dtmc.settings) and one value per row, then the row
 * rules row by row, then the column rules (the context columns: equal to the chunk's metadata,
 * output/row-context.ts). NaN stands for "no value" where the solver leaves one
 * (an infeasible row's objective); +Infinity is a legitimate latency or violation of a numerical
 * failure.
 */
import { type FixedSizeList, type Table, type Vector } from 'apache-arrow';
import { CHUNK_COLUMNS, type ChunkCheck } from './chunk-columns.js';
import { rowContext } from './row-context.js';

/** The first value outside its domain in `table` (a chunk of `point`), or null when all are in. */
export function chunkDomainProblem(table: Table, point: number | undefined): string | null {
  const n = table.numRows;
  const cols = new Map<string, Vector>();
  // Columns whose type does not depend on M first, then M, then the per-device lists.
  for (const c of CHUNK_COLUMNS.filter((x) => !x.perDevice)) {
    const v = table.getChild(c.name);
    if (!v) return `has no ${c.name} column`;
    const want = String(c.type(1));
    if (String(v.type) !== want) return `column ${c.name} is ${String(v.type)}, expected ${want}`;
    if (v.length !== n) return `column ${c.name} has ${v.length} values for ${n} rows`;
    cols.set(c.name, v);
  }
  const meta = table.schema.metadata;
  const context = rowContext(meta.get('dtmc.job'), meta.get('dtmc.job_hash'), meta.get('dtmc.settings'));
  if (typeof context === 'string') return context;
  const M = context.settings.M;
  if (!(Number.isInteger(M) && M >= 1)) return `has dtmc.settings with M = ${M}`;
  const lists = new Map<string, Float64Array | Uint8Array>();
  for (const c of CHUNK_COLUMNS.filter((x) => x.perDevice)) {
    const v = table.getChild(c.name);
    if (!v) return `has no ${c.name} column`;
    const want = String(c.type(M));
    if (String(v.type) !== want) return `column ${c.name} is ${String(v.type)}, expected ${want}`;
    const values = flatValues(v);
    if (!values || values.length !== n * M) return `column ${c.name} holds ${values?.length ?? 'no'} values, expected ${n} x ${M}`;
    cols.set(c.name, v);
    lists.set(c.name, values);
  }

  const check: ChunkCheck = { n, M, point, context, col: (name) => cols.get(name)!, flat: (name) => lists.get(name)! };
  const rowRules = CHUNK_COLUMNS.flatMap((c) => (c.rowRule ? [c.rowRule] : []));
  for (let r = 0; r < n; r++) {
    for (const rule of rowRules) {
      const problem = rule(r, check);
      if (problem) return problem;
    }
  }
  for (const c of CHUNK_COLUMNS) {
    const problem = c.columnRule?.(check) ?? null;
    if (problem) return problem;
  }
  return null;
}

/** The values of a fixed-size-list column, all batches together (null when not a plain typed array). */
export function flatValues(c: Vector): Float64Array | Uint8Array | null {
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
