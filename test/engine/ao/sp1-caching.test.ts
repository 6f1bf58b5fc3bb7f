/**
 * SP1, caching (SPEC section 3, step 1): the letter's greedy on hand-built cases whose t_m and
 * C/f'_es are set exactly, and its invariants (Smax, (6f), J never rises) on random realisations.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toProblem, type Problem } from '../../../engine/problem.js';
import { checkFeasibility } from '../../../engine/model/feasibility.js';
import { cachedMs, totalLatencyMs, uncachedMs } from '../../../engine/model/latency-energy.js';
import { allocatePoint, clonePoint, type Point } from '../../../engine/model/point.js';
import { rateV1Mbps } from '../../../engine/model/rate.js';
import { solveCaching } from '../../../engine/ao/sp1-caching.js';
import { generateScenario } from '../../../engine/scenario.js';
import { resolveSettings, type CachingRule } from '../../../engine/settings.js';
import { assertClose } from '../../helpers/close.js';
import { logUniform, mulberry32, uniform, type Rng } from '../../helpers/random.js';

const TASK_KBIT = 10.832;
const CYCLES = 270800;

interface Case {
  /** Latency of each UE if uncached, t_m [ms]. */
  t: number[];
  /** Latency of each UE if cached, C/f'_es [ms]. */
  tc: number[];
  /** Cache size in tasks (Smax = (tasks + 0.5) x 10.832 kbit). */
  tasks: number;
  cached?: number[];
  cachingRule?: CachingRule;
  deltaEs?: number;
  fEsMaxGHz?: number;
  eMaxMj?: number;
}

/**
 * A problem and point with the given t_m and C/f'_es: every UE has gain 1e-9, b = 1/M, p = 0.1 W,
 * alpha = 1 (so t_m = C/f_ue + D/R~ and the uncached ES load is 0), f_ue = C/(t_m - D/R~) and
 * f_es = C/((1 - delta_es) C/f'_es).
 */
function build(c: Case): { problem: Problem; x: Point } {
  const M = c.t.length;
  const settings = resolveSettings({
    M, sMaxKbit: (c.tasks + 0.5) * TASK_KBIT, cachingRule: c.cachingRule ?? 'latency', deltaEs: c.deltaEs ?? 0,
    fEsMaxGHz: c.fEsMaxGHz ?? 30, eMaxMj: c.eMaxMj ?? 3,
  });
  const problem = toProblem({ gain: c.t.map(() => 1e-9), cycles: c.t.map(() => CYCLES), bits: c.t.map(() => 1000 * TASK_KBIT) }, settings);
  const x = allocatePoint(M);
  const C = CYCLES / 1e6;
  for (let m = 0; m < M; m++) {
    x.cached[m] = c.cached?.[m] ?? 0;
    x.alpha[m] = 1;
    x.bandwidth[m] = 1 / M;
    x.powerW[m] = 0.1;
    const txMs = TASK_KBIT / rateV1Mbps(problem.params, problem.cPerW[m], x.bandwidth[m], x.powerW[m]);
    assert.ok(c.t[m] > txMs, `set-up: t_${m} = ${c.t[m]} must exceed D/R~ = ${txMs}`);
    x.fUeGHz[m] = C / (c.t[m] - txMs);
    x.fEsGHz[m] = C / ((1 - (c.deltaEs ?? 0)) * c.tc[m]);
  }
  // The set-up reproduces the requested latencies.
  for (let m = 0; m < M; m++) {
    const r = rateV1Mbps(problem.params, problem.cPerW[m], x.bandwidth[m], x.powerW[m]);
    assertClose(uncachedMs(problem.params, C, TASK_KBIT, 1, x.fUeGHz[m], x.fEsGHz[m], r), c.t[m], 1e-12, 0, `set-up t_${m}`);
    assertClose(cachedMs(problem.params, C, x.fEsGHz[m]), c.tc[m], 1e-12, 0, `set-up C/f'_es of ${m}`);
  }
  return { problem, x };
}

const run = (c: Case, keepIfWorse = true): { cached: number[]; changed: boolean } => {
  const { problem, x } = build(c);
  const { changed } = solveCaching(problem, x, keepIfWorse);
  return { cached: Array.from(x.cached), changed };
};

test('caches in descending t_m order while the cache has room', () => {
  const out = run({ t: [3, 7, 5, 9, 4], tc: [1, 1, 1, 1, 1], tasks: 3 });
  assert.equal(out.cached, [0, 1, 1, 1, 0]);
  assert.is(out.changed, true);
});

