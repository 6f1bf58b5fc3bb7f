/**
 * SP2, offloading (SPEC section 3, step 2): the exact continuous knapsack against GLPK's simplex
 * (glpk.js) on random LPs, and solveOffloading on full random realisations against an LP built
 * here from the model (rows (6b), (6e), (6f) written out, not derived bounds).
 */
import GLPK, { type LP } from 'glpk.js/node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toProblem, type Problem, type Scenario } from '../../../engine/problem.js';
import { checkFeasibility } from '../../../engine/model/feasibility.js';
import { evaluate, totalLatencyMs } from '../../../engine/model/latency-energy.js';
import { allocatePoint, clonePoint, type Point } from '../../../engine/model/point.js';
import { offloadingLp, solveKnapsack, solveOffloading, type OffloadingLp } from '../../../engine/ao/sp2-offloading.js';
import { generateScenario } from '../../../engine/scenario.js';
import { resolveSettings } from '../../../engine/settings.js';
import { assertClose } from '../../helpers/close.js';
import { integer, logUniform, mulberry32, uniform, type Rng } from '../../helpers/random.js';
import { DEFAULT_LINK, siRateBps } from '../../helpers/si-reference.js';

const glpk = await GLPK();
const GLPK_OPTIONS = { msglev: glpk.GLP_MSG_OFF, presol: false };

/** A linear row or objective over variables a0..a(n-1). */
const vars = (coef: ArrayLike<number>): { name: string; coef: number }[] =>
  Array.from(coef, (c, k) => ({ name: `a${k}`, coef: c }));

/** GLPK's answer to min cost.alpha s.t. capacity.alpha >= need, lo <= alpha <= hi (plus extra rows <= rhs). */
function glpkSolve(
  cost: ArrayLike<number>, lo: ArrayLike<number>, hi: ArrayLike<number>, capacity: ArrayLike<number>, need: number,
  extraRows: { coef: number[]; rhs: number }[] = [],
): { status: number; z: number; alpha: Float64Array } {
  const n = cost.length;
  const lp: LP = {
    name: 'sp2',
    objective: { direction: glpk.GLP_MIN, name: 'latency', vars: vars(cost) },
    subjectTo: [
      { name: 'es', vars: vars(capacity), bnds: { type: glpk.GLP_LO, lb: need, ub: 0 } },
      ...extraRows.map((r, i) => ({ name: `r${i}`, vars: vars(r.coef), bnds: { type: glpk.GLP_UP, lb: 0, ub: r.rhs } })),
    ],
    bounds: Array.from({ length: n }, (_, k) => ({
      name: `a${k}`, type: lo[k] === hi[k] ? glpk.GLP_FX : glpk.GLP_DB, lb: lo[k], ub: hi[k],
    })),
  };
  const { result } = glpk.solve(lp, GLPK_OPTIONS);
  return { status: result.status, z: result.z, alpha: Float64Array.from({ length: n }, (_, k) => result.vars[`a${k}`]) };
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k] * b[k];
  return s;
};
/** v, or a failed assertion with msg when v is null. */
function must<T>(v: T | null, msg: string): T {
  if (v === null) throw new assert.Assertion({ message: msg, operator: 'must', generated: false, actual: v, expects: 'not null' });
  return v;
}

const sumAbs = (a: ArrayLike<number>): number => Array.from(a).reduce((s, v) => s + Math.abs(v), 0);

/** A random LP: costs of both signs (some zero, some tied), 0 <= lo <= hi <= 1, capacities > 0. */
function randomLp(rng: Rng): OffloadingLp {
  const n = integer(rng, 1, 20);
  const lp: OffloadingLp = {
    uncached: Array.from({ length: n }, (_, k) => k),
    cost: new Float64Array(n), lo: new Float64Array(n), hi: new Float64Array(n), capacity: new Float64Array(n), need: 0,
  };
  for (let k = 0; k < n; k++) {
    const r = rng();
    lp.cost[k] = r < 0.1 ? 0 : r < 0.2 && k > 0 ? lp.cost[k - 1] : (rng() < 0.5 ? -1 : 1) * logUniform(rng, 1e-3, 10);
    const shape = rng();
    if (shape < 0.2) {
      lp.lo[k] = 0;
      lp.hi[k] = 1;
    } else if (shape < 0.3) {
      lp.lo[k] = lp.hi[k] = rng();
    } else {
      const u = rng();
      const v = rng();
      lp.lo[k] = Math.min(u, v);
      lp.hi[k] = Math.max(u, v);
    }
    lp.capacity[k] = r > 0.9 && k > 0 ? lp.capacity[k - 1] : logUniform(rng, 0.05, 30);
  }
  return lp;
}

