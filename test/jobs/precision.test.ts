/**
 * Precision targets (output/precision.ts, output/precision-prefix.ts, jobs/run-job.ts): the
 * stopping rule on complete prefixes of chunks, and a job that stops each point where its target
 * is met with the same chunk files whatever the worker count, a kill and resume, or shards; the
 * summary reads the prefix and nothing after it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { dtmc, dtmcAsync, exited, firstChunk, readRows, resultRows, tempDir, writeJob } from '../helpers/job-runs.js';
import { mergeMoments, momentsOf, stoppingPrefix, type Moments } from '../../output/precision.js';
import { tCritical } from '../../output/statistics.js';
import { jobChunks, jobHash, parseJob, sweepPoints } from '../../jobs/job-file.js';
import { solveAndWriteChunk } from '../../jobs/worker.js';
import { readChunkFile } from '../../output/chunk-file.js';
import { chunkPath } from '../../output/job-folder.js';
import { expectFailure } from '../helpers/expect-failure.js';

// Point 0 meets its target after 4 chunks, point 1 after 7 (checked below from the rows), of a cap of 20.
const JOB = { name: 'prec', seed: 11, realisations: 200, base: { M: 6 }, sweep: { sMaxKbit: [0, 30] }, chunkSize: 10, workers: 1, precision: { relative: 0.02 } };
let dir = '';
let jobPath = '';

test.before(() => {
  dir = tempDir('precision');
  jobPath = writeJob(dir, JOB);
  const r = dtmc(['run', jobPath, '--out', join(dir, 'one'), '--progress', 'none']);
  assert.is(r.status, 0, r.stderr);
});

/** SHA-256 of every chunk file of a folder, by name. */
function chunkHashes(out: string): Record<string, string> {
  const files = readdirSync(join(out, 'chunks')).filter((f) => f.endsWith('.arrow')).sort();
  return Object.fromEntries(files.map((f) => [f, createHash('sha256').update(readFileSync(join(out, 'chunks', f))).digest('hex')]));
}

/** Chunks per point in a folder. */
function chunksPerPoint(out: string, points: number): number[] {
  const files = readdirSync(join(out, 'chunks')).filter((f) => f.endsWith('.arrow'));
  return Array.from({ length: points }, (_, p) => files.filter((f) => f.startsWith(`p${String(p).padStart(5, '0')}-`)).length);
}

/** The summary.csv's rows as objects. */
function summaryCsv(out: string): Record<string, string>[] {
  const [head, ...lines] = readFileSync(join(out, 'summary.csv'), 'utf8').trim().split('\n');
  const names = head.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [names[i], v])));
}

/** Mean and t-based 95% CI half-width of the values of chunks 0 .. k-1 that are not null (brute force). */
function prefixInterval(values: (number | null)[][], k: number): { mean: number; halfWidth: number } {
  const x = values.slice(0, k).flat().filter((v): v is number => v !== null);
  const mean = x.reduce((s, v) => s + v, 0) / x.length;
  const sd = Math.sqrt(x.reduce((s, v) => s + (v - mean) ** 2, 0) / (x.length - 1));
  return { mean, halfWidth: x.length < 2 ? Number.NaN : (tCritical(0.95, x.length - 1) * sd) / Math.sqrt(x.length) };
}

/** The smallest k in 1 .. chunks whose prefix meets `meets`, else all chunks (independent of the moments' merge). */
function bruteForcePrefix(chunks: number, meets: (k: number) => boolean): { chunks: number; met: boolean } {
  for (let k = 1; k <= chunks; k++) if (meets(k)) return { chunks: k, met: true };
  return { chunks, met: false };
}

/** J of each realisation of a full run's rows of one point, per chunk (null where not solved). */
const perChunk = (rows: Record<string, unknown>[], point: number, chunkSize: number): (number | null)[][] => {
  const mine = rows.filter((r) => r.point === point);
  const out: (number | null)[][] = [];
  for (const r of mine) (out[Math.floor((r.realisation as number) / chunkSize)] ??= []).push(r.status === 'converged' || r.status === 'max-iterations' ? (r.objective_ms as number) : null);
  return out;
};

// ---------------------------------------------------------------------------------------------
// The rule

