/**
 * The chunk columns' declaration (output/chunk-columns.ts): the file's columns are the declared
 * ones in order, each column reads back from a written chunk as the plain arrays it was built
 * from (what a row export takes), and every parameter of engine/settings.ts is a column named by
 * one convention.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { CHUNK_COLUMNS, CONTEXT_COLUMN_NAMES, DEVICE_COLUMNS, type ChunkRows } from '../../output/chunk-columns.js';
import { parameterColumnName } from '../../output/row-context.js';
import { DEFAULT_SETTINGS, parameterTable } from '../../engine/settings.js';
import { chunkTable, readChunkFile } from '../../output/chunk-file.js';
import { writeChunkFile } from '../../output/chunk-checksum.js';
import { tempDir } from '../helpers/job-runs.js';

const n = 3;
const M = 2;
const ROWS: ChunkRows = {
  n, M, point: 1,
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
const SETTINGS = { ...DEFAULT_SETTINGS, M, eMaxMj: 2.5, cachingRule: 'saving' as const };
const META = {
  job: JSON.stringify({ name: 't', seed: 9, commonRandomNumbers: true }), jobHash: 'h', engineVersion: '0.0.0-test', backend: 'float64 (reference path)',
  chunk: 'p00001-c000002', settings: JSON.stringify(SETTINGS),
};

test('a chunk file holds the declared columns in order, with their declared types', async () => {
  const path = join(tempDir('columns'), 'p00001-c000002.arrow');
  await writeChunkFile(path, chunkTable(ROWS, META));
  const { table, problem } = readChunkFile(path, { jobHash: 'h', chunk: 'p00001-c000002', point: 1, first: 6, count: 3 });
  assert.is(problem, null);
  assert.equal(table!.schema.fields.map((f) => f.name), CHUNK_COLUMNS.map((c) => c.name));
  assert.equal(table!.schema.fields.map((f) => String(f.type)), CHUNK_COLUMNS.map((c) => String(c.type(M))));
});

test('each column gives its values for a table as plain arrays', async () => {
  const path = join(tempDir('columns-values'), 'p00001-c000002.arrow');
  await writeChunkFile(path, chunkTable(ROWS, META));
  const { table } = readChunkFile(path, { jobHash: 'h', chunk: 'p00001-c000002', first: 6, count: 3 });
  const values = Object.fromEntries(CHUNK_COLUMNS.map((c) => [c.name, c.values(table!)]));
  const every = <T>(x: T): T[] => [x, x, x];
  const parameters = Object.fromEntries(Object.entries(SETTINGS).map(([k, v]) => [parameterColumnName(k), every(v)]));
  const lists = (flat: ArrayLike<number>): number[][] => Array.from({ length: n }, (_, r) => Array.from(flat).slice(r * M, r * M + M));
  assert.equal(values, {
    point: [1, 1, 1], realisation: [6, 7, 8],
    status: ROWS.status, iterations: [4, 0, 20], objective_ms: [12.5, Number.NaN, 30], objective_exact_ms: [12.75, Number.NaN, 30.5],
    max_violation: [0, Number.POSITIVE_INFINITY, 1e-9], offload_portion: [0.25, Number.NaN, 1], cached_count: [1, 2, 0],
    cached: lists(ROWS.cached), ...Object.fromEntries(DEVICE_COLUMNS.map((c) => [c, lists(ROWS.device[c])])),
    trace_ms: [[20, 12.5], [], [40, 35, 30]],
    job_name: every('t'), job_hash: every('h'), seed: every(9), common_random_numbers: every(true), ...parameters,
  });
});

test('every parameter of the parameter table is a column, named as its settings name in snake_case with its unit', () => {
  const names = parameterTable().map((q) => parameterColumnName(q.name));
  assert.equal(names, [
    'm', 'l', 'area_side_m', 'min_distance_m', 'path_loss_intercept_db', 'path_loss_slope_db', 'bandwidth_mhz', 'noise_dbm_per_hz', 'p_max_dbm',
    'epsilon', 'phi_ms', 'r_min_mbps', 'task_bytes', 'eta_min_cycles_per_byte', 'eta_max_cycles_per_byte', 'f_ue_max_ghz', 'f_es_max_ghz',
    't_max_ms', 's_max_kbit', 'e_max_mj', 'theta', 'delta_ue', 'delta_es', 'tolerance', 'max_iterations', 'caching_rule', 'method',
  ]);
  assert.equal(Object.keys(DEFAULT_SETTINGS).map(parameterColumnName), names, 'every setting has its column');
  assert.equal(CONTEXT_COLUMN_NAMES, ['job_name', 'job_hash', 'seed', 'common_random_numbers', ...names]);
});

test('every column name is snake_case and unique', () => {
  const names = CHUNK_COLUMNS.map((c) => c.name);
  for (const name of names) assert.match(name, /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/, name);
  assert.is(new Set(names).size, names.length);
});

test.run();
