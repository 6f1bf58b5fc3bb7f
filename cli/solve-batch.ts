/**
 * `dtmc solve --batch N`: N generated realisations through the batched tensor engine
 * (kernels/solve-ao-batch.ts) on the chosen backend, summarised: mean objective with its 95%
 * confidence interval, status counts, mean iterations, SP3 certificates, time and throughput.
 */
import { availableParallelism } from 'node:os';
import { createDrawPool } from '../jobs/draw-pool.js';
import { fail } from '../engine/errors.js';
import type { Settings } from '../engine/settings.js';
import { useBackend, type BackendChoice, type BackendInfo } from '../kernels/backend.js';
import { solveAoBatch, type BatchAoResult } from '../kernels/solve-ao-batch.js';

export interface BatchInput {
  settings: Settings;
  seed: number;
  point: number | null;
  /** Realisations first, first + 1, ..., first + count - 1. */
  first: number;
  count: number;
  /** Realisations per tensor batch; by default 1024 on wasm and cpu, 100 000 on a GPU (where each peaked, docs/performance.md). */
  chunk?: number;
  backend: BackendChoice;
  /** Called after every chunk (progress). */
  onChunk?: (done: number, total: number) => void;
}

export interface BatchSummary {
  backend: BackendInfo;
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
  /** Half-width of the 95% confidence interval of the mean (1.96 s / sqrt(n)). */
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
}

export async function solveBatch(input: BatchInput): Promise<{ summary: BatchSummary; results: BatchAoResult[] }> {
  if (!(Number.isSafeInteger(input.count) && input.count >= 1)) fail('invalid-argument', `--batch must be a positive integer, got ${input.count}`);
  if (input.chunk !== undefined && !(Number.isSafeInteger(input.chunk) && input.chunk >= 1)) {
    fail('invalid-argument', `--chunk must be a positive integer, got ${input.chunk}`);
  }
  const backend = await useBackend(input.backend);
  const chunk = input.chunk ?? (backend.name === 'wasm' || backend.name === 'cpu' ? 1024 : 100_000);
  const results: BatchAoResult[] = [];
  const t0 = performance.now();
  // Realisations are drawn on every core; the tensor engine then solves each chunk as one batch.
  const drawPool = createDrawPool(availableParallelism());
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
  const timeS = (performance.now() - t0) / 1000;
  const statuses: Record<string, number> = {};
  let sum = 0;
  let sumSq = 0;
  let solved = 0;
  let iterations = 0;
  let sp3Calls = 0;
  let sp3Certified = 0;
  let jointSteps = 0;
  let maxViolation = 0;
  for (const r of results) {
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    sp3Calls += r.sp3Calls;
    sp3Certified += r.sp3Certified;
    jointSteps += r.jointSteps;
    if (r.status !== 'converged' && r.status !== 'max-iterations') continue;
    solved++;
    sum += r.objectiveMs;
    sumSq += r.objectiveMs * r.objectiveMs;
    iterations += r.iterations;
    maxViolation = Math.max(maxViolation, r.maxViolation);
  }
  const mean = solved ? sum / solved : Number.NaN;
  const variance = solved > 1 ? (sumSq - solved * mean * mean) / (solved - 1) : Number.NaN;
  return {
    results,
    summary: {
      backend, settings: input.settings, seed: input.seed, point: input.point, first: input.first, count: input.count,
      chunk, statuses, solved, meanObjectiveMs: mean, ci95Ms: 1.96 * Math.sqrt(Math.max(variance, 0) / solved),
      meanIterations: solved ? iterations / solved : Number.NaN, sp3Calls, sp3Certified, jointSteps, maxViolation, timeS,
      realisationsPerS: input.count / timeS,
    },
  };
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
    `time ${s.timeS.toFixed(2)} s, ${s.realisationsPerS.toFixed(1)} realisations/s`,
  ].join('\n') + '\n';
}
