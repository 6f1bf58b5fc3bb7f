/**
 * The batched SP2 kernel (kernels/sp2-offloading.ts) against the float64 continuous knapsack
 * (engine/ao/sp2-offloading.ts) on points of the float64 AO at several settings and perturbed
 * copies of them (some of which make the LP infeasible); plus the objective, feasibility, the
 * active mask, NaN isolation, memory and the wasm/cpu agreement.
 *
 * Two comparisons: with the float64 reference run on the float32-rounded inputs (what the tensors
 * hold) and on the original float64 inputs. A row agrees when the infeasible flags are equal and
 * every alpha is within 1e-4 absolute: the float32 bounds and the breakpoint carry a few 1e-7
 * relative error, 1e-4 leaves room for a cost near zero whose preferred bound flips sign.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import type { Problem } from '../../engine/problem.js';
import { checkFeasibility } from '../../engine/model/feasibility.js';
import { totalLatencyMs } from '../../engine/model/latency-energy.js';
import { clonePoint, type Point } from '../../engine/model/point.js';
import { solveOffloading } from '../../engine/ao/sp2-offloading.js';
import type { Settings } from '../../engine/settings.js';
import { DtmcError } from '../../engine/errors.js';
import { useBackend, type BackendName } from '../../kernels/backend.js';
import { solveOffloadingBatch } from '../../kernels/sp2-offloading.js';
import { mulberry32 } from '../helpers/random.js';
import { collectCases, roundPoint, roundProblem, SETTINGS_GRID, withSpBatch, type SpCase } from '../helpers/sp-points.js';
import { testBackend } from '../helpers/tf-backend.js';

const ALPHA_TOL = 1e-4;

interface Group { name: string; settings: Settings; cases: SpCase[] }

const rng = mulberry32(2023);
const GROUPS: Group[] = SETTINGS_GRID.map(([name, overrides]) => {
  const { settings, cases } = collectCases(overrides, 'sp2', { seed: 37, realisations: 12, iterations: 4, rng });
  return { name, settings, cases };
});

let startedBackend: BackendName = 'wasm';
test.before(async () => {
  startedBackend = (await testBackend()).name;
});

interface KernelRows { alpha: Float32Array; infeasible: Float32Array }

/** Runs the kernel on cases (all active unless a mask is given); reads the result back. */
async function runKernel(
  cases: readonly SpCase[], activeMask?: number[], edit?: (p: Problem[], x: Point[]) => void, params?: Problem['params'],
): Promise<KernelRows> {
  const problems = cases.map((c) => (params ? { ...c.problem, params } : c.problem));
  const points = cases.map((c) => clonePoint(c.x));
  edit?.(problems, points);
  return withSpBatch(problems, points, activeMask ?? null, async (bp, bx, active) => {
    const out = solveOffloadingBatch(bp, bx, active);
    const rows: KernelRows = { alpha: (await out.alpha.data()) as Float32Array, infeasible: (await out.infeasible.data()) as Float32Array };
    tf.dispose([out.alpha, out.infeasible]);
    return rows;
  });
}

/** The float64 knapsack's alpha (null when it finds the LP infeasible). */
function reference(c: SpCase, rounded: boolean, params?: Problem['params']): Float64Array | null {
  const base = rounded ? roundProblem(c.problem) : c.problem;
  const problem = params ? { ...base, params } : base;
  const x = rounded ? roundPoint(c.x) : clonePoint(c.x);
  return solveOffloading(problem, x).solved ? x.alpha : null;
}

const rowOf = (data: Float32Array, n: number, M: number): number[] => Array.from(data.subarray(n * M, (n + 1) * M));
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let d = 0;
  for (let m = 0; m < a.length; m++) d = Math.max(d, Math.abs(a[m] - b[m]));
  return d;
};
/** Whether the input point meets (6f): sum s f_es + (1-s)(1-alpha) f_es <= Fes_max. */
const meetsEsLoad = (c: SpCase): boolean =>
  c.x.fEsGHz.reduce((s, f, m) => s + (c.x.cached[m] ? f : (1 - c.x.alpha[m]) * f), 0) <= c.problem.params.fEsMaxGHz * (1 + 1e-12);
const withAlpha = (x: Point, alpha: ArrayLike<number>): Point => {
  const y = clonePoint(x);
  for (let m = 0; m < y.alpha.length; m++) y.alpha[m] = alpha[m];
  return y;
};