const freedAt = (lp: OffloadingLp, bound: Float64Array): number => dot(bound, lp.capacity);

const N_RANDOM_LPS = 1000;

test(`solveKnapsack reaches GLPK's optimum on ${N_RANDOM_LPS} random feasible LPs`, () => {
  const rng = mulberry32(77);
  let binding = 0;
  for (let i = 0; i < N_RANDOM_LPS; i++) {
    const lp = randomLp(rng);
    const freedLo = freedAt(lp, lp.lo);
    const freedHi = freedAt(lp, lp.hi);
    const r = rng();
    lp.need = r < 0.1 ? freedLo - uniform(rng, 0, 5) : r < 0.15 ? freedHi : uniform(rng, freedLo, freedHi);
    const alpha = must(solveKnapsack(lp), `instance ${i}: solveKnapsack returned null on a feasible LP (need ${lp.need}, all-hi frees ${freedHi})`);
    const ref = glpkSolve(lp.cost, lp.lo, lp.hi, lp.capacity, lp.need);
    assert.is(ref.status, glpk.GLP_OPT, `instance ${i}: GLPK status`);
    assertClose(dot(lp.cost, alpha), ref.z, 1e-8, 1e-12 * sumAbs(lp.cost), `instance ${i} (n ${lp.cost.length}): optimum vs GLPK`);
    if (dot(lp.capacity, ref.alpha) <= lp.need * (1 + 1e-9) + 1e-12) binding++;
  }
  assert.ok(binding > N_RANDOM_LPS / 2, `the coupling row bound in only ${binding} instances`);
});

test(`solveKnapsack's alpha keeps lo <= alpha <= hi and sum capacity alpha >= need on ${N_RANDOM_LPS} random LPs`, () => {
  const rng = mulberry32(78);
  for (let i = 0; i < N_RANDOM_LPS; i++) {
    const lp = randomLp(rng);
    lp.need = uniform(rng, freedAt(lp, lp.lo), freedAt(lp, lp.hi));
    const alpha = must(solveKnapsack(lp), `instance ${i}: null on a feasible LP`);
    for (let k = 0; k < alpha.length; k++) {
      if (!(alpha[k] >= lp.lo[k] && alpha[k] <= lp.hi[k])) {
        assert.unreachable(`instance ${i}, variable ${k}: alpha ${alpha[k]} outside [${lp.lo[k]}, ${lp.hi[k]}]`);
      }
    }
    const freed = dot(lp.capacity, alpha);
    const tol = 1e-12 * (Math.abs(lp.need) + sumAbs(lp.capacity));
    if (!(freed >= lp.need - tol)) {
      assert.unreachable(`instance ${i}: frees ${freed} < need ${lp.need} (delta ${lp.need - freed}, tolerance ${tol})`);
    }
  }
});

test('solveKnapsack returns null on 300 LPs whose need exceeds the all-hi capacity, and GLPK finds them infeasible', () => {
  const rng = mulberry32(79);
  for (let i = 0; i < 300; i++) {
    const lp = randomLp(rng);
    const freedHi = freedAt(lp, lp.hi);
    lp.need = freedHi * (1 + logUniform(rng, 1e-6, 1)) + 1e-6;
    assert.is(solveKnapsack(lp), null, `instance ${i}: need ${lp.need} > all-hi ${freedHi}`);
    const ref = glpkSolve(lp.cost, lp.lo, lp.hi, lp.capacity, lp.need);
    assert.ok(ref.status === glpk.GLP_NOFEAS || ref.status === glpk.GLP_INFEAS, `instance ${i}: GLPK status ${ref.status}`);
  }
});

