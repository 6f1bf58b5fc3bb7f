/**
 * Realistic inputs for the batched SP1 and SP2 kernels: realisation-points taken from the float64
 * AO run part of the way (feasible start, then SP1, SP2, SP3 iterations, as in
 * test/engine/ao/sp3-resources.test.ts), plus seeded random perturbations of them, and the
 * float32 rounding that lets the float64 reference see exactly what the tensors hold.
 */
import { resolveSettings, type Settings } from '../../engine/settings.js';
import { toProblem, type ModelParams, type Problem } from '../../engine/problem.js';
import { generateScenario } from '../../engine/scenario.js';
import { allocatePoint, clonePoint, type Point } from '../../engine/model/point.js';
import { totalLatencyMs } from '../../engine/model/latency-energy.js';
import { feasibleStart } from '../../engine/ao/feasible-start.js';
import { solveCaching } from '../../engine/ao/sp1-caching.js';
import { solveOffloading } from '../../engine/ao/sp2-offloading.js';
import { solveResources } from '../../engine/ao/sp3-resources.js';
import { expansionTau } from '../../engine/ao/sp3-surrogate.js';
import * as tf from '@tensorflow/tfjs-core';
import { batchPoint, batchProblem, disposeBatchPoint, disposeBatchProblem, type BatchPoint, type BatchProblem } from '../../kernels/batch.js';
import { uniform, type Rng } from './random.js';

/** Which subproblem the points are inputs of: before SP1 or before SP2 of an AO iteration. */
export type Stage = 'sp1' | 'sp2';

export interface SpCase {
  label: string;
  problem: Problem;
  x: Point;
  /** False for a point of the AO itself (feasible for (6)), true for a perturbed copy. */
  perturbed: boolean;
}

/** The settings the tests sweep, with a name for the reports. */
export const SETTINGS_GRID: readonly [string, Partial<Settings>][] = [
  ['defaults', {}],
  ['sMaxKbit 0', { sMaxKbit: 0 }],
  ['sMaxKbit 20', { sMaxKbit: 20 }],
  ['eMaxMj 1.5', { eMaxMj: 1.5 }],
  ['fEsMaxGHz 38, delta 0.02', { fEsMaxGHz: 38, deltaUe: 0.02, deltaEs: 0.02 }],
  ['saving rule', { cachingRule: 'saving' }],
  ['saving rule, sMaxKbit 20', { cachingRule: 'saving', sMaxKbit: 20 }],
];

/**
 * Perturbs a copy of an AO point: f_es scaled per UE by U[0.9, 1.05] and the alpha of a third
 * of the UEs redrawn (0 or 1 with probability 0.2, else U[0, 1]); for SP1 also a random cached
 * set (each UE with probability 0.3). For SP2, one time in five, the cached UEs' f_es are then
 * scaled so that they alone load the ES with U[0.9, 1.1] Fes_max: (6f) then cannot hold in
 * about half of those rows, whatever alpha is. The result need not be feasible for (6); both
 * paths must still agree on it.
 */
function perturb(problem: Problem, x: Point, stage: Stage, rng: Rng): Point {
  const y = clonePoint(x);
  for (let m = 0; m < y.alpha.length; m++) {
    y.fEsGHz[m] *= uniform(rng, 0.9, 1.05);
    if (rng() < 1 / 3) y.alpha[m] = rng() < 0.2 ? (rng() < 0.5 ? 0 : 1) : rng();
    if (stage === 'sp1') y.cached[m] = rng() < 0.3 ? 1 : 0;
  }
  const cachedGHz = y.fEsGHz.reduce((s, f, m) => s + (y.cached[m] ? f : 0), 0);
  if (stage === 'sp2' && cachedGHz > 0 && rng() < 0.2) {
    const k = (uniform(rng, 0.9, 1.1) * problem.params.fEsMaxGHz) / cachedGHz;
    for (let m = 0; m < y.alpha.length; m++) if (y.cached[m]) y.fEsGHz[m] *= k;
  }
  return y;
}

/**
 * Points of the float64 AO at the given settings: for each realisation with a feasible start,
 * the point before SP1 (stage 'sp1') or before SP2 (stage 'sp2') of iterations 1..iterations,
 * each followed by one perturbed copy.
 */
export function collectCases(
  overrides: Partial<Settings>, stage: Stage, opts: { seed: number; realisations: number; iterations: number; rng: Rng },
): { settings: Settings; cases: SpCase[] } {
  const settings = resolveSettings(overrides);
  const cases: SpCase[] = [];
  for (let r = 0; r < opts.realisations; r++) {
    const problem = toProblem(generateScenario(settings, { seed: opts.seed, point: null, realisation: r }), settings);
    const x = allocatePoint(settings.M);
    if (!feasibleStart(problem, x).feasible) continue;
    const tau = expansionTau(problem, x);
    const record = (i: number): void => {
      const label = `${JSON.stringify(overrides)} r${r} it${i}`;
      cases.push({ label, problem, x: clonePoint(x), perturbed: false });
      cases.push({ label: `${label} perturbed`, problem, x: perturb(problem, x, stage, opts.rng), perturbed: true });
    };
    for (let i = 1; i <= opts.iterations; i++) {
      if (stage === 'sp1') record(i);
      solveCaching(problem, x);
      if (stage === 'sp2') record(i);
      solveOffloading(problem, x);
      solveResources(problem, x, tau, totalLatencyMs(problem, x));
    }
  }
  return { settings, cases };
}

const F = Math.fround;

/** The parameters with every number rounded to float32, as the kernels use them. */
export function roundParams(params: ModelParams): ModelParams {
  const out = { ...params } as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(out)) if (typeof v === 'number') out[k] = F(v);
  return out as unknown as ModelParams;
}

/** A problem whose data and parameters are rounded to float32. */
export function roundProblem(problem: Problem): Problem {
  return {
    params: roundParams(problem.params),
    cPerW: problem.cPerW.map(F),
    cyclesMc: problem.cyclesMc.map(F),
    bitsKbit: problem.bitsKbit.map(F),
  };
}

/** A point whose values are rounded to float32. */
export function roundPoint(x: Point): Point {
  return {
    cached: x.cached.slice(),
    alpha: x.alpha.map(F),
    bandwidth: x.bandwidth.map(F),
    powerW: x.powerW.map(F),
    fUeGHz: x.fUeGHz.map(F),
    fEsGHz: x.fEsGHz.map(F),
  };
}

/**
 * Runs `body` on the batch of `problems` and `points` with the active mask `activeMask` (every row
 * when null) as a tensor [length]; the batch and the mask are disposed after, also when body throws.
 */
export async function withSpBatch<R>(
  problems: readonly Problem[], points: readonly Point[], activeMask: readonly number[] | null,
  body: (bp: BatchProblem, bx: BatchPoint, active: tf.Tensor1D) => R | Promise<R>,
): Promise<R> {
  const bp = batchProblem(problems);
  const bx = batchPoint(points);
  const active = tf.tensor1d(activeMask ? [...activeMask] : problems.map(() => 1));
  try {
    return await body(bp, bx, active);
  } finally {
    active.dispose();
    disposeBatchPoint(bx);
    disposeBatchProblem(bp);
  }
}
