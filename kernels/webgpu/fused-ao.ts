/**
 * The fused GPU engine: Algorithm 1 for a batch of realisations with the whole algorithm on the
 * GPU (fused-ao-wgsl.ts), results as columns (no per-realisation objects), so a batch costs a
 * fixed, small number of dispatches and read-backs whatever its Newton steps or AO iterations:
 *
 *   1. one 'solve' dispatch per binding-sized slice: the start (phase one included), the AO and
 *      the final check;
 *   2. rows whose start the GPU could not settle (status start-on-host): the float64 start on the
 *      host (engine/ao/feasible-start.ts), then one 'solve-from' dispatch for those rows;
 *   3. rows whose float32 check of (6) with the exact rate reports more than RECHECK_VIOLATION:
 *      the check again on the host in float64, whose verdict replaces the float32 one.
 *
 * Columns are realisation-major [n * M] per UE field, [n] per realisation, as the chunk files
 * store them. Values are the GPU's float32 results widened to float64.
 */
import type { Problem } from '../../engine/problem.js';
import type { ProblemColumns } from '../../engine/scenario-batch.js';
import { drawProblemColumns, problemRows, problemViews } from '../../engine/scenario-batch.js';
import { modelParams, type ModelParams } from '../../engine/problem.js';
import { allocatePointColumns, pointView, type PointColumns } from '../../engine/model/point.js';
import { checkFeasibility } from '../../engine/model/feasibility.js';
import { feasibleStart } from '../../engine/ao/feasible-start.js';
import { badInput, isSolved } from '../../engine/ao/solve-ao.js';
import { fail } from '../../engine/errors.js';
import { requireMethod } from '../engines.js';
import { runFusedAo, type DispatchOptions, type DispatchStats, type DrawOnDevice } from './fused-ao-dispatch.js';
import {
  CONSTRAINT_CODES, FAILURE_CODES, inRows, OUTPUT_SCALARS, OUTPUT_UE_FIELDS, POINT_FIELDS, PROBLEM_FIELDS, scalarRow0, START_CODES,
  STATUS_CODES, traceRow0, modeReadsPoint, type FusedMode, type OutputScalar, type StatusCode,
} from './fused-ao-layout.js';

/** Rows whose float32 exact-rate violation exceeds this are re-checked on the host in float64. */
export const RECHECK_VIOLATION = 1e-5;

export interface FusedAoColumns {
  n: number;
  M: number;
  /** STATUS_CODES index per realisation [n] (never start-on-host in a returned batch). */
  status: Uint8Array;
  iterations: Int32Array;
  /** J with R~ and with the exact rate [ms], NaN where infeasible [n]. */
  objectiveMs: Float64Array;
  objectiveExactMs: Float64Array;
  /** Largest relative violation of (6) with the exact rate [n] (float64 where re-checked). */
  maxViolation: Float64Array;
  /** CONSTRAINT_CODES index of that violation [n]. */
  violated: Uint8Array;
  /** START_CODES index [n]. */
  start: Uint8Array;
  sp3Calls: Int32Array;
  sp3Certified: Int32Array;
  /** Method joint: joint SCA steps taken (also counted in iterations and the trace), and surrogate solves certified. */
  jointSteps: Int32Array;
  jointCertified: Int32Array;
  /** Newton steps of every SP3 call and joint step [n]. */
  newtonSteps: Int32Array;
  /** The final points [n * M] (the start where infeasible). */
  point: PointColumns;
  /** Per UE with the exact rate [n * M]: latency [ms], energy [mJ], rate [Mbit/s]. */
  latencyMs: Float64Array;
  energyMj: Float64Array;
  rateMbps: Float64Array;
  /** Row i's trace J(0), J(1), ... [ms] is traceValues[traceOffsets[i] .. traceOffsets[i + 1]). */
  traceOffsets: Int32Array;
  traceValues: Float64Array;
  /** A sentence for rows that need one (why infeasible, what failed), by row. */
  messages: Map<number, string>;
}

