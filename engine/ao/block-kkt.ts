/**
 * Optimality measures of a block problem at a point and multipliers (Boyd & Vandenberghe,
 * section 11.7): the surrogate duality gap and the primal-dual residual.
 */
import type { BlockProblem, Evaluation } from './block-problem.js';

/** Surrogate duality gap eta = -sum f_i lambda_i over the slots and the coupling rows. */
export function dualityGap(P: BlockProblem, e: Evaluation, lambda: Float64Array): number {
  const active = P.active;
  let gap = 0;
  for (let i = 0; i < active.length; i++) if (active[i]) gap -= e.val[i] * lambda[i];
  return gap - e.couplingVal[0] * lambda[active.length] - e.couplingVal[1] * lambda[active.length + 1];
}

/**
 * The primal-dual residual at (e, lambda): the dual part grad f0 + sum lambda_i grad f_i +
 * sum lambda_k u_k over the free variables and the centring part -lambda_i f_i - 1/t. Returns
 * the 2-norm of both (for the line search); `dualInf` receives the dual part's inf-norm.
 */
/** The dual residual of one block (reused: no allocation per call). */
let scratch = new Float64Array(8);

export function primalDualResidual(P: BlockProblem, e: Evaluation, lambda: Float64Array, t: number): { norm: number; dualInf: number } {
  const nc = P.active.length / P.M;
  const active = P.active;
  const free = P.free;
  const grad = e.grad;
  const val = e.val;
  const objGrad = e.objGrad;
  const [u0, u1] = P.coupling;
  const base = active.length;
  const lc0 = lambda[base];
  const lc1 = lambda[base + 1];
  const invT = 1 / t;
  let sq = 0;
  let dualInf = 0;
  if (P.nv === 5 && P.crossPairs.length === 0) {
    // SP3's blocks, unrolled (this runs at every primal-dual step).
    for (let b = 0; b < P.M; b++) {
      const xb = b * 5;
      let d0 = objGrad[xb] + lc0 * u0[xb] + lc1 * u1[xb];
      let d1 = objGrad[xb + 1] + lc0 * u0[xb + 1] + lc1 * u1[xb + 1];
      let d2 = objGrad[xb + 2] + lc0 * u0[xb + 2] + lc1 * u1[xb + 2];
      let d3 = objGrad[xb + 3] + lc0 * u0[xb + 3] + lc1 * u1[xb + 3];
      let d4 = objGrad[xb + 4] + lc0 * u0[xb + 4] + lc1 * u1[xb + 4];
      for (let k = 0; k < nc; k++) {
        const i = b * nc + k;
        if (!active[i]) continue;
        const li = lambda[i];
        const g = i * 5;
        d0 += li * grad[g];
        d1 += li * grad[g + 1];
        d2 += li * grad[g + 2];
        d3 += li * grad[g + 3];
        d4 += li * grad[g + 4];
        const rc = -li * val[i] - invT;
        sq += rc * rc;
      }
      if (free[xb]) { sq += d0 * d0; dualInf = Math.max(dualInf, Math.abs(d0)); }
      if (free[xb + 1]) { sq += d1 * d1; dualInf = Math.max(dualInf, Math.abs(d1)); }
      if (free[xb + 2]) { sq += d2 * d2; dualInf = Math.max(dualInf, Math.abs(d2)); }
      if (free[xb + 3]) { sq += d3 * d3; dualInf = Math.max(dualInf, Math.abs(d3)); }
      if (free[xb + 4]) { sq += d4 * d4; dualInf = Math.max(dualInf, Math.abs(d4)); }
    }
  } else {
    const nv = P.nv;
    const d = scratch.length >= nv ? scratch : (scratch = new Float64Array(nv));
    for (let b = 0; b < P.M; b++) {
      const xb = b * nv;
      for (let a = 0; a < nv; a++) d[a] = objGrad[xb + a] + lc0 * u0[xb + a] + lc1 * u1[xb + a];
      for (let k = 0; k < nc; k++) {
        const i = b * nc + k;
        if (!active[i]) continue;
        const li = lambda[i];
        const g = i * nv;
        for (let a = 0; a < nv; a++) d[a] += li * grad[g + a];
        const rc = -li * val[i] - invT;
        sq += rc * rc;
      }
      for (let a = 0; a < nv; a++) {
        if (!free[xb + a]) continue;
        sq += d[a] * d[a];
        dualInf = Math.max(dualInf, Math.abs(d[a]));
      }
    }
  }
  for (let k = 0; k < 2; k++) {
    const rc = -lambda[base + k] * e.couplingVal[k] - invT;
    sq += rc * rc;
  }
  return { norm: Math.sqrt(sq), dualInf };
}
