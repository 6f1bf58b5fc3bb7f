/**
 * The chunk columns' declaration (output/chunk-columns.ts): the file's columns are the declared
 * ones in order, and each column reads back from a written chunk as the plain arrays it was
 * built from (what a row export takes).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { chunkColumns, DEVICE_COLUMNS, type ChunkRows } from '../../output/chunk-columns.js';
import { chunkTable, readChunkFile } from '../../output/chunk-file.js';
import { writeChunkFile } from '../../output/chunk-checksum.js';
import { tempDir } from '../helpers/job-runs.js';

const n = 3;
const M = 2;
const ROWS: ChunkRows = {
  n, M, point: 1, sweepValues: { eMaxMj: 2.5, cachingRule: 'saving' },
  realisation: Uint32Array.from([6, 7, 8]),
  status: ['converged', 'infeasible', 'max-iterations'],
  iterations: Int32Array.from([4, 0, 20]),
  objectiveMs: Float64Array.from([12.5, Number.NaN, 30]),
  objectiveExactMs: Float64Array.from([12.75, Number.NaN, 30.5]),
  maxViolation: Float64Array.from([0, Number.POSITIVE_INFINITY, 1e-9]),
  offloadPortion: Float64Array.from([0.25, Number.NaN, 1]),
  cachedCount: Int32Array.from([1, 2, 0]),
  cached: Uint8Array.from([1, 0, 1, 1, 0, 0]),
  device: Object.fromEntries(DEVICE_COLUMNS.map((c, k) => [c, Float64Array.from({ length: n * M }, (_, i) => (c === 'alpha' ? i / 10 : k + i))])) as ChunkRows['device'],
  traceOffsets: Int32Array.from([0, 2, 2, 5]),
  traceValues: Float64Array.from([20, 12.5, 40, 35, 30]),
};
const META = { job: '{"name":"t"}', jobHash: 'h', engineVersion: '0.0.0-test', backend: 'float64 (reference path)', chunk: 'p00001-c000002', settings: '{"M":2}' };

test('a chunk file holds the declared columns in order, with their declared types', async () => {
  const path = join(tempDir('columns'), 'p00001-c000002.arrow');
  await writeChunkFile(path, chunkTable(ROWS, META));
  const { table, problem } = readChunkFile(path, { jobHash: 'h', chunk: 'p00001-c000002', point: 1, first: 6, count: 3 });
  assert.is(problem, null);
  const declared = chunkColumns(ROWS.sweepValues);
  assert.equal(table!.schema.fields.map((f) => f.name), declared.map((c) => c.name));
  assert.equal(table!.schema.fields.map((f) => String(f.type)), declared.map((c) => String(c.type(M))));
});

test('each column gives its values for a table as plain arrays', async () => {
  const path = join(tempDir('columns-values'), 'p00001-c000002.arrow');
  await writeChunkFile(path, chunkTable(ROWS, META));
  const { table } = readChunkFile(path, { jobHash: 'h', chunk: 'p00001-c000002', first: 6, count: 3 });
  const values = Object.fromEntries(chunkColumns(ROWS.sweepValues).map((c) => [c.name, c.values(table!)]));
  const lists = (flat: ArrayLike<number>): number[][] => Array.from({ length: n }, (_, r) => Array.from(flat).slice(r * M, r * M + M));
  assert.equal(values, {
    point: [1, 1, 1], eMaxMj: [2.5, 2.5, 2.5], cachingRule: ['saving', 'saving', 'saving'], realisation: [6, 7, 8],
    status: ROWS.status, iterations: [4, 0, 20], objective_ms: [12.5, Number.NaN, 30], objective_exact_ms: [12.75, Number.NaN, 30.5],
    max_violation: [0, Number.POSITIVE_INFINITY, 1e-9], offload_portion: [0.25, Number.NaN, 1], cached_count: [1, 2, 0],
    cached: lists(ROWS.cached), ...Object.fromEntries(DEVICE_COLUMNS.map((c) => [c, lists(ROWS.device[c])])),
    trace_ms: [[20, 12.5], [], [40, 35, 30]],
  });
});

test.run();
