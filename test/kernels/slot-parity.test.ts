/**
 * Slot-level parity of the surrogates' implementations: at the same inputs, every slot's value,
 * gradient, diagonal curvature and mixed curvatures, and the objective's, per UE, from the
 * float64 surrogates (engine/ao/sp3-surrogate.ts, joint-surrogate.ts, rate-surrogate.ts), from
 * their tfjs twins (kernels/sp3-surrogate.ts, joint-surrogate.ts, rate-surrogate.ts) and from their WGSL twins
 * (kernels/webgpu/sp3-surrogate-wgsl.ts, joint-surrogate-wgsl.ts, rate-surrogate-wgsl.ts) on the webgpu backend.
 *
 * Inputs: random realisations at several settings; expansion points drawn at random (random
 * cached sets, alpha 0, 1 or in between, b, p, f_ue, f_es anywhere in their boxes) or taken from
 * the float64 AO's first iteration; evaluation points pulled inside as the solvers pull them and
 * scattered around by random factors. Every input is a float32 number, so both legs see exactly
 * the same data and the comparison measures the legs' arithmetic only.
 *
 * Each implementation is a leg: a function from the case to arrays in one layout (`SlotArrays`),
 * so a leg is added by writing one function. Tolerance (float32 against float64): derivatives are
 * compared as derivatives in the logarithm of each variable (g_a x_a, h_aa x_a^2, h_ac x_a x_c:
 * the slot's change for a relative change of the variable, in the slot's own units, so that b
 * and f_es in GHz weigh alike), and each quantity q must meet
 *   |q_leg - q_float64| <= REL |q_float64| + ABS magnitude,
 * with magnitude max(1, |value|) for a slot (normalised: 1 unit is its limit) and |value| for the
 * objective of a UE [ms]: the absolute floor covers the cancellations (Rs is a difference of
 * terms larger than itself).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import type { Settings } from '../../engine/settings.js';
import type { Problem } from '../../engine/problem.js';
import type { Point } from '../../engine/model/point.js';
import type { BlockProblem } from '../../engine/ao/block-problem.js';
import { expansionTau, NC, Sp3Surrogate } from '../../engine/ao/sp3-surrogate.js';
import { JNC, JNV, JointSurrogate, J_ALPHA, J_R, J_TAU } from '../../engine/ao/joint-surrogate.js';
import { packPoint, pullInside } from '../../engine/ao/sp3-resources.js';
import { PULL } from '../../engine/ao/solver-constants.js';
import { batchPoint, batchProblem, disposeBatchPoint, disposeBatchProblem } from '../../kernels/batch.js';
import type { BlockTerms, BlockVars } from '../../kernels/block-problem.js';
import { disposeCoefficients, evaluateSlots, sp3Coefficients, type Sp3Coefficients, type Vars } from '../../kernels/sp3-surrogate.js';
import { disposeJointCoefficients, evaluateJoint, jointCoefficients, type JointCoefficients } from '../../kernels/joint-surrogate.js';
import { drawProblems } from '../helpers/problems.js';
import { sp3Cases } from '../helpers/sp3-cases.js';
import { roundPoint, roundProblem } from '../helpers/sp-points.js';
import { mulberry32, uniform, type Rng } from '../helpers/random.js';
import { testBackend } from '../helpers/tf-backend.js';
import { findWebGpuAdapter } from '../../kernels/backend.js';
import { SP3_FUSED } from '../../kernels/webgpu/sp3-surrogate-wgsl.js';
import { JOINT_FUSED } from '../../kernels/webgpu/joint-surrogate-wgsl.js';
import { runSlotProbe, slotProbeWidth } from '../helpers/slot-probe-wgsl.js';

/** float32 against float64: relative tolerance and absolute floor (times the magnitude). */
const REL = 1e-4;
const ABS = 1e-5;

