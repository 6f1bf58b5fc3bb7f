import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { RecordBatch, Schema, Table } from 'apache-arrow';
import { join } from 'node:path';
import { chunkMeta, chunkTable, readChunkFile } from '../../output/chunk-file.js';
import { DEVICE_COLUMNS, type ChunkRows } from '../../output/chunk-columns.js';
import { DEFAULT_SETTINGS } from '../../engine/settings.js';
import { writeChunkFile } from '../../output/chunk-checksum.js';
import { mulberry32 } from '../helpers/random.js';
import { tempDir } from '../helpers/job-runs.js';

/** Random rows of n realisations of M devices (traces of varying length). */
function randomRows(n: number, M: number, seed: number): ChunkRows {
  const rnd = mulberry32(seed);
  const f64 = (k: number): Float64Array => Float64Array.from({ length: k }, () => rnd() * 10);
  const lengths = Array.from({ length: n }, () => 1 + Math.floor(rnd() * 6));
  const offsets = new Int32Array(n + 1);
  lengths.forEach((l, i) => (offsets[i + 1] = offsets[i] + l));
  const cached = Uint8Array.from({ length: n * M }, () => (rnd() < 0.3 ? 1 : 0));
  return {
    n, M, point: 4,
    realisation: Uint32Array.from({ length: n }, (_, i) => 100 + i),
    status: Array.from({ length: n }, (_, i) => (i % 3 ? 'converged' : 'infeasible')),
    iterations: Int32Array.from({ length: n }, () => Math.floor(rnd() * 20)),
    objectiveMs: f64(n), objectiveExactMs: f64(n), maxViolation: f64(n),
    offloadPortion: Float64Array.from({ length: n }, (_, i) => (i === 1 ? Number.NaN : rnd())),
    cachedCount: Int32Array.from({ length: n }, (_, r) => cached.subarray(r * M, r * M + M).reduce((a, b) => a + b, 0)),
    cached,
    // Values in their domain (output/chunk-domain.ts): alpha a fraction.
    device: Object.fromEntries(DEVICE_COLUMNS.map((c) => [c, c === 'alpha' ? f64(n * M).map((x) => x / 10) : f64(n * M)])) as ChunkRows['device'],
    traceOffsets: offsets, traceValues: f64(offsets[n]),
  };
}

const META = {
  job: JSON.stringify({ name: 't', seed: 2 ** 40 + 3, commonRandomNumbers: false }), jobHash: 'abc123', engineVersion: '0.0.0-test', backend: 'float64 (reference path)',
  chunk: 'p00004-c000002', settings: JSON.stringify({ ...DEFAULT_SETTINGS, M: 5, eMaxMj: 2.5, cachingRule: 'saving' }),
};

test('a chunk file reads back with the schema, metadata and values written', async () => {
  const dir = tempDir('chunk');
  const rows = randomRows(7, 5, 1);
  const path = join(dir, 'p00004-c000002.arrow');
  await writeChunkFile(path, chunkTable(rows, META));
  const { table, problem } = readChunkFile(path, { jobHash: 'abc123', chunk: 'p00004-c000002', first: 100, count: 7 });
  assert.is(problem, null);
  assert.equal(chunkMeta(table!), META);
  assert.equal(table!.schema.fields.map((f) => `${f.name}:${f.type}`), [
    'point:Int32', 'realisation:Uint32', 'status:Utf8', 'iterations:Int32',
    'objective_ms:Float64', 'objective_exact_ms:Float64', 'max_violation:Float64', 'offload_portion:Float64', 'cached_count:Int32',
    'cached:FixedSizeList[5]<Uint8>', ...DEVICE_COLUMNS.map((c) => `${c}:FixedSizeList[5]<Float64>`), 'trace_ms:List<Float64>',
    'job_name:Utf8', 'job_hash:Utf8', 'seed:Int64', 'common_random_numbers:Bool',
    'm:Int32', 'l:Int32', 'area_side_m:Float64', 'min_distance_m:Float64', 'path_loss_intercept_db:Float64', 'path_loss_slope_db:Float64',
    'bandwidth_mhz:Float64', 'noise_dbm_per_hz:Float64', 'p_max_dbm:Float64', 'epsilon:Float64', 'phi_ms:Float64', 'r_min_mbps:Float64',
    'task_bytes:Float64', 'eta_min_cycles_per_byte:Float64', 'eta_max_cycles_per_byte:Float64', 'f_ue_max_ghz:Float64', 'f_es_max_ghz:Float64',
    't_max_ms:Float64', 's_max_kbit:Float64', 'e_max_mj:Float64', 'theta:Float64', 'delta_ue:Float64', 'delta_es:Float64', 'tolerance:Float64',
    'max_iterations:Int32', 'caching_rule:Utf8', 'method:Utf8',
  ]);
  assert.is(table!.schema.metadata.get('dtmc.chunk_layout'), '2');
  const get = (name: string, r: number): unknown => table!.getChild(name)!.get(r);
  const list = (name: string, r: number): number[] => Array.from((get(name, r) as { toArray(): ArrayLike<number> }).toArray());
  for (let r = 0; r < 7; r++) {
    assert.is(get('point', r), 4);
    assert.is(get('e_max_mj', r), 2.5);
    assert.is(get('caching_rule', r), 'saving');
    assert.is(get('m', r), 5);
    assert.is(get('job_name', r), 't');
    assert.is(get('job_hash', r), 'abc123');
    assert.is(get('seed', r), BigInt(2 ** 40 + 3));
    assert.is(get('common_random_numbers', r), false);
    assert.is(get('realisation', r), 100 + r);
    assert.is(get('status', r), rows.status[r]);
    assert.is(get('iterations', r), rows.iterations[r]);
    assert.is(get('objective_ms', r), rows.objectiveMs[r]);
    assert.is(get('objective_exact_ms', r), rows.objectiveExactMs[r]);
    assert.is(get('max_violation', r), rows.maxViolation[r]);
    assert.equal(get('offload_portion', r), rows.offloadPortion[r]);
    assert.is(get('cached_count', r), rows.cachedCount[r]);
    assert.equal(list('cached', r), Array.from(rows.cached.subarray(r * 5, r * 5 + 5)));
    for (const c of DEVICE_COLUMNS) assert.equal(list(c, r), Array.from(rows.device[c].subarray(r * 5, r * 5 + 5)), `${c} row ${r}`);
    assert.equal(list('trace_ms', r), Array.from(rows.traceValues.subarray(rows.traceOffsets[r], rows.traceOffsets[r + 1])));
  }
});

