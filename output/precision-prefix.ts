/**
 * Which chunks of each sweep point are its results under a precision target: the points decided
 * together (groups), the measures of a group's chunk, and a tracker that reads a folder's chunks
 * in order and applies the stopping rule (output/precision.ts `stoppingPrefix`). `dtmc run`
 * (jobs/run-job.ts) asks it before starting a chunk and after writing one; `dtmc aggregate` and
 * `dtmc verify` ask it which chunks to read (`folderPrefixes`).
 *
 * Groups: without `vsAoHalfWidthMs` each point is decided alone, on the mean J of its solved
 * rows. With it (the job sweeps `method` with ao), the points that differ only in `method` are
 * decided together, on the same chunks: the measures are each point's mean J (bounded by
 * `halfWidthMs` / `relative` if given) and each other method's mean paired difference J - J(ao)
 * over the realisations solved at both (bounded by `vsAoHalfWidthMs`). Their chunk k holds the
 * same realisations, so the pairing of output/aggregate.ts sees whole pairs.
 *
 * The measures come from the chunk files themselves, no sidecar file: a chunk counts once its file
 * passes readChunkFile's checks (checksum, layout, values), as for aggregate. The cost is one more
 * read of a chunk: run reads back each chunk it wrote, aggregate and verify read the prefixes
 * before their own pass (for a precision job only).
 */
import { existsSync } from 'node:fs';
import type { Table } from 'apache-arrow';
import { isSolved } from '../engine/ao/solve-ao.js';
import { readChunkFile } from './chunk-file.js';
import { ChunkReadBuffer } from './chunk-checksum.js';
import { chunkPath, type FolderPoint, type JobFolder } from './job-folder.js';
import { momentsOf, stoppingPrefix, type MeasureTarget, type Moments, type PrecisionTarget, type PrefixDecision, type Reached } from './precision.js';

