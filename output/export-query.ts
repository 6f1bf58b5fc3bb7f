/**
 * `dtmc query DIR "SQL"`: SQL over a job's rows with DuckDB (@duckdb/node-api, an optional
 * dependency: embedded, its binary shipped as a registry package, works offline).
 *
 * DuckDB cannot read the Arrow IPC chunk files without an extension it would download
 * (docs/export-engine-notes.md), so the rows are exported to Parquet first (output/export-parquet.ts)
 * into a temporary folder, removed afterwards, and the SQL sees them as the view `rows` (every
 * chunk column, output/chunk-columns.ts). The export is made for each query, not kept: a query
 * always sees the folder as it is, at the cost of the export's time (the notes measured 6 s per
 * 10^6 rows of a narrower table; dtmc's rows at M = 15 are about four times as wide); for many
 * queries over a large job, `dtmc export` once and point DuckDB at the folder
 * (`read_parquet('DIR/rows/*.parquet')`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fail } from '../engine/errors.js';
import type { JobFolder } from './job-folder.js';
import { exportParquet } from './export-parquet.js';
import type { ExportOptions, RowExport } from './export-rows.js';

/** The package that runs the queries. */
export const DUCKDB_PACKAGE = '@duckdb/node-api';

type DuckDb = typeof import('@duckdb/node-api');
/** A value of a result as JSON gives it (BIGINT and DECIMAL as strings, NaN and infinities as strings, lists as arrays). */
export type QueryValue = string | number | boolean | null | QueryValue[] | { [key: string]: QueryValue };

export interface QueryResult {
  columns: string[];
  /** DuckDB's type of each column (e.g. DOUBLE, BIGINT, DOUBLE[]). */
  types: string[];
  rows: QueryValue[][];
  /** The export the view `rows` was made of. */
  export: RowExport;
}

/** @duckdb/node-api, or a named error saying how to install it. `specifier`: another package name (tests). */
export async function loadDuckDb(specifier: string = DUCKDB_PACKAGE): Promise<DuckDb> {
  try {
    return (await import(specifier)) as DuckDb;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw e;
    return fail('invalid-argument', `dtmc query needs ${specifier}, an optional dependency that is not installed here `
      + `(about 70 MB: DuckDB's library for this platform). Install it beside dtmc with: npm install ${specifier}. `
      + 'Without it, dtmc export DIR writes the rows as Parquet for any DuckDB, R or Python to read.');
  }
}

/** A SQL string literal. */
const literal = (s: string): string => `'${s.replaceAll("'", "''")}'`;

/** Runs `sql` over the folder's rows (the view `rows`); `duckdb`: the loaded package (loadDuckDb). */
export async function queryRows(folder: JobFolder, sql: string, o: ExportOptions, duckdb: DuckDb): Promise<QueryResult> {
  if (sql.trim() === '') fail('invalid-argument', 'the query is empty: give SQL over the view rows, e.g. "select point, avg(objective_ms) from rows group by point"');
  const temp = mkdtempSync(join(tmpdir(), 'dtmc-query-'));
  try {
    const exported = await exportParquet(folder, join(temp, 'rows'), o);
    if (!exported.files.length) fail('invalid-argument', `${folder.dir} has no complete chunk: no rows to query`);
    // Offline by design: nothing is downloaded (Parquet and JSON are built in).
    const db = await duckdb.DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
    const connection = await db.connect();
    try {
      await connection.run(`create view rows as select * from read_parquet([${exported.files.map(literal).join(', ')}])`);
      let reader;
      try {
        reader = await connection.runAndReadAll(sql);
      } catch (e) {
        return fail('invalid-argument', `the query failed: ${(e as Error).message}`);
      }
      return {
        columns: reader.columnNames(), types: reader.columnTypes().map(String), rows: reader.getRowsJson() as QueryValue[][], export: exported,
      };
    } finally {
      connection.closeSync();
      db.closeSync();
    }
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}
