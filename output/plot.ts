/**
 * `dtmc plot DIR`: charts of a job's summary and convergence as Vega-Lite specs, rendered
 * headless to SVG by Vega and to PNG by resvg (which ships its binary). Files in DIR/plots/:
 *   <job>.svg/.png/.vl.json               mean J against the x parameter, one line per combination of
 *                                          the other swept parameters, with the 95% CI as a band;
 *                                          panels below with the mean offloading portion, and for
 *                                          jobs sweeping method the paired difference from the AO
 *                                          on the same realisations with its 95% CI, if asked
 *   <job>-convergence.svg/.png/.vl.json   mean J per AO iteration (10-90% band) per sweep point (one
 *                                          small chart each past CONVERGENCE_OVERLAY points), and
 *                                          below, per sweep point, the histogram of iterations to
 *                                          stop (every count between the least and most seen)
 * The x parameter and the panels come from the job's "plot" field (default: the last swept numeric
 * parameter, latency only); a text x (method) is a nominal axis with points and CI rules. A chart
 * that cannot be drawn (plot.x not swept, a panel with nothing to show) is an error, not an empty
 * chart. Lines carry a point at each x where the sweep is sparse (SPARSE_X values or fewer); two
 * x values are points with CI rules and a subtitle saying why, not a line. Series colours and
 * dashes: output/plot-series.ts; in a chart of baselines the AO's line is drawn last, dashed, and
 * in any panel a series whose line lies on an earlier one's is drawn last, dashed, and named.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { Resvg } from '@resvg/resvg-js';
import { fail } from '../engine/errors.js';
import { PARAMETERS } from '../engine/settings.js';
import { plotsDir, type FolderJob } from './job-folder.js';
import type { PlotPanel } from './plot-settings.js';
import { COINCIDE_DASH, coincidentSeries, DASHED_LEGEND, seriesScales } from './plot-series.js';
import type { Aggregate } from './aggregate.js';
import type { PointConvergence } from './convergence.js';

export type Spec = vl.TopLevelSpec;

/** "E_max [mJ]" for eMaxMj: the parameter's symbol and unit. */
export function axisTitle(name: string): string {
  const q = PARAMETERS.find((p) => p.name === name);
  return q ? `${q.symbol} [${q.unit}]` : name;
}

const symbol = (k: string): string => PARAMETERS.find((p) => p.name === k)?.symbol ?? k;
/** Legends: opaque swatches (a band's 25% opacity would otherwise carry into them), long labels whole. */
const LEGEND = { labelLimit: 1000, titleLimit: 1000, symbolOpacity: 1 };
/** A sweep with at most this many x values is sparse: its lines carry a point at each value. */
export const SPARSE_X = 6;
export const seriesLabel = (values: Record<string, number | string>, keys: readonly string[]): string =>
  keys.map((k) => (k === 'method' ? String(values[k]) : `${symbol(k)} = ${values[k]}`)).join(', ') || 'all';

/**
 * The x parameter and the series parameters of a job's plots: `plot.x`, or the last swept numeric
 * parameter, or else the last swept parameter (a text one, such as method). An error naming the
 * field when there is none or `plot.x` is not swept.
 */
export function plotAxes(job: FolderJob, sweepColumns: readonly string[]): { x: string; series: string[]; panels: readonly PlotPanel[] } {
  const numeric = sweepColumns.filter((k) => PARAMETERS.some((p) => p.name === k));
  if (job.plot.x !== undefined && !sweepColumns.includes(job.plot.x)) {
    fail('invalid-argument', `job ${job.name}: plot.x must be one of the swept parameters (${sweepColumns.join(', ') || 'none'}), got "${job.plot.x}"`);
  }
  const x = job.plot.x ?? numeric[numeric.length - 1] ?? sweepColumns[sweepColumns.length - 1];
  if (x === undefined) fail('invalid-argument', `job ${job.name} sweeps no parameter: nothing to plot against (job.sweep is empty)`);
  return { x, series: sweepColumns.filter((k) => k !== x), panels: job.plot.panels ?? ['latency'] };
}

type Field = 'mean' | 'lo' | 'hi' | 'offload' | 'diff' | 'diffLo' | 'diffHi';

