/**
 * `dtmc run` and `dtmc aggregate` against folders that cannot be written, as a user meets them:
 * a full disk, a read-only mount, a directory in a file's place, --out naming a file, a broken
 * job.json, a closed stderr pipe. Each is a named error with exit 2 and no stack (or, for the
 * pipe, a run that completes), and nothing partial is left under a final name.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JOB_FORMAT, jobChunks } from '../../jobs/job-file.js';
import { readChunkFile } from '../../output/chunk-file.js';
import { readManifest } from '../../output/job-folder.js';
import { DtmcError } from '../../engine/errors.js';
import { makeFolder } from '../../output/atomic-file.js';
import { dtmc, dtmcAsync, readRows, tempDir, writeJob, type CliRun } from '../helpers/job-runs.js';
import { runWithFaults } from '../helpers/fault-run.js';

const JOB = { name: 'writes', seed: 5, realisations: 6, base: { M: 4 }, sweep: { sMaxKbit: [0, 30] }, chunkSize: 3, workers: 1, backend: 'float64' };
let dir = '';
let jobPath = '';
let baseline: Record<string, unknown>[] = [];

test.before(() => {
  dir = tempDir('writes');
  jobPath = writeJob(dir, JOB);
  const r = dtmc(['run', jobPath, '--out', join(dir, 'base')]);
  assert.is(r.status, 0, r.stderr);
  baseline = readRows(join(dir, 'base'));
});

/** Exit 2, a `dtmc:` line matching `pattern`, no stack trace. */
function expectNamedError(r: CliRun, pattern: RegExp): void {
  assert.is(r.status, 2, `exit status; stderr: ${r.stderr}`);
  assert.match(r.stderr, /^dtmc: /m);
  assert.match(r.stderr, pattern);
  assert.not.match(r.stderr, /^\s+at /m, 'stack trace in stderr');
  assert.not.match(r.stderr, /unexpected error/);
}

/** Every file in DIR/chunks: the complete chunks are valid, nothing else is there but `allowed`. */
function expectOnlyCompleteChunks(out: string, allowed: RegExp = /^$/): number {
  const job = readManifest(out, JOB_FORMAT)!.job;
  const byId = new Map(jobChunks(job).map((c) => [c.id, c]));
  let complete = 0;
  const files = readdirSync(join(out, 'chunks'));
  for (const f of files) {
    if (allowed.test(f)) continue;
    // A checksum file is written first: one may stand without its chunk (that chunk is redone).
    if (f.endsWith('.arrow.sha256') && !f.includes('.tmp-')) continue;
    assert.ok(f.endsWith('.arrow') && !f.includes('.tmp-'), `unexpected file ${f}`);
    const c = byId.get(f.replace(/\.arrow$/, ''))!;
    const { problem } = readChunkFile(join(out, 'chunks', f), { jobHash: readManifest(out, JOB_FORMAT)!.jobHash, chunk: c.id, first: c.first, count: c.count });
    assert.is(problem, null, `${f} is a complete chunk`);
    complete++;
  }
  return complete;
}

/** Mounts a tmpfs at `at` with `options` (root with mount rights only); false when that is not possible here. */
const mountTmpfs = (at: string, options: string): boolean =>
  spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', at], { stdio: 'ignore' }).status === 0;
const unmount = (at: string): void => void spawnSync('umount', [at], { stdio: 'ignore' });

test('a chunk that cannot be written (a full disk, injected) stops the run: exit 2, named, solved once, nothing partial, resumable', async () => {
  const out = join(dir, 'full');
  const r = await runWithFaults(jobPath, out, { fullDisk: 'p00000-c000001' });
  assert.is(r.exitCode, 2, r.log);
  assert.type(r.outcome.writeError, 'string');
  assert.match(r.log, /^dtmc: no space left on device \(ENOSPC\) while writing \S*p00000-c000001\.arrow; nothing was replaced/m);
  assert.match(r.log, /stopped: the chunks written so far stay; fix the folder, then resume with: dtmc run /);
  assert.not.match(r.log, /retrying/, 'a write error is not retried as a crash');
  assert.equal([r.outcome.written, r.outcome.failed], [1, []], 'solved once: the chunk before is written, none after starts');
  assert.is(expectOnlyCompleteChunks(out), 1, 'the chunk before stays; none after starts');
  const again = dtmc(['run', jobPath, '--out', out]);
  assert.is(again.status, 0, again.stderr);
  assert.match(again.stderr, /1 already complete, 3 to run/);
  assert.equal(readRows(out), baseline);
});

