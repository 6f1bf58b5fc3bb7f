/**
 * WGSL of the fused joint program: method joint's SCA steps (the per-thread twin of
 * engine/ao/joint-sca.ts refineJoint, as kernels/solve-ao-batch.ts runs it) for one realisation
 * per GPU thread, from the AO's final point, in one dispatch:
 *
 *   repeat:  the joint surrogate around the point (kernels/joint-surrogate.ts jointCoefficients,
 *            jointStart), both barrier phases on the fused block solver with JOINT_FUSED, the
 *            candidate (jointPoint) taken where solved, J does not rise and (6) holds with R~
 *   until:   a step not taken, |J(i) - J(i-1)| <= tol J(i-1), or Imax steps
 *   finally: the final check, as the AO program's
 *
 * Output as fused-ao-layout.ts with these meanings: trace row 0 is J at the AO's point and rows
 * 1.. the J after each step taken; iterations = steps taken, sp3Calls = surrogate solves,
 * sp3Certified = those certified, detail = FAIL_NON_FINITE when a step failed numerically.
 * Input: X [inRows(M, point), N], the problem then the AO's point; rows with a status other
 * than converged or max-iterations are not stepped (`rowActive`: the status row of the input's
 * last row block is not needed: the host passes only rows to step).
 */
import { blockSolverWgsl } from './block-ipm-wgsl.js';
import { blockPlumbingWgsl } from './block-spec-wgsl.js';
import { JOINT_FUSED } from './joint-surrogate-wgsl.js';
import { FUSED_MODEL_WGSL } from './fused-model-wgsl.js';
import { DRAW_WGSL } from './draw-wgsl.js';
import { fusedPreludeWgsl, fusedFinishWgsl } from './fused-ao-wgsl.js';
import { ALPHA_PULL } from '../../engine/ao/solver-constants.js';

export function fusedJointWgsl(M: number, maxIterations: number): string {
  return /* wgsl */ `
${fusedPreludeWgsl(M, maxIterations)}
const ALPHA_PULL : f32 = ${ALPHA_PULL};
${DRAW_WGSL}
${FUSED_MODEL_WGSL}
${blockPlumbingWgsl(JOINT_FUSED)}

var<private> cf : array<array<f32, M>, NCOEF>;

fn coef(c : i32, m : i32) -> f32 {
  return cf[c][m];
}

${JOINT_FUSED.slotsWgsl}
${blockSolverWgsl(JOINT_FUSED, M)}

// The joint surrogate's coefficients around the point and the start v0 pulled inside.
fn jointSetup() {
  let ku = uniforms.ku;
  let ke = uniforms.ke;
  let keep = 1.0 - PULL;
  for (var m = 0; m < M; m++) {
    let s = xs[m];
    let un = 1.0 - s;
    let C = cyc[m];
    let b = xb[m];
    let p = xp[m];
    let tauBar = expansionTau(m, b, p);
    let we = max(1.0 - xa[m], ALPHA_PULL);
    let g = pow(we * p * tauBar, 1.0 / 3.0);
    cf[K_CACHED][m] = s;
    cf[K_UNCACHED][m] = un;
    cf[K_KT][m] = un * C / ku;
    cf[K_CE][m] = C / ke;
    cf[K_TX][m] = un * bits[m];
    cf[K_K_E][m] = un * C * 0.5 * uniforms.theta * ku * ku;
    cf[K_SW][m] = g / we;
    cf[K_SP][m] = g / p;
    cf[K_ST][m] = g / tauBar;
    setRateSurrogateCoefficients(m, b, p);
    // jointStart
    let al = clamp(xa[m], ALPHA_PULL, 1.0 - ALPHA_PULL);
    let fue = min(select(uniforms.fUeMax, xfue[m], xfue[m] > 0.0), uniforms.fUeMax * keep);
    let fes = select(uniforms.fEsMax * keep / f32(M), min(xfes[m] * keep, uniforms.fEsMax * keep), xfes[m] > 0.0);
    let isCached = s > 0.5;
    v[m][B] = b * keep;
    v[m][P] = min(p, uniforms.pMax * keep);
    v[m][R] = select(al / fue, 1.0, isCached);
    v[m][U] = select((1.0 - al) * fes, min(xfes[m] * keep, uniforms.fEsMax * keep), isCached);
    v[m][TAU] = select(tauBar, 1.0, isCached);
    v[m][ALPHA] = select(al, 0.5, isCached);
  }
}

struct Joint {
  steps : i32,
  solves : i32,
  certified : i32,
  newtonSteps : i32,
  failed : bool,
}

fn runJoint() -> Joint {
  var out = Joint(0, 0, 0, 0, false);
  var j = totalMs(false);
  outTrace(0, j);
  if (!finite(j)) {
    out.failed = true;
    return out;
  }
  for (var i = 1; i <= IMAX; i++) {
    jointSetup();
    let o = solveBlock();
    out.newtonSteps += o.steps;
    if (o.failed) {
      out.failed = true;
      return out;
    }
    if (!o.solved) {
      return out;
    }
    out.solves++;
    out.certified += select(0, 1, o.certified);
    savePoint();
    for (var m = 0; m < M; m++) {
      xb[m] = v[m][B];
      xp[m] = v[m][P];
      if (xs[m] > 0.5) {
        xfes[m] = v[m][U];
      } else {
        xa[m] = v[m][ALPHA];
        xfue[m] = v[m][ALPHA] / v[m][R];
        xfes[m] = v[m][U] / (1.0 - v[m][ALPHA]);
      }
    }
    let jc = totalMs(false);
    if (!(jc <= j) || checkPoint(false).viol > uniforms.acceptViolation) {
      restorePoint();
      return out;
    }
    let jPrev = j;
    j = jc;
    out.steps = i;
    outTrace(i, j);
    if (abs(jPrev - j) <= uniforms.tolerance * jPrev) {
      return out;
    }
  }
  return out;
}

${fusedFinishWgsl()}

fn main(index : i32) {
  if (index >= uniforms.rows) {
    return;
  }
  row = index;
  initOutputs();
  loadProblem();
  loadPoint();
  let o = runJoint();
  outScalar(R_STATUS, f32(S_CONVERGED));
  outScalar(R_ITERATIONS, f32(o.steps));
  outScalar(R_SP3_CALLS, f32(o.solves));
  outScalar(R_SP3_CERTIFIED, f32(o.certified));
  outScalar(R_NEWTON_STEPS, f32(o.newtonSteps));
  outScalar(R_DETAIL, f32(select(FAIL_NONE, FAIL_NON_FINITE, o.failed)));
  finish(true);
}
`;
}
