import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { aggregate, type Aggregate, type PointSummary } from '../../output/aggregate.js';
import { convergence } from '../../output/convergence.js';
import { CONVERGENCE_OVERLAY, convergenceSpec, summarySpec, SPARSE_X, type Spec } from '../../output/plot.js';
import { COINCIDE_DASH, COINCIDE_SHARE, coincidentSeries, DASHES, ON_TOP_DASH, PALETTE, seriesScales } from '../../output/plot-series.js';
import type { PointConvergence } from '../../output/convergence.js';
import { openJobFolder } from '../../output/job-folder.js';
import { JOB_FORMAT } from '../../jobs/job-file.js';
import { dtmc, tempDir, writeJob } from '../helpers/job-runs.js';
import { emptyTails } from '../helpers/empty-tails.js';

const JOB = {
  name: 'plotted', seed: 9, realisations: 16, base: { M: 6 }, chunkSize: 8, workers: 2,
  sweep: { sMaxKbit: [0, 30], eMaxMj: [1, 3] }, plot: { x: 'eMaxMj', panels: ['latency', 'offload'] },
};

type SceneItem = { datum?: Record<string, unknown>; opacity?: number; items?: SceneMark[] };
type SceneMark = { name?: string; role?: string; items?: SceneItem[] };

/** The items of every mark of the rendered chart (Vega's scenegraph) that `pick` selects. */
async function sceneItems(spec: Spec, pick: (mark: SceneMark) => boolean): Promise<SceneItem[]> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  await view.runAsync();
  const found: SceneItem[] = [];
  const walk = (mark: SceneMark): void => {
    if (pick(mark)) found.push(...(mark.items ?? []));
    for (const item of mark.items ?? []) for (const child of item.items ?? []) walk(child);
  };
  walk((view.scenegraph() as unknown as { root: SceneMark }).root);
  view.finalize();
  return found;
}

/** The data of every item of the compiled chart's mark `name` (e.g. concat_0_layer_1_marks), as Vega drew them. */
const drawn = async (spec: Spec, name: string): Promise<Record<string, unknown>[]> =>
  (await sceneItems(spec, (m) => m.name === name)).map((i) => i.datum!);

/** Every mark type of a Vega-Lite spec, through layers and concatenations. */
const markTypes = (spec: Record<string, unknown>): string[] => [
  ...(spec.mark ? [typeof spec.mark === 'string' ? spec.mark : (spec.mark as { type: string }).type] : []),
  ...['layer', 'vconcat', 'hconcat'].flatMap((k) => ((spec[k] as Record<string, unknown>[] | undefined) ?? []).flatMap(markTypes)),
];

/** Width and height of a PNG from its IHDR chunk. */
const pngSize = (png: Buffer): [number, number] => [png.readUInt32BE(16), png.readUInt32BE(20)];

