/**
 * Latency (SPEC eq. 5) and UE energy, against values computed here in SI units (seconds, Joules,
 * Hz, cycles, bits) from the SPEC formulas and converted to ms and mJ.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toProblem, type Problem } from '../../../engine/problem.js';
import {
  cachedMs, edgeMs, evaluate, localMj, localMs, totalLatencyMs, transmitMj, transmitMs, uncachedMs,
} from '../../../engine/model/latency-energy.js';
import { allocatePoint, type Point } from '../../../engine/model/point.js';
import { rateV1Mbps } from '../../../engine/model/rate.js';
import { resolveSettings, type Settings } from '../../../engine/settings.js';
import { assertClose } from '../../helpers/close.js';
import { integer, logUniform, mulberry32, uniform } from '../../helpers/random.js';
import { DEFAULT_LINK, siEnergyJ, siLatencyS, siRateBps, type SiAllocation } from '../../helpers/si-reference.js';

const RTOL = 1e-12;
const THETA = 1e-26;
/** The task of every test here: C = 200 cycles/byte x 1354 bytes, D = 10 832 bits. */
const TASK = { cycles: 270800, bits: 10832 };

const problemOf = (gains: number[], settings: Settings = resolveSettings({ M: gains.length })): Problem =>
  toProblem({ gain: gains, cycles: gains.map(() => TASK.cycles), bits: gains.map(() => TASK.bits) }, settings);

/** A one-UE point in model units. */
function pointOf(cached: number, alpha: number, b: number, pW: number, fUeGHz: number, fEsGHz: number): Point {
  const x = allocatePoint(1);
  x.cached[0] = cached;
  x.alpha[0] = alpha;
  x.bandwidth[0] = b;
  x.powerW[0] = pW;
  x.fUeGHz[0] = fUeGHz;
  x.fEsGHz[0] = fEsGHz;
  return x;
}

/** The SI allocation of the same point, with R~ computed in SI. */
const siOf = (gain: number, cached: boolean, alpha: number, b: number, pW: number, fUeGHz: number, fEsGHz: number,
  deltaUe = 0, deltaEs = 0): SiAllocation => ({
  cached, alpha, pW, fUeHz: fUeGHz * 1e9, fEsHz: fEsGHz * 1e9, deltaUe, deltaEs,
  rateBps: siRateBps(DEFAULT_LINK, gain, b, pW, true),
});

// mpmath values (30 digits) for gain 1e-9, b = 0.1, p = 0.2 W, f_ue = 1 GHz, f_es = 2 GHz.
const HAND = [
  { alpha: 0, latencyMs: 1.52807384740891892, energyMj: 0.278534769481783783 },
  { alpha: 0.3, latencyMs: 1.56869384740891892, energyMj: 0.601174338637248648 },
  { alpha: 1, latencyMs: 1.66347384740891892, energyMj: 1.354 },
];

for (const { alpha, latencyMs, energyMj } of HAND) {
  test(`uncached latency with alpha = ${alpha} is ${latencyMs.toFixed(9)} ms (SI formula, converted)`, () => {
    const problem = problemOf([1e-9]);
    const ev = evaluate(problem, pointOf(0, alpha, 0.1, 0.2, 1, 2), 'v1');
    assertClose(ev.latencyMs[0], siLatencyS(TASK, siOf(1e-9, false, alpha, 0.1, 0.2, 1, 2)) * 1e3, RTOL, 0, 'T vs SI');
    assertClose(ev.latencyMs[0], latencyMs, RTOL, 0, 'T vs mpmath');
  });

  test(`uncached energy with alpha = ${alpha} is ${energyMj.toFixed(9)} mJ (SI formula, converted)`, () => {
    const problem = problemOf([1e-9]);
    const ev = evaluate(problem, pointOf(0, alpha, 0.1, 0.2, 1, 2), 'v1');
    assertClose(ev.energyMj[0], siEnergyJ(TASK, siOf(1e-9, false, alpha, 0.1, 0.2, 1, 2), THETA) * 1e3, RTOL, 0, 'E vs SI');
    assertClose(ev.energyMj[0], energyMj, RTOL, 0, 'E vs mpmath');
  });
}

