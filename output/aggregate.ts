/**
 * `dtmc aggregate DIR`: per sweep point, over the chunk files of a job's output folder: the mean,
 * standard deviation and 95% confidence interval (Student's t, output/statistics.ts) of the
 * objective, the feasible fraction, status counts, mean iterations, mean offloading portion and
 * mean cached count. Chunk files are read one at a time (memory does not grow with the job), each
 * re-checked as `dtmc run` checks it.
 *
 * A chunk file that fails its check (checksum, layout, rows or a value outside its domain) is listed
 * in `corrupt` with the reason; its point is incomplete. Aggregating only reads: the summary files
 * are written by writeSummary, apart.
 *
 * Statistics of J, iterations, offloading portion and cached count are over the solved rows
 * (status converged or max-iterations); the feasible fraction is solved rows / rows. A job that
 * sweeps `method` with `ao` among its values also gets, at every other method's point, the
 * paired comparison with the AO on the same realisations (beats_ao_fraction, vs_ao_diff_*).
 *
 * A job with a precision target: each point's results are the chunks of its stopping prefix
 * (output/precision-prefix.ts `folderPrefixes`, read first); chunks past it are not read, not
 * counted and not missing, and `precision` gives the targets, the precision reached and whether
 * it was met (the precision_* and target_* columns). A point whose prefix is not decided yet
 * (a chunk missing) is incomplete and counts its complete prefix only.
 * The tails (quantiles of J and of the per-device latency, the outage, the ECDF) come from
 * output/tails.ts over the chunks read here, in passes of their own (`Aggregate.tails`).
 */
import { existsSync } from 'node:fs';
import { Bool, Float64, Int32, RecordBatch, Schema, Table, Utf8, vectorFromArray, type Vector } from 'apache-arrow';
import { chunkPath, hasFailedRecord, summaryPaths, type FolderChunk, type FolderJob, type JobFolder } from './job-folder.js';
import { readChunkFile, writeTableAtomically } from './chunk-file.js';
import { ChunkReadBuffer } from './chunk-checksum.js';
import { writeFileAtomically } from './atomic-file.js';
import { AO_STATUSES, isSolved } from '../engine/ao/solve-ao.js';
import { tCritical } from './statistics.js';
import { csvField } from './export-csv.js';
import { aoPairingKey, folderPrefixes, pointPrecision, type PointPrecision } from './precision-prefix.js';
import { folderTails, type PointTails } from './tails.js';
import { tailColumns } from './tail-columns.js';
import { parameterColumnName } from './row-context.js';


export interface PointSummary {
  point: number;
  values: Record<string, number | string>;
  /** Realisations the job asks for, rows found, and whether every chunk of the point is there. */
  expected: number;
  rows: number;
  complete: boolean;
  solved: number;
  feasibleFraction: number;
  objectiveMeanMs: number;
  objectiveSdMs: number;
  /**
   * Half-width of the 95% confidence interval of the mean, by Student's t:
   * t_{0.975, solved - 1} sd / sqrt(solved) (12.71 at 2 rows, 2.26 at 10, 1.98 at 100, 1.96 in the limit).
   */
  objectiveCi95Ms: number;
  objectiveExactMeanMs: number;
  statuses: Record<(typeof AO_STATUSES)[number], number>;
  iterationsMean: number;
  offloadPortionMean: number;
  cachedMean: number;
  /**
   * For a baseline point of a job that sweeps `method` with `ao` among its values: the fraction
   * of realisations solved at both points where the baseline's J is below the AO's (by more than
   * 1e-9 relative). NaN elsewhere.
   */
  beatsAoFraction: number;
  /**
   * At the same points: the paired difference J(this point) - J(ao) over the realisations solved
   * at both, its mean, the half-width of its 95% confidence interval (t_{0.975, n - 1} sd / sqrt(n)), and the
   * mean as a percentage of the AO's mean J over the same realisations. NaN elsewhere.
   */
  vsAoDiffMeanMs: number;
  vsAoDiffCi95Ms: number;
  vsAoDiffPercent: number;
  /** With a precision target: the targets, the precision reached over the point's stopping prefix, met or not. */
  precision?: PointPrecision;
}

