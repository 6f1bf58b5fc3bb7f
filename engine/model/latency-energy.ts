/**
 * Latency (SPEC section 2, the letter's eq. 5) and UE energy, per UE, in ms and mJ.
 *
 *   T_m = s C/f'_es + (1-s) [ alpha C/f'_ue + D/R + (1-alpha) C/f'_es ]
 *   E_m = (1-s) [ alpha (theta/2) C f'_ue^2 + (1-alpha) p D / R ]
 *
 * with f' = (1 - delta) f. A term whose factor is zero is zero (alpha = 0 needs no f_ue,
 * alpha = 1 needs no f_es). A non-positive rate makes the transmission time infinite.
 */
import type { ModelParams, Problem } from '../problem.js';
import type { Point } from './point.js';
import { rateMbps, type RateKind } from './rate.js';

/** Transmission time D/R [ms]; +Infinity when R <= 0. */
export const transmitMs = (bitsKbit: number, rate: number): number =>
  rate > 0 ? bitsKbit / rate : Infinity;

/** Local computing time alpha C / f'_ue [ms]. */
export const localMs = (params: ModelParams, cyclesMc: number, alpha: number, fUeGHz: number): number =>
  alpha === 0 ? 0 : (alpha * cyclesMc) / ((1 - params.deltaUe) * fUeGHz);

/** Edge computing time of the offloaded part (1-alpha) C / f'_es [ms]. */
export const edgeMs = (params: ModelParams, cyclesMc: number, alpha: number, fEsGHz: number): number =>
  alpha === 1 ? 0 : ((1 - alpha) * cyclesMc) / ((1 - params.deltaEs) * fEsGHz);

/** Latency of a cached task, C / f'_es [ms]. */
export const cachedMs = (params: ModelParams, cyclesMc: number, fEsGHz: number): number =>
  cyclesMc / ((1 - params.deltaEs) * fEsGHz);

/** t_m of SP1: the latency of UE m if it is not cached [ms]. */
export const uncachedMs = (
  params: ModelParams, cyclesMc: number, bitsKbit: number, alpha: number, fUeGHz: number, fEsGHz: number, rate: number,
): number => localMs(params, cyclesMc, alpha, fUeGHz) + transmitMs(bitsKbit, rate) + edgeMs(params, cyclesMc, alpha, fEsGHz);

/** Local computing energy alpha (theta/2) C f'_ue^2 [mJ]. */
export const localMj = (params: ModelParams, cyclesMc: number, alpha: number, fUeGHz: number): number => {
  if (alpha === 0) return 0;
  const f = (1 - params.deltaUe) * fUeGHz;
  return alpha * 0.5 * params.thetaModel * cyclesMc * f * f;
};

/** Transmission energy (1-alpha) p D / R [mJ]. */
export const transmitMj = (alpha: number, powerW: number, bitsKbit: number, rate: number): number =>
  alpha === 1 ? 0 : (1 - alpha) * powerW * transmitMs(bitsKbit, rate);

/** Energy of UE m if it is not cached [mJ]. */
export const uncachedMj = (
  params: ModelParams, cyclesMc: number, bitsKbit: number, alpha: number, fUeGHz: number, powerW: number, rate: number,
): number => localMj(params, cyclesMc, alpha, fUeGHz) + transmitMj(alpha, powerW, bitsKbit, rate);

/** Per-UE rate, latency and energy of a whole point, with the chosen rate. */
export interface Evaluation {
  rateMbps: Float64Array;
  latencyMs: Float64Array;
  energyMj: Float64Array;
  /** J = sum of latencies [ms]. */
  totalMs: number;
}

export function evaluate(problem: Problem, x: Point, kind: RateKind = 'v1'): Evaluation {
  const { params } = problem;
  const M = x.alpha.length;
  const out: Evaluation = {
    rateMbps: new Float64Array(M), latencyMs: new Float64Array(M), energyMj: new Float64Array(M), totalMs: 0,
  };
  for (let m = 0; m < M; m++) {
    const r = rateMbps(kind, params, problem.cPerW[m], x.bandwidth[m], x.powerW[m]);
    out.rateMbps[m] = r;
    if (x.cached[m]) {
      out.latencyMs[m] = cachedMs(params, problem.cyclesMc[m], x.fEsGHz[m]);
      out.energyMj[m] = 0;
    } else {
      const C = problem.cyclesMc[m];
      const D = problem.bitsKbit[m];
      out.latencyMs[m] = uncachedMs(params, C, D, x.alpha[m], x.fUeGHz[m], x.fEsGHz[m], r);
      out.energyMj[m] = uncachedMj(params, C, D, x.alpha[m], x.fUeGHz[m], x.powerW[m], r);
    }
    out.totalMs += out.latencyMs[m];
  }
  return out;
}

/** J = sum_m T_m [ms] with the chosen rate (allocation-free; the AO calls it every sub-step). */
export function totalLatencyMs(problem: Problem, x: Point, kind: RateKind = 'v1'): number {
  const { params } = problem;
  let total = 0;
  for (let m = 0; m < x.alpha.length; m++) {
    const C = problem.cyclesMc[m];
    if (x.cached[m]) {
      total += cachedMs(params, C, x.fEsGHz[m]);
    } else {
      const r = rateMbps(kind, params, problem.cPerW[m], x.bandwidth[m], x.powerW[m]);
      total += uncachedMs(params, C, problem.bitsKbit[m], x.alpha[m], x.fUeGHz[m], x.fEsGHz[m], r);
    }
  }
  return total;
}
