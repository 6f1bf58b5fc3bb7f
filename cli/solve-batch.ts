/**
 * `dtmc solve --batch N`: N generated realisations solved on the chosen engine and summarised:
 * mean objective with its 95% confidence interval, status counts, mean iterations, SP3
 * certificates, time and throughput. Engines: the float64 reference solver (engine/ao/solve-ao.ts)
 * on a worker pool of one thread per core, or the batched tensor engine
 * (kernels/solve-ao-batch.ts) on a tfjs backend, or the fused GPU engine on webgpu, as the engine
 * table says (kernels/engines.ts); `auto` (the default) picks the fastest present. Realisations are keyed by (seed, point, realisation),
 * so every engine solves the same ones.
 */
import { Piscina } from 'piscina';
import { createDrawPool } from '../jobs/draw-pool.js';
import { cpuBudget } from '../jobs/cpu-budget.js';
import { isSolved, type AoStatus } from '../engine/ao/solve-ao.js';
import { fail } from '../engine/errors.js';
import type { Settings } from '../engine/settings.js';
import { AUTO, ENGINE_CHOICES, ENGINES, methodRefusal, type EngineChoice, type EngineName } from '../kernels/engines.js';
import type { FusedAoColumns } from '../kernels/webgpu/fused-ao.js';
import { addFusedWork, emptyFusedWork, formatFusedWork, type FusedWorkCounts } from '../kernels/webgpu/fused-work.js';
import type { SliceTask } from './solve-batch-worker.js';
import { tCritical } from '../output/statistics.js';

export interface BatchInput {
  settings: Settings;
  seed: number;
  point: number | null;
  /** Realisations first, first + 1, ..., first + count - 1. */
  first: number;
  count: number;
  /** Realisations per tensor batch, or per worker task on the float64 path; by default the engine's (kernels/engines.ts `defaultChunk`). */
  chunk?: number;
  backend: EngineChoice;
  /** Called after every chunk (progress). */
  onChunk?: (done: number, total: number) => void;
  /** Return the rows on the fused GPU engine too (the other engines always return them). */
  keepRows?: boolean;
}

/** The engine that ran: the float64 path or a tfjs backend, and a line for the summary. */
export interface BatchEngine {
  name: EngineName;
  detail: string;
}

/** What the summary reads of each realisation's result (BatchAoResult has it too). */
export interface BatchRow {
  status: AoStatus;
  iterations: number;
  objectiveMs: number;
  maxViolation: number;
  sp3Calls: number;
  sp3Certified: number;
  jointSteps: number;
}

export interface BatchSummary {
  backend: BatchEngine;
  settings: Settings;
  seed: number;
  point: number | null;
  first: number;
  count: number;
  chunk: number;
  statuses: Record<string, number>;
  /** Over realisations with status converged or max-iterations. */
  solved: number;
  meanObjectiveMs: number;
  /** Half-width of the 95% confidence interval of the mean (t_{0.975, n-1} s / sqrt(n), output/statistics.ts). */
  ci95Ms: number;
  meanIterations: number;
  sp3Calls: number;
  sp3Certified: number;
  /** Method joint: joint SCA steps taken, summed over the realisations. */
  jointSteps: number;
  /** Largest exact-rate violation of a solved final point. */
  maxViolation: number;
  timeS: number;
  realisationsPerS: number;
  /** The fused GPU engine only: its dispatches and read-backs, and where starts and checks ran. */
  gpu?: FusedWorkCounts;
}


