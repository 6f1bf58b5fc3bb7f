/**
 * The tensor model kernels (kernels/rate.ts, latency-energy.ts, feasibility.ts) against their
 * float64 twins (engine/model/) on seeded random batches, at N = 1, 7, 1000 and M = 15, 3.
 *
 * Inputs are drawn as float32 values (Math.fround), so the reference sees exactly what the tensors
 * hold and only the kernels' own float32 arithmetic is measured. Tolerances:
 * - TOL = 1e-5, relative. A kernel is a few float32 operations of at most a few ulps each (the
 *   accurate log1p is within 3 ulp, about 2e-7), so its error is near 1e-6 relative to the
 *   magnitude of what it adds; 1e-5 leaves a factor ten.
 * - A rate is a difference b ln(1+gamma) - kappa sqrt(bV); it is accurate relative to the size of
 *   its two terms, not to its own value, so its tolerance is TOL x (B/ln2)(b|ln(1+gamma)| +
 *   kappa sqrt(bV)). That error carries into D/R as D/R x (rate tolerance)/R, which is added to
 *   the latency and energy tolerances when a kernel computes its own rate.
 * - The random draws keep every rate at least 1e-3 of its term size away from zero (RATE_MARGIN),
 *   so the sign of R, and with it whether D/R is infinite, is the same in float32 and float64.
 * - Violations divide by their limits, so their tolerances are the value tolerances over the
 *   limit; box bounds (6h) are within TOL absolute.
 * Infinite expected values must be matched exactly.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { modelParams, type Problem } from '../../engine/problem.js';
import { checkFeasibility } from '../../engine/model/feasibility.js';
import { cachedMs, totalLatencyMs as totalLatencyRef, uncachedMj, uncachedMs } from '../../engine/model/latency-energy.js';
import { allocatePoint, clonePoint } from '../../engine/model/point.js';
import type { RateKind } from '../../engine/model/rate.js';
import { resolveSettings } from '../../engine/settings.js';
import { useBackend, type BackendName } from '../../kernels/backend.js';
import { batchPoint, batchProblem, disposeBatchPoint, disposeBatchProblem } from '../../kernels/batch.js';
import { constraintViolations } from '../../kernels/feasibility.js';
import { energyMj, latencyMs, totalLatencyMs } from '../../kernels/latency-energy.js';
import { log1pAccurate, rateExactMbps, rateV1Mbps } from '../../kernels/rate.js';
import {
  CONSTRAINTS, F, KINDS, TOL, expectAll, makeCase, take, ueReference, violationReference, withBatch,
  type Case, type UeReference,
} from '../helpers/model-reference.js';
import { logUniform, mulberry32 } from '../helpers/random.js';
import { testBackend } from '../helpers/tf-backend.js';

const SIZES: readonly [number, number][] = [[1, 15], [7, 15], [1000, 15], [1, 3], [7, 3], [1000, 3]];

let startedBackend: BackendName = 'wasm';
test.before(async () => {
  startedBackend = (await testBackend()).name;
});

// ---------------------------------------------------------------- rates

for (const [kind, kernel] of [['v1', rateV1Mbps], ['exact', rateExactMbps]] as const) {
  test(`${kernel.name} matches the float64 rate ('${kind}') at every batch size, low SNR and negative rates included`, async () => {
    for (const [N, M] of SIZES) {
      const c = makeCase(101 + N + M, N, M);
      const ref = ueReference(c, kind);
      const actual = await withBatch(c, (bp, x) => take(kernel(bp, x.bandwidth, x.powerW)));
      expectAll(actual, ref.map((u) => u.rate), ref.map((u) => u.rateTol), M, `${kernel.name} N=${N} M=${M}`);
      if (N === 1000) assert.ok(ref.some((u) => u.rate <= 0), `set-up: N=${N} M=${M} has non-positive rates`);
    }
  });
}

test('the exact rate exceeds R~ at low SNR by the float64 margin, far beyond the tolerance', async () => {
  const c = makeCase(7, 1000, 15);
  const v1 = ueReference(c, 'v1');
  const exact = ueReference(c, 'exact');
  const gap = await withBatch(c, (bp, x) => take(tf.tidy(() => tf.sub(rateExactMbps(bp, x.bandwidth, x.powerW), rateV1Mbps(bp, x.bandwidth, x.powerW)))));
  const tol = exact.map((u, i) => u.rateTol + v1[i].rateTol);
  expectAll(gap, exact.map((u, i) => u.rate - v1[i].rate), tol, 15, 'R - R~');
  assert.ok(exact.some((u, i) => u.rate - v1[i].rate > 100 * tol[i]), 'set-up: some UE where V < 1 changes R by 100 tolerances');
});

test('log1pAccurate is within 8 float32 ulps of ln(1+x) from x = -0.9 to 1e10 (the wasm Log1p is not)', async () => {
  // 8 ulps (1e-6): the correction ln(u) x/(u-1) is exact but for the rounding of ln(u) and a division.
  const rng = mulberry32(3);
  const xs = Float32Array.from({ length: 20000 }, (_, i) => (i % 5 === 0 ? -logUniform(rng, 1e-10, 0.9) : logUniform(rng, 1e-10, 1e10)));
  xs[0] = 0;
  const actual = await take(tf.tidy(() => log1pAccurate(tf.tensor1d(xs, 'float32'))));
  const expected = Array.from(xs, (v) => Math.log1p(v));
  expectAll(actual, expected, expected.map((e) => 1e-6 * Math.abs(e)), 1, 'log1p');
});

// ---------------------------------------------------------------- latency and energy for a given rate

/** The float64 rates of c rounded to float32, as a tensor's values. */
const roundedRates = (c: Case, kind: RateKind): number[] => ueReference(c, kind).map((u) => F(u.rate));

