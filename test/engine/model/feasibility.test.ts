/**
 * The feasibility check of problem (6): a feasible point reports nothing, and each constraint
 * broken on purpose is named with its device and a relative violation computed here in SI units.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toProblem, type Problem } from '../../../engine/problem.js';
import { checkFeasibility, type ConstraintId, type FeasibilityReport } from '../../../engine/model/feasibility.js';
import { allocatePoint, clonePoint, type Point } from '../../../engine/model/point.js';
import { resolveSettings } from '../../../engine/settings.js';
import { assertClose } from '../../helpers/close.js';
import { logUniform, mulberry32, uniform } from '../../helpers/random.js';
import { DEFAULT_LINK, siEnergyJ, siLatencyS, siRateBps } from '../../helpers/si-reference.js';

const THETA = 1e-26;
const TMAX_MS = 10;
const EMAX_MJ = 3;
const SMAX_KBIT = 20;
const GAINS = [1e-9, 1e-9, 1e-9];
const CYCLES = [270800, 270800, 406200];
const BITS = 10832;

/** Three UEs, Smax = 20 kbit (room for one task of 10.832 kbit), other settings at the SPEC defaults. */
const makeProblem = (gains = GAINS): Problem =>
  toProblem({ gain: gains, cycles: CYCLES, bits: [BITS, BITS, BITS] }, resolveSettings({ M: 3, sMaxKbit: SMAX_KBIT }));

/**
 * A feasible point: UE 0 cached, UE 1 split (alpha 0.3), UE 2 all local with f_es = 0.
 * Latencies 0.05, 0.6, 0.9 ms; energies 0, 0.5, 2.0 mJ; ES load 10.6 of 30 GHz; b sums to 0.9.
 */
function feasiblePoint(): Point {
  const x = allocatePoint(3);
  x.cached.set([1, 0, 0]);
  x.alpha.set([0.5, 0.3, 1]);
  x.bandwidth.set([0.2, 0.3, 0.4]);
  x.powerW.set([0.1, 0.15, 0.05]);
  x.fUeGHz.set([1, 1, 1]);
  x.fEsGHz.set([5, 8, 0]);
  return x;
}

/** UE m's latency [ms] and energy [mJ] at x, in SI with the exact rate, converted. */
function siUe(x: Point, m: number, v1 = false): { latencyMs: number; energyMj: number; rateMbps: number } {
  const rateBps = siRateBps(DEFAULT_LINK, GAINS[m], x.bandwidth[m], x.powerW[m], v1);
  const alloc = {
    cached: x.cached[m] === 1, alpha: x.alpha[m], fUeHz: x.fUeGHz[m] * 1e9, fEsHz: x.fEsGHz[m] * 1e9,
    pW: x.powerW[m], rateBps,
  };
  const task = { cycles: CYCLES[m], bits: BITS };
  return { latencyMs: siLatencyS(task, alloc) * 1e3, energyMj: siEnergyJ(task, alloc, THETA) * 1e3, rateMbps: rateBps / 1e6 };
}

function expectViolation(report: FeasibilityReport, constraint: ConstraintId, device: number | null, violation: number): void {
  assert.is(report.constraint, constraint, `constraint (report ${JSON.stringify(report)})`);
  assert.is(report.device, device, `device (report ${JSON.stringify(report)})`);
  assertClose(report.maxViolation, violation, 1e-10, 0, `violation of ${constraint}`);
}

test('a feasible point reports maxViolation 0, no constraint and no device', () => {
  const report = checkFeasibility(makeProblem(), feasiblePoint());
  assert.equal(report, { maxViolation: 0, constraint: null, device: null });
  assert.equal(checkFeasibility(makeProblem(), feasiblePoint(), 'v1'), { maxViolation: 0, constraint: null, device: null });
});

test('(6b) broken: UE 1 with a 20 ms edge time is named with violation (T - Tmax)/Tmax', () => {
  const x = feasiblePoint();
  x.fEsGHz[1] = (0.7 * 0.2708) / 20;
  const expected = (siUe(x, 1).latencyMs - TMAX_MS) / TMAX_MS;
  assert.ok(expected > 1 && expected < 1.2, `set-up: violation ${expected}`);
  expectViolation(checkFeasibility(makeProblem(), x), '6b', 1, expected);
});

test('(6b) broken by a cached UE: C/f_es above Tmax names that UE', () => {
  const x = feasiblePoint();
  x.fEsGHz[0] = 0.2708 / 15;
  expectViolation(checkFeasibility(makeProblem(), x), '6b', 0, 0.5);
});

test('(6c) broken: bandwidth shares summing to 1.25 give violation 0.25 and no device', () => {
  const x = feasiblePoint();
  x.bandwidth.set([0.4, 0.4, 0.45]);
  expectViolation(checkFeasibility(makeProblem(), x), '6c', null, 0.25);
});

test('(6d) broken: cached UE 0 at p = 1e-6 W has R < 0 and violation (Rmin - R)/Rmin', () => {
  const x = feasiblePoint();
  x.powerW[0] = 1e-6;
  const r = siUe(x, 0).rateMbps;
  assert.ok(r < 0, `set-up: R = ${r}`);
  expectViolation(checkFeasibility(makeProblem(), x), '6d', 0, 1 - r);
});

test('(6e) broken: UE 2 computing locally at 1.5 GHz uses 4.57 mJ, violation (E - Emax)/Emax', () => {
  const x = feasiblePoint();
  x.fUeGHz[2] = 1.5;
  const e = siUe(x, 2).energyMj;
  assertClose(e, 0.5 * THETA * 406200 * 1.5e9 ** 2 * 1e3, 1e-14, 0, 'set-up: E');
  expectViolation(checkFeasibility(makeProblem(), x), '6e', 2, (e - EMAX_MJ) / EMAX_MJ);
});