/**
 * The summary chart: one row of data per sweep point, bound into the spec. A numeric x is a
 * quantitative axis with lines and CI bands; a text x (method) is a nominal axis in sweep order
 * with a point per value and its CI as a rule, no line (series side by side). An error naming
 * the field when a panel would be empty: `plot.panels` asks for offload and every device is
 * cached everywhere, or for vs-ao and no point has an AO to pair with; or no point is solved.
 */
export function summarySpec(a: Aggregate): Spec {
  const columns = Object.keys(a.points[0].values);
  const { x, series, panels } = plotAxes(a.job, columns);
  const values = a.points.filter((p) => p.solved > 0).map((p) => ({
    x: p.values[x], series: seriesLabel(p.values, series), mean: p.objectiveMeanMs,
    lo: p.objectiveMeanMs - p.objectiveCi95Ms, hi: p.objectiveMeanMs + p.objectiveCi95Ms, offload: p.offloadPortionMean, n: p.solved,
    diff: p.vsAoDiffMeanMs, diffLo: p.vsAoDiffMeanMs - p.vsAoDiffCi95Ms, diffHi: p.vsAoDiffMeanMs + p.vsAoDiffCi95Ms,
    onTop: series.includes('method') && p.values.method === 'ao',
  }));
  if (!values.length) fail('invalid-argument', `job ${a.job.name}: no point has a solved realisation, nothing to plot`);
  if (panels.includes('offload') && !values.some((v) => Number.isFinite(v.offload))) {
    fail('invalid-argument', `job ${a.job.name}: plot.panels asks for offload, but every device is cached at every point (no offloading portion): nothing to draw`);
  }
  if (panels.includes('vs-ao') && !values.some((v) => Number.isFinite(v.diff))) {
    fail('invalid-argument', `job ${a.job.name}: plot.panels asks for vs-ao, but no point has an AO point to pair with (sweep method with "ao" among its values)`);
  }
  const nominal = typeof values[0].x === 'string';
  const xCount = new Set(values.map((v) => v.x)).size;
  // Two x values (or text values) are points with their CI, no line: a line would read as a linear trend.
  const pointsOnly = nominal || xCount <= 2;
  const xEnc = nominal
    ? { field: 'x', type: 'nominal' as const, title: axisTitle(x), sort: null, axis: { labelAngle: 0 } }
    : { field: 'x', type: 'quantitative' as const, title: axisTitle(x), scale: { zero: false, ...(pointsOnly ? { padding: 24 } : {}) } };
  // Side by side at each text value, one slot per series.
  const offset = nominal && series.length ? { xOffset: { field: 'series', type: 'nominal' as const } } : {};
  const labels = [...new Set(values.map((v) => v.series))];
  const fastest = series.length ? new Set(a.points.map((p) => p.values[series[series.length - 1]])).size : 0;
  const scales = seriesScales(labels, fastest, new Set(values.filter((v) => v.onTop).map((v) => v.series)));
  const legendTitle = series.map(axisTitle).join(', ') || null;
  const legend = { ...LEGEND, ...(scales.dashed && !pointsOnly ? DASHED_LEGEND : {}) };
  const color = { field: 'series', type: 'nominal' as const, title: legendTitle, scale: scales.color, legend };
  const strokeDash = { field: 'series', type: 'nominal' as const, title: legendTitle, scale: scales.strokeDash, legend };
  // J and the offloading portion on a scale fitted to the data; the difference to the AO keeps 0 in view.
  const y = (field: Field, title?: string) => ({ field, type: 'quantitative' as const, title, scale: { zero: field.startsWith('diff') } });
  // Lines of a sparse sweep carry a point at each x.
  const lineMark = { type: 'line' as const, point: xCount <= SPARSE_X ? { filled: true } : false };
  /**
   * Series whose line lies on an earlier one's in a panel, among the AO's (`onTop`) and among the
   * others apart: an AO line on a baseline's is dashed on top already, but two AO lines (or two
   * baselines) on one another would hide each other.
   */
  const coincident = (mid: Field): Set<string> => new Set([false, true].flatMap((top) => [...coincidentSeries(
    values.filter((v) => v.onTop === top).map((v) => ({ series: v.series, x: v.x, y: v[mid] })),
    labels.filter((l) => values.some((v) => v.onTop === top && v.series === l)),
  )]));
  /**
   * Lines of the series: those `onTop` (the AO) drawn after the others so a baseline on the same
   * values does not hide them; then, dashed, any series whose line lies on an earlier one's in
   * this panel (plot-series.ts `coincidentSeries`), so that both show.
   */
  const lines = (mid: Field, title?: string) => {
    const hidden = coincident(mid);
    const drawn = (v: (typeof values)[number]): number => (hidden.has(v.series) ? 2 : v.onTop ? 1 : 0);
    return [0, 1, 2].filter((layer) => values.some((v) => drawn(v) === layer)).map((layer) => ({
      transform: [{ filter: { field: 'series', oneOf: labels.filter((l) => drawn(values.find((v) => v.series === l)!) === layer) } }],
      mark: lineMark,
      encoding: { x: xEnc, y: y(mid, title), color, strokeDash: layer === 2 ? { value: [...COINCIDE_DASH] } : strokeDash },
    }));
  };
  /** A panel's note naming the series drawn dashed because they lie on an earlier one. */
  const coincideNote = (mid: Field): { title?: { text: string[]; fontSize: number; fontWeight: 'normal'; anchor: 'start' } } => {
    const hidden = [...coincident(mid)];
    // A line per series, so that the note stays within the panel's width.
    return pointsOnly || !hidden.length ? {} : { title: { text: ['dashed, on an earlier series\' line:', ...hidden], fontSize: 11, fontWeight: 'normal', anchor: 'start' } };
  };
  /** The centre line (or points) with its 95% CI as a band (or rules). */
  const withInterval = (mid: Field, lo: Field, hi: Field, title: string) => (pointsOnly
    ? [
      { mark: { type: 'rule' as const }, encoding: { x: xEnc, ...offset, y: y(lo, title), y2: { field: hi }, color } },
      { mark: { type: 'point' as const, filled: true, size: 60 }, encoding: { x: xEnc, ...offset, y: y(mid, title), color } },
    ]
    : [{ mark: { type: 'errorband' as const, opacity: 0.25 }, encoding: { x: xEnc, y: y(lo, title), y2: { field: hi }, color } }, ...lines(mid, title)]);
  const panel = (kind: PlotPanel) => (kind === 'latency'
    ? { width: 480, height: 300, ...coincideNote('mean'), layer: withInterval('mean', 'lo', 'hi', 'total latency J [ms]') }
    : kind === 'offload'
      ? {
        width: 480, height: 180, ...coincideNote('offload'),
        layer: pointsOnly
          ? [{ mark: { type: 'point' as const, filled: true, size: 60 }, encoding: { x: xEnc, ...offset, y: y('offload', 'mean offloading portion [-]'), color } }]
          : lines('offload', 'mean offloading portion [-]'),
      }
      : {
        width: 480, height: 200, ...coincideNote('diff'),
        transform: [{ filter: 'isFinite(datum.diff)' }],
        layer: withInterval('diff', 'diffLo', 'diffHi', 'J - J(ao), same realisations [ms]'),
      });
  const title = {
    text: a.job.plot.title ?? `${a.job.name}: mean of ${a.job.realisations} realisations per point, 95% CI`,
    ...(!nominal && xCount <= 2 ? { subtitle: `${xCount} value(s) of ${axisTitle(x)}: points with their 95% CI, no line (too few to show a trend)` } : {}),
  };
  const base = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', title, data: { values }, config: { font: 'DejaVu Sans' } };
  return (panels.length === 1 ? { ...base, ...panel(panels[0]) } : { ...base, vconcat: panels.map(panel) }) as Spec;
}

