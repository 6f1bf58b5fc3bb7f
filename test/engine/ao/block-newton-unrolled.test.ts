/**
 * The block Newton system (engine/ao/block-newton.ts) has an unrolled path for SP3's 5 x 5 blocks
 * beside the generic loops. Both must build the same system: here each assembles it (blocks,
 * right-hand side, the slack's column, curvature and right-hand side) and solves it (step and
 * slack step), in plain mode and in phase one, and the two agree to 1e-12 of the natural scale of
 * each entry. Points:
 * - SP3 surrogates of real AO iterations at several settings (cached UEs, fixed variables,
 *   inactive slots), at random strictly interior points with random multipliers and t;
 * - a synthetic 5-variable problem whose slots have dense gradients, so that every entry of a
 *   block is non-zero (on SP3 points (b, f_ue), (b, f_es) and (p, f_es) are zero by structure).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Settings } from '../../../engine/settings.js';
import { BlockNewtonSystem } from '../../../engine/ao/block-newton.js';
import { Evaluation, type BlockProblem } from '../../../engine/ao/block-problem.js';
import { findInterior } from '../../../engine/ao/block-interior.js';
import { packPoint, pullInside } from '../../../engine/ao/sp3-resources.js';
import { expansionTau, NC, NV, Sp3Surrogate } from '../../../engine/ao/sp3-surrogate.js';
import { PHASE_ONE_TARGET, SLACK_SLOTS } from '../../../engine/ao/solver-constants.js';
import { sp3Cases } from '../../helpers/sp3-cases.js';
import { logUniform, mulberry32, uniform, type Rng } from '../../helpers/random.js';

/** Relative agreement asked of the two paths (the rounding of a few additions in another order). */
const REL = 1e-12;

/** One Newton system's inputs: the problem, the evaluation at a point, the mode and the multipliers. */
interface Instance {
  label: string;
  P: BlockProblem;
  e: Evaluation;
  slackMask: Uint8Array;
  withSigma: boolean;
  sigma: number;
  lambda: Float64Array;
  t: number;
}

/** Coupling values u_k . v - rhs_k into e. */
function couplingInto(P: BlockProblem, v: Float64Array, e: Evaluation): void {
  for (let k = 0; k < 2; k++) {
    let ux = 0;
    for (let j = 0; j < v.length; j++) ux += P.coupling[k][j] * v[j];
    e.couplingVal[k] = ux - P.couplingRhs[k];
  }
}

/**
 * Multipliers for the slots and the two coupling rows: the central ones 1/(t (-f_i)) scaled by a
 * random factor in [1/3, 3] (the primal-dual steps use non-central ones), 0 on inactive slots.
 */
function randomLambda(rng: Rng, P: BlockProblem, e: Evaluation, slackMask: Uint8Array, sigma: number, t: number): Float64Array {
  const n = P.active.length;
  const lambda = new Float64Array(n + 2);
  for (let i = 0; i < n; i++) {
    const f = slackMask[i] ? e.val[i] - sigma : e.val[i];
    lambda[i] = P.active[i] ? logUniform(rng, 1 / 3, 3) / (t * -f) : 0;
  }
  for (let k = 0; k < 2; k++) lambda[n + k] = logUniform(rng, 1 / 3, 3) / (t * -e.couplingVal[k]);
  return lambda;
}

const slackMaskFor = (P: BlockProblem, withSigma: boolean): Uint8Array => {
  const nc = P.active.length / P.M;
  return Uint8Array.from(P.active, (_, i) => (withSigma && i % nc < P.slackSlots ? 1 : 0));
};

/** Evaluates an SP3 surrogate at v; null where v is outside its domain. */
function evaluateSp3(s: Sp3Surrogate, v: Float64Array, withObjective: boolean): Evaluation | null {
  const e = new Evaluation(s.M * NV, s.M * NC, NV, 0);
  if (!s.slots(v, e.val, e.grad, e.hdiag)) return null;
  if (withObjective) e.f0 = s.objective(v, e.objGrad, e.objH);
  couplingInto(s, v, e);
  return e;
}

