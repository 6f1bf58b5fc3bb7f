/** Tails of a hand-built summary's point: no values read (NaN quantiles, no ECDF, outage 0 of 0). */
import { TAIL_PROBABILITIES, type PointTails, type ValueTails } from '../../output/tails.js';

const none = (): ValueTails => ({ n: 0, quantiles: TAIL_PROBABILITIES.map((p) => ({ p, value: Number.NaN, lower: Number.NaN, upper: Number.NaN })), ecdf: [] });

export const emptyTails = (point: number): PointTails => ({
  point, objectiveMs: none(), latencyMs: none(), outage: { count: 0, rows: 0, estimate: Number.NaN, lower: 0, upper: 1 },
});
