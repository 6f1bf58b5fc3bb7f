/**
 * The Newton system of the block interior-point method (block-ipm.ts):
 *
 *   H = blockdiag(H_1, ..., H_M) + sum_k d_k u_k u_k^T      (k = 0, 1)
 *
 * with nv x nv blocks per UE and the two coupling rows u_k (d_k = lambda_k / (-g_k)). One solve
 * costs a Cholesky of each block, three block solves (right-hand side and the two coupling
 * columns), a 2 x 2 system (Woodbury) and one step of iterative refinement; in phase one the
 * slack sigma's row and column are eliminated by one more Schur complement.
 */
import { choleskyInPlace, choleskySolveInPlace } from './small-cholesky.js';
import type { BlockProblem, Evaluation } from './block-problem.js';

export class BlockNewtonSystem {
  private readonly n: number;
  /** The blocks H_b [M * nv * nv] (full squares, row-major), as assembled; `solve` factors them in place. */
  readonly H: Float64Array;
  /** The assembled right-hand side [M * nv] (before the coupling rows' terms); `solve` overwrites it. */
  readonly rhs: Float64Array;
  /** Phase one: the slack's column of the matrix [M * nv]. */
  readonly hcol: Float64Array;
  private readonly hcolSolved: Float64Array;
  private readonly z0: Float64Array;
  private readonly z1: Float64Array;
  private readonly hCopy: Float64Array;
  private readonly refine: Float64Array;
  /** The last step [M * nv]. */
  readonly dx: Float64Array;
  /** The last right-hand side (minus the gradient of psi_t / t), for the Newton decrement. */
  readonly rhsCopy: Float64Array;
  rhsSigma = 0;

  /**
   * @param unrolled whether blocks of five variables without mixed curvatures (SP3's) take the
   * unrolled assembly and refinement; false forces the generic loops (for the tests that compare
   * the two).
   */
  constructor(M: number, readonly nv: number, readonly unrolled = true) {
    this.n = M * nv;
    this.H = new Float64Array(M * nv * nv);
    this.rhs = new Float64Array(this.n);
    this.hcol = new Float64Array(this.n);
    this.hcolSolved = new Float64Array(this.n);
    this.z0 = new Float64Array(this.n);
    this.z1 = new Float64Array(this.n);
    this.hCopy = new Float64Array(M * nv * nv);
    this.refine = new Float64Array(this.n);
    this.dx = new Float64Array(this.n);
    this.rhsCopy = new Float64Array(this.n);
  }

