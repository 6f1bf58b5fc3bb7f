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
 * 4. Else phase one by SCA (the SP3 surrogate around the point, sp3Setup, and the block solver's
 *    phase one alone, findInteriorBlock, to START_PHASE_ONE_TARGET; up to START_PHASE_ONE_ROUNDS
 *    rounds, stopping when a round no longer lowers the largest slack), tried from the
 *    construction, then with alpha = 0, then alpha = 1, as the float64 start does. The first
 *    point that meets (6) with R~ to acceptViolation is the start (START_PHASE_ONE).
 * 5. A row none of those attempts settles is left to the host (status start-on-host): the
 *    float64 start runs there (with its fourth attempt, s from SP1, and its verdict of
 *    infeasibility), and a second dispatch solves it from that start. A proven infeasible
 *    verdict near the bandwidth test's boundary goes there too, where float32 could decide
 *    differently from float64.
 *
 * Float32 deviations (documented, tested against the float64 path): the energy-limited f_ue is
 * lowered by ENERGY_SHRINK so that (6e) holds with a margin float32 can see, and a direct start
 * may break (6) by up to START_SLACK, which the AO's steps and the final check see.
 */
import { START_PHASE_ONE_ROUNDS, START_PHASE_ONE_TARGET } from '../../engine/ao/solver-constants.js';
import { SLOT_CONSTRAINT } from '../../engine/ao/feasible-start.js';
import { upperSnake } from './fused-ao-layout.js';

/**
 * Phase one's verdict of infeasibility is the GPU's only where every attempt ends with its
 * largest normalised violation above this margin; closer calls go to the float64 start on the
 * host, where float32 could decide differently.
 */
export const START_VERDICT_MARGIN = 1e-3;

export const FUSED_START_WGSL = /* wgsl */ `
const START_SLACK : f32 = 1e-6;
const START_PHASE_ONE_ROUNDS : i32 = ${START_PHASE_ONE_ROUNDS};
const START_PHASE_ONE_TARGET : f32 = ${START_PHASE_ONE_TARGET};
const START_VERDICT_MARGIN : f32 = ${START_VERDICT_MARGIN};
// The constraint each slack slot of SP3's surrogate stands for.
const SLOT_CONSTRAINT = array<i32, ${SLOT_CONSTRAINT.length}>(${SLOT_CONSTRAINT.map((c) => `V_${upperSnake(c)}`).join(', ')});
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
  return uncachedMs(m, alpha, fue, xfes[m], r) <= uniforms.tMax && uncachedMj(m, alpha, fue, xp[m], r) <= uniforms.eMax;
}

fn construct() {
  for (var m = 0; m < M; m++) {
    xs[m] = 0.0;
    xb[m] = 1.0 / f32(M);
    xp[m] = uniforms.pMax;
    xfes[m] = uniforms.fEsMax / f32(M);
    xfue[m] = uniforms.fUeMax;
    xa[m] = 0.5;
    let r = rateV1(m, xb[m], xp[m]);
    if (meetsLimits(m, 0.5, uniforms.fUeMax, r)) {
      continue;
    }
    let fHalf = energyLimitedFue(m, 0.5, r);
    if (fHalf >= 0.0 && meetsLimits(m, 0.5, fHalf, r)) {
      xfue[m] = fHalf;
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
        xfue[m] = fue;
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

// Phase one by SCA from the point (s and alpha fixed), in place: whether the point meets (6), the
// smallest largest slack reached and the slack slot of the last round's worst.
struct PhaseOne {
  feasible : bool,
  sigma : f32,
  slot : i32,
}

fn phaseOneStart() -> PhaseOne {
  var out = PhaseOne(false, BIG, 1);
  for (var round = 0; round < START_PHASE_ONE_ROUNDS; round++) {
    sp3Setup();
    let r = findInteriorBlock(START_PHASE_ONE_TARGET);
    if (r.failed || !finite(r.sigma)) {
      return out;
    }
    out.slot = r.slot;
    for (var m = 0; m < M; m++) {
      xb[m] = v[m][B];
      xp[m] = v[m][P];
      xfue[m] = v[m][FUE];
      xfes[m] = v[m][FES];
    }
    if (r.sigma < 0.0 && checkPoint(false).viol <= uniforms.acceptViolation) {
      out.feasible = true;
      out.sigma = r.sigma;
      return out;
    }
    // Stop when a round no longer lowers the largest violation.
    if (out.sigma < BIG && !(r.sigma < out.sigma - 1e-9 * max(1.0, abs(out.sigma)))) {
      break;
    }
    out.sigma = min(out.sigma, r.sigma);
  }
  return out;
}

// The attempts of phase one from the construction in the point arrays, in the float64 start's
// order: as constructed, alpha = 0, alpha = 1, s from SP1 (from s = 0 SP1's keep-if-worse rule
// never applies, so sp1() is the float64 start's greedy). The first feasible one leaves its start
// in the point arrays; else the construction is restored and the closest attempt returned.
fn phaseOneAttempts() -> PhaseOne {
  savePoint();
  var closest = PhaseOne(false, BIG, 1);
  for (var attempt = 0; attempt < 4; attempt++) {
    restorePoint();
    if (attempt == 1 || attempt == 2) {
      for (var m = 0; m < M; m++) {
        xa[m] = select(0.0, 1.0, attempt == 2);
      }
    } else if (attempt == 3) {
      sp1();
    }
    let r = phaseOneStart();
    if (r.feasible) {
      return r;
    }
    if (r.sigma < closest.sigma) {
      closest = r;
    }
  }
  restorePoint();
  return closest;
}

struct Start {
  code : i32,
  feasible : bool,
  hopeless : i32,
  bandwidthSum : f32,
  // Phase one's verdict: the smallest normalised violation and the constraint code it failed.
  sigma : f32,
  constraint : i32,
}

// The start in the point arrays: direct, proven infeasible, by phase one, or for the host (START_HOST).
fn feasibleStart() -> Start {
  var out = Start(START_DIRECT, true, -1, 0.0, 0.0, 0);
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
    return out;
  }
  let p = phaseOneAttempts();
  out.sigma = p.sigma;
  out.constraint = SLOT_CONSTRAINT[p.slot];
  if (p.feasible || (finite(p.sigma) && p.sigma > START_VERDICT_MARGIN && p.sigma < BIG)) {
    out.code = START_PHASE_ONE;
    out.feasible = p.feasible;
  } else {
    out.code = START_HOST;
  }
  return out;
}
`;
