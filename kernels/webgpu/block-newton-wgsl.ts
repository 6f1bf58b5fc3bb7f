/**
 * WGSL of one Newton direction of the fused block barrier solver (block-ipm-wgsl.ts `barrier`):
 * the per-thread twin of kernels/block-newton.ts. Per UE the block H over the spec's variables
 * (objective and central-multiplier terms, the fixed variables' identity rows) with its Cholesky
 * factor and four solves; per realisation the rank-2 coupling by Woodbury; in phase one the
 * slack sigma by a Schur complement.
 *
 * A statement block spliced into `barrier`'s step loop, not a WGSL function (its arrays are the
 * solver's private state): it reads t, sigma, g0, g1 and v, fills y, z0, z1, zh, rhsv, hcolv
 * and dx (before the slack correction), and declares F (the objective), logs (sum of log(-f)),
 * dSig (the slack's step, 0 in phase two) and dec2 (the decrement so far) for the line search.
 */
import { couplingWeight, varConst, type FusedBlockSpec } from './block-spec-wgsl.js';

/** The Newton direction's statements for `spec` (see the file's doc). */
export function newtonDirectionWgsl(spec: FusedBlockSpec): string {
  const [c0, c1] = spec.coupling;
  const idx = varConst;
  // Mixed curvatures go into the lower triangle H[i][j], i > j (the factor reads that triangle).
  const lower = (a: string, b: string): string => (spec.vars.indexOf(a) > spec.vars.indexOf(b) ? `H[${idx(a)}][${idx(b)}]` : `H[${idx(b)}][${idx(a)}]`);
  const slotCross = spec.crossPairs.map(([a, b], q) => `        ${lower(a, b)} += lam * S.cx[k][${q}];`).join('\n');
  const objCross = spec.crossPairs.map(([a, b], q) => `        ${lower(a, b)} += S.ocx[${q}];`).join('\n');
  const fixedIdentity = spec.fixed.map((f) => `      H[${idx(f.v)}][${idx(f.v)}] += 1.0 - S.act[${f.whereSlotInactive}];`).join('\n');
  const w0 = couplingWeight(c0);
  const w1 = couplingWeight(c1);
  return /* wgsl */ `    let lc0 = 1.0 / (t * -g0);
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
      let w0 = ${w0};
      let w1 = ${w1};
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
      for (var k = 0; k < NC; k++) {
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
          if (phaseOne && k < NSLACK) {
            hc[i] -= wt * gi;
          }
        }
${slotCross}
        if (phaseOne && k < NSLACK) {
          hss += wt;
          lamSlack += lam;
        }
      }
      // Fixed variables: identity rows.
${fixedIdentity}
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
`;
}