/** A surrogate's shape: variables (tfjs names, in the float64 layout's order), slots, mixed pairs. */
interface SurrogateKind {
  name: 'sp3' | 'joint';
  vars: readonly string[];
  nc: number;
  /** Mixed-curvature pairs in the float64 order (hcross index q), as tfjs variable names. */
  pairs: readonly (readonly [string, string])[];
}

const SP3: SurrogateKind = { name: 'sp3', vars: ['b', 'p', 'fue', 'fes', 'tau'], nc: NC, pairs: [] };
const JOINT: SurrogateKind = { name: 'joint', vars: ['b', 'p', 'r', 'u', 'tau', 'alpha'], nc: JNC, pairs: [['alpha', 'r'], ['alpha', 'u']] };

/** One batch of N realisations sharing their parameters, and the evaluation points. */
interface ParityCase {
  label: string;
  kind: SurrogateKind;
  N: number;
  M: number;
  problems: Problem[];
  /** The expansion points and tau_bar [M] per realisation. */
  points: Point[];
  tauBar: Float64Array[];
  /** The evaluation points [M * nv] per realisation, in the float64 layout. */
  v: Float64Array[];
}

/**
 * What a leg returns, realisation-major, variables and pairs in the orders of `SurrogateKind`:
 * slot values [N, M, NC], gradients and diagonal curvatures [N, M, NC, NV], mixed curvatures
 * [N, M, NC, NX]; the objective per UE [N, M] with gradient and diagonal curvature [N, M, NV] and
 * mixed curvatures [N, M, NX]. Inactive slots read -1 with zero derivatives.
 */
interface SlotArrays {
  val: Float64Array;
  grad: Float64Array;
  hd: Float64Array;
  cross: Float64Array;
  objVal: Float64Array;
  objGrad: Float64Array;
  objHd: Float64Array;
  objCross: Float64Array;
}

type Leg = (c: ParityCase) => Promise<SlotArrays>;

function allocate(c: ParityCase): SlotArrays {
  const { N, M } = c;
  const nv = c.kind.vars.length;
  const nc = c.kind.nc;
  const nx = c.kind.pairs.length;
  return {
    val: new Float64Array(N * M * nc), grad: new Float64Array(N * M * nc * nv), hd: new Float64Array(N * M * nc * nv),
    cross: new Float64Array(N * M * nc * nx), objVal: new Float64Array(N * M), objGrad: new Float64Array(N * M * nv),
    objHd: new Float64Array(N * M * nv), objCross: new Float64Array(N * M * nx),
  };
}

// ---------------------------------------------------------------------------------------------
// Legs.
// ---------------------------------------------------------------------------------------------

const surrogate64 = (kind: SurrogateKind, problem: Problem, x: Point, tauBar: Float64Array): BlockProblem =>
  kind.name === 'sp3' ? new Sp3Surrogate(problem, x, tauBar) : new JointSurrogate(problem, x, tauBar);

/** UE m of a realisation alone (the objective is a sum over UEs: its per-UE values come from these). */
function oneUe(problem: Problem, x: Point, tauBar: Float64Array, m: number): { problem: Problem; x: Point; tauBar: Float64Array } {
  const one = (a: Float64Array): Float64Array => Float64Array.of(a[m]);
  return {
    problem: { params: problem.params, cPerW: one(problem.cPerW), cyclesMc: one(problem.cyclesMc), bitsKbit: one(problem.bitsKbit) },
    x: { cached: Uint8Array.of(x.cached[m]), alpha: one(x.alpha), bandwidth: one(x.bandwidth), powerW: one(x.powerW), fUeGHz: one(x.fUeGHz), fEsGHz: one(x.fEsGHz) },
    tauBar: one(tauBar),
  };
}