export interface FusedAoStats extends DispatchStats {
  /** Rows whose start, or verdict of infeasibility, the GPU found by phase one. */
  phaseOneStarts: number;
  /** Rows whose start ran on the host in float64, and rows re-checked there. */
  hostStarts: number;
  hostRechecks: number;
  /** Main-thread time outside the waits on the device [ms]. */
  hostMs: number;
  wallMs: number;
}

export interface FusedAoOptions extends DispatchOptions {
  /** Filled with dispatches, read-backs and where the time went, when given. */
  stats?: FusedAoStats;
  /**
   * Columns of an earlier batch whose contents the caller no longer needs (its rows written or
   * summed): refilled in place when n and M match, else ignored. A job's chunks then cost no new
   * column memory, whose page faults and collections were most of the host's time left.
   */
  reuse?: FusedAoColumns;
}

export const emptyFusedAoStats = (): FusedAoStats => ({ dispatches: 0, readBacks: 0, waitMs: 0, phaseOneStarts: 0, hostStarts: 0, hostRechecks: 0, hostMs: 0, wallMs: 0 });

const code = (s: StatusCode): number => STATUS_CODES.indexOf(s);

/**
 * Where a batch's problems come from: columns on the host, or realisations first .. first +
 * count - 1 of (seed, point) that the GPU draws from their keys (no upload; the host draws only
 * the rows it must look at itself, and gets the same realisation up to float32 rounding).
 */
export type FusedSource = ProblemColumns | (DrawOnDevice & { count: number });

function sourceShape(source: FusedSource): { n: number; M: number; params: ModelParams } {
  return 'cPerW' in source ? source : { n: source.count, M: source.settings.M, params: modelParams(source.settings) };
}

/** The problems of rows `rows` (all rows when null) as columns on the host. */
function hostProblems(source: FusedSource, rows: Int32Array | null): ProblemColumns {
  if ('cPerW' in source) return rows ? problemRows(source, rows) : source;
  if (!rows) fail('invalid-argument', 'a drawn batch has no host columns');
  const { settings, seed, point, first } = source;
  const { M } = settings;
  const out = drawProblemColumns(settings, seed, point, first, 0);
  const parts = Array.from(rows, (i) => drawProblemColumns(settings, seed, point, first + i, 1));
  const join = (f: 'cPerW' | 'cyclesMc' | 'bitsKbit'): Float64Array => {
    const a = new Float64Array(rows.length * M);
    parts.forEach((p, j) => a.set(p[f], j * M));
    return a;
  };
  return { ...out, n: rows.length, cPerW: join('cPerW'), cyclesMc: join('cyclesMc'), bitsKbit: join('bitsKbit') };
}

/** Row i's problem in float64 (drawn on the host, once, for a drawn batch). */
function hostProblem(source: FusedSource): (i: number) => Problem {
  if ('cPerW' in source) {
    let views: Problem[] | null = null;
    return (i) => (views ??= problemViews(source))[i];
  }
  const cache = new Map<number, Problem>();
  return (i) => {
    let p = cache.get(i);
    if (!p) {
      p = problemViews(hostProblems(source, Int32Array.of(i)))[0];
      cache.set(i, p);
    }
    return p;
  };
}

/** Packs the problem (and a point) of rows `rows` into the program's input [inRows, k]. */
function packInput(problems: ProblemColumns, rows: Int32Array | null, starts: PointColumns | null): Float32Array {
  const { M } = problems;
  const k = rows ? rows.length : problems.n;
  const out = new Float32Array(inRows(M, starts !== null) * k);
  const fields: Float64Array[] = [problems.cPerW, problems.cyclesMc, problems.bitsKbit];
  PROBLEM_FIELDS.forEach((_, f) => {
    const src = fields[f];
    for (let m = 0; m < M; m++) {
      const base = (f * M + m) * k;
      for (let j = 0; j < k; j++) out[base + j] = src[(rows ? rows[j] : j) * M + m];
    }
  });
  if (starts) {
    POINT_FIELDS.forEach((name, p) => {
      const src = starts[name];
      for (let m = 0; m < M; m++) {
        const base = ((PROBLEM_FIELDS.length + p) * M + m) * k;
        for (let j = 0; j < k; j++) out[base + j] = src[j * M + m];
      }
    });
  }
  return out;
}

