/**
 * The joint optimiser (docs/joint-optimiser.md): successive convex approximation over every
 * continuous variable at once (alpha, b, p, f_ue, f_es and tau), with the caching set fixed,
 * started from the AO's final point. Each step builds the joint surrogate around the current
 * point (joint-surrogate.ts), pulls the point inside its boxes and coupling rows, finds a strictly
 * interior point by phase one and minimises the surrogate to a certificate with the block
 * interior-point method; the candidate is taken only if the true J (with R~) does not rise and it
 * passes the model's check of (6). The steps stop on the AO's rule |J(i) - J(i-1)| <= tol J(i-1),
 * on a step that is not taken, or after Imax steps. The result is never worse than the start.
 */
import type { Problem } from '../problem.js';
import { checkFeasibility } from '../model/feasibility.js';
import { totalLatencyMs } from '../model/latency-energy.js';
import { clonePoint, copyPointInto, pointIsFinite, type Point } from '../model/point.js';
import { findInterior, ipmFor } from './block-interior.js';
import { JointSurrogate } from './joint-surrogate.js';
import { expansionTau } from './sp3-surrogate.js';
import { ACCEPT_VIOLATION_F64, JOINT_GAP_FRACTION, PHASE_ONE_TARGET, PULL } from './solver-constants.js';

// The first barrier gap is JOINT_GAP_FRACTION (solver-constants.ts). Warm starts from the previous
// step's central point (as SP3's) were almost never strictly inside the next surrogate (its tau
// slots are tight at the new point), so every step starts from phase one.
/**
 * A step's certificate: duality gap <= GAP_RTOL |J^|. Looser than SP3's 1e-9: the steps stop on
 * a 1e-3 relative change, and near alpha = 0 the rank-one curvature of alpha^3/r^2 makes the
 * last digits of the barrier's Newton systems unreliable.
 */
const GAP_RTOL = 1e-7;

export type JointStop = 'converged' | 'no-improvement' | 'no-interior' | 'max-iterations' | 'numerical-failure';

export interface JointStats {
  /** SCA steps taken (each lowered J or kept it equal). */
  steps: number;
  /** Why the steps ended. */
  stop: JointStop;
  /** Surrogate solves, how many ended certified (duality gap), and their largest relative gap; the rest ended uncertified (their iterate is still a candidate). */
  solves: number;
  certified: number;
  maxRelativeGap: number;
  newtonSteps: number;
  /** J at the start (the AO's) and at the end [ms]. */
  startMs: number;
  endMs: number;
}

/**
 * Runs the joint SCA on x in place (s fixed) and appends J after every step taken to traceMs.
 * A numerical failure inside a step ends the steps with x at the last good point.
 */
export function refineJoint(problem: Problem, x: Point, traceMs: number[]): JointStats {
  const { params } = problem;
  let j = totalLatencyMs(problem, x);
  const stats: JointStats = {
    steps: 0, stop: 'max-iterations', solves: 0, certified: 0, maxRelativeGap: 0, newtonSteps: 0, startMs: j, endMs: j,
  };
  const end = (stop: JointStop): JointStats => {
    stats.stop = stop;
    stats.endMs = j;
    return stats;
  };
  if (!Number.isFinite(j)) return end('numerical-failure');
  for (let i = 1; i <= params.maxIterations; i++) {
    const tauBar = expansionTau(problem, x);
    const s = new JointSurrogate(problem, x, tauBar);
    const v0 = s.pack(x, tauBar);
    s.pullInside(v0, x, PULL);
    const inside = findInterior(s, v0, PHASE_ONE_TARGET);
    stats.newtonSteps += inside.iterations;
    if (inside.outcome === 'numerical-failure') return end('numerical-failure');
    if (!(inside.sigma < 0)) return end('no-interior');
    const ipm = ipmFor(s).solve(s, inside.v, 'plain', 0, { initialGapFraction: JOINT_GAP_FRACTION, gapRtol: GAP_RTOL });
    stats.solves++;
    stats.newtonSteps += ipm.iterations;
    // Every iterate the method accepted is strictly feasible for the surrogate, so even one that
    // ended in a numerical failure is a candidate: it is taken only if it passes the checks below.
    if (ipm.outcome === 'solved') {
      stats.certified++;
      stats.maxRelativeGap = Math.max(stats.maxRelativeGap, ipm.gap / Math.abs(ipm.objective));
    }
    const trial = clonePoint(x);
    const trialTau = tauBar.slice();
    s.unpack(ipm.x, trial, trialTau);
    const jTrial = totalLatencyMs(problem, trial);
    if (!pointIsFinite(trial) || !(jTrial <= j)) return end('no-improvement');
    if (checkFeasibility(problem, trial, 'v1').maxViolation > ACCEPT_VIOLATION_F64) return end('no-improvement');
    copyPointInto(trial, x);
    const jPrev = j;
    j = jTrial;
    traceMs.push(j);
    stats.steps = i;
    if (Math.abs(jPrev - j) <= params.tolerance * jPrev) return end('converged');
  }
  return end('max-iterations');
}