test('solveKnapsack on an empty LP (every UE cached) returns an empty alpha when need <= 0', () => {
  const lp: OffloadingLp = {
    uncached: [], cost: new Float64Array(0), lo: new Float64Array(0), hi: new Float64Array(0), capacity: new Float64Array(0), need: -3,
  };
  assert.equal(Array.from(solveKnapsack(lp) ?? [NaN]), []);
  assert.is(solveKnapsack({ ...lp, need: 1 }), null);
});

test('solveKnapsack raises the cheapest cost per unit of capacity first (worked example)', () => {
  // Costs per unit of capacity: 0.5, 0.25, 1. Need 5: raise variable 1 fully (4), then 1/2 of variable 0.
  const lp: OffloadingLp = {
    uncached: [0, 1, 2], cost: Float64Array.of(1, 1, 2), lo: new Float64Array(3), hi: Float64Array.of(1, 1, 1),
    capacity: Float64Array.of(2, 4, 2), need: 5,
  };
  const alpha = must(solveKnapsack(lp), 'null on a feasible LP');
  assertClose(alpha[0], 0.5, 1e-15, 0, 'alpha 0');
  assertClose(alpha[1], 1, 1e-15, 0, 'alpha 1');
  assertClose(alpha[2], 0, 0, 0, 'alpha 2');
});

// ---- solveOffloading on full random realisations ----

interface Instance { problem: Problem; scenario: Scenario; x: Point }

/**
 * A realisation (SPEC defaults, M = 15) and a random point that is feasible for (6) with R~:
 * random cache set within Smax, b = 1/M, p = Pmax, random alpha, f_ue, f_es, and Fes_max set
 * just above the point's ES load so (6f) binds or nearly binds. Returns null when the draw is not
 * feasible (the caller draws again).
 */
function randomInstance(rng: Rng, realisation: number): Instance | null {
  const delta = rng() < 0.5 ? 0 : 0.02;
  const base = resolveSettings({ deltaUe: delta, deltaEs: delta });
  const scenario = generateScenario(base, { seed: 4242, point: null, realisation });
  const M = base.M;
  const x = allocatePoint(M);
  let cachedKbit = 0;
  let load = 0;
  for (let m = 0; m < M; m++) {
    if (rng() < 0.25 && cachedKbit + scenario.bits[m] / 1000 <= base.sMaxKbit) {
      x.cached[m] = 1;
      cachedKbit += scenario.bits[m] / 1000;
    }
    const r = rng();
    x.alpha[m] = r < 0.15 ? 0 : r < 0.3 ? 1 : rng();
    x.bandwidth[m] = 1 / M;
    x.powerW[m] = 10 ** ((base.pMaxDbm - 30) / 10);
    x.fUeGHz[m] = uniform(rng, 0.2, 1.5);
    x.fEsGHz[m] = uniform(rng, 0.3, 4);
    load += x.cached[m] ? x.fEsGHz[m] : (1 - x.alpha[m]) * x.fEsGHz[m];
  }
  const fEsMaxGHz = Math.max(load * (rng() < 0.3 ? 1 : uniform(rng, 1, 1.3)), 4);
  const problem = toProblem(scenario, resolveSettings({ deltaUe: delta, deltaEs: delta, fEsMaxGHz }));
  return checkFeasibility(problem, x, 'v1').maxViolation <= 1e-12 ? { problem, scenario, x } : null;
}

/** Draws feasible instances until `count` are found; returns them with the number of draws. */
function feasibleInstances(seed: number, count: number): { instances: Instance[]; draws: number } {
  const rng = mulberry32(seed);
  const instances: Instance[] = [];
  let draws = 0;
  while (instances.length < count) {
    const inst = randomInstance(rng, draws++);
    if (inst) instances.push(inst);
    if (draws > 20 * count) assert.unreachable(`only ${instances.length} feasible instances in ${draws} draws`);
  }
  return { instances, draws };
}

const N_REALISATIONS = 300;
const { instances: INSTANCES } = feasibleInstances(909, N_REALISATIONS);

/**
 * SP2 of one instance written out from the model: per uncached UE, cost C(1/f'_ue - 1/f'_es) and
 * the rows (6b) alpha (C/f'_ue - C/f'_es) <= Tmax - D/R~ - C/f'_es and
 * (6e) alpha (theta/2 C f'_ue^2 - p D/R~) <= Emax - p D/R~, with R~ computed in SI units.
 */
