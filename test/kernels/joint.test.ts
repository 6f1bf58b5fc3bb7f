/**
 * The joint optimiser on the tensor engine (kernels/joint-surrogate.ts, kernels/joint-sca.ts and the
 * steps in solveAoBatch), checked against the float64 path as SP3 is:
 * - the batched surrogate's slot values, gradients and curvatures equal the float64
 *   JointSurrogate's at the same points, to float32 accuracy;
 * - on 300 realisations the batched joint J agrees with the float64 joint J, is at most the
 *   batched AO's J on every one, every point passes the exact check, traces never rise, and no
 *   tensor leaks.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import type { Settings } from '../../engine/settings.js';
import type { Problem } from '../../engine/problem.js';
import { solveAo } from '../../engine/ao/solve-ao.js';
import { expansionTau } from '../../engine/ao/sp3-surrogate.js';
import { JNC, JNV, J_ALPHA, J_B, J_P, J_R, J_TAU, J_U, JointSurrogate } from '../../engine/ao/joint-surrogate.js';
import { clonePoint } from '../../engine/model/point.js';
import { batchPoint, batchProblem, disposeBatchPoint, disposeBatchProblem } from '../../kernels/batch.js';
import { disposeJointCoefficients, evaluateJoint, jointCoefficients } from '../../kernels/joint-surrogate.js';
import { expansionTauBatch } from '../../kernels/sp3-surrogate.js';
import { solveAoBatch } from '../../kernels/solve-ao-batch.js';
import { mulberry32, uniform } from '../helpers/random.js';
import { testBackend } from '../helpers/tf-backend.js';
import { drawProblems } from '../helpers/problems.js';

const problems = (overrides: Partial<Settings>, count: number, seed = 51): Problem[] => drawProblems(overrides, count, seed);

const nonIncreasing = (trace: number[]): boolean => trace.every((v, k) => k === 0 || v <= trace[k - 1] * (1 + 1e-6));

test.before(async () => {
  await testBackend();
});

test('batched joint surrogate: values, gradients and curvatures equal the float64 surrogate\'s', async () => {
  const rng = mulberry32(3);
  const ps = problems({ sMaxKbit: 20 }, 40);
  const points = ps.map((p) => {
    const x = clonePoint(solveAo(p).point);
    for (let m = 0; m < x.alpha.length; m++) if (!x.cached[m]) x.alpha[m] = uniform(rng, 0.05, 0.95);
    return x;
  });
  const M = ps[0].cPerW.length;
  const N = ps.length;
  // The float64 surrogates, and an evaluation point near each expansion point.
  const surrogates = ps.map((p, n) => new JointSurrogate(p, points[n], expansionTau(p, points[n])));
  const vs = surrogates.map((s, n) => {
    const v = s.pack(points[n], expansionTau(ps[n], points[n]));
    for (let j = 0; j < v.length; j++) if (j % JNV !== J_ALPHA) v[j] *= Math.exp(uniform(rng, -0.2, 0.2));
    return v;
  });
  const names: [string, number][] = [['b', J_B], ['p', J_P], ['r', J_R], ['u', J_U], ['tau', J_TAU], ['alpha', J_ALPHA]];
  const bp = batchProblem(ps);
  const bx = batchPoint(points);
  const tauBar = expansionTauBatch(bp, bx);
  const c = jointCoefficients(bp, bx, tauBar);
  const before = tf.memory().numTensors;
  const out = tf.tidy(() => {
    const v = Object.fromEntries(names.map(([k, j]) => {
      const data = new Float32Array(N * M);
      // Cached UEs carry the batch's stand-ins for the variables they do not use.
      const fixedOnCached = k === 'r' || k === 'tau' || k === 'alpha';
      const standIn = k === 'alpha' ? 0.5 : 1;
      vs.forEach((vn, n) => {
        for (let m = 0; m < M; m++) data[n * M + m] = points[n].cached[m] && fixedOnCached ? standIn : vn[m * JNV + j];
      });
      return [k, tf.tensor2d(data, [N, M])];
    }));
    const { slots, objective } = evaluateJoint(c, v, true);
    return { slots: slots.map((s) => ({ val: s.val.arraySync() as number[][], grad: Object.fromEntries(Object.entries(s.grad).map(([k, g]) => [k, g!.arraySync() as number[][]])) })), obj: objective.val.arraySync() as number[][] };
  });
  assert.is(tf.memory().numTensors, before, 'evaluateJoint leaked tensors');
  let compared = 0;
  surrogates.forEach((s, n) => {
    const val = new Float64Array(M * JNC);
    const grad = new Float64Array(M * JNC * JNV);
    s.slots(vs[n], val, grad, new Float64Array(M * JNC * JNV), new Float64Array(M * JNC * 2));
    for (let m = 0; m < M; m++) {
      for (let k = 0; k < JNC; k++) {
        if (!s.active[m * JNC + k]) {
          assert.ok(Math.abs(out.slots[k].val[n][m] + 1) < 1e-6, `inactive slot ${k} reads ${out.slots[k].val[n][m]}`);
          continue;
        }
        const f64 = val[m * JNC + k];
        const f32 = out.slots[k].val[n][m];
        assert.ok(Math.abs(f32 - f64) <= 2e-5 * (1 + Math.abs(f64)), `realisation ${n} UE ${m} slot ${k}: ${f32} vs ${f64}`);
        for (const [name, j] of names) {
          const g64 = grad[(m * JNC + k) * JNV + j];
          const g32 = out.slots[k].grad[name]?.[n][m] ?? 0;
          const scale = Math.max(...names.map(([, jj]) => Math.abs(grad[(m * JNC + k) * JNV + jj])));
          assert.ok(Math.abs(g32 - g64) <= 2e-4 * scale + 1e-12, `realisation ${n} UE ${m} slot ${k} d/d${name}: ${g32} vs ${g64}`);
        }
        compared++;
      }
    }
  });
  assert.ok(compared > N * M * 4, `only ${compared} slots compared`);
  disposeJointCoefficients(c);
  tf.dispose(tauBar);
  disposeBatchPoint(bx);
  disposeBatchProblem(bp);
});

test('batched joint on 300 realisations: agrees with float64, never above the batched AO, feasible, no leaks', async () => {
  const ao = problems({}, 300);
  const joint = problems({ method: 'joint' }, 300);
  const before = tf.memory().numTensors;
  const [bAo, bJoint] = [await solveAoBatch(ao), await solveAoBatch(joint)];
  assert.is(tf.memory().numTensors, before, 'the batched joint leaked tensors');
  let close = 0;
  let worst = 0;
  let gain = 0;
  let steps = 0;
  joint.forEach((p, n) => {
    const r = bJoint[n];
    assert.is(r.status, 'converged', `realisation ${n}: ${r.message}`);
    const ref = solveAo(p);
    const rel = Math.abs(r.objectiveMs - ref.objectiveMs) / ref.objectiveMs;
    worst = Math.max(worst, rel);
    if (rel <= 1e-3) close++;
    assert.ok(r.objectiveMs <= bAo[n].objectiveMs * (1 + 1e-6), `realisation ${n}: joint ${r.objectiveMs} above AO ${bAo[n].objectiveMs}`);
    assert.ok(r.maxViolation <= 1e-4, `realisation ${n}: violation ${r.maxViolation} (${r.violatedConstraint})`);
    assert.ok(nonIncreasing(r.traceMs), `realisation ${n}: trace ${r.traceMs}`);
    assert.is(r.traceMs.length, r.iterations + 1);
    gain += 1 - r.objectiveMs / bAo[n].objectiveMs;
    steps += r.jointSteps;
  });
  console.log(`  batched joint vs float64 joint: |dJ| <= 1e-3 J on ${close}/300, worst ${worst.toExponential(2)}; `
    + `mean gain over the batched AO ${(100 * gain / 300).toFixed(2)}%, ${(steps / 300).toFixed(2)} steps`);
  assert.ok(close >= 297, `|dJ| <= 1e-3 J on ${close}/300`);
  assert.ok(gain / 300 > 0.005, `mean gain ${gain / 300}`);
});

test.run();