test('a real full disk (a 100 KB tmpfs) stops the run with a named error and leaves only complete chunks', () => {
  const at = join(dir, 'tmpfs');
  mkdirSync(at);
  if (!mountTmpfs(at, 'size=100k')) {
    console.log('  skipped: cannot mount a tmpfs here (needs root with mount rights); the injected full disk above covers the logic');
    return;
  }
  try {
    const big = writeJob(dir, { ...JOB, name: 'big', realisations: 60, base: { M: 15 }, chunkSize: 20 }, 'big.json');
    const r = dtmc(['run', big, '--out', join(at, 'out')]);
    expectNamedError(r, /no space left on device \(ENOSPC\) while writing \S*\.arrow(\.sha256)?; nothing was replaced/);
    assert.not.match(r.stderr, /retrying/);
    const complete = expectOnlyCompleteChunks(join(at, 'out'));
    assert.ok(complete >= 1 && complete < 6, `${complete} complete chunk(s) of 6 (about 25 KB each)`);
  } finally {
    unmount(at);
  }
});

test('a read-only output folder is a named error, exit 2', () => {
  const at = join(dir, 'readonly');
  mkdirSync(at);
  if (!mountTmpfs(at, 'ro,size=64k')) {
    console.log('  skipped: cannot mount a read-only tmpfs here (needs root with mount rights)');
    return;
  }
  try {
    expectNamedError(dtmc(['run', jobPath, '--out', join(at, 'out')]), /the file system is read-only \(EROFS\) while creating the folder \S*readonly\/out(\/chunks)?/);
  } finally {
    unmount(at);
  }
});

test('a directory in a chunk\'s place is a named error (exit 2); the run works once it is removed', () => {
  const out = join(dir, 'dir-chunk');
  assert.is(dtmc(['run', jobPath, '--out', out]).status, 0);
  const chunk = join(out, 'chunks', 'p00001-c000000.arrow');
  rmSync(chunk);
  mkdirSync(chunk);
  expectNamedError(dtmc(['run', jobPath, '--out', out]), /a directory is in the way \(move or remove it\) \(EISDIR\) while removing \S*p00001-c000000\.arrow/);
  rmdirSync(chunk);
  const again = dtmc(['run', jobPath, '--out', out]);
  assert.is(again.status, 0, again.stderr);
  assert.match(again.stderr, /3 already complete, 1 to run/);
  assert.equal(readRows(out), baseline);
});

test('a directory in .failed.json\'s place is a named error (exit 2); the run works once it is removed', () => {
  const out = join(dir, 'dir-chunk'); // complete, from the test above
  const failed = join(out, 'chunks', 'p00000-c000000.failed.json');
  mkdirSync(failed);
  expectNamedError(dtmc(['run', jobPath, '--out', out]), /a directory is in the way .*\(EISDIR\) while removing \S*p00000-c000000\.failed\.json/);
  rmdirSync(failed);
  const again = dtmc(['run', jobPath, '--out', out]);
  assert.is(again.status, 0, again.stderr);
  assert.match(again.stderr, /4 already complete, 0 to run/);
});

test('--out naming a file, a path through a file, or nothing is a named error and writes nothing', () => {
  const file = join(dir, 'a-file');
  writeFileSync(file, 'not a folder');
  expectNamedError(dtmc(['run', jobPath, '--out', file]), /cannot be created: \S*a-file is a file, not a folder/);
  expectNamedError(dtmc(['run', jobPath, '--out', '']), /--out must name a folder, got an empty string/);
  assert.throws(() => makeFolder(join(file, 'sub', 'chunks')), (e: Error) => e instanceof DtmcError && /\S*a-file is a file, not a folder/.test(e.message));
});

test('a job.json holding null, an array, a number or an object without a job is a named error', () => {
  const cases = [['null', 'holds null'], ['[1, 2]', 'holds an array'], ['7', 'holds a number'], ['{"jobHash": "x"}', 'holds an object without a job']];
  for (const [text, says] of cases) {
    const out = join(dir, `manifest-${says.replace(/\W+/g, '-')}`);
    mkdirSync(out);
    writeFileSync(join(out, 'job.json'), text);
    assert.throws(() => readManifest(out, JOB_FORMAT), (e: Error) => e instanceof DtmcError && new RegExp(`job\\.json ${says}, not a dtmc manifest`).test(e.message), says);
  }
  expectNamedError(dtmc(['run', jobPath, '--out', join(dir, 'manifest-holds-null')]), /job\.json holds null, not a dtmc manifest/);
  expectNamedError(dtmc(['aggregate', join(dir, 'manifest-holds-an-array')]), /job\.json holds an array, not a dtmc manifest/);
});

test('a run whose stderr reader goes away finishes every chunk and the summary, quietly (exit 0)', async () => {
  const out = join(dir, 'epipe');
  const child = dtmcAsync(['run', jobPath, '--out', out, '--progress', 'log']);
  let stdout = '';
  child.stdout!.on('data', (d) => (stdout += String(d)));
  child.stderr!.once('data', () => child.stderr!.destroy());
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  assert.is(code, 0, `exit code; stdout: ${stdout}`);
  assert.ok(existsSync(join(out, 'summary.arrow')) && existsSync(join(out, 'summary.csv')), 'the summary is written');
  assert.match(stdout, /point\s+sMaxKbit\s+rows/);
  assert.equal(readRows(out), baseline);
});

test.run();