/** Strictly feasible for every active slot that does not take the slack, and both coupling rows. */
function strictlyInside(P: BlockProblem, e: Evaluation, slackMask: Uint8Array): boolean {
  for (let i = 0; i < P.active.length; i++) if (P.active[i] && !slackMask[i] && !(e.val[i] < 0)) return false;
  return e.couplingVal[0] < 0 && e.couplingVal[1] < 0;
}

/** v with every free variable scaled by exp(U(-spread, spread)). */
function jitter(rng: Rng, P: BlockProblem, v: Float64Array, spread: number): Float64Array {
  return v.map((x, j) => (P.free[j] ? x * Math.exp(uniform(rng, -spread, spread)) : x));
}

/**
 * Instances on SP3 surrogates: per case, phase-one systems at the pulled start (sigma above every
 * slack slot) and plain systems at random strictly interior points near phase one's point.
 */
function sp3Instances(rng: Rng): Instance[] {
  const settings: Partial<Settings>[] = [{}, { sMaxKbit: 20 }, { eMaxMj: 1.5, sMaxKbit: 0 }, { M: 5, eMaxMj: 0.5, tMaxMs: 3 }, { method: 'equal-radio' }];
  const out: Instance[] = [];
  for (const overrides of settings) {
    for (const c of sp3Cases(overrides, 5, 2, 13)) {
      const tauBar = expansionTau(c.problem, c.before);
      const s = new Sp3Surrogate(c.problem, c.before, tauBar);
      const v0 = packPoint(c.before, tauBar);
      pullInside(s, v0);
      // Phase one: any point inside the boxes, sigma above the largest slack slot.
      for (let k = 0; k < 2; k++) {
        const v = k === 0 ? v0 : jitter(rng, s, v0, 0.02);
        const e = evaluateSp3(s, v, false);
        if (!e) continue;
        const slackMask = slackMaskFor(s, true);
        let worst = -Infinity;
        for (let i = 0; i < e.val.length; i++) if (s.active[i] && slackMask[i]) worst = Math.max(worst, e.val[i]);
        const sigma = worst + logUniform(rng, 1e-4, 1) * Math.max(1, Math.abs(worst));
        if (!strictlyInside(s, e, slackMask)) continue;
        const t = logUniform(rng, 1, 1e4);
        out.push({ label: `${c.label} phase one ${k}`, P: s, e, slackMask, withSigma: true, sigma, lambda: randomLambda(rng, s, e, slackMask, sigma, t), t });
      }
      // Plain: random points near phase one's strictly interior point.
      const inside = findInterior(s, v0, PHASE_ONE_TARGET);
      if (!(inside.sigma < 0)) continue;
      for (let k = 0, tries = 0; k < 3 && tries < 30; tries++) {
        const v = jitter(rng, s, inside.v, 0.01 / (1 + tries));
        const e = evaluateSp3(s, v, true);
        const slackMask = slackMaskFor(s, false);
        if (!e || !strictlyInside(s, e, slackMask)) continue;
        const t = logUniform(rng, 1, 1e6);
        out.push({ label: `${c.label} plain ${k}`, P: s, e, slackMask, withSigma: false, sigma: 0, lambda: randomLambda(rng, s, e, slackMask, 0, t), t });
        k++;
      }
    }
  }
  return out;
}

/**
 * A synthetic problem of M blocks of five variables and seven slots whose gradients are dense
 * (every entry of every block non-zero), with random values, curvatures, fixed variables and
 * inactive slots. Only the fields the Newton system reads are meaningful.
 */
