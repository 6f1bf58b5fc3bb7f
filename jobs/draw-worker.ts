/** Worker of the draw pool (jobs/draw-pool.ts): draws one slice of realisations into columns. */
import type { Settings } from '../engine/settings.js';
import { drawProblemColumns, type ProblemColumns } from '../engine/scenario-batch.js';

export interface DrawTask {
  settings: Settings;
  seed: number;
  point: number | null;
  first: number;
  count: number;
}

export default function draw(t: DrawTask): ProblemColumns {
  return drawProblemColumns(t.settings, t.seed, t.point, t.first, t.count);
}
