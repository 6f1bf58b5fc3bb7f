/** Runs flip-reads-worker.ts with a time limit: the verdict of every flip, or which flip hung. */
import { Worker } from 'node:worker_threads';
import type { FlipReadsInput } from './flip-reads-worker.js';

export interface FlipReads {
  /** bit -> the reader's problem (null: accepted). */
  problems: Map<number, string | null>;
  /** The bit whose read did not end within the limit (null when all ended). */
  hung: number | null;
  ms: number;
}

export function flipReads(input: FlipReadsInput, limitMs: number): Promise<FlipReads> {
  const started = performance.now();
  const worker = new Worker(new URL('./flip-reads-worker.js', import.meta.url), { workerData: input });
  const problems = new Map<number, string | null>();
  let current: number | null = null;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void worker.terminate();
      resolve({ problems, hung: current ?? -1, ms: performance.now() - started });
    }, limitMs);
    worker.on('message', (m: { start?: number; bit?: number; problem?: string | null; done?: boolean }) => {
      if (m.start !== undefined) current = m.start;
      else if (m.bit !== undefined) {
        problems.set(m.bit, m.problem ?? null);
        current = null;
      } else if (m.done) {
        clearTimeout(timer);
        void worker.terminate();
        resolve({ problems, hung: null, ms: performance.now() - started });
      }
    });
    worker.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}
