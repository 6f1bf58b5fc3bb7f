/**
 * The tensor engine on the webgpu backend (Dawn through the `webgpu` package): the fused WGSL SP3
 * solver against the plain tfjs solver (its reference) and the float64 path, and the whole
 * batched AO. Where no WebGPU adapter is found every GPU test skips with the reason printed. Any
 * Vulkan driver serves: a GPU, or Mesa's lavapipe on the CPU (which .ci/run installs when it can).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import type { Settings } from '../../engine/settings.js';
import type { Problem } from '../../engine/problem.js';
import { totalLatencyMs } from '../../engine/model/latency-energy.js';
import { solveAo } from '../../engine/ao/solve-ao.js';
import { DtmcError } from '../../engine/errors.js';
import { batchPoint, batchProblem, disposeBatchPoint, disposeBatchProblem, unbatchPoint } from '../../kernels/batch.js';
import { solveResourcesBatch } from '../../kernels/sp3-resources.js';
import { solveAoBatch } from '../../kernels/solve-ao-batch.js';
import { disposeCoefficients, expansionTauBatch, sp3Coefficients } from '../../kernels/sp3-surrogate.js';
import { DEFAULT_BATCH_IPM_OPTIONS } from '../../kernels/block-ipm.js';
import { solveBlockFused, type SurrogateSolver } from '../../kernels/webgpu/block-ipm.js';
import { SP3_FUSED } from '../../kernels/webgpu/sp3-surrogate-wgsl.js';
import { onWebGpu, testBackend } from '../helpers/tf-backend.js';
import { drawProblems } from '../helpers/problems.js';
import { sp3Cases, type Sp3Case } from '../helpers/sp3-cases.js';

const problems = (overrides: Partial<Settings>, count: number, seed: number): Problem[] => drawProblems(overrides, count, seed);

/** SP3 of one batch of cases with the given solver: the candidate J (float64) and the flags. */
async function sp3(cs: Sp3Case[], solver: SurrogateSolver): Promise<{ j: number[]; solved: Float32Array; certified: Float32Array; failed: Float32Array }> {
  const bp = batchProblem(cs.map((c) => c.problem));
  const bx = batchPoint(cs.map((c) => c.before));
  const rowActive = tf.ones([cs.length, 1]);
  const r = await solveResourcesBatch(bp, bx, rowActive, {}, solver);
  const points = await unbatchPoint({ ...bx, ...r.candidate });
  const out = {
    j: cs.map((c, n) => totalLatencyMs(c.problem, points[n])),
    solved: (await r.solved.data()) as Float32Array,
    certified: (await r.certified.data()) as Float32Array,
    failed: (await r.failed.data()) as Float32Array,
  };
  tf.dispose([rowActive, ...Object.values(r.candidate), r.solved, r.certified, r.failed]);
  disposeBatchProblem(bp);
  disposeBatchPoint(bx);
  return out;
}

test('the fused SP3 solver needs the webgpu backend and says so elsewhere', async () => {
  const { name } = await testBackend();
  const cs = sp3Cases({}, 2, 1, 51);
  try {
    await sp3(cs, 'fused');
    assert.unreachable('the fused solver ran on wasm');
  } catch (e) {
    assert.instance(e, DtmcError);
    assert.ok((e as Error).message.includes(`needs the webgpu backend (running: ${name})`), (e as Error).message);
  }
});

