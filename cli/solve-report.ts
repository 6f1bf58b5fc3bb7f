/**
 * The result of `dtmc solve` as one plain object: what `--json` prints and what the readable
 * report is formatted from. Per-device arrays have shape [M], index m = device (UE m in the
 * readable table). Non-finite numbers (an infeasible realisation has no objective) become null
 * in JSON.
 */
import type { AoResult, AoStatus, Sp3Certificate } from '../engine/ao/solve-ao.js';
import type { JointStats } from '../engine/ao/joint-sca.js';
import type { ConstraintId } from '../engine/model/feasibility.js';
import { evaluate } from '../engine/model/latency-energy.js';
import type { Problem } from '../engine/problem.js';
import type { Settings } from '../engine/settings.js';

/** Which realisation was solved: a generated one, or one read from a file. */
export type RunKey =
  | { seed: number; point: number | null; realisation: number }
  | { scenario: string };

export interface SolveReport {
  /** dtmc version that produced the report. */
  version: string;
  status: AoStatus;
  /** AO iterations run, plus the joint SCA's steps (method joint). */
  iterations: number;
  /** J with the V = 1 rate R~ (what the AO minimises) [ms]. */
  objectiveMs: number;
  /** J with the exact rate R [ms]. */
  objectiveExactMs: number;
  /** J(0), J(1), ... [ms], one entry per iteration plus the start. */
  trace: number[];
  /** J after SP1, SP2 and SP3 of every iteration [ms]. */
  stepTrace: number[];
  /** Largest relative violation of (6) at the final point, exact rate. */
  maxViolation: number;
  violatedConstraint: ConstraintId | null;
  /** 0-based device of that constraint, null for coupling constraints. */
  violatedDevice: number | null;
  /** Why infeasible or what failed; empty when solved. */
  message: string;
  /** How the feasible start was found ("direct", "phase-one: ...", "bandwidth test", ...). */
  start: string;
  /** Infeasible only: the constraint group that could not hold, and whether that is proven. */
  failedConstraint: ConstraintId | null;
  proven: boolean;
  sp3: Sp3Certificate;
  /** Method joint: the joint SCA's steps after the AO (J before and after, certificates); else null. */
  joint: JointStats | null;
  /** The full resolved parameter set of the run. */
  settings: Settings;
  key: RunKey;
  M: number;
  /** s_m, 0 or 1. */
  cached: number[];
  alpha: number[];
  /** b_m, share of the band. */
  bandwidth: number[];
  powerW: number[];
  fUeGHz: number[];
  fEsGHz: number[];
  /** T_m with R~ [ms]. */
  latencyMs: number[];
  /** T_m with the exact rate [ms]. */
  latencyExactMs: number[];
  /** E_m with R~ [mJ]. */
  energyMj: number[];
  /** R~_m, the V = 1 rate the optimiser uses [Mbit/s]. */
  rateMbps: number[];
  /** R_m with the exact dispersion [Mbit/s]. */
  rateExactMbps: number[];
  /** Wall time of the solver [ms]. */
  timeMs: number;
}

export function buildSolveReport(
  problem: Problem, result: AoResult, settings: Settings, key: RunKey, timeMs: number, version: string,
): SolveReport {
  const x = result.point;
  const v1 = evaluate(problem, x, 'v1');
  const exact = evaluate(problem, x, 'exact');
  return {
    version,
    status: result.status,
    iterations: result.iterations,
    objectiveMs: result.objectiveMs,
    objectiveExactMs: result.objectiveExactMs,
    trace: [...result.traceMs],
    stepTrace: [...result.stepTraceMs],
    maxViolation: result.maxViolation,
    violatedConstraint: result.violatedConstraint,
    violatedDevice: result.violatedDevice,
    message: result.message,
    start: result.start.method,
    failedConstraint: result.start.failedConstraint,
    proven: result.start.proven,
    sp3: { ...result.sp3 },
    joint: result.joint ? { ...result.joint } : null,
    settings: { ...settings },
    key,
    M: x.alpha.length,
    cached: Array.from(x.cached),
    alpha: Array.from(x.alpha),
    bandwidth: Array.from(x.bandwidth),
    powerW: Array.from(x.powerW),
    fUeGHz: Array.from(x.fUeGHz),
    fEsGHz: Array.from(x.fEsGHz),
    latencyMs: Array.from(v1.latencyMs),
    latencyExactMs: Array.from(exact.latencyMs),
    energyMj: Array.from(v1.energyMj),
    rateMbps: Array.from(v1.rateMbps),
    rateExactMbps: Array.from(exact.rateMbps),
    timeMs,
  };
}
