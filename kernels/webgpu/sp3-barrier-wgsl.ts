/**
 * WGSL source of the fused SP3 solver: the whole of SP3's barrier method (phase one, then phase
 * two) for one realisation per GPU thread, in one dispatch. It is the per-thread twin of
 * kernels/sp3-ipm.ts + kernels/sp3-newton.ts (the tfjs reference it is tested against) and follows
 * the same rules: the seven slots of kernels/sp3-slots.ts (SPEC eq. 17, 19, 12 and the boxes),
 * the 5 x 5 block per UE in the order b, p, tau, fue, fes with a Cholesky factor floored at 1e-7 of
 * its diagonal, the rank-2 coupling (sum b <= 1, (6f)) by Woodbury, the phase-one slack by a Schur
 * complement, fraction-to-the-boundary 0.99, Armijo backtracking with a strict decrease, and the
 * same centring, gap and t-update tests. One difference: inactive slots (a cached UE's tau and
 * energy slots, fixed CPU rates) are skipped outright instead of being read as -1.
 *
 * Every local is initialised explicitly: on Dawn with lavapipe, a `var` declared without an
 * initialiser inside a loop body kept its value from the previous iteration (the 5 x 5 blocks
 * summed over the UEs), where WGSL says it starts at zero.
 *
 * Layout (float32, realisation index n fastest so that a warp's reads coalesce):
 *   X      [IN_ROWS * N]: row r of realisation n at X[r * N + n]
 *            rows c * M + m, c = 0..13: the coefficients of UE m in COEFFICIENT_ORDER
 *            rows (14 + i) * M + m, i = 0..4: the start v0 of UE m in VAR_ORDER
 *            row 19 M: 1 where the realisation is to be solved
 *   result [OUT_ROWS * N]: rows i * M + m, i = 0..3: b, p, fue, fes of the final iterate;
 *            then solved, certified, failed, Newton steps (phase one + phase two)
 */

import { BLOCK_CHOLESKY_WGSL } from './block-cholesky-wgsl.js';
import { SP3_SLOTS_WGSL } from './sp3-slots-wgsl.js';

/** Coefficient rows of X, in order (fields of Sp3Coefficients). */
export const COEFFICIENT_ORDER = [
  'uncached', 'freeFue', 'freeFes', 'localWork', 'edgeWork', 'txBits', 'localEnergy', 'energyP', 'energyTau',
  'rsConst', 'rsLinB', 'ap', 'lb2', 'esWeight',
] as const;
/** Variable rows of X (the block order). */
export const VAR_ORDER = ['b', 'p', 'tau', 'fue', 'fes'] as const;
/** Output variables, in order. */
export const OUT_VARS = ['b', 'p', 'fue', 'fes'] as const;
export const OUT_FLAGS = ['solved', 'certified', 'failed', 'steps'] as const;

export const inRows = (M: number): number => (COEFFICIENT_ORDER.length + VAR_ORDER.length) * M + 1;
export const outRows = (M: number): number => OUT_VARS.length * M + OUT_FLAGS.length;

/** The program's own uniforms, in declaration order (after tfjs's shape uniforms). */
export const UNIFORMS = [
  ['rows', 'i32'], ['maxSteps', 'i32'], ['maxHalvings', 'i32'],
  ['K', 'f32'], ['rMin', 'f32'], ['tMax', 'f32'], ['eMax', 'f32'], ['pMax', 'f32'], ['fUeMax', 'f32'], ['fEsMax', 'f32'],
  ['gapRtol', 'f32'], ['centringTol', 'f32'], ['centringGapFraction', 'f32'], ['mu', 'f32'], ['initialGapFraction', 'f32'],
  ['sigmaTarget', 'f32'],
] as const;
export type UniformName = (typeof UNIFORMS)[number][0];

