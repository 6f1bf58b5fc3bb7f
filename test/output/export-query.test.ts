/**
 * `dtmc query DIR "SQL"`: DuckDB over the job's rows (the view `rows`) gives what the rows give
 * computed directly, in each output form; SQL that DuckDB refuses and a missing @duckdb/node-api
 * are named errors, and the temporary export is removed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDuckDb } from '../../output/export-query.js';
import { DtmcError } from '../../engine/errors.js';
import { dtmc, readRows, tempDir, writeJob } from '../helpers/job-runs.js';

const JOB = { name: 'query', seed: 8, realisations: 5, base: { M: 4 }, sweep: { sMaxKbit: [0, 40] }, chunkSize: 3, workers: 2, backend: 'float64' };
let out = '';

test.before(() => {
  const dir = tempDir('query');
  out = join(dir, 'out');
  const r = dtmc(['run', writeJob(dir, JOB), '--out', out, '--no-summary', '--progress', 'none']);
  assert.is(r.status, 0, r.stderr);
});

const leftovers = (): string[] => readdirSync(tmpdir()).filter((f) => f.startsWith('dtmc-query-'));

test('a query over rows gives what the chunk rows give directly, as JSON, a table and CSV', () => {
  const before = leftovers();
  const sql = 'select point, s_max_kbit, count(*) as n, max(objective_ms) as worst_ms from rows group by all order by point';
  const r = dtmc(['query', out, sql, '--json']);
  assert.is(r.status, 0, r.stderr);
  const rows = readRows(out);
  const expected = [0, 1].map((p) => {
    const mine = rows.filter((x) => x.point === p);
    return { point: p, s_max_kbit: [0, 40][p], n: String(mine.length), worst_ms: Math.max(...mine.map((x) => x.objective_ms as number)) };
  });
  assert.equal(JSON.parse(r.stdout), expected);
  const table = dtmc(['query', out, sql]);
  assert.match(table.stdout, /^point\s+s_max_kbit\s+n\s+worst_ms\n-+/);
  assert.match(table.stdout, /\(2 rows\)\n$/);
  const csv = dtmc(['query', out, sql, '--csv']);
  assert.is(csv.stdout.split('\n')[0], 'point,s_max_kbit,n,worst_ms');
  assert.is(csv.stdout.split('\n')[2], `1,40,5,${expected[1].worst_ms}`);
  assert.equal(leftovers(), before, 'the temporary export is removed');
});

test('SQL that DuckDB refuses is a named error with its message', () => {
  const r = dtmc(['query', out, 'select no_such_column from rows']);
  assert.is(r.status, 2);
  assert.match(r.stderr, /dtmc: the query failed: Binder Error: Referenced column "no_such_column" not found/);
});

test('without the DuckDB package, the error names what to install', async () => {
  try {
    await loadDuckDb('@duckdb/no-such-package');
    assert.unreachable('loaded');
  } catch (e) {
    assert.instance(e, DtmcError);
    assert.match((e as Error).message, /dtmc query needs @duckdb\/no-such-package, an optional dependency that is not installed here .* npm install @duckdb\/no-such-package/);
  }
});

test.run();
