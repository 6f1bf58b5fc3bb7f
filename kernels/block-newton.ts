/**
 * One Newton step of a batched block problem's barrier problem (block-problem.ts: SP3's surrogate
 * or the joint one) for a whole batch, as tensor ops: the float32 twin of
 * engine/ao/block-newton.ts. Per UE a block over the problem's variables (in its `order`, which
 * keeps the Cholesky factor as sparse as the block; structural zeros are skipped), per
 * realisation a rank-2 coupling by Woodbury, and in phase one the global slack sigma by a Schur
 * complement. Shapes: [N, M] per UE, [N, 1] per realisation.
 *
 * Barrier psi_t = F - (1/t) sum log(-f_i) with central multipliers lambda_i = 1/(t (-f_i)):
 *   H = grad^2 F + sum_i lambda_i grad^2 f_i + sum_i t lambda_i^2 grad f_i grad f_i^T
 *   rhs = -(grad F + sum_i lambda_i grad f_i)
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BatchBlockProblem, BlockTerms, BlockVars } from './block-problem.js';

type T = tf.Tensor;
const add = (a: T | null, b: T | null): T | null => (a === null ? b : b === null ? a : tf.add(a, b));
const mul = (a: T | null, b: T | null): T | null => (a === null || b === null ? null : tf.mul(a, b));
const sub = (a: T | null, b: T | null): T | null => (b === null ? a : a === null ? tf.neg(b) : tf.sub(a, b));

export interface BarrierState {
  /** Per realisation [N, 1]: barrier parameter, and the slack (phase one only). */
  t: T;
  sigma: T | null;
  /** Coupling values g_k = sum weight v - rhs of the problem's two rows, [N, 1]. */
  g0: T;
  g1: T;
}

export interface NewtonStep {
  dx: BlockVars;
  /** [N, 1]; null outside phase one. */
  dSigma: T | null;
  /** Newton decrement^2 per realisation [N, 1] (psi scaled by 1/t). */
  decrement2: T;
}

/** Slot value with the slack subtracted on the slack slots (k < slackSlots) in phase one. */
export const slotValue = (k: number, slot: BlockTerms, sigma: T | null, slackSlots: number): T =>
  sigma !== null && k < slackSlots ? tf.sub(slot.val, sigma) : slot.val;

/**
 * The Newton step at the current point (inside a caller's tidy). `objective` is null in phase
 * one (F = sigma); `active` are the slot masks of `slotActive`.
 */
