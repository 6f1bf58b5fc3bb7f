/**
 * Integrity of chunk files: every bit flip is caught before apache-arrow parses a byte, a file
 * whose checksum matches its flipped bytes (hostile, or damaged before it was sealed) is read in
 * bounded time, and values outside their domain are refused. Reads of flipped files run in a
 * worker with a time limit, so a hang fails the test instead of hanging the suite.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chunkTable, parseChunkBytes, readChunkFile, type ChunkExpectation } from '../../output/chunk-file.js';
import type { ChunkRows } from '../../output/chunk-columns.js';
import { checksumOf, checksumText, writeChunkFile } from '../../output/chunk-checksum.js';
import { checksumPath } from '../../output/job-folder.js';
import { dtmc, tempDir, writeJob } from '../helpers/job-runs.js';
import { flipReads } from '../helpers/flip-reads.js';
import { mulberry32 } from '../helpers/random.js';

const JOB = { name: 'flips', seed: 4, realisations: 6, base: { M: 3 }, sweep: { sMaxKbit: [0, 30] }, chunkSize: 3, workers: 1, backend: 'float64' };
/** Each scan's limit: its reads take well under a second; a hang takes forever. */
const LIMIT_MS = 30_000;
let chunk = '';
let expect: ChunkExpectation;

test.before(() => {
  const dir = tempDir('flips');
  const out = join(dir, 'out');
  const r = dtmc(['run', writeJob(dir, JOB), '--out', out, '--no-summary']);
  assert.is(r.status, 0, r.stderr);
  chunk = join(out, 'chunks', 'p00001-c000001.arrow');
  const { jobHash } = JSON.parse(readFileSync(join(out, 'job.json'), 'utf8')) as { jobHash: string };
  expect = { jobHash, chunk: 'p00001-c000001', point: 1, first: 3, count: 3 };
  assert.is(readChunkFile(chunk, expect).problem, null, 'the unflipped chunk reads');
});

/** Every bit of the first and last 32 bytes, and `inside` bits drawn (seeded) from the rest. */
function scanBits(size: number, inside: number): number[] {
  const bits: number[] = [];
  for (let i = 0; i < 32 * 8; i++) bits.push(i, (size - 32) * 8 + i);
  const rnd = mulberry32(13);
  for (let k = 0; k < inside; k++) bits.push(32 * 8 + Math.floor(rnd() * (size - 64) * 8));
  return [...new Set(bits)];
}

test('every single-bit flip in the first and last 32 bytes and a sample inside is refused by its checksum, each read ending in time', async () => {
  const bits = scanBits(statSync(chunk).size, 400);
  const { problems, hung, ms } = await flipReads({ path: chunk, expect, bits, reseal: false }, LIMIT_MS);
  assert.is(hung, null, `the read of bit ${hung} (byte ${(hung ?? 0) >> 3}) did not end within ${LIMIT_MS} ms`);
  const accepted = bits.filter((b) => problems.get(b) === null);
  assert.equal(accepted, [], 'flips read as data');
  for (const b of bits) assert.match(problems.get(b) ?? '', /does not match its checksum/, `bit ${b}`);
  console.log(`  ${bits.length} flips: ${bits.length - accepted.length} refused by the checksum, 0 hung (${ms.toFixed(0)} ms)`);
});

