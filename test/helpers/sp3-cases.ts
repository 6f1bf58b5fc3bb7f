/**
 * SP3 inputs and their float64 solutions, taken from the first AO iterations of generated
 * realisations: the cases both the float64 SP3 tests and the batched SP3 tests run on.
 */
import { resolveSettings, type Settings } from '../../engine/settings.js';
import { toProblem, type Problem } from '../../engine/problem.js';
import { generateScenario } from '../../engine/scenario.js';
import { allocatePoint, clonePoint, type Point } from '../../engine/model/point.js';
import { totalLatencyMs } from '../../engine/model/latency-energy.js';
import { feasibleStart } from '../../engine/ao/feasible-start.js';
import { solveCaching } from '../../engine/ao/sp1-caching.js';
import { solveOffloading } from '../../engine/ao/sp2-offloading.js';
import { solveResources, type Sp3Outcome } from '../../engine/ao/sp3-resources.js';
import { expansionTau } from '../../engine/ao/sp3-surrogate.js';

export interface Sp3Case {
  label: string;
  problem: Problem;
  /** The point SP3 started from (after SP1 and SP2 of that iteration). */
  before: Point;
  /** The float64 SP3 result, its tau and its outcome. */
  after: Point;
  tauAfter: Float64Array;
  outcome: Sp3Outcome;
}

/** SP3 calls of the first `iterations` AO iterations of `realisations` realisations. */
export function sp3Cases(overrides: Partial<Settings>, realisations: number, iterations: number, seed: number): Sp3Case[] {
  const settings = resolveSettings(overrides);
  const cases: Sp3Case[] = [];
  for (let r = 0; r < realisations; r++) {
    const problem = toProblem(generateScenario(settings, { seed, point: null, realisation: r }), settings);
    const x = allocatePoint(settings.M);
    if (!feasibleStart(problem, x).feasible) continue;
    const tau = expansionTau(problem, x);
    for (let i = 0; i < iterations; i++) {
      solveCaching(problem, x);
      solveOffloading(problem, x);
      const before = clonePoint(x);
      const outcome = solveResources(problem, x, tau, totalLatencyMs(problem, x));
      cases.push({ label: `${JSON.stringify(overrides)} r${r} it${i}`, problem, before, after: clonePoint(x), tauAfter: tau.slice(), outcome });
    }
  }
  return cases;
}