test('equal t_m go to the lower index first', () => {
  assert.equal(run({ t: [5, 8, 5, 5, 2], tc: [1, 1, 1, 1, 1], tasks: 2 }).cached, [1, 1, 0, 0, 0]);
  assert.equal(run({ t: [2, 5, 8, 5, 5], tc: [1, 1, 1, 1, 1], tasks: 2 }).cached, [0, 1, 1, 0, 0]);
  assert.equal(run({ t: [4, 4, 4, 4], tc: [1, 1, 1, 1], tasks: 3 }).cached, [1, 1, 1, 0]);
});

test('sMaxKbit = 0 caches nothing', () => {
  const { problem, x } = build({ t: [3, 7, 5, 9, 4], tc: [1, 1, 1, 1, 1], tasks: 0 });
  problem.params.sMaxKbit = 0;
  assert.equal(solveCaching(problem, x), { changed: false });
  assert.equal(Array.from(x.cached), [0, 0, 0, 0, 0]);
});

test('sMaxKbit = 60 caches 5 tasks of 10.832 kbit when all 8 would gain', () => {
  const { problem, x } = build({ t: [3, 7, 5, 9, 4, 6, 8, 2.5], tc: new Array(8).fill(1), tasks: 0 });
  problem.params.sMaxKbit = 60;
  solveCaching(problem, x);
  assert.equal(Array.from(x.cached), [0, 1, 1, 1, 0, 1, 1, 0]);
});

test('a cache typed as exactly k tasks (Smax = k x 10.832 kbit, k = 1..10) holds k tasks', () => {
  // Known engine bug (see the report): the running sum 5 x 10.832 = 54.160000000000004 exceeds
  // the typed 54.16, so (6g) is tested without the rounding slack that (6f) gets (LIMIT_RTOL).
  const failures: string[] = [];
  for (let k = 1; k <= 10; k++) {
    const { problem, x } = build({ t: [3, 7, 5, 9, 4, 6, 8, 2.5, 3.5, 4.5], tc: new Array(10).fill(1), tasks: 0 });
    problem.params.sMaxKbit = Number((k * TASK_KBIT).toFixed(3)); // as typed: 10.832, 21.664, ..., 54.16, ...
    solveCaching(problem, x);
    const n = x.cached.reduce((s, v) => s + v, 0);
    if (n !== k) failures.push(`Smax ${problem.params.sMaxKbit} kbit cached ${n} tasks, expected ${k}`);
  }
  assert.equal(failures, []);
});

test('skips a UE whose caching would break (6f) and goes on to the next', () => {
  // Caching UE 0 loads 0.8 GHz; UE 1 would add 0.5 (> Fes_max 1); UE 2 adds 0.2.
  const tc = [CYCLES / 1e6 / 0.8, CYCLES / 1e6 / 0.5, CYCLES / 1e6 / 0.2];
  assert.equal(run({ t: [9, 8, 7], tc, tasks: 3, fEsMaxGHz: 1 }).cached, [1, 0, 1]);
  assert.equal(run({ t: [9, 8, 7], tc, tasks: 3, fEsMaxGHz: 1.5 }).cached, [1, 1, 1]);
});

test('skips a UE whose cached latency C/f\'_es exceeds Tmax, even with the largest t_m', () => {
  assert.equal(run({ t: [30, 7, 5], tc: [12, 1, 1], tasks: 1 }).cached, [0, 1, 0]);
});

test('skips a UE that caching would not speed up (C/f\'_es >= t_m)', () => {
  assert.equal(run({ t: [3, 7, 5], tc: [1, 7, 1], tasks: 1 }).cached, [0, 0, 1]);
  assert.equal(run({ t: [3, 7, 5], tc: [1, 8, 1], tasks: 2 }).cached, [1, 0, 1]);
});

test('the cached latency uses the real ES rate (1 - delta_es) f_es', () => {
  // C/f'_es = 12 ms > Tmax with delta_es = 0.5 (C/f_es = 6 ms): not cached.
  assert.equal(run({ t: [9, 5], tc: [12, 1], tasks: 1, deltaEs: 0.5 }).cached, [0, 1]);
  assert.equal(run({ t: [9, 5], tc: [6, 1], tasks: 1, deltaEs: 0.5 }).cached, [1, 0]);
});

test('the default "latency" rule is the letter\'s: it can pick the UE with the smaller saving', () => {
  // UE 0: t 5, cached 4.5 (saving 0.5); UE 1: t 4, cached 1 (saving 3). Room for one.
  const { problem, x } = build({ t: [5, 4], tc: [4.5, 1], tasks: 1 });
  solveCaching(problem, x);
  assert.equal(Array.from(x.cached), [1, 0]);
  assertClose(totalLatencyMs(problem, x), 8.5, 1e-12, 0, 'J');
});