test('matches the float64 knapsack on >= 99% of >= 500 rows at every setting', async () => {
  let rows = 0;
  let agreeRounded = 0;
  let agreeOriginal = 0;
  let infeasibleRows = 0;
  let movedRows = 0;
  let worstAgreeing = 0;
  const mismatches: string[] = [];
  for (const g of GROUPS) {
    const M = g.settings.M;
    const out = await runKernel(g.cases);
    let ar = 0;
    let ao = 0;
    g.cases.forEach((c, n) => {
      const got = rowOf(out.alpha, n, M);
      const flagged = out.infeasible[n] === 1;
      if (flagged) infeasibleRows++;
      if (maxAbsDiff(got, c.x.alpha) > ALPHA_TOL) movedRows++;
      for (const rounded of [true, false]) {
        const ref = reference(c, rounded);
        const agree = flagged === (ref === null) && (ref === null ? maxAbsDiff(got, c.x.alpha.map(Math.fround)) === 0 : maxAbsDiff(got, ref) <= ALPHA_TOL);
        if (agree) {
          if (rounded) ar++;
          else ao++;
          if (ref) worstAgreeing = Math.max(worstAgreeing, maxAbsDiff(got, ref));
        } else {
          const what = ref === null ? 'float64 infeasible' : `max |diff| ${maxAbsDiff(got, ref).toExponential(2)}`;
          mismatches.push(`${c.label} (${rounded ? 'rounded' : 'original'} inputs): flagged ${flagged}, ${what}`);
        }
      }
    });
    console.log(`  SP2 ${g.name}: ${g.cases.length} rows, agreeing ${ar} (rounded inputs), ${ao} (original inputs)`);
    rows += g.cases.length;
    agreeRounded += ar;
    agreeOriginal += ao;
  }
  console.log(`  SP2 total: ${rows} rows (${movedRows} moved by SP2, ${infeasibleRows} infeasible), agreeing ${agreeRounded} rounded, `
    + `${agreeOriginal} original; largest |alpha diff| on agreeing rows ${worstAgreeing.toExponential(2)}`);
  for (const line of mismatches) console.log(`    mismatch: ${line}`);
  assert.ok(rows >= 500, `only ${rows} rows`);
  assert.ok(movedRows >= rows / 10, `only ${movedRows} rows moved: the cases do not exercise the knapsack`);
  assert.ok(infeasibleRows > 0, 'no infeasible row: the infeasible path is not exercised');
  assert.ok(agreeRounded >= 0.99 * rows, `${agreeRounded} of ${rows} agree on rounded inputs`);
  assert.ok(agreeOriginal >= 0.99 * rows, `${agreeOriginal} of ${rows} agree on original inputs`);
});

test('never raises J where the input alpha meets (6f), and never beats the exact LP (float64 evaluation)', async () => {
  let worst = -Infinity;
  let worstVsLp = -Infinity;
  let lowered = 0;
  let rows = 0;
  for (const g of GROUPS) {
    const out = await runKernel(g.cases);
    g.cases.forEach((c, n) => {
      const after = totalLatencyMs(c.problem, withAlpha(c.x, rowOf(out.alpha, n, g.settings.M)));
      const ref = reference(c, false);
      if (ref) {
        // The float32 solution is the float64 optimum up to rounding: neither better nor worse.
        const vsLp = Math.abs(after - totalLatencyMs(c.problem, withAlpha(c.x, ref))) / after;
        worstVsLp = Math.max(worstVsLp, vsLp);
        assert.ok(vsLp <= 1e-6, `${c.label}: J ${after} vs the float64 LP's ${totalLatencyMs(c.problem, withAlpha(c.x, ref))}`);
      }
      // The previous alpha is feasible for the LP where it meets (6f) (its bounds include it).
      if (!meetsEsLoad(c)) return;
      rows++;
      const before = totalLatencyMs(c.problem, c.x);
      const rise = (after - before) / before;
      worst = Math.max(worst, rise);
      if (rise < -1e-6) lowered++;
      assert.ok(rise <= 1e-6, `${c.label}: J ${before} -> ${after}`);
    });
  }
  console.log(`  SP2 J: ${rows} rows whose input meets (6f): lowered on ${lowered}, largest relative rise ${worst.toExponential(2)}; `
    + `largest relative |J - J(float64 LP)| ${worstVsLp.toExponential(2)}`);
});

test('at the AO\'s feasible points the new alpha keeps (6) within float32 rounding', async () => {
  let worst = 0;
  for (const g of GROUPS) {
    const out = await runKernel(g.cases);
    g.cases.forEach((c, n) => {
      if (c.perturbed) return;
      assert.is(out.infeasible[n], 0, c.label);
      const before = checkFeasibility(c.problem, c.x, 'v1').maxViolation;
      const after = checkFeasibility(c.problem, withAlpha(c.x, rowOf(out.alpha, n, g.settings.M)), 'v1');
      worst = Math.max(worst, after.maxViolation);
      assert.ok(after.maxViolation <= Math.max(before, 1e-5), `${c.label}: (${after.constraint}) violated by ${after.maxViolation}`);
    });
  }
  console.log(`  SP2 largest relative violation of (6) after the step: ${worst.toExponential(2)}`);
});

