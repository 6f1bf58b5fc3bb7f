/**
 * The letter's Fig. 2 and Fig. 3 sweeps (SPEC section 5) with the float64 reference AO, on the
 * same realisations at every point (common random numbers), with 95% confidence intervals.
 *
 *   node dist/bench/figure-trends.bench.js [--count 40] [--seed 1] [--figure fig2|fig3|all]
 *                                          [--set NAME=VALUE ...]
 *
 * Per point: mean J (V = 1) ± 1.96 s / sqrt(n) over solved realisations, mean exact-rate J, mean
 * number of cached tasks, mean offloading portion (per realisation the mean of 1 - alpha over
 * uncached UEs, then averaged) and the status counts. Fig. 3 also prints the paired difference
 * J(delta = 2%) - J(delta = 0) at each Fes_max, paired by realisation.
 */
import { parseArgs } from 'node:util';
import { parseAssignments, resolveSettings, type Settings } from '../engine/settings.js';
import { toProblem } from '../engine/problem.js';
import { generateScenario } from '../engine/scenario.js';
import { isSolved, solveAo, type AoResult } from '../engine/ao/solve-ao.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '40' },
    seed: { type: 'string', default: '1' },
    figure: { type: 'string', default: 'all' },
    set: { type: 'string', multiple: true, default: [] },
  },
});
const count = Number(values.count);
const seed = Number(values.seed);
const figure = values.figure ?? 'all';
if (!Number.isInteger(count) || count < 1) throw new Error(`--count must be a positive integer, got ${values.count}`);
if (!['fig2', 'fig3', 'all'].includes(figure)) throw new Error(`--figure must be fig2, fig3 or all, got ${figure}`);
const base = parseAssignments(values.set ?? []);

/** One realisation's outcome; NaN fields when not solved. */
interface Outcome { status: string; solved: boolean; j: number; jExact: number; cached: number; offload: number }

function outcome(r: AoResult): Outcome {
  const solved = isSolved(r.status) && Number.isFinite(r.objectiveMs);
  let cached = 0;
  let offloadSum = 0;
  for (let m = 0; m < r.point.cached.length; m++) {
    if (r.point.cached[m]) cached++;
    else offloadSum += 1 - r.point.alpha[m];
  }
  const uncached = r.point.cached.length - cached;
  return {
    status: r.status, solved,
    j: solved ? r.objectiveMs : NaN,
    jExact: solved ? r.objectiveExactMs : NaN,
    cached: solved ? cached : NaN,
    offload: solved && uncached > 0 ? offloadSum / uncached : NaN,
  };
}

/** Solves realisations 0..count-1 (point: null, so the same draws at every sweep point). */
function solvePoint(overrides: Record<string, number | string>): { settings: Settings; outcomes: Outcome[] } {
  const settings = resolveSettings({ ...base, ...overrides });
  const outcomes: Outcome[] = [];
  for (let r = 0; r < count; r++) {
    const problem = toProblem(generateScenario(settings, { seed, point: null, realisation: r }), settings);
    outcomes.push(outcome(solveAo(problem)));
  }
  return { settings, outcomes };
}

/** Mean and 95% half-width (1.96 s / sqrt(n)) over the finite values. */
function stats(xs: number[]): { mean: number; half: number; n: number } {
  const v = xs.filter(Number.isFinite);
  const n = v.length;
  if (n === 0) return { mean: NaN, half: NaN, n };
  const mean = v.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : NaN;
  return { mean, half: 1.96 * Math.sqrt(variance / n), n };
}

const f = (x: number, d: number): string => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

function statusText(outcomes: Outcome[]): string {
  const counts: Record<string, number> = {};
  for (const o of outcomes) counts[o.status] = (counts[o.status] ?? 0) + 1;
  return Object.entries(counts).map(([k, v]) => `${k}:${v}`).join(' ');
}

const HEADER = 'n   J [ms] ± 95% CI      J exact [ms]  cached  offload  statuses';

function row(label: string, outcomes: Outcome[]): string {
  const j = stats(outcomes.map((o) => o.j));
  const jx = stats(outcomes.map((o) => o.jExact));
  const c = stats(outcomes.map((o) => o.cached));
  const off = stats(outcomes.map((o) => o.offload));
  return `${label}  ${String(j.n).padStart(3)} ${f(j.mean, 3).padStart(8)} ± ${f(j.half, 3).padEnd(8)}  ` +
    `${f(jx.mean, 3).padStart(12)}  ${f(c.mean, 2).padStart(6)}  ${f(off.mean, 4).padStart(7)}  ${statusText(outcomes)}`;
}

const started = process.hrtime.bigint();
console.log(`float64 reference AO, ${count} realisations per point (seed ${seed}, common random numbers), Node ${process.version}`);
console.log(`base overrides: ${values.set?.length ? values.set.join(', ') : 'none (paper defaults)'}`);

if (figure === 'fig2' || figure === 'all') {
  const fig2 = resolveSettings(base);
  console.log(`\nFig. 2: J versus Emax, one block per Smax (Fes_max = ${fig2.fEsMaxGHz} GHz, delta_ue = ${fig2.deltaUe}, delta_es = ${fig2.deltaEs})`);
  for (const sMaxKbit of [0, 20, 40, 60]) {
    console.log(`Smax = ${sMaxKbit} kbit\n  Emax [mJ]  ${HEADER}`);
    for (const eMaxMj of [1.5, 2, 2.5, 3, 3.5, 4]) {
      const { outcomes } = solvePoint({ sMaxKbit, eMaxMj });
      console.log(row(`  ${eMaxMj.toFixed(1).padStart(9)}`, outcomes));
    }
  }
}

if (figure === 'fig3' || figure === 'all') {
  const fig3 = resolveSettings({ ...base, sMaxKbit: 60 });
  console.log(`\nFig. 3: J versus Fes_max, delta_ue = delta_es in {0, 0.02} (Smax = 60 kbit, Emax = ${fig3.eMaxMj} mJ)`);
  const fesValues = [30, 32, 34, 36, 38];
  const byDelta = new Map<number, Outcome[][]>();
  for (const delta of [0, 0.02]) {
    console.log(`delta = ${delta}\n  Fes [GHz]  ${HEADER}`);
    const rows: Outcome[][] = [];
    for (const fEsMaxGHz of fesValues) {
      const { outcomes } = solvePoint({ sMaxKbit: 60, fEsMaxGHz, deltaUe: delta, deltaEs: delta });
      rows.push(outcomes);
      console.log(row(`  ${String(fEsMaxGHz).padStart(9)}`, outcomes));
    }
    byDelta.set(delta, rows);
  }
  console.log('paired difference J(delta = 0.02) - J(delta = 0), by realisation\n  Fes [GHz]  pairs  mean [ms] ± 95% CI    exact-rate mean [ms] ± 95% CI');
  fesValues.forEach((fes, i) => {
    const a = byDelta.get(0)![i];
    const b = byDelta.get(0.02)![i];
    const d = stats(a.map((o, r) => b[r].j - o.j));
    const dx = stats(a.map((o, r) => b[r].jExact - o.jExact));
    console.log(`  ${String(fes).padStart(9)}  ${String(d.n).padStart(5)}  ${f(d.mean, 4).padStart(9)} ± ${f(d.half, 4).padEnd(8)}  ` +
      `${f(dx.mean, 4).padStart(20)} ± ${f(dx.half, 4)}`);
  });
}

console.log(`\ntotal time ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)} s`);
