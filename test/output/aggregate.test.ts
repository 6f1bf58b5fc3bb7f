import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { writeSummary, type Aggregate, type PointSummary } from '../../output/aggregate.js';
import { dtmc, readRows, tempDir, writeJob } from '../helpers/job-runs.js';
import { emptyTails } from '../helpers/empty-tails.js';

const JOB = {
  name: 'agg', seed: 5, realisations: 12, base: { M: 5 },
  sweep: { sMaxKbit: [0, 30], rMinMbps: [1, 17] }, chunkSize: 5, workers: 2,
};

/**
 * t_{0.975, df}, the two-sided 95% Student t critical value, for df = 1..12 (mpmath, 30 digits:
 * root of I_{df/(df+t^2)}(df/2, 1/2) / 2 = 0.025); an independent check of the CI's quantile.
 */
const T975: Record<number, number> = {
  1: 12.706204736174704, 2: 4.3026527297494637, 3: 3.1824463052837095, 4: 2.7764451051977943,
  5: 2.5705818356363155, 6: 2.4469118511449699, 7: 2.3646242515927853, 8: 2.3060041352041666,
  9: 2.2621571627982055, 10: 2.2281388519862747, 11: 2.2009851600916398, 12: 2.1788128296672288,
};

test('the summary matches a direct computation from the rows, in the table, the CSV and the Arrow file', () => {
  const dir = tempDir('agg');
  const out = join(dir, 'out');
  const r = dtmc(['run', writeJob(dir, JOB), '--out', out]);
  assert.is(r.status, 0, r.stderr);
  const rows = readRows(out);
  const summary = tableFromIPC(readFileSync(join(out, 'summary.arrow')));
  const csv = readFileSync(join(out, 'summary.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
  const header = csv[0];
  assert.is(summary.numRows, 4);
  assert.is(csv.length, 5);
  let sawInfeasible = false;
  for (let p = 0; p < 4; p++) {
    const mine = rows.filter((x) => x.point === p);
    const solved = mine.filter((x) => x.status === 'converged' || x.status === 'max-iterations');
    sawInfeasible ||= solved.length < mine.length;
    const js = solved.map((x) => x.objective_ms as number);
    const mean = js.reduce((a, b) => a + b, 0) / js.length;
    const sd = Math.sqrt(js.reduce((a, b) => a + (b - mean) ** 2, 0) / (js.length - 1));
    const offload = solved.map((x) => x.offload_portion as number).filter(Number.isFinite);
    const expected: Record<string, number> = {
      point: p, rows: mine.length, solved: solved.length, feasible_fraction: solved.length / mine.length,
      objective_mean_ms: mean, objective_sd_ms: sd, objective_ci95_ms: (T975[js.length - 1] * sd) / Math.sqrt(js.length),
      objective_exact_mean_ms: solved.reduce((a, x) => a + (x.objective_exact_ms as number), 0) / solved.length,
      converged: mine.filter((x) => x.status === 'converged').length,
      infeasible: mine.filter((x) => x.status === 'infeasible').length,
      iterations_mean: solved.reduce((a, x) => a + (x.iterations as number), 0) / solved.length,
      offload_portion_mean: offload.reduce((a, b) => a + b, 0) / offload.length,
      cached_mean: solved.reduce((a, x) => a + (x.cached_count as number), 0) / solved.length,
    };
    for (const [name, want] of Object.entries(expected)) {
      const fromArrow = summary.getChild(name)!.get(p) as number;
      const fromCsv = Number(csv[p + 1][header.indexOf(name)]);
      assert.ok(Math.abs(fromArrow - want) <= 1e-12 * Math.max(1, Math.abs(want)), `point ${p} ${name}: ${fromArrow} vs ${want}`);
      assert.ok(Math.abs(fromCsv - want) <= 1e-12 * Math.max(1, Math.abs(want)), `point ${p} ${name} (CSV): ${fromCsv} vs ${want}`);
    }
    assert.is(summary.getChild('complete')!.get(p), true);
    assert.is(summary.getChild('r_min_mbps')!.get(p), JOB.sweep.rMinMbps[p % 2]);
  }
  assert.ok(sawInfeasible, 'Rmin = 17 Mbit/s makes some realisations infeasible (a summary over a mix)');
  const json = JSON.parse(dtmc(['aggregate', out, '--json']).stdout);
  assert.is(json.points.length, 4);
  assert.is(json.missing, 0);
});

test('a baseline\'s paired difference to the AO, with its t interval, matches a direct computation from the rows', () => {
  const dir = tempDir('agg-paired');
  const out = join(dir, 'out');
  const job = { name: 'paired', seed: 3, realisations: 7, base: { M: 4 }, sweep: { method: ['ao', 'offload-all', 'local-all'] }, chunkSize: 7, workers: 1 };
  const r = dtmc(['run', writeJob(dir, job), '--out', out]);
  assert.is(r.status, 0, r.stderr);
  const rows = readRows(out);
  const summary = tableFromIPC(readFileSync(join(out, 'summary.arrow')));
  const solvedJ = (point: number): Map<number, number> => new Map(rows
    .filter((x) => x.point === point && (x.status === 'converged' || x.status === 'max-iterations'))
    .map((x) => [x.realisation as number, x.objective_ms as number]));
  const ao = solvedJ(0);
  for (const p of [1, 2]) {
    const pairs = [...solvedJ(p)].filter(([k]) => ao.has(k)).map(([k, j]) => [j, ao.get(k)!]);
    assert.ok(pairs.length >= 2, `point ${p}: ${pairs.length} paired realisations`);
    const d = pairs.map(([j, a]) => j - a);
    const mean = d.reduce((s, x) => s + x, 0) / d.length;
    const sd = Math.sqrt(d.reduce((s, x) => s + (x - mean) ** 2, 0) / (d.length - 1));
    const want = (T975[d.length - 1] * sd) / Math.sqrt(d.length);
    const got = summary.getChild('vs_ao_diff_ci95_ms')!.get(p) as number;
    assert.ok(Math.abs(got - want) <= 1e-12 * Math.max(1, want), `point ${p} CI: ${got} vs ${want}`);
    assert.ok(Math.abs((summary.getChild('vs_ao_diff_mean_ms')!.get(p) as number) - mean) <= 1e-12 * Math.max(1, Math.abs(mean)));
  }
  assert.ok(Number.isNaN(summary.getChild('vs_ao_diff_ci95_ms')!.get(0)), 'the AO point has no difference');
});

test('summary.csv writes a missing value as an empty field, not NaN', async () => {
  // Point 1: every realisation infeasible, so J has no mean, sd or CI; no AO pairing anywhere.
  const point = (index: number, solved: number): PointSummary => ({
    point: index, values: { rMinMbps: [1, 40][index] }, expected: 3, rows: 3, complete: true, solved,
    feasibleFraction: solved / 3, objectiveMeanMs: solved ? 12.5 : Number.NaN, objectiveSdMs: solved ? 0.5 : Number.NaN,
    objectiveCi95Ms: solved ? 1.2 : Number.NaN, objectiveExactMeanMs: solved ? 12.4 : Number.NaN,
    statuses: { converged: solved, 'max-iterations': 0, infeasible: 3 - solved, 'numerical-failure': 0 },
    iterationsMean: solved ? 3 : Number.NaN, offloadPortionMean: solved ? 0.4 : Number.NaN, cachedMean: solved ? 1 : Number.NaN,
    beatsAoFraction: Number.NaN, vsAoDiffMeanMs: Number.NaN, vsAoDiffCi95Ms: Number.NaN, vsAoDiffPercent: Number.NaN,
  });
  const a: Aggregate = {
    job: { name: 'missing', realisations: 3, sweep: { rMinMbps: [1, 40] }, plot: {} },
    jobHash: 'h', points: [point(0, 3), point(1, 0)], missing: [], failed: [], corrupt: [], tails: [emptyTails(0), emptyTails(1)],
  };
  const dir = tempDir('agg-missing');
  await writeSummary(dir, a, 'test');
  const [header, ...lines] = readFileSync(join(dir, 'summary.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
  const field = (row: number, name: string): string => lines[row][header.indexOf(name)];
  assert.not.match(readFileSync(join(dir, 'summary.csv'), 'utf8'), /NaN/);
  for (const name of ['objective_mean_ms', 'objective_sd_ms', 'objective_ci95_ms', 'iterations_mean', 'vs_ao_diff_mean_ms']) {
    assert.is(field(1, name), '', `point 1 ${name}`);
  }
  assert.is(field(0, 'objective_mean_ms'), '12.5');
  assert.is(field(0, 'vs_ao_diff_mean_ms'), '', 'no AO pairing: missing at every point');
  assert.is(field(1, 'feasible_fraction'), '0');
  assert.is(field(1, 'infeasible'), '3');
  // The Arrow file keeps NaN (a float64 column's missing value).
  const arrow = tableFromIPC(readFileSync(join(dir, 'summary.arrow')));
  assert.ok(Number.isNaN(arrow.getChild('objective_mean_ms')!.get(1)));
});

test('aggregate refuses a folder that is not a job output', () => {
  const r = dtmc(['aggregate', tempDir('empty')]);
  assert.is(r.status, 2);
  assert.match(r.stderr, /has no job\.json: not an output folder of dtmc run/);
});

test.run();