export function newtonStep(P: BatchBlockProblem, objective: BlockTerms | null, slots: BlockTerms[], active: T[], st: BarrierState): NewtonStep {
  const ORDER = P.order;
  const rank = (v: string): number => ORDER.indexOf(v);
  const phaseOne = st.sigma !== null;
  // Diagonal, off-diagonal (by ordered pair key) and right-hand side accumulators.
  const diag: Partial<Record<string, T | null>> = {};
  const off = new Map<string, T | null>();
  const pairKey = (a: string, b: string): string => (rank(a) < rank(b) ? `${a}|${b}` : `${b}|${a}`);
  const addOff = (a: string, b: string, h: T | null): void => {
    const key = pairKey(a, b);
    off.set(key, add(off.get(key) ?? null, h));
  };
  const rhs: Partial<Record<string, T | null>> = {};
  const hcol: Partial<Record<string, T | null>> = {};
  let hssUe: T | null = null; // sum over slack slots of t lambda^2, [N, M]
  let lamSlackUe: T | null = null; // sum over slack slots of lambda, [N, M]
  if (objective) {
    for (const v of Object.keys(objective.hd)) diag[v] = add(diag[v] ?? null, objective.hd[v]!);
    for (const v of Object.keys(objective.grad)) rhs[v] = sub(rhs[v] ?? null, objective.grad[v]!);
    for (const { a, b, h } of objective.cross ?? []) addOff(a, b, h);
  }
  slots.forEach((slot, k) => {
    const slack = phaseOne && k < P.slackSlots;
    const f = slotValue(k, slot, st.sigma, P.slackSlots);
    const lambda = tf.div(active[k], tf.mul(st.t, tf.neg(f)));
    const w = tf.mul(st.t, tf.square(lambda));
    const vars = Object.keys(slot.grad);
    for (const a of vars) {
      const ga = slot.grad[a]!;
      const wga = tf.mul(w, ga);
      diag[a] = add(add(diag[a] ?? null, mul(lambda, slot.hd[a] ?? null)), tf.mul(wga, ga));
      rhs[a] = sub(rhs[a] ?? null, tf.mul(lambda, ga));
      for (const bVar of vars) if (rank(bVar) > rank(a)) addOff(a, bVar, tf.mul(wga, slot.grad[bVar]!));
      if (slack) hcol[a] = sub(hcol[a] ?? null, wga);
    }
    for (const { a, b, h } of slot.cross ?? []) addOff(a, b, tf.mul(lambda, h));
    if (slack) {
      hssUe = add(hssUe, w);
      lamSlackUe = add(lamSlackUe, lambda);
    }
  });
  // Fixed variables: identity rows (their gradients are zero by construction).
  for (const [v, mask] of Object.entries(P.freeMask)) diag[v] = add(diag[v] ?? null, tf.sub(1, mask!));

  // Coupling rows: d_k = lambda_k / (-g_k), and their barrier gradients in the right-hand side.
  const [row0, row1] = P.coupling;
  const zero = tf.zerosLike(slots[0].val);
  const weight = (row: typeof row0): T => row.weight ?? tf.onesLike(zero);
  const lc0 = tf.reciprocal(tf.mul(st.t, tf.neg(st.g0)));
  const lc1 = tf.reciprocal(tf.mul(st.t, tf.neg(st.g1)));
  const d0 = tf.div(lc0, tf.neg(st.g0));
  const d1 = tf.div(lc1, tf.neg(st.g1));
  rhs[row0.v] = sub(rhs[row0.v] ?? null, tf.mul(lc0, weight(row0)));
  rhs[row1.v] = sub(rhs[row1.v] ?? null, tf.mul(lc1, weight(row1)));

  const entry = (a: string, b: string): T | null => (a === b ? diag[a] ?? null : off.get(pairKey(a, b)) ?? null);
  const L = cholesky(ORDER, entry);
  const solve = (r: Partial<Record<string, T | null>>): BlockVars => choleskySolve(ORDER, L, r);
  const sumRows = (x: T): T => tf.sum(x, 1, true);
  /** u_k . w per realisation. */
  const dotRow = (row: typeof row0, w: BlockVars): T => sumRows(row.weight ? tf.mul(row.weight, w[row.v]) : w[row.v]);

  // Block solves: the right-hand side and the two coupling columns.
  const y = solve(rhs);
  const z0 = solve({ [row0.v]: weight(row0) });
  const z1 = solve({ [row1.v]: weight(row1) });
  // Woodbury with v_k = sqrt(d_k) u_k: S = I + V^T Hb^-1 V, per realisation.
  const s0 = tf.sqrt(d0);
  const s1 = tf.sqrt(d1);
  const u0z0 = dotRow(row0, z0);
  const u0z1 = dotRow(row0, z1);
  const u1z1 = dotRow(row1, z1);
  const S00 = tf.add(1, tf.mul(d0, u0z0));
  const S01 = tf.mul(tf.mul(s0, s1), u0z1);
  const S11 = tf.add(1, tf.mul(d1, u1z1));
  const det = tf.sub(tf.mul(S00, S11), tf.square(S01));
  const applyCoupling = (w: BlockVars): BlockVars => {
    const q0 = tf.mul(s0, dotRow(row0, w));
    const q1 = tf.mul(s1, dotRow(row1, w));
    const c0 = tf.mul(s0, tf.div(tf.sub(tf.mul(S11, q0), tf.mul(S01, q1)), det));
    const c1 = tf.mul(s1, tf.div(tf.sub(tf.mul(S00, q1), tf.mul(S01, q0)), det));
    const out: BlockVars = {};
    for (const v of ORDER) out[v] = tf.sub(w[v], tf.add(tf.mul(c0, z0[v]), tf.mul(c1, z1[v])));
    return out;
  };
  let dx = applyCoupling(y);
  let dSigma: T | null = null;
  let rSigma: T | null = null;
  if (phaseOne) {
    // [A h; h^T hss] [dx; dsigma] = [r; rSigma].
    const ah = applyCoupling(solve(hcol));
    let hAr: T = tf.zerosLike(st.t);
    let hAh: T = tf.zerosLike(st.t);
    for (const v of ORDER) {
      const h = hcol[v];
      if (!h) continue;
      hAr = tf.add(hAr, sumRows(tf.mul(h, dx[v])));
      hAh = tf.add(hAh, sumRows(tf.mul(h, ah[v])));
    }
    rSigma = tf.add(-1, sumRows(lamSlackUe ?? zero));
    dSigma = tf.div(tf.sub(rSigma, hAr), tf.sub(sumRows(hssUe ?? zero), hAh));
    const ds = dSigma;
    const corrected: BlockVars = {};
    for (const v of ORDER) corrected[v] = tf.sub(dx[v], tf.mul(ds, ah[v]));
    dx = corrected;
  }
  // Fixed variables do not move.
  for (const [v, mask] of Object.entries(P.freeMask)) dx[v] = tf.mul(dx[v], mask!);
  let decrement2: T = rSigma && dSigma ? tf.mul(rSigma, dSigma) : tf.zerosLike(st.t);
  for (const v of ORDER) {
    const r = rhs[v];
    if (r) decrement2 = tf.add(decrement2, sumRows(tf.mul(r, dx[v])));
  }
  return { dx, dSigma, decrement2 };
}