  /**
   * Solves the Newton system at e for dx (in this.dx) and returns d sigma (0 without sigma, NaN
   * on a numerical failure). The matrix uses the multipliers lambda (lambda_i/(-f_i) weights the
   * rank-one terms, lambda_i the curvature); the right-hand side is minus the gradient of
   * f0 - (1/t) sum log(-f_i) (with t = Infinity: minus the gradient of f0).
   */
  solve(P: BlockProblem, e: Evaluation, slackMask: Uint8Array, withSigma: boolean, sigma: number, lambda: Float64Array, t: number): number {
    const nv = this.nv;
    const nc = P.active.length / P.M;
    const M = P.M;
    const H = this.H;
    const r = this.rhs;
    const hcol = this.hcol;
    const sums = this.assemble(P, e, slackMask, sigma, lambda, t);
    const hss = sums.hss;
    const rSigma = sums.rSigma;
    const base = M * nc;
    let d0 = 0;
    let d1 = 0;
    for (let k = 0; k < 2; k++) {
      const row = P.coupling[k];
      const gk = e.couplingVal[k];
      if (k === 0) d0 = lambda[base] / -gk;
      else d1 = lambda[base + 1] / -gk;
      const rho = 1 / (t * -gk);
      for (let j = 0; j < this.n; j++) r[j] -= rho * row[j];
    }
    this.rhsCopy.set(r);
    this.rhsSigma = rSigma;

    if (!withSigma) this.hCopy.set(H);
    // Block solves: r <- Hb^-1 r, z_k <- Hb^-1 u_k, hcolSolved <- Hb^-1 hcol.
    const [u0, u1] = P.coupling;
    this.z0.set(u0);
    this.z1.set(u1);
    this.hcolSolved.set(hcol);
    for (let b = 0; b < M; b++) {
      const hb = b * nv * nv;
      if (!choleskyInPlace(H, hb, nv)) return Number.NaN;
      choleskySolveInPlace(H, hb, nv, b * nv, r, this.z0, this.z1);
      if (withSigma) choleskySolveInPlace(H, hb, nv, b * nv, this.hcolSolved);
    }
    // Woodbury with v_k = sqrt(d_k) u_k: S = I + V^T Hb^-1 V.
    const s0 = Math.sqrt(d0);
    const s1 = Math.sqrt(d1);
    const z0 = this.z0;
    const z1 = this.z1;
    const n = this.n;
    let u0z0 = 0, u0z1 = 0, u1z1 = 0;
    for (let j = 0; j < n; j++) {
      u0z0 += u0[j] * z0[j];
      u0z1 += u0[j] * z1[j];
      u1z1 += u1[j] * z1[j];
    }
    const S00 = 1 + d0 * u0z0;
    const S01 = s0 * s1 * u0z1;
    const S11 = 1 + d1 * u1z1;
    const det = S00 * S11 - S01 * S01;
    if (!(det > 0)) return Number.NaN;
    const applyCoupling = (w: Float64Array): void => {
      let q0 = 0, q1 = 0;
      for (let j = 0; j < n; j++) {
        q0 += u0[j] * w[j];
        q1 += u1[j] * w[j];
      }
      q0 *= s0;
      q1 *= s1;
      const c0 = s0 * ((S11 * q0 - S01 * q1) / det);
      const c1 = s1 * ((S00 * q1 - S01 * q0) / det);
      for (let j = 0; j < n; j++) w[j] -= c0 * z0[j] + c1 * z1[j];
    };
    applyCoupling(r);
    let dSigma = 0;
    if (withSigma) {
      // [A h; h^T hss] [dx; dsigma] = [r; rSigma] with A^-1 r and A^-1 h from Woodbury.
      applyCoupling(this.hcolSolved);
      let hAr = 0, hAh = 0;
      for (let j = 0; j < this.n; j++) {
        hAr += hcol[j] * r[j];
        hAh += hcol[j] * this.hcolSolved[j];
      }
      const schur = hss - hAh;
      if (!(schur > 0)) return Number.NaN;
      dSigma = (rSigma - hAr) / schur;
      for (let j = 0; j < this.n; j++) r[j] -= dSigma * this.hcolSolved[j];
    }
    if (!withSigma) {
      // One step of iterative refinement: the Woodbury update subtracts nearly equal vectors
      // when a coupling row is almost active, and late primal-dual steps need the accuracy.
      const res = this.refine;
      const rhs = this.rhsCopy;
      let u0x = 0, u1x = 0;
      for (let j = 0; j < n; j++) {
        u0x += u0[j] * r[j];
        u1x += u1[j] * r[j];
      }
      const hc = this.hCopy;
      const unrolled5 = this.unrolled && nv === 5;
      for (let b = 0; b < M; b++) {
        const hb = b * nv * nv;
        const xb = b * nv;
        for (let a = 0; a < nv; a++) {
          const row = hb + a * nv;
          let hr = 0;
          if (unrolled5) hr = hc[row] * r[xb] + hc[row + 1] * r[xb + 1] + hc[row + 2] * r[xb + 2] + hc[row + 3] * r[xb + 3] + hc[row + 4] * r[xb + 4];
          else for (let c = 0; c < nv; c++) hr += hc[row + c] * r[xb + c];
          res[xb + a] = rhs[xb + a] - d0 * u0[xb + a] * u0x - d1 * u1[xb + a] * u1x - hr;
        }
        choleskySolveInPlace(H, hb, nv, xb, res);
      }
      applyCoupling(res);
      for (let j = 0; j < n; j++) r[j] += res[j];
    }
    this.dx.set(r);
    for (let j = 0; j < this.n; j++) if (!P.free[j]) this.dx[j] = 0;
    return dSigma;
  }

