/**
 * Many consecutive realisations of one sweep point drawn at once into columns: each field
 * [n * M], realisation-major, in model units, with one shared parameter object. The batched
 * engine and the draw pool (jobs/draw-pool.ts) use it; `problemViews` gives the usual Problem
 * objects as views, without copying.
 */
import { modelParams, noisePowerW, type ModelParams, type Problem } from './problem.js';
import { generateScenario } from './scenario.js';
import type { Settings } from './settings.js';
import { bitsToKbit, cyclesToMcycles } from './units.js';

export interface ProblemColumns {
  params: ModelParams;
  n: number;
  M: number;
  /** c = ||h||^2 / (B N0) [1/W], [n * M]. */
  cPerW: Float64Array;
  /** C [Mcycles], [n * M]. */
  cyclesMc: Float64Array;
  /** D [kbit], [n * M]. */
  bitsKbit: Float64Array;
}

/** Realisations first .. first + count - 1 of (seed, point), as toProblem(generateScenario(...)) gives them. */
export function drawProblemColumns(settings: Settings, seed: number, point: number | null, first: number, count: number): ProblemColumns {
  const { M } = settings;
  const n0 = noisePowerW(settings);
  const out: ProblemColumns = {
    params: modelParams(settings), n: count, M,
    cPerW: new Float64Array(count * M), cyclesMc: new Float64Array(count * M), bitsKbit: new Float64Array(count * M),
  };
  for (let i = 0; i < count; i++) {
    const s = generateScenario(settings, { seed, point, realisation: first + i });
    for (let m = 0; m < M; m++) {
      out.cPerW[i * M + m] = s.gain[m] / n0;
      out.cyclesMc[i * M + m] = cyclesToMcycles(s.cycles[m]);
      out.bitsKbit[i * M + m] = bitsToKbit(s.bits[m]);
    }
  }
  return out;
}

/** Rows `rows` of the columns, as columns of their own (copied). */
export function problemRows(c: ProblemColumns, rows: ArrayLike<number>): ProblemColumns {
  const { M } = c;
  const pick = (a: Float64Array): Float64Array => {
    const out = new Float64Array(rows.length * M);
    for (let j = 0; j < rows.length; j++) out.set(a.subarray(rows[j] * M, (rows[j] + 1) * M), j * M);
    return out;
  };
  return { params: c.params, n: rows.length, M, cPerW: pick(c.cPerW), cyclesMc: pick(c.cyclesMc), bitsKbit: pick(c.bitsKbit) };
}

export function problemViews(c: ProblemColumns): Problem[] {
  const { M, params } = c;
  return Array.from({ length: c.n }, (_, i) => ({
    params, cPerW: c.cPerW.subarray(i * M, (i + 1) * M), cyclesMc: c.cyclesMc.subarray(i * M, (i + 1) * M), bitsKbit: c.bitsKbit.subarray(i * M, (i + 1) * M),
  }));
}
