/**
 * The log-barrier interior-point method for a batched block problem (block-problem.ts: SP3's
 * surrogate or the joint one) over a whole batch, the float32 twin of the barrier part of
 * engine/ao/block-ipm.ts: every realisation carries its own barrier parameter t, step length,
 * centring test and done flag; done realisations stop changing while the rest go on. Shapes:
 * variables [N, M], per-realisation state [N, 1].
 *
 * Plain mode minimises the surrogate objective from a strictly feasible start; phase-one mode
 * minimises one slack sigma per realisation (slack slots read c_k <= sigma) and stops a
 * realisation as soon as sigma < -sigmaTarget.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BatchBlockProblem, BlockTerms, BlockVars } from './block-problem.js';
import { COLD_GAP_FRACTION, PHASE_ONE_START_MARGIN, PHASE_ONE_TARGET } from '../engine/ao/solver-constants.js';
import { newtonStep, slotValue } from './block-newton.js';
import { tidy } from './tidy.js';

type T = tf.Tensor;

export type BatchIpmMode = 'plain' | 'phase-one';

export interface BatchIpmOptions {
  /** Plain mode: a realisation is done when m/t <= gapRtol |F|. */
  gapRtol: number;
  /** Centring ends when dec2/2 <= max(centringTol |F|, centringGapFraction m/t). */
  centringTol: number;
  centringGapFraction: number;
  mu: number;
  /** The first gap m/t as a fraction of |F| (plain) or of max(|sigma|, 1e-3) (phase one). */
  initialGapFraction: number;
  sigmaTarget: number;
  maxNewtonSteps: number;
  maxHalvings: number;
  /** When at most this fraction of the realisations is left, they get stragglerSteps more steps. */
  stragglerFraction: number;
  stragglerSteps: number;
}

export const DEFAULT_BATCH_IPM_OPTIONS: BatchIpmOptions = {
  gapRtol: 1e-5, centringTol: 1e-5, centringGapFraction: 0.01, mu: 50, initialGapFraction: COLD_GAP_FRACTION,
  sigmaTarget: PHASE_ONE_TARGET, maxNewtonSteps: 150, maxHalvings: 30, stragglerFraction: 0.005, stragglerSteps: 5,
};

export interface BatchIpmResult {
  v: BlockVars;
  /** [N, 1] (phase one); null in plain mode. */
  sigma: T | null;
  /** [N, 1] 1 where the realisation stopped: solved, interior found, or centred as far as float32 allows. */
  done: T;
  /** [N, 1] 1 where it stopped centred with the gap below gapRtol |F| (the certificate). */
  certified: T;
  /** [N, 1] 1 where the Newton step produced NaN (numerical failure of that realisation). */
  failed: T;
  /** [N, 1] the gap m/t at the end. */
  gap: T;
  newtonSteps: number;
}

interface Eval {
  f: T; // F per realisation [N, 1]
  psiLogs: T; // sum log(-f_i) per realisation [N, 1]
  feasible: T; // [N, 1] 0/1
}

/**
 * F, the barrier's log sum and strict feasibility per realisation at v (inside a caller's tidy);
 * with `withDerivatives` also the slots' gradients for the Newton step.
 */
function barrierParts(P: BatchBlockProblem, v: BlockVars, sigma: T | null, active: T[], withDerivatives: boolean): Eval & { slots: BlockTerms[]; obj: BlockTerms } {
  const { objective, slots } = P.evaluate(v, withDerivatives);
  // The largest constraint value and the sum of log(-f) per UE. An inactive slot reads -1 and
  // adds log(1) = 0, except a slack slot in phase one (-1 - sigma), which the mask removes.
  let worst: T = tf.neg(P.order.map((k) => v[k]).reduce((a, b) => tf.minimum(a, b))); // domain: every variable > 0
  let logSum: T | null = null;
  slots.forEach((slot, k) => {
    const f = slotValue(k, slot, sigma, P.slackSlots);
    worst = tf.maximum(worst, f);
    const log = tf.log(tf.neg(f));
    const term = sigma !== null && k < P.slackSlots ? tf.mul(active[k], log) : log;
    logSum = logSum === null ? term : tf.add(logSum, term);
  });
  const [g0, g1] = couplingValues(P, v);
  const feasible = tf.cast(tf.less(tf.maximum(tf.max(worst, 1, true), tf.maximum(g0, g1)), 0), 'float32');
  // NaN where infeasible: those rows fail the Armijo test anyway.
  const logs = tf.add(tf.sum(logSum!, 1, true), tf.add(tf.log(tf.neg(g0)), tf.log(tf.neg(g1))));
  const f = sigma !== null ? sigma : tf.sum(objective.val, 1, true);
  return { f, psiLogs: logs, feasible, slots, obj: objective };
}

