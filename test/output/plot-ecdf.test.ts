/**
 * output/plot-ecdf.ts: the ECDF and tail charts bind the exact samples of output/tails.ts, one
 * series per sweep point, with units on the axes and opaque legend strokes; `dtmc plot` writes them.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JOB_FORMAT } from '../../jobs/job-file.js';
import { aggregate } from '../../output/aggregate.js';
import { openJobFolder } from '../../output/job-folder.js';
import { ecdfSpec } from '../../output/plot-ecdf.js';
import { renderSvg } from '../../output/plot.js';
import { dtmc, tempDir, writeJob } from '../helpers/job-runs.js';

const JOB = { name: 'ecdf', seed: 4, realisations: 30, base: { M: 4, sMaxKbit: 0 }, sweep: { tMaxMs: [0.7, 2] }, chunkSize: 15, workers: 1 };

interface Panel {
  data: { values: { series: string; x: number; y: number }[] };
  encoding: { x: { title: string }; y: { title: string; scale: { type?: string } }; color: { legend: { symbolOpacity: number } } };
}

test('the ECDF chart binds F = rank / n at each sampled order statistic, per point, for J and the latency', async () => {
  const dir = tempDir('ecdf');
  const out = join(dir, 'out');
  assert.is(dtmc(['run', writeJob(dir, JOB), '--out', out, '--no-summary']).status, 0);
  const a = aggregate(openJobFolder(out, JOB_FORMAT));
  const spec = ecdfSpec(a, 'cdf') as unknown as { hconcat: Panel[] };
  const [jPanel, latPanel] = spec.hconcat;
  assert.is(jPanel.encoding.x.title, 'total latency J [ms]');
  assert.is(latPanel.encoding.x.title, 'per-device latency [ms]');
  assert.is(jPanel.encoding.color.legend.symbolOpacity, 1);
  const labels = ['Tmax = 0.7', 'Tmax = 2'];
  a.tails.forEach((t, i) => {
    for (const [panel, v] of [[jPanel, t.objectiveMs], [latPanel, t.latencyMs]] as const) {
      const mine = panel.data.values.filter((d) => d.series === labels[i]);
      assert.equal(mine.map((d) => [d.x, d.y]), v.ecdf.map((s) => [s.value, s.rank / v.n]));
    }
  });
  const tail = ecdfSpec(a, 'tail') as unknown as { hconcat: Panel[] };
  assert.is(tail.hconcat[0].encoding.y.scale.type, 'log');
  const jTail = tail.hconcat[0].data.values.filter((d) => d.series === labels[1]);
  assert.equal(jTail.map((d) => d.y), a.tails[1].objectiveMs.ecdf.filter((s) => s.f < 1).map((s) => 1 - s.f), 'the tail drops F = 1 (0 on a log axis)');
  assert.match(await renderSvg(ecdfSpec(a, 'tail')), /<\/svg>\s*$/);
  const r = dtmc(['plot', out]);
  assert.is(r.status, 0, r.stderr);
  for (const stem of ['ecdf-ecdf', 'ecdf-tail']) for (const ext of ['svg', 'png', 'vl.json']) assert.ok(existsSync(join(out, 'plots', `${stem}.${ext}`)), `${stem}.${ext}`);
  assert.equal(JSON.parse(readFileSync(join(out, 'plots', 'ecdf-tail.vl.json'), 'utf8')), JSON.parse(JSON.stringify(ecdfSpec(a, 'tail'))));
});

test.run();
