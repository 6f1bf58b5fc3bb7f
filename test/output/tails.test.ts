/**
 * output/tails.ts and output/exact-select.ts against a direct computation on the rows of a small
 * job (every value sorted in memory): quantiles, their CIs by the order-statistics definition with
 * brute-force binomial sums, the outage with its Wilson interval at a tight deadline (Tmax =
 * 0.7 ms, where most realisations are infeasible), the ECDF samples, and the bucket passes (forced
 * by tiny limits) against the full sort, on values that share buckets and repeat exactly.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { JOB_FORMAT } from '../../jobs/job-file.js';
import { openJobFolder } from '../../output/job-folder.js';
import { ExactSelection } from '../../output/exact-select.js';
import { ecdfRanks, folderTails, TAIL_PROBABILITIES, type PointTails } from '../../output/tails.js';
import { dtmc, readRows, tempDir, writeJob } from '../helpers/job-runs.js';
import { mulberry32 } from '../helpers/random.js';

const M = 5;
const JOB = {
  name: 'tails', seed: 3, realisations: 60, base: { M, sMaxKbit: 0 }, sweep: { tMaxMs: [0.7, 2] }, chunkSize: 20, workers: 1,
};
const solvedStatus = (s: unknown): boolean => s === 'converged' || s === 'max-iterations';

const dir = tempDir('tails');
const out = join(dir, 'out');
const run = dtmc(['run', writeJob(dir, JOB), '--out', out]);
const rows = readRows(out);
const folder = openJobFolder(out, JOB_FORMAT);
const tails = folderTails(folder, folder.chunks);

/** Per point: the solved rows' J sorted, the pooled latencies sorted, rows and solved counts. */
function direct(point: number): { j: number[]; lat: number[]; rows: number; solved: number } {
  const mine = rows.filter((r) => r.point === point);
  const solved = mine.filter((r) => solvedStatus(r.status));
  return {
    j: solved.map((r) => r.objective_ms as number).sort((a, b) => a - b),
    lat: solved.flatMap((r) => r.latency_ms as number[]).filter((x) => !Number.isNaN(x)).sort((a, b) => a - b),
    rows: mine.length, solved: solved.length,
  };
}

/** The type-1 sample quantile: the smallest X_(k) with k / n >= p (k n-th of the sorted values). */
const type1 = (sorted: number[], p: number): number => sorted[Math.max(1, Math.ceil(sorted.length * p - 1e-9)) - 1];

/** Binomial(n, p) pmf by logs of factorials summed here, k = 0 .. n. */
function binomialPmf(n: number, p: number): number[] {
  const logFact = [0];
  for (let k = 1; k <= n; k++) logFact.push(logFact[k - 1] + Math.log(k));
  return Array.from({ length: n + 1 }, (_, k) => Math.exp(logFact[n] - logFact[k] - logFact[n - k] + k * Math.log(p) + (n - k) * Math.log1p(-p)));
}

/**
 * The CI ranks by their definition: l the largest rank with P(B <= l - 1) <= 0.025 (0: none), u
 * the smallest with P(B >= u) <= 0.025 (n + 1: none), B ~ binomial(n, p) the count below q_p.
 */
function bruteRanks(n: number, p: number): { l: number; u: number } {
  const pmf = binomialPmf(n, p);
  const cdf = (k: number): number => pmf.slice(0, k + 1).reduce((a, b) => a + b, 0);
  let l = 0;
  for (let k = 1; k <= n; k++) if (cdf(k - 1) <= 0.025) l = k;
  let u = n + 1;
  for (let k = n; k >= 1; k--) if (1 - cdf(k - 1) <= 0.025) u = k;
  const coverage = 1 - (l ? cdf(l - 1) : 0) - (u <= n ? 1 - cdf(u - 1) : 0);
  assert.ok(coverage >= 0.95 - 1e-12, `coverage ${coverage} at n = ${n}, p = ${p}`);
  return { l, u };
}

const orNaN = (sorted: number[], rank: number): number => (rank >= 1 && rank <= sorted.length ? sorted[rank - 1] : Number.NaN);
const same = (a: number, b: number, what: string): void => assert.ok(Object.is(a, b), `${what}: ${a} vs ${b}`);

test('the job ran, with infeasible realisations at the tight deadline and none at the loose one', () => {
  assert.is(run.status, 0, run.stderr);
  assert.ok(direct(0).solved < direct(0).rows && direct(0).solved > 10, `point 0: ${direct(0).solved} of ${direct(0).rows} solved`);
  assert.is(direct(1).solved, direct(1).rows);
});

test('quantiles of J and of the per-device latency equal the sorted rows\' type-1 quantiles', () => {
  for (const t of tails) {
    const d = direct(t.point);
    assert.is(t.objectiveMs.n, d.solved);
    assert.is(t.latencyMs.n, d.lat.length);
    assert.is(t.latencyMs.n, d.solved * M);
    TAIL_PROBABILITIES.forEach((p, i) => {
      same(t.objectiveMs.quantiles[i].value, type1(d.j, p), `point ${t.point} J p${p}`);
      same(t.latencyMs.quantiles[i].value, type1(d.lat, p), `point ${t.point} latency p${p}`);
    });
  }
});