/** `reuse` reset for n realisations of M UEs where its shape matches, else new columns. */
function columnsFor(n: number, M: number, reuse: FusedAoColumns | undefined): FusedAoColumns {
  if (!reuse || reuse.n !== n || reuse.M !== M) return allocateColumns(n, M);
  // Everything the program does not write on every row is reset.
  reuse.jointSteps.fill(0);
  reuse.jointCertified.fill(0);
  reuse.newtonSteps.fill(0);
  reuse.messages.clear();
  return reuse;
}

/** Columns for n realisations of M UEs, filled with zeros. */
function allocateColumns(n: number, M: number): FusedAoColumns {
  return {
    n, M, status: new Uint8Array(n), iterations: new Int32Array(n), objectiveMs: new Float64Array(n), objectiveExactMs: new Float64Array(n),
    maxViolation: new Float64Array(n), violated: new Uint8Array(n), start: new Uint8Array(n), sp3Calls: new Int32Array(n),
    sp3Certified: new Int32Array(n), jointSteps: new Int32Array(n), jointCertified: new Int32Array(n), newtonSteps: new Int32Array(n), point: allocatePointColumns(n, M),
    latencyMs: new Float64Array(n * M), energyMj: new Float64Array(n * M), rateMbps: new Float64Array(n * M),
    traceOffsets: new Int32Array(n + 1), traceValues: new Float64Array(0), messages: new Map(),
  };
}

/** Raw per-row trace rows kept until the offsets are known: [IMAX + 1, n]. */
interface Decoded {
  trace: Float32Array;
  imax: number;
  detail: Float32Array;
  bandwidthSum: Float32Array;
  startSigma: Float32Array;
  accepted: Float32Array;
}

/** Decoded scratch for n rows and traceRows rows of the trace (NaN past each row's last). */
const newDecoded = (n: number, traceRows: number): Decoded => ({
  trace: new Float32Array(traceRows * n).fill(Number.NaN), imax: traceRows - 1,
  detail: new Float32Array(n), bandwidthSum: new Float32Array(n), startSigma: new Float32Array(n), accepted: new Float32Array(n),
});

/** Copies the program's output for k rows into the columns at rows `rows` (or 0 .. k - 1). */
function decodeInto(c: FusedAoColumns, out: Float32Array, k: number, rows: Int32Array | null, imax: number, d: Decoded): void {
  const { M } = c;
  const target: Record<(typeof OUTPUT_UE_FIELDS)[number], Float64Array | Uint8Array> = {
    ...c.point, latencyMs: c.latencyMs, energyMj: c.energyMj, rateMbps: c.rateMbps,
  };
  // Each per-UE field arrives as its [k, M] column (fused-ao-layout.ts): copied as it is.
  OUTPUT_UE_FIELDS.forEach((name, f) => {
    const dst = target[name];
    const src = out.subarray(f * k * M, (f + 1) * k * M);
    if (!rows) dst.set(src);
    else for (let j = 0; j < k; j++) dst.set(src.subarray(j * M, (j + 1) * M), rows[j] * M);
  });
  const s0 = scalarRow0(M, imax);
  const scalar = (name: OutputScalar): Float32Array => out.subarray((s0 + OUTPUT_SCALARS.indexOf(name)) * k, (s0 + OUTPUT_SCALARS.indexOf(name) + 1) * k);
  const columns: [OutputScalar, Float64Array | Int32Array | Uint8Array | Float32Array][] = [
    ['status', c.status], ['iterations', c.iterations], ['objectiveMs', c.objectiveMs], ['objectiveExactMs', c.objectiveExactMs],
    ['maxViolation', c.maxViolation], ['violated', c.violated], ['start', c.start], ['sp3Calls', c.sp3Calls],
    ['sp3Certified', c.sp3Certified], ['newtonSteps', c.newtonSteps], ['detail', d.detail], ['bandwidthSum', d.bandwidthSum], ['startSigma', d.startSigma], ['accepted', d.accepted],
  ];
  for (const [name, dst] of columns) {
    const src = scalar(name);
    for (let j = 0; j < k; j++) dst[rows ? rows[j] : j] = src[j];
  }
  const t0 = traceRow0(M);
  for (let i = 0; i <= imax; i++) {
    const src = out.subarray((t0 + i) * k, (t0 + i + 1) * k);
    const base = i * c.n;
    for (let j = 0; j < k; j++) d.trace[base + (rows ? rows[j] : j)] = src[j];
  }
}

