/**
 * One realisation of problem (6) in model units (see units.ts), ready for the solvers, and the
 * conversion from a scenario (SI units, as in scenario files) plus settings.
 */
import type { Settings } from './settings.js';
import { qInverse } from './model/qinv.js';
import { bitsToKbit, cyclesToMcycles, dbmToW, mhzToHz, msToS, thetaToModel } from './units.js';

/** A scenario as generated or read from a file: per-UE arrays of length M, SI units. */
export interface Scenario {
  /** ||h_m||^2, linear (large-scale gain times small-scale fading). */
  gain: number[];
  /** C_m, CPU cycles of the task. */
  cycles: number[];
  /** D_m, task size in bits. */
  bits: number[];
}

/** The settings that (6) takes as they are (already in model units). */
type PassedSettings = 'M' | 'rMinMbps' | 'fUeMaxGHz' | 'fEsMaxGHz' | 'tMaxMs' | 'eMaxMj' | 'sMaxKbit' | 'deltaUe' | 'deltaEs'
  | 'tolerance' | 'maxIterations' | 'cachingRule' | 'method';

/** The parameters of (6) in model units (ms, kbit, Mcycles, GHz, Mbit/s, W, mJ). */
export interface ModelParams extends Pick<Settings, PassedSettings> {
  /** B / ln 2 [Mbit/s per nat]: R = rateScaleMbps [b ln(1+gamma) - kappa sqrt(b V)]. */
  rateScaleMbps: number;
  /** Qinv(eps) / sqrt(phi B) [-]. */
  kappa: number;
  pMaxW: number;
  /** theta in mJ ms^2 / Mcycle^3: local energy = theta/2 C f'^2. */
  thetaModel: number;
}

export interface Problem {
  params: ModelParams;
  /** c_m = ||h_m||^2 / (B N0) [1/W], so gamma = p c / b. */
  cPerW: Float64Array;
  /** C_m [Mcycles]. */
  cyclesMc: Float64Array;
  /** D_m [kbit]. */
  bitsKbit: Float64Array;
}

export function modelParams(s: Settings): ModelParams {
  const bHz = mhzToHz(s.bandwidthMHz);
  return {
    M: s.M,
    rateScaleMbps: s.bandwidthMHz / Math.LN2,
    kappa: qInverse(s.epsilon) / Math.sqrt(msToS(s.phiMs) * bHz),
    pMaxW: dbmToW(s.pMaxDbm),
    rMinMbps: s.rMinMbps,
    fUeMaxGHz: s.fUeMaxGHz,
    fEsMaxGHz: s.fEsMaxGHz,
    tMaxMs: s.tMaxMs,
    eMaxMj: s.eMaxMj,
    sMaxKbit: s.sMaxKbit,
    thetaModel: thetaToModel(s.theta),
    deltaUe: s.deltaUe,
    deltaEs: s.deltaEs,
    tolerance: s.tolerance,
    maxIterations: s.maxIterations,
    cachingRule: s.cachingRule,
    method: s.method,
  };
}

/** Noise power over the whole band, B N0 [W]. */
export const noisePowerW = (s: Settings): number =>
  mhzToHz(s.bandwidthMHz) * dbmToW(s.noiseDbmPerHz);

/**
 * Builds the model-unit problem. The scenario's length must equal settings.M (checked by the
 * callers that read files; generated scenarios have it by construction).
 */
export function toProblem(scenario: Scenario, settings: Settings): Problem {
  const n0 = noisePowerW(settings);
  return {
    params: modelParams(settings),
    cPerW: Float64Array.from(scenario.gain, (g) => g / n0),
    cyclesMc: Float64Array.from(scenario.cycles, cyclesToMcycles),
    bitsKbit: Float64Array.from(scenario.bits, bitsToKbit),
  };
}
