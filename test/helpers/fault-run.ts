/**
 * `dtmc run` in this process with faults injected into its workers (test/helpers/fault-worker.ts,
 * through runJob's `worker` option), reported as the CLI reports it: the run's log lines, then the
 * lines and exit code of cli/job-commands.ts's reportStop.
 */
import { loadJob } from '../../jobs/job-file.js';
import { runJob, type RunOutcome } from '../../jobs/run-job.js';
import { reportStop } from '../../cli/job-commands.js';
import { packageVersion } from '../../cli/package-info.js';
import type { Faults } from './fault-worker.js';

const FAULT_WORKER = new URL('./fault-worker.js', import.meta.url).href;

export interface FaultRun {
  outcome: RunOutcome;
  /** Every line the run and its report logged (stderr in the CLI). */
  log: string;
  /** The exit code the CLI would set (0 when every chunk is complete). */
  exitCode: number;
}

export async function runWithFaults(jobPath: string, outDir: string, faults: Faults): Promise<FaultRun> {
  const lines: string[] = [];
  const say = (line: string): void => void lines.push(line);
  const outcome = await runJob({
    job: loadJob(jobPath), outDir, shard: { index: 0, count: 1 }, progress: 'none', engineVersion: packageVersion(), log: say,
    worker: { module: FAULT_WORKER, data: faults },
  });
  const before = process.exitCode;
  process.exitCode = 0;
  reportStop(outcome, `dtmc run ${jobPath} --out ${outDir}`, say);
  const exitCode = Number(process.exitCode);
  process.exitCode = before;
  return { outcome, log: lines.join('\n'), exitCode };
}
