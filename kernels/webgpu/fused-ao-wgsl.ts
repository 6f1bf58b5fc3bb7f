/**
 * WGSL of the fused AO program: the whole of Algorithm 1 for one realisation per GPU thread, in
 * one dispatch (the per-thread twin of engine/ao/solve-ao.ts for methods ao and joint's AO part):
 *
 *   start:   construction, check, bandwidth test, phase one (fused-start-wgsl.ts); rows it cannot settle
 *            end as start-on-host, and a second dispatch ('solve-from') runs them from the host's start
 *   repeat:  SP1 -> SP2 -> SP3 (fused-subproblems-wgsl.ts, SP3 on the fused block solver)
 *   until:   |J(i) - J(i-1)| <= tol J(i-1), or Imax iterations
 *   finally: J with R~ and with the exact rate, the check of (6) with the exact rate, and per UE
 *            the latency, energy and rate with the exact rate (fused-model-wgsl.ts)
 *
 * A numerical failure (SP2's LP found infeasible, a non-finite J or SP3 step) restores the last
 * good point and ends that row with status numerical-failure; the other rows go on.
 *
 * The modes (fused-ao-layout.ts MODES) run single phases from a given point for the tests.
 * Shapes: X [inRows, N], result [outRows, N] as fused-ao-layout.ts describes.
 */
import { blockSolverWgsl } from './block-ipm-wgsl.js';
import { blockPlumbingWgsl, UNIFORMS as BARRIER_UNIFORMS } from './block-spec-wgsl.js';
import { SP3_FUSED } from './sp3-surrogate-wgsl.js';
import { FUSED_MODEL_WGSL } from './fused-model-wgsl.js';
import { FUSED_START_WGSL } from './fused-start-wgsl.js';
import { FUSED_SUBPROBLEMS_WGSL } from './fused-subproblems-wgsl.js';
import { layoutWgsl, POINT_FIELDS, PROBLEM_FIELDS, scalarRow0, traceRow0, upperSnake } from './fused-ao-layout.js';
import { PULL } from '../../engine/ao/solver-constants.js';
import { DRAW_UNIFORMS, DRAW_WGSL } from './draw-wgsl.js';

/** The program's uniforms, in declaration order: the block solver's, then the AO's. */
export const AO_UNIFORMS = [
  ...BARRIER_UNIFORMS,
  ['mode', 'i32'], ['savingRule', 'i32'],
  ['kappa', 'f32'], ['ku', 'f32'], ['ke', 'f32'], ['theta', 'f32'], ['sMax', 'f32'], ['tolerance', 'f32'], ['acceptViolation', 'f32'],
  ['drawOnDevice', 'i32'], ...DRAW_UNIFORMS,
] as const;
export type AoUniformName = (typeof AO_UNIFORMS)[number][0];

export const POINT_ARRAYS: Record<(typeof POINT_FIELDS)[number], string> = {
  cached: 'xs', alpha: 'xa', bandwidth: 'xb', powerW: 'xp', fUeGHz: 'xfue', fEsGHz: 'xfes',
};
const PROBLEM_ARRAYS: Record<(typeof PROBLEM_FIELDS)[number], string> = { cPerW: 'cPerW', cyclesMc: 'cyc', bitsKbit: 'bits' };


/**
 * What both fused programs share: the constants, the layout, the per-thread problem and point
 * (with a saved copy), the input and output accessors, loading and the outputs' defaults.
 */
