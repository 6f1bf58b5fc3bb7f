/**
 * SP1, caching (SPEC section 3, step 1): the letter's greedy.
 *
 * With everything else fixed, t_m is UE m's latency if not cached. Starting from nothing cached,
 * visit the UEs in descending t_m (or descending saving t_m - C/f'_es with cachingRule "saving");
 * ties go to the lower index. Cache m when (6g) still has room, (6f) still holds (a cached task
 * loads the ES with f_es, an uncached one with (1-alpha) f_es), C/f'_es <= Tmax, and
 * C/f'_es < t_m. The new set is kept only if J does not rise and every uncached UE keeps (6b)
 * and (6e); otherwise the previous set stays, so J never rises.
 */
import type { Problem } from '../problem.js';
import { cachedMs, uncachedMj, uncachedMs } from '../model/latency-energy.js';
import type { Point } from '../model/point.js';
import { rateV1Mbps } from '../model/rate.js';

/** Relative slack allowed when re-checking limits that the previous point met exactly. */
export const LIMIT_RTOL = 1e-12;

export interface CachingOutcome {
  /** Whether the greedy's set replaced the previous one. */
  changed: boolean;
}

/**
 * Runs SP1 on x in place (only x.cached changes). With keepIfWorse = false the greedy's set is
 * taken as it is (the feasible start's phase-one uses that).
 */
export function solveCaching(problem: Problem, x: Point, keepIfWorse = true): CachingOutcome {
  const { params } = problem;
  const M = x.alpha.length;
  const tUncached = new Float64Array(M);
  const tCached = new Float64Array(M);
  let loadUncachedGHz = 0;
  for (let m = 0; m < M; m++) {
    const r = rateV1Mbps(params, problem.cPerW[m], x.bandwidth[m], x.powerW[m]);
    tUncached[m] = uncachedMs(params, problem.cyclesMc[m], problem.bitsKbit[m], x.alpha[m], x.fUeGHz[m], x.fEsGHz[m], r);
    tCached[m] = cachedMs(params, problem.cyclesMc[m], x.fEsGHz[m]);
    loadUncachedGHz += (1 - x.alpha[m]) * x.fEsGHz[m];
  }
  const key = (m: number): number =>
    params.cachingRule === 'saving' ? tUncached[m] - tCached[m] : tUncached[m];
  const order = Array.from({ length: M }, (_, m) => m).sort((i, j) => key(j) - key(i) || i - j);

  const next = new Uint8Array(M);
  let cacheKbit = 0;
  let loadGHz = loadUncachedGHz;
  const loadLimit = params.fEsMaxGHz * (1 + LIMIT_RTOL);
  for (const m of order) {
    const loadIfCached = loadGHz - (1 - x.alpha[m]) * x.fEsGHz[m] + x.fEsGHz[m];
    if (
      cacheKbit + problem.bitsKbit[m] <= params.sMaxKbit * (1 + LIMIT_RTOL)
      && loadIfCached <= loadLimit
      && tCached[m] <= params.tMaxMs
      && tCached[m] < tUncached[m]
    ) {
      next[m] = 1;
      cacheKbit += problem.bitsKbit[m];
      loadGHz = loadIfCached;
    }
  }

  let jPrev = 0;
  let jNext = 0;
  for (let m = 0; keepIfWorse && m < M; m++) {
    jPrev += x.cached[m] ? tCached[m] : tUncached[m];
    jNext += next[m] ? tCached[m] : tUncached[m];
    if (!next[m] && x.cached[m]) {
      // A UE that leaves the cache must meet (6b) and (6e) as an uncached UE.
      const r = rateV1Mbps(params, problem.cPerW[m], x.bandwidth[m], x.powerW[m]);
      const e = uncachedMj(params, problem.cyclesMc[m], problem.bitsKbit[m], x.alpha[m], x.fUeGHz[m], x.powerW[m], r);
      if (tUncached[m] > params.tMaxMs * (1 + LIMIT_RTOL) || e > params.eMaxMj * (1 + LIMIT_RTOL)) return { changed: false };
    }
  }
  if (jNext > jPrev) return { changed: false };
  let changed = false;
  for (let m = 0; m < M; m++) changed ||= next[m] !== x.cached[m];
  x.cached.set(next);
  return { changed };
}
