import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import type { Settings } from '../../engine/settings.js';
import type { Point } from '../../engine/model/point.js';
import { totalLatencyMs } from '../../engine/model/latency-energy.js';
import { batchPoint, batchProblem, disposeBatchPoint, disposeBatchProblem, unbatchPoint } from '../../kernels/batch.js';
import { solveResourcesBatch, type Sp3BatchResult } from '../../kernels/sp3-resources.js';
import { useBackend } from '../../kernels/backend.js';
import { testBackend } from '../helpers/tf-backend.js';
import { sp3Cases, type Sp3Case } from '../helpers/sp3-cases.js';

type Case = Sp3Case;

/** SP3 inputs from the first AO iterations of realisations at several settings. */
const cases = (overrides: Partial<Settings>, realisations: number, iterations: number): Case[] =>
  sp3Cases(overrides, realisations, iterations, 21);

async function runBatch(cs: Case[]): Promise<{ result: Sp3BatchResult; points: Point[]; solved: Float32Array; certified: Float32Array }> {
  const bp = batchProblem(cs.map((c) => c.problem));
  const bx = batchPoint(cs.map((c) => c.before));
  const rowActive = tf.ones([cs.length, 1]);
  const result = await solveResourcesBatch(bp, bx, rowActive);
  const points = await unbatchPoint({ ...bx, ...result.candidate });
  const solved = (await result.solved.data()) as Float32Array;
  const certified = (await result.certified.data()) as Float32Array;
  tf.dispose([rowActive]);
  disposeBatchProblem(bp);
  disposeBatchPoint(bx);
  return { result, points, solved, certified };
}

const disposeResult = (r: Sp3BatchResult): void =>
  tf.dispose([...Object.values(r.candidate), r.solved, r.certified, r.failed]);

test.before(async () => {
  await testBackend();
});

test('batched SP3 reaches the float64 optimum to 1e-4 on certified realisations', async () => {
  // One batch per parameter set (a batch shares its parameters).
  const groups = [
    cases({}, 40, 3),
    cases({ eMaxMj: 1.5, sMaxKbit: 0 }, 15, 2),
    cases({ fEsMaxGHz: 38, deltaUe: 0.02, deltaEs: 0.02 }, 15, 2),
    cases({ M: 5, eMaxMj: 0.5, tMaxMs: 3 }, 15, 2),
  ];
  let total = 0;
  let certifiedCount = 0;
  let worst = 0;
  for (const group of groups) {
    const { result, points, certified } = await runBatch(group);
    total += group.length;
    group.forEach((c, n) => {
      if (!certified[n]) return;
      certifiedCount++;
      const j = totalLatencyMs(c.problem, points[n]);
      const jRef = totalLatencyMs(c.problem, c.after);
      worst = Math.max(worst, Math.abs(j - jRef) / jRef);
      assert.ok(Math.abs(j - jRef) <= 1e-4 * jRef, `case ${n}: J ${j} vs float64 ${jRef}`);
    });
    disposeResult(result);
  }
  console.log(`  batched SP3: ${certifiedCount}/${total} certified, worst |J - J64|/J64 = ${worst.toExponential(2)}`);
  assert.ok(certifiedCount >= 0.99 * total, `${certifiedCount}/${total} certified`);
});

test('batched SP3 keeps s, alpha and the variables without effect', async () => {
  const cs = cases({}, 10, 2);
  const { result, points } = await runBatch(cs);
  cs.forEach((c, n) => {
    for (let m = 0; m < c.before.alpha.length; m++) {
      const fueFixed = c.before.cached[m] === 1 || c.before.alpha[m] === 0;
      const fesFixed = c.before.cached[m] === 0 && c.before.alpha[m] === 1;
      if (fueFixed) assert.is(points[n].fUeGHz[m], Math.fround(c.before.fUeGHz[m]), `case ${n} f_ue[${m}]`);
      if (fesFixed) assert.is(points[n].fEsGHz[m], Math.fround(c.before.fEsGHz[m]), `case ${n} f_es[${m}]`);
    }
  });
  disposeResult(result);
});

test('a NaN realisation fails alone and leaves the others as solved without it', async () => {
  const cs = cases({}, 6, 1);
  const clean = await runBatch(cs);
  const poisoned = cs.map((c, n) => (n === 2 ? { ...c, problem: { ...c.problem, cPerW: c.problem.cPerW.map((v, m) => (m === 4 ? Number.NaN : v)) } } : c));
  const dirty = await runBatch(poisoned);
  const failed = await dirty.result.failed.data();
  assert.is(dirty.solved[2], 0, 'the poisoned realisation is not solved');
  cs.forEach((_, n) => {
    if (n === 2) return;
    assert.is(failed[n], 0);
    assert.equal(Array.from(dirty.points[n].bandwidth), Array.from(clean.points[n].bandwidth), `realisation ${n}`);
  });
  disposeResult(clean.result);
  disposeResult(dirty.result);
});

test('realisations outside rowActive are returned unchanged', async () => {
  const cs = cases({}, 4, 1);
  const bp = batchProblem(cs.map((c) => c.problem));
  const bx = batchPoint(cs.map((c) => c.before));
  const rowActive = tf.tensor2d([[1], [0], [1], [0]]);
  const r = await solveResourcesBatch(bp, bx, rowActive);
  const points = await unbatchPoint({ ...bx, ...r.candidate });
  for (const n of [1, 3]) assert.equal(Array.from(points[n].bandwidth), Array.from(Float32Array.from(cs[n].before.bandwidth)));
  tf.dispose([rowActive]);
  disposeResult(r);
  disposeBatchProblem(bp);
  disposeBatchPoint(bx);
});

test('batched SP3 leaves no tensors behind', async () => {
  const cs = cases({}, 3, 1);
  const bp = batchProblem(cs.map((c) => c.problem));
  const bx = batchPoint(cs.map((c) => c.before));
  const rowActive = tf.ones([cs.length, 1]);
  const before = tf.memory().numTensors;
  const r = await solveResourcesBatch(bp, bx, rowActive);
  disposeResult(r);
  assert.is(tf.memory().numTensors, before);
  tf.dispose([rowActive]);
  disposeBatchProblem(bp);
  disposeBatchPoint(bx);
});

test('the wasm and cpu backends give the same SP3 result to float32 accuracy', async () => {
  const cs = cases({}, 4, 1);
  const wasm = await runBatch(cs);
  const wasmJ = wasm.points.map((x, n) => totalLatencyMs(cs[n].problem, x));
  disposeResult(wasm.result);
  await useBackend('cpu');
  try {
    const cpu = await runBatch(cs);
    cpu.points.forEach((x, n) => {
      const j = totalLatencyMs(cs[n].problem, x);
      assert.ok(Math.abs(j - wasmJ[n]) <= 1e-4 * wasmJ[n], `case ${n}: cpu ${j} vs wasm ${wasmJ[n]}`);
    });
    disposeResult(cpu.result);
  } finally {
    await testBackend();
  }
});

test.run();