/** The traces as offsets and values: row i's J(0) .. up to its first NaN (read row by row of the trace, in memory order). */
function packTraces(c: FusedAoColumns, d: Decoded): void {
  const { n } = c;
  const length = new Int32Array(n);
  for (let t = 0; t <= d.imax; t++) {
    const base = t * n;
    for (let i = 0; i < n; i++) if (length[i] === t && !Number.isNaN(d.trace[base + i])) length[i] = t + 1;
  }
  for (let i = 0; i < n; i++) c.traceOffsets[i + 1] = c.traceOffsets[i] + length[i];
  c.traceValues = new Float64Array(c.traceOffsets[n]);
  for (let t = 0; t <= d.imax; t++) {
    const base = t * n;
    for (let i = 0; i < n; i++) if (t < length[i]) c.traceValues[c.traceOffsets[i] + t] = d.trace[base + i];
  }
}

function describe(c: FusedAoColumns, d: Decoded, i: number): void {
  if (c.messages.has(i)) return;
  const status = STATUS_CODES[c.status[i]];
  if (status === 'infeasible' && START_CODES[c.start[i]] === 'bandwidth-test') {
    const hopeless = d.detail[i];
    c.violated[i] = CONSTRAINT_CODES.indexOf('6d');
    c.messages.set(i, `(6d) cannot hold: ${hopeless >= 0
      ? `UE ${hopeless} cannot reach Rmin at Pmax even with the whole band`
      : `the smallest bandwidth shares meeting Rmin at Pmax sum to ${d.bandwidthSum[i].toPrecision(6)} > 1`} (proven)`);
  } else if (status === 'infeasible' && START_CODES[c.start[i]] === 'phase-one') {
    // The float64 start's words (engine/ao/feasible-start.ts) for the same verdict.
    const failed = CONSTRAINT_CODES[c.violated[i]];
    c.messages.set(i, `(${failed}) cannot hold: heuristic verdict: phase one could not meet (${failed}); smallest normalised violation ${d.startSigma[i].toPrecision(4)}`);
  } else if (status === 'numerical-failure') {
    const why = FAILURE_CODES[d.detail[i]];
    c.messages.set(i, why === 'sp2-infeasible' ? `SP2 found its LP infeasible at iteration ${c.iterations[i]}`
      : why === 'start-non-finite' ? 'the start has a non-finite objective' : `non-finite values at iteration ${c.iterations[i]}`);
  }
}

/**
 * Solves n realisations (one parameter set; methods ao and joint's AO part) on the fused GPU
 * engine. Needs the webgpu backend running (kernels/backend.ts).
 */
