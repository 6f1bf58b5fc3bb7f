import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import type { Settings } from '../../engine/settings.js';
import type { Problem } from '../../engine/problem.js';
import { solveAo } from '../../engine/ao/solve-ao.js';
import { solveAoBatch } from '../../kernels/solve-ao-batch.js';
import { useBackend } from '../../kernels/backend.js';
import { testBackend } from '../helpers/tf-backend.js';
import { drawProblems } from '../helpers/problems.js';

const problems = (overrides: Partial<Settings>, count: number, seed = 31): Problem[] => drawProblems(overrides, count, seed);

/** Non-increasing up to float32 rounding of J (about 1e-7 relative; 1e-6 allowed). */
const nonIncreasing = (trace: number[]): boolean => trace.every((v, k) => k === 0 || v <= trace[k - 1] * (1 + 1e-6));

test.before(async () => {
  await testBackend();
});

test('the batched AO agrees with the float64 reference on 1000 realisations', async () => {
  const ps = problems({}, 1000);
  const batch = await solveAoBatch(ps);
  let sameCache = 0;
  let close = 0;
  let worst = 0;
  ps.forEach((p, n) => {
    const ref = solveAo(p);
    const r = batch[n];
    assert.is(r.status, 'converged', `realisation ${n}: ${r.message}`);
    if (Array.from(r.point.cached).join() === Array.from(ref.point.cached).join()) sameCache++;
    const rel = Math.abs(r.objectiveMs - ref.objectiveMs) / ref.objectiveMs;
    worst = Math.max(worst, rel);
    if (rel <= 1e-3) close++;
    assert.ok(r.maxViolation <= 1e-4, `realisation ${n}: violation ${r.maxViolation} (${r.violatedConstraint})`);
    assert.ok(nonIncreasing(r.traceMs), `realisation ${n}: trace ${r.traceMs}`);
  });
  console.log(`  batched AO vs float64: same caching ${sameCache}/1000, |dJ| <= 1e-3 J on ${close}/1000, worst ${worst.toExponential(2)}`);
  assert.ok(sameCache >= 990, `same caching on ${sameCache}/1000`);
  assert.ok(close >= 995, `|dJ| <= 1e-3 J on ${close}/1000`);
});

test('the batched AO agrees at the corners of the letter\'s figures', async () => {
  for (const overrides of [{ eMaxMj: 1.5, sMaxKbit: 0 }, { fEsMaxGHz: 38, deltaUe: 0.02, deltaEs: 0.02 }]) {
    const ps = problems(overrides, 60, 32);
    const batch = await solveAoBatch(ps);
    let close = 0;
    ps.forEach((p, n) => {
      const ref = solveAo(p);
      if (Math.abs(batch[n].objectiveMs - ref.objectiveMs) <= 1e-3 * ref.objectiveMs) close++;
      assert.ok(batch[n].maxViolation <= 1e-4);
    });
    assert.ok(close >= 59, `${JSON.stringify(overrides)}: ${close}/60 within 1e-3`);
  }
});

test('a poisoned realisation carries the failure status alone', async () => {
  const ps = problems({}, 8, 33);
  const clean = await solveAoBatch(ps);
  const poisoned = ps.map((p, n) => {
    if (n === 2) return { ...p, cPerW: p.cPerW.map((v, m) => (m === 3 ? Number.NaN : v)) };
    if (n === 5) return { ...p, cPerW: p.cPerW.map(() => 1e-3) }; // no UE can reach Rmin: infeasible
    return p;
  });
  const dirty = await solveAoBatch(poisoned);
  assert.is(dirty[2].status, 'numerical-failure');
  assert.match(dirty[2].message, /gain\[3\]/);
  assert.is(dirty[5].status, 'infeasible');
  assert.is(dirty[5].violatedConstraint, '6d');
  ps.forEach((_, n) => {
    if (n === 2 || n === 5) return;
    assert.is(dirty[n].status, 'converged');
    assert.equal(dirty[n].traceMs, clean[n].traceMs, `realisation ${n}`);
  });
});

test('a batch leaves no tensors behind', async () => {
  const ps = problems({}, 5, 34);
  const before = tf.memory().numTensors;
  await solveAoBatch(ps);
  assert.is(tf.memory().numTensors, before);
});

test('the wasm and cpu backends give the same answers to float32 accuracy', async () => {
  const ps = problems({}, 12, 35);
  const wasm = await solveAoBatch(ps);
  await useBackend('cpu');
  try {
    const cpu = await solveAoBatch(ps);
    ps.forEach((_, n) => {
      assert.equal(Array.from(cpu[n].point.cached), Array.from(wasm[n].point.cached), `realisation ${n}`);
      assert.ok(Math.abs(cpu[n].objectiveMs - wasm[n].objectiveMs) <= 1e-4 * wasm[n].objectiveMs, `realisation ${n}`);
    });
  } finally {
    await testBackend();
  }
});

test.run();
