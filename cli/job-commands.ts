/**
 * `dtmc run JOB` and `dtmc aggregate DIR`: batch jobs (jobs/run-job.ts) and their summary
 * (output/aggregate.ts).
 */
import { basename, join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { fail } from '../engine/errors.js';
import { AO_STATUSES } from '../engine/ao/solve-ao.js';
import { JOB_FORMAT, jobChunks, loadJob, MAX_WORKERS, shardChunks, sweepPoints, type Job } from '../jobs/job-file.js';
import { runJob, type RunOutcome } from '../jobs/run-job.js';
import { resolveShard, type ShardChoice } from '../jobs/shard-env.js';
import { PROGRESS_MODES, type ProgressMode } from '../jobs/progress.js';
import { aggregate, writeSummary, type Aggregate, type PointSummary } from '../output/aggregate.js';
import { quantileAt, tailsWithoutEcdf, type PointTails } from '../output/tails.js';
import { openJobFolder } from '../output/job-folder.js';
import { EXIT, exitCodesHelp } from './exit-codes.js';
import { runEnvironmentHelp } from './run-environment.js';
import { formatFixed, formatTable } from './format-report.js';
import { packageVersion } from './package-info.js';
import { JOBS_DIR } from './install-paths.js';
import { formatFusedWork } from '../kernels/webgpu/fused-work.js';

/** The job `dtmc run` runs when given none: jobs/smoke.json, shipped with the package. */
export const DEFAULT_JOB = join(JOBS_DIR, 'smoke.json');

/** A progress or status line on stderr (stdout carries the summary). */
export const log = (line: string): void => void process.stderr.write(`${line}\n`);

interface RunArgs {
  job?: string;
  out?: string;
  shard?: string;
  shards?: string;
  'shard-base'?: string;
  workers?: number;
  progress: string;
  summary: boolean;
  'dry-run': boolean;
  'break-lock': boolean;
}

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run [job]',
  describe: 'Run a batch job: its sweep in chunks on a worker pool, one Arrow file per chunk',
  builder: (y: Argv<object>): Argv<RunArgs> =>
    y
      .positional('job', { type: 'string', describe: 'job file (JSON) [default: jobs/smoke.json]' })
      .option('out', { type: 'string', requiresArg: true, describe: 'output folder [env DTMC_OUT; default: results/<job name>]' })
      .option('shard', { type: 'string', requiresArg: true, describe: 'run share i of n of the chunks, "i/n"; "auto": the index from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX [env DTMC_SHARD; default: 0/1, every chunk]' })
      .option('shards', { type: 'string', requiresArg: true, describe: 'with --shard auto: the number of shards (index = array id - base) [env DTMC_SHARDS; default: from the Slurm array\'s ids]' })
      .option('shard-base', { type: 'string', requiresArg: true, describe: 'with --shard auto --shards N: the array id of shard 0 [env DTMC_SHARD_BASE; default: 0]' })
      .option('workers', { type: 'number', requiresArg: true, describe: 'worker threads [env DTMC_WORKERS; default: the job\'s "workers"; auto: the CPUs this process may use]' })
      .option('progress', { type: 'string', default: 'auto', choices: PROGRESS_MODES as string[], describe: 'a bar on a terminal, log lines otherwise' })
      .option('summary', { type: 'boolean', default: true, describe: 'aggregate and print the summary when every chunk is complete' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'validate the job and print its sweep points and chunks; run and write nothing' })
      .option('break-lock', { type: 'boolean', default: false, describe: 'remove the output folder\'s lock held by a run that is known to be dead (e.g. on a node that failed)' })
      .example('$0 run', 'the small default job (jobs/smoke.json) into results/smoke')
      .example('$0 run jobs/fig2.json --out results/fig2', 'the letter\'s Fig. 2; run it again to resume')
      .example('$0 run jobs/fig2.json --dry-run', 'check a job before submitting it: points, chunks, shards')
      .example('$0 run jobs/fig3.json --out /shared/fig3 --shard 3/8', 'share 3 of 8 (one node of eight)')
      .example('$0 run jobs/fig3.json --out /shared/fig3 --shard auto', 'the share of this Slurm array task (or, with --shards N, Kubernetes pod)')
      .epilog(`${runEnvironmentHelp()}\n\n${exitCodesHelp('run')}`),
  handler: async (args) => {
    const jobPath = args.job ?? DEFAULT_JOB;
    const job = loadJob(jobPath);
    const out = args.out !== undefined ? { text: args.out, name: '--out' } : process.env.DTMC_OUT !== undefined ? { text: process.env.DTMC_OUT, name: 'DTMC_OUT' } : undefined;
    if (out !== undefined && out.text.trim() === '') fail('invalid-argument', `${out.name} must name a folder, got an empty string`);
    const outDir = out?.text ?? join('results', job.name);
    if (args.workers !== undefined && !(Number.isInteger(args.workers) && args.workers >= 1 && args.workers <= MAX_WORKERS)) {
      fail('invalid-argument', `--workers must be an integer in [1, ${MAX_WORKERS}], got ${args.workers}`);
    }
    const choice = resolveShard({ shard: args.shard, shards: args.shards, shardBase: args['shard-base'] });
    if (choice.note) log(choice.note);
    const { shard } = choice;
    if (args['dry-run']) {
      printPlan(job, choice);
      return;
    }
    const outcome = await runJob({
      job, outDir, shard, workers: args.workers, progress: args.progress as ProgressMode, engineVersion: packageVersion(), log, breakLock: args['break-lock'],
    });
    const done = outcome.skipped + outcome.written;
    log(`${basename(jobPath)}: ${done}/${outcome.chunks} chunk(s) complete in ${outDir}`
      + (outcome.unneeded ? `, ${outcome.unneeded} not needed (their point met its precision target)` : '')
      + (outcome.written ? `; ${outcome.realisations} realisations in ${outcome.seconds.toFixed(1)} s (${(outcome.realisations / outcome.seconds).toFixed(0)}/s, ${outcome.workers} worker(s): ${outcome.workersSource}; ${outcome.backend})` : '')
      + (outcome.gpu ? `; GPU: ${formatFusedWork(outcome.gpu)}` : ''));
    if (!reportStop(outcome, `dtmc run ${jobPath} --out ${outDir}${shard.count > 1 ? ` --shard ${shard.index}/${shard.count}` : ''}`)) return;
    if (args.summary) {
      const a = aggregate(openJobFolder(outDir, JOB_FORMAT));
      if (a.missing.length) {
        const ours = new Set(shardChunks(jobChunks(job), shard).map((c) => c.id));
        const lost = a.missing.filter((id) => ours.has(id));
        if (lost.length) {
          // This run completed them, yet they are not valid now: something changed the folder meanwhile.
          log(`${lost.length} chunk(s) of this run are missing or invalid after it finished (e.g. ${lost.slice(0, 3).join(', ')}): `
            + `the folder was changed during the run; run again to redo them: dtmc run ${jobPath} --out ${outDir}${shard.count > 1 ? ` --shard ${shard.index}/${shard.count}` : ''}`);
          process.exitCode = EXIT.incomplete;
          return;
        }
        log(`the summary waits for ${a.missing.length} chunk(s) of other shards; run dtmc aggregate ${outDir} when they are done`);
        return;
      }
      printSummary(a, await writeSummary(outDir, a, packageVersion()));
    }
  },
};

