/**
 * The decision variables of problem (6) for one realisation, in model units, one entry per UE.
 */
export interface Point {
  /** s_m: 1 when the task is cached at the edge server. */
  cached: Uint8Array;
  /** alpha_m in [0, 1]: portion computed locally. */
  alpha: Float64Array;
  /** b_m in (0, 1]: bandwidth share. */
  bandwidth: Float64Array;
  /** p_m in (0, Pmax] [W]. */
  powerW: Float64Array;
  /** f_ue_m, estimated UE CPU rate [GHz]. */
  fUeGHz: Float64Array;
  /** f_es_m, estimated ES CPU rate given to UE m [GHz]. */
  fEsGHz: Float64Array;
}

export function allocatePoint(M: number): Point {
  return {
    cached: new Uint8Array(M),
    alpha: new Float64Array(M),
    bandwidth: new Float64Array(M),
    powerW: new Float64Array(M),
    fUeGHz: new Float64Array(M),
    fEsGHz: new Float64Array(M),
  };
}

/** The fields of N points side by side, each [N * M], realisation-major: a Point of length N M. */
export type PointColumns = Point;

export const allocatePointColumns = (N: number, M: number): PointColumns => allocatePoint(N * M);

/**
 * N points whose arrays are views into `columns` (six allocations for the whole batch instead
 * of six per realisation: the batched engine's host side allocates per batch, not per point).
 */
export function pointViews(columns: PointColumns, N: number, M: number): Point[] {
  return Array.from({ length: N }, (_, n) => pointView(columns, n, M));
}

/** Point n of the columns, as views (no copy). */
export function pointView(columns: PointColumns, n: number, M: number): Point {
  const view = <T extends Uint8Array | Float64Array>(a: T): T => a.subarray(n * M, (n + 1) * M) as T;
  return {
    cached: view(columns.cached), alpha: view(columns.alpha), bandwidth: view(columns.bandwidth),
    powerW: view(columns.powerW), fUeGHz: view(columns.fUeGHz), fEsGHz: view(columns.fEsGHz),
  };
}

export function clonePoint(x: Point): Point {
  return {
    cached: x.cached.slice(),
    alpha: x.alpha.slice(),
    bandwidth: x.bandwidth.slice(),
    powerW: x.powerW.slice(),
    fUeGHz: x.fUeGHz.slice(),
    fEsGHz: x.fEsGHz.slice(),
  };
}

export function copyPointInto(from: Point, to: Point): void {
  to.cached.set(from.cached);
  to.alpha.set(from.alpha);
  to.bandwidth.set(from.bandwidth);
  to.powerW.set(from.powerW);
  to.fUeGHz.set(from.fUeGHz);
  to.fEsGHz.set(from.fEsGHz);
}

export function pointIsFinite(x: Point): boolean {
  for (const arr of [x.alpha, x.bandwidth, x.powerW, x.fUeGHz, x.fEsGHz]) {
    for (let m = 0; m < arr.length; m++) if (!Number.isFinite(arr[m])) return false;
  }
  return true;
}
