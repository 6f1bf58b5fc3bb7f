/**
 * WGSL of the rate bound Rs (SPEC eqs. 17 and 19) for one UE, shared by the fused solvers' slots
 * (the per-thread twin of kernels/rate-surrogate.ts): Rs(b, p) = K (rsConst + rsLinB b - ap/p - lb2/b)
 * and the gradient and diagonal curvature of the normalised slot (Rmin - Rs)/Rmin.
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
`;