/** g_k = sum_m weight v - rhs of the two coupling rows, [N, 1] each. */
function couplingValues(P: BatchBlockProblem, v: BlockVars): [T, T] {
  const g = (k: 0 | 1): T => {
    const row = P.coupling[k];
    return tf.sub(tf.sum(row.weight ? tf.mul(row.weight, v[row.v]) : v[row.v], 1, true), row.rhs);
  };
  return [g(0), g(1)];
}

/** Number of active constraints per realisation [N, 1] (slots plus the two coupling rows). */
function activeCount(active: T[]): T {
  return tf.add(2, active.reduce((acc: T, a) => tf.add(acc, tf.sum(a, 1, true)), tf.zeros([active[0].shape[0], 1])));
}

const keep = (mask: T, a: T, b: T): T => tf.where(tf.greater(mask, 0), a, b);

/**
 * Per-realisation choice between two sets of variables: mask [N, 1], a and b [N, M] each. The
 * mask is broadcast once by an addition (tf.where would Tile it for every variable, which is
 * slow on the wasm backend).
 */
function keepVars(order: readonly string[], mask: T, a: BlockVars, b: BlockVars): BlockVars {
  return tidy(() => {
    const wide = tf.greater(tf.add(mask, tf.zerosLike(b[order[0]])), 0);
    return Object.fromEntries(order.map((k) => [k, tf.where(wide, a[k], b[k])]));
  });
}

/** Reads the number of positive entries back to the host (a synchronisation), disposing `x`. */
async function countPositive(x: T): Promise<number> {
  const n = tf.tidy(() => tf.sum(tf.cast(tf.greater(x, 0), 'float32')));
  const v = (await n.data())[0];
  tf.dispose([x, n]);
  return v;
}

async function anyPositive(x: T): Promise<boolean> {
  const m = tf.max(x);
  const v = (await m.data())[0];
  tf.dispose([x, m]);
  return v > 0;
}

/**
 * Runs the barrier method from v0 (strictly inside every constraint that does not take the
 * slack; in phase one sigma0 [N, 1] above every slack slot). `rowActive` [N, 1] masks the
 * realisations to solve; the others are returned unchanged and marked done.
 */