const m = (values: number[]): Moments => momentsOf(values);

test('the rule stops at the smallest complete prefix that meets the target', () => {
  const chunks = [m([10, 14]), m([12, 12]), m([11, 13, 12, 12]), m([12, 12])].map((x) => [x]);
  const d = stoppingPrefix(chunks, [{ halfWidthMs: 2 }]);
  const all = [10, 14, 12, 12, 11, 13, 12, 12];
  const hw = (n: number): number => {
    const x = all.slice(0, n);
    const mean = x.reduce((s, v) => s + v, 0) / n;
    return (tCritical(0.95, n - 1) * Math.sqrt(x.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1))) / Math.sqrt(n);
  };
  assert.ok(hw(4) > 2 && hw(8) <= 2, `half-widths ${hw(4)}, ${hw(8)}`);
  assert.equal([d.chunks, d.decided, d.met], [3, true, true]);
  assert.ok(Math.abs(d.reached[0].halfWidthMs - hw(8)) < 1e-12);
});

test('the decision depends only on the complete prefix: chunks after a gap or after the prefix change nothing', () => {
  const a = [m([10, 14]), m([12, 12]), m([11, 13, 12, 12]), m([12, 12])];
  const decided = stoppingPrefix(a.map((x) => [x]), [{ halfWidthMs: 2 }]);
  const later = stoppingPrefix([...a, m([0, 100]), m([50, 60])].map((x) => [x]).slice(0, 4).concat([[m([0, 100])]]), [{ halfWidthMs: 2 }]);
  assert.equal(later.chunks, decided.chunks);
  const gap = stoppingPrefix([[a[0]], null, [a[2]], [a[3]]], [{ halfWidthMs: 2 }]);
  assert.equal([gap.chunks, gap.decided, gap.met], [1, false, false]);
  const filled = stoppingPrefix([[a[0]], [a[1]], [a[2]], [a[3]]], [{ halfWidthMs: 2 }], gap);
  assert.equal(filled, decided, 'resumed from an undecided result: the same as a fresh call, bit for bit');
});

test('a target never met runs to the cap with met = false; fewer than 2 solved values meet no target', () => {
  const d = stoppingPrefix([[m([1, 5])], [m([9, 2])]], [{ relative: 1e-6 }]);
  assert.equal([d.chunks, d.decided, d.met], [2, true, false]);
  const none = stoppingPrefix([[m([Number.NaN])], [m([3])]], [{ halfWidthMs: 1e9 }]);
  assert.equal([none.chunks, none.decided, none.met], [2, true, false]);
});

test('merged chunk moments equal the moments of all values', () => {
  const x = [3.1, 4.1, 5.9, 2.6, 5.3, 5.8, 9.7, 9.3];
  const merged = mergeMoments(mergeMoments(m(x.slice(0, 3)), m(x.slice(3, 4))), m(x.slice(4)));
  const direct = m(x);
  assert.is(merged.n, direct.n);
  assert.ok(Math.abs(merged.mean - direct.mean) < 1e-14 && Math.abs(merged.m2 - direct.m2) < 1e-12, `${JSON.stringify(merged)} vs ${JSON.stringify(direct)}`);
});

// ---------------------------------------------------------------------------------------------
// The job field

test('precision errors name the field', () => {
  const bad = (precision: unknown, pattern: RegExp, sweep: object = JOB.sweep): void => expectFailure(() => parseJob({ ...JOB, sweep, precision }), 'invalid-argument', pattern);
  bad({ halfWidthMs: 0 }, /job\.precision\.halfWidthMs must be a number > 0 \(ms\)/);
  bad({ relative: 1.5 }, /job\.precision\.relative must be a number in \(0, 1\)/);
  bad({ relative: '1%' }, /job\.precision\.relative must be a number in \(0, 1\)/);
  bad({ halfwidthMs: 0.1 }, /job\.precision unknown field\(s\) halfwidthMs; known: halfWidthMs, relative, vsAoHalfWidthMs/);
  bad({}, /job\.precision must set at least one of halfWidthMs, relative, vsAoHalfWidthMs/);
  bad(0.01, /job\.precision must be an object/);
  bad({ vsAoHalfWidthMs: 0.1 }, /job\.precision\.vsAoHalfWidthMs needs a job that sweeps method .* job\.sweep\.method is not swept/);
  bad({ vsAoHalfWidthMs: 0.1 }, /job\.sweep\.method is \["offload-all","local-all"\]/, { method: ['offload-all', 'local-all'] });
});

