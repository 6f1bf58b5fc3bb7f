/**
 * Precision targets (issue 15): the stopping rule of a point, a pure function of the per-chunk
 * moments of its chunks in chunk order. `dtmc run` (jobs/run-job.ts) stops scheduling a point's
 * chunks by it and `dtmc aggregate` (output/aggregate.ts) uses exactly the prefix it names, so the
 * rows and the summary depend neither on workers, timing, resuming nor shards.
 *
 * The rule: a point (or a group of points decided together, output/precision-prefix.ts) stops at
 * the smallest k such that chunks 0 .. k-1 are all complete and the moments merged over them meet
 * every target; when no complete prefix meets them it runs to the cap, all chunks (`realisations`).
 * A prefix that has been decided never changes as chunks are added: the rule reads chunk k only
 * once chunks 0 .. k-1 are there and failed to meet the targets.
 *
 * What is measured: the 95% CI half-width (Student t with n - 1 df, output/statistics.ts
 * `meanInterval`) of a mean over the solved realisations (status converged or max-iterations);
 * infeasible and numerical-failure rows count in no mean (as in the summary's mean J), so a point
 * with few solved rows needs more chunks, and one with fewer than 2 never meets a target and runs
 * to the cap. Relative precision is the half-width over |mean|.
 */
import { meanInterval } from './statistics.js';

/** The job field `precision` (jobs/job-file.ts validates it): each bound given must hold. */
export interface PrecisionTarget {
  /** 95% CI half-width of mean J, ms. */
  halfWidthMs?: number;
  /** 95% CI half-width of mean J over |mean J|. */
  relative?: number;
  /** 95% CI half-width of the mean paired difference J - J(ao), ms (a job that sweeps `method` with ao). */
  vsAoHalfWidthMs?: number;
}

/** Confidence level of every precision target. */
export const PRECISION_LEVEL = 0.95;

/** Count, mean and sum of squared deviations from the mean (Welford's M2) of some values. */
export interface Moments {
  n: number;
  mean: number;
  m2: number;
}

export const NO_MOMENTS: Moments = Object.freeze({ n: 0, mean: 0, m2: 0 });

/** The moments of the values that are not NaN (Welford, in order). */
export function momentsOf(values: ArrayLike<number>): Moments {
  let n = 0;
  let mean = 0;
  let m2 = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (Number.isNaN(x)) continue;
    n++;
    const delta = x - mean;
    mean += delta / n;
    m2 += delta * (x - mean);
  }
  return { n, mean, m2 };
}

/** The moments of two disjoint sets of values together (Chan, Golub and LeVeque's update). */
export function mergeMoments(a: Moments, b: Moments): Moments {
  if (b.n === 0) return a;
  if (a.n === 0) return b;
  const n = a.n + b.n;
  const delta = b.mean - a.mean;
  return { n, mean: a.mean + (delta * b.n) / n, m2: a.m2 + b.m2 + (delta * delta * a.n * b.n) / n };
}

/** The bounds one measured mean must meet (either may be absent: then it always holds). */
export interface MeasureTarget {
  halfWidthMs?: number;
  relative?: number;
}

/** The precision a mean has reached. */
export interface Reached {
  n: number;
  meanMs: number;
  /** 95% CI half-width (Student t), ms; NaN when n < 2. */
  halfWidthMs: number;
  /** halfWidthMs / |meanMs|; NaN when n < 2 (Infinity when the mean is 0). */
  relative: number;
}

export function reachedOf(m: Moments): Reached {
  if (m.n < 2) return { n: m.n, meanMs: m.n ? m.mean : Number.NaN, halfWidthMs: Number.NaN, relative: Number.NaN };
  const { halfWidth } = meanInterval(m.n, m.mean, Math.max(0, m.m2) / (m.n - 1), PRECISION_LEVEL);
  return { n: m.n, meanMs: m.mean, halfWidthMs: halfWidth, relative: halfWidth / Math.abs(m.mean) };
}

/** Whether `r` meets `t` (a NaN precision meets no bound). */
export function meetsTarget(r: Reached, t: MeasureTarget): boolean {
  if (t.halfWidthMs !== undefined && !(r.halfWidthMs <= t.halfWidthMs)) return false;
  if (t.relative !== undefined && !(r.relative <= t.relative)) return false;
  return true;
}

export interface PrefixDecision {
  /** The point's results are chunks 0 .. chunks-1 (when not decided: the complete prefix so far). */
  chunks: number;
  /** Whether the rule has decided: a complete prefix met the targets, or every chunk is there (the cap). */
  decided: boolean;
  /** Whether the prefix meets every target. */
  met: boolean;
  /** Per measure, what the prefix reached, and the moments it merged. */
  reached: Reached[];
  merged: Moments[];
}

/**
 * The stopping rule. `perChunk[k]`: the moments of each measure over chunk k's realisations, in
 * the order of `targets` (null while chunk k is not complete); its length is the cap in chunks.
 * Returns the smallest complete prefix meeting every target (decided, met), or all chunks when
 * every chunk is there and none did (decided, not met), or the complete prefix so far (undecided).
 *
 * `from`: an undecided result of an earlier call on the same chunks (which may have gained chunks
 * since); the merge goes on from it, in the same order, so the result is the same as a fresh
 * call's, bit for bit, at O(new chunks) (a decided `from` is returned as it is).
 */
export function stoppingPrefix(perChunk: readonly (readonly Moments[] | null)[], targets: readonly MeasureTarget[], from?: PrefixDecision): PrefixDecision {
  if (from?.decided) return from;
  let merged: Moments[] = from ? from.merged : targets.map(() => NO_MOMENTS);
  let reached = from ? from.reached : merged.map(reachedOf);
  for (let k = from ? from.chunks : 0; k < perChunk.length; k++) {
    const chunk = perChunk[k];
    if (!chunk) return { chunks: k, decided: false, met: false, reached, merged };
    if (chunk.length !== targets.length) throw new Error(`chunk ${k} has ${chunk.length} measure(s), the targets ${targets.length}`);
    merged = merged.map((m, i) => mergeMoments(m, chunk[i]));
    reached = merged.map(reachedOf);
    if (reached.every((r, i) => meetsTarget(r, targets[i]))) return { chunks: k + 1, decided: true, met: true, reached, merged };
  }
  return { chunks: perChunk.length, decided: true, met: false, reached, merged };
}
