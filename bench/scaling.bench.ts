/**
 * How the cost of one realisation grows with the number of devices M: per M, solves/s and us
 * per realisation, AO iterations, SP3 calls and Newton steps per solve, and the time per Newton
 * step and per Newton step and device (the Newton system is block-diagonal plus a rank-2
 * coupling, so one step should cost O(M)).
 *
 *   npm run bench:scaling -- [--m 5,15,30,50,100] [--count 1000 | --count 1000,800,500,300,100 | --seconds 10]
 *                            [--engine float64 | --engine tensor --backend webgpu|wasm|cpu --batch 256 | --engine fused --batch 256]
 *                            [--bandwidth scaled|fixed] [--warmup 200] [--seed 1] [--set NAME=VALUE ...]
 *
 * Scaling rule (M0 = 15, the default M; base values from the defaults or --set):
 *   Smax      = Smax0 x M / M0                 (the cache holds the same share of the tasks)
 *   bandwidth = B0 x max(1, M / M0)            (--bandwidth scaled, the default: the bandwidth
 *                                               per device of M0 is kept for M > M0), or B0 (fixed)
 * At B0 = 5 MHz the smallest bandwidth shares that give every UE Rmin at Pmax sum to about
 * 0.011 M on average with little spread, so the bandwidth test proves none of 500 realisations
 * (seed 1) infeasible at M = 85, a third at M = 90 and all from M = 95. The bench prints that
 * share at B0 beside the status mix of the run.
 *
 * Engines are one table (ENGINES): float64 (the reference path, one realisation at a time),
 * tensor (the batched tfjs engine on --backend) and fused (the fused GPU engine, webgpu). Each
 * takes the drawn realisations of one M as columns and returns one outcome per row. An engine that counts Newton steps per row gives them per solve; a batched
 * engine that only counts its lockstep steps (the slowest row of each SP3 call) gives those.
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { DEFAULT_SETTINGS, parseAssignments, resolveSettings, type Settings } from '../engine/settings.js';
import { drawProblemColumns, problemViews, type ProblemColumns } from '../engine/scenario-batch.js';
import { solveAo } from '../engine/ao/solve-ao.js';
import { smallestBandwidth } from '../engine/ao/feasible-start.js';
import { useBackend, type BackendChoice } from '../kernels/backend.js';
import { solveAoBatch, type BatchTimings } from '../kernels/solve-ao-batch.js';
import { solveAoFused } from '../kernels/webgpu/fused-ao.js';
import { STATUS_CODES } from '../kernels/webgpu/fused-ao-layout.js';

/** One realisation's outcome, as every engine reports it. */
interface RowOutcome {
  status: string;
  /** AO iterations (plus joint SCA steps with method joint). */
  iterations: number;
  sp3Calls: number;
  /** Newton steps of this row's SP3 calls and joint steps; null where the engine counts per batch only. */
  sp3NewtonSteps: number | null;
  jointNewtonSteps: number | null;
}

/** What one call of an engine returns. */
interface EngineRun {
  rows: RowOutcome[];
  /** Batched engines without per-row counts: lockstep Newton steps of the call (SP3, joint). */
  batchSp3NewtonSteps?: number;
  batchJointNewtonSteps?: number;
}

interface Engine {
  /** Starts what the engine needs (a tfjs backend) and returns a line that names it. */
  prepare(): Promise<string>;
  /** Realisations per call: 1 for a per-realisation engine, the batch size for a batched one. */
  chunk: number;
  /** Whether the work runs on this process's one thread (then CPU time per realisation is meaningful). */
  oneCore: boolean;
  /** Solves the realisations of one draw (columns; problemViews gives them as Problem objects). */
  solve(problems: ProblemColumns): Promise<EngineRun>;
}

const { values } = parseArgs({
  options: {
    m: { type: 'string', default: '5,15,30,50,100' },
    engine: { type: 'string', default: 'float64' },
    backend: { type: 'string', default: 'webgpu' },
    batch: { type: 'string', default: '256' },
    count: { type: 'string' },
    seconds: { type: 'string' },
    warmup: { type: 'string' },
    bandwidth: { type: 'string', default: 'scaled' },
    seed: { type: 'string', default: '1' },
    set: { type: 'string', multiple: true, default: [] },
  },
});

