/**
 * Worker of `solve --batch` on the float64 path (cli/solve-batch.ts): draws one slice of
 * realisations, each from its own (seed, point, realisation) key as every engine draws them, and
 * solves each with the float64 reference AO solver. Returns the figures the summary needs, one
 * plain row per realisation (small objects: the solves dominate the time, not the transfer).
 */
import { solveAo } from '../engine/ao/solve-ao.js';
import { drawProblemColumns, problemViews } from '../engine/scenario-batch.js';
import type { Settings } from '../engine/settings.js';
import type { BatchRow } from './solve-batch.js';

export interface SliceTask {
  settings: Settings;
  seed: number;
  point: number | null;
  /** Realisations first, first + 1, ..., first + count - 1. */
  first: number;
  count: number;
}

export default function solveSlice(t: SliceTask): BatchRow[] {
  return problemViews(drawProblemColumns(t.settings, t.seed, t.point, t.first, t.count)).map((p) => {
    const r = solveAo(p);
    return {
      status: r.status, iterations: r.iterations, objectiveMs: r.objectiveMs, maxViolation: r.maxViolation,
      sp3Calls: r.sp3.calls, sp3Certified: r.sp3.certified, jointSteps: r.joint?.steps ?? 0,
    };
  });
}