test('the "saving" rule orders by t_m - C/f\'_es', () => {
  const { problem, x } = build({ t: [5, 4], tc: [4.5, 1], tasks: 1, cachingRule: 'saving' });
  solveCaching(problem, x);
  assert.equal(Array.from(x.cached), [0, 1]);
  assertClose(totalLatencyMs(problem, x), 6, 1e-12, 0, 'J');
  // Savings 2, 4, 1, 3 (t 9, 8, 5, 4; cached 7, 4, 4, 1): room for two caches UEs 1 and 3.
  assert.equal(run({ t: [9, 8, 5, 4], tc: [7, 4, 4, 1], tasks: 2, cachingRule: 'saving' }).cached, [0, 1, 0, 1]);
  assert.equal(run({ t: [9, 8, 5, 4], tc: [7, 4, 4, 1], tasks: 2 }).cached, [1, 1, 0, 0]);
});

test('keeps the previous set when the greedy\'s set would give a higher J', () => {
  // Previous {1}: J = 5 + 1 = 6. The greedy picks {0}: J = 4.5 + 4 = 8.5.
  const out = run({ t: [5, 4], tc: [4.5, 1], tasks: 1, cached: [0, 1] });
  assert.equal(out, { cached: [0, 1], changed: false });
});

test('takes the greedy\'s set when it gives a lower J', () => {
  // Previous {}: J = 9; greedy {0}: J = 8.5.
  assert.equal(run({ t: [5, 4], tc: [4.5, 1], tasks: 1 }), { cached: [1, 0], changed: true });
  // Previous {1}: J = 30 + 1 = 31; greedy {0}: J = 1 + 9 = 10, and UE 1 meets Tmax uncached.
  assert.equal(run({ t: [30, 9], tc: [1, 1], tasks: 1, cached: [0, 1] }), { cached: [1, 0], changed: true });
});

test('keeps the previous set when a UE leaving the cache would break (6b), even if J falls', () => {
  // Previous {1}: J = 31; greedy {0}: J = 13, but UE 1 uncached takes 12 ms > Tmax.
  assert.equal(run({ t: [30, 12], tc: [1, 1], tasks: 1, cached: [0, 1] }), { cached: [0, 1], changed: false });
});

test('keeps the previous set when a UE leaving the cache would break (6e), even if J falls', () => {
  // Emax = 1 uJ: UE 1 computing locally (alpha = 1) at f_ue = C/(8 ms - D/R~) uses about 2 uJ.
  assert.equal(run({ t: [30, 8], tc: [1, 1], tasks: 1, cached: [0, 1], eMaxMj: 0.001 }), { cached: [0, 1], changed: false });
  assert.equal(run({ t: [30, 8], tc: [1, 1], tasks: 1, cached: [0, 1], eMaxMj: 3 }), { cached: [1, 0], changed: true });
});

test('with keepIfWorse = false the greedy\'s set is taken even when J rises', () => {
  assert.equal(run({ t: [5, 4], tc: [4.5, 1], tasks: 1, cached: [0, 1] }, false), { cached: [1, 0], changed: true });
});

// ---- invariants on random realisations ----

/**
 * A realisation (SPEC defaults) and a random point: a random cache set within Smax, random
 * alpha, bandwidth shares summing to 1, p, f_ue, f_es; Fes_max just above the point's ES load.
 */
function randomInstance(rng: Rng, realisation: number, rule: CachingRule, sMaxKbit = 60): { problem: Problem; x: Point } {
  const base = resolveSettings({ cachingRule: rule, sMaxKbit });
  const scenario = generateScenario(base, { seed: 5151, point: null, realisation });
  const M = base.M;
  const x = allocatePoint(M);
  let cachedKbit = 0;
  let load = 0;
  let bSum = 0;
  for (let m = 0; m < M; m++) {
    if (rng() < 0.3 && cachedKbit + scenario.bits[m] / 1000 <= sMaxKbit) {
      x.cached[m] = 1;
      cachedKbit += scenario.bits[m] / 1000;
    }
    const r = rng();
    x.alpha[m] = r < 0.15 ? 0 : r < 0.3 ? 1 : rng();
    x.bandwidth[m] = uniform(rng, 0.2, 1);
    bSum += x.bandwidth[m];
    x.powerW[m] = logUniform(rng, 0.01, 0.19);
    x.fUeGHz[m] = uniform(rng, 0.1, 1.5);
    x.fEsGHz[m] = rng() < 0.1 ? uniform(rng, 0.01, 0.05) : uniform(rng, 0.1, 4);
    load += x.cached[m] ? x.fEsGHz[m] : (1 - x.alpha[m]) * x.fEsGHz[m];
  }
  for (let m = 0; m < M; m++) x.bandwidth[m] /= bSum;
  const fEsMaxGHz = Math.max(load * (rng() < 0.3 ? 1 : uniform(rng, 1, 1.5)), 4);
  const problem = toProblem(scenario, resolveSettings({ cachingRule: rule, sMaxKbit, fEsMaxGHz }));
  return { problem, x };
}