interface AggregateArgs {
  dir: string;
  partial: boolean;
  json: boolean;
  write?: boolean;
}

export const aggregateCommand: CommandModule<object, AggregateArgs> = {
  command: 'aggregate <dir>',
  describe: 'Summarise a job\'s output folder per sweep point: summary.arrow, summary.csv and a table',
  builder: (y: Argv<object>): Argv<AggregateArgs> =>
    y
      .positional('dir', { type: 'string', demandOption: true, describe: 'output folder of dtmc run' })
      .option('partial', { type: 'boolean', default: false, describe: 'summarise an incomplete job (points flagged complete = false)' })
      .option('json', { type: 'boolean', default: false, describe: 'print the summary as JSON instead of a table (writes no files unless --write)' })
      .option('write', { type: 'boolean', describe: 'write summary.arrow and summary.csv into DIR; --no-write only reads (a read-only archive) [default: true, false with --json]' })
      .example('$0 aggregate results/fig2', 'per-point means with 95% confidence intervals')
      .example('$0 aggregate results/fig2 --partial', 'look at a job while it runs')
      .example('$0 aggregate /archive/fig2 --json', 'summarise a read-only folder: nothing is written')
      .epilog(exitCodesHelp('aggregate')),
  handler: async (args) => {
    const a = aggregateChecked(args.dir, args.partial);
    const files = (args.write ?? !args.json) ? await writeSummary(args.dir, a, packageVersion()) : [];
    if (args.json) {
      process.stdout.write(`${JSON.stringify({
        job: a.job.name, jobHash: a.jobHash, missing: a.missing.length, failed: a.failed, corrupt: a.corrupt.map((c) => ({ chunk: c.id, problem: c.problem })), points: a.points.map((p) => ({ ...p, tails: tailsWithoutEcdf(a.tails[p.point]) })),
      }, null, 2)}\n`);
      return;
    }
    if (a.missing.length) log(`incomplete: ${a.missing.length} chunk(s) missing; points with complete = no are partial`);
    printSummary(a, files);
  },
};