export interface Aggregate {
  job: FolderJob;
  jobHash: string;
  points: PointSummary[];
  /** Chunk ids with no valid file (absent or corrupt), and those recorded as failed. */
  missing: string[];
  failed: string[];
  /** Chunk files present but refused, with why (a subset of missing). */
  corrupt: CorruptChunk[];
  /** Per point (by index): quantiles of J and per-device latency, outage, ECDF (output/tails.ts). */
  tails: PointTails[];
}

export interface CorruptChunk {
  id: string;
  path: string;
  problem: string;
}

/** Running sums of one point. */
class Sums {
  rows = 0;
  solved = 0;
  statuses = Object.fromEntries(AO_STATUSES.map((s) => [s, 0])) as PointSummary['statuses'];
  // Welford's mean and M2 of J (numerically stable for 10^6 rows).
  mean = 0;
  m2 = 0;
  exact = 0;
  iterations = 0;
  offload = 0;
  offloadCount = 0;
  cached = 0;
}

/** Aggregates the chunk files of an opened output folder (output/job-folder.ts `openJobFolder`). */
export function aggregate(folder: JobFolder): Aggregate {
  const { dir: outDir, points, chunks } = folder;
  const { job, jobHash } = folder.manifest;
  const sums = points.map(() => new Sums());
  // Per-realisation J of each point, kept only to pair baselines with the AO.
  const methods = job.sweep.method;
  const paired = Array.isArray(methods) && methods.includes('ao');
  const objectives = paired ? points.map(() => new Float64Array(job.realisations).fill(Number.NaN)) : null;
  const incomplete = new Set<number>();
  const missing: string[] = [];
  const failed: string[] = [];
  const corrupt: CorruptChunk[] = [];
  const prefixes = folderPrefixes(folder); // null without a precision target
  const accepted: FolderChunk[] = [];
  const buffer = new ChunkReadBuffer(); // one chunk's bytes at a time
  for (const c of chunks) {
    const prefix = prefixes?.[c.point].decision;
    if (prefix && !prefix.decided) incomplete.add(c.point);
    if (prefix?.decided && c.k >= prefix.chunks) continue; // past the stopping prefix: never results
    const path = chunkPath(outDir, c.id);
    const { table, problem } = existsSync(path) ? readChunkFile(path, { jobHash, chunk: c.id, point: c.point, first: c.first, count: c.count }, buffer) : { table: null, problem: null };
    if (problem) corrupt.push({ id: c.id, path, problem });
    if (!table) {
      missing.push(c.id);
      if (hasFailedRecord(outDir, c.id)) failed.push(c.id);
      incomplete.add(c.point);
      continue;
    }
    if (prefix && c.k >= prefix.chunks) continue; // past the complete prefix of an undecided point: not results yet
    addChunk(sums[c.point], table, objectives?.[c.point] ?? null, c.first);
    accepted.push(c);
  }
  const summaries = points.map((p, i) => summarise(p.index, p.values, job.realisations, !incomplete.has(i), sums[i]));
  if (prefixes) summaries.forEach((s, i) => (s.precision = pointPrecision(prefixes[i], job.precision!)));
  if (objectives) {
    // The AO point with the same values but method.
    const key = aoPairingKey;
    const aoPoint = new Map(points.filter((p) => p.values.method === 'ao').map((p) => [key(p.values), p.index]));
    for (const p of points) {
      const partner = aoPoint.get(key(p.values));
      if (p.values.method === 'ao' || partner === undefined) continue;
      const mine = objectives[p.index];
      const ao = objectives[partner];
      let both = 0;
      let beats = 0;
      let aoSum = 0;
      let mean = 0;
      let m2 = 0;
      for (let r = 0; r < mine.length; r++) {
        if (Number.isNaN(mine[r]) || Number.isNaN(ao[r])) continue;
        both++;
        if (mine[r] < ao[r] * (1 - 1e-9)) beats++;
        aoSum += ao[r];
        const d = mine[r] - ao[r];
        const delta = d - mean;
        mean += delta / both;
        m2 += delta * (d - mean);
      }
      const summary = summaries[p.index];
      summary.beatsAoFraction = both ? beats / both : Number.NaN;
      summary.vsAoDiffMeanMs = both ? mean : Number.NaN;
      summary.vsAoDiffCi95Ms = both > 1 ? (tCritical(0.95, both - 1) * Math.sqrt(m2 / (both - 1))) / Math.sqrt(both) : Number.NaN;
      summary.vsAoDiffPercent = both ? (100 * mean) / (aoSum / both) : Number.NaN;
    }
  }
  return { job, jobHash, missing, failed, corrupt, points: summaries, tails: folderTails(folder, accepted, undefined, buffer) };
}