export async function solveBatch(input: BatchInput): Promise<{ summary: BatchSummary; results: BatchRow[] }> {
  if (!(Number.isSafeInteger(input.count) && input.count >= 1)) fail('invalid-argument', `--batch must be a positive integer, got ${input.count}`);
  if (input.chunk !== undefined && !(Number.isSafeInteger(input.chunk) && input.chunk >= 1)) {
    fail('invalid-argument', `--chunk must be a positive integer, got ${input.chunk}`);
  }
  if (!ENGINE_CHOICES.includes(input.backend)) fail('invalid-argument', `--backend must be one of ${ENGINE_CHOICES.join(', ')}, got "${input.backend}"`);
  const auto = input.backend === 'auto' ? await AUTO.resolve() : null;
  const engine = ENGINES[auto ? auto.engine : input.backend as EngineName];
  const why = auto ? `auto: ${auto.reason}` : '';
  const refusal = methodRefusal('--backend', engine.name, input.settings.method);
  if (refusal) fail('invalid-argument', `${refusal}${auto ? ` (auto chose ${engine.name}: ${auto.reason})` : ''}`);
  let backend: BatchEngine;
  let results: BatchRow[] = [];
  let gpu: FusedWorkCounts | undefined;
  const totals = new BatchTotals();
  const threads = cpuBudget().count;
  // On the float64 pool a quarter of each worker's share, so that the pool stays busy to the end.
  const chunk = input.chunk ?? (engine.solver === 'reference' ? Math.min(engine.defaultChunk, Math.ceil(input.count / (4 * threads))) : engine.defaultChunk);
  const started = await engine.start();
  const t0 = performance.now();
  if (engine.solver === 'reference') {
    // The float64 reference solver, one realisation after another on every core; the pool's size
    // and auto's reason go inside the engine's parentheses.
    backend = { name: engine.name, detail: `${started.replace(/\)$/, '')}, ${threads} worker(s)${why ? `; ${why}` : ''})` };
    results = await solveOnFloat64Pool(input, chunk, threads);
    results.forEach((r) => totals.add(r));
  } else if (engine.solver === 'fused') {
    // The fused GPU engine: drawing, Algorithm 1 and the final check on the GPU, no row objects.
    backend = { name: engine.name, detail: `${started}, fused AO${why ? ` (${why})` : ''}` };
    gpu = emptyFusedWork();
    results = await solveOnFusedEngine(input, chunk, totals, gpu);
  } else {
    // The batched tensor engine on a tfjs backend, one chunk at a time.
    backend = { name: engine.name, detail: `${started}${why ? ` (${why})` : ''}` };
    results = await solveOnTensorEngine(input, chunk);
    results.forEach((r) => totals.add(r));
  }
  const timeS = (performance.now() - t0) / 1000;
  return {
    results,
    summary: {
      backend, settings: input.settings, seed: input.seed, point: input.point, first: input.first, count: input.count,
      chunk, ...totals.summary(), timeS, realisationsPerS: input.count / timeS, ...(gpu ? { gpu } : {}),
    },
  };
}

/** Sums over the rows of a batch, row by row (no rows kept). */
class BatchTotals {
  statuses: Record<string, number> = {};
  private sum = 0;
  private sumSq = 0;
  private solved = 0;
  private iterations = 0;
  private sp3Calls = 0;
  private sp3Certified = 0;
  private jointSteps = 0;
  private maxViolation = 0;

  add(r: BatchRow): void {
    this.statuses[r.status] = (this.statuses[r.status] ?? 0) + 1;
    this.sp3Calls += r.sp3Calls;
    this.sp3Certified += r.sp3Certified;
    this.jointSteps += r.jointSteps;
    if (!isSolved(r.status)) return;
    this.solved++;
    this.sum += r.objectiveMs;
    this.sumSq += r.objectiveMs * r.objectiveMs;
    this.iterations += r.iterations;
    this.maxViolation = Math.max(this.maxViolation, r.maxViolation);
  }

  summary(): Pick<BatchSummary, 'statuses' | 'solved' | 'meanObjectiveMs' | 'ci95Ms' | 'meanIterations' | 'sp3Calls' | 'sp3Certified' | 'jointSteps' | 'maxViolation'> {
    const { solved } = this;
    const mean = solved ? this.sum / solved : Number.NaN;
    const variance = solved > 1 ? (this.sumSq - solved * mean * mean) / (solved - 1) : Number.NaN;
    return {
      statuses: this.statuses, solved, meanObjectiveMs: mean, ci95Ms: solved > 1 ? tCritical(0.95, solved - 1) * Math.sqrt(Math.max(variance, 0) / solved) : Number.NaN,
      meanIterations: solved ? this.iterations / solved : Number.NaN, sp3Calls: this.sp3Calls, sp3Certified: this.sp3Certified,
      jointSteps: this.jointSteps, maxViolation: this.maxViolation,
    };
  }
}

/**
 * The fused GPU engine (kernels/webgpu/fused-ao.ts), `chunk` realisations per call, drawn on the
 * GPU; each chunk's columns are summed into `totals` and dropped, so a batch of any size keeps
 * no per-realisation object. Rows are returned only with `keepRows`.
 */
