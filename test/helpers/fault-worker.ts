/**
 * The pool worker of `dtmc run` with faults injected, for the tests of retries, failure records
 * and write errors: jobs/worker.ts's solveAndWriteChunk wrapped, given to runJob through its
 * `worker` option (test/helpers/fault-run.ts). workerData is a Faults plan.
 */
import { workerData } from 'piscina';
import { fullDiskCalls } from './full-disk.js';
import { solveAndWriteChunk, type WorkerResult, type WorkerTask } from '../../jobs/worker.js';

export interface Faults {
  /** This chunk's worker exits abruptly (exit code 70) on every attempt, or with `crashOnce` on the first only. */
  crash?: string;
  crashOnce?: boolean;
  /** This chunk is written to a device that is full after 1000 bytes. */
  fullDisk?: string;
}

export default function faultyChunk(w: WorkerTask): Promise<WorkerResult> {
  const faults = (workerData ?? {}) as Faults;
  if (faults.crash === w.chunkId && (!faults.crashOnce || w.attempt === 1)) process.exit(70);
  return solveAndWriteChunk(w, faults.fullDisk === w.chunkId ? fullDiskCalls(1000) : undefined);
}
