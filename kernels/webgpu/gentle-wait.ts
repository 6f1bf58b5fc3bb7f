/**
 * Waiting on the device without a busy loop.
 *
 * dawn.node (the `webgpu` package) completes a buffer map by polling the device from JavaScript:
 * while a map is pending it looks up the global `setImmediate` and schedules the next poll with
 * it, each turn of the event loop, so the main thread spins at 100% for as long as the program
 * runs. On a GPU host that is one core lost to a job's other work; on Mesa's lavapipe it is a
 * core the shader's own threads need (measured on the 2-core build machine: 614-727 fused AO
 * solves/s spinning, 859-978 with the polls below).
 *
 * `waitGently` runs a wait with `setImmediate` replaced by a 1 ms timer, so the device is polled
 * about a thousand times a second: a result arrives at most about 1 ms late, against seconds of
 * program. Anything else that calls setImmediate on this thread meanwhile runs about 1 ms later,
 * still in order. Nested waits restore the original when the outermost ends.
 */
const original = globalThis.setImmediate;
let depth = 0;

const POLL_MS = 1;

const timerImmediate = ((fn: (...args: unknown[]) => void, ...args: unknown[]) => setTimeout(fn, POLL_MS, ...args)) as unknown as typeof setImmediate;

export async function waitGently<T>(wait: () => Promise<T>): Promise<T> {
  if (depth++ === 0) globalThis.setImmediate = timerImmediate;
  try {
    return await wait();
  } finally {
    if (--depth === 0) globalThis.setImmediate = original;
  }
}