test('the fused SP3 solver agrees with the tfjs solver and the float64 optimum', async () => {
  await onWebGpu('fused SP3', async () => {
    const groups = [
      sp3Cases({}, 30, 3, 52),
      sp3Cases({ eMaxMj: 1.5, sMaxKbit: 0 }, 12, 2, 53),
      sp3Cases({ fEsMaxGHz: 38, deltaUe: 0.02, deltaEs: 0.02 }, 12, 2, 54),
      sp3Cases({ M: 5, eMaxMj: 0.5, tMaxMs: 3 }, 12, 2, 55),
    ];
    let total = 0;
    let bothCertified = 0;
    for (const cs of groups) {
      const fused = await sp3(cs, 'fused');
      const plain = await sp3(cs, 'tfjs');
      cs.forEach((c, n) => {
        total++;
        assert.is(fused.failed[n], 0, `${c.label}: fused failed`);
        assert.is(fused.solved[n], plain.solved[n], `${c.label}: solved flags differ`);
        if (!(fused.certified[n] && plain.certified[n])) return;
        bothCertified++;
        const jRef = totalLatencyMs(c.problem, c.after);
        assert.ok(Math.abs(fused.j[n] - plain.j[n]) <= 1e-4 * plain.j[n], `${c.label}: fused J ${fused.j[n]} vs tfjs ${plain.j[n]}`);
        assert.ok(Math.abs(fused.j[n] - jRef) <= 1e-4 * jRef, `${c.label}: fused J ${fused.j[n]} vs float64 ${jRef}`);
      });
    }
    assert.ok(bothCertified >= 0.95 * total, `${bothCertified}/${total} certified by both`);
  });
});

test('the batched AO on webgpu (fused SP3) agrees with the float64 reference', async () => {
  await onWebGpu('AO, fused SP3', async () => {
    const ps = problems({}, 200, 41);
    const batch = await solveAoBatch(ps);
    let close = 0;
    ps.forEach((p, n) => {
      const ref = solveAo(p);
      if (Math.abs(batch[n].objectiveMs - ref.objectiveMs) <= 1e-3 * ref.objectiveMs) close++;
      assert.equal(Array.from(batch[n].point.cached), Array.from(ref.point.cached), `realisation ${n}: caching`);
      assert.ok(batch[n].maxViolation <= 1e-4, `realisation ${n}: violation ${batch[n].maxViolation}`);
      const trace = batch[n].traceMs;
      for (let i = 1; i < trace.length; i++) assert.ok(trace[i] <= trace[i - 1] * (1 + 1e-6), `realisation ${n}: J rose at ${i}`);
    });
    assert.ok(close >= 199, `${close}/200 within 1e-3 of the float64 J`);
  });
});

test('the batched AO on webgpu with the tfjs SP3 solver agrees with the fused one', async () => {
  await onWebGpu('AO, tfjs SP3', async () => {
    const ps = problems({ M: 8 }, 24, 42);
    const fused = await solveAoBatch(ps, { surrogateSolver: 'fused' });
    const plain = await solveAoBatch(ps, { surrogateSolver: 'tfjs' });
    ps.forEach((_, n) => {
      assert.is(fused[n].status, plain[n].status, `realisation ${n}`);
      assert.ok(Math.abs(fused[n].objectiveMs - plain[n].objectiveMs) <= 1e-4 * plain[n].objectiveMs, `realisation ${n}`);
    });
  });
});

test('method joint on webgpu: the fused joint steps agree with the tfjs ones and with float64, and never exceed the AO', async () => {
  await onWebGpu('joint, fused', async () => {
    const ps = problems({ method: 'joint' }, 24, 43);
    const ao = await solveAoBatch(problems({}, 24, 43), { surrogateSolver: 'fused' });
    const fused = await solveAoBatch(ps, { surrogateSolver: 'fused' });
    const plain = await solveAoBatch(ps, { surrogateSolver: 'tfjs' });
    let gain = 0;
    ps.forEach((p, n) => {
      const ref = solveAo(p);
      assert.is(fused[n].status, 'converged', `realisation ${n}: ${fused[n].message}`);
      assert.ok(fused[n].jointSteps >= 1, `realisation ${n}: no joint step taken`);
      assert.ok(Math.abs(fused[n].objectiveMs - plain[n].objectiveMs) <= 1e-4 * plain[n].objectiveMs, `realisation ${n}: fused ${fused[n].objectiveMs} vs tfjs ${plain[n].objectiveMs}`);
      assert.ok(Math.abs(fused[n].objectiveMs - ref.objectiveMs) <= 1e-4 * ref.objectiveMs, `realisation ${n}: fused ${fused[n].objectiveMs} vs float64 ${ref.objectiveMs}`);
      assert.ok(fused[n].objectiveMs <= ao[n].objectiveMs * (1 + 1e-6), `realisation ${n}: joint above the AO`);
      assert.ok(fused[n].maxViolation <= 1e-4, `realisation ${n}: violation ${fused[n].maxViolation}`);
      gain += 1 - fused[n].objectiveMs / ao[n].objectiveMs;
    });
    assert.ok(gain / ps.length > 0.005, `mean gain ${gain / ps.length}`);
  });
});

