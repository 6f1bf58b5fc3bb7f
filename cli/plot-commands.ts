/**
 * `dtmc plot DIR` (the charts of output/plot.ts) and `dtmc reproduce FIGURE|all` (run or resume
 * a shipped job, aggregate, plot: one command per figure of the letter, the baselines, and the
 * joint optimiser against the AO at the Fig. 2 and Fig. 3 points).
 */
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { fail } from '../engine/errors.js';
import { JOB_FORMAT, loadJob, parseJob } from '../jobs/job-file.js';
import { runJob } from '../jobs/run-job.js';
import type { ProgressMode } from '../jobs/progress.js';
import { writeSummary, type Aggregate } from '../output/aggregate.js';
import { convergence } from '../output/convergence.js';
import { openJobFolder } from '../output/job-folder.js';
import { convergenceSpec, summarySpec, writeChart } from '../output/plot.js';
import { ecdfSpec } from '../output/plot-ecdf.js';
import { aggregateChecked, log, printSummary, reportStop } from './job-commands.js';
import { packageVersion } from './package-info.js';
import { JOBS_DIR } from './install-paths.js';
import { exitCodesHelp } from './exit-codes.js';

export const FIGURES = ['fig2', 'fig3', 'baselines', 'joint-fig2', 'joint-fig3'] as const;

/** Aggregates DIR and writes its summary and charts; returns the aggregate and the files written. */
export async function plotFolder(outDir: string, partial: boolean): Promise<{ aggregate: Aggregate; files: string[] }> {
  const a = aggregateChecked(outDir, partial);
  // First, as it refuses a chart that cannot be drawn (output/plot.ts): then nothing is written.
  const spec = summarySpec(a);
  const files = await writeSummary(outDir, a, packageVersion());
  files.push(...(await writeChart(outDir, a.job.name, spec)));
  files.push(...(await writeChart(outDir, `${a.job.name}-convergence`, convergenceSpec(a.job, convergence(openJobFolder(outDir, JOB_FORMAT))))));
  for (const scale of ['cdf', 'tail'] as const) files.push(...(await writeChart(outDir, `${a.job.name}-${scale === 'cdf' ? 'ecdf' : 'tail'}`, ecdfSpec(a, scale))));
  return { aggregate: a, files };
}

interface PlotArgs {
  dir: string;
  partial: boolean;
}

export const plotCommand: CommandModule<object, PlotArgs> = {
  command: 'plot <dir>',
  describe: 'Draw a job\'s results: mean J with 95% CI against the swept parameter, and AO convergence (SVG and PNG)',
  builder: (y: Argv<object>): Argv<PlotArgs> =>
    y
      .positional('dir', { type: 'string', demandOption: true, describe: 'output folder of dtmc run' })
      .option('partial', { type: 'boolean', default: false, describe: 'plot an incomplete job' })
      .example('$0 plot results/fig2', 'results/fig2/plots/fig2.{svg,png}, fig2-convergence.{svg,png}')
      .epilog(exitCodesHelp('plot')),
  handler: async (args) => {
    for (const f of (await plotFolder(args.dir, args.partial)).files) process.stdout.write(`written: ${f}\n`);
  },
};

interface ReproduceArgs {
  figure: string;
  realisations?: number;
  root: string;
  workers?: number;
  progress: string;
}

export const reproduceCommand: CommandModule<object, ReproduceArgs> = {
  command: 'reproduce <figure>',
  describe: `Run (or resume) a shipped experiment, aggregate and plot it: ${FIGURES.join(', ')} or all`,
  builder: (y: Argv<object>): Argv<ReproduceArgs> =>
    y
      .positional('figure', { type: 'string', demandOption: true, choices: [...FIGURES, 'all'], describe: 'which figure' })
      .option('realisations', { type: 'number', requiresArg: true, describe: 'realisations per point for a quick look [default: the job\'s own]' })
      .option('root', { type: 'string', default: 'results', describe: 'folder under which each job gets its output folder' })
      .option('workers', { type: 'number', requiresArg: true, describe: 'worker threads [env DTMC_WORKERS; default: the job\'s "workers"]' })
      .option('progress', { type: 'string', default: 'auto', choices: ['auto', 'bar', 'log', 'none'], describe: 'progress display' })
      .example('$0 reproduce all', 'every shipped experiment, one after the other (about 10 min on 2 cores)')
      .example('$0 reproduce joint-fig3', 'the joint optimiser against the AO on the same realisations at the Fig. 3 points')
      .example('$0 reproduce fig3 --realisations 200', 'a quick look, in results/fig3-r200')
      .epilog(exitCodesHelp('reproduce')),
  handler: async (args) => {
    const figures = args.figure === 'all' ? [...FIGURES] : [args.figure];
    if (args.realisations !== undefined && !(Number.isInteger(args.realisations) && args.realisations >= 1)) {
      fail('invalid-argument', `--realisations must be a positive integer, got ${args.realisations}`);
    }
    for (const figure of figures) {
      const shipped = loadJob(join(JOBS_DIR, `${figure}.json`));
      const job = args.realisations === undefined ? shipped : parseJob({ ...shipped, realisations: args.realisations, chunkSize: Math.min(shipped.chunkSize, args.realisations) });
      const outDir = join(args.root, args.realisations === undefined ? figure : `${figure}-r${args.realisations}`);
      const outcome = await runJob({
        job, outDir, shard: { index: 0, count: 1 }, workers: args.workers, progress: args.progress as ProgressMode, engineVersion: packageVersion(), log,
      });
      const resume = `dtmc reproduce ${args.figure}${args.realisations === undefined ? '' : ` --realisations ${args.realisations}`} --root ${args.root}`;
      if (!reportStop(outcome, resume)) return;
      const plotted = await plotFolder(outDir, false);
      printSummary(plotted.aggregate, plotted.files);
    }
  },
};