test('cached UEs keep their alpha exactly; rows with active = 0 keep alpha exactly and report 0', async () => {
  const g = GROUPS[0];
  const M = g.settings.M;
  const mask = g.cases.map((_, n) => (n % 3 === 1 ? 0 : 1));
  const all = await runKernel(g.cases);
  const masked = await runKernel(g.cases, mask);
  const f32 = (v: number): number => Math.fround(v);
  let inactiveMovedByFull = 0;
  g.cases.forEach((c, n) => {
    const input = Array.from(c.x.alpha, f32);
    const got = rowOf(masked.alpha, n, M);
    for (let m = 0; m < M; m++) if (c.x.cached[m]) assert.is(rowOf(all.alpha, n, M)[m], input[m], `${c.label} UE ${m}`);
    if (mask[n]) {
      assert.equal(got, rowOf(all.alpha, n, M), c.label);
      assert.is(masked.infeasible[n], all.infeasible[n], c.label);
    } else {
      assert.equal(got, input, c.label);
      assert.is(masked.infeasible[n], 0, c.label);
      if (maxAbsDiff(rowOf(all.alpha, n, M), input) > 0) inactiveMovedByFull++;
    }
  });
  assert.ok(inactiveMovedByFull > 0, 'no inactive row would have moved: the test shows nothing');
});

test('a row whose (6f) cannot hold keeps its alpha and is reported, as the float64 path finds', async () => {
  const g = GROUPS[0];
  const M = g.settings.M;
  const cases = g.cases.filter((c) => !c.perturbed && c.x.cached.some((s) => s === 1)).slice(0, 20);
  // With Fes_max at half the ES rates of the cached UEs, even alpha = 1 everywhere cannot free enough.
  const params = { ...cases[0].problem.params, fEsMaxGHz: 0.5 * Math.min(...cases.map((c) => c.x.fEsGHz.reduce((s, f, m) => s + (c.x.cached[m] ? f : 0), 0))) };
  const out = await runKernel(cases, undefined, undefined, params);
  cases.forEach((c, n) => {
    assert.is(reference(c, false, params), null, `${c.label}: float64 infeasible`);
    assert.is(out.infeasible[n], 1, c.label);
    assert.equal(rowOf(out.alpha, n, M), Array.from(c.x.alpha, Math.fround), c.label);
  });
});

test('a row poisoned with NaN gain does not change the other rows, and is reported', async () => {
  const g = GROUPS[0];
  const M = g.settings.M;
  const cases = g.cases.slice(0, 40);
  const n0 = cases.findIndex((c) => !c.perturbed && c.x.cached[3] === 0);
  const clean = await runKernel(cases);
  const poisoned = await runKernel(cases, undefined, (problems) => {
    const p = problems[n0];
    problems[n0] = { ...p, cPerW: p.cPerW.map((v, m) => (m === 3 ? Number.NaN : v)) };
  });
  cases.forEach((c, n) => {
    if (n === n0) return;
    assert.equal(rowOf(poisoned.alpha, n, M), rowOf(clean.alpha, n, M), c.label);
    assert.is(poisoned.infeasible[n], clean.infeasible[n], c.label);
  });
  assert.is(poisoned.infeasible[n0], 1);
  assert.equal(rowOf(poisoned.alpha, n0, M), Array.from(cases[n0].x.alpha, Math.fround));
});

test('disposes every intermediate tensor', async () => {
  const { cases } = GROUPS[1];
  await withSpBatch(cases.map((c) => c.problem), cases.map((c) => c.x), null, (bp, bx, active) => {
    const before = tf.memory().numTensors;
    const out = solveOffloadingBatch(bp, bx, active);
    assert.is(tf.memory().numTensors, before + 2);
    tf.dispose([out.alpha, out.infeasible]);
  });
});

test('rejects a point field of the wrong shape, naming the argument and the op', async () => {
  const cases = GROUPS[0].cases.slice(0, 4);
  await withSpBatch(cases.map((c) => c.problem), cases.map((c) => c.x), null, (bp, bx, active) => {
    const wrong = tf.zeros([4, 3]) as tf.Tensor2D;
    try {
      assert.throws(() => solveOffloadingBatch(bp, { ...bx, fEsGHz: wrong }, active), (e: unknown) =>
        e instanceof DtmcError && /'x.fEsGHz'/.test(e.message) && /solveOffloadingBatch/.test(e.message));
    } finally {
      wrong.dispose();
    }
  });
});

test('the wasm and cpu backends agree', async () => {
  const run = async (): Promise<KernelRows[]> => {
    const outs: KernelRows[] = [];
    for (const g of GROUPS) outs.push(await runKernel(g.cases.filter((_, n) => n % 2 === 0)));
    return outs;
  };
  try {
    await useBackend('wasm');
    const wasm = await run();
    await useBackend('cpu');
    const cpu = await run();
    let rows = 0;
    let same = 0;
    let worst = 0;
    wasm.forEach((w, k) => {
      const M = GROUPS[k].settings.M;
      for (let n = 0; n < w.infeasible.length; n++) {
        rows++;
        const d = maxAbsDiff(rowOf(w.alpha, n, M), rowOf(cpu[k].alpha, n, M));
        worst = Math.max(worst, d);
        if (d <= 1e-5 && w.infeasible[n] === cpu[k].infeasible[n]) same++;
      }
    });
    console.log(`  SP2 wasm vs cpu: ${same} of ${rows} rows agree within 1e-5 (largest |alpha diff| ${worst.toExponential(2)})`);
    assert.ok(same >= 0.99 * rows, `${same} of ${rows}`);
  } finally {
    await tf.setBackend(startedBackend);
  }
});

test.run();
