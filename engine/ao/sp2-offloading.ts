/**
 * SP2, offloading (SPEC section 3, step 2), solved exactly as a continuous knapsack.
 *
 * With s, b, p, f fixed, minimise sum over uncached m of alpha_m w_m, w_m = C_m (1/f'_ue - 1/f'_es),
 * subject to per-UE bounds lo_m <= alpha_m <= hi_m from (6b), (6e) and [0, 1] (all linear in
 * alpha), and the coupling (6f): sum_uncached alpha_m f_es_m >= need, with
 * need = sum_all f_es - Fes_max. Each alpha starts at the bound its cost prefers; if (6f) is
 * broken, the UEs with the smallest cost per unit of freed ES capacity (w_m / f_es_m) are raised
 * first until it holds (one ends fractional). Cached UEs keep their alpha.
 */
import type { Problem } from '../problem.js';
import { transmitMs } from '../model/latency-energy.js';
import type { Point } from '../model/point.js';
import { rateV1Mbps } from '../model/rate.js';

/** The LP data of SP2 for one realisation (exported for the LP cross-check in the tests). */
export interface OffloadingLp {
  /** Indices of the uncached UEs, the LP's variables. */
  uncached: number[];
  /** Cost per unit alpha [ms]. */
  cost: Float64Array;
  lo: Float64Array;
  hi: Float64Array;
  /** Weight of alpha in (6f) [GHz]: f_es. */
  capacity: Float64Array;
  /** Right-hand side of sum capacity * alpha >= need [GHz]. */
  need: number;
}

/**
 * Builds the LP. Bounds from (6b) and (6e): a alpha <= r  =>  alpha <= r/a (a > 0) or
 * alpha >= r/a (a < 0). The previous alpha is feasible by construction; the bounds are widened to
 * include it so that rounding in the bound formulas cannot make the LP infeasible.
 */
export function offloadingLp(problem: Problem, x: Point): OffloadingLp {
  const { params } = problem;
  const ku = 1 - params.deltaUe;
  const ke = 1 - params.deltaEs;
  const uncached: number[] = [];
  let totalEsGHz = 0;
  for (let m = 0; m < x.alpha.length; m++) {
    totalEsGHz += x.fEsGHz[m];
    if (!x.cached[m]) uncached.push(m);
  }
  const n = uncached.length;
  const lp: OffloadingLp = {
    uncached, cost: new Float64Array(n), lo: new Float64Array(n), hi: new Float64Array(n),
    capacity: new Float64Array(n), need: totalEsGHz - params.fEsMaxGHz,
  };
  for (let k = 0; k < n; k++) {
    const m = uncached[k];
    const C = problem.cyclesMc[m];
    const D = problem.bitsKbit[m];
    const r = rateV1Mbps(params, problem.cPerW[m], x.bandwidth[m], x.powerW[m]);
    const local = C / (ku * x.fUeGHz[m]); // latency of the whole task computed locally [ms]
    const edge = C / (ke * x.fEsGHz[m]); // ... computed at the edge [ms]
    const tx = transmitMs(D, r);
    const txMj = x.powerW[m] * tx;
    const fu = ku * x.fUeGHz[m];
    const localMj = 0.5 * params.thetaModel * C * fu * fu;
    let lo = 0;
    let hi = 1;
    // (6b): alpha (local - edge) <= Tmax - tx - edge;  (6e): alpha (localMj - txMj) <= Emax - txMj
    for (const [a, rhs] of [[local - edge, params.tMaxMs - tx - edge], [localMj - txMj, params.eMaxMj - txMj]]) {
      if (a > 0) hi = Math.min(hi, rhs / a);
      else if (a < 0) lo = Math.max(lo, rhs / a);
    }
    const prev = x.alpha[m];
    lp.lo[k] = Math.min(lo, prev);
    lp.hi[k] = Math.max(hi, prev);
    lp.cost[k] = C / fu - C / (ke * x.fEsGHz[m]);
    lp.capacity[k] = x.fEsGHz[m];
  }
  return lp;
}

/** Solves the continuous knapsack; returns alpha per LP variable, or null if (6f) cannot hold. */
export function solveKnapsack(lp: OffloadingLp): Float64Array | null {
  const n = lp.uncached.length;
  const alpha = new Float64Array(n);
  let freed = 0;
  const raise: number[] = [];
  for (let k = 0; k < n; k++) {
    alpha[k] = lp.cost[k] < 0 ? lp.hi[k] : lp.lo[k];
    freed += alpha[k] * lp.capacity[k];
    if (lp.cost[k] >= 0 && lp.hi[k] > lp.lo[k] && lp.capacity[k] > 0) raise.push(k);
  }
  if (freed >= lp.need) return alpha;
  raise.sort((i, j) => lp.cost[i] / lp.capacity[i] - lp.cost[j] / lp.capacity[j] || i - j);
  for (const k of raise) {
    const room = (lp.hi[k] - lp.lo[k]) * lp.capacity[k];
    if (freed + room >= lp.need) {
      alpha[k] = Math.min(lp.hi[k], lp.lo[k] + (lp.need - freed) / lp.capacity[k]);
      return alpha;
    }
    alpha[k] = lp.hi[k];
    freed += room;
  }
  // Rounding can leave need a hair above what the full raise frees.
  return freed >= lp.need * (1 - 1e-12) ? alpha : null;
}

export interface OffloadingOutcome {
  /** False when the LP was found infeasible (x is then left unchanged). */
  solved: boolean;
}

/** Runs SP2 on x in place (only x.alpha of uncached UEs changes). */
export function solveOffloading(problem: Problem, x: Point): OffloadingOutcome {
  const lp = offloadingLp(problem, x);
  const alpha = solveKnapsack(lp);
  if (!alpha) return { solved: false };
  for (let k = 0; k < lp.uncached.length; k++) x.alpha[lp.uncached[k]] = alpha[k];
  return { solved: true };
}

