/**
 * `dtmc export --format parquet` read back by DuckDB (@duckdb/node-api): every value equal to the
 * chunk files', the key-value metadata kept, two jobs with different non-swept parameters
 * concatenated by name without a null, the same bytes for the same job, and the refusals (no job
 * folder, missing or corrupt chunks, an --out holding other files) named.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, DuckDBListValue, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { CHUNK_COLUMNS } from '../../output/chunk-columns.js';
import { checksumPath } from '../../output/job-folder.js';
import { checksumOf, checksumText } from '../../output/chunk-checksum.js';
import { dtmc, readRows, tempDir, writeJob } from '../helpers/job-runs.js';

/** Job A: an infeasible point (rMinMbps 17) gives NaN objectives; 2 chunks per point, the last short. */
const JOB_A = { name: 'exp-a', seed: 5, realisations: 6, base: { M: 5 }, sweep: { sMaxKbit: [0, 30], rMinMbps: [1, 17] }, chunkSize: 4, workers: 2, backend: 'float64' };
/** Job B: other non-swept parameters (eMaxMj, cachingRule), another sweep, independent draws per point. */
const JOB_B = {
  name: 'exp-b', seed: 6, realisations: 3, commonRandomNumbers: false, base: { M: 4, eMaxMj: 2, cachingRule: 'saving' }, sweep: { tMaxMs: [8, 10] }, chunkSize: 3, workers: 1, backend: 'float64',
};

let root = '';
let outA = '';
let outB = '';
let connection: DuckDBConnection;

test.before(async () => {
  root = tempDir('export');
  outA = join(root, 'a');
  outB = join(root, 'b');
  for (const [job, out] of [[JOB_A, outA], [JOB_B, outB]] as const) {
    const run = dtmc(['run', writeJob(root, job, `${job.name}.json`), '--out', out, '--no-summary', '--progress', 'none']);
    assert.is(run.status, 0, run.stderr);
    const exported = dtmc(['export', out]);
    assert.is(exported.status, 0, exported.stderr);
  }
  connection = await (await DuckDBInstance.create(':memory:')).connect();
});

/** DuckDB's values as plain ones: lists as arrays. */
const plain = (v: DuckDBValue): unknown => (v instanceof DuckDBListValue ? v.items.map(plain) : v);

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const reader = await connection.runAndReadAll(sql);
  return reader.getRowObjects().map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, plain(v)])));
}

test('the export is one zstd Parquet file per point, named p<point>.parquet', async () => {
  assert.equal(readdirSync(join(outA, 'rows')), ['p00000.parquet', 'p00001.parquet', 'p00002.parquet', 'p00003.parquet']);
  const codecs = await query(`select distinct compression from parquet_metadata('${outA}/rows/*.parquet')`);
  assert.equal(codecs, [{ compression: 'ZSTD' }]);
});

test('DuckDB reads back every column of every row equal to the chunk files', async () => {
  const chunks = readRows(outA);
  const parquet = await query(`select * from read_parquet('${outA}/rows/*.parquet') order by point, realisation`);
  assert.is(parquet.length, chunks.length);
  assert.is(chunks.length, 4 * 6);
  assert.equal(Object.keys(parquet[0]), CHUNK_COLUMNS.map((c) => c.name));
  assert.ok(chunks.some((r) => Number.isNaN(r.objective_ms)), 'the fixture has NaN objectives (infeasible rows)');
  chunks.forEach((row, i) => assert.equal(parquet[i], row, `row ${i} (point ${row.point}, realisation ${row.realisation})`));
});

test('each file keeps the job, its hash, the engine version and its point as key-value metadata', async () => {
  const manifest = JSON.parse(readFileSync(join(outA, 'job.json'), 'utf8')) as { job: unknown; jobHash: string; engineVersion: string };
  const kv = await query(`select decode(key) as k, decode(value) as v from parquet_kv_metadata('${outA}/rows/p00002.parquet') where decode(key) like 'dtmc.%'`);
  const meta = Object.fromEntries(kv.map((x) => [x.k, x.v]));
  assert.equal(JSON.parse(meta['dtmc.job'] as string), manifest.job);
  assert.is(meta['dtmc.job_hash'], manifest.jobHash);
  assert.is(meta['dtmc.engine_version'], manifest.engineVersion);
  assert.is(meta['dtmc.point'], '2');
  assert.is(meta['dtmc.partial'], 'false');
});

