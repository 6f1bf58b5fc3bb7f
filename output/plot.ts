/**
 * `dtmc plot DIR`: charts of a job's summary and convergence as Vega-Lite specs, rendered
 * headless to SVG by Vega and to PNG by resvg (which ships its binary). Files in DIR/plots/:
 *   <job>.svg/.png/.vl.json               mean J against the x parameter, one line per combination of
 *                                          the other swept parameters, with the 95% CI as a band;
 *                                          panels below with the mean offloading portion, and for
 *                                          jobs sweeping method the paired difference from the AO
 *                                          on the same realisations with its 95% CI, if asked
 *   <job>-convergence.svg/.png/.vl.json   mean J per AO iteration (10-90% band) per sweep point, and
 *                                          the histogram of iterations to converge
 * The x parameter and the panels come from the job's "plot" field (default: the last swept
 * parameter, latency only).
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
import type { Aggregate } from './aggregate.js';
import type { PointConvergence } from './convergence.js';

export type Spec = vl.TopLevelSpec;

/** "E_max [mJ]" for eMaxMj: the parameter's symbol and unit. */
export function axisTitle(name: string): string {
  const q = PARAMETERS.find((p) => p.name === name);
  return q ? `${q.symbol} [${q.unit}]` : name;
}

const symbol = (k: string): string => PARAMETERS.find((p) => p.name === k)?.symbol ?? k;
export const seriesLabel = (values: Record<string, number | string>, keys: readonly string[]): string =>
  keys.map((k) => (k === 'method' ? String(values[k]) : `${symbol(k)} = ${values[k]}`)).join(', ') || 'all';

/** The x parameter and the series parameters of a job's plots. */
export function plotAxes(job: FolderJob, sweepColumns: readonly string[]): { x: string; series: string[]; panels: readonly PlotPanel[] } {
  const numeric = sweepColumns.filter((k) => PARAMETERS.some((p) => p.name === k));
  const x = job.plot.x ?? numeric[numeric.length - 1];
  if (x === undefined) fail('invalid-argument', `job ${job.name} sweeps no numeric parameter: nothing to plot against`);
  return { x, series: sweepColumns.filter((k) => k !== x), panels: job.plot.panels ?? ['latency'] };
}

/** The summary chart: one row of data per sweep point, bound into the spec. */
export function summarySpec(a: Aggregate): Spec {
  const columns = Object.keys(a.points[0].values);
  const { x, series, panels } = plotAxes(a.job, columns);
  const values = a.points.filter((p) => p.solved > 0).map((p) => ({
    x: p.values[x], series: seriesLabel(p.values, series), mean: p.objectiveMeanMs,
    lo: p.objectiveMeanMs - p.objectiveCi95Ms, hi: p.objectiveMeanMs + p.objectiveCi95Ms, offload: p.offloadPortionMean, n: p.solved,
    diff: p.vsAoDiffMeanMs, diffLo: p.vsAoDiffMeanMs - p.vsAoDiffCi95Ms, diffHi: p.vsAoDiffMeanMs + p.vsAoDiffCi95Ms,
  }));
  const xEnc = { field: 'x', type: 'quantitative' as const, title: axisTitle(x), scale: { zero: false } };
  const color = { field: 'series', type: 'nominal' as const, title: series.map(symbol).join(', ') || null, legend: { labelLimit: 400 } };
  const panel = (kind: PlotPanel) => (kind === 'latency'
    ? {
      width: 480, height: 300,
      layer: [
        { mark: { type: 'errorband' as const, opacity: 0.25 }, encoding: { x: xEnc, y: { field: 'lo', type: 'quantitative' as const, title: 'total latency J [ms]', scale: { zero: false } }, y2: { field: 'hi' }, color } },
        { mark: { type: 'line' as const, point: true }, encoding: { x: xEnc, y: { field: 'mean', type: 'quantitative' as const, title: 'total latency J [ms]' }, color } },
      ],
    }
    : kind === 'offload'
      ? {
        width: 480, height: 180,
        mark: { type: 'line' as const, point: true, strokeDash: [4, 2] },
        encoding: { x: xEnc, y: { field: 'offload', type: 'quantitative' as const, title: 'mean offloading portion', scale: { zero: false } }, color },
      }
      : {
        width: 480, height: 200,
        transform: [{ filter: 'isFinite(datum.diff)' }],
        layer: [
          { mark: { type: 'errorband' as const, opacity: 0.25 }, encoding: { x: xEnc, y: { field: 'diffLo', type: 'quantitative' as const, title: 'J - J(ao), same realisations [ms]' }, y2: { field: 'diffHi' }, color } },
          { mark: { type: 'line' as const, point: true }, encoding: { x: xEnc, y: { field: 'diff', type: 'quantitative' as const }, color } },
        ],
      });
  const title = a.job.plot.title ?? `${a.job.name}: mean of ${a.job.realisations} realisations per point, 95% CI`;
  const base = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', title, data: { values }, config: { font: 'DejaVu Sans' } };
  return (panels.length === 1 ? { ...base, ...panel(panels[0]) } : { ...base, vconcat: panels.map(panel) }) as Spec;
}

/** The convergence chart: mean J per AO iteration per point, and the histogram of iterations. */
export function convergenceSpec(job: FolderJob, conv: PointConvergence[]): Spec {
  const columns = conv.length ? Object.keys(conv[0].values) : [];
  const lines = conv.flatMap((p) => p.iterations.map((s) => ({
    point: seriesLabel(p.values, columns), iteration: s.iteration, mean: s.meanMs, p10: s.p10Ms, p90: s.p90Ms,
  })));
  const bars = new Map<number, number>();
  for (const p of conv) p.histogram.forEach((count, k) => count && bars.set(k, (bars.get(k) ?? 0) + count));
  const histogram = [...bars.entries()].sort((a, b) => a[0] - b[0]).map(([iterations, rows]) => ({ iterations, rows }));
  const color = { field: 'point', type: 'nominal' as const, title: 'sweep point', scale: { scheme: 'category20' }, legend: { labelLimit: 400 } };
  const x = { field: 'iteration', type: 'quantitative' as const, title: 'AO iteration i', axis: { tickMinStep: 1 } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${job.name}: AO convergence`,
    config: { font: 'DejaVu Sans' },
    hconcat: [
      {
        width: 420, height: 300, data: { values: lines },
        layer: [
          { mark: { type: 'area', opacity: 0.12 }, encoding: { x, y: { field: 'p10', type: 'quantitative', title: 'J(i) [ms]: mean, 10-90% band' }, y2: { field: 'p90' }, color } },
          { mark: { type: 'line', point: true }, encoding: { x, y: { field: 'mean', type: 'quantitative' }, color } },
        ],
      },
      {
        width: 260, height: 300, data: { values: histogram },
        mark: 'bar',
        encoding: { x: { field: 'iterations', type: 'ordinal', title: 'AO iterations to stop', axis: { labelAngle: 0 } }, y: { field: 'rows', type: 'quantitative', title: 'realisations' } },
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