function denseInstance(rng: Rng, M: number, withSigma: boolean, label: string): Instance {
  const nv = 5;
  const nc = 7;
  const n = M * nv;
  const free = Uint8Array.from({ length: n }, () => (rng() < 0.85 ? 1 : 0));
  const active = Uint8Array.from({ length: M * nc }, (_, i) => (i % nc === 0 || rng() < 0.8 ? 1 : 0));
  const coupling: [Float64Array, Float64Array] = [
    // As in the surrogates, a fixed variable has no weight in a coupling row.
    Float64Array.from({ length: n }, (_, j) => (j % nv === 0 && free[j] ? 1 : 0)),
    Float64Array.from({ length: n }, (_, j) => (j % nv === 3 && free[j] ? uniform(rng, 0.1, 1) : 0)),
  ];
  const P: BlockProblem = {
    M, nv, free, active, coupling, couplingRhs: Float64Array.of(1, 30), crossPairs: [], slackSlots: SLACK_SLOTS,
    objective: () => Number.NaN,
    slots: () => false,
  };
  const e = new Evaluation(n, M * nc, nv, 0);
  for (let j = 0; j < n; j++) {
    e.objGrad[j] = free[j] ? uniform(rng, -1, 1) * logUniform(rng, 1e-2, 1e2) : 0;
    e.objH[j] = free[j] ? logUniform(rng, 1e-3, 1e2) : 0;
  }
  for (let i = 0; i < M * nc; i++) {
    e.val[i] = active[i] ? -logUniform(rng, 1e-4, 1) : -1;
    for (let a = 0; a < nv; a++) {
      const j = Math.floor(i / nc) * nv + a;
      e.grad[i * nv + a] = active[i] && free[j] ? uniform(rng, -1, 1) * logUniform(rng, 1e-2, 1e2) : 0;
      e.hdiag[i * nv + a] = active[i] && free[j] ? logUniform(rng, 1e-3, 1e1) : 0;
    }
  }
  e.couplingVal[0] = -logUniform(rng, 1e-3, 0.5);
  e.couplingVal[1] = -logUniform(rng, 1e-3, 5);
  const slackMask = slackMaskFor(P, withSigma);
  // Phase one: some slack slots above 0, sigma above all of them.
  let sigma = 0;
  if (withSigma) {
    let worst = -Infinity;
    for (let i = 0; i < e.val.length; i++) {
      if (!(active[i] && slackMask[i])) continue;
      e.val[i] += uniform(rng, 0, 0.5);
      worst = Math.max(worst, e.val[i]);
    }
    sigma = worst + logUniform(rng, 1e-4, 1);
  }
  const t = logUniform(rng, 1, 1e4);
  return { label, P, e, slackMask, withSigma, sigma, lambda: randomLambda(rng, P, e, slackMask, sigma, t), t };
}

/** Fails with actual, expected, delta and tolerance when |a - b| > REL * scale. */
function assertAgree(a: number, b: number, scale: number, what: string): void {
  const delta = Math.abs(a - b);
  const tolerance = REL * scale;
  assert.ok(delta <= tolerance && Number.isFinite(a) && Number.isFinite(b),
    `${what}: unrolled ${a}, generic ${b}, delta ${delta}, tolerance ${tolerance} (rel ${REL})`);
}

/** Compares the two assemblies of one instance entry by entry; returns the largest relative difference. */
function compareAssembly(x: Instance): number {
  const { P } = x;
  const nv = P.nv;
  const unrolled = new BlockNewtonSystem(P.M, nv);
  const generic = new BlockNewtonSystem(P.M, nv, false);
  const su = unrolled.assemble(P, x.e, x.slackMask, x.sigma, x.lambda, x.t);
  const sg = generic.assemble(P, x.e, x.slackMask, x.sigma, x.lambda, x.t);
  let worst = 0;
  const note = (a: number, b: number, scale: number, what: string): void => {
    assertAgree(a, b, scale, `${x.label}: ${what}`);
    if (scale > 0) worst = Math.max(worst, Math.abs(a - b) / scale);
  };
  for (let b = 0; b < P.M; b++) {
    const hb = b * nv * nv;
    const diag = (h: Float64Array, a: number): number => Math.abs(h[hb + a * nv + a]);
    for (let a = 0; a < nv; a++) {
      for (let c = 0; c < nv; c++) {
        // An off-diagonal entry of a positive semidefinite block is at most sqrt(H_aa H_cc).
        const scale = Math.sqrt(diag(generic.H, a) * diag(generic.H, c));
        note(unrolled.H[hb + a * nv + c], generic.H[hb + a * nv + c], scale, `block ${b} H[${a}][${c}]`);
      }
      const j = b * nv + a;
      note(unrolled.rhs[j], generic.rhs[j], Math.abs(generic.rhs[j]), `rhs[${j}]`);
      note(unrolled.hcol[j], generic.hcol[j], Math.abs(generic.hcol[j]), `hcol[${j}]`);
    }
  }
  note(su.hss, sg.hss, Math.abs(sg.hss), 'hss');
  note(su.rSigma, sg.rSigma, Math.abs(sg.rSigma), 'rSigma');
  return worst;
}

