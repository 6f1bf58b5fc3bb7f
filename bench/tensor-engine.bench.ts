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
 *
 * On webgpu the fused GPU engine (kernels/webgpu/fused-ao.ts) is timed first, end to end as a
 * job's chunk runs it: drawing on the GPU, Algorithm 1, the final check, the chunk's rows and its
 * Arrow file written to a temporary folder. Its line gives the host's own time per realisation
 * (main-thread time outside the waits on the device) and the dispatches and read-backs per batch.
 * --engines fused,tensor picks what runs on webgpu (default both).
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { parseAssignments, resolveSettings } from '../engine/settings.js';
import { toProblem, type Problem } from '../engine/problem.js';
import { generateScenario } from '../engine/scenario.js';
import { solveAo } from '../engine/ao/solve-ao.js';
import { useBackend, type BackendChoice } from '../kernels/backend.js';
import { solveAoBatch, type BatchTimings } from '../kernels/solve-ao-batch.js';
import type { SurrogateSolver } from '../kernels/webgpu/block-ipm.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyFusedAoStats, solveAoFused, type FusedAoColumns } from '../kernels/webgpu/fused-ao.js';
import { STATUS_CODES } from '../kernels/webgpu/fused-ao-layout.js';
import { chunkRowsFromFused } from '../jobs/fused-rows.js';
import { chunkTable, encodeTable, writePiecesAtomically } from '../output/chunk-file.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    sizes: { type: 'string', default: '256,1024,4096' },
    set: { type: 'string', multiple: true, default: [] },
    seed: { type: 'string', default: '1' },
    reference: { type: 'string', default: '300' },
    sp3: { type: 'string', default: 'auto' },
    engines: { type: 'string', default: 'fused,tensor' },
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
  const engines = (values.engines ?? '').split(',');
  if (info.name === 'webgpu' && engines.includes('fused')) await benchFused();
  if (info.name === 'webgpu' && !engines.includes('tensor')) continue;
  for (const surrogateSolver of (values.sp3 ?? 'auto').split(',') as SurrogateSolver[]) {
    if (surrogateSolver === 'fused' && info.name !== 'webgpu') continue;
    console.log(`  SP3 solver: ${surrogateSolver === 'auto' ? (info.name === 'webgpu' ? 'fused (auto)' : 'tfjs (auto)') : surrogateSolver}`);
    await solveAoBatch(draw(16, 2e6), { surrogateSolver }); // warm-up (kernel compilation)
    for (const size of (values.sizes ?? '').split(',').map(Number)) {
      const ps = draw(size);
      const timings: BatchTimings = { startMs: 0, sp1Ms: 0, sp2Ms: 0, sp3Ms: 0, bookkeepingMs: 0, finishMs: 0, sp3NewtonSteps: 0, jointMs: 0, jointNewtonSteps: 0 };
      const t0 = performance.now();
      const results = await solveAoBatch(ps, { timings, surrogateSolver });
      const s = (performance.now() - t0) / 1000;
      const converged = results.filter((r) => r.status === 'converged').length;
      const pct = (ms: number) => `${((100 * ms) / (1000 * s)).toFixed(0)}%`;
      console.log(`  batch ${String(size).padStart(7)}: ${(size / s).toFixed(1).padStart(9)} solves/s, ${s.toFixed(2)} s, ${converged}/${size} converged; `
        + `start ${pct(timings.startMs)}, SP1 ${pct(timings.sp1Ms)}, SP2 ${pct(timings.sp2Ms)}, SP3 ${pct(timings.sp3Ms)} (${timings.sp3NewtonSteps} Newton steps), `
        + `${settings.method === 'joint' ? `joint SCA ${pct(timings.jointMs)} (${timings.jointNewtonSteps} Newton steps), ` : ''}rest ${pct(timings.bookkeepingMs + timings.finishMs)}`);
    }
  }
}

/** The fused GPU engine end to end per batch size, with the host's share. */
async function benchFused(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dtmc-bench-'));
  try {
    console.log('  fused GPU engine (drawing, Algorithm 1, the final check on the GPU; rows and the Arrow file on the host)');
    await solveAoFused({ settings, seed, point: null, first: 3e6, count: 16 }); // warm-up (the programs' compilation)
    // Each size twice: the first batch pays the page faults of its new buffers, the second is a
    // job's steady state (its later chunks, which refill the columns of the one before).
    let reuse: FusedAoColumns | undefined;
    for (const size of (values.sizes ?? '').split(',').map(Number).flatMap((k) => [k, k])) {
      const stats = emptyFusedAoStats();
      const rss0 = process.memoryUsage().rss;
      // The host's own time: the solve's main-thread time outside its waits on the device
      // (stats.hostMs), the rows, the Arrow table and its IPC encoding; the write and the flush run
      // on libuv's threads and are awaited.
      // (The event loop's utilisation cannot tell: Dawn keeps the main thread ticking while it waits.)
      const t0 = performance.now();
      const columns = await solveAoFused({ settings, seed, point: null, first: 0, count: size }, { stats, reuse });
      const t1 = performance.now();
      const rows = chunkRowsFromFused({ point: 0, first: 0 }, columns);
      const meta = {
        job: JSON.stringify({ name: 'bench', seed, commonRandomNumbers: true }), jobHash: 'bench', engineVersion: 'bench', backend: 'webgpu', chunk: 'bench', settings: JSON.stringify(settings),
      };
      const pieces = await encodeTable(chunkTable(rows, meta));
      const t2 = performance.now();
      await writePiecesAtomically(join(dir, `chunk-${size}.arrow`), pieces);
      reuse = columns;
      const s = (performance.now() - t0) / 1000;
      const hostUs = ((stats.hostMs + t2 - t1) * 1000) / size;
      const converged = columns.status.filter((c) => STATUS_CODES[c] === 'converged').length;
      console.log(`  batch ${String(size).padStart(7)}: ${(size / s).toFixed(1).padStart(9)} solves/s, ${s.toFixed(2)} s, ${converged}/${size} converged; `
        + `host ${hostUs.toFixed(2)} us per realisation (drawing is on the GPU; solve ${((stats.hostMs * 1000) / size).toFixed(2)}, rows and Arrow encoding ${(((t2 - t1) * 1000) / size).toFixed(2)}; the file write ${((performance.now() - t2) / 1000).toFixed(2)} s off the main thread), `
        + `device wait ${((stats.waitMs * 1000) / size).toFixed(1)} us per realisation; ${stats.dispatches} dispatches, ${stats.readBacks} read-backs; `
        + `${stats.phaseOneStarts} starts by phase one on the GPU, ${stats.hostStarts} starts and ${stats.hostRechecks} checks on the host; RSS ${((process.memoryUsage().rss - rss0) / 2 ** 20).toFixed(0)} MiB more`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