const bad = (option: string, must: string): never => {
  console.error(`--${option} ${must}`);
  process.exit(2);
};
const positiveInts = (option: string, text: string): number[] => {
  const xs = text.split(',').map((t) => Number(t.trim()));
  if (!xs.every((x) => Number.isInteger(x) && x > 0)) bad(option, `must be a positive integer or a comma list of them, got "${text}"`);
  return xs;
};
const Ms = positiveInts('m', values.m ?? '');
const batchSize = positiveInts('batch', values.batch ?? '256')[0];
const seed = Number(values.seed);
if (values.count !== undefined && values.seconds !== undefined) bad('count', 'and --seconds exclude each other');
const counts = values.count !== undefined ? positiveInts('count', values.count) : null;
if (counts && counts.length !== 1 && counts.length !== Ms.length) bad('count', `must be one number or one per M (${Ms.length})`);
const seconds = values.seconds !== undefined ? Number(values.seconds) : counts ? 0 : 10;
if (!(seconds >= 0)) bad('seconds', 'must be a non-negative number');
if (values.bandwidth !== 'scaled' && values.bandwidth !== 'fixed') bad('bandwidth', 'must be scaled or fixed');
const overrides = parseAssignments(values.set ?? []);
if ('M' in overrides) bad('set', 'M: give the device counts with --m');
const base = resolveSettings(overrides);

/** The scaling rule of the header. */
const M0 = DEFAULT_SETTINGS.M;
const settingsAt = (M: number, bandwidth: 'scaled' | 'fixed'): Settings => resolveSettings({
  ...overrides, M, sMaxKbit: (base.sMaxKbit * M) / M0,
  bandwidthMHz: bandwidth === 'scaled' ? base.bandwidthMHz * Math.max(1, M / M0) : base.bandwidthMHz,
});
const draw = (settings: Settings, drawSeed: number, first: number, count: number): ProblemColumns =>
  drawProblemColumns(settings, drawSeed, null, first, count);

// The engines. A new one is one more entry: prepare, chunk, solve.
const ENGINES: Record<string, () => Engine> = {
  float64: () => ({
    prepare: async () => `float64 reference path (engine/ao/solve-ao.ts), one core`,
    chunk: 1,
    oneCore: true,
    solve: async (problems) => ({
      rows: problemViews(problems).map((p) => {
        const r = solveAo(p);
        return { status: r.status, iterations: r.iterations, sp3Calls: r.sp3.calls, sp3NewtonSteps: r.sp3.newtonSteps, jointNewtonSteps: r.joint?.newtonSteps ?? 0 };
      }),
    }),
  }),
  tensor: () => ({
    prepare: async () => `tensor engine (kernels/solve-ao-batch.ts), batch ${batchSize}, ${(await useBackend(values.backend as BackendChoice)).detail}`,
    chunk: batchSize,
    oneCore: false,
    solve: async (problems) => {
      const timings: BatchTimings = { startMs: 0, sp1Ms: 0, sp2Ms: 0, sp3Ms: 0, bookkeepingMs: 0, finishMs: 0, sp3NewtonSteps: 0, jointMs: 0, jointNewtonSteps: 0 };
      const results = await solveAoBatch(problemViews(problems), { timings });
      return {
        rows: results.map((r) => ({ status: r.status, iterations: r.iterations, sp3Calls: r.sp3Calls, sp3NewtonSteps: null, jointNewtonSteps: null })),
        batchSp3NewtonSteps: timings.sp3NewtonSteps,
        batchJointNewtonSteps: timings.jointNewtonSteps,
      };
    },
  }),
  fused: () => ({
    prepare: async () => `fused GPU engine (kernels/webgpu/fused-ao.ts), batch ${batchSize}, ${(await useBackend('webgpu')).detail}`,
    chunk: batchSize,
    oneCore: false,
    solve: async (problems) => {
      const c = await solveAoFused(problems);
      return {
        rows: Array.from({ length: c.n }, (_, i) => ({
          status: STATUS_CODES[c.status[i]], iterations: c.iterations[i], sp3Calls: c.sp3Calls[i], sp3NewtonSteps: c.newtonSteps[i], jointNewtonSteps: 0,
        })),
      };
    },
  }),
};

const makeEngine = ENGINES[values.engine ?? ''] ?? bad('engine', `must be one of ${Object.keys(ENGINES).join(', ')}`);
const engine = makeEngine();
const joint = base.method === 'joint';

