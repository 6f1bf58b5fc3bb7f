/**
 * WGSL of SP1, SP2 and SP3 for one realisation per thread, in float32 (the per-thread twins of
 * engine/ao/sp1-caching.ts, sp2-offloading.ts and sp3-resources.ts; SP3's surrogate and barrier
 * method are sp3-surrogate-wgsl.ts and block-ipm-wgsl.ts). Each works in place on the point
 * arrays of the fused AO program and keeps J from rising.
 *
 * SP1: the letter's greedy (descending t_m, or t_m - C/f'_es with the saving rule; ties to the
 *      lower index); the new set is kept only if J does not rise and every UE leaving the cache
 *      keeps (6b) and (6e).
 * SP2: the continuous knapsack: each alpha at the bound its cost prefers, then the cheapest per
 *      unit of freed edge capacity raised until (6f) holds. False when (6f) cannot hold.
 * SP3: the surrogate around the point (tau_bar = 1/R~), the start pulled inside by PULL, both
 *      barrier phases (solveBlock), and the candidate taken where solved, J does not rise and
 *      (6) holds with R~ to acceptViolation.
 *
 * Limits the previous point met exactly are re-checked with the relative slack LIMIT_RTOL, which
 * is 1e-12 in float64 and a few float32 ulps here.
 */