test('two jobs with different non-swept parameters concatenate by name with no null in any column', async () => {
  const files = `['${outA}/rows/*.parquet', '${outB}/rows/*.parquet']`;
  const [nulls] = await query(`select sum(case when columns(*) is null then 1 else 0 end) from read_parquet(${files}, union_by_name = true)`);
  assert.is(Object.keys(nulls).length, CHUNK_COLUMNS.length, 'the same columns in both jobs');
  for (const [column, count] of Object.entries(nulls)) assert.is(Number(count), 0, `nulls in ${column}`);
  const jobs = await query(`select job_name, count(*) as n, min(e_max_mj) as e, min(caching_rule) as rule, min(t_max_ms) as t, bool_and(common_random_numbers) as crn, min(seed) as seed
    from read_parquet(${files}, union_by_name = true) group by job_name order by job_name`);
  assert.equal(jobs, [
    { job_name: 'exp-a', n: 24n, e: 3, rule: 'latency', t: 10, crn: true, seed: 5n },
    { job_name: 'exp-b', n: 6n, e: 2, rule: 'saving', t: 8, crn: false, seed: 6n },
  ]);
});

test('exporting the same job again writes the same bytes and replaces the earlier export', () => {
  const again = join(root, 'a-again');
  assert.is(dtmc(['export', outA, '--out', again]).status, 0);
  for (const f of readdirSync(join(outA, 'rows'))) assert.ok(readFileSync(join(again, f)).equals(readFileSync(join(outA, 'rows', f))), f);
  const replaced = dtmc(['export', outA, '--out', again]);
  assert.is(replaced.status, 0, replaced.stderr);
  assert.equal(readdirSync(root).filter((f) => f.includes('.tmp-') || f.includes('.old-')), [], 'no staging or old folder left');
});

test('a folder that is not a job folder is named', () => {
  const r = dtmc(['export', join(root, 'nowhere')]);
  assert.is(r.status, 2);
  assert.match(r.stderr, /nowhere has no job\.json: not an output folder of dtmc run/);
});

test('an --out holding other files is refused and left as it was', () => {
  const mine = join(root, 'mine');
  mkdirSync(mine);
  writeFileSync(join(mine, 'notes.txt'), 'keep');
  const r = dtmc(['export', outA, '--out', mine]);
  assert.is(r.status, 2);
  assert.match(r.stderr, /mine holds 1 file\(s\) that are not an export's \(e\.g\. notes\.txt\); nothing is replaced/);
  assert.equal(readdirSync(mine), ['notes.txt']);
});

test('missing and corrupt chunks are refused by name, and left out with --partial (dtmc.partial = true)', async () => {
  const dir = join(root, 'broken');
  assert.is(dtmc(['run', writeJob(root, JOB_B, 'b2.json'), '--out', dir, '--no-summary', '--progress', 'none']).status, 0);
  // Point 1's chunk: a value flipped and resealed (the checksum matches; the domain check refuses it).
  const chunk = join(dir, 'chunks', 'p00001-c000000.arrow');
  const bytes = readFileSync(chunk);
  const at = bytes.indexOf(Buffer.from('converged'));
  bytes.write('CONVERGED', at);
  writeFileSync(chunk, bytes);
  writeFileSync(checksumPath(chunk), checksumText(chunk, checksumOf([bytes])));
  const corrupt = dtmc(['export', dir]);
  assert.is(corrupt.status, 2);
  assert.match(corrupt.stderr, /corrupt chunk file: .*p00001-c000000\.arrow row \d has status "CONVERGED".*pass --partial to leave it out/);
  assert.not.ok(existsSync(join(dir, 'rows')), 'nothing written');
  const partial = dtmc(['export', dir, '--partial']);
  assert.is(partial.status, 0, partial.stderr);
  assert.match(partial.stderr, /corrupt chunk file left out: .*p00001-c000000\.arrow/);
  assert.equal(readdirSync(join(dir, 'rows')), ['p00000.parquet']);
  const [meta] = await query(`select decode(value) as v from parquet_kv_metadata('${dir}/rows/p00000.parquet') where decode(key) = 'dtmc.partial'`);
  assert.is(meta.v, 'true');
  unlinkSync(chunk);
  const missing = dtmc(['export', dir]);
  assert.is(missing.status, 2);
  assert.match(missing.stderr, /broken is incomplete: 1 chunk\(s\) missing, e\.g\. p00001-c000000\. Run the job again to finish it, or pass --partial/);
});

test.run();