/**
 * The bandwidth test at the unscaled bandwidth B0: the share of realisations whose smallest
 * shares b_m with R~(b_m, Pmax) >= Rmin sum to more than 1 (infeasible, proven), and the mean sum.
 */
function bandwidthTest(settings: Settings, count: number): { infeasible: number; meanShares: number } {
  let infeasible = 0;
  let shares = 0;
  for (const p of problemViews(draw(settings, seed, 0, count))) {
    let sum = 0;
    for (let m = 0; m < p.cPerW.length; m++) sum += smallestBandwidth(p, m).bandwidth;
    if (sum > 1) infeasible++;
    shares += Number.isFinite(sum) ? sum : 0;
  }
  return { infeasible: infeasible / count, meanShares: shares / count };
}

interface Row {
  M: number; bandwidthMHz: number; sMaxKbit: number; realisations: number; wallS: number; cpuS: number;
  iterations: number; sp3Calls: number; sp3Steps: number; jointSteps: number; perRowSteps: boolean; calls: number;
  statuses: Record<string, number>; b0Infeasible: number; b0Shares: number; runShares: number;
}

console.log(`scaling benchmark (${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}), seed ${seed}`);
console.log(await engine.prepare());
console.log(`rule: Smax = ${base.sMaxKbit} kbit x M/${M0}, bandwidth = ${values.bandwidth === 'scaled' ? `${base.bandwidthMHz} MHz x max(1, M/${M0})` : `${base.bandwidthMHz} MHz`}`
  + `${values.set?.length ? `; --set ${values.set.join(', ')}` : ''}; ${counts ? `count ${counts.join(',')} per M` : `${seconds} s per M`}`);

