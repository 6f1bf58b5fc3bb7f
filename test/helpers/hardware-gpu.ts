/**
 * Whether this host has a hardware GPU adapter, for the tests whose expectation depends on it
 * (what `auto` picks): they check the float64 choice on a host without one (a CPU host, or
 * Mesa's lavapipe) and say so when they skip it.
 */
import { classifyAdapter, findWebGpuAdapter } from '../../kernels/backend.js';

/** The hardware adapter's label, or null when the adapter found (if any) is a software one. */
export async function hardwareGpu(): Promise<string | null> {
  const { adapter } = await findWebGpuAdapter();
  if (!adapter) return null;
  const c = classifyAdapter(adapter);
  return c.kind === 'hardware' ? c.label : null;
}

/** Prints why a test's CPU-host check is skipped. */
export function skipOnGpu(test: string, label: string): void {
  console.log(`skipped "${test}": a hardware GPU adapter is present (${label}), so auto picks webgpu here`);
}
