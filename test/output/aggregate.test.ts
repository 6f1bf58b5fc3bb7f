import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { dtmc, readRows, tempDir, writeJob } from '../helpers/job-runs.js';

const JOB = {
  name: 'agg', seed: 5, realisations: 12, base: { M: 5 },
  sweep: { sMaxKbit: [0, 30], rMinMbps: [1, 17] }, chunkSize: 5, workers: 2,
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
      objective_mean_ms: mean, objective_sd_ms: sd, objective_ci95_ms: (1.96 * sd) / Math.sqrt(js.length),
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

test('aggregate refuses a folder that is not a job output', () => {
  const r = dtmc(['aggregate', tempDir('empty')]);
  assert.is(r.status, 2);
  assert.match(r.stderr, /has no job\.json: not an output folder of dtmc run/);
});

test.run();
