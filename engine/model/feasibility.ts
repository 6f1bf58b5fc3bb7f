/**
 * The full feasibility check of problem (6) (SPEC section 2), by default with the exact rate R.
 * Each constraint's violation is relative to its own limit; the report names the worst one.
 */
import type { Problem } from '../problem.js';
import { evaluate } from './latency-energy.js';
import type { Point } from './point.js';
import type { RateKind } from './rate.js';

export type ConstraintId = '6b' | '6c' | '6d' | '6e' | '6f' | '6g' | '6h';

export interface FeasibilityReport {
  /** Largest relative violation, 0 when every constraint holds (Infinity for non-finite values). */
  maxViolation: number;
  /** The constraint with the largest violation, null when feasible. */
  constraint: ConstraintId | null;
  /** The UE of that constraint (null for the coupling constraints 6c, 6f, 6g). */
  device: number | null;
}

export function checkFeasibility(problem: Problem, x: Point, kind: RateKind = 'exact'): FeasibilityReport {
  const { params } = problem;
  const M = x.alpha.length;
  const ev = evaluate(problem, x, kind);
  const report: FeasibilityReport = { maxViolation: 0, constraint: null, device: null };
  const note = (v: number, constraint: ConstraintId, device: number | null): void => {
    const viol = Number.isNaN(v) ? Infinity : v;
    if (viol > report.maxViolation) {
      report.maxViolation = viol;
      report.constraint = constraint;
      report.device = device;
    }
  };
  let bandwidthSum = 0;
  let esLoadGHz = 0;
  let cacheKbit = 0;
  let meanBitsKbit = 0;
  for (let m = 0; m < M; m++) {
    const s = x.cached[m];
    const a = x.alpha[m];
    note(s === 0 || s === 1 ? 0 : Infinity, '6h', m);
    note(Math.max(-a, a - 1), '6h', m);
    note(Math.max(-x.bandwidth[m], x.bandwidth[m] - 1), '6h', m);
    note(Math.max(-x.powerW[m], x.powerW[m] - params.pMaxW) / params.pMaxW, '6h', m);
    note(Math.max(-x.fUeGHz[m], x.fUeGHz[m] - params.fUeMaxGHz) / params.fUeMaxGHz, '6h', m);
    note(Math.max(-x.fEsGHz[m], x.fEsGHz[m] - params.fEsMaxGHz) / params.fEsMaxGHz, '6h', m);
    note((ev.latencyMs[m] - params.tMaxMs) / params.tMaxMs, '6b', m);
    note((params.rMinMbps - ev.rateMbps[m]) / params.rMinMbps, '6d', m);
    note((ev.energyMj[m] - params.eMaxMj) / params.eMaxMj, '6e', m);
    bandwidthSum += x.bandwidth[m];
    esLoadGHz += s ? x.fEsGHz[m] : (1 - a) * x.fEsGHz[m];
    cacheKbit += s * problem.bitsKbit[m];
    meanBitsKbit += problem.bitsKbit[m] / M;
  }
  note(bandwidthSum - 1, '6c', null);
  note((esLoadGHz - params.fEsMaxGHz) / params.fEsMaxGHz, '6f', null);
  note((cacheKbit - params.sMaxKbit) / Math.max(params.sMaxKbit, meanBitsKbit), '6g', null);
  return report;
}
