/**
 * The fused GPU engine (kernels/webgpu/fused-ao*.ts) against the float64 reference path, phase
 * by phase on the same inputs (the start, SP1's set, SP2's alpha, SP3's point, J and the check's
 * verdict) and end to end, at the defaults, the corners of Fig. 2 and Fig. 3 and at low SNR.
 * Inputs are rounded to float32 for both paths, so the comparisons see the engines' differences,
 * not the rounding of the data. Runs on any WebGPU adapter (Mesa's lavapipe in CI); skips with
 * the reason where none is found. DTMC_FUSED_TEST_N sets the realisations per setting (1000).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveSettings, type Settings } from '../../engine/settings.js';
import { drawProblemColumns, problemRows, problemViews, type ProblemColumns } from '../../engine/scenario-batch.js';
import { allocatePointColumns, clonePoint, pointViews, allocatePoint, type Point, type PointColumns } from '../../engine/model/point.js';
import { checkFeasibility } from '../../engine/model/feasibility.js';
import { totalLatencyMs } from '../../engine/model/latency-energy.js';
import { isSolved, solveAo } from '../../engine/ao/solve-ao.js';
import { constructStart, feasibleStart } from '../../engine/ao/feasible-start.js';
import { solveCaching } from '../../engine/ao/sp1-caching.js';
import { solveOffloading } from '../../engine/ao/sp2-offloading.js';
import { solveResources } from '../../engine/ao/sp3-resources.js';
import { expansionTau } from '../../engine/ao/sp3-surrogate.js';
import { useBackend } from '../../kernels/backend.js';
import { runFusedPhase, solveAoFused, emptyFusedAoStats } from '../../kernels/webgpu/fused-ao.js';
import { CONSTRAINT_CODES, POINT_FIELDS, START_CODES, STATUS_CODES } from '../../kernels/webgpu/fused-ao-layout.js';
import { testBackend, webGpuSkipReason } from '../helpers/tf-backend.js';

const N = Number(process.env.DTMC_FUSED_TEST_N ?? 1000);
const PHASE_N = Math.min(N, 200);

const SETTINGS: [string, Partial<Settings>][] = [
  ['defaults', {}],
  ['Fig. 2 corner Smax 0, Emax 1.5', { sMaxKbit: 0, eMaxMj: 1.5 }],
  ['Fig. 2 corner Smax 60, Emax 4', { sMaxKbit: 60, eMaxMj: 4 }],
  ['Fig. 3 corner Fes 30, delta 2%', { fEsMaxGHz: 30, deltaUe: 0.02, deltaEs: 0.02 }],
  ['Fig. 3 corner Fes 38, delta 0', { fEsMaxGHz: 38 }],
  ['low SNR (M 3, Smax 0, area 1300 m)', { M: 3, sMaxKbit: 0, areaSideM: 1300 }],
];

let skipReason = '';
test.before(async () => {
  skipReason = await webGpuSkipReason();
  if (!skipReason) await useBackend('webgpu');
});
test.after(async () => {
  if (!skipReason) await testBackend();
});

/** Realisations 0 .. n-1 (seed 7) with every input rounded to float32. */
function rounded(overrides: Partial<Settings>, n: number): ProblemColumns {
  const c = drawProblemColumns(resolveSettings(overrides), 7, null, 0, n);
  for (const a of [c.cPerW, c.cyclesMc, c.bitsKbit]) for (let i = 0; i < a.length; i++) a[i] = Math.fround(a[i]);
  return c;
}

/** Points as columns for the program's input (values rounded to float32 as the GPU reads them). */
function columnsOf(points: Point[], M: number): PointColumns {
  const c = allocatePointColumns(points.length, M);
  points.forEach((x, i) => {
    for (const f of POINT_FIELDS) for (let m = 0; m < M; m++) c[f][i * M + m] = Math.fround(x[f][m]);
  });
  return c;
}