export async function solveAoFused(source: FusedSource, options: FusedAoOptions = {}): Promise<FusedAoColumns> {
  const { n, M, params } = sourceShape(source);
  requireMethod('webgpu', params.method);
  const stats = options.stats ?? emptyFusedAoStats();
  const wall0 = performance.now();
  const wait0 = stats.waitMs;
  const imax = params.maxIterations;
  const c = columnsFor(n, M, options.reuse);
  const traceRows = params.method === 'joint' ? 2 * imax + 1 : imax + 1;
  const d = newDecoded(n, traceRows);
  const dispatchOptions = { ipm: options.ipm, acceptViolation: options.acceptViolation, maxRows: options.maxRows };

  // 1. Everything on the GPU.
  const out = 'cPerW' in source
    ? await runFusedAo('solve', params, M, n, packInput(source, null, null), stats, dispatchOptions)
    : await runFusedAo('solve', params, M, n, null, stats, { ...dispatchOptions, draw: source });
  decodeInto(c, out, n, null, imax, d);

  // 2. Starts the GPU left to the host (and rows with bad input, which the host names).
  const problem = hostProblem(source);
  const hostRows: number[] = [];
  const phaseOneCode = START_CODES.indexOf('phase-one');
  for (let i = 0; i < n; i++) {
    if (c.status[i] === code('start-on-host')) hostRows.push(i);
    else if (c.start[i] === phaseOneCode) stats.phaseOneStarts++;
  }
  stats.hostStarts += hostRows.length;
  const fromRows: number[] = [];
  for (const i of hostRows) {
    const p = problem(i);
    const bad = badInput(p);
    if (bad) {
      c.status[i] = code('numerical-failure');
      c.messages.set(i, `non-finite or non-positive input: ${bad}`);
      continue;
    }
    const s = feasibleStart(p, pointView(c.point, i, M));
    c.start[i] = START_CODES.indexOf('host');
    if (s.feasible) {
      fromRows.push(i);
    } else {
      c.status[i] = code('infeasible');
      c.violated[i] = CONSTRAINT_CODES.indexOf(s.failedConstraint);
      c.messages.set(i, `(${s.failedConstraint}) cannot hold: ${s.detail}${s.proven ? ' (proven)' : ''}`);
    }
  }
  if (fromRows.length > 0) {
    const rows = Int32Array.from(fromRows);
    const k = rows.length;
    const outFrom = await runFusedAo('solve-from', params, M, k, packInput(hostProblems(source, rows), null, gatherPoints(c.point, rows, M)), stats, dispatchOptions);
    decodeInto(c, outFrom, k, rows, imax, d);
    for (const i of rows) c.start[i] = START_CODES.indexOf('host');
  }

  // 3. Method joint: the joint SCA steps from the AO's points, in one more dispatch.
  if (params.method === 'joint') await refineJointFused(source, c, d, stats, dispatchOptions);

  // 4. Final checks near or past the tolerance, again in float64.
  for (let i = 0; i < n; i++) {
    const status = STATUS_CODES[c.status[i]];
    if (status === 'infeasible') {
      c.objectiveMs[i] = Number.NaN;
      c.objectiveExactMs[i] = Number.NaN;
      c.maxViolation[i] = Number.NaN;
    }
    if (isSolved(status) && !(c.maxViolation[i] <= RECHECK_VIOLATION)) {
      stats.hostRechecks++;
      const check = checkFeasibility(problem(i), pointView(c.point, i, M), 'exact');
      c.maxViolation[i] = check.maxViolation;
      c.violated[i] = CONSTRAINT_CODES.indexOf(check.constraint);
    }
    if (status === 'infeasible' || status === 'numerical-failure') describe(c, d, i);
  }
  packTraces(c, d);
  stats.wallMs += performance.now() - wall0;
  stats.hostMs += performance.now() - wall0 - (stats.waitMs - wait0);
  return c;
}

/** The points of `rows` (of columns with M UEs per row), as columns of rows.length rows in that order. */
function gatherPoints(point: PointColumns, rows: Int32Array, M: number): PointColumns {
  const out = allocatePointColumns(rows.length, M);
  rows.forEach((i, j) => {
    for (const f of POINT_FIELDS) out[f].set(point[f].subarray(i * M, (i + 1) * M), j * M);
  });
  return out;
}

