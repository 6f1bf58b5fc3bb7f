/**
 * WGSL source of a fused block barrier solver: the whole barrier method (phase one, then phase
 * two) of a block problem for one realisation per GPU thread, in one dispatch. It is the
 * per-thread twin of kernels/block-ipm.ts + kernels/block-newton.ts (the tfjs reference it is
 * tested against) and follows the same rules: per UE an NV x NV block in the spec's variable
 * order with a Cholesky factor floored at 1e-7 of its diagonal, the rank-2 coupling by Woodbury,
 * the phase-one slack by a Schur complement, fraction-to-the-boundary 0.99, Armijo backtracking
 * with a strict decrease, and the same centring, gap and t-update tests. One difference:
 * inactive slots are skipped outright instead of being read as -1.
 *
 * A `FusedBlockSpec` supplies what differs between problems: the variables, the slots' WGSL
 * (sp3-slots-wgsl.ts for SP3, joint-slots-wgsl.ts for the joint surrogate), the coefficient rows,
 * the two coupling rows, the fixed variables and the mixed curvatures.
 *
 * Every local is initialised explicitly: on Dawn with lavapipe, a `var` declared without an
 * initialiser inside a loop body kept its value from the previous iteration (the blocks summed
 * over the UEs), where WGSL says it starts at zero.
 *
 * Layout (float32, realisation index n fastest so that a warp's reads coalesce):
 *   X      [inRows * N]: row r of realisation n at X[r * N + n]
 *            rows c * M + m: the coefficients of UE m in the spec's order
 *            rows (NCOEF + i) * M + m, i < NV: the start v0 of UE m in the spec's variable order
 *            row (NCOEF + NV) M: 1 where the realisation is to be solved
 *   result [outRows * N]: rows i * M + m: the spec's output variables of the final iterate;
 *            then solved, certified, failed, Newton steps (phase one + phase two)
 */

import { blockCholeskyWgsl } from './block-cholesky-wgsl.js';

/** What a fused block solver needs to know of its problem. */
export interface FusedBlockSpec {
  /** Kernel name suffix and shader key ('Sp3', 'Joint'). */
  name: string;
  /** Variables in the block (factorisation) order; WGSL constants are their upper-case names. */
  vars: readonly string[];
  /** Constraint slots per UE; slots 0-3 take the phase-one slack. */
  nc: number;
  /** Coefficient tensors, in the rows of X. */
  coefficients: readonly string[];
  /** WGSL defining `struct Slots`, `fn slots(m, x, deriv)` and `fn shifted(s, k, phaseOne, sig)`. */
  slotsWgsl: string;
  /** Mixed curvatures: Slots has `cx : array<array<f32, NX>, NC>` and `ocx : array<f32, NX>` for these pairs. */
  crossPairs: readonly (readonly [string, string])[];
  /** The coupling rows sum_m weight x[var] <= rhs: variable, WGSL weight expression (of m), WGSL rhs. */
  coupling: readonly [{ v: string; weight: string; rhs: string }, { v: string; weight: string; rhs: string }];
  /** WGSL statements adding identity rows of fixed variables to H (given S of UE m). */
  fixedIdentity: string;
  /** WGSL statements zeroing the step of fixed variables in dx[m] (given S of UE m). */
  fixedMask: string;
  /** Output variables, in order. */
  outVars: readonly string[];
}

export const OUT_FLAGS = ['solved', 'certified', 'failed', 'steps'] as const;

export const inRows = (spec: FusedBlockSpec, M: number): number => (spec.coefficients.length + spec.vars.length) * M + 1;
export const outRows = (spec: FusedBlockSpec, M: number): number => spec.outVars.length * M + OUT_FLAGS.length;

/** The program's own uniforms, in declaration order (after tfjs's shape uniforms). */
export const UNIFORMS = [
  ['rows', 'i32'], ['maxSteps', 'i32'], ['maxHalvings', 'i32'],
  ['K', 'f32'], ['rMin', 'f32'], ['tMax', 'f32'], ['eMax', 'f32'], ['pMax', 'f32'], ['fUeMax', 'f32'], ['fEsMax', 'f32'],
  ['gapRtol', 'f32'], ['centringTol', 'f32'], ['centringGapFraction', 'f32'], ['mu', 'f32'], ['initialGapFraction', 'f32'],
  ['sigmaTarget', 'f32'],
] as const;
export type UniformName = (typeof UNIFORMS)[number][0];

const upper = (v: string): string => v.toUpperCase();

