/**
 * `dtmc export DIR --format parquet|csv`: a job's rows for other tools (output/export-parquet.ts,
 * output/export-csv.ts): by default DIR/rows/ (one Parquet file per point) or DIR/rows.csv.
 */
import type { Argv, CommandModule } from 'yargs';
import { JOB_FORMAT } from '../jobs/job-file.js';
import { exportPaths, openJobFolder } from '../output/job-folder.js';
import { exportParquet } from '../output/export-parquet.js';
import { exportCsv } from '../output/export-csv.js';
import type { ExportScan } from '../output/export-rows.js';
import { log } from './job-commands.js';
import { packageVersion } from './package-info.js';
import { exitCodesHelp } from './exit-codes.js';

export const EXPORT_FORMATS = ['parquet', 'csv'] as const;

interface ExportArgs {
  dir: string;
  format: string;
  out?: string;
  partial: boolean;
}

/** Logs what a --partial export left out. */
export function logLeftOut(scan: ExportScan): void {
  for (const c of scan.corrupt) log(`corrupt chunk file left out: ${c.path} ${c.problem}`);
  if (scan.missing.length) log(`incomplete: ${scan.missing.length} chunk(s) missing, e.g. ${scan.missing.slice(0, 3).join(', ')}; their rows are not in the export`);
}

export const exportCommand: CommandModule<object, ExportArgs> = {
  command: 'export <dir>',
  describe: 'Write a job\'s rows for DuckDB, R, pandas or polars: Parquet (one file per sweep point, zstd) or one CSV file',
  builder: (y: Argv<object>): Argv<ExportArgs> =>
    y
      .positional('dir', { type: 'string', demandOption: true, describe: 'output folder of dtmc run' })
      .option('format', { type: 'string', default: 'parquet', choices: [...EXPORT_FORMATS], describe: 'parquet (a folder of p<point>.parquet) or csv (one file; lists as JSON arrays)' })
      .option('out', { type: 'string', requiresArg: true, describe: 'where to write [default: DIR/rows/ for parquet, DIR/rows.csv for csv]' })
      .option('partial', { type: 'boolean', default: false, describe: 'export the complete chunks of an incomplete job, leaving out missing and corrupt ones' })
      .example('$0 export results/fig2', 'results/fig2/rows/p00000.parquet, ...: duckdb -c "select * from \'results/fig2/rows/*.parquet\'"')
      .example('$0 export results/fig2 --format csv --out fig2.csv', 'one CSV file')
      .epilog(exitCodesHelp('export')),
  handler: async (args) => {
    const folder = openJobFolder(args.dir, JOB_FORMAT);
    const options = { partial: args.partial, exporterVersion: packageVersion() };
    const done = args.format === 'csv'
      ? await exportCsv(folder, args.out ?? exportPaths(args.dir).csv, options)
      : await exportParquet(folder, args.out ?? exportPaths(args.dir).parquet, options);
    logLeftOut(done.scan);
    process.stdout.write(`written: ${done.out} (${done.rows} rows${args.format === 'parquet' ? `, ${done.files.length} file(s)` : ''})\n`);
  },
};
