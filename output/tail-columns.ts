/**
 * The summary's columns of the tails (output/tails.ts), appended to output/aggregate.ts's
 * summaryColumns: the outage probability with its Wilson 95% interval, and J's and the
 * per-device latency's p50, p90, p99 and p99.9 with their distribution-free 95% CIs
 * (`objective_p999_ci95_lo_ms`: the lower bound of J's 99.9th percentile). NaN where there is
 * no value (no solved row, or a CI rank outside 1 .. n).
 */
import { Float64, Int32 } from 'apache-arrow';
import { TAIL_PROBABILITIES, type PointTails, type ValueTails } from './tails.js';

export interface TailColumn {
  name: string;
  type: Int32 | Float64;
  values: (p: { point: number }) => number;
}

/** "p999" for 0.999. */
export const percentileName = (p: number): string => `p${String(+(100 * p).toFixed(6)).replace('.', '')}`;

/** The tail columns over the points' tails (indexed by point). */
export function tailColumns(tails: readonly PointTails[]): TailColumn[] {
  const f64 = (name: string, get: (t: PointTails) => number): TailColumn => ({ name, type: new Float64(), values: (p) => get(tails[p.point]) });
  const quantileColumns = (stem: string, of: (t: PointTails) => ValueTails): TailColumn[] => TAIL_PROBABILITIES.flatMap((q, i) => {
    const name = `${stem}_${percentileName(q)}`;
    return [
      f64(`${name}_ms`, (t) => of(t).quantiles[i].value),
      f64(`${name}_ci95_lo_ms`, (t) => of(t).quantiles[i].lower),
      f64(`${name}_ci95_hi_ms`, (t) => of(t).quantiles[i].upper),
    ];
  });
  return [
    { name: 'outage_count', type: new Int32(), values: (p) => tails[p.point].outage.count },
    f64('outage_probability', (t) => t.outage.estimate),
    f64('outage_ci95_lo', (t) => t.outage.lower),
    f64('outage_ci95_hi', (t) => t.outage.upper),
    ...quantileColumns('objective', (t) => t.objectiveMs),
    { name: 'latency_values', type: new Int32(), values: (p) => tails[p.point].latencyMs.n },
    ...quantileColumns('latency', (t) => t.latencyMs),
  ];
}