/** The float64 surrogates (the reference). */
const float64Leg: Leg = async (c) => {
  const out = allocate(c);
  const { M } = c;
  const nv = c.kind.vars.length;
  const nc = c.kind.nc;
  const nx = c.kind.pairs.length;
  for (let n = 0; n < c.N; n++) {
    const s = surrogate64(c.kind, c.problems[n], c.points[n], c.tauBar[n]);
    const val = out.val.subarray(n * M * nc, (n + 1) * M * nc);
    const at = (a: Float64Array, width: number): Float64Array => a.subarray(n * M * width, (n + 1) * M * width);
    assert.ok(s.slots(c.v[n], val, at(out.grad, nc * nv), at(out.hd, nc * nv), at(out.cross, nc * nx)), `${c.label} r${n}: outside the domain`);
    const total = s.objective(c.v[n], at(out.objGrad, nv), at(out.objHd, nv), at(out.objCross, nx));
    let sum = 0;
    for (let m = 0; m < M; m++) {
      const u = oneUe(c.problems[n], c.points[n], c.tauBar[n], m);
      const one = surrogate64(c.kind, u.problem, u.x, u.tauBar);
      out.objVal[n * M + m] = one.objective(c.v[n].slice(m * nv, (m + 1) * nv), new Float64Array(nv), new Float64Array(nv), new Float64Array(nx));
      sum += out.objVal[n * M + m];
    }
    // The one-UE surrogates are the same surrogate: their sum is the objective.
    assert.ok(Math.abs(sum - total) <= 1e-12 * Math.abs(total), `${c.label} r${n}: per-UE objectives sum to ${sum}, the objective is ${total}`);
  }
  return out;
};

/** The tfjs coefficients of the case's surrogate around its points, on the test backend, and their disposal. */
function tfjsCoefficients(c: ParityCase): { sp3: Sp3Coefficients | null; joint: JointCoefficients | null; dispose: () => void } {
  const bp = batchProblem(c.problems);
  const bx = batchPoint(c.points);
  const tauBar = tf.tensor2d(Float32Array.from(c.tauBar.flatMap((t) => Array.from(t))), [c.N, c.M]);
  const sp3 = c.kind.name === 'sp3' ? sp3Coefficients(bp, bx, tauBar) : null;
  const joint = c.kind.name === 'joint' ? jointCoefficients(bp, bx, tauBar) : null;
  const dispose = (): void => {
    if (sp3) disposeCoefficients(sp3);
    if (joint) disposeJointCoefficients(joint);
    tf.dispose(tauBar);
    disposeBatchPoint(bx);
    disposeBatchProblem(bp);
  };
  return { sp3, joint, dispose };
}

/** The tfjs twins on the test backend (wasm by default). */
const tfjsLeg: Leg = async (c) => {
  const out = allocate(c);
  const { N, M, kind } = c;
  const nv = kind.vars.length;
  const nc = kind.nc;
  const nx = kind.pairs.length;
  const { sp3, joint, dispose } = tfjsCoefficients(c);
  tf.tidy(() => {
    const v: BlockVars = Object.fromEntries(kind.vars.map((name, j) => {
      const data = new Float32Array(N * M);
      for (let n = 0; n < N; n++) for (let m = 0; m < M; m++) data[n * M + m] = c.v[n][m * nv + j];
      return [name, tf.tensor2d(data, [N, M])];
    }));
    const { objective, slots } = sp3 ? evaluateSlots(sp3, v as Vars, true) : evaluateJoint(joint!, v, true);
    const read = (t: tf.Tensor): Float32Array => t.dataSync() as Float32Array;
    const pairIndex = (a: string, b: string): number => kind.pairs.findIndex(([p, q]) => (p === a && q === b) || (p === b && q === a));
    /** Writes one function's terms: value at val[(n M + m) stride + k], derivatives at [.., k, a]. */
    const write = (terms: BlockTerms, k: number, stride: number, val: Float64Array, grad: Float64Array, hd: Float64Array, cross: Float64Array): void => {
      const value = read(terms.val);
      for (let i = 0; i < N * M; i++) val[i * stride + k] = value[i];
      kind.vars.forEach((name, j) => {
        const g = terms.grad[name];
        const h = terms.hd[name];
        const gv = g ? read(g) : null;
        const hv = h ? read(h) : null;
        for (let i = 0; i < N * M; i++) {
          grad[(i * stride + k) * nv + j] = gv ? gv[i] : 0;
          hd[(i * stride + k) * nv + j] = hv ? hv[i] : 0;
        }
      });
      for (const { a, b, h } of terms.cross ?? []) {
        const q = pairIndex(a, b);
        assert.ok(q >= 0, `${c.label}: the tfjs ${kind.name} has a mixed curvature (${a}, ${b}) that the float64 surrogate does not list`);
        const hv = read(h);
        for (let i = 0; i < N * M; i++) cross[(i * stride + k) * nx + q] += hv[i];
      }
    };
    assert.is(slots.length, nc, `${c.label}: slot count`);
    slots.forEach((slot, k) => write(slot, k, nc, out.val, out.grad, out.hd, out.cross));
    write(objective, 0, 1, out.objVal, out.objGrad, out.objHd, out.objCross);
  });
  dispose();
  return out;
};