/** The user code of the tfjs WebGPU program for M UEs (tfjs adds the bindings and `_start`). */
export function sp3BarrierWgsl(M: number): string {
  return /* wgsl */ `
const M : i32 = ${M};
const B : i32 = 0;
const P : i32 = 1;
const TAU : i32 = 2;
const FUE : i32 = 3;
const FES : i32 = 4;

var<private> row : i32;
var<private> v : array<array<f32, 5>, M>;
var<private> dx : array<array<f32, 5>, M>;
var<private> y : array<array<f32, 5>, M>;
var<private> z0 : array<array<f32, 5>, M>;
var<private> z1 : array<array<f32, 5>, M>;
var<private> zh : array<array<f32, 5>, M>;
var<private> rhsv : array<array<f32, 5>, M>;
var<private> hcolv : array<array<f32, 5>, M>;
var<private> sigma : f32;

fn finite(x : f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

fn coef(c : i32, m : i32) -> f32 {
  return X[(c * M + m) * uniforms.rows + row];
}

${SP3_SLOTS_WGSL}
${BLOCK_CHOLESKY_WGSL}
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
  var g0 = -1.0;
  var g1 = -uniforms.fEsMax;
  for (var m = 0; m < M; m++) {
    var x = array<f32, 5>();
    for (var i = 0; i < 5; i++) {
      x[i] = v[m][i] + s * dx[m][i];
      if (!(x[i] > 0.0)) {
        return out;
      }
    }
    var S = slots(m, x, false);
    F += S.obj;
    for (var k = 0; k < 7; k++) {
      if (S.act[k] > 0.5) {
        let f = shifted(S, k, phaseOne, sig);
        if (!(f < 0.0)) {
          return out;
        }
        logs += log(-f);
      }
    }
    g0 += x[B];
    g1 += coef(13, m) * x[FES];
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
    for (var k = 0; k < 7; k++) {
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
    var g0 = -1.0;
    var g1 = -uniforms.fEsMax;
    for (var m = 0; m < M; m++) {
      g0 += v[m][B];
      g1 += coef(13, m) * v[m][FES];
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
      let w = coef(13, m);
      F += S.obj;
      var H = array<array<f32, 5>, 5>();
      var r = array<f32, 5>();
      var hc = array<f32, 5>();
      if (!phaseOne) {
        for (var i = 0; i < 5; i++) {
          H[i][i] += S.oh[i];
          r[i] -= S.og[i];
        }
      }
      for (var k = 0; k < 7; k++) {
        if (S.act[k] < 0.5) {
          continue;
        }
        let f = shifted(S, k, phaseOne, sigma);
        logs += log(-f);
        let lam = 1.0 / (t * -f);
        let wt = t * lam * lam;
        for (var i = 0; i < 5; i++) {
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
        if (phaseOne && k < 4) {
          hss += wt;
          lamSlack += lam;
        }
      }
      // Fixed variables: identity rows.
      H[TAU][TAU] += 1.0 - S.act[1];
      H[FUE][FUE] += 1.0 - S.act[5];
      H[FES][FES] += 1.0 - S.act[6];
      r[B] -= lc0;
      r[FES] -= lc1 * w;
      let L = cholesky(H);
      y[m] = cholSolve(L, r);
      var e0 = array<f32, 5>();
      e0[B] = 1.0;
      z0[m] = cholSolve(L, e0);
      var e1 = array<f32, 5>();
      e1[FES] = w;
      z1[m] = cholSolve(L, e1);
      rhsv[m] = r;
      hcolv[m] = hc;
      u0z0 += z0[m][B];
      u0z1 += z1[m][B];
      u1z1 += w * z1[m][FES];
      qy0 += y[m][B];
      qy1 += w * y[m][FES];
      if (phaseOne) {
        zh[m] = cholSolve(L, hc);
        qh0 += zh[m][B];
        qh1 += w * zh[m][FES];
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
      for (var i = 0; i < 5; i++) {
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
        for (var i = 0; i < 5; i++) {
          dx[m][i] -= dSig * zh[m][i];
        }
      }
      dx[m][TAU] *= S.act[1];
      dx[m][FUE] *= S.act[5];
      dx[m][FES] *= S.act[6];
      for (var i = 0; i < 5; i++) {
        dec2 += rhsv[m][i] * dx[m][i];
      }
      for (var k = 0; k < 7; k++) {
        if (S.act[k] < 0.5) {
          continue;
        }
        var slope = select(0.0, -dSig, phaseOne && k < 4);
        for (var i = 0; i < 5; i++) {
          slope += S.g[k][i] * dx[m][i];
        }
        if (slope > 0.0) {
          sMax = min(sMax, -shifted(S, k, phaseOne, sigma) / slope);
        }
      }
      slope0 += dx[m][B];
      slope1 += coef(13, m) * dx[m][FES];
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
            for (var i = 0; i < 5; i++) {
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
  for (var i = 0; i < 5; i++) {
    for (var m = 0; m < M; m++) {
      v[m][i] = coef(14 + i, m);
    }
  }
  let rowActive = X[19 * M * uniforms.rows + row];
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
  var outVar = array<i32, 4>(B, P, FUE, FES);
  for (var i = 0; i < 4; i++) {
    for (var m = 0; m < M; m++) {
      result[(i * M + m) * N + row] = v[m][outVar[i]];
    }
  }
  result[(4 * M) * N + row] = solved;
  result[(4 * M + 1) * N + row] = certified;
  result[(4 * M + 2) * N + row] = failed;
  result[(4 * M + 3) * N + row] = f32(steps);
}
`;
}