/** The user code of the tfjs WebGPU program for M UEs (tfjs adds the bindings and `_start`). */
export function blockBarrierWgsl(spec: FusedBlockSpec, M: number): string {
  const NV = spec.vars.length;
  const NC = spec.nc;
  const NCOEF = spec.coefficients.length;
  const [c0, c1] = spec.coupling;
  const idx = (v: string): string => upper(v);
  // Mixed curvatures go into the lower triangle H[i][j], i > j (the factor reads that triangle).
  const lower = (a: string, b: string): string => (spec.vars.indexOf(a) > spec.vars.indexOf(b) ? `H[${idx(a)}][${idx(b)}]` : `H[${idx(b)}][${idx(a)}]`);
  const slotCross = spec.crossPairs.map(([a, b], q) => `        ${lower(a, b)} += lam * S.cx[k][${q}];`).join('\n');
  const objCross = spec.crossPairs.map(([a, b], q) => `        ${lower(a, b)} += S.ocx[${q}];`).join('\n');
  return /* wgsl */ `
const M : i32 = ${M};
const NV : i32 = ${NV};
${spec.vars.map((v, i) => `const ${upper(v)} : i32 = ${i};`).join('\n')}

var<private> row : i32;
var<private> v : array<array<f32, NV>, M>;
var<private> dx : array<array<f32, NV>, M>;
var<private> y : array<array<f32, NV>, M>;
var<private> z0 : array<array<f32, NV>, M>;
var<private> z1 : array<array<f32, NV>, M>;
var<private> zh : array<array<f32, NV>, M>;
var<private> rhsv : array<array<f32, NV>, M>;
var<private> hcolv : array<array<f32, NV>, M>;
var<private> sigma : f32;

fn finite(x : f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

fn coef(c : i32, m : i32) -> f32 {
  return X[(c * M + m) * uniforms.rows + row];
}

${spec.slotsWgsl}
${blockCholeskyWgsl(NV)}
// Objective (sigma in phase one), sum of log(-f) and strict feasibility at v + s dx (sigma + s dSig).
struct Merit {
  f : f32,
  logs : f32,
  feasible : bool,
}

fn merit(s : f32, dSig : f32, phaseOne : bool) -> Merit {
  var out = Merit();
  out.feasible = false;
  let sig = sigma + s * dSig;
  var F = 0.0;
  var logs = 0.0;
  var g0 = -(${c0.rhs});
  var g1 = -(${c1.rhs});
  for (var m = 0; m < M; m++) {
    var x = array<f32, NV>();
    for (var i = 0; i < NV; i++) {
      x[i] = v[m][i] + s * dx[m][i];
      if (!(x[i] > 0.0)) {
        return out;
      }
    }
    var S = slots(m, x, false);
    F += S.obj;
    for (var k = 0; k < ${NC}; k++) {
      if (S.act[k] > 0.5) {
        let f = shifted(S, k, phaseOne, sig);
        if (!(f < 0.0)) {
          return out;
        }
        logs += log(-f);
      }
    }
    g0 += (${c0.weight}) * x[${idx(c0.v)}];
    g1 += (${c1.weight}) * x[${idx(c1.v)}];
  }
  if (!(g0 < 0.0 && g1 < 0.0)) {
    return out;
  }
  out.f = select(F, sig, phaseOne);
  out.logs = logs + log(-g0) + log(-g1);
  out.feasible = true;
  return out;
}

struct Outcome {
  steps : i32,
  failed : bool,
  certified : bool,
}

// The barrier method from v (and sigma in phase one); leaves its last iterate in v.
fn barrier(phaseOne : bool) -> Outcome {
  var out = Outcome();
  var mc = 2.0;
  for (var m = 0; m < M; m++) {
    var S = slots(m, v[m], false);
    for (var k = 0; k < ${NC}; k++) {
      mc += S.act[k];
    }
  }
  let start = merit(0.0, 0.0, phaseOne);
  let scale = select(abs(start.f), max(abs(sigma), 1e-3), phaseOne);
  var t = mc / (uniforms.initialGapFraction * scale + 1e-12);
  for (var step = 0; step < uniforms.maxSteps; step++) {
    if (phaseOne && sigma < -uniforms.sigmaTarget) {
      break;
    }
    out.steps = step + 1;
    var g0 = -(${c0.rhs});
    var g1 = -(${c1.rhs});
    for (var m = 0; m < M; m++) {
      g0 += (${c0.weight}) * v[m][${idx(c0.v)}];
      g1 += (${c1.weight}) * v[m][${idx(c1.v)}];
    }
    let lc0 = 1.0 / (t * -g0);
    let lc1 = 1.0 / (t * -g1);
    let d0 = lc0 / -g0;
    let d1 = lc1 / -g1;
    // Pass 1: blocks, their factors and the four block solves per UE, with the coupling sums.
    var F = 0.0;
    var logs = log(-g0) + log(-g1);
    var hss = 0.0;
    var lamSlack = 0.0;
    var u0z0 = 0.0;
    var u0z1 = 0.0;
    var u1z1 = 0.0;
    var qy0 = 0.0;
    var qy1 = 0.0;
    var qh0 = 0.0;
    var qh1 = 0.0;
    for (var m = 0; m < M; m++) {
      var S = slots(m, v[m], true);
      let w0 = ${c0.weight};
      let w1 = ${c1.weight};
      F += S.obj;
      var H = array<array<f32, NV>, NV>();
      var r = array<f32, NV>();
      var hc = array<f32, NV>();
      if (!phaseOne) {
        for (var i = 0; i < NV; i++) {
          H[i][i] += S.oh[i];
          r[i] -= S.og[i];
        }
${objCross}
      }
      for (var k = 0; k < ${NC}; k++) {
        if (S.act[k] < 0.5) {
          continue;
        }
        let f = shifted(S, k, phaseOne, sigma);
        logs += log(-f);
        let lam = 1.0 / (t * -f);
        let wt = t * lam * lam;
        for (var i = 0; i < NV; i++) {
          let gi = S.g[k][i];
          r[i] -= lam * gi;
          H[i][i] += lam * S.h[k][i];
          for (var j = 0; j <= i; j++) {
            H[i][j] += wt * gi * S.g[k][j];
          }
          if (phaseOne && k < 4) {
            hc[i] -= wt * gi;
          }
        }
${slotCross}
        if (phaseOne && k < 4) {
          hss += wt;
          lamSlack += lam;
        }
      }
      // Fixed variables: identity rows.
${spec.fixedIdentity}
      r[${idx(c0.v)}] -= lc0 * w0;
      r[${idx(c1.v)}] -= lc1 * w1;
      let L = cholesky(H);
      y[m] = cholSolve(L, r);
      var e0 = array<f32, NV>();
      e0[${idx(c0.v)}] = w0;
      z0[m] = cholSolve(L, e0);
      var e1 = array<f32, NV>();
      e1[${idx(c1.v)}] = w1;
      z1[m] = cholSolve(L, e1);
      rhsv[m] = r;
      hcolv[m] = hc;
      u0z0 += w0 * z0[m][${idx(c0.v)}];
      u0z1 += w0 * z1[m][${idx(c0.v)}];
      u1z1 += w1 * z1[m][${idx(c1.v)}];
      qy0 += w0 * y[m][${idx(c0.v)}];
      qy1 += w1 * y[m][${idx(c1.v)}];
      if (phaseOne) {
        zh[m] = cholSolve(L, hc);
        qh0 += w0 * zh[m][${idx(c0.v)}];
        qh1 += w1 * zh[m][${idx(c1.v)}];
      }
    }
    // Woodbury with v_k = sqrt(d_k) u_k: S = I + V^T H^-1 V per realisation.
    let s0 = sqrt(d0);
    let s1 = sqrt(d1);
    let S00 = 1.0 + d0 * u0z0;
    let S01 = s0 * s1 * u0z1;
    let S11 = 1.0 + d1 * u1z1;
    let det = S00 * S11 - S01 * S01;
    let c0y = s0 * (S11 * s0 * qy0 - S01 * s1 * qy1) / det;
    let c1y = s1 * (S00 * s1 * qy1 - S01 * s0 * qy0) / det;
    let c0h = s0 * (S11 * s0 * qh0 - S01 * s1 * qh1) / det;
    let c1h = s1 * (S00 * s1 * qh1 - S01 * s0 * qh0) / det;
    // Pass 2: the coupled steps (and A^-1 h in phase one).
    var hAr = 0.0;
    var hAh = 0.0;
    for (var m = 0; m < M; m++) {
      for (var i = 0; i < NV; i++) {
        dx[m][i] = y[m][i] - c0y * z0[m][i] - c1y * z1[m][i];
        if (phaseOne) {
          zh[m][i] = zh[m][i] - c0h * z0[m][i] - c1h * z1[m][i];
          hAr += hcolv[m][i] * dx[m][i];
          hAh += hcolv[m][i] * zh[m][i];
        }
      }
    }
    var dSig = 0.0;
    var dec2 = 0.0;
    if (phaseOne) {
      let rSigma = -1.0 + lamSlack;
      dSig = (rSigma - hAr) / (hss - hAh);
      dec2 = rSigma * dSig;
    }
    // Pass 3: the slack correction, fixed variables, the decrement and the fraction to the boundary.
    var sMax = 1.0 / 0.99;
    var slope0 = 0.0;
    var slope1 = 0.0;
    for (var m = 0; m < M; m++) {
      var S = slots(m, v[m], true);
      if (phaseOne) {
        for (var i = 0; i < NV; i++) {
          dx[m][i] -= dSig * zh[m][i];
        }
      }
${spec.fixedMask}
      for (var i = 0; i < NV; i++) {
        dec2 += rhsv[m][i] * dx[m][i];
      }
      for (var k = 0; k < ${NC}; k++) {
        if (S.act[k] < 0.5) {
          continue;
        }
        var slope = select(0.0, -dSig, phaseOne && k < 4);
        for (var i = 0; i < NV; i++) {
          slope += S.g[k][i] * dx[m][i];
        }
        if (slope > 0.0) {
          sMax = min(sMax, -shifted(S, k, phaseOne, sigma) / slope);
        }
      }
      slope0 += (${c0.weight}) * dx[m][${idx(c0.v)}];
      slope1 += (${c1.weight}) * dx[m][${idx(c1.v)}];
    }
    if (!finite(dec2)) {
      out.failed = true;
      break;
    }
    if (slope0 > 0.0) {
      sMax = min(sMax, -g0 / slope0);
    }
    if (slope1 > 0.0) {
      sMax = min(sMax, -g1 / slope1);
    }
    if (phaseOne && dSig < 0.0) {
      // Land sigma near -2 sigmaTarget rather than deep inside.
      sMax = min(sMax, max(sigma + 2.0 * uniforms.sigmaTarget, 0.0) / -dSig / 0.99);
    }
    let fValue = select(F, sigma, phaseOne);
    let fScale = select(max(abs(F), 1.0), 1.0, phaseOne);
    let gap = mc / t;
    let centred = dec2 / 2.0 <= max(uniforms.centringTol * fScale, uniforms.centringGapFraction * gap);
    let gapSmall = select(gap <= uniforms.gapRtol * fScale, gap <= 1e-9, phaseOne);
    if (centred && gapSmall) {
      out.certified = true;
      break;
    }
    // The next t: mu t, but no further than the gap target needs.
    let tNext = select(max(t, min(t * uniforms.mu, mc / (0.5 * uniforms.gapRtol * fScale))), t * uniforms.mu, phaseOne);
    if (centred) {
      t = tNext;
      continue;
    }
    // Backtracking: feasibility, then Armijo on psi_t with a strict decrease.
    let psi0 = fValue - logs / t;
    var s = min(1.0, 0.99 * sMax);
    var moved = false;
    for (var h = 0; h < uniforms.maxHalvings; h++) {
      let e = merit(s, dSig, phaseOne);
      if (e.feasible) {
        let psi = e.f - e.logs / t;
        if (psi <= psi0 - 0.01 * s * dec2 && psi < psi0) {
          for (var m = 0; m < M; m++) {
            for (var i = 0; i < NV; i++) {
              v[m][i] += s * dx[m][i];
            }
          }
          if (phaseOne) {
            sigma += s * dSig;
          }
          moved = true;
          break;
        }
      }
      s *= 0.5;
    }
    if (!moved) {
      // Centred as far as float32 allows: stop if the gap is small, else raise t.
      if (gapSmall) {
        break;
      }
      t = tNext;
    }
  }
  return out;
}

fn main(index : i32) {
  if (index >= uniforms.rows) {
    return;
  }
  row = index;
  for (var i = 0; i < NV; i++) {
    for (var m = 0; m < M; m++) {
      v[m][i] = coef(${NCOEF} + i, m);
    }
  }
  let rowActive = X[${NCOEF + NV} * M * uniforms.rows + row];
  var solved = 0.0;
  var certified = 0.0;
  var failed = 0.0;
  var steps = 0;
  if (rowActive > 0.5) {
    // sigma0 above the largest slack slot.
    var worst = -3.0e38;
    for (var m = 0; m < M; m++) {
      var S = slots(m, v[m], false);
      for (var k = 0; k < 4; k++) {
        if (S.act[k] > 0.5) {
          worst = max(worst, S.val[k]);
        }
      }
    }
    sigma = worst + 1e-2 * max(1.0, abs(worst));
    let one = barrier(true);
    steps = one.steps;
    if (one.failed) {
      failed = 1.0;
    } else if (sigma < 0.0) {
      let two = barrier(false);
      steps += two.steps;
      if (two.failed) {
        failed = 1.0;
      } else {
        solved = 1.0;
        certified = select(0.0, 1.0, two.certified);
      }
    }
  }
  let N = uniforms.rows;
  let NOUT = ${spec.outVars.length};
  var outVar = array<i32, ${spec.outVars.length}>(${spec.outVars.map(idx).join(', ')});
  for (var i = 0; i < NOUT; i++) {
    for (var m = 0; m < M; m++) {
      result[(i * M + m) * N + row] = v[m][outVar[i]];
    }
  }
  result[(NOUT * M) * N + row] = solved;
  result[(NOUT * M + 1) * N + row] = certified;
  result[(NOUT * M + 2) * N + row] = failed;
  result[(NOUT * M + 3) * N + row] = f32(steps);
}
`;
}