type Factor = { l: Map<string, T | null>; d: Partial<Record<string, T>> };

/** L L^T of the symmetric block given by `entry` (null = structural zero), element-wise over [N, M]. */
function cholesky(ORDER: readonly string[], entry: (a: string, b: string) => T | null): Factor {
  const l = new Map<string, T | null>();
  const d: Partial<Record<string, T>> = {};
  const get = (i: number, j: number): T | null => (i === j ? d[ORDER[i]]! : l.get(`${i}|${j}`) ?? null);
  for (let j = 0; j < ORDER.length; j++) {
    const diagonal = entry(ORDER[j], ORDER[j])!;
    let s: T | null = diagonal;
    for (let k = 0; k < j; k++) s = sub(s, mul(get(j, k), get(j, k)));
    // In float32 a pivot of a nearly singular block can round to <= 0 late in the barrier
    // (t ~ 1e6); floor it at 1e-7 of its diagonal entry (a modified Cholesky). The step stays a
    // descent direction and the line search guards the rest.
    d[ORDER[j]] = tf.sqrt(tf.maximum(s!, tf.mul(1e-7, diagonal)));
    for (let i = j + 1; i < ORDER.length; i++) {
      let v = entry(ORDER[i], ORDER[j]);
      for (let k = 0; k < j; k++) v = sub(v, mul(get(i, k), get(j, k)));
      l.set(`${i}|${j}`, v === null ? null : tf.div(v, d[ORDER[j]]!));
    }
  }
  return { l, d };
}

/** Solves L L^T y = r for every UE (missing components of r are zero). */
function choleskySolve(ORDER: readonly string[], F: Factor, r: Partial<Record<string, T | null>>): BlockVars {
  const n = ORDER.length;
  const get = (i: number, j: number): T | null => (i === j ? F.d[ORDER[i]]! : F.l.get(`${i}|${j}`) ?? null);
  const z: (T | null)[] = [];
  for (let i = 0; i < n; i++) {
    let s: T | null = r[ORDER[i]] ?? null;
    for (let k = 0; k < i; k++) s = sub(s, mul(get(i, k), z[k]));
    z.push(s === null ? null : tf.div(s, get(i, i)!));
  }
  const x: (T | null)[] = new Array(n).fill(null);
  for (let i = n - 1; i >= 0; i--) {
    let s: T | null = z[i];
    for (let k = i + 1; k < n; k++) s = sub(s, mul(get(k, i), x[k]));
    x[i] = s === null ? null : tf.div(s, get(i, i)!);
  }
  const out: BlockVars = {};
  ORDER.forEach((v, i) => (out[v] = x[i] ?? tf.zerosLike(F.d[ORDER[0]]!)));
  return out;
}
