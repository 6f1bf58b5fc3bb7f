/**
 * SP3, resources (SPEC section 3, step 3): the convex surrogate around the current point solved
 * to a certificate by the block interior-point method, and accepted only if the true objective
 * (with R~) does not rise, so J never increases.
 *
 * The current point sits on the boundary of several surrogate constraints (tau = 1/Rs exactly,
 * cached UEs at Rs = Rmin, sum b = 1, p = Pmax), and an interior-point method needs a strictly
 * interior start. Either the previous call's first central point is still strictly inside this
 * surrogate (a warm start, the usual case after the first AO iteration), or the point is pulled
 * inside the boxes and coupling rows by a relative 1e-2 and a phase one (one slack on the
 * normalised rate, tau, latency and energy slots) moves it strictly inside. Phase two then
 * minimises the surrogate: barrier centring, primal-dual steps, barrier again if those stall.
 */
import type { Problem } from '../problem.js';
import { totalLatencyMs } from '../model/latency-energy.js';
import { checkFeasibility } from '../model/feasibility.js';
import { clonePoint, copyPointInto, type Point } from '../model/point.js';
import type { IpmOutcome, IpmResult } from './block-ipm.js';
import { findInterior, ipmFor, worstSlackSlot, type InteriorSearch } from './block-interior.js';
import { expansionTau, NV, Sp3Surrogate, V_B, V_FES, V_FUE, V_P, V_TAU } from './sp3-surrogate.js';
import { ACCEPT_VIOLATION_F64, COLD_GAP_FRACTION, PHASE_ONE_TARGET, PULL, WARM_GAP_FRACTION } from './solver-constants.js';

/** Packs the point (and tau) into the solver's layout [M * NV]. */
export function packPoint(x: Point, tau: Float64Array): Float64Array {
  const M = x.alpha.length;
  const v = new Float64Array(M * NV);
  for (let m = 0; m < M; m++) {
    v[m * NV + V_B] = x.bandwidth[m];
    v[m * NV + V_P] = x.powerW[m];
    v[m * NV + V_FUE] = x.fUeGHz[m];
    v[m * NV + V_FES] = x.fEsGHz[m];
    v[m * NV + V_TAU] = tau[m];
  }
  return v;
}

/** Writes the solver's variables back into x and tau (fixed ones come back unchanged). */
export function unpackPoint(v: Float64Array, x: Point, tau: Float64Array): void {
  for (let m = 0; m < x.alpha.length; m++) {
    x.bandwidth[m] = v[m * NV + V_B];
    x.powerW[m] = v[m * NV + V_P];
    x.fUeGHz[m] = v[m * NV + V_FUE];
    x.fEsGHz[m] = v[m * NV + V_FES];
    tau[m] = v[m * NV + V_TAU];
  }
}

/** Moves v strictly inside the boxes and the two coupling rows, in place. */
export function pullInside(s: Sp3Surrogate, v: Float64Array): void {
  const { params } = s.problem;
  const keep = 1 - PULL;
  for (let m = 0; m < s.M; m++) {
    const f = m * NV;
    if (s.free[f + V_B]) v[f + V_B] *= keep;
    if (s.free[f + V_P]) v[f + V_P] = Math.min(v[f + V_P], params.pMaxW * keep);
    if (s.free[f + V_FUE]) v[f + V_FUE] = Math.min(v[f + V_FUE], params.fUeMaxGHz * keep);
    if (s.free[f + V_FES]) v[f + V_FES] = Math.min(v[f + V_FES] * keep, params.fEsMaxGHz * keep);
  }
}

export type Sp3Status = 'improved' | 'kept' | 'numerical-failure';

/** Carried from one SP3 call to the next of the same realisation. */
export interface Sp3WarmStart {
  v: Float64Array | null;
}
/** A warm start must be at least this far inside every slack slot (normalised units). */
const WARM_MARGIN = 1e-4;