  /**
   * Fills the blocks H (with the rank-one barrier terms, without the coupling rows), the
   * right-hand side and, with the slack, its column; returns the slack's curvature and
   * right-hand side. SP3's 5 x 5 blocks take the unrolled path unless `unrolled` is false.
   */
  assemble(P: BlockProblem, e: Evaluation, slackMask: Uint8Array, sigma: number, lambda: Float64Array, t: number): { hss: number; rSigma: number } {
    return this.unrolled && this.nv === 5 && P.crossPairs.length === 0
      ? this.assemble5(P, e, slackMask, sigma, lambda, t)
      : this.assembleN(P, e, slackMask, sigma, lambda, t);
  }

  /** `assembleN` for SP3's 5 x 5 blocks without mixed curvatures, unrolled (upper triangle accumulated in locals). */
  private assemble5(P: BlockProblem, e: Evaluation, slackMask: Uint8Array, sigma: number, lambda: Float64Array, t: number): { hss: number; rSigma: number } {
    const { M, active, free } = P;
    const { objGrad, objH, val, grad, hdiag } = e;
    const nc = active.length / M;
    const { H, rhs: r, hcol } = this;
    hcol.fill(0);
    let hss = 0;
    let rSigma = -1;
    for (let b = 0; b < M; b++) {
      const xb = b * 5;
      // The block's upper triangle and right-hand side, accumulated in locals.
      let h00 = objH[xb], h11 = objH[xb + 1], h22 = objH[xb + 2], h33 = objH[xb + 3], h44 = objH[xb + 4];
      let h01 = 0, h02 = 0, h03 = 0, h04 = 0, h12 = 0, h13 = 0, h14 = 0, h23 = 0, h24 = 0, h34 = 0;
      let r0 = -objGrad[xb], r1 = -objGrad[xb + 1], r2 = -objGrad[xb + 2], r3 = -objGrad[xb + 3], r4 = -objGrad[xb + 4];
      for (let k = 0; k < nc; k++) {
        const i = b * nc + k;
        if (!active[i]) continue;
        const slack = slackMask[i];
        const fi = slack ? val[i] - sigma : val[i];
        const li = lambda[i];
        const w = li / -fi;
        const rho = 1 / (t * -fi);
        const g = i * 5;
        const g0 = grad[g], g1 = grad[g + 1], g2 = grad[g + 2], g3 = grad[g + 3], g4 = grad[g + 4];
        const w0 = w * g0, w1 = w * g1, w2 = w * g2, w3 = w * g3;
        h00 += li * hdiag[g] + w0 * g0;
        h11 += li * hdiag[g + 1] + w1 * g1;
        h22 += li * hdiag[g + 2] + w2 * g2;
        h33 += li * hdiag[g + 3] + w3 * g3;
        h44 += li * hdiag[g + 4] + w * g4 * g4;
        h01 += w0 * g1; h02 += w0 * g2; h03 += w0 * g3; h04 += w0 * g4;
        h12 += w1 * g2; h13 += w1 * g3; h14 += w1 * g4;
        h23 += w2 * g3; h24 += w2 * g4;
        h34 += w3 * g4;
        r0 -= rho * g0; r1 -= rho * g1; r2 -= rho * g2; r3 -= rho * g3; r4 -= rho * g4;
        if (slack) {
          hcol[xb] -= w0; hcol[xb + 1] -= w1; hcol[xb + 2] -= w2; hcol[xb + 3] -= w3; hcol[xb + 4] -= w * g4;
          hss += w;
          rSigma += rho;
        }
      }
      const hb = b * 25;
      H[hb] = h00; H[hb + 1] = h01; H[hb + 2] = h02; H[hb + 3] = h03; H[hb + 4] = h04;
      H[hb + 5] = h01; H[hb + 6] = h11; H[hb + 7] = h12; H[hb + 8] = h13; H[hb + 9] = h14;
      H[hb + 10] = h02; H[hb + 11] = h12; H[hb + 12] = h22; H[hb + 13] = h23; H[hb + 14] = h24;
      H[hb + 15] = h03; H[hb + 16] = h13; H[hb + 17] = h23; H[hb + 18] = h33; H[hb + 19] = h34;
      H[hb + 20] = h04; H[hb + 21] = h14; H[hb + 22] = h24; H[hb + 23] = h34; H[hb + 24] = h44;
      r[xb] = r0; r[xb + 1] = r1; r[xb + 2] = r2; r[xb + 3] = r3; r[xb + 4] = r4;
      this.fixRows(free, b);
    }
    return { hss, rSigma };
  }

