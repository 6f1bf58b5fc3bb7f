/**
 * Atomic, checked writes (output/atomic-file.ts): short writes are completed, a full disk is a
 * named error that replaces nothing and leaves no temporary, links are never written through.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DtmcError } from '../../engine/errors.js';
import { fullDiskCalls } from '../helpers/full-disk.js';
import { NODE_WRITE_CALLS, writeFileAtomically, writeFileAtomicallySync, type WriteCalls } from '../../output/atomic-file.js';
import { writePiecesAtomically } from '../../output/chunk-file.js';
import { aggregate, writeSummary } from '../../output/aggregate.js';
import { openJobFolder } from '../../output/job-folder.js';
import { JOB_FORMAT } from '../../jobs/job-file.js';
import { mulberry32 } from '../helpers/random.js';
import { dtmc, tempDir, writeJob } from '../helpers/job-runs.js';

/** 20 pieces of random bytes, 10 KB in all. */
function randomPieces(seed: number): Uint8Array[] {
  const rnd = mulberry32(seed);
  return Array.from({ length: 20 }, () => Uint8Array.from({ length: 512 }, () => Math.floor(rnd() * 256)));
}
const concat = (pieces: Uint8Array[]): Buffer => Buffer.concat(pieces);

/** Writes at most `most` bytes per call, as a slow or interrupted device may. */
const stingyCalls = (most: number): WriteCalls => {
  const cut = (buffers: Uint8Array[]): Uint8Array[] => {
    let left = most;
    return buffers.flatMap((b) => {
      const part = b.subarray(0, Math.min(b.byteLength, left));
      left -= part.byteLength;
      return part.byteLength ? [part] : [];
    });
  };
  return { ...NODE_WRITE_CALLS, writev: (fd, b) => NODE_WRITE_CALLS.writev(fd, cut(b)), writevSync: (fd, b) => NODE_WRITE_CALLS.writevSync(fd, cut(b)) };
};

/** Expects `run` to throw a named file error (code io) whose message matches `pattern`. */
async function expectIoError(run: () => unknown, pattern: RegExp): Promise<void> {
  try {
    await run();
  } catch (e) {
    assert.instance(e, DtmcError, `a named error, got ${(e as Error).stack}`);
    assert.is((e as DtmcError).code, 'io');
    assert.match((e as Error).message, pattern);
    return;
  }
  assert.unreachable('the write succeeded');
}

test('short writes are followed by more writes until every byte is on disk', async () => {
  const dir = tempDir('atomic-short');
  const pieces = randomPieces(1);
  await writePiecesAtomically(join(dir, 'a.arrow'), pieces, stingyCalls(7));
  assert.ok(readFileSync(join(dir, 'a.arrow')).equals(concat(pieces)), 'the file holds every byte');
  writeFileAtomicallySync(join(dir, 'b.json'), 'x'.repeat(1000), stingyCalls(13));
  assert.is(readFileSync(join(dir, 'b.json'), 'utf8'), 'x'.repeat(1000));
  assert.equal(readdirSync(dir).sort(), ['a.arrow', 'b.json'], 'no temporaries');
});

test('a full disk mid-write (a short write, then ENOSPC) is a named error that replaces nothing and leaves no temporary', async () => {
  const dir = tempDir('atomic-full');
  const path = join(dir, 'p00000-c000003.arrow');
  writeFileSync(path, 'the old file');
  await expectIoError(() => writePiecesAtomically(path, randomPieces(2), fullDiskCalls(3000)),
    /^no space left on device \(ENOSPC\) while writing .*p00000-c000003\.arrow; nothing was replaced$/);
  assert.is(readFileSync(path, 'utf8'), 'the old file');
  await expectIoError(() => writeFileAtomicallySync(join(dir, 'job.json'), 'y'.repeat(5000), fullDiskCalls(100)), /no space left on device \(ENOSPC\) while writing .*job\.json/);
  assert.equal(readdirSync(dir), ['p00000-c000003.arrow'], 'no temporary and no partial file under the final name');
});

test('a directory in the destination\'s place is a named error and is left as it was', async () => {
  const dir = tempDir('atomic-dir');
  mkdirSync(join(dir, 'c.arrow'));
  await expectIoError(() => writePiecesAtomically(join(dir, 'c.arrow'), randomPieces(3)), /a directory is in the way .*\(EISDIR\) while writing .*c\.arrow; nothing was replaced/);
  await expectIoError(() => writeFileAtomicallySync(join(dir, 'c.arrow'), 'x'), /EISDIR/);
  assert.ok(lstatSync(join(dir, 'c.arrow')).isDirectory());
  assert.equal(readdirSync(dir), ['c.arrow'], 'no temporary');
});

