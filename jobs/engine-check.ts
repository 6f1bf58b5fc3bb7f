/**
 * Checks, in the main thread before the pool starts, that a job's engine can start on this
 * machine (what is missing, by the engine table of kernels/engines.ts): otherwise every worker
 * would fail its chunks (exit 4, "chunks failed twice") where the truth is bad input (exit 2, with
 * the reason and what to install).
 */
import { fail } from '../engine/errors.js';
import { ENGINES, type EngineName } from '../kernels/engines.js';

/** Fails ('backend') when `engine` is missing something it needs here (webgpu: an adapter; tensorflow: its package). */
export async function checkEngineStarts(engine: EngineName): Promise<void> {
  const missing = await ENGINES[engine].missing();
  if (missing) fail('backend', `backend ${engine} cannot start on this machine: ${missing}`);
}
