/**
 * Seeded random batches and the float64 reference (engine/model/) with float32 tolerances, for
 * the tests of the tensor model kernels (test/kernels/model.test.ts, which explains each
 * tolerance).
 */
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { modelParams, type Problem } from '../../engine/problem.js';
import type { ConstraintId } from '../../engine/model/feasibility.js';
import { evaluate } from '../../engine/model/latency-energy.js';
import { allocatePoint, type Point } from '../../engine/model/point.js';
import { dispersion, rateMbps as rateRef, snr, type RateKind } from '../../engine/model/rate.js';
import { resolveSettings } from '../../engine/settings.js';
import { batchPoint, batchProblem, disposeBatchPoint, disposeBatchProblem, type BatchPoint, type BatchProblem } from '../../kernels/batch.js';
import { assertClose } from './close.js';
import { logUniform, mulberry32, uniform, type Rng } from './random.js';

/** Relative float32 tolerance of a few-operation kernel (about ten times its error). */
export const TOL = 1e-5;
/** Smallest |R| drawn, relative to the size of its two terms: keeps the sign of R in float32. */
export const RATE_MARGIN = 1e-3;
export const F = Math.fround;
export const KINDS: readonly RateKind[] = ['v1', 'exact'];
export const CONSTRAINTS: readonly ConstraintId[] = ['6b', '6c', '6d', '6e', '6f', '6g', '6h'];

export interface Case { problems: Problem[]; points: Point[] }

/** Size of the two terms of R [Mbit/s]: the scale its float32 error is relative to. */
export function rateTermsMbps(problem: Problem, m: number, b: number, p: number, kind: RateKind): number {
  const { rateScaleMbps, kappa } = problem.params;
  const gamma = snr(problem.cPerW[m], b, p);
  const v = kind === 'exact' ? dispersion(gamma) : 1;
  return rateScaleMbps * (b * Math.abs(Math.log1p(gamma)) + kappa * Math.sqrt(b * v));
}

const wellConditioned = (problem: Problem, m: number, b: number, p: number): boolean =>
  KINDS.every((k) => Math.abs(rateRef(k, problem.params, problem.cPerW[m], b, p)) >= RATE_MARGIN * rateTermsMbps(problem, m, b, p, k));

/**
 * N realisations of M UEs, half of them at low SNR (c in [0.1, 100] 1/W, so V < 1 matters and
 * many rates are negative), the rest at c in [100, 1e9] 1/W. About 30% of UEs cached; alpha is
 * 0, 1 or uniform; f_ue = 0 for half the alpha = 0 UEs and f_es = 0 for half the uncached
 * alpha = 1 UEs (the zero-factor rule); p reaches 5% past Pmax and b past 1 sum (6c, 6h).
 */
export function makeCase(seed: number, N: number, M: number, delta = 0): Case {
  const rng: Rng = mulberry32(seed);
  const params = modelParams(resolveSettings({ M, sMaxKbit: 30, deltaUe: delta, deltaEs: delta }));
  const problems: Problem[] = [];
  const points: Point[] = [];
  for (let n = 0; n < N; n++) {
    const lowSnr = rng() < 0.5;
    const problem: Problem = {
      params,
      cPerW: Float64Array.from({ length: M }, () => F(lowSnr ? logUniform(rng, 0.1, 100) : logUniform(rng, 100, 1e9))),
      cyclesMc: Float64Array.from({ length: M }, () => F((uniform(rng, 100, 300) * 1354) / 1e6)),
      bitsKbit: Float64Array.from({ length: M }, () => F(10.832)),
    };
    const x = allocatePoint(M);
    for (let m = 0; m < M; m++) {
      x.cached[m] = rng() < 0.3 ? 1 : 0;
      const r = rng();
      x.alpha[m] = r < 0.25 ? 0 : r < 0.5 ? 1 : F(rng());
      x.bandwidth[m] = F(logUniform(rng, 1e-3, 1));
      do x.powerW[m] = F(logUniform(rng, 1e-4, 1.05 * params.pMaxW));
      while (!wellConditioned(problem, m, x.bandwidth[m], x.powerW[m]));
      x.fUeGHz[m] = x.alpha[m] === 0 && rng() < 0.5 ? 0 : F(uniform(rng, 0.05, 1.6));
      x.fEsGHz[m] = x.alpha[m] === 1 && !x.cached[m] && rng() < 0.5 ? 0 : F(uniform(rng, 0.05, 4));
    }
    problems.push(problem);
    points.push(x);
  }
  return { problems, points };
}

/** Runs body on the batch tensors of c and disposes them afterwards. */
export async function withBatch<T>(c: Case, body: (bp: BatchProblem, x: BatchPoint) => Promise<T>): Promise<T> {
  const bp = batchProblem(c.problems);
  const x = batchPoint(c.points);
  try {
    return await body(bp, x);
  } finally {
    disposeBatchProblem(bp);
    disposeBatchPoint(x);
  }
}

/** Reads a tensor back and disposes it. */
export async function take(t: tf.Tensor): Promise<Float32Array> {
  const data = (await t.data()) as Float32Array;
  t.dispose();
  return data;
}

