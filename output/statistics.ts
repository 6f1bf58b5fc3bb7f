/**
 * Interval statistics of a job's summary (issue 15): the Student t quantile, the CI half-width of
 * a mean, the Wilson interval of a proportion (outage), and the distribution-free CI of a quantile
 * from order statistics. Pure functions of counts and moments; no I/O, nothing kept.
 *
 * Decisions:
 * - t quantile: written here (Hill's start, ACM Algorithm 396, then second-order Newton steps on
 *   the t tail, which is 1/2 I_x(df/2, 1/2) with x = df / (df + t^2)); for df >= 1e5 the
 *   Cornish-Fisher expansion in 1/df to order 4 (Abramowitz & Stegun 26.7.5), whose error is
 *   O(df^-5). Not @stdlib/stats-base-dists-t-quantile: it is accurate, but brings 232 packages
 *   (27 MB) for one function. Relative error against scipy 1.17 under 1e-12 over df 1 .. 1e8,
 *   p 1e-10 .. 1 - 1e-9 (test/output/statistics.test.ts).
 * - Sample quantile: DuckDB's quantile_disc, the order statistic X_(r) of rank
 *   r = max(1, n - floor(n - n p)) (type 1, the inverse empirical CDF; equals ceil(n p) but for
 *   the rounding of n p, which this reproduces: checked against DuckDB 1.5.6 on 2,400 (n, p)
 *   pairs, docs/export-engine-notes.md). DuckDB's quantile_cont is type 7 (position (n - 1) p,
 *   linear between neighbours), as output/convergence.ts's quantile.
 * - Quantile CI: equal-tailed ranks from the binomial(n, p) distribution, each tail at most
 *   (1 - level) / 2, so the coverage is at least `level` for any continuous distribution (and
 *   at least that for a discrete one). Exact at every n, with no switch to a normal
 *   approximation: the binomial pmf is summed only over the mode +- (20 sd + 40), outside of
 *   which the mass is below 1e-26 (Bernstein's inequality), so the cost is O(sqrt(n p (1 - p))),
 *   about 2e5 terms at n = 1e8. The normal approximation with continuity correction was not
 *   kept: where p is near 0 or 1 it misplaces the ranks (p = 0.999: one rank too wide above at
 *   n = 1e6, coverage 0.9520 against the exact ranks' 0.9502; at n = 2e4, 0.967 against 0.957),
 *   and the exact sum costs little at every n up to QUANTILE_CI_MAX_N.
 */
import { fail } from '../engine/errors.js';
import { logBeta, normalQuantile, regularizedBeta } from './special-functions.js';

/** Largest n the quantile CI accepts: its window holds 40 sqrt(n p (1 - p)) + 80 doubles, 16 MB at 1e10. */
export const QUANTILE_CI_MAX_N = 1e10;
/** From this df on, the t quantile is the Cornish-Fisher expansion. */
const T_EXPANSION_DF = 1e5;

function checkProbability(name: string, p: number): void {
  if (!(p > 0 && p < 1)) fail('invalid-argument', `${name} must be a probability strictly between 0 and 1, got ${p}`);
}

function checkCount(name: string, n: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(n) || n < 0 || n > max) fail('invalid-argument', `${name} must be an integer in [0, ${max}], got ${n}`);
}

/** P(T > t) for t >= 0, T ~ Student t with df degrees of freedom. */
function tUpperTail(t: number, df: number): number {
  const t2 = t * t;
  return 0.5 * regularizedBeta(df / (df + t2), df / 2, 0.5, t2 / (df + t2));
}

/** Density of Student t with df degrees of freedom at t. */
function tDensity(t: number, df: number): number {
  return Math.exp(-logBeta(df / 2, 0.5) - 0.5 * Math.log(df) - ((df + 1) / 2) * Math.log1p((t * t) / df));
}

