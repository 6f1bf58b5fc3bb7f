/**
 * A chunk's rows from the fused GPU engine's columns (kernels/webgpu/fused-ao.ts), without a
 * per-realisation object: the per-UE columns are the engine's own arrays, the per-realisation
 * ones are filled in one pass.
 */
import { DEVICE_COLUMNS, deviceValues, type ChunkRows, type DeviceColumn } from '../output/chunk-columns.js';
import type { FusedAoColumns } from '../kernels/webgpu/fused-ao.js';
import { STATUS_CODES } from '../kernels/webgpu/fused-ao-layout.js';

export interface RowsKey {
  point: number;
  /** The realisation of row 0. */
  first: number;
}

export function chunkRowsFromFused(key: RowsKey, c: FusedAoColumns): ChunkRows {
  const { n, M } = c;
  const rows: ChunkRows = {
    n, M, point: key.point,
    realisation: new Uint32Array(n), status: new Array<string>(n), iterations: c.iterations,
    objectiveMs: c.objectiveMs, objectiveExactMs: c.objectiveExactMs, maxViolation: c.maxViolation,
    offloadPortion: new Float64Array(n), cachedCount: new Int32Array(n), cached: c.point.cached,
    device: Object.fromEntries(DEVICE_COLUMNS.map((d) => [d, deviceValues(d, c.point, c)])) as Record<DeviceColumn, Float64Array>,
    traceOffsets: c.traceOffsets, traceValues: c.traceValues,
  };
  for (let i = 0; i < n; i++) {
    rows.realisation[i] = key.first + i;
    rows.status[i] = STATUS_CODES[c.status[i]];
    let cached = 0;
    let offload = 0;
    for (let m = i * M; m < (i + 1) * M; m++) {
      cached += c.point.cached[m];
      if (!c.point.cached[m]) offload += 1 - c.point.alpha[m];
    }
    rows.cachedCount[i] = cached;
    rows.offloadPortion[i] = cached < M ? offload / (M - cached) : Number.NaN;
  }
  return rows;
}