test('the CI of a quantile of J is [X_(l), X_(u)] with the ranks of the order-statistics definition', () => {
  for (const t of tails) {
    const d = direct(t.point);
    TAIL_PROBABILITIES.forEach((p, i) => {
      const { l, u } = bruteRanks(d.solved, p);
      same(t.objectiveMs.quantiles[i].lower, orNaN(d.j, l), `point ${t.point} J p${p} lower (rank ${l})`);
      same(t.objectiveMs.quantiles[i].upper, orNaN(d.j, u), `point ${t.point} J p${p} upper (rank ${u})`);
    });
  }
  // p99.9 of 60 rows has no upper bound: no order statistic reaches 97.5% confidence above it.
  assert.ok(Number.isNaN(tails[1].objectiveMs.quantiles[3].upper));
});

test('the CI of the per-device latency takes the realisation as the unit: ranks M (l - 1) + 1 and M u of the pooled values', () => {
  for (const t of tails) {
    const d = direct(t.point);
    TAIL_PROBABILITIES.forEach((p, i) => {
      const { l, u } = bruteRanks(d.solved, p);
      same(t.latencyMs.quantiles[i].lower, l ? d.lat[M * (l - 1)] : Number.NaN, `point ${t.point} latency p${p} lower`);
      same(t.latencyMs.quantiles[i].upper, u <= d.solved ? d.lat[M * u - 1] : Number.NaN, `point ${t.point} latency p${p} upper`);
    });
  }
});

test('the outage counts every unsolved row, with the Wilson 95% interval computed here', () => {
  const z = 1.959963984540054;
  for (const t of tails) {
    const d = direct(t.point);
    const k = d.rows - d.solved;
    const n = d.rows;
    const centre = (k + (z * z) / 2) / (n + z * z);
    const half = (z / (n + z * z)) * Math.sqrt((k * (n - k)) / n + (z * z) / 4);
    assert.is(t.outage.count, k);
    assert.is(t.outage.rows, n);
    same(t.outage.estimate, k / n, 'estimate');
    assert.ok(Math.abs(t.outage.lower - (k === 0 ? 0 : centre - half)) < 1e-12, `lower ${t.outage.lower}`);
    assert.ok(Math.abs(t.outage.upper - (k === n ? 1 : centre + half)) < 1e-12, `upper ${t.outage.upper}`);
  }
  assert.ok(tails[0].outage.lower > 0.5, `Tmax = 0.7 ms: most realisations cannot meet it (${JSON.stringify(tails[0].outage)})`);
  assert.ok(Math.abs(tails[1].outage.upper - (z * z) / (60 + z * z)) < 1e-15, 'no outage in 60: the upper bound z^2 / (n + z^2)');
});

test('the ECDF samples are the sorted values at their ranks, F = rank / n, from the minimum to the maximum', () => {
  for (const t of tails) {
    const d = direct(t.point);
    for (const [v, sorted] of [[t.objectiveMs, d.j], [t.latencyMs, d.lat]] as const) {
      assert.equal(v.ecdf.map((s) => s.rank), ecdfRanks(sorted.length));
      for (const s of v.ecdf) {
        same(s.value, sorted[s.rank - 1], `rank ${s.rank}`);
        same(s.f, s.rank / sorted.length, `F at rank ${s.rank}`);
      }
      assert.is(v.ecdf[0].rank, 1);
      assert.is(v.ecdf[v.ecdf.length - 1].rank, sorted.length);
    }
  }
});

test('ecdfRanks: 201 evenly spaced p and a tail 10 per decade down to 1 / n', () => {
  const ranks = ecdfRanks(1e6);
  for (let k = 0; k <= 200; k++) assert.ok(ranks.includes(Math.max(1, Math.round(5000 * k))), `p = ${k / 200}`);
  for (const rank of [987_411, 999_000, 999_990, 999_999, 1e6]) assert.ok(ranks.includes(rank), `tail rank ${rank}`);
  assert.equal(ranks, [...new Set(ranks)].sort((a, b) => a - b));
  assert.ok(ranks.length <= 201 + 50);
  assert.equal(ecdfRanks(0), []);
});

test('the bucket passes give the full sort\'s values on the job, where values share buckets and repeat', () => {
  // Latencies crowd under the binding deadline (0.7 ms); 2 values per bucket forces refinement down to single values.
  const passes = folderTails(folder, folder.chunks, { keepAll: 0, bucketCap: 2 });
  const strip = (x: PointTails[]): string => JSON.stringify(x, (_, v) => (typeof v === 'number' && Number.isNaN(v) ? 'NaN' : v));
  assert.is(strip(passes), strip(tails));
  const lat = direct(0).lat;
  const topBits = (x: number): number => new DataView(Float64Array.of(x).buffer).getUint16(6, true);
  assert.ok(lat.length - new Set(lat.map(topBits)).size > 40, 'latencies share first-pass buckets');
});