async function solveOnFusedEngine(input: BatchInput, chunk: number, totals: BatchTotals, counts: FusedWorkCounts): Promise<BatchRow[]> {
  const { solveAoFused, emptyFusedAoStats } = await import('../kernels/webgpu/fused-ao.js');
  const { STATUS_CODES } = await import('../kernels/webgpu/fused-ao-layout.js');
  const kept: BatchRow[] = [];
  let reuse: FusedAoColumns | undefined; // the previous chunk's columns, summed and free
  for (let start = 0; start < input.count; start += chunk) {
    const count = Math.min(chunk, input.count - start);
    const stats = emptyFusedAoStats();
    const c = await solveAoFused({ settings: input.settings, seed: input.seed, point: input.point, first: input.first + start, count }, { stats, reuse });
    reuse = c;
    addFusedWork(counts, stats);
    const row = {} as BatchRow; // one object, refilled per realisation unless rows are kept
    for (let i = 0; i < count; i++) {
      const r = input.keepRows ? ({} as BatchRow) : row;
      r.status = STATUS_CODES[c.status[i]] as AoStatus;
      r.iterations = c.iterations[i];
      r.objectiveMs = c.objectiveMs[i];
      r.maxViolation = c.maxViolation[i];
      r.sp3Calls = c.sp3Calls[i];
      r.sp3Certified = c.sp3Certified[i];
      r.jointSteps = c.jointSteps[i];
      totals.add(r);
      if (input.keepRows) kept.push(r);
    }
    input.onChunk?.(start + count, input.count);
  }
  return kept;
}

/** The batched tensor engine on the running tfjs backend; realisations are drawn on every core. */
async function solveOnTensorEngine(input: BatchInput, chunk: number): Promise<BatchRow[]> {
  const { solveAoBatch } = await import('../kernels/solve-ao-batch.js');
  const results: BatchRow[] = [];
  const drawPool = createDrawPool(cpuBudget().count);
  try {
    for (let start = 0; start < input.count; start += chunk) {
      const count = Math.min(chunk, input.count - start);
      const problems = await drawPool.draw(input.settings, input.seed, input.point, input.first + start, count);
      for (const r of await solveAoBatch(problems)) results.push(r);
      input.onChunk?.(results.length, input.count);
    }
  } finally {
    await drawPool.close();
  }
  return results;
}

/** The float64 reference solver on a pool of `threads` workers, `chunk` realisations per task; rows in realisation order. */
async function solveOnFloat64Pool(input: BatchInput, chunk: number, threads: number): Promise<BatchRow[]> {
  const tasks: SliceTask[] = [];
  for (let start = 0; start < input.count; start += chunk) {
    tasks.push({ settings: input.settings, seed: input.seed, point: input.point, first: input.first + start, count: Math.min(chunk, input.count - start) });
  }
  const size = Math.min(threads, tasks.length);
  const pool = new Piscina({ filename: new URL('./solve-batch-worker.js', import.meta.url).href, minThreads: size, maxThreads: size });
  const slices: BatchRow[][] = [];
  let done = 0;
  try {
    await Promise.all(tasks.map(async (t, i) => {
      slices[i] = (await pool.run(t)) as BatchRow[];
      done += t.count;
      input.onChunk?.(done, input.count);
    }));
  } finally {
    await pool.destroy();
  }
  return slices.flat();
}

/** The readable summary. */
export function formatBatchSummary(s: BatchSummary): string {
  const statuses = Object.entries(s.statuses).map(([k, v]) => `${k} ${v}`).join(', ');
  const key = `seed ${s.seed}, realisations ${s.first}..${s.first + s.count - 1}, ${s.point === null ? 'common random numbers' : `point ${s.point}`}`;
  return [
    `backend: ${s.backend.detail}`,
    `${s.count} realisations (${key}), M = ${s.settings.M}, chunks of ${s.chunk}`,
    `statuses: ${statuses}`,
    `mean J = ${s.meanObjectiveMs.toFixed(4)} ms ± ${s.ci95Ms.toFixed(4)} (95% CI, ${s.solved} solved), mean iterations ${s.meanIterations.toFixed(2)}`,
    `SP3: ${s.sp3Certified}/${s.sp3Calls} calls certified; max exact-rate violation ${s.maxViolation.toExponential(2)}`,
    ...(s.settings.method === 'joint' ? [`joint SCA: ${(s.jointSteps / Math.max(s.solved, 1)).toFixed(2)} steps per solved realisation (counted in the iterations)`] : []),
    ...(s.gpu ? [`GPU: ${formatFusedWork(s.gpu)}`] : []),
    `time ${s.timeS.toFixed(2)} s, ${s.realisationsPerS.toFixed(1)} realisations/s`,
  ].join('\n') + '\n';
}