test('(6f) broken: an ES load of 30.5 GHz gives violation 0.5/30 and no device', () => {
  const x = feasiblePoint();
  x.fEsGHz[0] = 20; // cached: loads all 20
  x.fEsGHz[1] = 15; // alpha 0.3: loads 10.5
  expectViolation(checkFeasibility(makeProblem(), x), '6f', null, 0.5 / 30);
});

test('(6f) counts an uncached UE by (1 - alpha) f_es and a cached one by f_es, whatever its alpha', () => {
  const x = feasiblePoint();
  x.alpha[0] = 1; // cached: alpha must not reduce its load
  x.fEsGHz[0] = 20;
  x.fEsGHz[1] = 15;
  expectViolation(checkFeasibility(makeProblem(), x), '6f', null, 0.5 / 30);
});

test('(6g) broken: two cached tasks (21.664 kbit) in a 20 kbit cache give violation 1.664/20', () => {
  const x = feasiblePoint();
  x.cached[1] = 1;
  expectViolation(checkFeasibility(makeProblem(), x), '6g', null, (2 * 10.832 - SMAX_KBIT) / SMAX_KBIT);
});

test('(6h) broken: alpha = 1.25 names the UE with violation 0.25', () => {
  const x = feasiblePoint();
  x.alpha[1] = 1.25;
  expectViolation(checkFeasibility(makeProblem(), x), '6h', 1, 0.25);
});

test('(6h) broken: p = 1.5 Pmax names the UE with violation 0.5', () => {
  const problem = makeProblem();
  const x = feasiblePoint();
  x.powerW[2] = 1.5 * problem.params.pMaxW;
  expectViolation(checkFeasibility(problem, x), '6h', 2, 0.5);
});

test('(6h) broken: f_ue = 1.8 GHz above Fue_max = 1.5 GHz gives violation 0.2', () => {
  const x = feasiblePoint();
  x.fUeGHz[1] = 1.8;
  expectViolation(checkFeasibility(makeProblem(), x), '6h', 1, 0.2);
});

test('(6h) broken: a cache flag other than 0 or 1 is an infinite violation', () => {
  const x = feasiblePoint();
  x.cached[2] = 2;
  const report = checkFeasibility(makeProblem(), x);
  assert.is(report.maxViolation, Infinity);
  assert.is(report.constraint, '6h');
  assert.is(report.device, 2);
});

test('the worst of several broken constraints is the one reported', () => {
  const x = feasiblePoint();
  x.alpha[1] = 1.25; // 6h, 0.25
  x.bandwidth.set([0.4, 0.4, 0.3]); // 6c, 0.1
  expectViolation(checkFeasibility(makeProblem(), x), '6h', 1, 0.25);
});

test('NaN in any variable of any UE gives an infinite violation', () => {
  const fields = ['alpha', 'bandwidth', 'powerW', 'fUeGHz', 'fEsGHz'] as const;
  for (const field of fields) {
    for (let m = 0; m < 3; m++) {
      const x = feasiblePoint();
      x[field][m] = Number.NaN;
      const report = checkFeasibility(makeProblem(), x);
      assert.is(report.maxViolation, Infinity, `NaN in ${field}[${m}]: ${JSON.stringify(report)}`);
      assert.ok(report.constraint !== null, `NaN in ${field}[${m}] names a constraint`);
    }
  }
});

test('at low SNR the exact-rate check passes a point that the V = 1 check rejects on (6d)', () => {
  const gains = [4e-14, 1e-9, 1e-9];
  const problem = makeProblem(gains);
  const x = feasiblePoint();
  x.bandwidth.set([0.5, 0.2, 0.2]);
  x.powerW[0] = problem.params.pMaxW; // gamma 0.80: R = 1.14, R~ = 0.94 Mbit/s
  const rV1 = siRateBps(DEFAULT_LINK, 4e-14, 0.5, 10 ** 2.3 / 1000, true) / 1e6;
  assert.ok(rV1 < 1 && siRateBps(DEFAULT_LINK, 4e-14, 0.5, 10 ** 2.3 / 1000, false) / 1e6 > 1, 'set-up: R~ < Rmin <= R');
  assert.equal(checkFeasibility(problem, x, 'exact'), { maxViolation: 0, constraint: null, device: null });
  expectViolation(checkFeasibility(problem, x, 'v1'), '6d', 0, 1 - rV1);
});

test('the exact-rate violation never exceeds the V = 1 violation (2000 random low-SNR points)', () => {
  const rng = mulberry32(31);
  let looser = 0;
  for (let i = 0; i < 2000; i++) {
    const gains = GAINS.map(() => logUniform(rng, 1e-14, 1e-10));
    const problem = makeProblem(gains);
    const x = clonePoint(feasiblePoint());
    for (let m = 0; m < 3; m++) {
      x.cached[m] = rng() < 0.3 ? 1 : 0;
      x.alpha[m] = rng();
      x.bandwidth[m] = uniform(rng, 0.05, 0.33);
      x.powerW[m] = logUniform(rng, 1e-3, 0.19);
      x.fEsGHz[m] = uniform(rng, 0.5, 10);
    }
    const exact = checkFeasibility(problem, x, 'exact').maxViolation;
    const v1 = checkFeasibility(problem, x, 'v1').maxViolation;
    if (!(exact <= v1 * (1 + 1e-12))) assert.unreachable(`instance ${i}: exact ${exact} > v1 ${v1}`);
    if (exact < v1) looser++;
  }
  assert.ok(looser > 100, `the exact check was strictly looser in only ${looser} of 2000 instances`);
});

test.run();