function modelLp(inst: Instance): { uncached: number[]; cost: number[]; rows: { coef: number[]; rhs: number }[]; need: number } {
  const { problem, scenario, x } = inst;
  const p = problem.params;
  const uncached = Array.from({ length: x.alpha.length }, (_, m) => m).filter((m) => !x.cached[m]);
  const n = uncached.length;
  const cost: number[] = [];
  const rows: { coef: number[]; rhs: number }[] = [];
  let need = -p.fEsMaxGHz;
  for (let m = 0; m < x.alpha.length; m++) need += x.fEsGHz[m];
  uncached.forEach((m, k) => {
    const C = scenario.cycles[m] / 1e6;
    const D = scenario.bits[m] / 1e3;
    const fu = (1 - p.deltaUe) * x.fUeGHz[m];
    const fe = (1 - p.deltaEs) * x.fEsGHz[m];
    const txMs = D / (siRateBps(DEFAULT_LINK, scenario.gain[m], x.bandwidth[m], x.powerW[m], true) / 1e3 / 1e3);
    cost.push(C / fu - C / fe);
    const latency = new Array<number>(n).fill(0);
    latency[k] = C / fu - C / fe;
    rows.push({ coef: latency, rhs: p.tMaxMs - txMs - C / fe });
    const energy = new Array<number>(n).fill(0);
    energy[k] = 0.5 * 1e-26 * 1e27 * C * fu * fu - x.powerW[m] * txMs;
    rows.push({ coef: energy, rhs: p.eMaxMj - x.powerW[m] * txMs });
  });
  return { uncached, cost, rows, need };
}

test(`solveOffloading reaches the optimum of the model's LP (GLPK) on ${N_REALISATIONS} random realisations`, () => {
  for (const [i, inst] of INSTANCES.entries()) {
    const lp = modelLp(inst);
    const x = clonePoint(inst.x);
    assert.ok(solveOffloading(inst.problem, x).solved, `instance ${i}: solved`);
    const n = lp.uncached.length;
    const ref = glpkSolve(lp.cost, new Float64Array(n), new Float64Array(n).fill(1),
      lp.uncached.map((m) => x.fEsGHz[m]), lp.need, lp.rows);
    assert.is(ref.status, glpk.GLP_OPT, `instance ${i}: GLPK status`);
    const ours = dot(lp.cost, lp.uncached.map((m) => x.alpha[m]));
    assertClose(ours, ref.z, 1e-8, 1e-10 * sumAbs(lp.cost), `instance ${i}: SP2 optimum vs GLPK`);
  }
});

test(`solveKnapsack matches GLPK on the engine's offloadingLp of ${N_REALISATIONS} random realisations`, () => {
  for (const [i, inst] of INSTANCES.entries()) {
    const lp = offloadingLp(inst.problem, inst.x);
    const alpha = must(solveKnapsack(lp), `instance ${i}: null`);
    const ref = glpkSolve(lp.cost, lp.lo, lp.hi, lp.capacity, lp.need);
    assert.is(ref.status, glpk.GLP_OPT, `instance ${i}: GLPK status`);
    assertClose(dot(lp.cost, alpha), ref.z, 1e-8, 1e-12 * sumAbs(lp.cost), `instance ${i}: optimum vs GLPK`);
  }
});

test(`the previous alpha is feasible for offloadingLp on ${N_REALISATIONS} random realisations`, () => {
  for (const [i, inst] of INSTANCES.entries()) {
    const lp = offloadingLp(inst.problem, inst.x);
    lp.uncached.forEach((m, k) => {
      const a = inst.x.alpha[m];
      if (!(lp.lo[k] <= a && a <= lp.hi[k])) assert.unreachable(`instance ${i}, UE ${m}: alpha ${a} outside [${lp.lo[k]}, ${lp.hi[k]}]`);
    });
    const freed = lp.uncached.reduce((s, m, k) => s + inst.x.alpha[m] * lp.capacity[k], 0);
    if (!(freed >= lp.need * (1 - 1e-12) - 1e-12)) assert.unreachable(`instance ${i}: frees ${freed} < need ${lp.need}`);
  }
});