test('a cached task takes C/f_es = 0.1354 ms and no UE energy, whatever alpha, b and p', () => {
  const problem = problemOf([1e-9]);
  for (const alpha of [0, 0.3, 1]) {
    const ev = evaluate(problem, pointOf(1, alpha, 0.1, 0.2, 1, 2), 'v1');
    assertClose(ev.latencyMs[0], 0.1354, RTOL, 0, `cached T, alpha ${alpha}`);
    assert.is(ev.energyMj[0], 0);
  }
});

test('the digital-twin deviation divides by the real rates (1 - delta) f', () => {
  const settings = resolveSettings({ M: 1, deltaUe: 0.02, deltaEs: 0.05 });
  const problem = problemOf([1e-9], settings);
  for (const [cached, alpha] of [[0, 0], [0, 0.3], [0, 1], [1, 0.3]] as const) {
    const ev = evaluate(problem, pointOf(cached, alpha, 0.1, 0.2, 1.2, 2.5), 'v1');
    const si = siOf(1e-9, cached === 1, alpha, 0.1, 0.2, 1.2, 2.5, 0.02, 0.05);
    assertClose(ev.latencyMs[0], siLatencyS(TASK, si) * 1e3, RTOL, 0, `T, s ${cached}, alpha ${alpha}`);
    assertClose(ev.energyMj[0], siEnergyJ(TASK, si, THETA) * 1e3, RTOL, 0, `E, s ${cached}, alpha ${alpha}`);
  }
});

test('evaluate with "exact" uses R (V from gamma): lower latency and energy than with R~ at low SNR', () => {
  const problem = problemOf([4e-14]);
  const x = pointOf(0, 0.3, 0.5, 0.2, 1, 2);
  const exact = evaluate(problem, x, 'exact');
  const v1 = evaluate(problem, x, 'v1');
  const siExact = { ...siOf(4e-14, false, 0.3, 0.5, 0.2, 1, 2), rateBps: siRateBps(DEFAULT_LINK, 4e-14, 0.5, 0.2, false) };
  assertClose(exact.latencyMs[0], siLatencyS(TASK, siExact) * 1e3, 1e-11, 0, 'T with R');
  assertClose(exact.energyMj[0], siEnergyJ(TASK, siExact, THETA) * 1e3, 1e-11, 0, 'E with R');
  assert.ok(exact.latencyMs[0] < v1.latencyMs[0] - 1, `T with R ${exact.latencyMs[0]} vs R~ ${v1.latencyMs[0]}`);
  assert.ok(exact.energyMj[0] < v1.energyMj[0]);
});

test('alpha = 0 with f_ue = 0 gives a finite latency and energy (the local term is zero)', () => {
  const problem = problemOf([1e-9]);
  const ev = evaluate(problem, pointOf(0, 0, 0.1, 0.2, 0, 2), 'v1');
  assertClose(ev.latencyMs[0], HAND[0].latencyMs, RTOL, 0, 'T');
  assertClose(ev.energyMj[0], HAND[0].energyMj, RTOL, 0, 'E');
  assert.is(localMs(problem.params, 0.2708, 0, 0), 0);
  assert.is(localMj(problem.params, 0.2708, 0, 0), 0);
});

test('alpha = 1 with f_es = 0 gives a finite latency and energy (the edge term is zero)', () => {
  const problem = problemOf([1e-9]);
  const ev = evaluate(problem, pointOf(0, 1, 0.1, 0.2, 1, 0), 'v1');
  assertClose(ev.latencyMs[0], HAND[2].latencyMs, RTOL, 0, 'T');
  assertClose(ev.energyMj[0], HAND[2].energyMj, RTOL, 0, 'E');
  assert.is(edgeMs(problem.params, 0.2708, 1, 0), 0);
  assert.is(transmitMj(1, 0.2, 10.832, 0), 0);
});

test('a non-positive rate gives an infinite transmission time', () => {
  assert.is(transmitMs(10.832, 0), Infinity);
  assert.is(transmitMs(10.832, -0.5), Infinity);
  assert.is(transmitMs(10.832, Number.NaN), Infinity);
});

