/**
 * `dtmc export DIR --format csv`: a job's rows as one CSV file (RFC 4180 but for `\n` line ends: a
 * field quoted when it holds a comma, a quote or a line end), the chunk columns in
 * order (output/chunk-columns.ts), one line per realisation, for tools without a Parquet reader.
 *
 * - A missing value (NaN: an infeasible row's objective, a cached device's alpha) is an empty
 *   field, as in summary.csv; +-Infinity (a numerical failure's latency) is `Infinity` or
 *   `-Infinity`, which R, Python, polars and DuckDB parse as numbers.
 * - Lists (the per-device columns and trace_ms) are JSON arrays in one field, NaN as null:
 *   `"[0.5,null,1]"`. Kept as arrays rather than exploded to one line per device: a row stays one
 *   realisation (as in the chunks and the Parquet export), the scalars are not repeated M times,
 *   and trace_ms, whose length is the row's iteration count, would not explode beside the device
 *   lists. DuckDB reads a field with `latency_ms::DOUBLE[]`, R with jsonlite::fromJSON, Python
 *   with json.loads (an infinite element is written `Infinity`, which DuckDB and Python accept
 *   and strict JSON parsers do not).
 * - Numbers are written in the shortest form that reads back to the same float64 (JavaScript's
 *   String), so the export parses back equal to the chunk files.
 *
 * Streamed chunk by chunk to one file, written atomically (output/atomic-file.ts).
 */
import { writeFileAtomically, type FileStream } from './atomic-file.js';
import { CHUNK_COLUMNS, type PlainColumn } from './chunk-columns.js';
import type { JobFolder } from './job-folder.js';
import { chunkTables, planExport, type ExportOptions, type ExportScan, type RowExport } from './export-rows.js';

const number = (x: number): string => (Number.isNaN(x) ? '' : String(x));
const listItem = (x: number): string => (Number.isNaN(x) ? 'null' : String(x));

/** Rows of CSV text encoded and handed to the writer at a time. */
const CSV_PIECE_ROWS = 2000;

/** One CSV field. */
export function csvField(v: number | string | boolean | readonly number[]): string {
  if (typeof v === 'number') return number(v);
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return /[",\n\r]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
  return `"[${v.map(listItem).join(',')}]"`;
}

/** Writes the folder's rows to the CSV file `out` (see the file's doc); returns what it wrote. */
export async function exportCsv(folder: JobFolder, out: string, o: ExportOptions): Promise<RowExport> {
  const scan: ExportScan = { missing: [], failed: [], corrupt: [] };
  const plan = planExport(folder, o.partial, scan);
  let rows = 0;
  async function* lines(): FileStream {
    yield Buffer.from(`${CHUNK_COLUMNS.map((c) => c.name).join(',')}\n`);
    for (const { chunks } of plan) {
      for (const table of chunkTables(folder, chunks, o.partial, scan)) {
        // Pieces of CSV_PIECE_ROWS rows: neither a chunk's text (about 500 bytes a row) nor its
        // columns as plain values are ever whole.
        for (let from = 0; from < table.numRows; from += CSV_PIECE_ROWS) {
          const piece = table.slice(from, from + CSV_PIECE_ROWS);
          const columns: PlainColumn[] = CHUNK_COLUMNS.map((c) => c.values(piece));
          let text = '';
          for (let r = 0; r < piece.numRows; r++) text += `${columns.map((c) => csvField(c[r])).join(',')}\n`;
          yield Buffer.from(text);
        }
        rows += table.numRows;
      }
    }
  }
  await writeFileAtomically(out, lines());
  return { out, files: [out], rows, scan };
}