/**
 * The whole Newton matrix of an assembled system, dense: the blocks plus d_k u_k u_k^T, bordered
 * in phase one by the slack's column and curvature.
 */
function denseMatrix(x: Instance, sys: BlockNewtonSystem, hss: number): number[][] {
  const { P } = x;
  const n = P.M * P.nv;
  const size = x.withSigma ? n + 1 : n;
  const K = Array.from({ length: size }, () => new Array<number>(size).fill(0));
  for (let b = 0; b < P.M; b++) {
    for (let a = 0; a < P.nv; a++) for (let c = 0; c < P.nv; c++) K[b * P.nv + a][b * P.nv + c] = sys.H[b * P.nv * P.nv + a * P.nv + c];
  }
  const base = P.active.length;
  for (let k = 0; k < 2; k++) {
    const u = P.coupling[k];
    const d = x.lambda[base + k] / -x.e.couplingVal[k];
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) K[i][j] += d * u[i] * u[j];
  }
  if (x.withSigma) {
    for (let j = 0; j < n; j++) K[n][j] = K[j][n] = sys.hcol[j];
    K[n][n] = hss;
  }
  return K;
}

/** kappa_inf(K) = ||K||_inf ||K^-1||_inf, the inverse by Gauss-Jordan with partial pivoting. */
function conditionInf(K: number[][]): number {
  const n = K.length;
  const normInf = (A: number[][]): number => Math.max(...A.map((row) => row.reduce((s, v) => s + Math.abs(v), 0)));
  const A = K.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r][c]) > Math.abs(A[p][c])) p = r;
    [A[c], A[p]] = [A[p], A[c]];
    const pivot = A[c][c];
    for (let j = 0; j < 2 * n; j++) A[c][j] /= pivot;
    for (let r = 0; r < n; r++) {
      if (r === c || A[r][c] === 0) continue;
      const f = A[r][c];
      for (let j = 0; j < 2 * n; j++) A[r][j] -= f * A[c][j];
    }
  }
  return normInf(K) * normInf(A.map((row) => row.slice(n)));
}

/**
 * Solves the instance both ways. Both solves start from assemblies that differ by a few rounding
 * errors and run the same arithmetic, so their steps may differ by about the unit roundoff times
 * the condition number of the Newton matrix K, and no more. The variables' units differ by orders
 * of magnitude (b against f_es in GHz), so both are measured after the symmetric scaling that
 * gives K a unit diagonal (a Cholesky factorisation's error is invariant to it): y = D^1/2 [dx;
 * dsigma], Ks = D^-1/2 K D^-1/2, D = diag(K). Returns max |y_unrolled - y_generic| / max |y| and
 * kappa_inf(Ks).
 */
function compareSolve(x: Instance): { relative: number; kappa: number } {
  const { P } = x;
  const unrolled = new BlockNewtonSystem(P.M, P.nv);
  const generic = new BlockNewtonSystem(P.M, P.nv, false);
  const { hss } = generic.assemble(P, x.e, x.slackMask, x.sigma, x.lambda, x.t);
  const K = denseMatrix(x, generic, hss);
  const root = K.map((row, i) => Math.sqrt(row[i]));
  const kappa = conditionInf(K.map((row, i) => row.map((v, j) => v / (root[i] * root[j]))));
  const du = unrolled.solve(P, x.e, x.slackMask, x.withSigma, x.sigma, x.lambda, x.t);
  const dg = generic.solve(P, x.e, x.slackMask, x.withSigma, x.sigma, x.lambda, x.t);
  assert.ok(Number.isFinite(du) && Number.isFinite(dg), `${x.label}: a solve failed (unrolled ${du}, generic ${dg})`);
  for (let j = 0; j < generic.rhsCopy.length; j++) {
    assertAgree(unrolled.rhsCopy[j], generic.rhsCopy[j], Math.abs(generic.rhsCopy[j]), `${x.label}: right-hand side [${j}]`);
  }
  const yU = [...unrolled.dx, ...(x.withSigma ? [du] : [])].map((v, j) => v * root[j]);
  const yG = [...generic.dx, ...(x.withSigma ? [dg] : [])].map((v, j) => v * root[j]);
  const scale = Math.max(...yG.map(Math.abs));
  return { relative: Math.max(...yG.map((g, j) => Math.abs(yU[j] - g))) / scale, kappa };
}