const share = (hits: number, total: number): number => (total === 0 ? 1 : hits / total);
const pct = (v: number): string => `${(100 * v).toFixed(2)}%`;

for (const [label, overrides] of SETTINGS) {
  test(`fused AO end to end at ${label}: statuses, caching, J, the exact check and the traces agree with float64`, async () => {
    if (skipReason) return console.log(`  skipped: ${skipReason}`);
    const problems = rounded(overrides, N);
    const { M } = problems;
    const stats = emptyFusedAoStats();
    const c = await solveAoFused(problems, { stats });
    const views = problemViews(problems);
    const gpuPoints = pointViews(c.point, N, M);
    let sameStatus = 0;
    let both = 0;
    let sameCaching = 0;
    let closeJ = 0;
    let worstJ = 0;
    let worstViolation = 0;
    for (let i = 0; i < N; i++) {
      const r = solveAo(views[i]);
      const status = STATUS_CODES[c.status[i]];
      if (isSolved(status) === isSolved(r.status)) sameStatus++;
      if (isSolved(status)) {
        const check = checkFeasibility(views[i], gpuPoints[i], 'exact');
        worstViolation = Math.max(worstViolation, check.maxViolation);
        const trace = c.traceValues.subarray(c.traceOffsets[i], c.traceOffsets[i + 1]);
        assert.equal(trace.length, c.iterations[i] + 1, `row ${i}: trace of ${trace.length} for ${c.iterations[i]} iterations`);
        for (let t = 1; t < trace.length; t++) assert.ok(trace[t] <= trace[t - 1] * (1 + 1e-6), `row ${i}: J rose from ${trace[t - 1]} to ${trace[t]}`);
      }
      if (!(isSolved(status) && isSolved(r.status))) continue;
      both++;
      let same = true;
      for (let m = 0; m < M; m++) same &&= c.point.cached[i * M + m] === r.point.cached[m];
      if (same) sameCaching++;
      const dj = Math.abs(c.objectiveMs[i] - r.objectiveMs) / r.objectiveMs;
      worstJ = Math.max(worstJ, dj);
      if (dj <= 1e-3) closeJ++;
    }
    console.log(`  ${label}: ${N} rows, ${both} solved by both; status ${pct(share(sameStatus, N))}, caching ${pct(share(sameCaching, both))}, `
      + `|dJ|/J <= 1e-3 ${pct(share(closeJ, both))} (worst ${worstJ.toExponential(2)}), worst exact violation ${worstViolation.toExponential(2)}; `
      + `${stats.dispatches} dispatches, ${stats.phaseOneStarts} starts by phase one on the GPU, ${stats.hostStarts} starts and ${stats.hostRechecks} checks on the host`);
    assert.ok(share(sameStatus, N) >= 0.99, `statuses agree on ${pct(share(sameStatus, N))}`);
    assert.ok(share(sameCaching, both) >= 0.99, `caching agrees on ${pct(share(sameCaching, both))}`);
    assert.ok(share(closeJ, both) >= 0.995, `J within 1e-3 on ${pct(share(closeJ, both))}`);
    assert.ok(worstViolation <= 1e-4, `worst exact violation ${worstViolation}`);
  });

  test(`fused phases at ${label}: the start, SP1, SP2, SP3, J and the check against float64 on the same points`, async () => {
    if (skipReason) return console.log(`  skipped: ${skipReason}`);
    const problems = rounded(overrides, PHASE_N);
    const { M } = problems;
    const views = problemViews(problems);

    // The start: a direct start is the float64 construction (constructStart) and meets (6) within
    // float32's START_SLACK (the float64 path's exact-zero test may send the same point, whose
    // energy-limited f_ue puts (6e) at its limit up to rounding, to phase one); a proven
    // infeasible start is proven infeasible in float64 too; a start by the GPU's phase one meets
    // (6) in float64 to the float32 acceptance (1e-5), where float64's start finds one by phase
    // one too (phase one's point depends on its path, so the points themselves are not compared);
    // phase one's verdict of infeasibility is float64's, naming the same constraint.
    const start = await runFusedPhase('start', problems, null);
    const startPoints = pointViews(start.columns.point, PHASE_N, M);
    let settled = 0;
    let startAgrees = 0;
    let host = 0;
    let phaseOne = 0;
    const x0: Point[] = [];
    const rowsOk: number[] = [];
    for (let i = 0; i < PHASE_N; i++) {
      const x = allocatePoint(M);
      const s = feasibleStart(views[i], x);
      const code = START_CODES[start.columns.start[i]];
      if (code === 'host') host++;
      else {
        settled++;
        if (code === 'direct') {
          const built = allocatePoint(M);
          constructStart(views[i], built);
          let near = checkFeasibility(views[i], startPoints[i], 'v1').maxViolation <= 1e-6;
          // The construction's rule, alpha nearest 1/2 first: where the energy limit binds, float64
          // finds (6e) broken by rounding at grid points whose f_ue puts E exactly at Emax and
          // steps on along the grid, while float32 (with f_ue lowered by 1e-5) stops at the first
          // point that meets the limits. So the GPU's alpha is no further from 1/2 than float64's,
          // equal f_ue where alpha is equal, and the point meets (6) (checked above).
          for (let m = 0; m < M; m++) {
            const a = startPoints[i].alpha[m];
            const b = built.alpha[m];
            near &&= Math.abs(a - 0.5) <= Math.abs(b - 0.5) + 1e-9
              && (Math.abs(a - b) > 1e-9 || Math.abs(startPoints[i].fUeGHz[m] - built.fUeGHz[m]) <= 2e-3 * built.fUeGHz[m]);
          }
          if (near) startAgrees++;
        } else if (code === 'bandwidth-test' && !s.feasible && s.proven) startAgrees++;
        else if (code === 'phase-one') {
          phaseOne++;
          if (STATUS_CODES[start.columns.status[i]] === 'infeasible') {
            if (!s.feasible && !s.proven && CONSTRAINT_CODES[start.columns.violated[i]] === s.failedConstraint) startAgrees++;
          } else if (s.feasible && s.method.startsWith('phase-one') && checkFeasibility(views[i], startPoints[i], 'v1').maxViolation <= 1e-5) startAgrees++;
        }
      }
      if (s.feasible) {
        x0.push(x);
        rowsOk.push(i);
      }
    }
    console.log(`  start: ${settled} settled on the GPU (${phaseOne} by phase one), ${host} left to the host; agreeing with float64 on ${pct(share(startAgrees, settled))}`);
    assert.ok(share(startAgrees, settled) >= 0.99, `the start agrees on ${pct(share(startAgrees, settled))} of the settled rows`);
    assert.ok(host <= 0.02 * PHASE_N, `${host} of ${PHASE_N} starts left to the host`);
    if (rowsOk.length === 0) return;

    // The float64 chain from each feasible start: SP1 -> x1, SP2 -> x2, SP3 -> x3.
    const sub = problemRows(problems, rowsOk);
    const subViews = problemViews(sub);
    const x1 = x0.map((x, j) => { const y = clonePoint(x); solveCaching(subViews[j], y); return y; });
    const x2 = x1.map((x, j) => { const y = clonePoint(x); solveOffloading(subViews[j], y); return y; });
    const x3 = x2.map((x, j) => {
      const y = clonePoint(x);
      solveResources(subViews[j], y, expansionTau(subViews[j], y), totalLatencyMs(subViews[j], y));
      return y;
    });
    const k = rowsOk.length;

    const sp1 = await runFusedPhase('sp1', sub, columnsOf(x0, M));
    let sameSet = 0;
    for (let j = 0; j < k; j++) {
      let same = true;
      for (let m = 0; m < M; m++) same &&= sp1.columns.point.cached[j * M + m] === x1[j].cached[m];
      if (same) sameSet++;
    }

    const sp2 = await runFusedPhase('sp2', sub, columnsOf(x1, M));
    let sameAlpha = 0;
    let worstAlpha = 0;
    for (let j = 0; j < k; j++) {
      let d = 0;
      for (let m = 0; m < M; m++) d = Math.max(d, Math.abs(sp2.columns.point.alpha[j * M + m] - x2[j].alpha[m]));
      worstAlpha = Math.max(worstAlpha, d);
      if (d <= 1e-4) sameAlpha++;
    }

    const sp3 = await runFusedPhase('sp3', sub, columnsOf(x2, M));
    const sp3Points = pointViews(sp3.columns.point, k, M);
    let bothTook = 0;
    let sameSp3 = 0;
    let worstSp3 = 0;
    let worstSp3Violation = 0;
    for (let j = 0; j < k; j++) {
      const before = totalLatencyMs(subViews[j], x2[j]);
      const jGpu = totalLatencyMs(subViews[j], sp3Points[j]);
      const jRef = totalLatencyMs(subViews[j], x3[j]);
      if (sp3.accepted[j] > 0) worstSp3Violation = Math.max(worstSp3Violation, checkFeasibility(subViews[j], sp3Points[j], 'v1').maxViolation);
      if (!(sp3.accepted[j] > 0 && jRef < before)) continue;
      bothTook++;
      const d = Math.abs(jGpu - jRef) / jRef;
      worstSp3 = Math.max(worstSp3, d);
      if (d <= 1e-4) sameSp3++;
    }

    const check = await runFusedPhase('check', sub, columnsOf(x3, M));
    let sameJ = 0;
    let sameVerdict = 0;
    const rounded3 = pointViews(columnsOf(x3, M), k, M);
    for (let j = 0; j < k; j++) {
      const ref = totalLatencyMs(subViews[j], rounded3[j]);
      if (Math.abs(check.columns.objectiveMs[j] - ref) <= 1e-5 * ref) sameJ++;
      const v64 = checkFeasibility(subViews[j], rounded3[j], 'exact').maxViolation;
      if ((v64 <= 1e-4) === (check.columns.maxViolation[j] <= 1e-4)) sameVerdict++;
    }
    console.log(`  SP1 same set ${pct(share(sameSet, k))}; SP2 alpha within 1e-4 ${pct(share(sameAlpha, k))} (worst ${worstAlpha.toExponential(2)}); `
      + `SP3 taken by both ${bothTook}/${k}, J within 1e-4 ${pct(share(sameSp3, bothTook))} (worst ${worstSp3.toExponential(2)}, `
      + `worst R~ violation of a taken GPU step ${worstSp3Violation.toExponential(2)}); J ${pct(share(sameJ, k))}, check verdicts ${pct(share(sameVerdict, k))}`);
    assert.ok(share(sameSet, k) >= 0.99, `SP1 sets agree on ${pct(share(sameSet, k))}`);
    assert.ok(share(sameAlpha, k) >= 0.99, `SP2 alphas agree on ${pct(share(sameAlpha, k))}`);
    assert.ok(share(sameSp3, bothTook) >= 0.99, `SP3 points agree on ${pct(share(sameSp3, bothTook))}`);
    assert.ok(worstSp3Violation <= 1e-4, `a taken SP3 step breaks (6) by ${worstSp3Violation}`);
    assert.ok(share(sameJ, k) === 1, `J agrees on ${pct(share(sameJ, k))}`);
    assert.ok(share(sameVerdict, k) >= 0.99, `check verdicts agree on ${pct(share(sameVerdict, k))}`);
  });
}