test('the target is part of the job hash (it decides which chunks are results); an absent one adds nothing', () => {
  const { precision: _, ...plain } = JOB;
  void _;
  const h = (job: object): string => jobHash(parseJob(job));
  assert.is.not(h(JOB), h({ ...JOB, precision: { relative: 0.03 } }));
  assert.is.not(h(JOB), h(plain));
  assert.is(h({ ...plain, precision: undefined }), h(plain));
});

// ---------------------------------------------------------------------------------------------
// Runs

test('each point stops at the prefix the rule names (checked from a full run\'s rows), and the summary says so', () => {
  const full = join(dir, 'full');
  const r = dtmc(['run', writeJob(dir, { ...JOB, name: 'full', precision: undefined }, 'full.json'), '--out', full, '--progress', 'none', '--no-summary']);
  assert.is(r.status, 0, r.stderr);
  const rows = readRows(full);
  const expected = [0, 1].map((p) => {
    const values = perChunk(rows, p, 10);
    return bruteForcePrefix(20, (k) => {
      const { mean, halfWidth } = prefixInterval(values, k);
      return halfWidth / Math.abs(mean) <= 0.02;
    });
  });
  assert.equal(expected.map((e) => e.met), [true, true]);
  assert.ok(expected.every((e) => e.chunks > 1 && e.chunks < 20), `prefixes ${expected.map((e) => e.chunks)} lie strictly inside 1..20`);
  const one = join(dir, 'one');
  assert.equal(chunksPerPoint(one, 2), expected.map((e) => e.chunks));
  // The rows of the prefix are the full run's first rows, value for value.
  const used = resultRows(one);
  assert.equal(used, resultRows(full).filter((row) => (row.realisation as number) < expected[row.point as number].chunks * 10));
  const summary = summaryCsv(one);
  assert.equal(summary.map((s) => [s.rows, s.realisations, s.target_relative, s.target_met]), [['40', '200', '0.02', 'true'], ['70', '200', '0.02', 'true']]);
  assert.ok(summary.every((s) => Number(s.precision_relative) <= 0.02 && Number(s.precision_half_width_ms) > 0));
});

test('1 and 2 workers write the same chunk files, and no chunk past a prefix stays', () => {
  const two = join(dir, 'two');
  const r = dtmc(['run', jobPath, '--out', two, '--workers', '2', '--progress', 'none']);
  assert.is(r.status, 0, r.stderr);
  assert.equal(chunkHashes(two), chunkHashes(join(dir, 'one')));
  assert.match(r.stderr, /11\/40 chunk\(s\) complete in .*, 29 not needed \(their point met its precision target\)/);
  const again = dtmc(['run', jobPath, '--out', two]);
  assert.is(again.status, 0, again.stderr);
  assert.match(again.stderr, /11 already complete, 0 to run .*; 29 not needed/);
});

test('a target met in the first chunk uses only that chunk', () => {
  const out = join(dir, 'first');
  const r = dtmc(['run', writeJob(dir, { ...JOB, name: 'first', precision: { relative: 0.5 } }, 'first.json'), '--out', out, '--workers', '2', '--progress', 'none']);
  assert.is(r.status, 0, r.stderr);
  assert.equal(Object.keys(chunkHashes(out)), ['p00000-c000000.arrow', 'p00001-c000000.arrow']);
  assert.equal(summaryCsv(out).map((s) => [s.rows, s.target_met]), [['10', 'true'], ['10', 'true']]);
});

test('a point whose target is never met stops at the cap with met = false', () => {
  const out = join(dir, 'cap');
  const r = dtmc(['run', writeJob(dir, { ...JOB, name: 'cap', realisations: 30, precision: { halfWidthMs: 1e-9 } }, 'cap.json'), '--out', out, '--progress', 'none']);
  assert.is(r.status, 0, r.stderr);
  assert.equal(chunksPerPoint(out, 2), [3, 3]);
  const summary = summaryCsv(out);
  assert.equal(summary.map((s) => [s.rows, s.complete, s.target_met, s.target_half_width_ms]), [['30', 'true', 'false', '1e-9'], ['30', 'true', 'false', '1e-9']]);
  assert.ok(summary.every((s) => Number(s.precision_half_width_ms) > 1e-9));
});