export function fusedPreludeWgsl(M: number, maxIterations: number): string {
  const pointArrays = Object.values(POINT_ARRAYS);
  return /* wgsl */ `
const M : i32 = ${M};
const IMAX : i32 = ${maxIterations};
const PULL : f32 = ${PULL};
const TRACE0 : i32 = ${traceRow0(M)};
const SCALAR0 : i32 = ${scalarRow0(M, maxIterations)};
${layoutWgsl()}

var<private> row : i32;
var<private> cPerW : array<f32, M>;
var<private> cyc : array<f32, M>;
var<private> bits : array<f32, M>;
${pointArrays.map((a) => `var<private> ${a} : array<f32, M>;\nvar<private> ${a}Saved : array<f32, M>;`).join('\n')}

fn input(field : i32, m : i32) -> f32 {
  return X[(field * M + m) * uniforms.rows + row];
}

// Per-UE outputs realisation-major ([field][row][m]): the host copies each field as it is.
fn outUe(field : i32, m : i32, value : f32) {
  result[(field * uniforms.rows + row) * M + m] = value;
}

fn outScalar(k : i32, value : f32) {
  result[(SCALAR0 + k) * uniforms.rows + row] = value;
}

fn outTrace(i : i32, value : f32) {
  result[(TRACE0 + i) * uniforms.rows + row] = value;
}

fn savePoint() {
  for (var m = 0; m < M; m++) {
${pointArrays.map((a) => `    ${a}Saved[m] = ${a}[m];`).join('\n')}
  }
}

fn restorePoint() {
  for (var m = 0; m < M; m++) {
${pointArrays.map((a) => `    ${a}[m] = ${a}Saved[m];`).join('\n')}
  }
}

// The problem: drawn here from its Philox keys (drawOnDevice), or read from X.
fn loadProblem() {
  if (uniforms.drawOnDevice == 1) {
    drawBegin(row);
    for (var m = 0; m < M; m++) {
      let d = drawUe(m);
      cPerW[m] = d.cPerW;
      cyc[m] = d.cyclesMc;
      bits[m] = d.bitsKbit;
    }
    return;
  }
  for (var m = 0; m < M; m++) {
${Object.entries(PROBLEM_ARRAYS).map(([f, a]) => `    ${a}[m] = input(I_${upperSnake(f)}, m);`).join('\n')}
  }
}

fn loadPoint() {
  for (var m = 0; m < M; m++) {
${Object.entries(POINT_ARRAYS).map(([f, a]) => `    ${a}[m] = input(I_${upperSnake(f)}, m);`).join('\n')}
  }
}


fn initOutputs() {
  for (var i = 0; i <= IMAX; i++) {
    outTrace(i, nanF32());
  }
  outScalar(R_VIOLATED, 0.0);
  outScalar(R_VIOLATED_DEVICE, -1.0);
  outScalar(R_ACCEPTED, 0.0);
}
`;
}

/** The final check and the per-UE outputs (`fn finish(feasible)`), shared by both fused programs. */
export function fusedFinishWgsl(): string {
  return /* wgsl */ `
// The final point's values with the exact rate, and the check of (6).
fn finish(feasible : bool) {
  for (var m = 0; m < M; m++) {
${Object.entries(POINT_ARRAYS).map(([f, a]) => `    outUe(O_${upperSnake(f)}, m, ${a}[m]);`).join('\n')}
    let r = rateExact(m, xb[m], xp[m]);
    outUe(O_RATE_MBPS, m, r);
    outUe(O_LATENCY_MS, m, latencyOf(m, r));
    outUe(O_ENERGY_MJ, m, energyOf(m, r));
  }
  if (!feasible) {
    outScalar(R_OBJECTIVE_MS, nanF32());
    outScalar(R_OBJECTIVE_EXACT_MS, nanF32());
    outScalar(R_MAX_VIOLATION, nanF32());
    return;
  }
  outScalar(R_OBJECTIVE_MS, totalMs(false));
  outScalar(R_OBJECTIVE_EXACT_MS, totalMs(true));
  let c = checkPoint(true);
  outScalar(R_MAX_VIOLATION, c.viol);
  outScalar(R_VIOLATED, f32(c.constraint));
  outScalar(R_VIOLATED_DEVICE, f32(c.device));
}

`;
}

/**
 * The user code of the tfjs WebGPU program for M UEs and Imax iterations (tfjs adds the bindings
 * and `_start`). `withPoint`: X holds the point rows after the problem's.
 */