export interface Sp3Outcome {
  status: Sp3Status;
  /** Why the previous point was kept, or what failed. */
  reason: string;
  /** Phase two's outcome ('solved' carries the certificate). */
  ipmOutcome: IpmOutcome | 'not-run';
  /** Phase two's duality gap relative to the surrogate objective. */
  relativeGap: number;
  iterations: number;
  /** Phase two's full result, for certificate checks in the tests. */
  ipm: IpmResult | null;
  surrogate: Sp3Surrogate;
}

/**
 * Runs SP3 on x in place (b, p, f_ue, f_es; s and alpha fixed) and writes the auxiliary tau.
 * @param jPrevMs the true objective at x before the step.
 */
export function solveResources(problem: Problem, x: Point, tau: Float64Array, jPrevMs: number, warm?: Sp3WarmStart): Sp3Outcome {
  const tauBar = expansionTau(problem, x);
  const s = new Sp3Surrogate(problem, x, tauBar);
  const v0 = packPoint(x, tauBar);
  pullInside(s, v0);
  const outcome = (status: Sp3Status, reason: string, ipm: IpmResult | null, iterations: number): Sp3Outcome => ({
    status, reason, ipmOutcome: ipm ? ipm.outcome : 'not-run',
    relativeGap: ipm ? ipm.gap / Math.abs(ipm.objective) : Number.NaN,
    iterations, ipm, surrogate: s,
  });

  const attempt = (useWarm: boolean): Sp3Outcome => {
    // Warm start: the previous call's first central point, with this call's fixed variables, is
    // usually strictly inside this surrogate too and close to its central path; else phase one.
    let inside: InteriorSearch | null = null;
    if (useWarm && warm?.v) {
      const candidate = warm.v.slice();
      for (let j = 0; j < candidate.length; j++) if (!s.free[j]) candidate[j] = v0[j];
      const check = worstSlackSlot(s, candidate);
      if (check.boxesInside && check.value < -WARM_MARGIN) {
        inside = { outcome: 'already-interior', v: candidate, sigma: check.value, worstSlot: check.slot, iterations: 0 };
      }
    }
    const warmStarted = inside !== null;
    inside ??= findInterior(s, v0, PHASE_ONE_TARGET);
    if (inside.outcome === 'numerical-failure') return outcome('numerical-failure', 'phase one failed', null, inside.iterations);
    if (!(inside.sigma < 0)) return outcome('kept', `no strictly feasible point (${inside.outcome})`, null, inside.iterations);
    const initialGapFraction = warmStarted ? WARM_GAP_FRACTION : COLD_GAP_FRACTION;
    const ipm = ipmFor(s).solve(s, inside.v, 'plain', 0, { initialGapFraction });
    const iterations = inside.iterations + ipm.iterations;
    if (warm) warm.v = ipm.firstCentre;
    if (ipm.outcome === 'numerical-failure') return outcome('numerical-failure', 'phase two failed', ipm, iterations);

    const trial = clonePoint(x);
    const trialTau = tau.slice();
    unpackPoint(ipm.x, trial, trialTau);
    const jTrial = totalLatencyMs(problem, trial);
    if (!(jTrial <= jPrevMs)) return outcome('kept', 'no improvement', ipm, iterations);
    const check = checkFeasibility(problem, trial, 'v1');
    if (check.maxViolation > ACCEPT_VIOLATION_F64) {
      return outcome('kept', `candidate breaks (${check.constraint}) by ${check.maxViolation}`, ipm, iterations);
    }
    copyPointInto(trial, x);
    tau.set(trialTau);
    return outcome('improved', ipm.outcome, ipm, iterations);
  };

  const hadWarm = Boolean(warm?.v);
  const first = attempt(true);
  if (first.status === 'improved' || !hadWarm) return first;
  // A warm start that did not lead to a step (it can stall on hard, low-SNR surrogates) is
  // retried from phase one, as a call without a warm start would have run.
  const cold = attempt(false);
  return { ...cold, iterations: first.iterations + cold.iterations };
}