/** Elementwise comparison; infinite expected values must match exactly. */
export function expectAll(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: ArrayLike<number>, M: number, label: string): void {
  assert.is(actual.length, expected.length, `${label}: length`);
  for (let i = 0; i < expected.length; i++) {
    const where = M > 1 ? `${label} [n=${Math.floor(i / M)}, m=${i % M}]` : `${label} [n=${i}]`;
    if (!Number.isFinite(expected[i])) assert.ok(Object.is(actual[i], expected[i]), `${where}: actual ${actual[i]}, expected ${expected[i]}`);
    else assertClose(actual[i], expected[i], 0, tol[i], where);
  }
}

// ---------------------------------------------------------------- float64 reference with tolerances

export interface UeReference { rate: number; rateTol: number; latency: number; latencyTol: number; energy: number; energyTol: number }

/** Rate, latency and energy of every UE [n * M + m] from engine/model, with their float32 tolerances. */
export function ueReference(c: Case, kind: RateKind): UeReference[] {
  const out: UeReference[] = [];
  c.problems.forEach((problem, n) => {
    const x = c.points[n];
    const ev = evaluate(problem, x, kind);
    for (let m = 0; m < x.alpha.length; m++) {
      const rate = ev.rateMbps[m];
      const rateTol = TOL * rateTermsMbps(problem, m, x.bandwidth[m], x.powerW[m], kind);
      const transmitTol = !x.cached[m] && rate > 0 ? (problem.bitsKbit[m] / rate) * (rateTol / rate) : 0;
      out.push({
        rate, rateTol,
        latency: ev.latencyMs[m], latencyTol: TOL * ev.latencyMs[m] + transmitTol,
        energy: ev.energyMj[m], energyTol: TOL * ev.energyMj[m] + (1 - x.alpha[m]) * x.powerW[m] * transmitTol,
      });
    }
  });
  return out;
}

export type Violation = { value: number; tol: number };

/** max(0, v) with NaN read as Infinity, as the feasibility check notes a violation. */
const positive = (v: number): number => (Number.isNaN(v) ? Infinity : Math.max(0, v));

/** Per-constraint maxima of realisation n (ues: ueReference of c with the rate wanted), mirroring engine/model/feasibility.ts, with tolerances. */
export function violationReference(c: Case, n: number, ues: UeReference[]): Record<ConstraintId, Violation> {
  const problem = c.problems[n];
  const x = c.points[n];
  const { params } = problem;
  const M = x.alpha.length;
  const worst = (terms: Violation[]): Violation => terms.reduce((a, b) => ({ value: Math.max(a.value, b.value), tol: Math.max(a.tol, b.tol) }));
  const perUe = (f: (u: UeReference, m: number) => Violation): Violation =>
    worst(Array.from({ length: M }, (_, m) => f(ues[n * M + m], m)));
  const box = (v: number, hi: number): number => positive(Math.max(-v, v - hi) / hi);
  let bSum = 0; let bAbs = 0; let load = 0; let loadAbs = 0; let cache = 0; let meanBits = 0;
  for (let m = 0; m < M; m++) {
    const share = x.cached[m] ? x.fEsGHz[m] : (1 - x.alpha[m]) * x.fEsGHz[m];
    bSum += x.bandwidth[m]; bAbs += Math.abs(x.bandwidth[m]);
    load += share; loadAbs += Math.abs(share);
    cache += x.cached[m] * problem.bitsKbit[m];
    meanBits += problem.bitsKbit[m] / M;
  }
  const cacheScale = Math.max(params.sMaxKbit, meanBits);
  return {
    '6b': perUe((u) => ({ value: positive((u.latency - params.tMaxMs) / params.tMaxMs), tol: u.latencyTol / params.tMaxMs })),
    '6c': { value: positive(bSum - 1), tol: TOL * bAbs },
    '6d': perUe((u) => ({ value: positive((params.rMinMbps - u.rate) / params.rMinMbps), tol: u.rateTol / params.rMinMbps })),
    '6e': perUe((u) => ({ value: positive((u.energy - params.eMaxMj) / params.eMaxMj), tol: u.energyTol / params.eMaxMj })),
    '6f': { value: positive((load - params.fEsMaxGHz) / params.fEsMaxGHz), tol: (TOL * (loadAbs + params.fEsMaxGHz)) / params.fEsMaxGHz },
    '6g': { value: positive((cache - params.sMaxKbit) / cacheScale), tol: (TOL * (cache + params.sMaxKbit)) / cacheScale },
    '6h': perUe((_, m) => ({
      value: Math.max(
        x.cached[m] === 0 || x.cached[m] === 1 ? 0 : Infinity,
        positive(Math.max(-x.alpha[m], x.alpha[m] - 1)),
        positive(Math.max(-x.bandwidth[m], x.bandwidth[m] - 1)),
        box(x.powerW[m], params.pMaxW), box(x.fUeGHz[m], params.fUeMaxGHz), box(x.fEsGHz[m], params.fEsMaxGHz),
      ),
      tol: TOL,
    })),
  };
}
