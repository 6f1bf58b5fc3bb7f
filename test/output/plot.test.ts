import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { aggregate } from '../../output/aggregate.js';
import { convergence } from '../../output/convergence.js';
import { convergenceSpec, summarySpec } from '../../output/plot.js';
import { openJobFolder } from '../../output/job-folder.js';
import { JOB_FORMAT } from '../../jobs/job-file.js';
import { dtmc, tempDir, writeJob } from '../helpers/job-runs.js';

const JOB = {
  name: 'plotted', seed: 9, realisations: 16, base: { M: 6 }, chunkSize: 8, workers: 2,
  sweep: { sMaxKbit: [0, 30], eMaxMj: [1, 3] }, plot: { x: 'eMaxMj', panels: ['latency', 'offload'] },
};

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
  const cspec = convergenceSpec(a.job, conv) as unknown as { hconcat: { data: { values: { iteration: number; mean: number; rows: number }[] } }[] };
  const first = cspec.hconcat[0].data.values.filter((v) => v.iteration === 0);
  assert.is(first.length, 4);
  const rows = cspec.hconcat[1].data.values.reduce((s, v) => s + v.rows, 0);
  assert.is(rows, a.points.reduce((s, p) => s + p.solved, 0), 'the histogram counts every solved realisation once');
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
