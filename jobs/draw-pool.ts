/**
 * Drawing realisations on several threads, for the engines that solve a whole batch on one thread
 * (the tensor engine: `solve --batch`, and a job's single GPU worker). Each worker draws a slice
 * into columns (engine/scenario-batch.ts), which travel as a few typed arrays; the slices are
 * joined into one set of columns, so the batch is built in one pass. With 1 thread it draws
 * inline. The realisations are the same either way (each is drawn from its own key).
 */
import { Piscina } from 'piscina';
import type { Problem } from '../engine/problem.js';
import type { Settings } from '../engine/settings.js';
import { drawProblemColumns, problemViews, type ProblemColumns } from '../engine/scenario-batch.js';
import type { DrawTask } from './draw-worker.js';

/** Below this many realisations a slice is not worth a message. */
const MIN_SLICE = 512;

export interface DrawPool {
  threads: number;
  draw(settings: Settings, seed: number, point: number | null, first: number, count: number): Promise<Problem[]>;
  close(): Promise<void>;
}

function join(parts: ProblemColumns[]): ProblemColumns {
  if (parts.length === 1) return parts[0];
  const n = parts.reduce((s, p) => s + p.n, 0);
  const { M, params } = parts[0];
  const out: ProblemColumns = { params, n, M, cPerW: new Float64Array(n * M), cyclesMc: new Float64Array(n * M), bitsKbit: new Float64Array(n * M) };
  let at = 0;
  for (const p of parts) {
    out.cPerW.set(p.cPerW, at);
    out.cyclesMc.set(p.cyclesMc, at);
    out.bitsKbit.set(p.bitsKbit, at);
    at += p.n * M;
  }
  return out;
}

export function createDrawPool(threads: number): DrawPool {
  const inline = (settings: Settings, seed: number, point: number | null, first: number, count: number): Problem[] =>
    problemViews(drawProblemColumns(settings, seed, point, first, count));
  if (threads <= 1) return { threads: 1, draw: async (...a) => inline(...a), close: async () => {} };
  const pool = new Piscina({ filename: new URL('./draw-worker.js', import.meta.url).href, minThreads: threads, maxThreads: threads });
  return {
    threads,
    async draw(settings, seed, point, first, count) {
      if (count < 2 * MIN_SLICE) return inline(settings, seed, point, first, count);
      const size = Math.max(MIN_SLICE, Math.ceil(count / (2 * threads)));
      const tasks: DrawTask[] = [];
      for (let s = 0; s < count; s += size) tasks.push({ settings, seed, point, first: first + s, count: Math.min(size, count - s) });
      const parts = (await Promise.all(tasks.map((t) => pool.run(t)))) as ProblemColumns[];
      // Structured cloning gives each slice its own params object; one shared object again.
      for (const p of parts) p.params = parts[0].params;
      return problemViews(join(parts));
    },
    close: () => pool.destroy(),
  };
}
