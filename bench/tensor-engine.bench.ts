/**
 * Full AO solves per second of the batched tensor engine at the paper's defaults (or --set
 * overrides), per backend and batch size, beside the float64 reference path on one core, with
 * where the time goes (start, SP1, SP2, SP3, the joint SCA with --set method=joint, bookkeeping).
 *
 *   npm run bench:tensor -- [--backend wasm,cpu,webgpu] [--sizes 256,1024,4096] [--sp3 auto,tfjs]
 *                           [--reference 300] [--set NAME=VALUE ...]
 *
 * --sp3 lists the SP3 solvers to time on each backend: auto (fused WGSL on webgpu, tfjs ops
 * elsewhere), tfjs, fused (webgpu only).
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { parseAssignments, resolveSettings } from '../engine/settings.js';
import { toProblem, type Problem } from '../engine/problem.js';
import { generateScenario } from '../engine/scenario.js';
import { solveAo } from '../engine/ao/solve-ao.js';
import { useBackend, type BackendChoice } from '../kernels/backend.js';
import { solveAoBatch, type BatchTimings } from '../kernels/solve-ao-batch.js';
import type { Sp3Solver } from '../kernels/sp3-resources.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    sizes: { type: 'string', default: '256,1024,4096' },
    set: { type: 'string', multiple: true, default: [] },
    seed: { type: 'string', default: '1' },
    reference: { type: 'string', default: '300' },
    sp3: { type: 'string', default: 'auto' },
  },
});
const settings = resolveSettings(parseAssignments(values.set ?? []));
const seed = Number(values.seed);
const draw = (count: number, offset = 0): Problem[] =>
  Array.from({ length: count }, (_, r) => toProblem(generateScenario(settings, { seed, point: null, realisation: offset + r }), settings));

console.log(`tensor engine benchmark (${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}), M = ${settings.M}${values.set?.length ? `, ${values.set.join(', ')}` : ''}`);

// The float64 reference path on one core, for comparison.
const refCount = Number(values.reference);
if (refCount > 0) {
  const ps = draw(refCount);
  for (const p of draw(50, 1e6)) solveAo(p); // warm-up
  const t0 = performance.now();
  for (const p of ps) solveAo(p);
  const s = (performance.now() - t0) / 1000;
  console.log(`float64 reference, one core: ${(refCount / s).toFixed(0)} solves/s (${(1000 * s / refCount).toFixed(3)} ms per solve, ${refCount} realisations)`);
}

for (const backend of (values.backend ?? 'wasm').split(',') as BackendChoice[]) {
  const info = await useBackend(backend);
  console.log(`backend ${info.detail}`);
  for (const sp3Solver of (values.sp3 ?? 'auto').split(',') as Sp3Solver[]) {
    if (sp3Solver === 'fused' && info.name !== 'webgpu') continue;
    console.log(`  SP3 solver: ${sp3Solver === 'auto' ? (info.name === 'webgpu' ? 'fused (auto)' : 'tfjs (auto)') : sp3Solver}`);
    await solveAoBatch(draw(16, 2e6), { sp3Solver }); // warm-up (kernel compilation)
    for (const size of (values.sizes ?? '').split(',').map(Number)) {
      const ps = draw(size);
      const timings: BatchTimings = { startMs: 0, sp1Ms: 0, sp2Ms: 0, sp3Ms: 0, bookkeepingMs: 0, finishMs: 0, sp3NewtonSteps: 0, jointMs: 0, jointNewtonSteps: 0 };
      const t0 = performance.now();
      const results = await solveAoBatch(ps, { timings, sp3Solver });
      const s = (performance.now() - t0) / 1000;
      const converged = results.filter((r) => r.status === 'converged').length;
      const pct = (ms: number) => `${((100 * ms) / (1000 * s)).toFixed(0)}%`;
      console.log(`  batch ${String(size).padStart(7)}: ${(size / s).toFixed(1).padStart(9)} solves/s, ${s.toFixed(2)} s, ${converged}/${size} converged; `
        + `start ${pct(timings.startMs)}, SP1 ${pct(timings.sp1Ms)}, SP2 ${pct(timings.sp2Ms)}, SP3 ${pct(timings.sp3Ms)} (${timings.sp3NewtonSteps} Newton steps), `
        + `${settings.method === 'joint' ? `joint SCA ${pct(timings.jointMs)} (${timings.jointNewtonSteps} Newton steps), ` : ''}rest ${pct(timings.bookkeepingMs + timings.finishMs)}`);
    }
  }
}