export function fusedAoWgsl(M: number, maxIterations: number): string {
  const pointArrays = Object.values(POINT_ARRAYS);
  return /* wgsl */ `
${fusedPreludeWgsl(M, maxIterations)}
${DRAW_WGSL}
${FUSED_MODEL_WGSL}
${blockPlumbingWgsl(SP3_FUSED)}
${SP3_FUSED.slotsWgsl}
${blockSolverWgsl(SP3_FUSED, M)}
${FUSED_START_WGSL}
${FUSED_SUBPROBLEMS_WGSL}
${fusedFinishWgsl()}

struct Ao {
  status : i32,
  iterations : i32,
  sp3Calls : i32,
  sp3Certified : i32,
  newtonSteps : i32,
  failure : i32,
}

// Algorithm 1 from the feasible point in the point arrays; writes the trace.
fn runAo() -> Ao {
  var out = Ao(S_NUMERICAL_FAILURE, 0, 0, 0, 0, FAIL_NONE);
  var jPrev = totalMs(false);
  outTrace(0, jPrev);
  if (!finite(jPrev) || jPrev >= BIG) {
    out.failure = FAIL_START_NON_FINITE;
    return out;
  }
  for (var i = 1; i <= IMAX; i++) {
${pointArrays.map((a) => `    var ${a}Good = ${a};`).join('\n')}
    sp1();
    out.iterations = i;
    if (!sp2()) {
${pointArrays.map((a) => `      ${a} = ${a}Good;`).join('\n')}
      out.failure = FAIL_SP2_INFEASIBLE;
      return out;
    }
    let jSp2 = totalMs(false);
    let step = sp3(jSp2);
    out.sp3Calls++;
    out.sp3Certified += select(0, 1, step.certified);
    out.newtonSteps += step.steps;
    let j = totalMs(false);
    if (step.failed || !finite(j)) {
${pointArrays.map((a) => `      ${a} = ${a}Good;`).join('\n')}
      out.failure = FAIL_NON_FINITE;
      return out;
    }
    outTrace(i, j);
    if (abs(j - jPrev) <= uniforms.tolerance * jPrev) {
      out.status = S_CONVERGED;
      return out;
    }
    jPrev = j;
  }
  out.status = S_MAX_ITERATIONS;
  return out;
}

fn writeAo(a : Ao) {
  outScalar(R_STATUS, f32(a.status));
  outScalar(R_ITERATIONS, f32(a.iterations));
  outScalar(R_SP3_CALLS, f32(a.sp3Calls));
  outScalar(R_SP3_CERTIFIED, f32(a.sp3Certified));
  outScalar(R_NEWTON_STEPS, f32(a.newtonSteps));
  outScalar(R_DETAIL, f32(a.failure));
}

fn main(index : i32) {
  if (index >= uniforms.rows) {
    return;
  }
  row = index;
  initOutputs();
  writeAo(Ao(S_NUMERICAL_FAILURE, 0, 0, 0, 0, FAIL_NONE));
  loadProblem();
  let mode = uniforms.mode;
  if (mode == MODE_SOLVE || mode == MODE_START) {
    let s = feasibleStart();
    outScalar(R_START, f32(s.code));
    outScalar(R_BANDWIDTH_SUM, s.bandwidthSum);
    if (!s.feasible) {
      var a = Ao(S_START_ON_HOST, 0, 0, 0, 0, FAIL_NONE);
      if (s.code == START_BANDWIDTH_TEST || s.code == START_PHASE_ONE) {
        a.status = S_INFEASIBLE;
      }
      writeAo(a);
      outScalar(R_DETAIL, f32(s.hopeless));
      finish(false);
      if (s.code == START_PHASE_ONE) {
        outScalar(R_VIOLATED, f32(s.constraint));
        outScalar(R_START_SIGMA, s.sigma);
      }
      return;
    }
    if (mode == MODE_START) {
      outScalar(R_STATUS, f32(S_CONVERGED));
      finish(true);
      return;
    }
    let a = runAo();
    writeAo(a);
    finish(true);
    return;
  }
  loadPoint();
  outScalar(R_START, f32(START_HOST));
  if (mode == MODE_SOLVE_FROM) {
    let a = runAo();
    writeAo(a);
    finish(true);
    return;
  }
  var a = Ao(S_CONVERGED, 1, 0, 0, 0, FAIL_NONE);
  if (mode == MODE_SP1) {
    sp1();
  } else if (mode == MODE_SP2) {
    if (!sp2()) {
      a.status = S_NUMERICAL_FAILURE;
      a.failure = FAIL_SP2_INFEASIBLE;
    }
  } else if (mode == MODE_SP3) {
    let step = sp3(totalMs(false));
    a.sp3Calls = 1;
    a.sp3Certified = select(0, 1, step.certified);
    a.newtonSteps = step.steps;
    outScalar(R_ACCEPTED, select(0.0, 1.0, step.accepted));
    if (step.failed) {
      a.status = S_NUMERICAL_FAILURE;
      a.failure = FAIL_NON_FINITE;
    }
  }
  writeAo(a);
  finish(true);
}
`;
}