test('an uncached UE with a non-positive rate has infinite latency and energy; a cached one does not', () => {
  const problem = problemOf([1e-14, 1e-14]);
  const x = allocatePoint(2);
  x.cached.set([0, 1]);
  x.alpha.fill(0.3);
  x.bandwidth.fill(0.5);
  x.powerW.fill(0.01);
  x.fUeGHz.fill(1);
  x.fEsGHz.fill(2);
  assert.ok(rateV1Mbps(problem.params, problem.cPerW[0], 0.5, 0.01) < 0);
  const ev = evaluate(problem, x, 'v1');
  assert.is(ev.latencyMs[0], Infinity);
  assert.is(ev.energyMj[0], Infinity);
  assertClose(ev.latencyMs[1], 0.1354, RTOL, 0, 'cached T');
  assert.is(ev.totalMs, Infinity);
  assert.is(totalLatencyMs(problem, x, 'v1'), Infinity);
});

test('uncachedMs is local + transmission + edge time', () => {
  const problem = problemOf([1e-9]);
  const p = problem.params;
  assertClose(uncachedMs(p, 0.2708, 10.832, 0.3, 1, 2, 8), 0.3 * 0.2708 + 10.832 / 8 + 0.7 * 0.2708 / 2, RTOL, 0, 't_m');
  assertClose(cachedMs(p, 0.2708, 2), 0.1354, RTOL, 0, 'C/f_es');
});

test('totalLatencyMs equals the sum of per-UE latencies of evaluate on 500 random points', () => {
  const rng = mulberry32(7);
  for (let i = 0; i < 500; i++) {
    const M = integer(rng, 1, 12);
    const gains = Array.from({ length: M }, () => logUniform(rng, 1e-12, 1e-7));
    const settings = resolveSettings({ M, deltaUe: uniform(rng, 0, 0.05), deltaEs: uniform(rng, 0, 0.05) });
    const problem = problemOf(gains, settings);
    const x = allocatePoint(M);
    for (let m = 0; m < M; m++) {
      x.cached[m] = rng() < 0.3 ? 1 : 0;
      x.alpha[m] = rng() < 0.2 ? integer(rng, 0, 1) : rng();
      x.bandwidth[m] = logUniform(rng, 1e-3, 1);
      x.powerW[m] = logUniform(rng, 1e-3, 0.2);
      x.fUeGHz[m] = uniform(rng, 0.1, 1.5);
      x.fEsGHz[m] = uniform(rng, 0.1, 30);
    }
    for (const kind of ['v1', 'exact'] as const) {
      const ev = evaluate(problem, x, kind);
      let sum = 0;
      for (let m = 0; m < M; m++) sum += ev.latencyMs[m];
      if (sum === Infinity) {
        assert.is(ev.totalMs, Infinity, `evaluate total, instance ${i}, ${kind}`);
        assert.is(totalLatencyMs(problem, x, kind), Infinity, `totalLatencyMs, instance ${i}, ${kind}`);
      } else {
        assertClose(ev.totalMs, sum, RTOL, 0, `evaluate total, instance ${i}, ${kind}`);
        assertClose(totalLatencyMs(problem, x, kind), sum, RTOL, 0, `totalLatencyMs, instance ${i}, ${kind}`);
      }
    }
  }
});

test('evaluate matches the SI formulas for every UE on 300 random multi-UE points', () => {
  const rng = mulberry32(8);
  for (let i = 0; i < 300; i++) {
    const M = integer(rng, 1, 8);
    const gains = Array.from({ length: M }, () => logUniform(rng, 1e-11, 1e-7));
    const problem = problemOf(gains);
    const x = allocatePoint(M);
    for (let m = 0; m < M; m++) {
      x.cached[m] = rng() < 0.3 ? 1 : 0;
      x.alpha[m] = rng();
      x.bandwidth[m] = logUniform(rng, 1e-2, 1);
      x.powerW[m] = logUniform(rng, 1e-2, 0.2);
      x.fUeGHz[m] = uniform(rng, 0.1, 1.5);
      x.fEsGHz[m] = uniform(rng, 0.1, 30);
    }
    const ev = evaluate(problem, x, 'v1');
    for (let m = 0; m < M; m++) {
      const si = siOf(gains[m], x.cached[m] === 1, x.alpha[m], x.bandwidth[m], x.powerW[m], x.fUeGHz[m], x.fEsGHz[m]);
      assertClose(ev.latencyMs[m], siLatencyS(TASK, si) * 1e3, 1e-11, 0, `T, instance ${i}, UE ${m}`);
      assertClose(ev.energyMj[m], siEnergyJ(TASK, si, THETA) * 1e3, 1e-11, 0, `E, instance ${i}, UE ${m}`);
    }
  }
});

test.run();