test('aggregate uses the prefix only: a valid chunk past it in the folder is neither counted nor verified', async () => {
  const out = join(dir, 'planted');
  cpSync(join(dir, 'one'), out, { recursive: true });
  rmSync(join(out, 'summary.csv'));
  // Chunk 10 of point 0 (past its prefix of 4), written as dtmc run would write it.
  const job = parseJob(JOB);
  const hash = jobHash(job);
  const chunk = jobChunks(job).find((c) => c.point === 0 && c.k === 10)!;
  const point = sweepPoints(job)[0];
  await solveAndWriteChunk({
    task: { settings: point.settings, seed: job.seed, point: 0, commonRandomNumbers: job.commonRandomNumbers, first: chunk.first, count: chunk.count, backend: 'float64' },
    chunkId: chunk.id, attempt: 1, path: chunkPath(out, chunk.id), meta: { job: JSON.stringify(job), jobHash: hash, engineVersion: 'test', chunk: chunk.id },
  });
  assert.is(readChunkFile(chunkPath(out, chunk.id), { jobHash: hash, chunk: chunk.id, point: 0, first: chunk.first, count: chunk.count }).problem, null, 'the planted chunk is valid');
  const agg = dtmc(['aggregate', out]);
  assert.is(agg.status, 0, agg.stderr);
  assert.equal(summaryCsv(out), summaryCsv(join(dir, 'one')));
  const verify = dtmc(['verify', out]);
  assert.is(verify.status, 0, verify.stdout + verify.stderr);
  assert.match(verify.stdout, /11 chunk\(s\): 11 ok, 0 missing/);
  // The export takes the prefixes' rows only, as aggregate does.
  const csvOut = join(dir, 'planted-rows.csv');
  const exported = dtmc(['export', out, '--format', 'csv', '--out', csvOut]);
  assert.is(exported.status, 0, exported.stderr);
  const header = readFileSync(csvOut, 'utf8').trimEnd().split('\n');
  const rowsUsed = (JSON.parse(dtmc(['aggregate', out, '--json']).stdout) as { points: { rows: number }[] }).points.reduce((t, p) => t + p.rows, 0);
  assert.is(header.length - 1, rowsUsed, 'exported rows = the rows aggregate used');
  // The next run deletes it: it is never a result.
  const run = dtmc(['run', jobPath, '--out', out]);
  assert.is(run.status, 0, run.stderr);
  assert.ok(!existsSync(chunkPath(out, chunk.id)) && !existsSync(`${chunkPath(out, chunk.id)}.sha256`));
  assert.equal(chunkHashes(out), chunkHashes(join(dir, 'one')));
});

test('a point with a chunk missing inside its prefix is incomplete and counts its complete prefix only', () => {
  const out = join(dir, 'gap');
  cpSync(join(dir, 'one'), out, { recursive: true });
  rmSync(chunkPath(out, 'p00001-c000002'));
  const agg = dtmc(['aggregate', out, '--partial', '--json']);
  assert.is(agg.status, 0, agg.stderr);
  const a = JSON.parse(agg.stdout) as { missing: number; points: { rows: number; complete: boolean; precision: { met: boolean } }[] };
  assert.equal(a.points.map((p) => [p.rows, p.complete, p.precision.met]), [[40, true, true], [20, false, false]]);
  assert.is(a.missing, 14, 'chunks 2 and 7..19 of point 1 (3..6 are there): any of them may be needed');
});