/**
 * The WGSL twins (kernels/webgpu/sp3-surrogate-wgsl.ts, joint-surrogate-wgsl.ts, through the fused block
 * solver's generated plumbing) on the webgpu backend: a probe program calls the spec's `slots`
 * for every UE of a realisation per thread and writes every field of Slots. The coefficients are
 * the tfjs path's (computed on the test backend, then uploaded): the slots' arithmetic is what is
 * compared.
 */
const wgslLeg: Leg = async (c) => {
  const out = allocate(c);
  const { N, M, kind } = c;
  const spec = kind.name === 'sp3' ? SP3_FUSED : JOINT_FUSED;
  const nv = kind.vars.length;
  const nc = kind.nc;
  const nx = kind.pairs.length;
  // Coefficients [NCOEF, M, N] and variables [NV, M, N] on the test backend.
  const tfjs = tfjsCoefficients(c);
  const coefficients = (tfjs.sp3 ?? tfjs.joint) as unknown as Record<string, tf.Tensor>;
  const rowsIn = (spec.coefficients.length + spec.vars.length) * M;
  const input = new Float32Array(rowsIn * N);
  for (const [ci, name] of spec.coefficients.entries()) {
    const data = coefficients[name].dataSync();
    for (let n = 0; n < N; n++) for (let m = 0; m < M; m++) input[(ci * M + m) * N + n] = data[n * M + m];
  }
  spec.vars.forEach((name, i) => {
    const j = kind.vars.indexOf(name);
    for (let n = 0; n < N; n++) for (let m = 0; m < M; m++) input[((spec.coefficients.length + i) * M + m) * N + n] = c.v[n][m * nv + j];
  });
  tfjs.dispose();
  const P = c.problems[0].params;
  const values = await runSlotProbe(spec, M, N, input, {
    K: P.rateScaleMbps, rMin: P.rMinMbps, tMax: P.tMaxMs, eMax: P.eMaxMj, pMax: P.pMaxW, fUeMax: P.fUeMaxGHz, fEsMax: P.fEsMaxGHz,
  });
  // Decode: per UE the objective (value, gradient, curvature, mixed), then per slot act, value, gradient, curvature, mixed.
  const perUe = slotProbeWidth(spec);
  const svar = (j: number): number => spec.vars.indexOf(kind.vars[j]);
  const spair = (q: number): number => spec.crossPairs.findIndex(([a, b]) => (a === kind.pairs[q][0] && b === kind.pairs[q][1]) || (a === kind.pairs[q][1] && b === kind.pairs[q][0]));
  const at = (n: number, m: number, f: number): number => values[(m * perUe + f) * N + n];
  const NV = spec.vars.length;
  const NX = spec.crossPairs.length;
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) {
      const i = n * M + m;
      out.objVal[i] = at(n, m, 0);
      for (let j = 0; j < nv; j++) {
        out.objGrad[i * nv + j] = at(n, m, 1 + svar(j));
        out.objHd[i * nv + j] = at(n, m, 1 + NV + svar(j));
      }
      for (let q = 0; q < nx; q++) out.objCross[i * nx + q] = at(n, m, 1 + 2 * NV + spair(q));
      for (let k = 0; k < nc; k++) {
        const f0 = 1 + 2 * NV + NX + k * (2 + 2 * NV + NX);
        const active = at(n, m, f0) > 0.5;
        out.val[i * nc + k] = active ? at(n, m, f0 + 1) : -1;
        for (let j = 0; j < nv; j++) {
          out.grad[(i * nc + k) * nv + j] = active ? at(n, m, f0 + 2 + svar(j)) : 0;
          out.hd[(i * nc + k) * nv + j] = active ? at(n, m, f0 + 2 + NV + svar(j)) : 0;
        }
        for (let q = 0; q < nx; q++) out.cross[(i * nc + k) * nx + q] = active ? at(n, m, f0 + 2 + 2 * NV + spair(q)) : 0;
      }
    }
  }
  return out;
};