test('a batch split over several fused dispatches gives the same results as one dispatch', async () => {
  await onWebGpu('fused slices', async () => {
    const cs = sp3Cases({}, 13, 2, 56);
    const bp = batchProblem(cs.map((c) => c.problem));
    const bx = batchPoint(cs.map((c) => c.before));
    const P = bp.params;
    const tauBar = expansionTauBatch(bp, bx);
    const c = sp3Coefficients(bp, bx, tauBar);
    const v0 = tf.tidy(() => ({
      b: tf.mul(bx.bandwidth, 0.99), p: tf.minimum(bx.powerW, P.pMaxW * 0.99),
      fue: tf.where(tf.greater(c.freeFue, 0), tf.minimum(bx.fUeGHz, P.fUeMaxGHz * 0.99), bx.fUeGHz),
      fes: tf.where(tf.greater(c.freeFes, 0), tf.minimum(tf.mul(bx.fEsGHz, 0.99), P.fEsMaxGHz * 0.99), bx.fEsGHz), tau: tf.clone(tauBar),
    }));
    const rowActive = tf.ones([cs.length, 1]);
    const whole = await solveBlockFused(SP3_FUSED, c, c.problem, v0, rowActive, DEFAULT_BATCH_IPM_OPTIONS);
    const sliced = await solveBlockFused(SP3_FUSED, c, c.problem, v0, rowActive, DEFAULT_BATCH_IPM_OPTIONS, 7);
    for (const k of ['b', 'p', 'fue', 'fes'] as const) assert.equal(Array.from(await sliced.v[k].data()), Array.from(await whole.v[k].data()), k);
    assert.equal(Array.from(await sliced.certified.data()), Array.from(await whole.certified.data()));
    assert.is(sliced.newtonSteps, whole.newtonSteps);
    tf.dispose([tauBar, rowActive, ...Object.values(v0), ...Object.values(whole.v), ...Object.values(sliced.v),
      whole.solved, whole.certified, whole.failed, sliced.solved, sliced.certified, sliced.failed]);
    disposeCoefficients(c);
    disposeBatchProblem(bp);
    disposeBatchPoint(bx);
  });
});

test('a poisoned realisation on webgpu carries the failure status alone', async () => {
  await onWebGpu('poisoned row', async () => {
    const ps = problems({}, 8, 43);
    const poisoned = ps.map((p, n) => (n === 3 ? { ...p, cPerW: p.cPerW.map((v, m) => (m === 1 ? Number.NaN : v)) } : p));
    const results = await solveAoBatch(poisoned);
    assert.is(results[3].status, 'numerical-failure');
    results.forEach((r, n) => n !== 3 && assert.is(r.status, 'converged', `realisation ${n}`));
  });
});

test('a webgpu batch leaves no tensors behind', async () => {
  await onWebGpu('memory', async () => {
    const ps = problems({}, 6, 44);
    await solveAoBatch(ps);
    const before = tf.memory().numTensors;
    await solveAoBatch(ps);
    assert.is(tf.memory().numTensors, before);
  });
});

test.run();
