/**
 * Tails and outage of each sweep point (issue 15), for `dtmc aggregate`: exact quantiles of J
 * (objective_ms) and of the per-device latency (latency_ms) at p50, p90, p99 and p99.9, each with
 * its distribution-free 95% CI from order statistics, the outage probability with its Wilson 95%
 * interval, and a sampled empirical CDF of both for the charts (output/plot-ecdf.ts).
 *
 * Which rows: J and the latency are taken over the solved rows (converged or max-iterations; an
 * infeasible or numerical-failure row has no J), the latency as the M values of each solved row
 * pooled (n_solved x M values; a NaN latency of a solved row, which the solvers do not write, is
 * left out). The outage counts every row: outage = rows not solved / rows.
 *
 * Quantile: X_(r) at DuckDB's quantile_disc rank r = quantileDiscRank(n, p) (output/statistics.ts).
 * CI of J: [X_(l), X_(u)] with (l, u) = quantileRanks(n_solved, p): P(X_(l) <= q_p <= X_(u)) >= 0.95
 * for i.i.d. rows. CI of the latency: its M values of one realisation are not independent (they
 * share the channel draw and the optimiser's solution), so the realisation is the unit: with
 * (l, u) = quantileRanks(n_solved, p) over realisations, the bounds are the pooled order
 * statistics L_(M (l - 1) + 1) and L_(M u). When the M latencies of a realisation are equal this
 * is exactly the CI of their common value; otherwise the count of pooled values below q_p is a
 * sum of n_solved independent counts in [0, M] of mean M p, whose variance is at most that of
 * M x binomial(n_solved, p), so the interval is conservative (at least asymptotically). Where a
 * solved row has a NaN latency (left out), the pooled ranks no longer map to realisations and the
 * latency's CI is NaN (its quantiles stay, over the values there are). A bound
 * whose rank falls outside 1 .. n (p99.9 with few rows) is NaN; so is every value at n = 0.
 *
 * Exact and flat in memory: the values are not held. Per point, its chunk files are read one at
 * a time through the checked reader (output/chunk-file.ts) in passes of output/exact-select.ts
 * (a histogram of the float bits, then only the values in the buckets that hold a wanted rank):
 * one pass when a point has at most 2^20 values of each, three for a continuous distribution
 * above that. Memory: O(buckets + candidates) for one point at a time, independent of n and of
 * the number of points (but for the results).
 */
import { fail } from '../engine/errors.js';
import { isSolved } from '../engine/ao/solve-ao.js';
import { type Table } from 'apache-arrow';
import { chunkPath, type FolderChunk, type JobFolder } from './job-folder.js';
import { readChunkFile } from './chunk-file.js';
import { ChunkReadBuffer } from './chunk-checksum.js';
import { flatValues } from './chunk-domain.js';
import { DEFAULT_SELECT_LIMITS, ExactSelection, type SelectLimits } from './exact-select.js';
import { quantileDiscRank, quantileRanks, wilsonInterval } from './statistics.js';

/** The quantiles reported per point. */
export const TAIL_PROBABILITIES = [0.5, 0.9, 0.99, 0.999] as const;
/** Confidence level of the quantiles' and the outage's intervals. */
export const TAIL_LEVEL = 0.95;
/** The ECDF's evenly spaced probabilities: k / ECDF_STEPS, k = 0 .. ECDF_STEPS. */
export const ECDF_STEPS = 200;
/** Its tail: 1 - p = 10^(-k / ECDF_TAIL_PER_DECADE) below 0.1, down to 1 / n. */
export const ECDF_TAIL_PER_DECADE = 10;

export interface QuantileEstimate {
  p: number;
  /** X_(r), r = quantileDiscRank(n, p); NaN at n = 0. */
  value: number;
  /** The 95% CI's bounds (NaN where the rank is outside 1 .. n). */
  lower: number;
  upper: number;
}

/** One sample of an ECDF: F(value) = rank / n, value = X_(rank). */
export interface EcdfSample {
  rank: number;
  f: number;
  value: number;
}

export interface ValueTails {
  /** Values the quantiles are over. */
  n: number;
  quantiles: QuantileEstimate[];
  /** Increasing rank; the evenly spaced p, then the tail. */
  ecdf: EcdfSample[];
}

