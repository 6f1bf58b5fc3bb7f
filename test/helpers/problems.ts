/**
 * Realisations 0 .. count-1 drawn with common random numbers at the given settings overrides:
 * the problems most tests solve.
 */
import { resolveSettings, type Settings } from '../../engine/settings.js';
import { toProblem, type Problem } from '../../engine/problem.js';
import { generateScenario } from '../../engine/scenario.js';

export function drawProblems(overrides: Partial<Settings>, count: number, seed: number): Problem[] {
  const settings = resolveSettings(overrides);
  return Array.from({ length: count }, (_, r) => toProblem(generateScenario(settings, { seed, point: null, realisation: r }), settings));
}