/** The implementations compared with the float64 reference, by name (wgsl skips without an adapter). */
const LEGS: Record<string, Leg> = {
  tfjs: tfjsLeg,
  wgsl: wgslLeg,
};

// ---------------------------------------------------------------------------------------------
// Cases.
// ---------------------------------------------------------------------------------------------

/** A random expansion point anywhere in the boxes: random cached set, alpha 0, 1 or between. */
function randomPoint(rng: Rng, problem: Problem, M: number): Point {
  const P = problem.params;
  const weights = Array.from({ length: M }, () => uniform(rng, 0.2, 1));
  const share = uniform(rng, 0.5, 1) / weights.reduce((a, b) => a + b, 0);
  const alpha = (): number => {
    const r = rng();
    return r < 0.15 ? 0 : r < 0.3 ? 1 : rng();
  };
  return {
    cached: Uint8Array.from({ length: M }, () => (rng() < 0.3 ? 1 : 0)),
    alpha: Float64Array.from({ length: M }, alpha),
    bandwidth: Float64Array.from(weights, (w) => w * share),
    powerW: Float64Array.from({ length: M }, () => uniform(rng, 0.05, 1) * P.pMaxW),
    fUeGHz: Float64Array.from({ length: M }, () => uniform(rng, 0.1, 1) * P.fUeMaxGHz),
    fEsGHz: Float64Array.from({ length: M }, () => (uniform(rng, 0.2, 1.5) * P.fEsMaxGHz) / M),
  };
}

const F = Math.fround;

/**
 * The evaluation point of one realisation: the expansion point packed and pulled inside as the
 * solver pulls it, every free variable scaled by exp(U(-spread, spread)) (the joint alpha kept
 * in (0, 1)); the joint's cached UEs carry the tfjs stand-ins r = tau = 1, alpha = 1/2 for the
 * variables they do not use (the float64 surrogate ignores them).
 */
function evaluationPoint(rng: Rng, kind: SurrogateKind, s: BlockProblem, x: Point, tauBar: Float64Array, spread: number): Float64Array {
  const M = x.alpha.length;
  const jitter = (): number => Math.exp(uniform(rng, -spread, spread));
  if (kind.name === 'sp3') {
    const sp3 = s as Sp3Surrogate;
    const v = packPoint(x, tauBar);
    pullInside(sp3, v);
    return v.map((value, j) => F(sp3.free[j] ? value * jitter() : value));
  }
  const joint = s as JointSurrogate;
  const v = joint.pack(x, tauBar);
  joint.pullInside(v, x, PULL);
  for (let m = 0; m < M; m++) {
    for (let a = 0; a < JNV; a++) {
      const j = m * JNV + a;
      if (x.cached[m] && (a === J_R || a === J_TAU || a === J_ALPHA)) v[j] = a === J_ALPHA ? 0.5 : 1;
      else if (a === J_ALPHA) v[j] = Math.min(0.999, Math.max(1e-3, v[j] * jitter()));
      else v[j] *= jitter();
    }
  }
  return v.map(F);
}

