/**
 * The offline bundle (scripts/bundle.sh): built into a temporary folder outside the repository
 * (test/helpers/bundle.ts, so nothing can resolve the repository's node_modules), it runs the
 * default job from an empty folder, draws its charts, starts the wasm backend from its own files
 * and runs solve --batch on the float64 pool's bundled worker.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { bundleDir } from '../helpers/bundle.js';

test('the bundle runs jobs/smoke.json from an empty folder without node_modules', () => {
  const bundle = bundleDir();
  assert.ok(!existsSync(join(bundle, 'node_modules', '@tensorflow')), 'tfjs is inside dtmc.js, not beside it');
  const work = join(dirname(bundle), 'empty');
  mkdirSync(work);
  const run = (args: string[]) => spawnSync(join(bundle, 'dtmc'), args, { cwd: work, encoding: 'utf8', timeout: 180_000, env: { PATH: process.env.PATH, HOME: work } });
  const r = run(['run', '--progress', 'none']);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /smoke: 2 sweep point\(s\), 200 realisations each/);
  assert.ok(existsSync(join(work, 'results', 'smoke', 'summary.arrow')));
  const plot = run(['plot', 'results/smoke']);
  assert.is(plot.status, 0, plot.stderr);
  assert.ok(existsSync(join(work, 'results', 'smoke', 'plots', 'smoke.png')));
  const wasm = run(['solve', '--batch', '8', '--backend', 'wasm']);
  assert.is(wasm.status, 0, wasm.stderr);
  assert.match(wasm.stdout, /backend: wasm/);
  const float64 = run(['solve', '--batch', '8', '--backend', 'float64']);
  assert.is(float64.status, 0, float64.stderr);
  assert.match(float64.stdout, /backend: float64 \(reference path/, 'the float64 pool finds its bundled worker');
  assert.match(run(['--version']).stdout.trim(), /^\d+\.\d+\.\d+$/);
});

test.run();
