/**
 * Draws one Monte Carlo realisation of the network (SPEC section 1).
 *
 * Drawing is kept apart from using: `drawScenario` returns every intermediate quantity (for tests
 * and diagnostics), `generateScenario` only the `Scenario` the solvers take. All randomness comes
 * from `uniforms` with the tags and layouts of `STREAM_TAGS`, so device m's position and eta do not
 * depend on M or L, and its fading depends on L only.
 */
import type { Scenario } from './problem.js';
import type { Settings } from './settings.js';
import { dbToLinear } from './units.js';
import { STREAM_TAGS, uniforms, type RealisationKey } from './random/stream.js';

/** Every quantity of one realisation, each of shape [M], index m = device. */
export interface ScenarioDraws {
  /** d_m, distance from the AP at the centre, clamped below at minDistanceM [m]. */
  distanceM: Float64Array;
  /** g_m = 10^(PL(d_m)/10), large-scale gain, linear [-]. */
  largeScaleGain: Float64Array;
  /** ||h̄_m||^2, sum of L unit-mean exponentials, Gamma(L, 1) [-]. */
  fadingPower: Float64Array;
  /** eta_m ~ U[etaMin, etaMax] [cycles/byte]. */
  etaCyclesPerByte: Float64Array;
}

/** PL(d) = PL0 - slope log10(d / 1 m) [dB]. */
export const pathLossDb = (settings: Settings, distanceM: number): number =>
  settings.pathLossInterceptDb - settings.pathLossSlopeDb * Math.log10(distanceM);

/**
 * Distances d_m [m], shape [M]: UE positions uniform in the square of side areaSideM centred on
 * the AP, x_m from uniform 2m and y_m from uniform 2m + 1 of the position stream.
 */
export function drawDistancesM(settings: Settings, key: RealisationKey): Float64Array {
  const { M, areaSideM, minDistanceM } = settings;
  const u = uniforms(key, STREAM_TAGS.position, 2 * M);
  const distanceM = new Float64Array(M);
  for (let m = 0; m < M; m++) {
    const xM = (u[2 * m] - 0.5) * areaSideM;
    const yM = (u[2 * m + 1] - 0.5) * areaSideM;
    distanceM[m] = Math.max(Math.hypot(xM, yM), minDistanceM);
  }
  return distanceM;
}

/** Draws every quantity of the realisation named by `key`. */
export function drawScenario(settings: Settings, key: RealisationKey): ScenarioDraws {
  const { M, L, etaMinCyclesPerByte: etaMin, etaMaxCyclesPerByte: etaMax } = settings;
  const distanceM = drawDistancesM(settings, key);
  const largeScaleGain = distanceM.map((d) => dbToLinear(pathLossDb(settings, d)));

  // ||h̄_m||^2 with h̄_m ~ CN(0, I_L): each |h̄_ml|^2 is Exp(1) = -ln(1 - u), u in [0, 1).
  const uFading = uniforms(key, STREAM_TAGS.fading, M * L);
  const fadingPower = new Float64Array(M);
  for (let m = 0; m < M; m++) {
    let sum = 0;
    for (let l = 0; l < L; l++) sum -= Math.log1p(-uFading[m * L + l]);
    fadingPower[m] = sum;
  }

  const etaCyclesPerByte = uniforms(key, STREAM_TAGS.eta, M).map((u) => etaMin + (etaMax - etaMin) * u);
  return { distanceM, largeScaleGain, fadingPower, etaCyclesPerByte };
}

/**
 * One realisation in SI units: gain ||h_m||^2 = g_m ||h̄_m||^2, cycles C_m = eta_m D bytes,
 * bits D_m = 8 D bytes; each array of length M.
 */
export function generateScenario(settings: Settings, key: RealisationKey): Scenario {
  const draws = drawScenario(settings, key);
  const gain = Array.from(draws.largeScaleGain, (g, m) => g * draws.fadingPower[m]);
  const cycles = Array.from(draws.etaCyclesPerByte, (eta) => eta * settings.taskBytes);
  const bits = cycles.map(() => 8 * settings.taskBytes);
  return { gain, cycles, bits };
}
