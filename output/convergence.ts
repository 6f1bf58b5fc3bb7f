/**
 * Convergence of the AO over a job's output folder, per sweep point: the mean objective J(i) per
 * AO iteration i with its standard deviation and 10% / 90% quantiles, and the histogram of
 * iterations to converge. A realisation that stopped before iteration i counts with its final J
 * (it stays there). Over converged and max-iterations rows (under a precision target, of each
 * point's stopping prefix: output/precision-prefix.ts); read chunk by chunk.
 */
import { existsSync } from 'node:fs';
import type { Vector } from 'apache-arrow';
import { chunkPath, type JobFolder } from './job-folder.js';
import { isSolved } from '../engine/ao/solve-ao.js';
import { readChunkFile } from './chunk-file.js';
import { ChunkReadBuffer } from './chunk-checksum.js';
import { folderPrefixes } from './precision-prefix.js';

export interface IterationStats {
  iteration: number;
  meanMs: number;
  sdMs: number;
  p10Ms: number;
  p90Ms: number;
}

export interface PointConvergence {
  point: number;
  values: Record<string, number | string>;
  /** J(0), J(1), ... up to the largest iteration count seen. */
  iterations: IterationStats[];
  /** histogram[k] = rows that stopped after k AO iterations. */
  histogram: number[];
}

/** Quantile q of sorted values (linear interpolation). */
export function quantile(sorted: readonly number[], q: number): number {
  if (!sorted.length) return Number.NaN;
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (at - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * Per point, the traces of its solved rows (kept per point only while that point is read: a
 * point's chunks are consecutive, so memory holds one point's traces at a time).
 */
export function convergence(folder: JobFolder): PointConvergence[] {
  const { dir: outDir, points, chunks } = folder;
  const { jobHash } = folder.manifest;
  const out: PointConvergence[] = [];
  const buffer = new ChunkReadBuffer(); // the traces are copied out of each chunk
  const prefixes = folderPrefixes(folder); // under a precision target, each point's stopping prefix only
  for (const p of points) {
    const traces: number[][] = [];
    const histogram: number[] = [];
    for (const c of chunks) {
      if (c.point !== p.index || (prefixes && c.k >= prefixes[c.point].decision.chunks)) continue;
      const path = chunkPath(outDir, c.id);
      const { table } = existsSync(path) ? readChunkFile(path, { jobHash, chunk: c.id, point: c.point, first: c.first, count: c.count }, buffer) : { table: null };
      if (!table) continue;
      const status = table.getChild('status')!;
      const trace = table.getChild('trace_ms')!;
      const iterations = table.getChild('iterations')!;
      for (let r = 0; r < table.numRows; r++) {
        const st = status.get(r);
        if (!isSolved(st)) continue;
        traces.push(Array.from((trace.get(r) as Vector).toArray() as Float64Array));
        const k = iterations.get(r) as number;
        while (histogram.length <= k) histogram.push(0);
        histogram[k]++;
      }
    }
    const longest = traces.reduce((n, t) => Math.max(n, t.length), 0);
    const iterations: IterationStats[] = [];
    for (let i = 0; i < longest; i++) {
      const at = traces.map((t) => t[Math.min(i, t.length - 1)]).sort((a, b) => a - b);
      const mean = at.reduce((s, v) => s + v, 0) / at.length;
      const sd = at.length > 1 ? Math.sqrt(at.reduce((s, v) => s + (v - mean) ** 2, 0) / (at.length - 1)) : Number.NaN;
      iterations.push({ iteration: i, meanMs: mean, sdMs: sd, p10Ms: quantile(at, 0.1), p90Ms: quantile(at, 0.9) });
    }
    out.push({ point: p.index, values: p.values, iterations, histogram });
  }
  return out;
}