for (const quantity of ['latency', 'energy'] as const) {
  const kernel = quantity === 'latency' ? latencyMs : energyMj;
  test(`${kernel.name} for a given rate matches the float64 model: cached, alpha 0/1/random, zero CPU rates, negative rates`, async () => {
    for (const [N, M] of SIZES) {
      for (const delta of [0, 0.02]) {
        const c = makeCase(202 + N + M, N, M, delta);
        const rates = roundedRates(c, 'v1');
        const expected: number[] = [];
        c.problems.forEach((problem, n) => {
          const x = c.points[n];
          const { params } = problem;
          for (let m = 0; m < M; m++) {
            const r = rates[n * M + m];
            const C = problem.cyclesMc[m];
            const D = problem.bitsKbit[m];
            if (quantity === 'latency') {
              expected.push(x.cached[m] ? cachedMs(params, C, x.fEsGHz[m]) : uncachedMs(params, C, D, x.alpha[m], x.fUeGHz[m], x.fEsGHz[m], r));
            } else {
              expected.push(x.cached[m] ? 0 : uncachedMj(params, C, D, x.alpha[m], x.fUeGHz[m], x.powerW[m], r));
            }
          }
        });
        const actual = await withBatch(c, (bp, x) => take(tf.tidy(() => kernel(bp, x, tf.tensor2d(rates, [N, M], 'float32')))));
        expectAll(actual, expected, expected.map((e) => TOL * Math.abs(e)), M, `${kernel.name} N=${N} M=${M} delta=${delta}`);
        if (N === 1000) {
          assert.ok(expected.some((e) => e === Infinity) && expected.some((e, i) => rates[i] <= 0 && Number.isFinite(e)),
            'set-up: non-positive rates give Infinity when uncached and finite values when cached');
        }
      }
    }
  });
}

/** One realisation of five UEs at the edges of the zero-factor rule, and its rates. */
function zeroFactorCase(): { c: Case; rates: number[] } {
  const params = modelParams(resolveSettings({ M: 5 }));
  const problem: Problem = { params, cPerW: new Float64Array(5).fill(1e6), cyclesMc: new Float64Array(5).fill(0.25), bitsKbit: new Float64Array(5).fill(10) };
  const x = allocatePoint(5);
  // UE 0: alpha = 0, f_ue = 0; UE 1: uncached, alpha = 1, f_es = 0, rate 0; UE 2: cached, rate -1;
  // UE 3: uncached, alpha = 0.5, rate 0; UE 4: uncached, alpha = 0, rate -2.
  x.cached.set([0, 0, 1, 0, 0]);
  x.alpha.set([0, 1, 0.5, 0.5, 0]);
  x.bandwidth.fill(0.2);
  x.powerW.fill(0.1);
  x.fUeGHz.set([0, 1, 1, 1, 1]);
  x.fEsGHz.set([2, 0, 2, 2, 2]);
  return { c: { problems: [problem], points: [x] }, rates: [5, 0, -1, 0, -2] };
}

test('latencyMs: a zero factor hides a zero CPU rate or a non-positive rate; uncached UEs with R <= 0 take Infinity', async () => {
  const { c, rates } = zeroFactorCase();
  const actual = await withBatch(c, (bp, x) => take(tf.tidy(() => latencyMs(bp, x, tf.tensor2d(rates, [1, 5])))));
  // UE 0: 10/5 + 0.25/2; UE 1: 0.25/1 + Infinity; UE 2: 0.25/2; UEs 3, 4: Infinity.
  expectAll(actual, [2.125, Infinity, 0.125, Infinity, Infinity], new Array(5).fill(TOL), 5, 'latency');
});