test('a symbolic link at the destination is replaced by the file, never written through', async () => {
  const dir = tempDir('atomic-link');
  const outside = join(tempDir('atomic-outside'), 'precious');
  writeFileSync(outside, 'keep me');
  symlinkSync(outside, join(dir, 'summary.csv'));
  await writeFileAtomically(join(dir, 'summary.csv'), 'a,b\n');
  assert.is(readFileSync(outside, 'utf8'), 'keep me');
  assert.ok(lstatSync(join(dir, 'summary.csv')).isFile(), 'a plain file now');
  assert.is(readFileSync(join(dir, 'summary.csv'), 'utf8'), 'a,b\n');
});

test('a link planted at the temporary\'s name is neither opened nor followed (O_EXCL | O_NOFOLLOW): another name is drawn', async () => {
  const dir = tempDir('atomic-planted');
  const outside = join(tempDir('atomic-outside'), 'precious');
  writeFileSync(outside, 'keep me');
  const planted = join(dir, 'job.json.tmp-planted');
  symlinkSync(outside, planted);
  let draws = 0;
  const calls: WriteCalls = { ...NODE_WRITE_CALLS, tempPath: (p) => (draws++ === 0 ? planted : NODE_WRITE_CALLS.tempPath(p)) };
  await writeFileAtomically(join(dir, 'job.json'), '{"a":1}\n', calls);
  draws = 0;
  writeFileAtomicallySync(join(dir, 'job.json'), '{"a":2}\n', calls);
  assert.is(readFileSync(outside, 'utf8'), 'keep me');
  assert.is(readlinkSync(planted), outside, 'what was there is left alone');
  assert.is(readFileSync(join(dir, 'job.json'), 'utf8'), '{"a":2}\n');
  assert.equal(readdirSync(dir).sort(), ['job.json', 'job.json.tmp-planted']);
  const names = new Set(Array.from({ length: 100 }, () => NODE_WRITE_CALLS.tempPath(join(dir, 'summary.csv'))));
  assert.is(names.size, 100, 'temporary names are random');
});

test('aggregate never writes through a link planted at the old predictable temporary name (summary.csv.tmp-<pid>)', async () => {
  const dir = tempDir('atomic-summary');
  const out = join(dir, 'out');
  const r = dtmc(['run', writeJob(dir, { name: 's', seed: 3, realisations: 4, base: { M: 4 }, chunkSize: 4, workers: 1, backend: 'float64' }), '--out', out, '--no-summary']);
  assert.is(r.status, 0, r.stderr);
  const outside = join(tempDir('atomic-outside'), 'precious');
  writeFileSync(outside, 'keep me');
  symlinkSync(outside, join(out, `summary.csv.tmp-${process.pid}`));
  await writeSummary(out, aggregate(openJobFolder(out, JOB_FORMAT)), '0.0.0-test');
  assert.is(readFileSync(outside, 'utf8'), 'keep me');
  assert.match(readFileSync(join(out, 'summary.csv'), 'utf8'), /^point,/);
});

test('a folder without write permission is a named error', async () => {
  if (process.getuid?.() === 0) {
    console.log('  skipped: permission denied cannot be tested as root (root writes through chmod 555); test/jobs/write-errors.test.ts checks a read-only mount instead');
    return;
  }
  const dir = tempDir('atomic-perm');
  chmodSync(dir, 0o555);
  try {
    await expectIoError(() => writeFileAtomically(join(dir, 'x.csv'), 'x'), /permission denied \(EACCES\) while creating a temporary file to write .*x\.csv/);
  } finally {
    chmodSync(dir, 0o755);
  }
});

test('a stream is written piece by piece; one that fails midway leaves nothing and throws its own error', async () => {
  const dir = tempDir('atomic-stream');
  const path = join(dir, 'rows.csv');
  async function* pieces(fail: boolean): AsyncGenerator<Uint8Array> {
    yield Buffer.from('a,b\n');
    yield Buffer.from('1,2\n');
    if (fail) throw new Error('chunk 3 is corrupt');
    yield Buffer.from('3,4\n');
  }
  await writeFileAtomically(path, pieces(false));
  assert.is(readFileSync(path, 'utf8'), 'a,b\n1,2\n3,4\n');
  try {
    await writeFileAtomically(path, pieces(true));
    assert.unreachable('written');
  } catch (e) {
    assert.is((e as Error).message, 'chunk 3 is corrupt');
  }
  assert.is(readFileSync(path, 'utf8'), 'a,b\n1,2\n3,4\n', 'the earlier file is as it was');
  assert.equal(readdirSync(dir), ['rows.csv'], 'no temporary left');
});

test.run();