const rng = mulberry32(20261201);
const SP3 = sp3Instances(rng);
const DENSE = [
  ...Array.from({ length: 40 }, (_, k) => denseInstance(rng, 1 + (k % 7) * 3, false, `dense plain ${k}`)),
  ...Array.from({ length: 40 }, (_, k) => denseInstance(rng, 1 + (k % 7) * 3, true, `dense phase one ${k}`)),
];

test('the instances cover both modes, fixed variables and inactive slots', () => {
  const plain = SP3.filter((x) => !x.withSigma).length;
  const one = SP3.filter((x) => x.withSigma).length;
  assert.ok(plain >= 60 && one >= 60, `SP3 instances: ${plain} plain, ${one} phase one`);
  assert.ok(SP3.some((x) => x.P.free.includes(0)), 'no SP3 instance with a fixed variable');
  assert.ok(SP3.some((x) => x.P.active.includes(0)), 'no SP3 instance with an inactive slot');
  assert.ok(DENSE.every((x) => x.P.nv === 5 && x.P.crossPairs.length === 0), 'the dense instances must take the unrolled path');
});

test('the unrolled assembly equals the generic one on SP3 surrogates, entry by entry, to 1e-12', () => {
  let worst = 0;
  for (const x of SP3) worst = Math.max(worst, compareAssembly(x));
  console.log(`  SP3: ${SP3.length} systems, worst relative difference ${worst.toExponential(2)}`);
});

test('the unrolled assembly equals the generic one on dense 5 x 5 blocks, every entry non-zero, to 1e-12', () => {
  let worst = 0;
  for (const x of DENSE) {
    worst = Math.max(worst, compareAssembly(x));
    // Dense indeed: every entry of every block of a block with all variables free is non-zero.
    const g = new BlockNewtonSystem(x.P.M, 5, false);
    g.assemble(x.P, x.e, x.slackMask, x.sigma, x.lambda, x.t);
    for (let b = 0; b < x.P.M; b++) {
      if (![0, 1, 2, 3, 4].every((a) => x.P.free[b * 5 + a])) continue;
      for (let q = 0; q < 25; q++) assert.ok(g.H[b * 25 + q] !== 0, `${x.label}: block ${b} entry ${q} is zero`);
    }
  }
  console.log(`  dense: ${DENSE.length} systems, worst relative difference ${worst.toExponential(2)}`);
});

test('the unrolled and generic solves give the same step and slack step, to the rounding the condition number allows', () => {
  let worstRelative = 0;
  let worstRatio = 0;
  let worstKappa = 0;
  for (const x of [...SP3, ...DENSE]) {
    const r = compareSolve(x);
    const tolerance = Math.max(REL, 16 * Number.EPSILON * r.kappa);
    assert.ok(r.relative <= tolerance,
      `${x.label}: steps differ by ${r.relative} (scaled), kappa_inf ${r.kappa.toExponential(2)}, tolerance ${tolerance}`);
    worstRelative = Math.max(worstRelative, r.relative);
    worstRatio = Math.max(worstRatio, r.relative / tolerance);
    worstKappa = Math.max(worstKappa, r.kappa);
  }
  console.log(`  solves: worst scaled difference ${worstRelative.toExponential(2)}, at most ${worstRatio.toExponential(2)} of its tolerance max(1e-12, 16 eps kappa); largest kappa_inf ${worstKappa.toExponential(2)}`);
});

test.run();