/**
 * Logs why a run stopped short and sets the exit code (2 for a file that cannot be written,
 * 130/143 for a signal, 4 for failed chunks); true when every chunk of the run is complete. `resume` is the command to run again;
 * `say` where the lines go (stderr).
 */
export function reportStop(outcome: RunOutcome, resume: string, say: (line: string) => void = log): boolean {
  if (outcome.writeError) {
    say(`dtmc: ${outcome.writeError}`);
    say(`stopped: the chunks written so far stay; fix the folder, then resume with: ${resume}`);
    process.exitCode = EXIT.badInput;
    return false;
  }
  if (outcome.interrupted) {
    say(`stopped by ${outcome.interrupted}; resume with: ${resume}`);
    process.exitCode = outcome.interrupted === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted;
    return false;
  }
  if (outcome.failed.length) {
    say(`${outcome.failed.length} chunk(s) failed: ${outcome.failed.map((f) => f.id).join(', ')}; run again to retry them: ${resume}`);
    process.exitCode = EXIT.incomplete;
    return false;
  }
  return true;
}

/**
 * Aggregates DIR; a corrupt chunk file (named) or an incomplete job (naming what is missing) is
 * refused unless `partial`, which logs the corrupt ones and marks their points incomplete.
 */
export function aggregateChecked(dir: string, partial: boolean): Aggregate {
  const a = aggregate(openJobFolder(dir, JOB_FORMAT));
  for (const c of partial ? a.corrupt : []) log(`corrupt chunk file left out (its point is incomplete): ${c.path} ${c.problem}`);
  if (a.corrupt.length && !partial) {
    const [c] = a.corrupt;
    fail('corrupt-data', `corrupt chunk file: ${c.path} ${c.problem}`
      + `${a.corrupt.length > 1 ? ` (and ${a.corrupt.length - 1} more; dtmc verify ${dir} lists them)` : ''}. `
      + 'Run the job again to redo it, or pass --partial to leave it out.');
  }
  if (a.missing.length && !partial) {
    fail('invalid-argument', `${dir} is incomplete: ${a.missing.length} chunk(s) missing`
      + `${a.failed.length ? ` (${a.failed.length} recorded as failed)` : ''}, e.g. ${a.missing.slice(0, 3).join(', ')}. `
      + 'Run the job again to finish it, or pass --partial to use what is there.');
  }
  return a;
}

/** The job as run would expand it: the sweep points with their values, chunks, this shard's share. */
function printPlan(job: Job, { shard, how }: ShardChoice): void {
  const points = sweepPoints(job);
  const chunks = jobChunks(job);
  const mine = shardChunks(chunks, shard);
  const keys = Object.keys(points[0].values);
  process.stdout.write(`${job.name}: ${points.length} sweep point(s) x ${job.realisations} realisations = ${points.length * job.realisations} solves, `
    + `${chunks.length} chunk(s) of up to ${job.chunkSize}; backend ${job.backend}, workers ${job.workers}, seed ${job.seed}`
    + `${job.commonRandomNumbers ? ', common random numbers' : ''}\n`);
  process.stdout.write(`${how}: ${mine.length} chunk(s), ${mine.reduce((s, c) => s + c.count, 0)} realisations\n`);
  if (job.precision) process.stdout.write(`precision target ${JSON.stringify(job.precision)}: each point stops at the first complete prefix of its chunks that meets it; the counts above are the cap\n`);
  if (keys.length) {
    const rows = points.map((p) => [String(p.index), ...keys.map((k) => String(p.values[k]))]);
    process.stdout.write(`${formatTable(['point', ...keys], rows, ['right', ...keys.map(() => 'left' as const)]).join('\n')}\n`);
  }
}