  /**
   * Fills the blocks H_b (full squares, with the problem's mixed curvatures), the right-hand side
   * and, with the slack, its column; returns the slack's curvature and right-hand side. Fixed
   * variables get an identity row (their gradients are zero, so the step leaves them).
   */
  private assembleN(P: BlockProblem, e: Evaluation, slackMask: Uint8Array, sigma: number, lambda: Float64Array, t: number): { hss: number; rSigma: number } {
    const { M, active, free, crossPairs: pairs } = P;
    const { objGrad, objH, val, grad, hdiag, hcross, objHCross } = e;
    const { nv, H, rhs: r, hcol } = this;
    const nc = active.length / M;
    const nCross = pairs.length;
    hcol.fill(0);
    let hss = 0;
    let rSigma = -1;
    for (let b = 0; b < M; b++) {
      const xb = b * nv;
      const hb = b * nv * nv;
      // The block (full square) and its right-hand side.
      H.fill(0, hb, hb + nv * nv);
      for (let a = 0; a < nv; a++) {
        H[hb + a * nv + a] = objH[xb + a];
        r[xb + a] = -objGrad[xb + a];
      }
      for (let k = 0; k < nc; k++) {
        const i = b * nc + k;
        if (!active[i]) continue;
        const slack = slackMask[i];
        const fi = slack ? val[i] - sigma : val[i];
        const li = lambda[i];
        const w = li / -fi;
        const rho = 1 / (t * -fi);
        const g = i * nv;
        for (let a = 0; a < nv; a++) {
          const ga = grad[g + a];
          const row = hb + a * nv;
          H[row + a] += li * hdiag[g + a];
          if (ga !== 0) {
            const wa = w * ga;
            for (let c = 0; c <= a; c++) H[row + c] += wa * grad[g + c]; // lower triangle; mirrored below
            r[xb + a] -= rho * ga;
            if (slack) hcol[xb + a] -= wa;
          }
        }
        for (let q = 0; q < nCross; q++) H[hb + lowerIndex(pairs[q], nv)] += li * hcross[i * nCross + q];
        if (slack) {
          hss += w;
          rSigma += rho;
        }
      }
      for (let q = 0; q < nCross; q++) H[hb + lowerIndex(pairs[q], nv)] += objHCross[b * nCross + q];
      for (let a = 1; a < nv; a++) for (let c = 0; c < a; c++) H[hb + c * nv + a] = H[hb + a * nv + c];
      this.fixRows(free, b);
    }
    return { hss, rSigma };
  }

  /** Block b's fixed variables get an identity row (their gradients are zero, so the step leaves them). */
  private fixRows(free: Uint8Array, b: number): void {
    const { nv, H, rhs: r, hcol } = this;
    const xb = b * nv;
    const hb = b * nv * nv;
    for (let a = 0; a < nv; a++) {
      if (free[xb + a]) continue;
      for (let c = 0; c < nv; c++) {
        H[hb + a * nv + c] = 0;
        H[hb + c * nv + a] = 0;
      }
      H[hb + a * nv + a] = 1;
      r[xb + a] = 0;
      hcol[xb + a] = 0;
    }
  }
}

/** Offset in an nv x nv block of the lower-triangle entry of a mixed pair. */
const lowerIndex = ([a, c]: readonly [number, number], nv: number): number => (a > c ? a * nv + c : c * nv + a);
