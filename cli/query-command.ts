/**
 * `dtmc query DIR "SQL"`: SQL over a job's rows with DuckDB, the view `rows` (output/export-query.ts);
 * the result as a table, JSON or CSV on stdout.
 */
import type { Argv, CommandModule } from 'yargs';
import { JOB_FORMAT } from '../jobs/job-file.js';
import { openJobFolder } from '../output/job-folder.js';
import { loadDuckDb, queryRows, type QueryResult, type QueryValue } from '../output/export-query.js';
import { csvField } from '../output/export-csv.js';
import { formatTable } from './format-report.js';
import { logLeftOut } from './export-command.js';
import { packageVersion } from './package-info.js';
import { exitCodesHelp } from './exit-codes.js';

interface QueryArgs {
  dir: string;
  sql: string;
  json?: boolean;
  csv?: boolean;
  partial: boolean;
}

/** A value as one table cell or CSV field: null empty, lists and structs as JSON. */
const text = (v: QueryValue): string => (v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** The result as stdout gets it. */
export function formatQueryResult(r: QueryResult, as: 'table' | 'json' | 'csv'): string {
  if (as === 'json') return `${JSON.stringify(r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c, row[i]]))), null, 2)}\n`;
  if (as === 'csv') return [r.columns.map(csvField), ...r.rows.map((row) => row.map((v) => csvField(text(v))))].map((l) => `${l.join(',')}\n`).join('');
  const numeric = r.types.map((t) => /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL)/.test(t));
  const lines = formatTable(r.columns, r.rows.map((row) => row.map(text)), numeric.map((n) => (n ? 'right' : 'left')));
  return `${lines.join('\n')}\n(${r.rows.length} row${r.rows.length === 1 ? '' : 's'})\n`;
}

export const queryCommand: CommandModule<object, QueryArgs> = {
  command: 'query <dir> <sql>',
  describe: 'Run SQL (DuckDB) over a job\'s rows, the view rows; needs the optional @duckdb/node-api',
  builder: (y: Argv<object>): Argv<QueryArgs> =>
    y
      .positional('dir', { type: 'string', demandOption: true, describe: 'output folder of dtmc run' })
      .positional('sql', { type: 'string', demandOption: true, describe: 'SQL over the view rows (every chunk column: docs/chunk-columns.md)' })
      .option('json', { type: 'boolean', describe: 'print the result as a JSON array of objects' })
      .option('csv', { type: 'boolean', describe: 'print the result as CSV' })
      .option('partial', { type: 'boolean', default: false, describe: 'query the complete chunks of an incomplete job' })
      .conflicts('json', 'csv')
      .example('$0 query results/fig2 "select s_max_kbit, e_max_mj, avg(objective_ms) from rows where status <> \'infeasible\' group by all order by all"', 'mean J per point')
      .example('$0 query results/fig2 "select quantile_disc(objective_ms, 0.99) from rows where status <> \'infeasible\'" --json', 'a tail quantile, as JSON')
      .epilog([
        'The rows are exported to Parquet in a temporary folder for each query (removed after); for many',
        'queries over a large job, dtmc export DIR once and read DIR/rows/*.parquet with DuckDB itself.',
        '',
        exitCodesHelp('query'),
      ].join('\n')),
  handler: async (args) => {
    const duckdb = await loadDuckDb();
    const result = await queryRows(openJobFolder(args.dir, JOB_FORMAT), args.sql, { partial: args.partial, exporterVersion: packageVersion() }, duckdb);
    logLeftOut(result.export.scan);
    process.stdout.write(formatQueryResult(result, args.json ? 'json' : args.csv ? 'csv' : 'table'));
  },
};