/** The paired comparison with the AO at one point: beats fraction, mean difference ± CI, percent ('-' at AO points). */
function vsAoCells(p: PointSummary): string[] {
  if (Number.isNaN(p.beatsAoFraction)) return ['-', '-', '-'];
  const sign = (v: number): string => (v > 0 ? '+' : '');
  return [
    `${(100 * p.beatsAoFraction).toFixed(1)}%`,
    `${sign(p.vsAoDiffMeanMs)}${formatFixed(p.vsAoDiffMeanMs, 4)} ±${formatFixed(p.vsAoDiffCi95Ms, 4)}`,
    `${sign(p.vsAoDiffPercent)}${formatFixed(p.vsAoDiffPercent, 2)}%`,
  ];
}

/** The tails in the table: outage, J's p99 and p99.9, the per-device latency's p99.9 (the rest: summary.csv, --json). */
const TAIL_HEADER = ['outage', 'J p99 ms', 'J p99.9 ms', 'UE lat p99.9 ms'];
const tailCells = (t: PointTails): string[] => [
  formatFixed(t.outage.estimate, 4), formatFixed(quantileAt(t.objectiveMs, 0.99).value, 4), formatFixed(quantileAt(t.objectiveMs, 0.999).value, 4),
  formatFixed(quantileAt(t.latencyMs, 0.999).value, 4),
];

export function printSummary(a: Aggregate, files: string[]): void {
  const keys = Object.keys(a.points[0].values);
  const baselines = a.points.some((p) => !Number.isNaN(p.beatsAoFraction));
  const header = ['point', ...keys, 'rows', 'complete', 'J mean ms', '95% CI', 'sd', 'feasible', ...AO_STATUSES.map((s) => s.replace('numerical-failure', 'num-fail')), 'iter', 'offload', 'cached', ...(baselines ? ['beats AO', 'vs AO ms (95% CI)', 'vs AO'] : []), ...TAIL_HEADER];
  const rows = a.points.map((p) => [
    String(p.point), ...keys.map((k) => String(p.values[k])), String(p.rows), p.complete ? 'yes' : 'no',
    formatFixed(p.objectiveMeanMs, 4), `±${formatFixed(p.objectiveCi95Ms, 4)}`, formatFixed(p.objectiveSdMs, 3), formatFixed(p.feasibleFraction, 4),
    ...AO_STATUSES.map((s) => String(p.statuses[s])), formatFixed(p.iterationsMean, 2), formatFixed(p.offloadPortionMean, 4), formatFixed(p.cachedMean, 2),
    ...(baselines ? vsAoCells(p) : []), ...tailCells(a.tails[p.point]),
  ]);
  if (a.job.precision) {
    header.push('precision ms', 'relative', 'target met');
    a.points.forEach((p, i) => rows[i].push(`±${formatFixed(p.precision!.halfWidthMs, 4)}`, formatFixed(p.precision!.relative, 4), p.precision!.met ? 'yes' : 'no'));
  }
  const align = header.map((_, i) => (i === 0 || i > keys.length ? 'right' : 'left') as 'left' | 'right');
  const each = a.job.precision ? `at most ${a.job.realisations} realisations each, to a precision target (${JSON.stringify(a.job.precision)}; rows: those used)` : `${a.job.realisations} realisations each`;
  process.stdout.write(`${a.job.name}: ${a.points.length} sweep point(s), ${each} (J with the V = 1 rate; statistics over solved rows)\n`);
  process.stdout.write(`${formatTable(header, rows, align).join('\n')}\n`);
  if (files.length) process.stdout.write(`written: ${files.join(', ')}\n`);
}