test('plot writes valid SVG and PNG whose bound data are the summary\'s numbers', () => {
  const dir = tempDir('plot');
  const out = join(dir, 'out');
  assert.is(dtmc(['run', writeJob(dir, JOB), '--out', out]).status, 0);
  const r = dtmc(['plot', out]);
  assert.is(r.status, 0, r.stderr);
  for (const stem of ['plotted', 'plotted-convergence']) {
    const svg = readFileSync(join(out, 'plots', `${stem}.svg`), 'utf8');
    assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg, /<\/svg>\s*$/);
    const width = Number(/width="(\d+(?:\.\d+)?)"/.exec(svg)![1]);
    const height = Number(/height="(\d+(?:\.\d+)?)"/.exec(svg)![1]);
    const png = readFileSync(join(out, 'plots', `${stem}.png`));
    assert.equal([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${stem}.png signature`);
    assert.equal(pngSize(png), [Math.round(2 * width), Math.round(2 * height)], `${stem}.png is the SVG at twice its size`);
  }
  // The data bound into the chart are the summary's numbers, point by point.
  const a = aggregate(openJobFolder(out, JOB_FORMAT));
  const spec = JSON.parse(readFileSync(join(out, 'plots', 'plotted.vl.json'), 'utf8'));
  assert.equal(spec, JSON.parse(JSON.stringify(summarySpec(a))));
  const values = spec.data.values as { x: number; series: string; mean: number; lo: number; hi: number; offload: number }[];
  assert.is(values.length, 4);
  a.points.forEach((p, i) => {
    assert.is(values[i].x, p.values.eMaxMj);
    assert.is(values[i].series, `Smax = ${p.values.sMaxKbit}`);
    assert.is(values[i].mean, p.objectiveMeanMs);
    assert.ok(Math.abs(values[i].hi - values[i].lo - 2 * p.objectiveCi95Ms) < 1e-12);
    assert.is(values[i].offload, p.offloadPortionMean);
  });
  assert.is(spec.vconcat.length, 2, 'latency and offload panels');
  assert.is(spec.vconcat[0].layer[1].encoding.x.title, 'Emax [mJ]');
  // Convergence: J(0) of each point is the mean of the traces' first entries.
  const conv = convergence(openJobFolder(out, JOB_FORMAT));
  const cspec = convergenceSpec(a.job, conv) as unknown as { vconcat: { data: { values: { iteration: number; mean: number; rows: number }[] } }[] };
  const first = cspec.vconcat[0].data.values.filter((v) => v.iteration === 0);
  assert.is(first.length, 4);
  const rows = cspec.vconcat[1].data.values.reduce((s, v) => s + v.rows, 0);
  assert.is(rows, a.points.reduce((s, p) => s + p.solved, 0), 'the histogram counts every solved realisation once');
});

test('a sweep over method with plot.x = method draws a point per method on a nominal axis, bound to the summary', async () => {
  const dir = tempDir('plot-method');
  const out = join(dir, 'out');
  const job = {
    name: 'methods', seed: 4, realisations: 6, base: { M: 6, sMaxKbit: 0 }, chunkSize: 6, workers: 1,
    sweep: { method: ['ao', 'offload-all', 'local-all'] }, plot: { x: 'method', panels: ['latency', 'offload', 'vs-ao'] },
  };
  assert.is(dtmc(['run', writeJob(dir, job), '--out', out]).status, 0);
  const r = dtmc(['plot', out]);
  assert.is(r.status, 0, r.stderr);
  const a = aggregate(openJobFolder(out, JOB_FORMAT));
  const spec = JSON.parse(readFileSync(join(out, 'plots', 'methods.vl.json'), 'utf8'));
  for (const panel of spec.vconcat) {
    const layers = panel.layer ?? [panel];
    for (const l of layers) assert.is(l.encoding.x.type, 'nominal');
  }
  assert.not.ok(markTypes(spec).some((m) => m === 'line' || m === 'errorband'), `marks: ${markTypes(spec)}`);
  const latency = await drawn(spec, 'concat_0_layer_1_marks');
  assert.equal(latency.map((d) => d.x), ['ao', 'offload-all', 'local-all']);
  assert.equal(latency.map((d) => d.mean), a.points.map((p) => p.objectiveMeanMs));
  const offload = await drawn(spec, 'concat_1_layer_0_marks');
  assert.equal(offload.map((d) => d.offload), a.points.map((p) => p.offloadPortionMean));
  assert.ok(offload.every((d) => Number.isFinite(d.offload)), 'Smax = 0: something is offloaded');
  const diff = await drawn(spec, 'concat_2_layer_1_marks');
  assert.equal(diff.map((d) => d.x), ['offload-all', 'local-all'], 'the AO is not paired with itself');
  assert.equal(diff.map((d) => d.diff), a.points.slice(1).map((p) => p.vsAoDiffMeanMs));
});

/** A summary built by hand: points over `values`, every one solved unless `solved` says. */
function handAggregate(plot: Aggregate['job']['plot'], values: Record<string, number | string>[], offload = 0.5): Aggregate {
  const point = (v: Record<string, number | string>, i: number): PointSummary => ({
    point: i, values: v, expected: 4, rows: 4, complete: true, solved: 4, feasibleFraction: 1,
    objectiveMeanMs: 10 + i, objectiveSdMs: 1, objectiveCi95Ms: 1.5, objectiveExactMeanMs: 10 + i,
    statuses: { converged: 4, 'max-iterations': 0, infeasible: 0, 'numerical-failure': 0 },
    iterationsMean: 3, offloadPortionMean: offload, cachedMean: 1,
    beatsAoFraction: Number.NaN, vsAoDiffMeanMs: Number.NaN, vsAoDiffCi95Ms: Number.NaN, vsAoDiffPercent: Number.NaN,
  });
  const keys = Object.keys(values[0]);
  return {
    job: { name: 'hand', realisations: 4, sweep: Object.fromEntries(keys.map((k) => [k, [...new Set(values.map((v) => v[k]))]])), plot },
    jobHash: 'h', points: values.map(point), missing: [], failed: [], corrupt: [], tails: values.map((_, i) => emptyTails(i)),
  };
}

test('a plot that cannot be drawn is an error naming the field, not an empty chart', () => {
  const throwsNaming = (a: Aggregate, pattern: RegExp): void => {
    try {
      summarySpec(a);
    } catch (e) {
      assert.match((e as Error).message, pattern);
      return;
    }
    assert.unreachable(`no error for ${JSON.stringify(a.job.plot)}`);
  };
  const sweep = [{ eMaxMj: 1 }, { eMaxMj: 2 }];
  throwsNaming(handAggregate({ x: 'fEsMaxGHz' }, sweep), /plot\.x must be one of the swept parameters \(eMaxMj\), got "fEsMaxGHz"/);
  throwsNaming(handAggregate({ panels: ['latency', 'vs-ao'] }, sweep), /plot\.panels asks for vs-ao, but no point has an AO point to pair with/);
  throwsNaming(handAggregate({ panels: ['offload'] }, sweep, Number.NaN), /plot\.panels asks for offload, but every device is cached/);
  const unsolved = handAggregate({}, sweep);
  for (const p of unsolved.points) p.solved = 0;
  throwsNaming(unsolved, /no point has a solved realisation/);
  // Drawable: the same sweep with the default panel.
  assert.is((summarySpec(handAggregate({}, sweep)) as { data: { values: unknown[] } }).data.values.length, 2);
});

test('legends show opaque swatches and the series parameters with their units', async () => {
  const a = handAggregate({ x: 'eMaxMj' }, [{ sMaxKbit: 0, eMaxMj: 1 }, { sMaxKbit: 0, eMaxMj: 2 }, { sMaxKbit: 30, eMaxMj: 1 }, { sMaxKbit: 30, eMaxMj: 2 }]);
  const trace = (meanMs: number) => ({ iteration: 0, meanMs, sdMs: 1, p10Ms: meanMs - 1, p90Ms: meanMs + 1 });
  const conv = a.points.map((p) => ({ point: p.point, values: p.values, iterations: [trace(12), { ...trace(10), iteration: 1 }], histogram: [0, 4] }));
  for (const [spec, title] of [[summarySpec(a), 'Smax [kbit]'], [convergenceSpec(a.job, conv), 'sweep point: Smax [kbit], Emax [mJ]']] as const) {
    const swatches = await sceneItems(spec, (m) => m.role === 'legend-symbol');
    assert.ok(swatches.length >= 2, `${swatches.length} legend swatches`);
    for (const s of swatches) assert.is(s.opacity, 1, 'swatch opacity');
    const legendTitles = (await sceneItems(spec, (m) => m.role === 'legend-title')).map((i) => (i as { text?: string }).text);
    assert.equal(legendTitles, [title]);
  }
});

/** A convergence built by hand: two iterations per point, and the given histogram. */
const handConvergence = (a: Aggregate, histograms: number[][]): PointConvergence[] => a.points.map((p, i) => ({
  point: p.point, values: p.values, histogram: histograms[i % histograms.length],
  iterations: [0, 1].map((k) => ({ iteration: k, meanMs: 12 - k, sdMs: 1, p10Ms: 11 - k, p90Ms: 13 - k })),
}));

test('the iterations histogram is drawn per sweep point, with every count from the least to the most on its axis', async () => {
  const a = handAggregate({}, [{ eMaxMj: 1 }, { eMaxMj: 2 }]);
  // Point 0 stopped after 2 or 5 iterations, point 1 after 3: counts 2..5 on every axis, 4 never seen.
  const spec = convergenceSpec(a.job, handConvergence(a, [[0, 0, 3, 0, 0, 1], [0, 0, 0, 2]])) as unknown as { vconcat: Record<string, never>[] };
  const hist = spec.vconcat[1] as unknown as { facet: { field: string }; spec: { encoding: { x: { scale: { domain: number[] } } } } };
  assert.is(hist.facet.field, 'point');
  assert.equal(hist.spec.encoding.x.scale.domain, [2, 3, 4, 5]);
  const bars = (await sceneItems(spec as unknown as Spec, (m) => (m as { marktype?: string }).marktype === 'rect' && m.role === 'mark')).map((i) => i.datum!);
  assert.equal(bars.map((d) => [d.point, d.iterations, d.rows]), [
    ['Emax = 1', 2, 3], ['Emax = 1', 3, 0], ['Emax = 1', 4, 0], ['Emax = 1', 5, 1],
    ['Emax = 2', 2, 0], ['Emax = 2', 3, 2], ['Emax = 2', 4, 0], ['Emax = 2', 5, 0],
  ]);
  // One x axis per facet, each with all four counts.
  const axisLabels = await sceneItems(spec as unknown as Spec, (m) => m.role === 'axis-label');
  assert.ok(axisLabels.filter((l) => (l as { text?: string }).text === '4').length >= 2, 'count 4 (never seen) is on every histogram axis');
});

test('a sparse sweep marks its points; two x values are points with CIs and a note, not a line', () => {
  const lineOf = (spec: Spec) => (spec as unknown as { layer: { mark: { type: string; point?: unknown } }[] }).layer.map((l) => l.mark);
  const sweep = (n: number) => Array.from({ length: n }, (_, i) => ({ eMaxMj: i + 1 }));
  const two = summarySpec(handAggregate({}, sweep(2))) as unknown as { title: { subtitle: string } };
  assert.equal(lineOf(two as unknown as Spec).map((m) => m.type), ['rule', 'point']);
  assert.match(two.title.subtitle, /2 value\(s\) of Emax \[mJ\]: points with their 95% CI, no line/);
  const sparse = lineOf(summarySpec(handAggregate({}, sweep(SPARSE_X))));
  assert.equal(sparse.map((m) => m.type), ['errorband', 'line']);
  assert.equal(sparse[1].point, { filled: true }, `${SPARSE_X} x values: a point at each`);
  const dense = lineOf(summarySpec(handAggregate({}, sweep(SPARSE_X + 1))));
  assert.is(dense[1].point, false, `${SPARSE_X + 1} x values: a line alone`);
  assert.is((summarySpec(handAggregate({}, sweep(3))) as unknown as { title: { subtitle?: string } }).title.subtitle, undefined);
});

test('in a chart of baselines the AO is drawn last and dashed, so offload-all on the same values does not hide it', async () => {
  const methods = ['ao', 'no-cache', 'offload-all'];
  const a = handAggregate({ x: 'fEsMaxGHz' }, methods.flatMap((method) => [30, 34, 38].map((f) => ({ method, fEsMaxGHz: f }))));
  for (const p of a.points) p.objectiveMeanMs = p.values.method === 'no-cache' ? 20 : 10; // the AO and offload-all coincide
  const spec = summarySpec(a);
  const layers = (spec as unknown as { layer: { mark: { type: string } }[] }).layer;
  assert.equal(layers.map((l) => l.mark.type), ['errorband', 'line', 'line']);
  // Vega draws a layer's marks after those of the layers before it: layer 2 lies on top.
  const lines = [];
  for (const name of ['layer_1_layer_0_marks', 'layer_2_layer_0_marks']) lines.push((await drawn(spec, name)).map((d) => d.series));
  assert.ok(lines[0].length === 6 && !lines[0].includes('ao'), `under: ${lines[0]}`);
  assert.equal(lines[1], ['ao', 'ao', 'ao'], 'the AO alone, on top');
  const dashes = (await sceneItems(spec, (m) => m.name === 'layer_2_layer_0_marks')).map((i) => (i as { strokeDash?: number[] }).strokeDash);
  assert.equal(dashes[0], [...ON_TOP_DASH], 'the AO is dashed: offload-all shows through its gaps');
  const under = (await sceneItems(spec, (m) => m.name === 'layer_1_layer_0_marks')).map((i) => (i as { strokeDash?: number[] }).strokeDash);
  for (const d of under) assert.equal(d, [...DASHES[0]], 'the baselines are solid');
});

test('a series whose line lies on an earlier one is drawn last, dashed, and named in its panel', async () => {
  // Fig. 3's case: the offloading portion is the same at both deltas, J is not.
  const a = handAggregate({ x: 'fEsMaxGHz', panels: ['latency', 'offload'] }, [0, 0.02].flatMap((d) => [30, 34, 38].map((f) => ({ deltaUe: d, fEsMaxGHz: f }))));
  a.points.forEach((p) => (p.offloadPortionMean = 0.9 + (p.values.fEsMaxGHz as number) / 1000));
  const spec = summarySpec(a) as unknown as { vconcat: { title?: { text: string[] }; layer: { mark: { type: string } }[] }[] };
  const [latency, offload] = spec.vconcat;
  assert.is(latency.title, undefined, 'the J lines differ: no note');
  assert.equal(latency.layer.map((l) => l.mark.type), ['errorband', 'line']);
  assert.equal(offload.layer.map((l) => l.mark.type), ['line', 'line']);
  assert.equal(offload.title!.text, ["dashed, on an earlier series' line:", 'delta_ue = 0.02']);
  const drawnOn = async (name: string) => (await sceneItems(spec as unknown as Spec, (m) => m.name === name)).map((i) => i as { datum: Record<string, unknown>; strokeDash?: number[] });
  const under = await drawnOn('concat_1_layer_0_layer_0_marks');
  const over = await drawnOn('concat_1_layer_1_layer_0_marks');
  assert.ok(under.length === 3 && under.every((i) => String(i.datum.series).endsWith('0')), 'the first series below');
  assert.ok(over.length === 3 && over.every((i) => String(i.datum.series).endsWith('0.02')), 'the coinciding series on top');
  assert.equal(over[0].strokeDash, [...COINCIDE_DASH]);
  assert.equal(under[0].strokeDash, [...DASHES[0]]);
  // The rule itself: within COINCIDE_SHARE of the y range at every x, the same x values, earlier series first.
  const rows = (ys: Record<string, number[]>) => Object.entries(ys).flatMap(([series, y]) => y.map((v, x) => ({ series, x, y: v })));
  assert.equal([...coincidentSeries(rows({ a: [0, 1, 2], b: [0, 1, 2 + COINCIDE_SHARE], c: [0, 1, 2.5] }), ['a', 'b', 'c'])], ['b']);
  assert.equal([...coincidentSeries(rows({ a: [0, 1, 2], b: [0, 1, 2 + 3 * COINCIDE_SHARE] }), ['a', 'b'])], []);
  assert.equal([...coincidentSeries(rows({ a: [0, 1], b: [0, 1, 2] }), ['a', 'b'])], [], 'other x values: not the same line');
  assert.equal([...coincidentSeries(rows({ a: [5, 5], b: [5, 5], c: [5, 5] }), ['a', 'b', 'c'])], ['b', 'c'], 'flat and equal: both later ones');
});

test(`past ${CONVERGENCE_OVERLAY} sweep points the convergence curves are one small chart per point on a shared y scale`, async () => {
  const few = handAggregate({}, Array.from({ length: CONVERGENCE_OVERLAY }, (_, i) => ({ eMaxMj: i + 1 })));
  const overlaid = convergenceSpec(few.job, handConvergence(few, [[0, 0, 1]])) as unknown as { vconcat: Record<string, unknown>[] };
  assert.ok(Array.isArray(overlaid.vconcat[0].layer) && !overlaid.vconcat[0].facet, `${CONVERGENCE_OVERLAY} points share one chart`);
  const many = handAggregate({}, Array.from({ length: CONVERGENCE_OVERLAY + 1 }, (_, i) => ({ eMaxMj: i + 1 })));
  const spec = convergenceSpec(many.job, handConvergence(many, [[0, 0, 1]]));
  const top = (spec as unknown as { vconcat: { facet: { field: string }; resolve?: unknown }[] }).vconcat[0];
  assert.is(top.facet.field, 'point');
  assert.is(top.resolve, undefined, 'y shared (Vega-Lite facets share scales by default)');
  const lines = await sceneItems(spec, (m) => (m as { marktype?: string }).marktype === 'line' && m.role === 'mark');
  assert.is(new Set(lines.map((i) => i.datum!.point)).size, CONVERGENCE_OVERLAY + 1, 'a line per point');
  assert.ok(lines.length >= CONVERGENCE_OVERLAY + 1 && (await sceneItems(spec, (m) => m.role === 'scope')).length >= 2 * (CONVERGENCE_OVERLAY + 1), 'a cell per point in both grids');
});

test('more series than the palette holds get distinct (colour, dash) pairs, colour following the fastest parameter', () => {
  const values = [0, 20, 40, 60].flatMap((s) => [1.5, 2, 2.5, 3, 3.5, 4].map((e) => ({ sMaxKbit: s, eMaxMj: e })));
  const a = handAggregate({}, values);
  const spec = convergenceSpec(a.job, handConvergence(a, [[0, 0, 1]])) as unknown as {
    vconcat: { layer: { encoding: { color: { scale: { domain: string[]; range: string[] } }; strokeDash?: { scale: { range: number[][] } } } }[] }[];
  };
  const line = (spec.vconcat[0] as unknown as { spec: (typeof spec.vconcat)[0] }).spec.layer[1].encoding; // 24 points: one small chart each
  const colours = line.color.scale.range;
  const dashes = line.strokeDash!.scale.range;
  assert.is(line.color.scale.domain.length, 24);
  const pairs = new Set(colours.map((c, i) => `${c} ${dashes[i].join(',')}`));
  assert.is(pairs.size, 24, 'every series its own (colour, dash)');
  for (const c of colours) assert.ok((PALETTE as readonly string[]).includes(c), `${c} is a palette colour (none pale)`);
  // Emax (6 values, fastest) sets the colour, Smax the dash.
  values.forEach((v, i) => {
    assert.is(colours[i], PALETTE[[1.5, 2, 2.5, 3, 3.5, 4].indexOf(v.eMaxMj)]);
    assert.equal(dashes[i], [...DASHES[[0, 20, 40, 60].indexOf(v.sMaxKbit)]]);
  });
  // Past PALETTE x DASHES series, with no fastest parameter to follow, pairs are still distinct up to the bound.
  const many = Array.from({ length: PALETTE.length * DASHES.length }, (_, i) => `s${i}`);
  const scales = seriesScales(many, 0);
  assert.is(new Set(many.map((_, i) => `${scales.color.range[i]} ${scales.strokeDash.range[i].join(',')}`)).size, many.length);
});

test('plot refuses an incomplete job unless --partial', () => {
  const dir = tempDir('plot-partial');
  const out = join(dir, 'out');
  const path = writeJob(dir, JOB);
  assert.is(dtmc(['run', path, '--out', out, '--shard', '0/2']).status, 0);
  const r = dtmc(['plot', out]);
  assert.is(r.status, 2);
  assert.match(r.stderr, /is incomplete: 4 chunk\(s\) missing/);
  assert.is(dtmc(['plot', out, '--partial']).status, 0);
});

test.run();
