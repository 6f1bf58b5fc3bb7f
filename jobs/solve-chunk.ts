/**
 * Solves one chunk of a job (consecutive realisations of one sweep point) on the job's engine and
 * returns its rows, by the engine's solver (kernels/engines.ts): the float64 path one realisation
 * after another, the tensor engine on a tfjs backend as one batch, or the fused GPU engine.
 */
import type { Settings } from '../engine/settings.js';
import type { Problem } from '../engine/problem.js';
import { drawProblemColumns, problemViews } from '../engine/scenario-batch.js';
import { createDrawPool } from './draw-pool.js';
import { cpuBudget } from './cpu-budget.js';
import { solveAo, type AoStatus } from '../engine/ao/solve-ao.js';
import { evaluate } from '../engine/model/latency-energy.js';
import type { Point } from '../engine/model/point.js';
import { DEVICE_COLUMNS, deviceValues, type ChunkRows, type DeviceColumn } from '../output/chunk-columns.js';
import { ENGINES, type EngineName } from '../kernels/engines.js';
import { addFusedWork, emptyFusedWork, type FusedWorkCounts } from '../kernels/webgpu/fused-work.js';
import type { FusedAoColumns } from '../kernels/webgpu/fused-ao.js';

export interface ChunkTask {
  settings: Settings;
  seed: number;
  point: number;
  commonRandomNumbers: boolean;
  first: number;
  count: number;
  backend: EngineName;
  /** Why `auto` chose this engine (recorded with it), when the job said auto. */
  autoReason?: string;
}

/** What the rows need of a solver's result (AoResult and BatchAoResult both have it). */
interface RowResult {
  status: AoStatus;
  iterations: number;
  objectiveMs: number;
  objectiveExactMs: number;
  maxViolation: number;
  traceMs: number[];
  point: Point;
}

export interface SolvedChunk {
  rows: ChunkRows;
  /** A line describing the engine (for the file metadata). */
  backend: string;
  /** The fused GPU engine: what it did besides solving, and its columns (the rows' arrays). */
  gpu?: FusedWorkCounts;
  columns?: FusedAoColumns;
}

/**
 * Solves the chunk. `reuse`: the fused engine's columns of an earlier chunk whose rows are
 * written (the worker passes its last), refilled instead of allocated.
 */
export async function solveChunk(task: ChunkTask, reuse?: FusedAoColumns): Promise<SolvedChunk> {
  const { settings, count, first } = task;
  const point = task.commonRandomNumbers ? null : task.point;
  let problems: Problem[];
  let results: RowResult[];
  const drawInline = (): Problem[] => problemViews(drawProblemColumns(settings, task.seed, point, first, count));
  const engine = ENGINES[task.backend];
  // A tensor engine loads its tfjs backend as it starts; the float64 path loads no tfjs.
  let backend = await engine.start();
  if (engine.solver === 'fused') {
    // The fused GPU engine: drawing, the whole AO and the final check on the GPU, rows as columns.
    const { solveAoFused, emptyFusedAoStats } = await import('../kernels/webgpu/fused-ao.js');
    const { chunkRowsFromFused } = await import('./fused-rows.js');
    const stats = emptyFusedAoStats();
    const columns = await solveAoFused({ settings, seed: task.seed, point, first, count }, { stats, reuse });
    backend += ', fused AO (drawing, Algorithm 1 and the final check on the GPU)';
    if (task.autoReason) backend += `; chosen by auto: ${task.autoReason}`;
    const gpu = emptyFusedWork();
    addFusedWork(gpu, stats);
    return { rows: chunkRowsFromFused(task, columns), backend, gpu, columns };
  }
  if (engine.solver === 'reference') {
    // Every worker draws and solves its own chunk: the pool already uses every core.
    problems = drawInline();
    results = problems.map((p) => solveAo(p));
  } else {
    const { solveAoBatch } = await import('../kernels/solve-ao-batch.js');
    if (!engine.ownsDevice) {
      problems = drawInline(); // one worker per core already
    } else {
      // A GPU backend runs in the job's single worker: the drawing takes the other cores.
      const drawPool = createDrawPool(cpuBudget().count);
      try {
        problems = await drawPool.draw(settings, task.seed, point, first, count);
      } finally {
        await drawPool.close();
      }
    }
    results = await solveAoBatch(problems);
  }
  if (task.autoReason) backend += `; chosen by auto: ${task.autoReason}`;
  return { rows: toRows(task, problems, results), backend };
}

function toRows(task: ChunkTask, problems: Problem[], results: RowResult[]): ChunkRows {
  const n = results.length;
  const M = task.settings.M;
  const device = Object.fromEntries(DEVICE_COLUMNS.map((c) => [c, new Float64Array(n * M)])) as Record<DeviceColumn, Float64Array>;
  const rows: ChunkRows = {
    n, M, point: task.point,
    realisation: new Uint32Array(n), status: [], iterations: new Int32Array(n),
    objectiveMs: new Float64Array(n), objectiveExactMs: new Float64Array(n), maxViolation: new Float64Array(n),
    offloadPortion: new Float64Array(n), cachedCount: new Int32Array(n), cached: new Uint8Array(n * M), device,
    traceOffsets: new Int32Array(n + 1), traceValues: new Float64Array(results.reduce((s, r) => s + r.traceMs.length, 0)),
  };
  let traceAt = 0;
  results.forEach((r, i) => {
    const x = r.point;
    rows.realisation[i] = task.first + i;
    rows.status.push(r.status);
    rows.iterations[i] = r.iterations;
    rows.objectiveMs[i] = r.objectiveMs;
    rows.objectiveExactMs[i] = r.objectiveExactMs;
    rows.maxViolation[i] = r.maxViolation;
    const exact = evaluate(problems[i], x, 'exact');
    let cached = 0;
    let offload = 0;
    for (let m = 0; m < M; m++) {
      const at = i * M + m;
      rows.cached[at] = x.cached[m];
      cached += x.cached[m];
      if (!x.cached[m]) offload += 1 - x.alpha[m];
    }
    for (const c of DEVICE_COLUMNS) device[c].set(deviceValues(c, x, exact), i * M);
    rows.cachedCount[i] = cached;
    rows.offloadPortion[i] = cached < M ? offload / (M - cached) : Number.NaN;
    rows.traceValues.set(r.traceMs, traceAt);
    traceAt += r.traceMs.length;
    rows.traceOffsets[i + 1] = traceAt;
  });
  return rows;
}