export async function solveBarrierBatch(
  P: BatchBlockProblem, v0: BlockVars, mode: BatchIpmMode, rowActive: T, sigma0: T | null, options: Partial<BatchIpmOptions> = {},
): Promise<BatchIpmResult> {
  const o = { ...DEFAULT_BATCH_IPM_OPTIONS, ...options };
  const phaseOne = mode === 'phase-one';
  const VARS = P.order;
  // Owned copies (clones share data), disposed at the end with the rest of the state.
  const active = tf.tidy(() => P.active().map((a) => tf.clone(a)));
  const m = tf.tidy(() => activeCount(active));
  let v: BlockVars = Object.fromEntries(VARS.map((k) => [k, tf.clone(v0[k])]));
  let sigma: T | null = phaseOne ? tf.clone(sigma0!) : null;
  let done = tf.sub(1, rowActive);
  let failed = tf.zerosLike(rowActive);
  let certified = tf.zerosLike(rowActive);
  let t = tf.tidy(() => {
    const e = barrierParts(P, v, sigma, active, false);
    const scale = phaseOne ? tf.maximum(tf.abs(sigma!), 1e-3) : tf.abs(e.f);
    return tf.div(m, tf.add(tf.mul(o.initialGapFraction, scale), 1e-12));
  });
  const replace = <K extends T>(old: K, next: K): K => {
    old.dispose();
    return next;
  };
  let steps = 0;
  let stragglerSteps = 0;
  const rowsToSolve = await countPositive(tf.clone(rowActive));
  for (; steps < o.maxNewtonSteps; steps++) {
    // Stop rows: phase one as soon as sigma < -target.
    if (phaseOne) done = replace(done, tf.tidy(() => tf.maximum(done, tf.cast(tf.less(sigma!, -o.sigmaTarget), 'float32'))));
    const remaining = await countPositive(tf.tidy(() => tf.sub(1, tf.maximum(done, failed))));
    if (remaining === 0) break;
    // Stragglers: once all but a few realisations are done, the rest get a few more steps and
    // then stop where they are (strictly feasible, not certified) instead of holding the batch.
    if (remaining <= o.stragglerFraction * rowsToSolve && ++stragglerSteps > o.stragglerSteps) break;
    const step = tidy(() => {
      const e = barrierParts(P, v, sigma, active, true);
      const [g0, g1] = couplingValues(P, v);
      const nt = newtonStep(P, phaseOne ? null : e.obj, e.slots, active, { t, sigma, g0, g1 });
      const nan = tf.cast(tf.logicalNot(tf.isFinite(nt.decrement2)), 'float32');
      const fScale = phaseOne ? tf.onesLike(t) : tf.maximum(tf.abs(e.f), 1);
      const gap = tf.div(m, t);
      const centred = tf.lessEqual(tf.div(nt.decrement2, 2), tf.maximum(tf.mul(o.centringTol, fScale), tf.mul(o.centringGapFraction, gap)));
      const gapSmall = phaseOne ? tf.lessEqual(gap, 1e-9) : tf.lessEqual(gap, tf.mul(o.gapRtol, fScale));
      const finished = tf.logicalAnd(centred, gapSmall);
      // Fraction to the boundary from the linearisation of every constraint.
      let sMax: T = tf.fill([P.N, 1], 1 / 0.99);
      e.slots.forEach((slot, k) => {
        let slope: T = phaseOne && k < P.slackSlots ? tf.neg(nt.dSigma!) : tf.zerosLike(slot.val);
        for (const name of Object.keys(slot.grad)) slope = tf.add(slope, tf.mul(slot.grad[name]!, nt.dx[name]));
        const f = slotValue(k, slot, sigma, P.slackSlots);
        const ratio = tf.where(tf.logicalAnd(tf.greater(slope, 0), tf.greater(active[k], 0)), tf.div(tf.neg(f), slope), tf.fill(slope.shape, Infinity));
        sMax = tf.minimum(sMax, tf.min(ratio, 1, true));
      });
      const [slope0, slope1] = P.coupling.map((row) => tf.sum(row.weight ? tf.mul(row.weight, nt.dx[row.v]) : nt.dx[row.v], 1, true));
      sMax = tf.minimum(sMax, tf.where(tf.greater(slope0, 0), tf.div(tf.neg(g0), slope0), tf.fill(slope0.shape, Infinity)));
      sMax = tf.minimum(sMax, tf.where(tf.greater(slope1, 0), tf.div(tf.neg(g1), slope1), tf.fill(slope1.shape, Infinity)));
      if (phaseOne) {
        // Land sigma near -2 sigmaTarget rather than deep inside.
        const cap = tf.div(tf.maximum(tf.add(sigma!, 2 * o.sigmaTarget), 0), tf.neg(nt.dSigma!));
        sMax = tf.minimum(sMax, tf.where(tf.less(nt.dSigma!, 0), tf.div(cap, 0.99), tf.fill(cap.shape, Infinity)));
      }
      const psi0 = tf.sub(e.f, tf.div(e.psiLogs, t));
      // The next t: mu t, but no further than the gap target needs (a larger t only makes the
      // float32 Newton systems worse conditioned).
      const tNext = phaseOne ? tf.mul(t, o.mu) : tf.maximum(t, tf.minimum(tf.mul(t, o.mu), tf.div(m, tf.mul(0.5 * o.gapRtol, fScale))));
      return {
        dx: nt.dx, dSigma: nt.dSigma, dec2: nt.decrement2, nan, centred: tf.cast(centred, 'float32'),
        finished: tf.cast(finished, 'float32'), gapSmall: tf.cast(gapSmall, 'float32'), s0: tf.minimum(1, tf.mul(0.99, sMax)), psi0, tNext,
      };
    });
    // Rows: failed on NaN; finished rows are done; centred rows raise t; the rest search.
    const moving = tf.tidy(() => tf.mul(tf.mul(tf.sub(1, done), tf.sub(1, failed)), tf.sub(1, tf.maximum(step.centred, step.nan))));
    failed = replace(failed, tf.tidy(() => tf.maximum(failed, tf.mul(tf.sub(1, done), step.nan))));
    certified = replace(certified, tf.tidy(() => tf.maximum(certified, tf.mul(tf.mul(step.finished, tf.sub(1, failed)), tf.sub(1, done)))));
    done = replace(done, tf.tidy(() => tf.maximum(done, tf.mul(step.finished, tf.sub(1, failed)))));
    t = replace(t, tf.tidy(() => keep(tf.mul(tf.mul(step.centred, tf.sub(1, done)), tf.sub(1, failed)), step.tNext, t)));

    // Backtracking per row: feasibility, then Armijo on psi_t.
    let s = tf.mul(step.s0, moving);
    let pending = tf.clone(moving);
    for (let h = 0; h < o.maxHalvings; h++) {
      if (!(await anyPositive(tf.clone(pending)))) break;
      const trial = tidy(() => {
        const vt: BlockVars = Object.fromEntries(VARS.map((k) => [k, tf.add(v[k], tf.mul(s, step.dx[k]))]));
        const sigmaT = phaseOne ? tf.add(sigma!, tf.mul(s, step.dSigma!)) : null;
        const e = barrierParts(P, vt, sigmaT, active, false);
        const psi = tf.sub(e.f, tf.div(e.psiLogs, t));
        // Armijo, and a strict decrease: in float32 a tiny step can leave psi unchanged.
        const armijo = tf.logicalAnd(tf.lessEqual(psi, tf.sub(step.psi0, tf.mul(0.01, tf.mul(s, step.dec2)))), tf.less(psi, step.psi0));
        const ok = tf.mul(tf.mul(e.feasible, tf.cast(armijo, 'float32')), pending);
        return { vt, sigmaT, ok };
      });
      const nextV = keepVars(VARS, trial.ok, trial.vt, v);
      tf.dispose(Object.values(v));
      v = nextV;
      if (phaseOne) sigma = replace(sigma!, tf.tidy(() => keep(trial.ok, trial.sigmaT!, sigma!)));
      pending = replace(pending, tf.tidy(() => tf.mul(pending, tf.sub(1, trial.ok))));
      s = replace(s, tf.tidy(() => keep(pending, tf.mul(s, 0.5), s)));
      tf.dispose([...Object.values(trial.vt), trial.sigmaT ?? [], trial.ok]);
    }
    // Rows whose search failed are centred as far as float32 allows: done if the gap is small,
    // else raise t.
    const stuckDone = tf.tidy(() => tf.mul(pending, step.gapSmall));
    done = replace(done, tf.tidy(() => tf.maximum(done, stuckDone)));
    t = replace(t, tf.tidy(() => keep(tf.mul(pending, tf.sub(1, stuckDone)), step.tNext, t)));
    stuckDone.dispose();
    tf.dispose([pending, s, ...Object.values(step.dx), step.dSigma ?? [], step.dec2, step.nan, step.centred, step.finished, step.gapSmall, step.s0, step.psi0, step.tNext, moving]);
  }
  const gap = tf.div(m, t);
  tf.dispose([t, m, ...active]);
  return { v, sigma, done, certified, failed, gap, newtonSteps: steps };
}