test('a job killed with SIGKILL mid-run and resumed writes the uninterrupted run\'s chunk files', async () => {
  const big = { ...JOB, name: 'killed', realisations: 300, base: { M: 15 }, precision: { relative: 0.005 } };
  const path = writeJob(dir, big, 'killed.json');
  const reference = dtmc(['run', path, '--out', join(dir, 'killed-ref'), '--progress', 'none']);
  assert.is(reference.status, 0, reference.stderr);
  const want = chunkHashes(join(dir, 'killed-ref'));
  const perPoint = chunksPerPoint(join(dir, 'killed-ref'), 2);
  assert.ok(perPoint.every((n) => n > 3 && n < 30), `prefixes ${perPoint} inside 1..30`);
  const out = join(dir, 'killed');
  const child = dtmcAsync(['run', path, '--out', out]);
  const done = exited(child);
  await firstChunk(out);
  child.kill('SIGKILL');
  assert.is((await done).signal, 'SIGKILL');
  const partial = Object.keys(chunkHashes(out)).length;
  assert.ok(partial >= 1 && partial < Object.keys(want).length, `${partial} of ${Object.keys(want).length} chunks before the kill`);
  const resumed = dtmc(['run', path, '--out', out, '--workers', '2']);
  assert.is(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stderr, new RegExp(`${partial} already complete`));
  assert.equal(chunkHashes(out), want);
});

test('shards: run one after another or side by side into one folder, they leave the single run\'s chunk files', async () => {
  const seq = join(dir, 'shards');
  const first = dtmc(['run', jobPath, '--out', seq, '--shard', '1/2', '--progress', 'none']);
  assert.is(first.status, 0, first.stderr);
  assert.match(first.stderr, /the summary waits for \d+ chunk\(s\) of other shards/);
  const second = dtmc(['run', jobPath, '--out', seq, '--shard', '0/2', '--progress', 'none']);
  assert.is(second.status, 0, second.stderr);
  assert.match(second.stdout, /target met/, 'the shard that completes the prefixes prints the summary');
  assert.equal(chunkHashes(seq), chunkHashes(join(dir, 'one')));
  assert.equal(summaryCsv(seq), summaryCsv(join(dir, 'one')));
  const side = join(dir, 'side');
  const runs = [0, 1, 2].map((i) => exited(dtmcAsync(['run', jobPath, '--out', side, '--shard', `${i}/3`, '--progress', 'none', '--no-summary'])));
  for (const r of await Promise.all(runs)) assert.is(r.code, 0, r.stderr);
  // A shard cannot see a prefix another has not finished, so chunks past it may remain; the next run of any shard removes them.
  const tidy = dtmc(['run', jobPath, '--out', side, '--shard', '0/3']);
  assert.is(tidy.status, 0, tidy.stderr);
  assert.equal(chunkHashes(side), chunkHashes(join(dir, 'one')));
});

test('a vs-AO target stops the points of every method at one prefix, where the paired differences meet it', () => {
  const job = { name: 'vsao', seed: 5, realisations: 200, base: { M: 6 }, sweep: { method: ['ao', 'offload-all', 'equal-radio'] }, chunkSize: 10, workers: 1 };
  const full = join(dir, 'vsao-full');
  assert.is(dtmc(['run', writeJob(dir, job, 'vsao-full.json'), '--out', full, '--no-summary']).status, 0);
  const rows = readRows(full);
  const chunks = [0, 1, 2].map((p) => perChunk(rows, p, 10));
  const diffs = [1, 2].map((p) => chunks[p].map((c, k) => c.map((x, r) => (x === null || chunks[0][k][r] === null ? null : x - chunks[0][k][r]!))));
  // The group stops at the first prefix where both differences meet the bound.
  const want = bruteForcePrefix(20, (k) => diffs.every((d) => prefixInterval(d, k).halfWidth <= 0.02)).chunks;
  assert.ok(want > 1 && want < 20, `prefix ${want}`);
  const out = join(dir, 'vsao');
  const r = dtmc(['run', writeJob(dir, { ...job, precision: { vsAoHalfWidthMs: 0.02 } }, 'vsao.json'), '--out', out, '--progress', 'none']);
  assert.is(r.status, 0, r.stderr);
  assert.equal(chunksPerPoint(out, 3), [want, want, want]);
  const summary = summaryCsv(out);
  assert.equal(summary.map((s) => s.target_met), ['true', 'true', 'true']);
  assert.is(summary[0].precision_vs_ao_half_width_ms, '', 'the AO has no difference to itself (a missing value: an empty CSV field)');
  assert.ok(summary.slice(1).every((s) => Number(s.precision_vs_ao_half_width_ms) <= 0.02));
});

test.run();