/**
 * Method joint on the fused joint program: rows that ended converged or max-iterations take the
 * joint steps from their AO point; the steps extend the trace and the iteration count, and the
 * AO's status stands (as on the float64 path).
 */
async function refineJointFused(
  source: FusedSource, c: FusedAoColumns, d: Decoded, stats: FusedAoStats, dispatchOptions: DispatchOptions,
): Promise<void> {
  const { M, n, params } = sourceShape(source);
  const imax = params.maxIterations;
  const picked: number[] = [];
  for (let i = 0; i < n; i++) {
    if (isSolved(STATUS_CODES[c.status[i]])) picked.push(i);
  }
  if (picked.length === 0) return;
  const rows = Int32Array.from(picked);
  const k = rows.length;
  const out = await runFusedAo('joint', params, M, k, packInput(hostProblems(source, rows), null, gatherPoints(c.point, rows, M)), stats, dispatchOptions);
  // The AO's trace lengths, before the joint rows are added.
  const aoLength = new Int32Array(k);
  rows.forEach((i, j) => {
    let len = 0;
    while (len <= d.imax && !Number.isNaN(d.trace[len * n + i])) len++;
    aoLength[j] = len;
  });
  const j0 = allocateColumns(k, M);
  const dj = newDecoded(k, imax + 1);
  decodeInto(j0, out, k, null, imax, dj);
  rows.forEach((i, j) => {
    for (const f of POINT_FIELDS) c.point[f].set(j0.point[f].subarray(j * M, (j + 1) * M), i * M);
    c.latencyMs.set(j0.latencyMs.subarray(j * M, (j + 1) * M), i * M);
    c.energyMj.set(j0.energyMj.subarray(j * M, (j + 1) * M), i * M);
    c.rateMbps.set(j0.rateMbps.subarray(j * M, (j + 1) * M), i * M);
    c.objectiveMs[i] = j0.objectiveMs[j];
    c.objectiveExactMs[i] = j0.objectiveExactMs[j];
    c.maxViolation[i] = j0.maxViolation[j];
    c.violated[i] = j0.violated[j];
    const steps = j0.iterations[j];
    c.jointSteps[i] = steps;
    c.jointCertified[i] = j0.sp3Certified[j];
    c.iterations[i] += steps;
    c.newtonSteps[i] += j0.newtonSteps[j];
    for (let t = 1; t <= steps; t++) d.trace[(aoLength[j] - 1 + t) * n + i] = dj.trace[t * k + j];
    if (FAILURE_CODES[dj.detail[j]] === 'non-finite') c.messages.set(i, 'the joint SCA stopped on a numerical failure (the point is its last good step)');
  });
}

/**
 * One mode of the AO program on every row, decoded without the host's follow-ups: the phase
 * checks' entry point (start, sp1, sp2, sp3, check; fused-ao-layout.ts MODES). `points` is the
 * point each row starts from (null for start). `accepted`: SP3's candidate taken, per row.
 */
export async function runFusedPhase(
  mode: Exclude<FusedMode, 'solve' | 'solve-from' | 'joint'>, problems: ProblemColumns, points: PointColumns | null, options: FusedAoOptions = {},
): Promise<{ columns: FusedAoColumns; accepted: Float32Array; detail: Float32Array }> {
  const { n, M, params } = problems;
  if (modeReadsPoint(mode) !== (points !== null)) fail('invalid-argument', `mode ${mode} ${points ? 'takes no' : 'needs a'} point`);
  const c = allocateColumns(n, M);
  const d = newDecoded(n, params.maxIterations + 1);
  const out = await runFusedAo(mode, params, M, n, packInput(problems, null, points), options.stats ?? emptyFusedAoStats(), options);
  decodeInto(c, out, n, null, params.maxIterations, d);
  packTraces(c, d);
  return { columns: c, accepted: d.accepted, detail: d.detail };
}
