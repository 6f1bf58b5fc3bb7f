/**
 * Writes a job output folder of synthetic but valid chunks quickly, to measure `dtmc aggregate`
 * at scale (docs/performance.md, "Aggregating 10^7 rows"): no solving, the rows drawn from a
 * seeded generator, written through the real writer (output/chunk-file.ts `chunkTable`, the
 * checksum file first: output/chunk-checksum.ts) with the manifest of output/job-folder.ts, so
 * that `dtmc verify` and `dtmc aggregate` read the folder as one `dtmc run` made.
 *
 *   node dist/bench/synthetic-job.js --rows 10000000 --out /tmp/agg-1e7 [--m 2] [--chunk 100000] [--seed 1]
 *
 * One sweep point (the job sweeps nothing) of `rows` realisations in chunks of `chunk`. Per row:
 * 94% converged, 4% max-iterations, 2% infeasible (J, latencies and rates NaN). A solved row's
 * latency per device is 0.3 + 0.2 e^Z ms (Z standard normal), J their sum, two AO iterations.
 */
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { JOB_FORMAT, jobChunks, parseJob, sweepPoints } from '../jobs/job-file.js';
import { DEVICE_COLUMNS, type ChunkRows, type DeviceColumn } from '../output/chunk-columns.js';
import { chunkTable } from '../output/chunk-file.js';
import { writeChunkFile } from '../output/chunk-checksum.js';
import { chunkPath, chunksDir, writeManifest } from '../output/job-folder.js';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    out: { type: 'string' },
    m: { type: 'string', default: '2' },
    chunk: { type: 'string', default: '100000' },
    seed: { type: 'string', default: '1' },
  },
});
const rows = Number(args.rows);
const M = Number(args.m);
const chunkSize = Math.min(Number(args.chunk), rows);
if (!args.out) throw new Error('--out DIR is required');
if (!(Number.isInteger(rows) && rows >= 1)) throw new Error(`--rows must be a positive integer, got ${args.rows}`);

/** xorshift128+ uniforms in (0, 1), and normals by Box-Muller. */
function generator(seed: number): { uniform(): number; normal(): number } {
  let s0 = BigInt(seed) * 0x9e3779b97f4a7c15n & 0xffffffffffffffffn || 1n;
  let s1 = 0x6a09e667f3bcc909n;
  const uniform = (): number => {
    let x = s0;
    const y = s1;
    s0 = y;
    x ^= (x << 23n) & 0xffffffffffffffffn;
    s1 = x ^ y ^ (x >> 17n) ^ (y >> 26n);
    return (Number((s1 + y) & 0xfffffffffffffn) + 0.5) / 2 ** 52;
  };
  return { uniform, normal: () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()) };
}

const job = parseJob({ name: 'synthetic', seed: Number(args.seed), realisations: rows, base: { M }, chunkSize, workers: 1 });
const [point] = sweepPoints(job);
const jobHash = JOB_FORMAT.hash(job);
mkdirSync(chunksDir(args.out), { recursive: true });
writeManifest(args.out, { job, jobHash, engineVersion: 'synthetic' });
const rng = generator(Number(args.seed));
const start = Date.now();
for (const c of jobChunks(job)) {
  const n = c.count;
  const device = Object.fromEntries(DEVICE_COLUMNS.map((d) => [d, new Float64Array(n * M)])) as Record<DeviceColumn, Float64Array>;
  const r: ChunkRows = {
    n, M, point: 0, realisation: new Uint32Array(n), status: new Array<string>(n), iterations: new Int32Array(n).fill(2),
    objectiveMs: new Float64Array(n), objectiveExactMs: new Float64Array(n), maxViolation: new Float64Array(n), offloadPortion: new Float64Array(n),
    cachedCount: new Int32Array(n), cached: new Uint8Array(n * M), device, traceOffsets: new Int32Array(n + 1), traceValues: new Float64Array(3 * n),
  };
  for (let i = 0; i < n; i++) {
    const u = rng.uniform();
    const status = u < 0.94 ? 'converged' : u < 0.98 ? 'max-iterations' : 'infeasible';
    r.realisation[i] = c.first + i;
    r.status[i] = status;
    let j = 0;
    let offload = 0;
    for (let m = i * M; m < (i + 1) * M; m++) {
      const alpha = rng.uniform();
      const latency = status === 'infeasible' ? Number.NaN : 0.3 + 0.2 * Math.exp(rng.normal());
      device.alpha[m] = alpha;
      device.bandwidth[m] = 1 / M;
      device.power_w[m] = 0.1;
      device.f_ue_ghz[m] = 1;
      device.f_es_ghz[m] = 10 / M;
      device.latency_ms[m] = latency;
      device.energy_mj[m] = status === 'infeasible' ? Number.NaN : 0.5 * latency;
      device.rate_mbps[m] = status === 'infeasible' ? Number.NaN : 20;
      j += latency;
      offload += 1 - alpha;
    }
    r.objectiveMs[i] = j;
    r.objectiveExactMs[i] = j;
    r.maxViolation[i] = status === 'infeasible' ? Number.NaN : 0;
    r.offloadPortion[i] = offload / M;
    r.traceValues.set([1.2 * j, 1.05 * j, j], 3 * i);
    r.traceOffsets[i + 1] = 3 * (i + 1);
  }
  const meta = { job: JSON.stringify(job), jobHash, engineVersion: 'synthetic', backend: 'synthetic', chunk: c.id, settings: JSON.stringify(point.settings) };
  await writeChunkFile(chunkPath(args.out, c.id), chunkTable(r, meta));
}
process.stdout.write(`${args.out}: ${rows} rows, M = ${M}, ${jobChunks(job).length} chunk(s) in ${((Date.now() - start) / 1000).toFixed(1)} s\n`);
