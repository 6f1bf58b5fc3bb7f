/**
 * The empirical CDF charts of a job (`dtmc plot`, written beside output/plot.ts's charts):
 *   <job>-ecdf.svg/.png/.vl.json   F(x) of J and of the per-device latency, one curve per sweep point
 *   <job>-tail.svg/.png/.vl.json   the same as the tail 1 - F(x) on a log axis (down to 1 / n)
 * Each curve joins the exact order statistics output/tails.ts samples (X_(r) at F = r / n: 201
 * evenly spaced p and 10 per decade of the tail), over the solved realisations (the latency: their
 * M devices pooled). Colours cycle through a palette of 10 and the dash changes with each round,
 * so more than 10 points stay apart; the legend draws opaque strokes.
 */
import { seriesLabel, type Spec } from './plot.js';
import type { Aggregate } from './aggregate.js';
import type { PointTails, ValueTails } from './tails.js';

/** F(x), or the tail 1 - F(x) on a log axis. */
export type EcdfScale = 'cdf' | 'tail';

const PALETTE = ['#4c78a8', '#f58518', '#e45756', '#72b7b2', '#54a24b', '#eeca3b', '#b279a2', '#ff9da6', '#9d755d', '#79706e'];
const DASHES = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3]];

/** The ECDF chart of a job's aggregate: J and the per-device latency side by side. */
export function ecdfSpec(a: Aggregate, scale: EcdfScale): Spec {
  const keys = a.points.length ? Object.keys(a.points[0].values) : [];
  const drawn = a.tails.filter((t) => t.objectiveMs.n > 0);
  const labels = drawn.map((t) => seriesLabel(a.points[t.point].values, keys));
  const rows = (t: PointTails, of: (t: PointTails) => ValueTails, series: string) =>
    of(t).ecdf.filter((s) => scale === 'cdf' || s.f < 1).map((s) => ({ series, x: s.value, y: scale === 'cdf' ? s.f : 1 - s.f }));
  const series = {
    field: 'series', type: 'nominal' as const, sort: labels, title: keys.length ? 'sweep point' : null,
    legend: { labelLimit: 400, symbolType: 'stroke', symbolStrokeWidth: 3, symbolOpacity: 1 },
  };
  const color = { ...series, scale: { domain: labels, range: labels.map((_, i) => PALETTE[i % PALETTE.length]) } };
  const strokeDash = { ...series, scale: { domain: labels, range: labels.map((_, i) => DASHES[Math.floor(i / PALETTE.length) % DASHES.length]) } };
  const y = scale === 'cdf'
    ? { field: 'y', type: 'quantitative' as const, title: 'F(x) = P(X <= x)', scale: { domain: [0, 1] } }
    : { field: 'y', type: 'quantitative' as const, title: '1 - F(x) = P(X > x), log', scale: { type: 'log' as const } };
  const panel = (of: (t: PointTails) => ValueTails, title: string) => ({
    width: 380, height: 300,
    data: { values: drawn.flatMap((t, i) => rows(t, of, labels[i])) },
    mark: { type: 'line' as const, strokeWidth: 1.5, clip: true },
    encoding: { x: { field: 'x', type: 'quantitative' as const, title, scale: { zero: false } }, y, color, strokeDash, order: { field: 'x' } },
  });
  const what = scale === 'cdf' ? 'empirical CDF' : 'tail 1 - F (log)';
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${a.job.name}: ${what} over solved realisations, per sweep point`,
    config: { font: 'DejaVu Sans' },
    hconcat: [panel((t) => t.objectiveMs, 'total latency J [ms]'), panel((t) => t.latencyMs, 'per-device latency [ms]')],
  } as Spec;
}