test('energyMj: a cached UE spends nothing at R <= 0; alpha = 1 spends only local energy; alpha < 1 at R <= 0 is Infinity', async () => {
  const { c, rates } = zeroFactorCase();
  const actual = await withBatch(c, (bp, x) => take(tf.tidy(() => energyMj(bp, x, tf.tensor2d(rates, [1, 5])))));
  // UE 0: 0.1 x 10/5 = 0.2; UE 1: theta/2 C f^2 = 5 x 0.25 x 1 = 1.25; UE 2: 0; UEs 3, 4: Infinity.
  expectAll(actual, [0.2, 1.25, 0, Infinity, Infinity], new Array(5).fill(TOL), 5, 'energy');
});

// ---------------------------------------------------------------- objective and constraints

test('totalLatencyMs matches the float64 J for both rates at every batch size', async () => {
  for (const kind of KINDS) {
    for (const [N, M] of SIZES) {
      const c = makeCase(303 + N + M, N, M, 0.02);
      const ues = ueReference(c, kind);
      const expected = c.problems.map((p, n) => totalLatencyRef(p, c.points[n], kind));
      const tol = expected.map((_, n) => ues.slice(n * M, (n + 1) * M).reduce((s, u) => s + u.latencyTol, 0));
      const actual = await withBatch(c, (bp, x) => take(totalLatencyMs(bp, x, kind)));
      expectAll(actual, expected, tol, 1, `J (${kind}) N=${N} M=${M}`);
    }
  }
});

test('constraintViolations matches the float64 feasibility check, constraint by constraint, for both rates', async () => {
  for (const kind of KINDS) {
    for (const [N, M] of SIZES) {
      const c = makeCase(404 + N + M, N, M);
      const ues = ueReference(c, kind);
      const refs = c.problems.map((_, n) => violationReference(c, n, ues));
      refs.forEach((r, n) => {
        const max = Math.max(...CONSTRAINTS.map((k) => r[k].value));
        const engine = checkFeasibility(c.problems[n], c.points[n], kind).maxViolation;
        expectAll([max], [engine], [1e-12 * engine], 1, `mirror vs engine n=${n}`);
      });
      const out = await withBatch(c, async (bp, x) => {
        const v = constraintViolations(bp, x, kind);
        const per = await Promise.all(CONSTRAINTS.map((k) => take(v.perConstraint[k])));
        return { max: await take(v.maxViolation), per };
      });
      CONSTRAINTS.forEach((k, i) => {
        expectAll(out.per[i], refs.map((r) => r[k].value), refs.map((r) => r[k].tol), 1, `${k} (${kind}) N=${N} M=${M}`);
        if (N === 1000 && M === 15) assert.ok(refs.some((r) => r[k].value > 0), `set-up: (${k}) is violated somewhere at N=${N} M=${M}`);
      });
      const maxTol = refs.map((r) => Math.max(...CONSTRAINTS.map((k) => r[k].tol)));
      expectAll(out.max, refs.map((r) => Math.max(...CONSTRAINTS.map((k) => r[k].value))), maxTol, 1, `maxViolation (${kind})`);
    }
  }
});

test('constraintViolations reads NaN in alpha, b or p as an Infinity violation of that realisation only', async () => {
  const base = zeroFactorCase().c;
  const c: Case = { problems: [0, 1, 2, 3].map(() => base.problems[0]), points: [0, 1, 2, 3].map(() => clonePoint(base.points[0])) };
  c.points[1].alpha[3] = NaN;
  c.points[2].bandwidth[0] = NaN;
  c.points[3].powerW[4] = NaN;
  const out = await withBatch(c, (bp, x) => take(constraintViolations(bp, x).maxViolation));
  const engine = c.problems.map((p, n) => checkFeasibility(p, c.points[n]).maxViolation);
  assert.equal(engine.map(Number.isFinite), [true, false, false, false], `set-up: engine ${engine}`);
  expectAll(out, engine, [TOL, 0, 0, 0], 1, 'maxViolation');
});

