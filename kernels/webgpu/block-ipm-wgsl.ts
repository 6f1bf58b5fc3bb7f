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
 * What differs between problems comes from a `FusedBlockSpec` (block-spec-wgsl.ts: the spec,
 * its generated plumbing and the standalone program's layout). The Newton direction of each step
 * is block-newton-wgsl.ts. The solver (`blockSolverWgsl`)
 * only needs `coef(c, m)`: the standalone program below reads the coefficients from its input X;
 * the fused AO program (fused-ao-wgsl.ts) computes them per thread.
 *
 * Every local is initialised explicitly: on Dawn with lavapipe, a `var` declared without an
 * initialiser inside a loop body kept its value from the previous iteration (the blocks summed
 * over the UEs), where WGSL says it starts at zero.
 */

import { blockCholeskyWgsl } from './small-cholesky-wgsl.js';
import { PHASE_ONE_START_MARGIN } from '../../engine/ao/solver-constants.js';
import { blockPlumbingWgsl, couplingRhs, couplingWeight, varConst, type FusedBlockSpec } from './block-spec-wgsl.js';
import { newtonDirectionWgsl } from './block-newton-wgsl.js';


/**
 * The solver for M UEs: its per-thread state, the merit function, the barrier method and
 * `solveBlock()` (phase one from the start in v, then phase two), for a program that defines
 * `coef(c, m)`, `uniforms` (block-spec-wgsl.ts `UNIFORMS`) and the spec's plumbing and slots.
 */
export function blockSolverWgsl(spec: FusedBlockSpec, M: number): string {
  const [c0, c1] = spec.coupling;
  const idx = varConst;
  const fixedMask = spec.fixed.map((f) => `      dx[m][${idx(f.v)}] *= S.act[${f.whereSlotInactive}];`).join('\n');
  const w0 = couplingWeight(c0);
  const w1 = couplingWeight(c1);
  const rhs0 = couplingRhs(c0);
  const rhs1 = couplingRhs(c1);
  return /* wgsl */ `
var<private> v : array<array<f32, NV>, ${M}>;
var<private> dx : array<array<f32, NV>, ${M}>;
var<private> y : array<array<f32, NV>, ${M}>;
var<private> z0 : array<array<f32, NV>, ${M}>;
var<private> z1 : array<array<f32, NV>, ${M}>;
var<private> zh : array<array<f32, NV>, ${M}>;
var<private> rhsv : array<array<f32, NV>, ${M}>;
var<private> hcolv : array<array<f32, NV>, ${M}>;
var<private> sigma : f32;

${blockCholeskyWgsl(spec.vars.length)}
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
  var g0 = -(${rhs0});
  var g1 = -(${rhs1});
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
    for (var k = 0; k < NC; k++) {
      if (S.act[k] > 0.5) {
        let f = shifted(S, k, phaseOne, sig);
        if (!(f < 0.0)) {
          return out;
        }
        logs += log(-f);
      }
    }
    g0 += (${w0}) * x[${idx(c0.v)}];
    g1 += (${w1}) * x[${idx(c1.v)}];
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

// The barrier method from v (and sigma in phase one, which stops once sigma < -sigmaGoal); leaves
// its last iterate in v.
fn barrier(phaseOne : bool, sigmaGoal : f32) -> Outcome {
  var out = Outcome();
  var mc = 2.0;
  for (var m = 0; m < M; m++) {
    var S = slots(m, v[m], false);
    for (var k = 0; k < NC; k++) {
      mc += S.act[k];
    }
  }
  let start = merit(0.0, 0.0, phaseOne);
  let scale = select(abs(start.f), max(abs(sigma), 1e-3), phaseOne);
  var t = mc / (uniforms.initialGapFraction * scale + 1e-12);
  for (var step = 0; step < uniforms.maxSteps; step++) {
    if (phaseOne && sigma < -sigmaGoal) {
      break;
    }
    out.steps = step + 1;
    var g0 = -(${rhs0});
    var g1 = -(${rhs1});
    for (var m = 0; m < M; m++) {
      g0 += (${w0}) * v[m][${idx(c0.v)}];
      g1 += (${w1}) * v[m][${idx(c1.v)}];
    }
${newtonDirectionWgsl(spec)}    // Pass 3: the slack correction, fixed variables, the decrement and the fraction to the boundary.
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
${fixedMask}
      for (var i = 0; i < NV; i++) {
        dec2 += rhsv[m][i] * dx[m][i];
      }
      for (var k = 0; k < NC; k++) {
        if (S.act[k] < 0.5) {
          continue;
        }
        var slope = select(0.0, -dSig, phaseOne && k < NSLACK);
        for (var i = 0; i < NV; i++) {
          slope += S.g[k][i] * dx[m][i];
        }
        if (slope > 0.0) {
          sMax = min(sMax, -shifted(S, k, phaseOne, sigma) / slope);
        }
      }
      slope0 += (${w0}) * dx[m][${idx(c0.v)}];
      slope1 += (${w1}) * dx[m][${idx(c1.v)}];
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
      // Land sigma near -2 sigmaGoal rather than deep inside.
      sMax = min(sMax, max(sigma + 2.0 * sigmaGoal, 0.0) / -dSig / 0.99);
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


struct BlockOutcome {
  solved : bool,
  certified : bool,
  failed : bool,
  steps : i32,
}

// The largest active slack slot at v (the normalised violation; < 0 is strictly inside) and its
// index among the slack slots.
struct Worst {
  value : f32,
  slot : i32,
}

fn worstSlack() -> Worst {
  var out = Worst(-3.0e38, 0);
  for (var m = 0; m < M; m++) {
    var S = slots(m, v[m], false);
    for (var k = 0; k < NSLACK; k++) {
      if (S.act[k] > 0.5 && !(S.val[k] <= out.value)) {
        out = Worst(S.val[k], k);
      }
    }
  }
  return out;
}

// Phase one from v: sigma0 above the largest slack slot, then the barrier method until every
// slack slot is below -sigmaGoal (or phase one converges short of it).
fn phaseOneFrom(worst : f32, sigmaGoal : f32) -> Outcome {
  sigma = worst + ${PHASE_ONE_START_MARGIN} * max(1.0, abs(worst));
  return barrier(true, sigmaGoal);
}

// Both phases from the start in v (strictly inside the boxes and coupling rows): phase one finds
// a strictly feasible point (sigma < 0), phase two minimises; the last iterate stays in v.
fn solveBlock() -> BlockOutcome {
  var out = BlockOutcome();
  let one = phaseOneFrom(worstSlack().value, uniforms.sigmaTarget);
  out.steps = one.steps;
  if (one.failed) {
    out.failed = true;
  } else if (sigma < 0.0) {
    let two = barrier(false, uniforms.sigmaTarget);
    out.steps += two.steps;
    if (two.failed) {
      out.failed = true;
    } else {
      out.solved = true;
      out.certified = two.certified;
    }
  }
  return out;
}

struct Interior {
  failed : bool,
  // The largest slack slot reached (< 0: strictly feasible) and its index.
  sigma : f32,
  slot : i32,
  steps : i32,
}

// Phase one alone (engine/ao/block-interior.ts findInterior): from v (inside the boxes), a point
// where every slack slot is below -sigmaGoal, or the smallest largest slack phase one reaches.
fn findInteriorBlock(sigmaGoal : f32) -> Interior {
  let start = worstSlack();
  var out = Interior(!finite(start.value), start.value, start.slot, 0);
  if (out.failed || start.value < -sigmaGoal) {
    return out;
  }
  let one = phaseOneFrom(start.value, sigmaGoal);
  let end = worstSlack();
  out.steps = one.steps;
  out.failed = one.failed;
  out.sigma = end.value;
  out.slot = end.slot;
  return out;
}
`;
}

/** The user code of the standalone tfjs WebGPU program for M UEs (tfjs adds the bindings and `_start`). */
export function blockBarrierWgsl(spec: FusedBlockSpec, M: number): string {
  const NCOEF = spec.coefficients.length;
  const NV = spec.vars.length;
  return /* wgsl */ `
const M : i32 = ${M};
var<private> row : i32;

fn finite(x : f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

fn coef(c : i32, m : i32) -> f32 {
  return X[(c * M + m) * uniforms.rows + row];
}
${blockPlumbingWgsl(spec)}
${spec.slotsWgsl}
${blockSolverWgsl(spec, M)}
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
  var outcome = BlockOutcome();
  if (rowActive > 0.5) {
    outcome = solveBlock();
  }
  let N = uniforms.rows;
  let NOUT = ${spec.outVars.length};
  var outVar = array<i32, ${spec.outVars.length}>(${spec.outVars.map(varConst).join(', ')});
  for (var i = 0; i < NOUT; i++) {
    for (var m = 0; m < M; m++) {
      result[(i * M + m) * N + row] = v[m][outVar[i]];
    }
  }
  result[(NOUT * M) * N + row] = select(0.0, 1.0, outcome.solved);
  result[(NOUT * M + 1) * N + row] = select(0.0, 1.0, outcome.certified);
  result[(NOUT * M + 2) * N + row] = select(0.0, 1.0, outcome.failed);
  result[(NOUT * M + 3) * N + row] = f32(outcome.steps);
}
`;
}