const rows: Row[] = [];
for (const [k, M] of Ms.entries()) {
  const settings = settingsAt(M, values.bandwidth as 'scaled' | 'fixed');
  const target = counts ? counts[counts.length === 1 ? 0 : k] : Infinity;
  const chunk = Math.min(engine.chunk > 1 ? engine.chunk : 64, target);

  // Warm-up on other realisations (seed + 1): the JIT, or the kernels for this M and batch size.
  const warmup = Number(values.warmup ?? (engine.chunk > 1 ? engine.chunk : 200));
  if (warmup > 0) await engine.solve(draw(settings, seed + 1, 0, warmup));

  const row: Row = {
    M, bandwidthMHz: settings.bandwidthMHz, sMaxKbit: settings.sMaxKbit, realisations: 0, wallS: 0, cpuS: 0,
    iterations: 0, sp3Calls: 0, sp3Steps: 0, jointSteps: 0, perRowSteps: true, calls: 0, statuses: {},
    b0Infeasible: 0, b0Shares: 0, runShares: 0,
  };
  // Solve chunk after chunk until the count or the time budget is reached; only solving is timed.
  while (row.realisations < target && (counts || row.wallS < seconds)) {
    const n = Math.min(chunk, target - row.realisations);
    const problems = draw(settings, seed, row.realisations, n);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const run = await engine.solve(problems);
    row.wallS += (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    row.cpuS += (cpu.user + cpu.system) / 1e6;
    row.calls++;
    row.realisations += n;
    for (const r of run.rows) {
      row.statuses[r.status] = (row.statuses[r.status] ?? 0) + 1;
      row.iterations += r.iterations;
      row.sp3Calls += r.sp3Calls;
      if (r.sp3NewtonSteps === null) row.perRowSteps = false;
      row.sp3Steps += r.sp3NewtonSteps ?? 0;
      row.jointSteps += r.jointNewtonSteps ?? 0;
    }
    if (!row.perRowSteps) {
      row.sp3Steps += run.batchSp3NewtonSteps ?? 0;
      row.jointSteps += run.batchJointNewtonSteps ?? 0;
    }
  }
  const testCount = Math.min(row.realisations, 500);
  const atB0 = bandwidthTest(settingsAt(M, 'fixed'), testCount);
  row.b0Infeasible = atB0.infeasible;
  row.b0Shares = atB0.meanShares;
  row.runShares = values.bandwidth === 'fixed' ? atB0.meanShares : bandwidthTest(settings, testCount).meanShares;
  rows.push(row);
  console.log(`M = ${M}: ${row.realisations} realisations in ${row.wallS.toFixed(2)} s, ${JSON.stringify(row.statuses)}`);
}

// The table (markdown). With per-row counts the steps are per realisation; with lockstep counts
// they are per batch call, and a lockstep step advances every row of the batch.
const f = (x: number, d: number): string => (Number.isFinite(x) ? x.toFixed(d) : '-');
const pct = (x: number): string => `${(100 * x).toFixed(x > 0 && x < 0.01 ? 1 : 0)}%`;
const perRow = rows.every((r) => r.perRowSteps);
const usPerRealisation = (r: Row): number => (1e6 * r.wallS) / r.realisations;
/** Newton steps (SP3 and joint) per realisation, or lockstep steps per batch call. */
const steps = (r: Row): number => (r.sp3Steps + r.jointSteps) / (perRow ? r.realisations : r.calls);
/** Per step: process CPU time on a one-core engine (steadier than the wall clock on a shared machine), else wall clock. */
const stepS = (r: Row): number => (engine.oneCore ? r.cpuS : r.wallS);
const usPerStep = (r: Row): number => (1e6 * stepS(r)) / (perRow ? r.realisations : r.calls) / steps(r);
const rowsPerStep = (r: Row): number => (perRow ? 1 : r.realisations / r.calls);
const columns: [string, (r: Row) => string][] = [
  ['M', (r) => String(r.M)],
  ['B [MHz]', (r) => f(r.bandwidthMHz, 2)],
  ['Smax [kbit]', (r) => f(r.sMaxKbit, 0)],
  ['sum of min shares', (r) => f(r.runShares, 3)],
  [`infeasible at ${base.bandwidthMHz} MHz`, (r) => pct(r.b0Infeasible)],
  ['realisations', (r) => String(r.realisations)],
  ['solves/s', (r) => f(r.realisations / r.wallS, 0)],
  ['us per realisation', (r) => f(usPerRealisation(r), 0)],
  ...(engine.oneCore ? [['CPU us per realisation', (r: Row) => f((1e6 * r.cpuS) / r.realisations, 0)] as [string, (r: Row) => string]] : []),
  ['AO iterations per solve', (r) => f(r.iterations / r.realisations, 2)],
  ['SP3 calls per solve', (r) => f(r.sp3Calls / r.realisations, 2)],
  [perRow ? 'SP3 Newton steps per solve' : 'SP3 lockstep steps per batch', (r) => f(r.sp3Steps / (perRow ? r.realisations : r.calls), 1)],
  ...(perRow ? [['steps per SP3 call', (r: Row) => f(r.sp3Steps / r.sp3Calls, 1)] as [string, (r: Row) => string]] : []),
  ...(joint ? [['joint Newton steps', (r: Row) => f(r.jointSteps / (perRow ? r.realisations : r.calls), 1)] as [string, (r: Row) => string]] : []),
  [engine.oneCore ? 'CPU us per step' : 'us per step', (r) => f(usPerStep(r), 2)],
  [`${engine.oneCore ? 'CPU ' : ''}ns per step${perRow ? ' and device' : ', row and device'}`, (r) => f((1000 * usPerStep(r)) / (r.M * rowsPerStep(r)), 0)],
  ['statuses', (r) => Object.entries(r.statuses).map(([s, c]) => `${s} ${pct(c / r.realisations)}`).join(', ')],
];
console.log('');
console.log(`| ${columns.map(([name]) => name).join(' | ')} |`);
console.log(`|${' --- |'.repeat(columns.length)}`);
for (const r of rows) console.log(`| ${columns.map(([, cell]) => cell(r)).join(' | ')} |`);
console.log('');
console.log('sum of min shares: mean over the realisations of the sum of the smallest bandwidth shares that give every UE Rmin at Pmax, at this run\'s bandwidth;'
  + ` infeasible at ${base.bandwidthMHz} MHz: the share of realisations whose sum exceeds 1 at the unscaled bandwidth (the bandwidth test: proven infeasible); both on the first ${Math.min(500, ...rows.map((r) => r.realisations))}+ realisations.`);
console.log(perRow
  ? `${engine.oneCore ? 'CPU us per step: process CPU time' : 'us per step: wall time'} per realisation / Newton steps per solve (the whole solve counted: start, SP1, SP2, SP3, final check); per device: that / M.`
  : 'Lockstep steps: per SP3 call the steps of the batch\'s slowest row, summed over the calls; us per step: batch time / lockstep steps; per row and device: that / (batch x M).');