/** Hill's (1970) starting value for the t with upper tail q < 1/2 (as in R's qt). */
function hillStart(q: number, df: number): number {
  const P = 2 * q;
  if (Math.abs(df - 2) < 1e-12) return Math.sqrt(2 / (P * (2 - P)) - 2);
  if (Math.abs(df - 1) < 1e-12) return 1 / Math.tan((P * Math.PI) / 2);
  const a = 1 / (df - 0.5);
  const b = 48 / (a * a);
  let c = ((20700 * a / b - 98) * a - 16) * a + 96.36;
  const d = ((94.5 / (b + c) - 3) / b + 1) * Math.sqrt((a * Math.PI) / 2) * df;
  let y = Math.exp((2 / df) * (Math.log(d) + Math.log(P)));
  if (y > 0.05 + a) {
    const x = normalQuantile(q);
    y = x * x;
    if (df < 5) c += 0.3 * (df - 4.5) * (x + 0.6);
    c = (((0.05 * d * x - 5) * x - 7) * x - 2) * x + b + c;
    y = (((((0.4 * y + 6.3) * y + 36) * y + 94.5) / c - y - 3) / b + 1) * x;
    return Math.sqrt(df * Math.expm1(a * y * y));
  }
  y = ((1 / (((df + 6) / (df * y) - 0.089 * d - 0.822) * (df + 2) * 3) + 0.5 / (df + 4)) * y - 1) * (df + 1) / (df + 2) + 1 / y;
  return Math.sqrt(df * y);
}

/** Cornish-Fisher expansion of the t quantile in 1/df around the normal quantile z. */
function tExpansion(z: number, df: number): number {
  const z2 = z * z;
  const g1 = (z2 + 1) * z / 4;
  const g2 = ((5 * z2 + 16) * z2 + 3) * z / 96;
  const g3 = (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384;
  const g4 = ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) * z / 92160;
  return z + (g1 + (g2 + (g3 + g4 / df) / df) / df) / df;
}

/**
 * The p-quantile of Student's t distribution with df degrees of freedom (df >= 1, real;
 * Infinity gives the normal quantile).
 */
export function studentTQuantile(p: number, df: number): number {
  checkProbability('p', p);
  if (!(df >= 1)) fail('invalid-argument', `df must be a number >= 1, got ${df}`);
  if (df === Infinity) return normalQuantile(p);
  if (df >= T_EXPANSION_DF) return tExpansion(normalQuantile(p), df);
  if (p === 0.5) return 0;
  const q = Math.min(p, 1 - p);
  let t = hillStart(q, df);
  for (let i = 0; i < 50; i++) {
    const x = (tUpperTail(t, df) - q) / tDensity(t, df);
    if (!Number.isFinite(x)) break;
    t += x * (1 + (x * t * (df + 1)) / (2 * (t * t + df)));
    if (Math.abs(x) <= 1e-15 * Math.abs(t)) break;
  }
  return p < 0.5 ? -t : t;
}

/** Two-sided critical value: the t with P(|T| <= t) = level (1.96 at df = Infinity, level 0.95). */
export function tCritical(level: number, df: number): number {
  checkProbability('level', level);
  return studentTQuantile(1 - (1 - level) / 2, df);
}

export interface MeanInterval {
  mean: number;
  /** t_{(1 + level)/2, n - 1} sqrt(variance / n); NaN when n < 2. */
  halfWidth: number;
  lower: number;
  upper: number;
}

/**
 * The `level` CI of a mean from n values with sample mean `mean` and unbiased sample variance
 * `variance` (= M2 / (n - 1) of Welford's running sums), by Student's t with n - 1 df.
 */
export function meanInterval(n: number, mean: number, variance: number, level = 0.95): MeanInterval {
  checkCount('n', n);
  checkProbability('level', level);
  if (n < 2) return { mean, halfWidth: Number.NaN, lower: Number.NaN, upper: Number.NaN };
  if (!Number.isFinite(mean)) fail('invalid-argument', `mean must be a finite number, got ${mean}`);
  if (!(variance >= 0) || !Number.isFinite(variance)) fail('invalid-argument', `variance must be a finite number >= 0, got ${variance}`);
  const halfWidth = tCritical(level, n - 1) * Math.sqrt(variance / n);
  return { mean, halfWidth, lower: mean - halfWidth, upper: mean + halfWidth };
}

export interface ProportionInterval {
  /** k / n; NaN when n = 0. */
  estimate: number;
  lower: number;
  upper: number;
}

/**
 * Wilson's score interval for a binomial proportion from k successes in n trials at `level`
 * (z = Phi^-1((1 + level) / 2)): exactly 0 below at k = 0, exactly 1 above at k = n, [0, 1] at
 * n = 0.
 */
