/**
 * The baselines of `method` (engine/ao/variant.ts): their fixed decisions hold, their points are
 * feasible under the exact check, and the letter's AO beats them on average at the defaults.
 * The AO is a local method: on some realisations a baseline ends lower, because SP1's greedy
 * settled on another cached set from another start (offload-all starts at alpha = 0, the AO at
 * 1/2) or the AO stopped at a blockwise optimum of alpha and the CPU rates.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveSettings, type Method, type Settings } from '../../../engine/settings.js';
import { toProblem } from '../../../engine/problem.js';
import { generateScenario } from '../../../engine/scenario.js';
import { isSolved, solveAo, type AoResult } from '../../../engine/ao/solve-ao.js';

const N = 150;
const solveAll = (overrides: Partial<Settings>): AoResult[] => {
  const settings = resolveSettings(overrides);
  return Array.from({ length: N }, (_, r) => solveAo(toProblem(generateScenario(settings, { seed: 31, point: null, realisation: r }), settings)));
};
const solved = (r: AoResult): boolean => isSolved(r.status);
const mean = (rs: AoResult[]): number => rs.filter(solved).reduce((s, r) => s + r.objectiveMs, 0) / rs.filter(solved).length;
const cachedSet = (r: AoResult): string => Array.from(r.point.cached).join('');

const results = new Map<Method, AoResult[]>();
for (const method of ['ao', 'no-cache', 'offload-all', 'local-all', 'equal-radio'] as Method[]) results.set(method, solveAll({ method }));
const ao = results.get('ao')!;

test('each baseline keeps its fixed decisions, never raises J, certifies every SP3 call and ends feasible', () => {
  const pMaxW = toProblem(generateScenario(resolveSettings({}), { seed: 31, point: null, realisation: 0 }), resolveSettings({})).params.pMaxW;
  for (const [method, rs] of results) {
    rs.forEach((r, n) => {
      assert.ok(solved(r), `${method} realisation ${n}: ${r.status} ${r.message}`);
      assert.ok(r.maxViolation <= 1e-9, `${method} realisation ${n}: violation ${r.maxViolation}`);
      const steps = [r.traceMs[0], ...r.stepTraceMs];
      for (let i = 1; i < steps.length; i++) assert.ok(steps[i] <= steps[i - 1] * (1 + 1e-12), `${method} realisation ${n}: J rose at sub-step ${i}`);
      assert.is(r.sp3.certified, r.sp3.calls, `${method} realisation ${n}: every SP3 call certified`);
      assert.ok(r.sp3.maxRelativeGap <= 1e-9);
      const x = r.point;
      for (let m = 0; m < x.alpha.length; m++) {
        if (method === 'no-cache') assert.is(x.cached[m], 0);
        if (method === 'offload-all' && !x.cached[m]) assert.is(x.alpha[m], 0);
        if (method === 'local-all' && !x.cached[m]) assert.is(x.alpha[m], 1);
        if (method === 'equal-radio') {
          assert.is(x.bandwidth[m], 1 / x.alpha.length);
          assert.is(x.powerW[m], pMaxW);
        }
      }
    });
  }
});

test('the AO\'s mean objective is below every baseline\'s at the defaults; the fraction it loses is small and reported', () => {
  const lines: string[] = [];
  for (const [method, rs] of results) {
    if (method === 'ao') continue;
    assert.ok(mean(ao) < mean(rs), `${method}: mean J ${mean(rs)} not above the AO's ${mean(ao)}`);
    const wins = rs.map((_, n) => n).filter((n) => rs[n].objectiveMs < ao[n].objectiveMs * (1 - 1e-9));
    const otherCache = wins.filter((n) => cachedSet(rs[n]) !== cachedSet(ao[n])).length;
    lines.push(`${method} ${(100 * wins.length / N).toFixed(1)}% (${otherCache} with another cached set)`);
    assert.ok(wins.length <= 0.2 * N, `${method} beats the AO on ${wins.length}/${N}`);
  }
  console.log(`  baselines beating the AO (defaults, ${N} realisations): ${lines.join(', ')}`);
});

test('at Fes_max = 38 GHz offload-all beats the AO only where SP1 settled on another cached set', () => {
  // There the AO offloads everything too (alpha = 0), so the two differ only by their start:
  // the first SP1 runs at alpha = 1/2 for the AO and at alpha = 0 for offload-all, and the greedy
  // keeps its set. About 13% of realisations, 0.04% of mean J (README).
  const aoHigh = solveAll({ fEsMaxGHz: 38 });
  const offload = solveAll({ fEsMaxGHz: 38, method: 'offload-all' });
  const wins = offload.map((_, n) => n).filter((n) => offload[n].objectiveMs < aoHigh[n].objectiveMs * (1 - 1e-9));
  assert.ok(wins.length > 0, 'the effect this test documents is gone: update the README');
  for (const n of wins) assert.is.not(cachedSet(offload[n]), cachedSet(aoHigh[n]), `realisation ${n}: wins with the AO's cached set`);
  assert.ok(offload.every((r, n) => r.objectiveMs >= aoHigh[n].objectiveMs * (1 - 1e-9) || cachedSet(r) !== cachedSet(aoHigh[n])));
});

test.run();