/** The key pairing a point with the AO point of the same values (keys sorted: a linked group may list them in any order). */
export const aoPairingKey = (values: Record<string, number | string>): string =>
  JSON.stringify(Object.entries({ ...values, method: 'ao' }).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** Points decided together, and the measures of their chunks. */
export interface PrecisionGroup {
  /** Point indices; with a vs-AO target the AO point first. */
  points: number[];
  /** Per point (same order): the index of its mean-J measure and of its vs-AO measure (-1: none). */
  objectiveMeasure: number[];
  vsAoMeasure: number[];
  targets: MeasureTarget[];
}

/** The groups of a job's points under `target`, in order of their first point. */
export function precisionGroups(points: readonly FolderPoint[], target: PrecisionTarget): PrecisionGroup[] {
  const own: MeasureTarget = {
    ...(target.halfWidthMs !== undefined ? { halfWidthMs: target.halfWidthMs } : {}),
    ...(target.relative !== undefined ? { relative: target.relative } : {}),
  };
  const members = new Map<string, number[]>();
  for (const p of points) {
    const key = target.vsAoHalfWidthMs !== undefined ? aoPairingKey(p.values) : String(p.index);
    members.set(key, [...(members.get(key) ?? []), p.index]);
  }
  return [...members.values()].map((list) => {
    const ao = target.vsAoHalfWidthMs !== undefined ? list.filter((i) => points[i].values.method === 'ao') : [];
    const ordered = [...ao, ...list.filter((i) => !ao.includes(i))];
    const targets: MeasureTarget[] = ordered.map(() => own);
    const vsAoMeasure = ordered.map((i) => (ao.length && i !== ao[0] ? targets.push({ halfWidthMs: target.vsAoHalfWidthMs }) - 1 : -1));
    return { points: ordered, objectiveMeasure: ordered.map((_, i) => i), vsAoMeasure, targets };
  });
}

/** J (objective_ms) of each row of a chunk table, NaN where the row is not solved. */
export function chunkObjectives(table: Table): Float64Array {
  const status = table.getChild('status')!;
  const j = table.getChild('objective_ms')!;
  const out = new Float64Array(table.numRows);
  for (let r = 0; r < out.length; r++) out[r] = isSolved(status.get(r) as string) ? (j.get(r) as number) : Number.NaN;
  return out;
}

/** The moments of a group's measures over one chunk, from each member's objectives (group order). */
export function groupChunkMoments(group: PrecisionGroup, objectives: readonly Float64Array[]): Moments[] {
  const out: Moments[] = new Array(group.targets.length);
  group.points.forEach((_, i) => {
    out[group.objectiveMeasure[i]] = momentsOf(objectives[i]);
    if (group.vsAoMeasure[i] < 0) return;
    const mine = objectives[i];
    const ao = objectives[0];
    out[group.vsAoMeasure[i]] = momentsOf(mine.map((x, r) => x - ao[r])); // NaN where either is unsolved
  });
  return out;
}

/** Reads chunk k of a point: its objectives, or null when it is not there as a valid complete chunk. */
export type ChunkObjectivesReader = (point: number, k: number) => Float64Array | null;

/** What a point's results are under the target. */
export interface PointPrefix {
  decision: PrefixDecision;
  /** Its mean J and (with a vs-AO target, not at the AO) its paired difference to the AO. */
  objective: Reached;
  vsAo: Reached | null;
}

/**
 * The stopping rule over a job's groups, fed by reading chunks: each group's chunks are read in
 * order from its complete prefix on, while they are there, and each is read once (its measures
 * kept; a member's objectives kept only until the group's chunk is complete).
 */
export class PrecisionTracker {
  readonly groups: PrecisionGroup[];
  private readonly groupOf: number[];
  private readonly moments: (Moments[] | null)[][];
  private readonly decisions: PrefixDecision[];
  private readonly pending = new Map<string, Float64Array>();

  constructor(points: readonly FolderPoint[], chunksPerPoint: number, target: PrecisionTarget, private readonly read: ChunkObjectivesReader) {
    this.groups = precisionGroups(points, target);
    this.groupOf = new Array<number>(points.length);
    this.groups.forEach((g, gi) => g.points.forEach((p) => (this.groupOf[p] = gi)));
    this.moments = this.groups.map(() => new Array<Moments[] | null>(chunksPerPoint).fill(null));
    this.decisions = this.groups.map((g, gi) => stoppingPrefix(this.moments[gi], g.targets));
  }

  /** Reads the point's group's chunks after its complete prefix while they are there; its decision. */
  settle(point: number): PrefixDecision {
    const gi = this.groupOf[point];
    const group = this.groups[gi];
    const moments = this.moments[gi];
    let decision = this.decisions[gi];
    for (let k = decision.chunks; !decision.decided && k < moments.length; k++) {
      const objectives: Float64Array[] = [];
      for (const p of group.points) {
        const key = `${p}:${k}`;
        const values = this.pending.get(key) ?? this.read(p, k);
        if (!values) break;
        this.pending.set(key, values);
        objectives.push(values);
      }
      if (objectives.length < group.points.length) break;
      for (const p of group.points) this.pending.delete(`${p}:${k}`);
      moments[k] = groupChunkMoments(group, objectives);
      decision = stoppingPrefix(moments, group.targets, decision);
    }
    this.decisions[gi] = decision;
    return decision;
  }

  /** The points decided with this one (its group, itself included). */
  groupPoints(point: number): readonly number[] {
    return this.groups[this.groupOf[point]].points;
  }

  /** Whether chunk k of the point lies past its decided prefix (after settling): never needed. */
  unneeded(point: number, k: number): boolean {
    const d = this.settle(point);
    return d.decided && k >= d.chunks;
  }

  /** The point's results as far as settled. */
  pointPrefix(point: number): PointPrefix {
    const group = this.groups[this.groupOf[point]];
    const i = group.points.indexOf(point);
    const decision = this.decisions[this.groupOf[point]];
    const vs = group.vsAoMeasure[i];
    return { decision, objective: decision.reached[group.objectiveMeasure[i]], vsAo: vs < 0 ? null : decision.reached[vs] };
  }
}

/** The reader of a folder's chunk files: a chunk counts when its file passes readChunkFile's checks. */
export function folderReader(folder: JobFolder, chunksPerPoint: number): ChunkObjectivesReader {
  const { dir, chunks } = folder;
  const { jobHash } = folder.manifest;
  const buffer = new ChunkReadBuffer(); // the objectives are copied out of each chunk
  return (point, k) => {
    const c = chunks[point * chunksPerPoint + k];
    const path = chunkPath(dir, c.id);
    if (!existsSync(path)) return null;
    const { table } = readChunkFile(path, { jobHash, chunk: c.id, point: c.point, first: c.first, count: c.count }, buffer);
    return table ? chunkObjectives(table) : null;
  };
}

/** Chunks per point of a job (they are numbered point by point, each point the same count). */
export const chunksPerPoint = (folder: JobFolder): number => folder.chunks.length / folder.points.length;

/**
 * Each point's results in an opened folder under its job's precision target (null without one):
 * the stopping prefix found by reading the folder's chunks in order.
 */
export function folderPrefixes(folder: JobFolder): PointPrefix[] | null {
  const target = folder.manifest.job.precision;
  if (!target) return null;
  const perPoint = chunksPerPoint(folder);
  const tracker = new PrecisionTracker(folder.points, perPoint, target, folderReader(folder, perPoint));
  return folder.points.map((p) => {
    tracker.settle(p.index);
    return tracker.pointPrefix(p.index);
  });
}

/** A point's precision in the summary: the targets (NaN where not asked), what its prefix reached, and whether it met them. */
export interface PointPrecision {
  targetHalfWidthMs: number;
  targetRelative: number;
  targetVsAoHalfWidthMs: number;
  /** 95% CI half-width of mean J over the prefix's solved rows (Student t), ms, and over |mean J|. */
  halfWidthMs: number;
  relative: number;
  /** The same of the mean paired difference to the AO (NaN without a vs-AO target, and at the AO). */
  vsAoHalfWidthMs: number;
  /** Whether the prefix met every target of the point's group (false while undecided, or at the cap). */
  met: boolean;
}

export function pointPrecision(prefix: PointPrefix, target: PrecisionTarget): PointPrecision {
  return {
    targetHalfWidthMs: target.halfWidthMs ?? Number.NaN,
    targetRelative: target.relative ?? Number.NaN,
    targetVsAoHalfWidthMs: target.vsAoHalfWidthMs ?? Number.NaN,
    halfWidthMs: prefix.objective.halfWidthMs,
    relative: prefix.objective.relative,
    vsAoHalfWidthMs: prefix.vsAo?.halfWidthMs ?? Number.NaN,
    met: prefix.decision.met,
  };
}