export function wilsonInterval(k: number, n: number, level = 0.95): ProportionInterval {
  checkCount('n', n);
  checkCount('k', k, n);
  checkProbability('level', level);
  const z = normalQuantile(1 - (1 - level) / 2);
  const z2 = z * z;
  const centre = (k + z2 / 2) / (n + z2);
  const half = (z / (n + z2)) * Math.sqrt(n === 0 ? z2 / 4 : (k * (n - k)) / n + z2 / 4);
  return {
    estimate: n === 0 ? Number.NaN : k / n,
    lower: k === 0 ? 0 : Math.max(0, centre - half),
    upper: k === n ? 1 : Math.min(1, centre + half),
  };
}

/**
 * The 1-based rank of the order statistic DuckDB's quantile_disc(x, p) returns over n >= 1
 * values: max(1, n - floor(n - n p)), which is ceil(n p) but for the rounding of n p.
 */
export function quantileDiscRank(n: number, p: number): number {
  checkCount('n', n);
  if (n < 1) fail('invalid-argument', 'n must be at least 1 for a sample quantile');
  if (!(p >= 0 && p <= 1)) fail('invalid-argument', `p must be in [0, 1], got ${p}`);
  return Math.max(1, n - Math.floor(n - n * p));
}

/**
 * The p at which DuckDB's quantile_disc over n values returns the order statistic X_(rank):
 * (rank - 1/2) / n, half a rank from the rounding edges (so CI bounds from quantileRanks can be
 * read by the query engine, in the same query as the estimate).
 */
export function quantileDiscProbability(n: number, rank: number): number {
  checkCount('n', n);
  checkCount('rank', rank, n);
  if (rank < 1) fail('invalid-argument', `rank must be at least 1, got ${rank}`);
  return (rank - 0.5) / n;
}

export interface QuantileRanks {
  /** 1-based rank l of the lower bound X_(l); 0 when there is none (the bound is -Infinity). */
  lower: number;
  /** 1-based rank u of the upper bound X_(u); n + 1 when there is none (+Infinity). */
  upper: number;
  /** P(B <= l - 1) for B ~ binomial(n, p): the chance that q_p lies below X_(l). */
  belowProbability: number;
  /** P(B >= u): the chance that q_p lies above X_(u). */
  aboveProbability: number;
  /** 1 - both: P(X_(l) <= q_p <= X_(u)) for a continuous distribution; at least `level`. */
  coverage: number;
}

/**
 * Distribution-free CI of the p-quantile q_p from n values: the ranks (l, u) such that
 * P(X_(l) <= q_p <= X_(u)) >= level, equal-tailed (each tail at most (1 - level) / 2), from the
 * exact binomial(n, p) distribution of B = #{X_i < q_p}.
 */
export function quantileRanks(n: number, p: number, level = 0.95): QuantileRanks {
  checkCount('n', n, QUANTILE_CI_MAX_N);
  checkProbability('p', p);
  checkProbability('level', level);
  const tail = (1 - level) / 2;
  if (n === 0) return { lower: 0, upper: 1, belowProbability: 0, aboveProbability: 0, coverage: 1 };
  const mode = Math.min(n, Math.floor((n + 1) * p));
  const reach = Math.ceil(20 * Math.sqrt(n * p * (1 - p)) + 40);
  const from = Math.max(0, mode - reach);
  const to = Math.min(n, mode + reach);
  // pmf[k - from] for k in [from, to], by the ratio recurrence out of the mode.
  const pmf = new Float64Array(to - from + 1);
  const odds = p / (1 - p);
  pmf[mode - from] = Math.exp(-Math.log(n + 1) - logBeta(mode + 1, n - mode + 1) + mode * Math.log(p) + (n - mode) * Math.log1p(-p));
  for (let k = mode; k < to; k++) pmf[k + 1 - from] = pmf[k - from] * ((n - k) / (k + 1)) * odds;
  for (let k = mode; k > from; k--) pmf[k - 1 - from] = pmf[k - from] * (k / (n - k + 1)) / odds;
  // l: the first k with P(B <= k) > tail (P(B <= l - 1) <= tail).
  let below = 0;
  let lower = from;
  while (lower <= to && below + pmf[lower - from] <= tail) below += pmf[lower++ - from];
  // u: one past the last k from the top with P(B >= k) > tail (P(B >= u) <= tail).
  let above = 0;
  let upper = to + 1;
  while (upper - 1 >= from && above + pmf[upper - 1 - from] <= tail) above += pmf[--upper - from];
  return { lower, upper, belowProbability: below, aboveProbability: above, coverage: 1 - below - above };
}