/** Most sweep points whose convergence curves share one chart (more: one small chart each). */
export const CONVERGENCE_OVERLAY = 4;

/**
 * The convergence chart: mean J per AO iteration per point (10-90% band; one small chart per
 * point past CONVERGENCE_OVERLAY points), and below it the
 * histogram of iterations to stop, one small chart per sweep point, each with every iteration
 * count from the least to the most seen on its axis (empty counts drawn as 0).
 */
export function convergenceSpec(job: FolderJob, conv: PointConvergence[]): Spec {
  const columns = conv.length ? Object.keys(conv[0].values) : [];
  const labels = conv.map((p) => seriesLabel(p.values, columns));
  const lines = conv.flatMap((p, i) => p.iterations.map((s) => ({
    point: labels[i], iteration: s.iteration, mean: s.meanMs, p10: s.p10Ms, p90: s.p90Ms,
  })));
  const seen = conv.flatMap((p) => p.histogram.flatMap((count, k) => (count ? [k] : [])));
  const counts = seen.length ? Array.from({ length: Math.max(...seen) - Math.min(...seen) + 1 }, (_, i) => Math.min(...seen) + i) : [];
  const histogram = conv.flatMap((p, i) => counts.map((k) => ({ point: labels[i], iterations: k, rows: p.histogram[k] ?? 0 })));
  const fastest = columns.length ? new Set(conv.map((p) => p.values[columns[columns.length - 1]])).size : 0;
  const scales = seriesScales(labels, fastest);
  const legendTitle = columns.length ? `sweep point: ${columns.map(axisTitle).join(', ')}` : 'sweep point';
  const legend = { ...LEGEND, ...(scales.dashed ? DASHED_LEGEND : {}) };
  const color = { field: 'point', type: 'nominal' as const, title: legendTitle, scale: scales.color, legend };
  const strokeDash = { field: 'point', type: 'nominal' as const, title: legendTitle, scale: scales.strokeDash, legend };
  const x = { field: 'iteration', type: 'quantitative' as const, title: 'AO iteration i', axis: { tickMinStep: 1 } };
  const longest = conv.reduce((n, p) => Math.max(n, p.iterations.length), 0);
  const long = labels.some((l) => l.length > 28);
  const gridColumns = Math.min(labels.length, long ? 3 : 4);
  const cellWidth = long ? 260 : 150;
  const overlay = labels.length <= CONVERGENCE_OVERLAY;
  const curves = [
    {
      mark: { type: 'area', opacity: overlay ? 0.12 : 0.25 },
      encoding: { x, y: { field: 'p10', type: 'quantitative', title: overlay ? 'J(i) [ms]: mean, 10-90% band' : 'J(i) [ms]', scale: { zero: false } }, y2: { field: 'p90' }, color },
    },
    { mark: { type: 'line', point: longest <= SPARSE_X ? { filled: true } : false }, encoding: { x, y: { field: 'mean', type: 'quantitative' }, color, strokeDash } },
  ];
  // Up to CONVERGENCE_OVERLAY points share one chart; more are drawn one small chart each (their
  // bands would blend into one), on a shared y scale, in the histogram's grid.
  const top = overlay
    ? { width: 560, height: 300, data: { values: lines }, layer: curves }
    : {
      data: { values: lines },
      facet: { field: 'point', type: 'nominal', title: 'mean J per AO iteration with its 10-90% band, per sweep point', sort: labels, header: { labelLimit: 0 } },
      columns: gridColumns,
      spec: { width: cellWidth, height: 110, layer: curves },
    };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${job.name}: AO convergence`,
    config: { font: 'DejaVu Sans' },
    vconcat: [
      top,
      {
        data: { values: histogram },
        // Headers whole (headless Vega measures text by estimate and would cut long labels short);
        // fewer columns where labels are long, so that neighbours do not overlap.
        facet: { field: 'point', type: 'nominal', title: 'realisations by AO iterations to stop, per sweep point', sort: labels, header: { labelLimit: 0 } },
        columns: gridColumns,
        spec: {
          width: cellWidth, height: 90, mark: 'bar',
          encoding: {
            x: { field: 'iterations', type: 'ordinal', title: 'AO iterations to stop', scale: { domain: counts }, axis: { labelAngle: 0 } },
            y: { field: 'rows', type: 'quantitative', title: 'realisations' },
            color,
          },
        },
      },
    ],
  } as Spec;
}

/** SVG of a Vega-Lite spec (headless: no canvas, no browser). */
export async function renderSvg(spec: Spec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** PNG of an SVG at `scale` times its size. */
export function renderPng(svg: string, scale = 2): Buffer {
  return new Resvg(svg, { fitTo: { mode: 'zoom', value: scale }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng();
}

/** Writes <stem>.svg, <stem>.png and <stem>.vl.json into DIR/plots; returns the paths. */
export async function writeChart(outDir: string, stem: string, spec: Spec): Promise<string[]> {
  const dir = plotsDir(outDir);
  mkdirSync(dir, { recursive: true });
  const svg = await renderSvg(spec);
  const paths = [join(dir, `${stem}.svg`), join(dir, `${stem}.png`), join(dir, `${stem}.vl.json`)];
  writeFileSync(paths[0], svg);
  writeFileSync(paths[1], renderPng(svg));
  writeFileSync(paths[2], `${JSON.stringify(spec, null, 2)}\n`);
  return paths;
}
