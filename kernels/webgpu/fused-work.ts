/**
 * What the fused GPU engine did besides solving, summed over its batches: the report of
 * `solve --batch` and of `dtmc run` on a GPU (no tfjs import here, so reports load without it).
 */
export interface FusedWorkCounts {
  dispatches: number;
  readBacks: number;
  /** Starts, or verdicts of infeasibility, found by phase one on the GPU. */
  phaseOneStarts: number;
  /** Starts left to the float64 start on the host. */
  hostStarts: number;
  /** Final checks re-done on the host in float64 (the float32 verdict lay near the tolerance). */
  hostRechecks: number;
}

const KEYS = ['dispatches', 'readBacks', 'phaseOneStarts', 'hostStarts', 'hostRechecks'] as const;

export const emptyFusedWork = (): FusedWorkCounts => ({ dispatches: 0, readBacks: 0, phaseOneStarts: 0, hostStarts: 0, hostRechecks: 0 });

/** Adds the counts of `from` (a FusedAoStats or another sum) into `into`. */
export function addFusedWork(into: FusedWorkCounts, from: FusedWorkCounts): void {
  for (const k of KEYS) into[k] += from[k];
}

export const formatFusedWork = (w: FusedWorkCounts): string =>
  `${w.dispatches} dispatches, ${w.readBacks} read-backs; starts by phase one on the GPU ${w.phaseOneStarts}, `
  + `on the host ${w.hostStarts}; final checks re-done on the host in float64 ${w.hostRechecks}`;