test('a poisoned realisation ends as numerical-failure with its reason, and the others are solved', async () => {
  if (skipReason) return console.log(`  skipped: ${skipReason}`);
  const problems = rounded({}, 16);
  problems.cPerW[5 * problems.M + 3] = Number.NaN;
  const c = await solveAoFused(problems);
  assert.is(STATUS_CODES[c.status[5]], 'numerical-failure');
  assert.match(c.messages.get(5) ?? '', /gain\[3\] is NaN/);
  for (let i = 0; i < 16; i++) if (i !== 5) assert.is(STATUS_CODES[c.status[i]], 'converged', `row ${i}`);
});

test('method joint on the fused engine never ends above the AO, and agrees with the float64 joint', async () => {
  if (skipReason) return console.log(`  skipped: ${skipReason}`);
  const n = Math.min(N, 200);
  const ao = rounded({}, n);
  const joint = rounded({ method: 'joint' }, n);
  const a = await solveAoFused(ao);
  const j = await solveAoFused(joint);
  const views = problemViews(joint);
  let close = 0;
  for (let i = 0; i < n; i++) {
    assert.ok(j.objectiveMs[i] <= a.objectiveMs[i] * (1 + 1e-6), `row ${i}: joint ${j.objectiveMs[i]} above the AO ${a.objectiveMs[i]}`);
    const r = solveAo(views[i]);
    if (Math.abs(j.objectiveMs[i] - r.objectiveMs) <= 1e-3 * r.objectiveMs) close++;
    assert.ok(checkFeasibility(views[i], pointViews(j.point, n, joint.M)[i], 'exact').maxViolation <= 1e-4, `row ${i} breaks (6)`);
  }
  const steps = j.jointSteps.reduce((s, v) => s + v, 0);
  console.log(`  joint: ${steps / n} steps per realisation; J within 1e-3 of the float64 joint on ${pct(share(close, n))}`);
  assert.ok(steps > 0, 'no joint step was taken');
  assert.ok(share(close, n) >= 0.99, `joint J agrees on ${pct(share(close, n))}`);

  // Columns handed to the next batch (a job's later chunks): joint's columns refilled by an AO
  // batch of the same shape equal new ones, joint steps, messages and all.
  const fresh = await solveAoFused(ao);
  const immediate = globalThis.setImmediate;
  const refilled = await solveAoFused(ao, { reuse: j });
  assert.is(refilled, j, 'the columns were not reused');
  assert.is(globalThis.setImmediate, immediate, 'setImmediate not restored after the wait');
  for (const key of ['status', 'iterations', 'objectiveMs', 'maxViolation', 'jointSteps', 'jointCertified', 'newtonSteps', 'traceOffsets', 'traceValues', 'latencyMs'] as const) {
    assert.equal(Array.from(refilled[key]), Array.from(fresh[key]), `${key} differs when refilled`);
  }
  for (const f of POINT_FIELDS) assert.equal(Array.from(refilled.point[f]), Array.from(fresh.point[f]), `${f} differs when refilled`);
  assert.equal([...refilled.messages], [...fresh.messages]);
});

test('refilled columns of an infeasible-heavy batch equal new ones (messages, starts)', async () => {
  if (skipReason) return console.log(`  skipped: ${skipReason}`);
  const lowSnr = rounded({ M: 3, sMaxKbit: 0, areaSideM: 1300 }, 64);
  const other = drawProblemColumns(resolveSettings({ M: 3, sMaxKbit: 0, areaSideM: 1300 }), 8, null, 0, 64);
  const first = await solveAoFused(lowSnr);
  assert.ok(first.messages.size > 0, 'no infeasible row to carry a message');
  const fresh = await solveAoFused(other);
  const refilled = await solveAoFused(other, { reuse: first });
  for (const key of ['status', 'start', 'violated', 'objectiveMs', 'traceOffsets', 'traceValues'] as const) {
    assert.equal(Array.from(refilled[key]), Array.from(fresh[key]), `${key} differs when refilled`);
  }
  assert.equal([...refilled.messages], [...fresh.messages]);
});

test.run();