test(`sum over uncached UEs of T_m never increases through SP2 (${N_REALISATIONS} random realisations)`, () => {
  let lowered = 0;
  const uncachedMs = (problem: Problem, x: Point): number => {
    const ev = evaluate(problem, x, 'v1');
    return ev.latencyMs.reduce((s, t, m) => (x.cached[m] ? s : s + t), 0);
  };
  for (const [i, inst] of INSTANCES.entries()) {
    const before = uncachedMs(inst.problem, inst.x);
    const x = clonePoint(inst.x);
    solveOffloading(inst.problem, x);
    const after = uncachedMs(inst.problem, x);
    const jChange = totalLatencyMs(inst.problem, x, 'v1') - totalLatencyMs(inst.problem, inst.x, 'v1');
    assertClose(jChange, after - before, 1e-9, 1e-12 * before, `instance ${i}: J changes only through uncached UEs`);
    if (!(after <= before * (1 + 1e-12))) assert.unreachable(`instance ${i}: J ${before} -> ${after} (delta ${after - before})`);
    if (after < before * (1 - 1e-6)) lowered++;
    // The change is the LP objective's change: J = const + sum cost alpha.
    const lp = modelLp(inst);
    const change = lp.uncached.reduce((s, m, k) => s + lp.cost[k] * (x.alpha[m] - inst.x.alpha[m]), 0);
    assertClose(after - before, change, 1e-9, 1e-12 * before, `instance ${i}: J change vs LP objective change`);
  }
  assert.ok(lowered > N_REALISATIONS / 2, `SP2 lowered J in only ${lowered} of ${N_REALISATIONS} instances`);
});

test(`after SP2 a point that was feasible still satisfies (6b), (6e), (6f) and the rest of (6) (${N_REALISATIONS} realisations)`, () => {
  for (const [i, inst] of INSTANCES.entries()) {
    const x = clonePoint(inst.x);
    solveOffloading(inst.problem, x);
    const report = checkFeasibility(inst.problem, x, 'v1');
    if (!(report.maxViolation <= 1e-9)) assert.unreachable(`instance ${i}: ${JSON.stringify(report)}`);
  }
});

test('SP2 keeps alpha = 1 of a UE with f_es = 0 and alpha = 0 of a UE with f_ue = 0 (zero-factor rule)', () => {
  const settings = resolveSettings({ M: 3, fEsMaxGHz: 6 });
  const problem = toProblem({ gain: [1e-9, 1e-9, 1e-9], cycles: [270800, 270800, 406200], bits: [10832, 10832, 10832] }, settings);
  const x = allocatePoint(3);
  x.alpha.set([1, 0, 0.5]);
  x.bandwidth.fill(0.3);
  x.powerW.fill(0.1);
  x.fUeGHz.set([1, 0, 1]);
  x.fEsGHz.set([0, 5, 2]); // need = 7 - 6 = 1 GHz: UE 2 must keep alpha >= 1/2
  assert.is(checkFeasibility(problem, x, 'v1').maxViolation, 0);
  const before = totalLatencyMs(problem, x, 'v1');
  assert.ok(solveOffloading(problem, x).solved);
  assert.equal(Array.from(x.alpha), [1, 0, 0.5]);
  assert.is(checkFeasibility(problem, x, 'v1').maxViolation, 0);
  assert.ok(totalLatencyMs(problem, x, 'v1') <= before);
});

test('SP2 changes only the alpha of uncached UEs', () => {
  for (const [i, inst] of INSTANCES.slice(0, 100).entries()) {
    const x = clonePoint(inst.x);
    solveOffloading(inst.problem, x);
    for (let m = 0; m < x.alpha.length; m++) {
      if (inst.x.cached[m]) assert.is(x.alpha[m], inst.x.alpha[m], `instance ${i}, cached UE ${m}`);
    }
    assert.equal(x.cached, inst.x.cached);
    assert.equal(x.bandwidth, inst.x.bandwidth);
    assert.equal(x.powerW, inst.x.powerW);
    assert.equal(x.fUeGHz, inst.x.fUeGHz);
    assert.equal(x.fEsGHz, inst.x.fEsGHz);
  }
});

test.run();