/** One case: realisations at `overrides`, expansion points random or the AO's, evaluation points at `spread`. */
function makeCase(kind: SurrogateKind, overrides: Partial<Settings>, N: number, seed: number, from: 'random' | 'ao', spread: number): ParityCase {
  const rng = mulberry32(seed);
  const drawn = from === 'ao'
    ? sp3Cases(overrides, N, 1, seed).map((c) => ({ problem: c.problem, x: c.before }))
    : drawProblems(overrides, N, seed).map((p) => ({ problem: p, x: randomPoint(rng, p, p.cPerW.length) }));
  const problems = drawn.map((d) => roundProblem(d.problem));
  const points = drawn.map((d) => roundPoint(d.x));
  const tauBar = problems.map((p, n) => expansionTau(p, points[n]).map(F));
  const v = problems.map((p, n) => evaluationPoint(rng, kind, surrogate64(kind, p, points[n], tauBar[n]), points[n], tauBar[n], spread));
  return {
    label: `${kind.name} ${JSON.stringify(overrides)} ${from} spread ${spread}`,
    kind, N: problems.length, M: problems[0].cPerW.length, problems, points, tauBar, v,
  };
}

const SETTINGS: Partial<Settings>[] = [{}, { sMaxKbit: 20, eMaxMj: 1.5 }, { fEsMaxGHz: 38, deltaUe: 0.02, deltaEs: 0.02 }, { M: 5, tMaxMs: 3, eMaxMj: 0.5 }];

function cases(kind: SurrogateKind): ParityCase[] {
  const out: ParityCase[] = [];
  SETTINGS.forEach((overrides, i) => {
    out.push(makeCase(kind, overrides, 24, 100 + i, 'random', 0.3));
    out.push(makeCase(kind, overrides, 12, 200 + i, 'ao', 0.05));
  });
  out.push(makeCase(kind, {}, 24, 300, 'random', 1));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Comparison.
// ---------------------------------------------------------------------------------------------

interface Worst { excess: number; where: string }

/**
 * Compares a leg with the float64 reference, element by element (see the file's doc for the
 * tolerance); throws on the first failure with actual, expected, delta and tolerance, and
 * returns the largest |delta| / tolerance seen.
 */
function compare(c: ParityCase, legName: string, got: SlotArrays, ref: SlotArrays): Worst {
  const { N, M, kind } = c;
  const nv = kind.vars.length;
  const nc = kind.nc;
  const nx = kind.pairs.length;
  const varIndex = (name: string): number => kind.vars.indexOf(name);
  const worst: Worst = { excess: 0, where: '' };
  const check = (actual: number, expected: number, magnitude: number, where: () => string): void => {
    const delta = Math.abs(actual - expected);
    const tolerance = REL * Math.abs(expected) + ABS * magnitude;
    const excess = delta / tolerance;
    if (!(excess <= 1)) {
      assert.unreachable(`${legName} vs float64, ${where()}: actual ${actual}, expected ${expected}, delta ${delta}, tolerance ${tolerance} (rel ${REL}, abs ${ABS} x ${magnitude})`);
    }
    if (excess > worst.excess) {
      worst.excess = excess;
      worst.where = where();
    }
  };
  /** One function's terms at (n, m): value, then derivatives in the logarithms of the variables. */
  const terms = (
    what: string, n: number, m: number, magnitude: number, value: [number, number],
    g: (j: number) => [number, number], h: (j: number) => [number, number], x: (q: number) => [number, number],
  ): void => {
    const at = (): string => `${c.label} r${n} UE ${m} ${what}`;
    check(value[0], value[1], magnitude, () => `${at()} value`);
    const xv = (j: number): number => c.v[n][m * nv + j];
    for (let j = 0; j < nv; j++) {
      const [ga, ge] = g(j);
      check(ga * xv(j), ge * xv(j), magnitude, () => `${at()} d/d${kind.vars[j]} (times ${kind.vars[j]})`);
      const [ha, he] = h(j);
      check(ha * xv(j) ** 2, he * xv(j) ** 2, magnitude, () => `${at()} d2/d${kind.vars[j]}2 (times ${kind.vars[j]}^2)`);
    }
    kind.pairs.forEach(([a, b], q) => {
      const [xa, xe] = x(q);
      const s = xv(varIndex(a)) * xv(varIndex(b));
      check(xa * s, xe * s, magnitude, () => `${at()} d2/d${a}d${b} (times ${a} ${b})`);
    });
  };
  /** [leg, float64] of one entry of one array. */
  const pair = (key: keyof SlotArrays, i: number): [number, number] => [got[key][i], ref[key][i]];
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) {
      const u = n * M + m;
      for (let k = 0; k < nc; k++) {
        const i = u * nc + k;
        terms(`slot ${k}`, n, m, Math.max(1, Math.abs(ref.val[i])), pair('val', i),
          (j) => pair('grad', i * nv + j), (j) => pair('hd', i * nv + j), (q) => pair('cross', i * nx + q));
      }
      terms('objective', n, m, Math.abs(ref.objVal[u]), pair('objVal', u),
        (j) => pair('objGrad', u * nv + j), (j) => pair('objHd', u * nv + j), (q) => pair('objCross', u * nx + q));
    }
  }
  return worst;
}

