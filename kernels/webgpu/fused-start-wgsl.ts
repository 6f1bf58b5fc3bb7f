/**
 * WGSL of the feasible start for one realisation per thread (the per-thread twin of
 * engine/ao/feasible-start.ts, for methods ao and joint), in float32:
 *
 * 1. The construction s = 0, b = 1/M, p = Pmax, f_es = Fes_max/M, f_ue = Fue_max, alpha = 1/2,
 *    with f_ue lowered to its energy-limited value where (6e) fails and alpha searched on the
 *    1/1000 grid (nearest 1/2 first, lower first on ties) where (6b) or (6e) still fails.
 * 2. If the check of (6) with R~ passes (violation <= START_SLACK), the start is direct.
 * 3. Else the exact bandwidth test: the smallest b with R~(b, Pmax) >= Rmin per UE, by bisection;
 *    a sum above 1 + TEST_MARGIN with every crossing unique (Pmax c >= 4 (1 + TEST_MARGIN)) proves
 *    the realisation infeasible.
 * 4. Else the row is not settled here: phase one runs on the host in float64 (status
 *    start-on-host), and a second dispatch solves it from that start. This covers the rows near
 *    a verdict's boundary too, where float32 could decide differently from float64.
 *
 * Float32 deviations (documented, tested against the float64 path): the energy-limited f_ue is
 * lowered by ENERGY_SHRINK so that (6e) holds with a margin float32 can see, and a direct start
 * may break (6) by up to START_SLACK, which the AO's steps and the final check see.
 */
export const FUSED_START_WGSL = /* wgsl */ `
const START_SLACK : f32 = 1e-6;
const TEST_MARGIN : f32 = 1e-5;
const ENERGY_SHRINK : f32 = 0.99999;

// The largest f_ue <= Fue_max keeping (6e) of UE m at this alpha (b, p, r of the construction); -1 if none.
fn energyLimitedFue(m : i32, alpha : f32, r : f32) -> f32 {
  if (alpha == 0.0) {
    return uniforms.fUeMax;
  }
  let spare = uniforms.eMax - uncachedMj(m, alpha, 0.0, xp[m], r);
  if (!(spare > 0.0)) {
    return -1.0;
  }
  let f = sqrt(spare / (alpha * 0.5 * uniforms.theta * cyc[m])) / uniforms.ku * ENERGY_SHRINK;
  return min(uniforms.fUeMax, f);
}

fn meetsLimits(m : i32, alpha : f32, fue : f32, r : f32) -> bool {
  return uncachedMs(m, alpha, fue, xe[m], r) <= uniforms.tMax && uncachedMj(m, alpha, fue, xp[m], r) <= uniforms.eMax;
}

fn construct() {
  for (var m = 0; m < M; m++) {
    xs[m] = 0.0;
    xb[m] = 1.0 / f32(M);
    xp[m] = uniforms.pMax;
    xe[m] = uniforms.fEsMax / f32(M);
    xu[m] = uniforms.fUeMax;
    xa[m] = 0.5;
    let r = rateV1(m, xb[m], xp[m]);
    if (meetsLimits(m, 0.5, uniforms.fUeMax, r)) {
      continue;
    }
    let fHalf = energyLimitedFue(m, 0.5, r);
    if (fHalf >= 0.0 && meetsLimits(m, 0.5, fHalf, r)) {
      xu[m] = fHalf;
      continue;
    }
    // The grid 0.500, 0.499, 0.501, 0.498, ..., 0.000, 1.000.
    for (var k = 1; k <= 1000; k++) {
      let d = (k + 1) / 2;
      let step = select(-d, d, k % 2 == 0);
      let alpha = f32(500 + step) / 1000.0;
      let fue = energyLimitedFue(m, alpha, r);
      if (fue >= 0.0 && meetsLimits(m, alpha, fue, r)) {
        xa[m] = alpha;
        xu[m] = fue;
        break;
      }
    }
  }
}

struct Bandwidth {
  b : f32,
  monotone : bool,
}

// The smallest b in (0, 1] with R~(b, Pmax) >= Rmin (BIG if none), by bisection.
fn smallestBandwidth(m : i32) -> Bandwidth {
  var out = Bandwidth(BIG, uniforms.pMax * cPerW[m] >= 4.0 * (1.0 + TEST_MARGIN));
  if (!(rateV1(m, 1.0, uniforms.pMax) >= uniforms.rMin)) {
    return out;
  }
  var lo = 0.0;
  var hi = 1.0;
  for (var i = 0; i < 64 && hi - lo > 1e-7 * hi; i++) {
    let mid = 0.5 * (lo + hi);
    if (rateV1(m, mid, uniforms.pMax) >= uniforms.rMin) {
      hi = mid;
    } else {
      lo = mid;
    }
  }
  out.b = hi;
  return out;
}

struct Start {
  code : i32,
  feasible : bool,
  hopeless : i32,
  bandwidthSum : f32,
}

// The start in the point arrays: direct, proven infeasible, or for the host (START_HOST).
fn feasibleStart() -> Start {
  var out = Start(START_DIRECT, true, -1, 0.0);
  construct();
  if (checkPoint(false).viol <= START_SLACK) {
    return out;
  }
  out.feasible = false;
  var sum = 0.0;
  var provable = true;
  for (var m = 0; m < M; m++) {
    let r = smallestBandwidth(m);
    sum += r.b;
    provable = provable && r.monotone;
    if (out.hopeless < 0 && r.b >= BIG) {
      out.hopeless = m;
    }
  }
  out.bandwidthSum = sum;
  if (sum > 1.0 + TEST_MARGIN && provable) {
    out.code = START_BANDWIDTH_TEST;
  } else {
    out.code = START_HOST;
  }
  return out;
}
`;