function addChunk(s: Sums, table: Table, objectives: Float64Array | null, first: number): void {
  const col = (name: string): Vector => table.getChild(name)!;
  const status = col('status');
  const j = col('objective_ms');
  const exact = col('objective_exact_ms');
  const iterations = col('iterations');
  const offload = col('offload_portion');
  const cached = col('cached_count');
  for (let r = 0; r < table.numRows; r++) {
    s.rows++;
    const st = status.get(r) as keyof Sums['statuses'];
    s.statuses[st] = (s.statuses[st] ?? 0) + 1;
    if (!isSolved(st)) continue;
    s.solved++;
    const x = j.get(r) as number;
    if (objectives) objectives[first + r] = x;
    const delta = x - s.mean;
    s.mean += delta / s.solved;
    s.m2 += delta * (x - s.mean);
    s.exact += exact.get(r) as number;
    s.iterations += iterations.get(r) as number;
    const o = offload.get(r) as number;
    if (Number.isFinite(o)) {
      s.offload += o;
      s.offloadCount++;
    }
    s.cached += cached.get(r) as number;
  }
}

function summarise(point: number, values: Record<string, number | string>, expected: number, complete: boolean, s: Sums): PointSummary {
  const n = s.solved;
  const sd = n > 1 ? Math.sqrt(s.m2 / (n - 1)) : Number.NaN;
  return {
    point, values, expected, rows: s.rows, complete, solved: n,
    feasibleFraction: s.rows ? n / s.rows : Number.NaN,
    objectiveMeanMs: n ? s.mean : Number.NaN,
    objectiveSdMs: sd,
    objectiveCi95Ms: n > 1 ? (tCritical(0.95, n - 1) * sd) / Math.sqrt(n) : Number.NaN,
    objectiveExactMeanMs: n ? s.exact / n : Number.NaN,
    statuses: s.statuses,
    iterationsMean: n ? s.iterations / n : Number.NaN,
    offloadPortionMean: s.offloadCount ? s.offload / s.offloadCount : Number.NaN,
    cachedMean: n ? s.cached / n : Number.NaN,
    beatsAoFraction: Number.NaN,
    vsAoDiffMeanMs: Number.NaN,
    vsAoDiffCi95Ms: Number.NaN,
    vsAoDiffPercent: Number.NaN,
  };
}

