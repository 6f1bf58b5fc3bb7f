/**
 * WGSL of the model for one realisation per thread (the per-thread twin of engine/model/: rate.ts,
 * latency-energy.ts, feasibility.ts), in float32 and model units, for the fused AO program
 * (fused-ao-wgsl.ts, which declares the problem `cPerW`, `cyc`, `bits` and the point `xs` (s),
 * `xa` (alpha), `xb` (b), `xp` (p [W]), `xfue` (f_ue [GHz]), `xfes` (f_es [GHz]), each [M], and the
 * uniforms).
 *
 *   R~ = K [b ln(1+gamma) - kappa sqrt(b)],  R = K [b ln(1+gamma) - kappa sqrt(b V(gamma))]   (1)
 *   T_m, E_m as in SPEC section 2 (a term whose factor is zero is zero)                      (5)
 *   the relative violations of (6b)-(6h), as checkFeasibility computes them
 *
 * A non-positive rate makes the transmission time BIG (1e30 ms) instead of Infinity: WGSL
 * implementations may assume finite arithmetic, and BIG fails every limit as Infinity would.
 */
export const FUSED_MODEL_WGSL = /* wgsl */ `
const BIG : f32 = 1.0e30;

fn finite(x : f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

fn isNan(x : f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

// A quiet NaN, read from a variable: a constant bit pattern would be folded, and WGSL rejects NaN constants.
var<private> nanBits : u32 = 0x7fc00000u;

fn nanF32() -> f32 {
  return bitcast<f32>(nanBits);
}

// ln(1 + x) to a few ulps for every x > -1 (the correction of kernels/rate.ts log1pAccurate).
fn log1pAcc(x : f32) -> f32 {
  let u = 1.0 + x;
  let um1 = u - 1.0;
  if (um1 == 0.0) {
    return x;
  }
  return log(u) * (x / um1);
}

// R~ of UE m at (b, p) [Mbit/s].
fn rateV1(m : i32, b : f32, p : f32) -> f32 {
  let g = p * cPerW[m] / b;
  return uniforms.K * (b * log1pAcc(g) - uniforms.kappa * sqrt(b));
}

// R of UE m at (b, p) with the exact dispersion V = gamma(2+gamma)/(1+gamma)^2 [Mbit/s].
fn rateExact(m : i32, b : f32, p : f32) -> f32 {
  let g = p * cPerW[m] / b;
  let onePlus = g + 1.0;
  let disp = (g / onePlus) * ((g + 2.0) / onePlus);
  return uniforms.K * (b * log1pAcc(g) - uniforms.kappa * sqrt(b * disp));
}

// tau_bar = 1/R~ of UE m at the expansion point (b, p), 1/Rmin where R~ <= 0 (kernels/sp3-surrogate.ts
// expansionTauBatch): the tau both fused surrogates expand around.
fn expansionTau(m : i32, b : f32, p : f32) -> f32 {
  let r = rateV1(m, b, p);
  return 1.0 / select(uniforms.rMin, r, r > 0.0);
}

// The coefficients of the rate bound Rs around (b, p) of UE m (kernels/rate-surrogate.ts
// rateSurrogateCoefficients) into the program's coefficient table cf (K_RS_CONST, K_RS_LIN_B, K_AP,
// K_LB2: both fused surrogates have them).
fn setRateSurrogateCoefficients(m : i32, b : f32, p : f32) {
  let g = p * cPerW[m] / b;
  let L = log1pAcc(g);
  let a = b * g / (1.0 + g);
  let sb = sqrt(b);
  cf[K_RS_CONST][m] = 2.0 * b * L + 2.0 * a - uniforms.kappa / 2.0 * sb;
  cf[K_RS_LIN_B][m] = -(a / b + uniforms.kappa / 2.0 / sb);
  cf[K_AP][m] = a * p;
  cf[K_LB2][m] = L * b * b;
}

fn rateOf(m : i32, exact : bool) -> f32 {
  if (exact) {
    return rateExact(m, xb[m], xp[m]);
  }
  return rateV1(m, xb[m], xp[m]);
}

fn transmitMs(D : f32, r : f32) -> f32 {
  if (r > 0.0) {
    return D / r;
  }
  return BIG;
}

fn localMs(C : f32, alpha : f32, fue : f32) -> f32 {
  if (alpha == 0.0) {
    return 0.0;
  }
  return alpha * C / (uniforms.ku * fue);
}

fn edgeMs(C : f32, alpha : f32, fes : f32) -> f32 {
  if (alpha == 1.0) {
    return 0.0;
  }
  return (1.0 - alpha) * C / (uniforms.ke * fes);
}

fn cachedMs(C : f32, fes : f32) -> f32 {
  return C / (uniforms.ke * fes);
}

// t_m: the latency of UE m if it is not cached [ms].
fn uncachedMs(m : i32, alpha : f32, fue : f32, fes : f32, r : f32) -> f32 {
  return localMs(cyc[m], alpha, fue) + transmitMs(bits[m], r) + edgeMs(cyc[m], alpha, fes);
}

// The energy of UE m if it is not cached [mJ].
fn uncachedMj(m : i32, alpha : f32, fue : f32, p : f32, r : f32) -> f32 {
  var e = 0.0;
  if (alpha != 0.0) {
    let f = uniforms.ku * fue;
    e += alpha * 0.5 * uniforms.theta * cyc[m] * f * f;
  }
  if (alpha != 1.0) {
    e += (1.0 - alpha) * p * transmitMs(bits[m], r);
  }
  return e;
}

fn latencyOf(m : i32, r : f32) -> f32 {
  if (xs[m] > 0.5) {
    return cachedMs(cyc[m], xfes[m]);
  }
  return uncachedMs(m, xa[m], xfue[m], xfes[m], r);
}

fn energyOf(m : i32, r : f32) -> f32 {
  if (xs[m] > 0.5) {
    return 0.0;
  }
  return uncachedMj(m, xa[m], xfue[m], xp[m], r);
}

// J = sum_m T_m of the point [ms], with R~ or the exact rate.
fn totalMs(exact : bool) -> f32 {
  var total = 0.0;
  for (var m = 0; m < M; m++) {
    var r = 0.0;
    if (xs[m] < 0.5) {
      r = rateOf(m, exact);
    }
    total += latencyOf(m, r);
  }
  return total;
}

struct Check {
  viol : f32,
  constraint : i32,
  device : i32,
}

var<private> check : Check;

fn note(v : f32, constraint : i32, device : i32) {
  var viol = v;
  if (isNan(v)) {
    viol = BIG;
  }
  if (viol > check.viol) {
    check.viol = viol;
    check.constraint = constraint;
    check.device = device;
  }
}

// The full check of (6) at the point (engine/model/feasibility.ts): each violation relative to
// its own limit, the largest one with its constraint and UE.
fn checkPoint(exact : bool) -> Check {
  check = Check(0.0, 0, -1);
  var bandwidthSum = 0.0;
  var esLoad = 0.0;
  var cacheKbit = 0.0;
  var meanBits = 0.0;
  for (var m = 0; m < M; m++) {
    let s = xs[m];
    let a = xa[m];
    note(select(BIG, 0.0, s == 0.0 || s == 1.0), V_6H, m);
    note(max(-a, a - 1.0), V_6H, m);
    note(max(-xb[m], xb[m] - 1.0), V_6H, m);
    note(max(-xp[m], xp[m] - uniforms.pMax) / uniforms.pMax, V_6H, m);
    note(max(-xfue[m], xfue[m] - uniforms.fUeMax) / uniforms.fUeMax, V_6H, m);
    note(max(-xfes[m], xfes[m] - uniforms.fEsMax) / uniforms.fEsMax, V_6H, m);
    let r = rateOf(m, exact);
    note((latencyOf(m, r) - uniforms.tMax) / uniforms.tMax, V_6B, m);
    note((uniforms.rMin - r) / uniforms.rMin, V_6D, m);
    note((energyOf(m, r) - uniforms.eMax) / uniforms.eMax, V_6E, m);
    bandwidthSum += xb[m];
    esLoad += select((1.0 - a) * xfes[m], xfes[m], s > 0.5);
    cacheKbit += s * bits[m];
    meanBits += bits[m] / f32(M);
  }
  note(bandwidthSum - 1.0, V_6C, -1);
  note((esLoad - uniforms.fEsMax) / uniforms.fEsMax, V_6F, -1);
  note((cacheKbit - uniforms.sMax) / max(uniforms.sMax, meanBits), V_6G, -1);
  return check;
}
`;