export interface PointTails {
  point: number;
  /** J [ms] over solved rows. */
  objectiveMs: ValueTails;
  /** Per-device latency [ms] over the M devices of solved rows. */
  latencyMs: ValueTails;
  /** Rows not solved (infeasible or numerical-failure) / rows, with the Wilson 95% interval (NaN, [0, 1] at 0 rows). */
  outage: { count: number; rows: number; estimate: number; lower: number; upper: number };
}

/** The ranks of the ECDF's samples over n values. */
export function ecdfRanks(n: number): number[] {
  if (n < 1) return [];
  const ranks = new Set<number>();
  for (let k = 0; k <= ECDF_STEPS; k++) ranks.add(quantileDiscRank(n, k / ECDF_STEPS));
  for (let k = ECDF_TAIL_PER_DECADE + 1; 10 ** (-k / ECDF_TAIL_PER_DECADE) >= 1 / n; k++) ranks.add(quantileDiscRank(n, 1 - 10 ** (-k / ECDF_TAIL_PER_DECADE)));
  return [...ranks].sort((a, b) => a - b);
}

/** The rank of each quantile and of its CI's bounds (0 or > n: no bound). */
interface QuantileRankSet {
  estimate: number;
  lower: number;
  upper: number;
}

/** J's ranks: the order statistics of n i.i.d. values. */
function objectiveRanks(n: number, p: number): QuantileRankSet {
  if (n === 0) return { estimate: 0, lower: 0, upper: 1 };
  const { lower, upper } = quantileRanks(n, p, TAIL_LEVEL);
  return { estimate: quantileDiscRank(n, p), lower, upper };
}

/** The latency's ranks over n pooled values from `rows` realisations of M each (CI by realisation). */
function latencyRanks(n: number, rows: number, M: number, p: number): QuantileRankSet {
  if (n === 0) return { estimate: 0, lower: 0, upper: 1 };
  const estimate = quantileDiscRank(n, p);
  if (n !== rows * M) return { estimate, lower: 0, upper: n + 1 }; // a NaN latency: no clustered CI
  const { lower, upper } = quantileRanks(rows, p, TAIL_LEVEL);
  return { estimate, lower: lower >= 1 ? M * (lower - 1) + 1 : 0, upper: upper <= rows ? M * upper : n + 1 };
}

const wanted = (sets: QuantileRankSet[], n: number): number[] =>
  [...sets.flatMap((s) => [s.estimate, s.lower, s.upper]).filter((r) => r >= 1 && r <= n), ...ecdfRanks(n)];

function valueTails(sel: ExactSelection, sets: QuantileRankSet[]): ValueTails {
  const n = sel.count;
  const at = (r: number): number => (n >= 1 && r >= 1 && r <= n ? sel.value(r) : Number.NaN);
  return {
    n,
    quantiles: TAIL_PROBABILITIES.map((p, i) => ({ p, value: at(sets[i].estimate), lower: at(sets[i].lower), upper: at(sets[i].upper) })),
    ecdf: ecdfRanks(n).map((rank) => ({ rank, f: rank / n, value: sel.value(rank) })),
  };
}

/** Counts of one point from the first pass. */
interface PointCounts {
  rows: number;
  solved: number;
  /** Devices per row (the latency list's size); 0 before a chunk is read. */
  M: number;
}

/** Scratch arrays that solvedValues reuses from chunk to chunk (grown when a chunk needs more). */
export class SolvedScratch {
  objective = new Float64Array(0);
  latency = new Float64Array(0);
}

/**
 * The solved rows' J and their pooled latencies (NaN left out) of one chunk table, written into
 * `scratch` (views valid until its next use).
 */
