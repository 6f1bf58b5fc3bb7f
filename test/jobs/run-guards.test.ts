/**
 * `dtmc run` refusing what it cannot do well (bad options, unbounded work, an engine that cannot
 * start) and telling what happened when a run is cut short or its folder changes under it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { dtmc, dtmcAsync, exited, firstChunk, tempDir, writeJob } from '../helpers/job-runs.js';

const TINY = { name: 'guards', seed: 3, realisations: 4, chunkSize: 2, base: { M: 4 }, workers: 1 };
/** Chunks of 20 realisations at M = 15 on one worker: a second or so each, so one is running when a signal comes. */
const SLOW = { name: 'slow', seed: 5, realisations: 200, chunkSize: 20, base: { M: 15 }, workers: 1 };
let dir = '';
test.before(() => {
  dir = tempDir('guards');
});

test('--workers above the job file\'s limit is refused before anything is written', () => {
  const out = join(dir, 'workers');
  const r = dtmc(['run', writeJob(dir, TINY), '--out', out, '--workers', '10000']);
  assert.is(r.status, 2, r.stderr);
  assert.match(r.stderr, /--workers must be an integer in \[1, 256\], got 10000/);
  assert.ok(!existsSync(out));
});

test('DTMC_WORKERS sets the worker count below --workers, and run says where its count came from', () => {
  const job = writeJob(dir, { ...TINY, name: 'envworkers', workers: 'auto' }, 'envworkers.json');
  const env = dtmc(['run', job, '--out', join(dir, 'envworkers')], { DTMC_WORKERS: '2' });
  assert.is(env.status, 0, env.stderr);
  assert.match(env.stderr, /2 to run \(4 realisations\) on 2 worker\(s\) \(DTMC_WORKERS\)/);
  const flag = dtmc(['run', job, '--out', join(dir, 'envworkers-flag'), '--workers', '1'], { DTMC_WORKERS: '2' });
  assert.match(flag.stderr, /on 1 worker\(s\) \(--workers\)/);
  const auto = dtmc(['run', job, '--out', join(dir, 'envworkers-auto')], { SLURM_CPUS_PER_TASK: '1' });
  assert.match(auto.stderr, /on 1 worker\(s\) \(auto: (SLURM_CPUS_PER_TASK|the affinity mask)\)/);
  assert.match(auto.stderr, /4 realisations in [\d.]+ s \(\d+\/s, 1 worker\(s\): auto: /);
});

test('a malformed DTMC_WORKERS is refused before anything is written, naming the variable', () => {
  const out = join(dir, 'badenvworkers');
  const r = dtmc(['run', writeJob(dir, TINY), '--out', out], { DTMC_WORKERS: 'many' });
  assert.is(r.status, 2, r.stderr);
  assert.match(r.stderr, /^dtmc: DTMC_WORKERS must be an integer in \[1, 256\], got "many"$/m);
  assert.ok(!existsSync(out));
});

test('DTMC_OUT is the output folder unless --out is given; an empty one is refused, naming it', () => {
  const job = writeJob(dir, { ...TINY, name: 'envout' }, 'envout.json');
  const env = dtmc(['run', job, '--no-summary'], { DTMC_OUT: join(dir, 'from-env') });
  assert.is(env.status, 0, env.stderr);
  assert.match(env.stderr, /2\/2 chunk\(s\) complete in .*from-env/);
  assert.ok(existsSync(join(dir, 'from-env', 'job.json')));
  const flag = dtmc(['run', job, '--out', join(dir, 'from-flag'), '--no-summary'], { DTMC_OUT: join(dir, 'from-env-2') });
  assert.is(flag.status, 0, flag.stderr);
  assert.ok(existsSync(join(dir, 'from-flag', 'job.json')) && !existsSync(join(dir, 'from-env-2')));
  const empty = dtmc(['run', job, '--dry-run'], { DTMC_OUT: ' ' });
  assert.is(empty.status, 2);
  assert.match(empty.stderr, /^dtmc: DTMC_OUT must name a folder, got an empty string$/m);
});

test('--out "" is refused, naming the option', () => {
  const r = dtmc(['run', writeJob(dir, TINY), '--out', '', '--dry-run']);
  assert.is(r.status, 2, r.stderr);
  assert.match(r.stderr, /--out must name a folder, got an empty string/);
});

test('a job named ".." is refused before anything is written', () => {
  const r = dtmc(['run', writeJob(dir, { ...TINY, name: '..' }, 'dots.json'), '--dry-run']);
  assert.is(r.status, 2, r.stderr);
  assert.match(r.stderr, /dots\.json\.name must be 1-100 letters/);
});

test('--dry-run of a job of four billion one-row chunks answers at once with a named error', () => {
  const start = Date.now();
  const r = dtmc(['run', writeJob(dir, { name: 'huge', seed: 1, realisations: 4294967295, chunkSize: 1 }, 'huge.json'), '--dry-run']);
  assert.ok(Date.now() - start < 15_000, `${Date.now() - start} ms`);
  assert.is(r.status, 2, r.stderr);
  assert.match(r.stderr, /huge\.json has 4294967295 chunks .* at most 1000000: set .*huge\.json\.chunkSize to at least 4295/);
});

test('a GPU backend that cannot start on this machine is bad input: exit 2 with the reason, no chunk tried', () => {
  const require = createRequire(import.meta.url);
  const installed = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'].some((p) => {
    try {
      return Boolean(require.resolve(p));
    } catch {
      return false;
    }
  });
  if (installed) return console.log('  (skipped: a tensorflow package is installed here)');
  const out = join(dir, 'tensorflow');
  const r = dtmc(['run', writeJob(dir, { ...TINY, backend: 'tensorflow' }, 'tf.json'), '--out', out]);
  assert.is(r.status, 2, r.stderr);
  assert.match(r.stderr, /backend tensorflow cannot start on this machine: neither @tensorflow\/tfjs-node-gpu nor @tensorflow\/tfjs-node is installed/);
  assert.ok(!existsSync(join(out, 'job.json')), 'nothing written');
});