export const FUSED_SUBPROBLEMS_WGSL = /* wgsl */ `
const LIMIT_RTOL : f32 = 1e-6;

var<private> tU : array<f32, M>;
var<private> tC : array<f32, M>;
var<private> sortKey : array<f32, M>;
var<private> ord : array<i32, M>;
var<private> nextS : array<f32, M>;
var<private> lo : array<f32, M>;
var<private> hi : array<f32, M>;
var<private> cost : array<f32, M>;

// ord[0..n) sorted by sortKey ascending (ties: lower index first); insertion sort, stable.
fn sortOrd(n : i32) {
  for (var i = 1; i < n; i++) {
    let e = ord[i];
    var j = i;
    while (j > 0 && sortKey[ord[j - 1]] > sortKey[e]) {
      ord[j] = ord[j - 1];
      j--;
    }
    ord[j] = e;
  }
}

fn sp1() {
  var loadUncached = 0.0;
  for (var m = 0; m < M; m++) {
    let r = rateV1(m, xb[m], xp[m]);
    tU[m] = uncachedMs(m, xa[m], xfue[m], xfes[m], r);
    tC[m] = cachedMs(cyc[m], xfes[m]);
    loadUncached += (1.0 - xa[m]) * xfes[m];
    // Descending key = ascending -key; equal keys keep the index order.
    sortKey[m] = -select(tU[m], tU[m] - tC[m], uniforms.savingRule == 1);
    ord[m] = m;
    nextS[m] = 0.0;
  }
  sortOrd(M);
  var cacheKbit = 0.0;
  var load = loadUncached;
  let loadLimit = uniforms.fEsMax * (1.0 + LIMIT_RTOL);
  for (var k = 0; k < M; k++) {
    let m = ord[k];
    let loadIfCached = load - (1.0 - xa[m]) * xfes[m] + xfes[m];
    if (cacheKbit + bits[m] <= uniforms.sMax * (1.0 + LIMIT_RTOL) && loadIfCached <= loadLimit
        && tC[m] <= uniforms.tMax && tC[m] < tU[m]) {
      nextS[m] = 1.0;
      cacheKbit += bits[m];
      load = loadIfCached;
    }
  }
  var jPrev = 0.0;
  var jNext = 0.0;
  for (var m = 0; m < M; m++) {
    jPrev += select(tU[m], tC[m], xs[m] > 0.5);
    jNext += select(tU[m], tC[m], nextS[m] > 0.5);
    if (nextS[m] < 0.5 && xs[m] > 0.5) {
      // A UE that leaves the cache must meet (6b) and (6e) as an uncached UE.
      let r = rateV1(m, xb[m], xp[m]);
      let e = uncachedMj(m, xa[m], xfue[m], xp[m], r);
      if (tU[m] > uniforms.tMax * (1.0 + LIMIT_RTOL) || e > uniforms.eMax * (1.0 + LIMIT_RTOL)) {
        return;
      }
    }
  }
  if (jNext > jPrev) {
    return;
  }
  for (var m = 0; m < M; m++) {
    xs[m] = nextS[m];
  }
}

fn sp2() -> bool {
  var need = -uniforms.fEsMax;
  for (var m = 0; m < M; m++) {
    need += xfes[m];
  }
  var freed = 0.0;
  var nRaise = 0;
  for (var m = 0; m < M; m++) {
    if (xs[m] > 0.5) {
      continue;
    }
    let C = cyc[m];
    let r = rateV1(m, xb[m], xp[m]);
    let fu = uniforms.ku * xfue[m];
    let local = C / fu;
    let edge = C / (uniforms.ke * xfes[m]);
    let tx = transmitMs(bits[m], r);
    let txMj = xp[m] * tx;
    let localMj = 0.5 * uniforms.theta * C * fu * fu;
    var l = 0.0;
    var h = 1.0;
    // (6b): alpha (local - edge) <= Tmax - tx - edge;  (6e): alpha (localMj - txMj) <= Emax - txMj
    let a0 = local - edge;
    let r0 = uniforms.tMax - tx - edge;
    if (a0 > 0.0) {
      h = min(h, r0 / a0);
    } else if (a0 < 0.0) {
      l = max(l, r0 / a0);
    }
    let a1 = localMj - txMj;
    let r1 = uniforms.eMax - txMj;
    if (a1 > 0.0) {
      h = min(h, r1 / a1);
    } else if (a1 < 0.0) {
      l = max(l, r1 / a1);
    }
    // Widened to hold the previous alpha, which is feasible.
    lo[m] = min(l, xa[m]);
    hi[m] = max(h, xa[m]);
    cost[m] = C / fu - edge;
    xa[m] = select(lo[m], hi[m], cost[m] < 0.0);
    freed += xa[m] * xfes[m];
    if (cost[m] >= 0.0 && hi[m] > lo[m] && xfes[m] > 0.0) {
      ord[nRaise] = m;
      sortKey[m] = cost[m] / xfes[m];
      nRaise++;
    }
  }
  if (freed >= need) {
    return true;
  }
  sortOrd(nRaise);
  for (var k = 0; k < nRaise; k++) {
    let m = ord[k];
    let room = (hi[m] - lo[m]) * xfes[m];
    if (freed + room >= need) {
      xa[m] = min(hi[m], lo[m] + (need - freed) / xfes[m]);
      return true;
    }
    xa[m] = hi[m];
    freed += room;
  }
  // Rounding can leave need a hair above what the full raise frees.
  return freed >= need - LIMIT_RTOL * abs(need);
}

var<private> cf : array<array<f32, M>, NCOEF>;

fn coef(c : i32, m : i32) -> f32 {
  return cf[c][m];
}

// SP3's coefficients around the point (kernels/sp3-surrogate.ts sp3Coefficients) and the start v0
// pulled inside the boxes and the coupling rows.
fn sp3Setup() {
  let ku = uniforms.ku;
  let ke = uniforms.ke;
  let keep = 1.0 - PULL;
  for (var m = 0; m < M; m++) {
    let s = xs[m];
    let un = 1.0 - s;
    let al = xa[m];
    let C = cyc[m];
    let D = bits[m];
    let b = xb[m];
    let p = xp[m];
    let tauBar = expansionTau(m, b, p);
    let freeFue = un * select(0.0, 1.0, al > 0.0);
    let freeFes = 1.0 - un * select(0.0, 1.0, al == 1.0);
    let unAlpha = un * (1.0 - al);
    cf[K_UNCACHED][m] = un;
    cf[K_FREE_FUE][m] = freeFue;
    cf[K_FREE_FES][m] = freeFes;
    cf[K_LOCAL_WORK][m] = un * al * C / ku;
    cf[K_EDGE_WORK][m] = (s + unAlpha) * C / ke;
    cf[K_TX_BITS][m] = un * D;
    cf[K_LOCAL_ENERGY][m] = un * al * C * uniforms.theta * ku * ku;
    cf[K_ENERGY_P][m] = unAlpha * D * tauBar / p;
    cf[K_ENERGY_TAU][m] = unAlpha * D * p / tauBar;
    setRateSurrogateCoefficients(m, b, p);
    cf[K_ES_WEIGHT][m] = freeFes * (s + unAlpha);
    v[m][B] = b * keep;
    v[m][P] = min(p, uniforms.pMax * keep);
    v[m][FUE] = select(xfue[m], min(xfue[m], uniforms.fUeMax * keep), freeFue > 0.0);
    v[m][FES] = select(xfes[m], min(xfes[m] * keep, uniforms.fEsMax * keep), freeFes > 0.0);
    v[m][TAU] = tauBar;
  }
}

struct Sp3Step {
  accepted : bool,
  certified : bool,
  failed : bool,
  steps : i32,
}

// One SP3 call from the point; jBefore is J (R~) at the point.
fn sp3(jBefore : f32) -> Sp3Step {
  sp3Setup();
  let o = solveBlock();
  var out = Sp3Step(false, o.solved && o.certified, o.failed, o.steps);
  if (!o.solved) {
    return out;
  }
  savePoint();
  for (var m = 0; m < M; m++) {
    xb[m] = v[m][B];
    xp[m] = v[m][P];
    xfue[m] = v[m][FUE];
    xfes[m] = v[m][FES];
  }
  let jc = totalMs(false);
  if (jc <= jBefore && checkPoint(false).viol <= uniforms.acceptViolation) {
    out.accepted = true;
  } else {
    restorePoint();
  }
  return out;
}
`;