test('a flipped file whose checksum matches its bytes is read in bounded time; the flips that hung apache-arrow are refused', async () => {
  const bits = scanBits(statSync(chunk).size, 200);
  const { problems, hung, ms } = await flipReads({ path: chunk, expect, bits, reseal: true }, LIMIT_MS);
  assert.is(hung, null, `the read of bit ${hung} (byte ${(hung ?? 0) >> 3}) did not end within ${LIMIT_MS} ms`);
  assert.is(problems.size, bits.length);
  // Byte 8 starts the record batch's message (its continuation marker): any flip there made
  // tableFromIPC loop forever; every one is refused now.
  for (let bit = 64; bit < 72; bit++) assert.match(problems.get(bit) ?? '', /unreadable \(record batch 0: message prefix/, `bit ${bit}`);
  const refused = bits.filter((b) => problems.get(b) !== null).length;
  console.log(`  ${bits.length} resealed flips: ${refused} refused, ${bits.length - refused} read as data, 0 hung (${ms.toFixed(0)} ms)`);
});

test('a chunk file without its checksum file is refused, as is one whose checksum file names another chunk', () => {
  const dir = tempDir('nosum');
  const path = join(dir, 'p00001-c000001.arrow');
  writeFileSync(path, readFileSync(chunk));
  assert.match(readChunkFile(path, expect).problem ?? '', /has no checksum file p00001-c000001\.arrow\.sha256/);
  writeFileSync(checksumPath(path), checksumText(join(dir, 'other.arrow'), checksumOf([readFileSync(path)])));
  assert.match(readChunkFile(path, expect).problem ?? '', /its checksum file names other\.arrow/);
  unlinkSync(checksumPath(path));
});

/** The rows of the real chunk, with `edit` applied, written as a chunk with a valid checksum. */
async function editedChunk(label: string, edit: (rows: ChunkRows) => void): Promise<string | null> {
  const table = parseChunkBytes(readFileSync(chunk));
  const M = 3;
  const n = table.numRows;
  const col = (name: string): ArrayLike<number> => {
    const v = table.getChild(name)!;
    return Array.from({ length: n * (v.type.listSize ?? 1) }, (_, i) => {
      const x = v.type.listSize ? (v.get(Math.floor(i / M)) as { get(j: number): number }).get(i % M) : v.get(i);
      return x as number;
    });
  };
  const trace = table.getChild('trace_ms')!;
  const traces = Array.from({ length: n }, (_, r) => Array.from((trace.get(r) as { toArray(): Float64Array }).toArray()));
  const offsets = new Int32Array(n + 1);
  traces.forEach((t, r) => (offsets[r + 1] = offsets[r] + t.length));
  const rows: ChunkRows = {
    n, M, point: 1, realisation: Uint32Array.from(col('realisation')),
    status: Array.from({ length: n }, (_, r) => table.getChild('status')!.get(r) as string),
    iterations: Int32Array.from(col('iterations')), objectiveMs: Float64Array.from(col('objective_ms')),
    objectiveExactMs: Float64Array.from(col('objective_exact_ms')), maxViolation: Float64Array.from(col('max_violation')),
    offloadPortion: Float64Array.from(col('offload_portion')), cachedCount: Int32Array.from(col('cached_count')), cached: Uint8Array.from(col('cached')),
    device: Object.fromEntries(['alpha', 'bandwidth', 'power_w', 'f_ue_ghz', 'f_es_ghz', 'latency_ms', 'energy_mj', 'rate_mbps'].map((c) => [c, Float64Array.from(col(c))])) as ChunkRows['device'],
    traceOffsets: offsets, traceValues: Float64Array.from(traces.flat()),
  };
  edit(rows);
  const meta = Object.fromEntries([['job', 'dtmc.job'], ['jobHash', 'dtmc.job_hash'], ['engineVersion', 'dtmc.engine_version'], ['backend', 'dtmc.backend'], ['chunk', 'dtmc.chunk'], ['settings', 'dtmc.settings']]
    
    .map(([k, key]) => [k, table.schema.metadata.get(key)!])) as unknown as Parameters<typeof chunkTable>[1];
  const path = join(tempDir(label), 'p00001-c000001.arrow');
  await writeChunkFile(path, chunkTable(rows, meta));
  return readChunkFile(path, expect).problem;
}

test('the chunk rebuilt unchanged reads back (the edits below are the only difference)', async () => {
  assert.is(await editedChunk('same', () => {}), null);
});

test('a status outside its domain is refused even with a valid checksum', async () => {
  assert.match(await editedChunk('status', (r) => (r.status[1] = 'conwerged')) ?? '', /row 1 has status "conwerged", not one of converged, max-iterations, infeasible, numerical-failure/);
});

test('other values outside their domain are refused even with a valid checksum', async () => {
  const cases: [string, (r: ChunkRows) => void, RegExp][] = [
    ['point', (r) => (r.point = 0), /row 0 holds point 0, expected 1/],
    ['cached', (r) => (r.cached[4] = 2), /row 1 has cached\[1\] = 2, not 0 or 1/],
    ['cached_count', (r) => (r.cachedCount[2] += 1), /row 2 has cached_count \d+ but \d+ cached devices/],
    ['alpha', (r) => (r.device.alpha[0] = 1.5), /row 0 has alpha\[0\] = 1\.5, outside \[0, 1\]/],
    ['latency', (r) => (r.device.latency_ms[5] = -1), /row 1 has latency_ms\[2\] = -1/],
    ['objective', (r) => (r.objectiveMs[0] = -r.objectiveMs[0]), /row 0 \(converged\) has objective_ms -/],
    ['iterations', (r) => (r.iterations[2] = -3), /row 2 has -3 iterations/],
    ['offload', (r) => (r.offloadPortion[1] = 2), /row 1 has offload_portion 2, outside \[0, 1\]/],
    ['trace', (r) => (r.traceValues[0] = -1), /row 0 has trace_ms\[0\] = -1/],
    ['M', (r) => (r.M = 2), /column cached is FixedSizeList\[2\]<Uint8>, expected FixedSizeList\[3\]<Uint8>/],
  ];
  for (const [label, edit, want] of cases) assert.match(await editedChunk(label, edit) ?? '', want, label);
});

test.run();