test('a second signal abandons the running chunks: not recorded as failed, redone by the next run', async () => {
  const path = writeJob(dir, { ...SLOW, chunkSize: 40 }, 'slow40.json');
  // The next chunk starts once the first is written and its folder synced; a signal that lands in
  // that gap finds no running chunk, and the run rightly stops at once (exit 143, nothing to
  // abandon). Under load the gap can be long, so such an attempt is made again (at most 3), each
  // waiting longer after the first chunk before the first signal.
  let out = '';
  let result = { code: null as number | null, stderr: '' };
  for (let attempt = 1; attempt <= 3; attempt++) {
    out = join(dir, `abandoned-${attempt}`);
    const child = dtmcAsync(['run', path, '--out', out]);
    const done = exited(child);
    await firstChunk(out);
    await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
    const heard = new Promise<void>((resolve) => child.stderr?.on('data', (d) => String(d).includes('no new chunks') && resolve()));
    child.kill('SIGTERM');
    await Promise.race([heard, done]); // the next chunk (two seconds or so) is running
    child.kill('SIGTERM');
    result = await done;
    if (!(result.code === 143 && !/abandoning/.test(result.stderr) && / 1\/5 chunk\(s\) complete/.test(result.stderr))) break;
  }
  const { code, stderr } = result;
  assert.is(code, 143, stderr);
  assert.match(stderr, /SIGTERM: abandoning the running chunks/, stderr);
  assert.match(stderr, /abandoned 1 running chunk\(s\) \(p00000-c\d{6}\); the next run redoes them/, stderr);
  assert.not.match(stderr, /failed/);
  assert.equal(readdirSync(join(out, 'chunks')).filter((f) => f.endsWith('.failed.json')), []);
  assert.ok(!existsSync(join(out, '.dtmc.lock')), 'the lock is released');
});

test('a chunk overwritten while an unsharded run goes on: the run says the folder changed and exits 4', async () => {
  const path = writeJob(dir, SLOW, 'slow.json');
  const out = join(dir, 'overwritten');
  const child = dtmcAsync(['run', path, '--out', out]);
  const done = exited(child);
  await firstChunk(out);
  const victim = readdirSync(join(out, 'chunks')).find((f) => f.endsWith('.arrow'))!;
  writeFileSync(join(out, 'chunks', victim), 'clobbered');
  const { code, stderr } = await done;
  assert.is(code, 4, stderr);
  assert.match(stderr, new RegExp(`1 chunk\\(s\\) of this run are missing or invalid after it finished \\(e\\.g\\. ${victim.replace('.arrow', '')}\\): the folder was changed during the run`));
  assert.not.match(stderr, /other shards/);
});

test.run();