test('ExactSelection equals a full sort on colliding, repeated and zero values over several passes', () => {
  const rng = mulberry32(7);
  const draws: [string, () => number][] = [
    ['spread', () => Math.exp(6 * rng())],
    ['one bucket', () => 14 + rng() * 1e-9],
    ['last bits', () => 3 + Math.floor(rng() * 5) * 2 ** -50],
    ['repeats and zeros', () => [0, -0, 1, 1.5, 10, Infinity][Math.floor(rng() * 6)]],
  ];
  for (const [label, draw] of draws) {
    const values = Float64Array.from({ length: 5000 }, draw);
    const sorted = Float64Array.from(values).sort();
    const ranks = (n: number): number[] => Array.from({ length: 97 }, (_, i) => 1 + Math.floor((i * (n - 1)) / 96));
    const sel = new ExactSelection(ranks, label, { keepAll: 10, bucketCap: 8 });
    let passes = 0;
    do {
      passes++;
      for (let i = 0; i < values.length; i += 333) sel.add(values.slice(i, i + 333));
    } while (sel.endPass());
    assert.ok(passes >= 3, `${label}: ${passes} passes`);
    for (const r of ranks(values.length)) same(sel.value(r), sorted[r - 1] === 0 ? 0 : sorted[r - 1], `${label} rank ${r}`);
  }
});

test('ExactSelection.reserve keeps the values in one pass within keepAll and goes to the bucket passes past it', () => {
  const rng = mulberry32(11);
  const values = Float64Array.from({ length: 3000 }, () => Math.exp(4 * rng()));
  const sorted = Float64Array.from(values).sort();
  const ranks = (): number[] => [1, 1500, 2970, 3000];
  const run = (atMost: number): { passes: number; got: number[] } => {
    const sel = new ExactSelection(ranks, 'reserved', { keepAll: 4000, bucketCap: 64 });
    sel.reserve(atMost);
    do for (let i = 0; i < values.length; i += 1000) sel.add(values.slice(i, i + 1000));
    while (sel.endPass());
    return { passes: sel.passes, got: ranks().map((r) => sel.value(r)) };
  };
  const want = ranks().map((r) => sorted[r - 1]);
  const within = run(3000);
  assert.is(within.passes, 1, 'reserved within keepAll: one pass');
  assert.equal(within.got, want);
  const past = run(5000); // a bound over keepAll: nothing kept, even though only 3000 come
  assert.ok(past.passes > 1, `past keepAll: bucket passes (${past.passes})`);
  assert.equal(past.got, want);
  const sel = new ExactSelection(ranks, 'late', { keepAll: 10, bucketCap: 8 });
  sel.add(values.slice(0, 5));
  assert.throws(() => sel.reserve(10), /late: reserve before the first value/);
});

test('ExactSelection refuses a negative value and data that change between passes', () => {
  const sel = new ExactSelection(() => [1], 'x');
  assert.throws(() => sel.add(new Float64Array([1, -2])), /x: value -2 is not a number >= 0/);
  const changing = new ExactSelection((n) => [1, n], 'latency', { keepAll: 0, bucketCap: 1 });
  changing.add(new Float64Array([1, 2, 3]));
  assert.ok(changing.endPass());
  changing.add(new Float64Array([1, 2]));
  assert.throws(() => changing.endPass(), /latency: pass 2 saw 2 values, the first 3 \(the data changed between passes\)/);
});

test('summary.arrow and summary.csv carry the tails as columns', () => {
  const summary = tableFromIPC(readFileSync(join(out, 'summary.arrow')));
  const csv = readFileSync(join(out, 'summary.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
  const col = (name: string): number[] => Array.from({ length: 2 }, (_, p) => summary.getChild(name)!.get(p) as number);
  const csvCol = (name: string): number[] => csv.slice(1).map((r) => r[csv[0].indexOf(name)]).map((v) => (v === '' ? Number.NaN : Number(v))); // a missing value is an empty field
  for (const [name, get] of [
    ['outage_probability', (t: PointTails) => t.outage.estimate],
    ['outage_ci95_hi', (t: PointTails) => t.outage.upper],
    ['objective_p99_ms', (t: PointTails) => t.objectiveMs.quantiles[2].value],
    ['objective_p50_ci95_lo_ms', (t: PointTails) => t.objectiveMs.quantiles[0].lower],
    ['latency_p999_ms', (t: PointTails) => t.latencyMs.quantiles[3].value],
    ['latency_p90_ci95_hi_ms', (t: PointTails) => t.latencyMs.quantiles[1].upper],
  ] as const) {
    assert.equal(col(name), tails.map(get), name);
    assert.equal(csvCol(name), tails.map(get), `${name} (CSV)`);
  }
});

test.run();