test('a chunk file that is not the expected chunk says why', async () => {
  const dir = tempDir('chunk-bad');
  const path = join(dir, 'c.arrow');
  await writeChunkFile(path, chunkTable(randomRows(4, 3, 2), META));
  const expect = { jobHash: 'abc123', chunk: 'p00004-c000002', first: 100, count: 4 };
  assert.is(readChunkFile(path, { ...expect, jobHash: 'zzz' }).problem, 'written by a different job');
  assert.is(readChunkFile(path, { ...expect, chunk: 'p00000-c000000' }).problem, 'holds chunk p00004-c000002');
  assert.is(readChunkFile(path, { ...expect, count: 5 }).problem, 'has 4 rows, expected 5');
  assert.is(readChunkFile(path, { ...expect, first: 99 }).problem, 'row 0 holds realisation 100, expected 99');
  const bytes = readFileSync(path);
  writeFileSync(path, bytes.subarray(0, bytes.length - 20));
  assert.match(readChunkFile(path, expect).problem ?? '', /^is \d+ bytes, its checksum file says \d+$/);
});

/** The table with its schema metadata replaced (the same columns and values). */
function withMetadata(table: Table, edit: (m: Map<string, string>) => void): Table {
  const metadata = new Map(table.schema.metadata);
  edit(metadata);
  const schema = new Schema(table.schema.fields, metadata);
  return new Table(schema, table.batches.map((b) => new RecordBatch(schema, b.data)));
}

test('a chunk file of the layout before every parameter was a column (no dtmc.chunk_layout) is refused, naming its layout', async () => {
  const path = join(tempDir('chunk-layout'), 'p00004-c000002.arrow');
  await writeChunkFile(path, withMetadata(chunkTable(randomRows(4, 5, 3), META), (m) => m.delete('dtmc.chunk_layout')));
  assert.is(readChunkFile(path, { jobHash: 'abc123', chunk: 'p00004-c000002', first: 100, count: 4 }).problem,
    'is of chunk layout 1, not 2 (written by an older dtmc: every parameter is a column now; dtmc run redoes it)');
});

test('a parameter column that disagrees with the chunk\'s dtmc.settings is refused', async () => {
  const path = join(tempDir('chunk-context'), 'p00004-c000002.arrow');
  const other = JSON.stringify({ ...DEFAULT_SETTINGS, M: 5, eMaxMj: 3, cachingRule: 'saving' });
  await writeChunkFile(path, withMetadata(chunkTable(randomRows(4, 5, 3), META), (m) => m.set('dtmc.settings', other)));
  assert.is(readChunkFile(path, { jobHash: 'abc123', chunk: 'p00004-c000002', first: 100, count: 4 }).problem,
    'row 0 has e_max_mj 2.5, but the chunk\'s metadata says 3');
});

test.run();