export function solvedValues(table: Table, scratch = new SolvedScratch()): { objective: Float64Array; latency: Float64Array; rows: number; solved: number; M: number } {
  const status = table.getChild('status')!;
  const j = table.getChild('objective_ms')!.toArray() as Float64Array;
  const lat = table.getChild('latency_ms')!;
  const all = flatValues(lat) as Float64Array;
  const n = table.numRows;
  const M = n ? all.length / n : 0;
  if (scratch.objective.length < n) scratch.objective = new Float64Array(n);
  if (scratch.latency.length < n * M) scratch.latency = new Float64Array(n * M);
  const { objective, latency } = scratch;
  let solved = 0;
  let l = 0;
  for (let r = 0; r < n; r++) {
    if (!isSolved(status.get(r) as string)) continue;
    objective[solved++] = j[r];
    for (let m = r * M; m < (r + 1) * M; m++) if (!Number.isNaN(all[m])) latency[l++] = all[m];
  }
  return { objective: objective.subarray(0, solved), latency: latency.subarray(0, l), rows: n, solved, M };
}

/**
 * The tails of every point of an opened folder from its chunks `accepted` (those output/aggregate.ts
 * read as valid; a point's others are left out, as there). A chunk that no longer reads as valid
 * between passes is a 'corrupt-data' error.
 */
export function folderTails(folder: JobFolder, accepted: readonly FolderChunk[], limits: SelectLimits = DEFAULT_SELECT_LIMITS, buffer = new ChunkReadBuffer()): PointTails[] {
  const { jobHash } = folder.manifest;
  const byPoint = folder.points.map(() => [] as FolderChunk[]);
  for (const c of accepted) byPoint[c.point].push(c);
  const scratch = new SolvedScratch(); // with `buffer`, one chunk's bytes and values at a time
  return folder.points.map((point, i) => {
    const counts: PointCounts = { rows: 0, solved: 0, M: 0 };
    const jSets = (n: number): QuantileRankSet[] => TAIL_PROBABILITIES.map((p) => objectiveRanks(n, p));
    const lSets = (n: number): QuantileRankSet[] => TAIL_PROBABILITIES.map((p) => latencyRanks(n, counts.solved, counts.M, p));
    const j = new ExactSelection((n) => wanted(jSets(n), n), `point ${point.index} objective_ms`, limits);
    const lat = new ExactSelection((n) => wanted(lSets(n), n), `point ${point.index} latency_ms`, limits);
    const rows = byPoint[i].reduce((n, c) => n + c.count, 0);
    for (let pass = 1; ; pass++) {
      for (const c of byPoint[i]) {
        const path = chunkPath(folder.dir, c.id);
        const { table, problem } = readChunkFile(path, { jobHash, chunk: c.id, point: c.point, first: c.first, count: c.count }, buffer);
        if (!table) fail('corrupt-data', `${path} changed while the summary read it (pass ${pass} of the tails): ${problem}`);
        const v = solvedValues(table, scratch);
        if (pass === 1) {
          if (counts.rows === 0) {
            j.reserve(rows);
            lat.reserve(rows * v.M);
          }
          counts.rows += v.rows;
          counts.solved += v.solved;
          counts.M = v.M;
        }
        j.add(v.objective);
        lat.add(v.latency);
      }
      const more = [j.endPass(), lat.endPass()];
      if (!more.some(Boolean)) break;
    }
    const k = counts.rows - counts.solved;
    return {
      point: point.index,
      objectiveMs: valueTails(j, jSets(j.count)),
      latencyMs: valueTails(lat, lSets(lat.count)),
      outage: { count: k, rows: counts.rows, ...wilsonInterval(k, counts.rows, TAIL_LEVEL) },
    };
  });
}

/** A point's tails without the ECDF samples (for `dtmc aggregate --json`). */
export function tailsWithoutEcdf(t: PointTails): { outage: PointTails['outage']; objectiveMs: Omit<ValueTails, 'ecdf'>; latencyMs: Omit<ValueTails, 'ecdf'> } {
  return { outage: t.outage, objectiveMs: { n: t.objectiveMs.n, quantiles: t.objectiveMs.quantiles }, latencyMs: { n: t.latencyMs.n, quantiles: t.latencyMs.quantiles } };
}

/** The quantile at p (one of TAIL_PROBABILITIES). */
export function quantileAt(v: ValueTails, p: (typeof TAIL_PROBABILITIES)[number]): QuantileEstimate {
  return v.quantiles[TAIL_PROBABILITIES.indexOf(p)];
}