export interface BlockBatchSolution {
  /** The last strictly interior iterate of phase two (the start where phase one failed). */
  v: BlockVars;
  /** [N, 1] 1 where phase two ran from a strictly interior point and did not fail: v is a candidate. */
  solved: T;
  /** [N, 1] 1 where phase two certified its optimum (gap below gapRtol, centred). */
  certified: T;
  /** [N, 1] 1 where a step produced NaN. */
  failed: T;
  newtonSteps: number;
}

/**
 * Both phases from v0 (pulled inside the boxes and coupling rows): phase one from sigma0 just
 * above each realisation's largest slack slot, then phase two on the rows it brought strictly
 * inside. Every strictly interior iterate is a valid candidate (the caller takes it only if J
 * does not rise); realisations stopped as stragglers are candidates but not certified.
 */
export async function solveBlockBatch(P: BatchBlockProblem, v0: BlockVars, rowActive: T, options: Partial<BatchIpmOptions> = {}): Promise<BlockBatchSolution> {
  const sigma0 = tidy(() => {
    const { slots } = P.evaluate(v0, false);
    const active = P.active();
    let worst: T = tf.fill([P.N, 1], -Infinity);
    for (let k = 0; k < P.slackSlots; k++) {
      const val = tf.where(tf.greater(active[k], 0), slots[k].val, tf.fill(slots[k].val.shape, -Infinity));
      worst = tf.maximum(worst, tf.max(val, 1, true));
    }
    return tf.add(worst, tf.mul(PHASE_ONE_START_MARGIN, tf.maximum(1, tf.abs(worst))));
  });
  const one = await solveBarrierBatch(P, v0, 'phase-one', rowActive, sigma0, options);
  const inside = tidy(() => tf.mul(tf.mul(rowActive, tf.cast(tf.less(one.sigma!, 0), 'float32')), tf.sub(1, one.failed)));
  const two = await solveBarrierBatch(P, one.v, 'plain', inside, null, options);
  const solved = tidy(() => tf.mul(inside, tf.sub(1, two.failed)));
  const failed = tidy(() => tf.maximum(one.failed, two.failed));
  tf.dispose([sigma0, inside, one.sigma ?? [], one.done, one.certified, one.failed, one.gap, two.done, two.failed, two.gap, ...Object.values(one.v)]);
  return { v: two.v, solved, certified: two.certified, failed, newtonSteps: one.newtonSteps + two.newtonSteps };
}
