/**
 * `dtmc run` end to end, as a user runs it: resume after SIGKILL, shards, independence from the
 * worker count and chunk size, corrupt chunks, a changed job, worker crashes, SIGTERM.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { dtmc, dtmcAsync, exited, firstChunk, readRows, resultRows, tempDir, writeJob } from '../helpers/job-runs.js';
import { hardwareGpu, skipOnGpu } from '../helpers/hardware-gpu.js';
import { runWithFaults } from '../helpers/fault-run.js';
import { readFailedRecord } from '../../output/job-folder.js';

const JOB = { name: 'runs', seed: 11, realisations: 18, base: { M: 6 }, sweep: { sMaxKbit: [0, 30] }, chunkSize: 5, workers: 2 };
let dir = '';
let jobPath = '';
let baseline: Record<string, unknown>[] = [];

test.before(() => {
  dir = tempDir('runs');
  jobPath = writeJob(dir, JOB);
  const r = dtmc(['run', jobPath, '--out', join(dir, 'base'), '--progress', 'log']);
  assert.is(r.status, 0, r.stderr);
  baseline = readRows(join(dir, 'base'));
});

test('a run writes one row per realisation and prints the summary', () => {
  assert.is(baseline.length, 36);
  assert.equal(baseline.map((r) => r.realisation), [...Array(18).keys(), ...Array(18).keys()]);
  assert.ok(baseline.every((r) => r.status === 'converged'), 'every realisation converged');
  const again = dtmc(['run', jobPath, '--out', join(dir, 'base')]);
  assert.is(again.status, 0);
  assert.match(again.stderr, /8 already complete, 0 to run/);
  assert.match(again.stdout, /point\s+sMaxKbit\s+rows/);
  assert.ok(existsSync(join(dir, 'base', 'summary.arrow')) && existsSync(join(dir, 'base', 'summary.csv')));
});

test('results depend neither on the worker count nor on the chunk size', () => {
  const one = dtmc(['run', writeJob(dir, { ...JOB, chunkSize: 7 }, 'chunk7.json'), '--out', join(dir, 'chunk7'), '--workers', '1']);
  assert.is(one.status, 0, one.stderr);
  assert.equal(resultRows(join(dir, 'chunk7')), resultRows(join(dir, 'base')), 'the same rows but for the job\'s identity (chunkSize is in its hash)');
});

test('the union of shards 0..n-1 in one folder equals the single run, row for row', () => {
  const out = join(dir, 'shards');
  for (let i = 0; i < 3; i++) {
    const r = dtmc(['run', jobPath, '--out', out, '--shard', `${i}/3`]);
    assert.is(r.status, 0, r.stderr);
    if (i < 2) assert.match(r.stderr, /the summary waits for \d+ chunk\(s\) of other shards/);
  }
  assert.equal(readRows(out), baseline);
  const slurm = dtmc(['run', jobPath, '--out', join(dir, 'slurm'), '--shard', 'auto'], { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '1', SLURM_ARRAY_TASK_COUNT: '2' });
  assert.is(slurm.status, 0, slurm.stderr);
  assert.match(slurm.stderr, /shard 1\/2: 4/);
});

test('a job killed with SIGKILL mid-run and resumed gives the uninterrupted results', async () => {
  const big = { ...JOB, name: 'killed', realisations: 300, chunkSize: 10, workers: 1, base: { M: 15 } };
  const path = writeJob(dir, big, 'killed.json');
  const reference = dtmc(['run', path, '--out', join(dir, 'killed-ref')]);
  assert.is(reference.status, 0, reference.stderr);
  const out = join(dir, 'killed');
  const child = dtmcAsync(['run', path, '--out', out]);
  const done = exited(child);
  await firstChunk(out);
  child.kill('SIGKILL');
  const { signal } = await done;
  assert.is(signal, 'SIGKILL');
  const partial = readdirSync(join(out, 'chunks')).filter((f) => f.endsWith('.arrow')).length;
  assert.ok(partial >= 1 && partial < 60, `${partial} of 60 chunks before the kill`);
  const resumed = dtmc(['run', path, '--out', out]);
  assert.is(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stderr, new RegExp(`${partial} already complete, ${60 - partial} to run`));
  assert.equal(readRows(out), readRows(join(dir, 'killed-ref')));
  assert.equal(readdirSync(join(out, 'chunks')).filter((f) => f.includes('.tmp-')), [], 'no temporary files left');
});

test('truncated and corrupt chunk files are detected and redone', () => {
  const out = join(dir, 'base');
  const a = join(out, 'chunks', 'p00000-c000001.arrow');
  const b = join(out, 'chunks', 'p00001-c000003.arrow');
  truncateSync(a, Math.floor(statSync(a).size / 2));
  writeFileSync(b, 'not an arrow file');
  const r = dtmc(['run', jobPath, '--out', out]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, /redoing chunk p00000-c000001: its file is \d+ bytes, its checksum file says \d+/);
  assert.match(r.stderr, /redoing chunk p00001-c000003: its file is 17 bytes, its checksum file says \d+/);
  assert.match(r.stderr, /6 already complete, 2 to run/);
  assert.equal(readRows(out), baseline);
});

test('a different job for the same folder is refused', () => {
  const r = dtmc(['run', writeJob(dir, { ...JOB, seed: 12 }, 'other.json'), '--out', join(dir, 'base')]);
  assert.is(r.status, 2);
  assert.match(r.stderr, /holds results of a different job \(runs, hash [0-9a-f]{12}; this job: runs, hash [0-9a-f]{12}\)/);
});

test('a crashing worker is retried once, then its chunk is recorded as failed while the rest completes', async () => {
  const out = join(dir, 'crash');
  const r = await runWithFaults(jobPath, out, { crash: 'p00000-c000001' });
  assert.is(r.exitCode, 4, r.log);
  assert.match(r.log, /chunk p00000-c000001 failed .*retrying it once/);
  assert.match(r.log, /1 chunk\(s\) failed: p00000-c000001; run again to retry them/);
  assert.equal(r.outcome.failed.map((f) => f.id), ['p00000-c000001']);
  assert.is(readFailedRecord(out, 'p00000-c000001')?.attempts, 2);
  assert.is(readdirSync(join(out, 'chunks')).filter((f) => f.endsWith('.arrow')).length, 7);
  const agg = dtmc(['aggregate', out]);
  assert.is(agg.status, 2);
  assert.match(agg.stderr, /is incomplete: 1 chunk\(s\) missing \(1 recorded as failed\)/);
  const partial = dtmc(['aggregate', out, '--partial']);
  assert.is(partial.status, 0, partial.stderr);
  assert.match(partial.stdout, /\s0\s+0\s+13\s+no\s/);
  const again = dtmc(['run', jobPath, '--out', out]);
  assert.is(again.status, 0, again.stderr);
  assert.ok(!existsSync(join(out, 'chunks', 'p00000-c000001.failed.json')));
  assert.equal(readRows(out), baseline);
  const once = await runWithFaults(jobPath, join(dir, 'crash-once'), { crash: 'p00001-c000002', crashOnce: true });
  assert.is(once.exitCode, 0, once.log);
  assert.match(once.log, /chunk p00001-c000002 failed .*retrying it once/);
  assert.is(once.outcome.written, 8);
  assert.equal(readRows(join(dir, 'crash-once')), baseline);
});

test('SIGTERM stops cleanly: running chunks finish, the command says how to resume', async () => {
  const big = { ...JOB, name: 'termed', realisations: 300, chunkSize: 10, workers: 1, base: { M: 15 } };
  const path = writeJob(dir, big, 'termed.json');
  const out = join(dir, 'termed');
  const child = dtmcAsync(['run', path, '--out', out]);
  const done = exited(child);
  await firstChunk(out);
  child.kill('SIGTERM');
  const { code, stderr } = await done;
  assert.is(code, 143, stderr);
  assert.match(stderr, /SIGTERM: no new chunks/);
  assert.match(stderr, /resume with: dtmc run .*termed\.json --out /);
  assert.equal(readdirSync(join(out, 'chunks')).filter((f) => f.includes('.tmp-')), []);
  const resumed = dtmc(['run', path, '--out', out]);
  assert.is(resumed.status, 0, resumed.stderr);
  assert.equal(resultRows(out), resultRows(join(dir, 'killed-ref')));
});

test('a job on the tensor engine (wasm workers) agrees with the float64 job and records its backend', () => {
  const out = join(dir, 'wasm');
  const r = dtmc(['run', writeJob(dir, { ...JOB, backend: 'wasm' }, 'wasm.json'), '--out', out]);
  assert.is(r.status, 0, r.stderr);
  const rows = readRows(out);
  assert.is(rows.length, baseline.length);
  rows.forEach((row, i) => {
    const ref = baseline[i];
    assert.is(row.realisation, ref.realisation);
    assert.equal(row.cached, ref.cached, `row ${i}: caching`);
    assert.ok(Math.abs((row.objective_ms as number) - (ref.objective_ms as number)) <= 1e-3 * (ref.objective_ms as number), `row ${i}`);
  });
  assert.match(r.stderr, /2 worker\(s\): the job's "workers"; wasm\)/);
});

test('a job with backend auto runs the float64 path on every worker where there is no hardware GPU, and records why', async () => {
  const gpu = await hardwareGpu();
  if (gpu) return skipOnGpu('a job with backend auto runs float64', gpu);
  const out = join(dir, 'auto');
  const r = dtmc(['run', writeJob(dir, { ...JOB, backend: 'auto' }, 'auto.json'), '--out', out]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, /on 2 worker\(s\) \(the job's "workers"\), backend auto: float64 \((the WebGPU adapter found is a software one|no WebGPU adapter)/);
  assert.not.match(r.stderr, /one worker owns the device/);
  assert.equal(resultRows(out), resultRows(join(dir, 'base')), 'the same rows as the float64 job, but for the job\'s identity (backend is in its hash)');
  const meta = tableFromIPC(readFileSync(join(out, 'chunks', readdirSync(join(out, 'chunks')).find((f) => f.endsWith('.arrow'))!))).schema.metadata;
  assert.match(meta.get('dtmc.backend') ?? '', /^float64 \(reference path\); chosen by auto: /);
});

test('--dry-run prints the sweep points and chunks and writes nothing', () => {
  const out = join(dir, 'dry');
  const r = dtmc(['run', jobPath, '--out', out, '--dry-run', '--shard', '1/3']);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /runs: 2 sweep point\(s\) x 18 realisations = 36 solves, 8 chunk\(s\) of up to 5/);
  assert.match(r.stdout, /shard 1\/3: 3 chunk\(s\), 13 realisations/);
  assert.match(r.stdout, /point\s+sMaxKbit\n-+\s+-+\n\s+0\s+0\n\s+1\s+30/);
  assert.ok(!existsSync(out), 'no output folder');
});

test('a malformed job file is refused before anything is written', () => {
  const out = join(dir, 'never');
  const r = dtmc(['run', writeJob(dir, { ...JOB, realisations: -3 }, 'bad.json'), '--out', out]);
  assert.is(r.status, 2);
  assert.match(r.stderr, /bad\.json\.realisations must be an integer in \[1, 2\^32\)/);
  assert.ok(!existsSync(out), 'no output folder');
  const broken = join(dir, 'broken.json');
  writeFileSync(broken, '{ "name": ');
  const b = dtmc(['run', broken, '--out', out]);
  assert.is(b.status, 2);
  assert.match(b.stderr, /is not valid JSON/);
  assert.ok(!existsSync(out), 'no output folder');
});

test.run();