/** The summary's columns: name, Arrow type, value per point. */
function summaryColumns(a: Aggregate): { name: string; type: Int32 | Float64 | Utf8 | Bool; values: (p: PointSummary) => number | string | boolean }[] {
  const first = a.points[0];
  const sweepKeys = Object.keys(first.values);
  return [
    { name: 'point', type: new Int32(), values: (p) => p.point },
    ...sweepKeys.map((k) => ({ name: parameterColumnName(k), type: typeof first.values[k] === 'number' ? new Float64() : new Utf8(), values: (p: PointSummary) => p.values[k] })),
    { name: 'realisations', type: new Int32(), values: (p) => p.expected },
    { name: 'rows', type: new Int32(), values: (p) => p.rows },
    { name: 'complete', type: new Bool(), values: (p) => p.complete },
    { name: 'solved', type: new Int32(), values: (p) => p.solved },
    { name: 'feasible_fraction', type: new Float64(), values: (p) => p.feasibleFraction },
    { name: 'objective_mean_ms', type: new Float64(), values: (p) => p.objectiveMeanMs },
    { name: 'objective_sd_ms', type: new Float64(), values: (p) => p.objectiveSdMs },
    { name: 'objective_ci95_ms', type: new Float64(), values: (p) => p.objectiveCi95Ms },
    { name: 'objective_exact_mean_ms', type: new Float64(), values: (p) => p.objectiveExactMeanMs },
    ...AO_STATUSES.map((st) => ({ name: st.replace('-', '_'), type: new Int32(), values: (p: PointSummary) => p.statuses[st] })),
    { name: 'iterations_mean', type: new Float64(), values: (p) => p.iterationsMean },
    { name: 'offload_portion_mean', type: new Float64(), values: (p) => p.offloadPortionMean },
    { name: 'cached_mean', type: new Float64(), values: (p) => p.cachedMean },
    { name: 'beats_ao_fraction', type: new Float64(), values: (p) => p.beatsAoFraction },
    { name: 'vs_ao_diff_mean_ms', type: new Float64(), values: (p) => p.vsAoDiffMeanMs },
    { name: 'vs_ao_diff_ci95_ms', type: new Float64(), values: (p) => p.vsAoDiffCi95Ms },
    { name: 'vs_ao_diff_percent', type: new Float64(), values: (p) => p.vsAoDiffPercent },
    ...(a.job.precision ? precisionColumns : []),
    ...tailColumns(a.tails),
  ];
}

/** A precision target's columns (output/precision-prefix.ts `PointPrecision`); `rows` is then the realisations used. */
const precisionColumns: { name: string; type: Float64 | Bool; values: (p: PointSummary) => number | boolean }[] = [
  { name: 'precision_half_width_ms', type: new Float64(), values: (p) => p.precision!.halfWidthMs },
  { name: 'precision_relative', type: new Float64(), values: (p) => p.precision!.relative },
  { name: 'precision_vs_ao_half_width_ms', type: new Float64(), values: (p) => p.precision!.vsAoHalfWidthMs },
  { name: 'target_half_width_ms', type: new Float64(), values: (p) => p.precision!.targetHalfWidthMs },
  { name: 'target_relative', type: new Float64(), values: (p) => p.precision!.targetRelative },
  { name: 'target_vs_ao_half_width_ms', type: new Float64(), values: (p) => p.precision!.targetVsAoHalfWidthMs },
  { name: 'target_met', type: new Bool(), values: (p) => p.precision!.met },
];

/**
 * Writes DIR/summary.arrow and DIR/summary.csv (each atomically, output/atomic-file.ts); returns their
 * paths. A missing value is NaN in the Arrow file and an empty field in the CSV.
 */
export async function writeSummary(outDir: string, a: Aggregate, engineVersion: string): Promise<string[]> {
  const cols = summaryColumns(a);
  const vectors = Object.fromEntries(cols.map((c) => [c.name, vectorFromArray(a.points.map(c.values) as never[], c.type as never)]));
  const plain = new Table(vectors);
  const metadata = new Map([['dtmc.job', JSON.stringify(a.job)], ['dtmc.job_hash', a.jobHash], ['dtmc.engine_version', engineVersion]]);
  const schema = new Schema(plain.schema.fields, metadata);
  const table = new Table(schema, plain.batches.map((b) => new RecordBatch(schema, b.data)));
  const { arrow: arrowPath, csv: csvPath } = summaryPaths(outDir);
  await writeTableAtomically(arrowPath, table);
  // A missing value (NaN) is an empty field, as `--json` writes it null (csvField, as the row export writes it).
  const csv = [cols.map((c) => c.name).join(','), ...a.points.map((p) => cols.map((c) => csvField(c.values(p))).join(','))].join('\n');
  await writeFileAtomically(csvPath, `${csv}\n`);
  return [arrowPath, csvPath];
}
