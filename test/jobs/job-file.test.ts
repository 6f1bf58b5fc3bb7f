import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DtmcError } from '../../engine/errors.js';
import { canonicalJson, jobChunks, jobHash, parseJob, shardChunks, sweepPoints } from '../../jobs/job-file.js';

const good = { name: 'demo', seed: 3, realisations: 25, sweep: { sMaxKbit: [0, 60], eMaxMj: [1.5, 2, 3] }, chunkSize: 10 };

test('defaults are filled in and the grid is expanded first key slowest', () => {
  const job = parseJob(good);
  assert.is(job.backend, 'float64');
  assert.is(job.workers, 'auto');
  assert.is(job.commonRandomNumbers, true);
  const points = sweepPoints(job);
  assert.equal(points.map((p) => p.values), [
    { sMaxKbit: 0, eMaxMj: 1.5 }, { sMaxKbit: 0, eMaxMj: 2 }, { sMaxKbit: 0, eMaxMj: 3 },
    { sMaxKbit: 60, eMaxMj: 1.5 }, { sMaxKbit: 60, eMaxMj: 2 }, { sMaxKbit: 60, eMaxMj: 3 },
  ]);
  assert.is(points[4].settings.eMaxMj, 2);
  assert.is(points[4].settings.M, 15);
});

test('linked sweep groups set several parameters together and flatten into the point values', () => {
  const job = parseJob({ ...good, sweep: { delta: [{ deltaUe: 0, deltaEs: 0 }, { deltaUe: 0.02, deltaEs: 0.02 }], fEsMaxGHz: [30, 38] } });
  const points = sweepPoints(job);
  assert.equal(points.map((p) => p.values), [
    { deltaUe: 0, deltaEs: 0, fEsMaxGHz: 30 }, { deltaUe: 0, deltaEs: 0, fEsMaxGHz: 38 },
    { deltaUe: 0.02, deltaEs: 0.02, fEsMaxGHz: 30 }, { deltaUe: 0.02, deltaEs: 0.02, fEsMaxGHz: 38 },
  ]);
  assert.is(points[3].settings.deltaEs, 0.02);
});

test('chunks cover every realisation of every point once; shards partition them', () => {
  const job = parseJob(good);
  const chunks = jobChunks(job);
  assert.is(chunks.length, 6 * 3);
  assert.equal(chunks.slice(0, 3).map((c) => [c.first, c.count]), [[0, 10], [10, 10], [20, 5]]);
  assert.is(chunks[4].id, 'p00001-c000001');
  const shards = [0, 1, 2, 3].map((index) => shardChunks(chunks, { index, count: 4 }));
  const union = shards.flat().map((c) => c.index).sort((a, b) => a - b);
  assert.equal(union, chunks.map((c) => c.index));
});

test('the hash ignores workers, description and key order, and sees everything else', () => {
  const a = jobHash(parseJob(good));
  assert.is(jobHash(parseJob({ ...good, workers: 7, description: 'x' })), a);
  assert.is(jobHash(parseJob({ chunkSize: 10, sweep: good.sweep, realisations: 25, seed: 3, name: 'demo' })), a);
  assert.is.not(jobHash(parseJob({ ...good, seed: 4 })), a);
  assert.is.not(jobHash(parseJob({ ...good, chunkSize: 5 })), a);
  assert.is.not(jobHash(parseJob({ ...good, sweep: { eMaxMj: [1.5, 2, 3], sMaxKbit: [0, 60] } })), a);
  assert.is(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }), '{"a":[{"c":3,"d":2}],"b":1}');
});

const BAD: [string, unknown, RegExp][] = [
  ['not an object', 42, /job: must be a JSON object/],
  ['missing name', { seed: 1, realisations: 5 }, /job\.name must be a string/],
  ['bad name', { ...good, name: 'a b' }, /job\.name must be 1-100 letters/],
  ['negative seed', { ...good, seed: -1 }, /job\.seed must be an integer in \[0, 2\^53\)/],
  ['fractional realisations', { ...good, realisations: 2.5 }, /job\.realisations must be an integer/],
  ['zero realisations', { ...good, realisations: 0 }, /job\.realisations must be an integer in \[1, 2\^32\)/],
  ['unknown field', { ...good, worker: 2 }, /unknown field\(s\) worker/],
  ['bad backend', { ...good, backend: 'gpu' }, /job\.backend must be one of float64, wasm/],
  ['bad workers', { ...good, workers: 0 }, /job\.workers must be "auto" or an integer/],
  ['bad chunk size', { ...good, chunkSize: 0 }, /job\.chunkSize must be an integer in \[1, 1000000\]/],
  ['base out of range', { ...good, base: { M: 0 } }, /job\.base\.M must be an integer in \[1, 1000\]/],
  ['base unknown parameter', { ...good, base: { Mx: 3 } }, /job\.base: unknown parameter\(s\) Mx/],
  ['sweep not a parameter', { ...good, sweep: { Emax: [1] } }, /job\.sweep\.Emax is not a parameter/],
  ['sweep value out of range', { ...good, sweep: { eMaxMj: [1, -2] } }, /job\.sweep\.eMaxMj\[1\] must be a number in \(0, 1000000\]/],
  ['sweep empty', { ...good, sweep: { eMaxMj: [] } }, /job\.sweep\.eMaxMj must be a non-empty array/],
  ['sweep not an array', { ...good, sweep: { eMaxMj: 3 } }, /job\.sweep\.eMaxMj must be a non-empty array/],
  ['sweep duplicate', { ...good, sweep: { eMaxMj: [2, 2] } }, /job\.sweep\.eMaxMj lists a value twice/],
  ['sweep group mismatch', { ...good, sweep: { d: [{ deltaUe: 0 }, { deltaEs: 0 }] } }, /job\.sweep\.d\[1\] must set the same parameters/],
  ['sweep mixed kinds', { ...good, sweep: { d: [{ deltaUe: 0 }, 3] } }, /mixes plain values and objects/],
  ['sweep sets twice', { ...good, sweep: { eMaxMj: [2], d: [{ eMaxMj: 3 }] } }, /sets eMaxMj in more than one entry/],
  ['cross-field rule at a point', { ...good, base: { etaMaxCyclesPerByte: 150 }, sweep: { etaMinCyclesPerByte: [100, 200] } }, /job\.sweep\.etaMinCyclesPerByte\[1\] \(200\) must not exceed/],
  ['bad caching rule', { ...good, sweep: { cachingRule: ['latency', 'fastest'] } }, /job\.sweep\.cachingRule\[1\] must be one of latency, saving/],
];

for (const [label, raw, message] of BAD) {
  test(`a malformed job is refused with a clear message: ${label}`, () => {
    try {
      parseJob(raw);
      assert.unreachable('accepted');
    } catch (e) {
      assert.instance(e, DtmcError);
      assert.match((e as Error).message, message);
    }
  });
}

test.run();