// ---------------------------------------------------------------------------------------------
// Tests.
// ---------------------------------------------------------------------------------------------

let wgslSkip = '';
test.before(async () => {
  await testBackend();
  const { adapter, reason } = await findWebGpuAdapter();
  if (!adapter) wgslSkip = reason;
});

for (const kind of [SP3, JOINT]) {
  const all = cases(kind);
  for (const [legName, leg] of Object.entries(LEGS)) {
    test(`${kind.name}: the ${legName} slots and objective equal the float64 surrogate's (values, gradients, diagonal and mixed curvatures)`, async () => {
      if (legName === 'wgsl' && wgslSkip) return console.log(`  skipped (${kind.name} wgsl): ${wgslSkip}`);
      let worst: Worst = { excess: 0, where: '' };
      let count = 0;
      for (const c of all) {
        const ref = await float64Leg(c);
        const got = await leg(c);
        const w = compare(c, legName, got, ref);
        if (w.excess > worst.excess) worst = w;
        count += c.N * c.M;
      }
      console.log(`  ${kind.name} ${legName}: ${count} UEs, worst |delta| / tolerance ${worst.excess.toExponential(2)} at ${worst.where}`);
    });
  }
}

test('the cases exercise cached UEs, alpha 0 and 1, inactive slots and fixed variables', () => {
  for (const kind of [SP3, JOINT]) {
    const all = cases(kind);
    const xs = all.flatMap((c) => c.points);
    assert.ok(xs.some((x) => x.cached.includes(1)) && xs.some((x) => x.cached.includes(0)), `${kind.name}: cached and uncached UEs`);
    assert.ok(xs.some((x) => x.alpha.includes(0)) && xs.some((x) => x.alpha.includes(1)), `${kind.name}: alpha 0 and 1`);
    const s = all.flatMap((c) => c.problems.map((p, n) => surrogate64(kind, p, c.points[n], c.tauBar[n])));
    assert.ok(s.some((sur) => sur.active.includes(0)), `${kind.name}: an inactive slot`);
    assert.ok(s.some((sur) => sur.free.includes(0)), `${kind.name}: a fixed variable`);
  }
});

test('the tfjs leg leaves no tensor behind', async () => {
  const c = makeCase(JOINT, {}, 4, 7, 'random', 0.3);
  await tfjsLeg(c);
  const before = tf.memory().numTensors;
  await tfjsLeg(c);
  await tfjsLeg(makeCase(SP3, {}, 4, 7, 'random', 0.3));
  assert.is(tf.memory().numTensors, before);
});

test.run();
