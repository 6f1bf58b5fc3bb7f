/**
 * The Piscina worker of `dtmc run`: solves one chunk and writes its Arrow file with its checksum
 * file (each through a temporary name), so results never travel back through the main thread.
 *
 * runJob's `worker` option replaces this module with another that takes a WorkerTask and returns
 * a WorkerResult: the tests' test/helpers/fault-worker.ts wraps `solveAndWriteChunk` to inject a
 * worker crash or a full disk.
 *
 * A chunk file that cannot be written (full disk, read-only folder, a directory in its place)
 * comes back as `writeError`, not as a thrown error: Piscina would deliver that like a crash, and
 * a crash is retried, where a write error is the folder's to fix and solving again cannot help.
 */
import { DtmcError } from '../engine/errors.js';
import type { WriteCalls } from '../output/atomic-file.js';
import { chunkTable, type ChunkMeta } from '../output/chunk-file.js';
import { writeChunkFile } from '../output/chunk-checksum.js';
import { solveChunk, type ChunkTask } from './solve-chunk.js';
import type { FusedWorkCounts } from '../kernels/webgpu/fused-work.js';
import type { FusedAoColumns } from '../kernels/webgpu/fused-ao.js';

export interface WorkerTask {
  task: ChunkTask;
  chunkId: string;
  attempt: number;
  /** The chunk file to write. */
  path: string;
  meta: Omit<ChunkMeta, 'backend' | 'settings'>;
}

export interface WorkerResult {
  rows: number;
  backend: string;
  statuses: Record<string, number>;
  /** The fused GPU engine's work for this chunk (dispatches, where starts and checks ran). */
  gpu?: FusedWorkCounts;
  /** Set when the chunk was solved but its file could not be written: the named error's message. */
  writeError?: string;
}

/** The fused GPU engine's columns of this worker's last written chunk (one task at a time per worker). */
let spare: FusedAoColumns | undefined;

/** The pool's task: solve one chunk and write its file. */
export default function runChunk(w: WorkerTask): Promise<WorkerResult> {
  return solveAndWriteChunk(w);
}

/**
 * Solves the chunk and writes its file with its checksum; `calls`: the file system calls the
 * chunk file is written through (output/atomic-file.ts; a test's full disk), Node's by default.
 */
export async function solveAndWriteChunk(w: WorkerTask, calls?: WriteCalls): Promise<WorkerResult> {
  const { rows, backend, gpu, columns } = await solveChunk(w.task, spare);
  spare = undefined;
  try {
    await writeChunkFile(w.path, chunkTable(rows, { ...w.meta, backend, settings: JSON.stringify(w.task.settings) }), calls);
  } catch (e) {
    if (e instanceof DtmcError && e.code === 'io') return { rows: 0, backend, statuses: {}, writeError: e.message };
    throw e;
  }
  spare = columns; // written: the next chunk may refill them
  const statuses: Record<string, number> = {};
  for (const s of rows.status) statuses[s] = (statuses[s] ?? 0) + 1;
  return { rows: rows.n, backend, statuses, ...(gpu ? { gpu } : {}) };
}
