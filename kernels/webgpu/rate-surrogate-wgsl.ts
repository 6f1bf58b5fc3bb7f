/**
 * WGSL of the rate bound Rs (SPEC eqs. 17 and 19) for one UE, shared by the fused solvers' slots
 * (the per-thread twin of kernels/rate-surrogate.ts): Rs(b, p) = K (rsConst + rsLinB b - ap/p - lb2/b)
 * and the gradient and diagonal curvature of the normalised slot (Rmin - Rs)/Rmin; and
 * `setRateSlots`, slots 0 (rate-min) and 1 (tau) of both surrogates, for a shader that defines
 * `Slots`, `coef`, the coefficients K_RS_CONST, K_RS_LIN_B, K_AP, K_LB2 and the variables B, P, TAU
 * (./block-ipm-wgsl.ts generates them from a spec).
 */
export const RATE_SURROGATE_WGSL = /* wgsl */ `
struct RateSurrogate {
  rs : f32,
  gb : f32,
  gp : f32,
  hb : f32,
  hp : f32,
}

fn rateSurrogate(b : f32, p : f32, rsConst : f32, rsLinB : f32, ap : f32, lb2 : f32) -> RateSurrogate {
  let K = uniforms.K;
  let rMin = uniforms.rMin;
  let lb2OverB = lb2 / b;
  let apOverP = ap / p;
  var q = RateSurrogate();
  q.rs = K * (rsConst + rsLinB * b - apOverP - lb2OverB);
  q.gb = -K * (rsLinB + lb2OverB / b) / rMin;
  q.gp = -K * (apOverP / p) / rMin;
  q.hb = 2.0 * K / rMin * lb2OverB / (b * b);
  q.hp = 2.0 * K / rMin * apOverP / (p * p);
  return q;
}

// Slots 0 (rate-min: (Rmin - Rs)/Rmin) and 1 (tau: (1/tau - Rs)/Rmin) of UE m at (b, p, tau) into
// s (values; derivatives when deriv). Whether slot 1 is active is the caller's act mask.
fn setRateSlots(s : ptr<function, Slots>, m : i32, b : f32, p : f32, tau : f32, deriv : bool) {
  let rMin = uniforms.rMin;
  let q = rateSurrogate(b, p, coef(K_RS_CONST, m), coef(K_RS_LIN_B, m), coef(K_AP, m), coef(K_LB2, m));
  (*s).val[0] = (rMin - q.rs) / rMin;
  (*s).val[1] = (1.0 / tau - q.rs) / rMin;
  if (!deriv) {
    return;
  }
  (*s).g[0][B] = q.gb;
  (*s).g[0][P] = q.gp;
  (*s).h[0][B] = q.hb;
  (*s).h[0][P] = q.hp;
  (*s).g[1][B] = q.gb;
  (*s).g[1][P] = q.gp;
  (*s).g[1][TAU] = -1.0 / (rMin * tau * tau);
  (*s).h[1][B] = q.hb;
  (*s).h[1][P] = q.hp;
  (*s).h[1][TAU] = 2.0 / (rMin * tau * tau * tau);
}
`;