const N_RANDOM = 500;
const RULES: CachingRule[] = ['latency', 'saving'];

test(`never raises J (${N_RANDOM} random realisations per rule, both rules)`, () => {
  for (const rule of RULES) {
    const rng = mulberry32(rule === 'latency' ? 61 : 62);
    let changed = 0;
    for (let i = 0; i < N_RANDOM; i++) {
      const { problem, x } = randomInstance(rng, i, rule);
      const before = totalLatencyMs(problem, x, 'v1');
      if (solveCaching(problem, x).changed) changed++;
      const after = totalLatencyMs(problem, x, 'v1');
      if (!(after <= before * (1 + 1e-12))) assert.unreachable(`${rule}, instance ${i}: J ${before} -> ${after} (delta ${after - before})`);
    }
    assert.ok(changed > N_RANDOM / 4, `${rule}: the set changed in only ${changed} of ${N_RANDOM} instances`);
  }
});

test(`respects Smax (6g): at most 5 tasks in 60 kbit and none in 0 kbit (${N_RANDOM} random realisations per case)`, () => {
  const rng = mulberry32(63);
  let five = 0;
  for (let i = 0; i < N_RANDOM; i++) {
    const { problem, x } = randomInstance(rng, i, i % 2 ? 'saving' : 'latency', 60);
    solveCaching(problem, x);
    let kbit = 0;
    let n = 0;
    for (let m = 0; m < x.cached.length; m++) if (x.cached[m]) { kbit += problem.bitsKbit[m]; n++; }
    if (!(kbit <= 60 && n <= 5)) assert.unreachable(`instance ${i}: ${n} tasks, ${kbit} kbit cached`);
    if (n === 5) five++;
    const empty = randomInstance(rng, i, i % 2 ? 'saving' : 'latency', 0);
    solveCaching(empty.problem, empty.x);
    assert.equal(Array.from(empty.x.cached), new Array(x.cached.length).fill(0), `instance ${i}, Smax 0`);
  }
  assert.ok(five > 0, 'the cache never filled up');
});

test(`respects (6f), and a point feasible before stays feasible (${N_RANDOM} random realisations)`, () => {
  const rng = mulberry32(64);
  let feasible = 0;
  let moved = 0;
  for (let i = 0; i < N_RANDOM; i++) {
    const { problem, x } = randomInstance(rng, i, i % 2 ? 'saving' : 'latency');
    const before = checkFeasibility(problem, x, 'v1');
    const prev = clonePoint(x);
    solveCaching(problem, x);
    let load = 0;
    for (let m = 0; m < x.cached.length; m++) load += x.cached[m] ? x.fEsGHz[m] : (1 - x.alpha[m]) * x.fEsGHz[m];
    const limit = problem.params.fEsMaxGHz;
    if (!(load <= limit * (1 + 1e-12))) assert.unreachable(`instance ${i}: ES load ${load} > Fes_max ${limit}`);
    // Newly cached UEs meet Tmax; UEs that left the cache meet Tmax and Emax uncached (6b, 6e).
    const after = checkFeasibility(problem, x, 'v1');
    if (before.maxViolation <= 1e-12) {
      feasible++;
      if (x.cached.some((s, m) => s !== prev.cached[m])) moved++;
      if (!(after.maxViolation <= 1e-12)) assert.unreachable(`instance ${i}: feasible before, after ${JSON.stringify(after)}`);
    }
  }
  assert.ok(feasible > N_RANDOM / 5 && moved > feasible / 4, `only ${feasible} feasible instances, ${moved} with a new set`);
});

test('changes only x.cached', () => {
  const rng = mulberry32(65);
  for (let i = 0; i < 50; i++) {
    const { problem, x } = randomInstance(rng, i, 'latency');
    const prev = clonePoint(x);
    solveCaching(problem, x);
    assert.equal(x.alpha, prev.alpha);
    assert.equal(x.bandwidth, prev.bandwidth);
    assert.equal(x.powerW, prev.powerW);
    assert.equal(x.fUeGHz, prev.fUeGHz);
    assert.equal(x.fEsGHz, prev.fEsGHz);
  }
});

test.run();
