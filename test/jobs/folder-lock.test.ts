/**
 * One run per job folder (and per shard): the lock, exclusive claims of a folder, stale locks,
 * and what a run may delete. The lock logic itself in-process; the runs as a user starts them.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tableFromIPC } from 'apache-arrow';
import { DtmcError } from '../../engine/errors.js';
import { acquireFolderLock, createExclusive } from '../../jobs/folder-lock.js';
import { lockName } from '../../output/job-folder.js';
import { dtmc, exited, ROOT, tempDir, writeJob } from '../helpers/job-runs.js';

const CLI = join(ROOT, 'dist', 'cli', 'main.js');
/** Eight chunks on one worker. */
const SLOW = { name: 'locked', seed: 5, realisations: 80, chunkSize: 10, base: { M: 15 }, workers: 1 };
const TINY = { name: 'tiny', seed: 3, realisations: 4, chunkSize: 2, base: { M: 4 }, workers: 1 };
const quiet = (): void => {};
let dir = '';

test.before(() => {
  dir = tempDir('lock');
});

const locked = (f: () => unknown): DtmcError => {
  try {
    f();
  } catch (e) {
    if (e instanceof DtmcError && e.code === 'locked') return e;
    throw e;
  }
  throw new Error('expected a locked error');
};

const run = (args: string[], env: Record<string, string> = {}) =>
  spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });

/** Resolves when outDir/job.json exists (the run has claimed the folder). */
async function claimed(outDir: string): Promise<void> {
  const start = Date.now();
  while (!existsSync(join(outDir, 'job.json'))) {
    if (Date.now() - start > 60_000) throw new Error(`${outDir} not claimed after 60 s`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const chunkHashes = (out: string): string[] =>
  readdirSync(join(out, 'chunks')).filter((f) => f.endsWith('.arrow'))
    .map((f) => tableFromIPC(readFileSync(join(out, 'chunks', f))).schema.metadata.get('dtmc.job_hash') ?? '');

test('createExclusive creates a file once and never replaces it', () => {
  const path = join(dir, 'once.json');
  assert.is(createExclusive(path, 'first'), true);
  assert.is(createExclusive(path, 'second'), false);
  assert.is(readFileSync(path, 'utf8'), 'first');
  assert.equal(readdirSync(dir).filter((f) => f.includes('.tmp-')), [], 'no temporary left');
});

test('shards of one count share a folder; the unsharded run and other counts are excluded; a lock is released once', () => {
  const out = join(dir, 'shards');
  mkdirSync(out);
  const o = { jobName: 'j', jobHash: 'h', log: quiet };
  const a = acquireFolderLock(out, { index: 0, count: 2 }, o);
  const b = acquireFolderLock(out, { index: 1, count: 2 }, o);
  assert.match(locked(() => acquireFolderLock(out, { index: 0, count: 2 }, o)).message, /is in use: dtmc run of job j \(shard 0\/2\) as pid \d+ on host .*it is running on this host/);
  assert.match(locked(() => acquireFolderLock(out, { index: 0, count: 1 }, o)).message, /shard [01]\/2/);
  assert.match(locked(() => acquireFolderLock(out, { index: 2, count: 3 }, o)).message, /shard [01]\/2/);
  assert.equal(readdirSync(out).sort(), [lockName({ index: 0, count: 2 }), lockName({ index: 1, count: 2 })], 'a refused run leaves no lock behind');
  a.release();
  b.release();
  b.release();
  const all = acquireFolderLock(out, { index: 0, count: 1 }, o);
  assert.equal(readdirSync(out), ['.dtmc.lock']);
  assert.match(locked(() => acquireFolderLock(out, { index: 1, count: 2 }, o)).message, /shard 0\/1/);
  all.release();
  assert.equal(readdirSync(out), []);
});

test('a second run of the same job on one folder is refused while the first runs, naming its host and pid; the first completes', async () => {
  const path = writeJob(dir, SLOW, 'slow.json');
  const out = join(dir, 'twice');
  const first = run(['run', path, '--out', out, '--no-summary']);
  const done = exited(first);
  await claimed(out);
  first.kill('SIGSTOP'); // paused mid-run, so that the second run surely overlaps it
  const second = dtmc(['run', path, '--out', out, '--no-summary']);
  first.kill('SIGCONT');
  assert.is(second.status, 2, second.stderr);
  assert.match(second.stderr, new RegExp(`is in use: dtmc run of job locked \\(shard 0/1\\) as pid ${first.pid} on host ${hostname()}`));
  const { code, stderr } = await done;
  assert.is(code, 0, stderr);
  assert.match(stderr, /0 already complete, 8 to run/);
  assert.match(stderr, /8\/8 chunk\(s\) complete/);
  assert.equal(readdirSync(out).sort(), ['chunks', 'job.json'], 'the lock is gone');
  assert.equal(readdirSync(join(out, 'chunks')).filter((f) => !f.endsWith('.arrow') && !f.endsWith('.arrow.sha256')), [], 'no temporaries, no failures');
});

test('two different jobs claiming one empty folder at once (slow file system): exactly one wins', async () => {
  const out = join(dir, 'claimed');
  const env = { NODE_OPTIONS: `--import=${pathToFileURL(join(ROOT, 'dist', 'test', 'helpers', 'slow-claim.js')).href}`, DTMC_TEST_SLOW_CLAIM_MS: '1500' };
  // Shards 0/2 and 1/2: their locks do not exclude each other, so only the claim decides.
  const a = exited(run(['run', writeJob(dir, { ...TINY, name: 'claim-a' }, 'claim-a.json'), '--out', out, '--shard', '0/2', '--no-summary'], env));
  const b = exited(run(['run', writeJob(dir, { ...TINY, name: 'claim-b', seed: 4 }, 'claim-b.json'), '--out', out, '--shard', '1/2', '--no-summary'], env));
  const results = await Promise.all([a, b]);
  const winners = results.filter((r) => r.code === 0);
  assert.is(winners.length, 1, results.map((r) => r.stderr).join('\n'));
  const loser = results.find((r) => r.code !== 0)!;
  assert.is(loser.code, 2, loser.stderr);
  assert.match(loser.stderr, /holds results of a different job/);
  const manifest = JSON.parse(readFileSync(join(out, 'job.json'), 'utf8'));
  assert.ok(chunkHashes(out).every((h) => h === manifest.jobHash), 'every chunk is the winner\'s');
});

test('a folder with chunk files but no job.json is refused and nothing in it is deleted', () => {
  const out = join(dir, 'foreign');
  mkdirSync(join(out, 'chunks'), { recursive: true });
  const foreign = join(out, 'chunks', 'p00000-c000000.arrow');
  writeFileSync(foreign, 'another job\'s chunk');
  const r = dtmc(['run', writeJob(dir, TINY, 'tiny.json'), '--out', out]);
  assert.is(r.status, 2, r.stderr);
  assert.match(r.stderr, /has no job\.json, but its chunks folder holds 1 file\(s\) \(e\.g\. p00000-c000000\.arrow\)/);
  assert.is(readFileSync(foreign, 'utf8'), 'another job\'s chunk');
  assert.ok(!existsSync(join(out, 'job.json')) && !existsSync(join(out, '.dtmc.lock')));
});

test('the lock of a dead process on this host is taken over, and the run says so', () => {
  const out = join(dir, 'stale');
  mkdirSync(out);
  const dead = spawnSync(process.execPath, ['-e', '']).pid;
  writeFileSync(join(out, '.dtmc.lock'), JSON.stringify({ user: 'u', host: hostname(), pid: dead, startedAt: '2026-01-01T00:00:00Z', jobName: 'tiny', jobHash: 'x', shard: '0/1', token: 't' }));
  const r = dtmc(['run', writeJob(dir, TINY, 'tiny.json'), '--out', out, '--no-summary']);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`taking over the stale lock .*\\.dtmc\\.lock: dtmc run of job tiny \\(shard 0/1\\) as pid ${dead} on host .*, which no longer runs`));
  assert.ok(!existsSync(join(out, '.dtmc.lock')));
});

test('a lock from another host is never taken over: the run names host and pid; --break-lock removes it', () => {
  const out = join(dir, 'remote');
  mkdirSync(out);
  writeFileSync(join(out, '.dtmc.lock.1-of-4'), JSON.stringify({ user: 'u', host: 'node-17.cluster', pid: 4242, startedAt: '2026-01-01T00:00:00Z', jobName: 'tiny', jobHash: 'x', shard: '1/4', token: 't' }));
  const path = writeJob(dir, TINY, 'tiny.json');
  const r = dtmc(['run', path, '--out', out, '--no-summary']);
  assert.is(r.status, 2, r.stderr);
  assert.match(r.stderr, /pid 4242 on host node-17\.cluster.*cannot tell whether it still runs on node-17\.cluster; if it does not \(the node died\), remove .*\.dtmc\.lock\.1-of-4 or pass --break-lock/);
  assert.ok(existsSync(join(out, '.dtmc.lock.1-of-4')));
  const broken = dtmc(['run', path, '--out', out, '--no-summary', '--break-lock']);
  assert.is(broken.status, 0, broken.stderr);
  assert.match(broken.stderr, /--break-lock: removing the lock .*\.dtmc\.lock\.1-of-4 \(dtmc run of job tiny \(shard 1\/4\) as pid 4242 on host node-17\.cluster/);
  assert.equal(readdirSync(out).sort(), ['chunks', 'job.json']);
});

test('an edited job.json is refused: its hash no longer matches its job', () => {
  const out = join(dir, 'edited');
  const path = writeJob(dir, { ...TINY, sweep: { sMaxKbit: [0, 30] } }, 'edited.json');
  assert.is(dtmc(['run', path, '--out', out, '--no-summary']).status, 0);
  const manifest = JSON.parse(readFileSync(join(out, 'job.json'), 'utf8'));
  manifest.job.sweep.sMaxKbit = [0, 60];
  writeFileSync(join(out, 'job.json'), JSON.stringify(manifest));
  const r = dtmc(['aggregate', out]);
  assert.is(r.status, 2, r.stderr);
  assert.match(r.stderr, /job\.json has been changed: its job hashes to [0-9a-f]{12} but it records [0-9a-f]{12}/);
});

test.run();