test('constraintViolations gives an Infinity (6h) violation to a cached flag outside {0, 1}', async () => {
  const c = makeCase(6, 1, 3);
  const out = await withBatch(c, async (bp, x) => {
    const s = tf.tensor2d([[0, 0.5, 1]]);
    const v = constraintViolations(bp, { ...x, cached: s });
    s.dispose();
    return take(v.perConstraint['6h']).finally(() => tf.dispose(v));
  });
  assert.is(out[0], Infinity);
});

// ---------------------------------------------------------------- backends and memory

/** Every kernel's output on c, read back, in a fixed order. */
async function allOutputs(c: Case): Promise<{ values: Float32Array[]; names: string[] }> {
  return withBatch(c, async (bp, x) => {
    const rate = rateV1Mbps(bp, x.bandwidth, x.powerW);
    const v = constraintViolations(bp, x, 'exact');
    const named: [string, tf.Tensor][] = [
      ['rateV1Mbps', rate], ['rateExactMbps', rateExactMbps(bp, x.bandwidth, x.powerW)],
      ['latencyMs', latencyMs(bp, x, rate)], ['energyMj', energyMj(bp, x, rate)],
      ['totalLatencyMs v1', totalLatencyMs(bp, x, 'v1')], ['totalLatencyMs exact', totalLatencyMs(bp, x, 'exact')],
      ['maxViolation', v.maxViolation], ...CONSTRAINTS.map((k): [string, tf.Tensor] => [k, v.perConstraint[k]]),
    ];
    const values = await Promise.all(named.map(([, t]) => t.data() as Promise<Float32Array>));
    tf.dispose(named.map(([, t]) => t));
    return { values, names: named.map(([name]) => name) };
  });
}

test('the wasm and cpu backends agree to float32 accuracy on every kernel', async () => {
  // Both are within the float64 tolerances above, so they agree within twice those.
  const c = makeCase(9, 200, 15, 0.02);
  let wasm: Float32Array[];
  let cpu: Float32Array[];
  let names: string[];
  try {
    await useBackend('wasm');
    ({ values: wasm, names } = await allOutputs(c));
    await useBackend('cpu');
    ({ values: cpu } = await allOutputs(c));
  } finally {
    await useBackend(startedBackend);
  }
  const ues = { v1: ueReference(c, 'v1'), exact: ueReference(c, 'exact') };
  const perUe = (f: (u: UeReference) => number, kind: RateKind = 'v1'): number[] => ues[kind].map(f);
  const perN = (f: (u: UeReference) => number, kind: RateKind): number[] =>
    c.problems.map((_, n) => ues[kind].slice(n * 15, (n + 1) * 15).reduce((s, u) => s + f(u), 0));
  const refs = c.problems.map((_, n) => violationReference(c, n, ues.exact));
  const tolerances: number[][] = [
    perUe((u) => u.rateTol), perUe((u) => u.rateTol, 'exact'), perUe((u) => u.latencyTol), perUe((u) => u.energyTol),
    perN((u) => u.latencyTol, 'v1'), perN((u) => u.latencyTol, 'exact'),
    refs.map((r) => Math.max(...CONSTRAINTS.map((k) => r[k].tol))), ...CONSTRAINTS.map((k) => refs.map((r) => r[k].tol)),
  ];
  names.forEach((name, i) => {
    const M = wasm[i].length === c.problems.length ? 1 : 15;
    expectAll(cpu[i], wasm[i], tolerances[i].map((t) => 2 * t), M, `${name}: cpu vs wasm`);
  });
});

test('no kernel leaves a tensor behind once its outputs are disposed', () => {
  const c = makeCase(10, 7, 15);
  const bp = batchProblem(c.problems);
  const x = batchPoint(c.points);
  const rate = rateV1Mbps(bp, x.bandwidth, x.powerW);
  const kernels: [string, () => tf.TensorContainer][] = [
    ['rateV1Mbps', () => rateV1Mbps(bp, x.bandwidth, x.powerW)],
    ['rateExactMbps', () => rateExactMbps(bp, x.bandwidth, x.powerW)],
    ['latencyMs', () => latencyMs(bp, x, rate)],
    ['energyMj', () => energyMj(bp, x, rate)],
    ['totalLatencyMs', () => totalLatencyMs(bp, x, 'exact')],
    ['constraintViolations', () => constraintViolations(bp, x, 'v1')],
    ['log1pAccurate', () => log1pAccurate(x.powerW)],
  ];
  try {
    for (const [name, run] of kernels) {
      const before = tf.memory().numTensors;
      tf.dispose(run());
      assert.is(tf.memory().numTensors, before, `${name} leaked`);
    }
  } finally {
    tf.dispose(rate);
    disposeBatchProblem(bp);
    disposeBatchPoint(x);
  }
});

test.run();
