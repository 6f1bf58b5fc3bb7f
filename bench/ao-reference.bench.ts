/**
 * Full AO solves per second of the float64 reference path on one core, at the paper's defaults
 * (or any --set overrides), with the mean iterations and the interior-point work per solve.
 *
 *   npm run bench -- [--count 1000] [--set NAME=VALUE ...]
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { parseAssignments, resolveSettings } from '../engine/settings.js';
import { toProblem, type Problem } from '../engine/problem.js';
import { generateScenario } from '../engine/scenario.js';
import { solveAo } from '../engine/ao/solve-ao.js';

const { values } = parseArgs({
  options: { count: { type: 'string', default: '1000' }, set: { type: 'string', multiple: true, default: [] }, seed: { type: 'string', default: '1' } },
});
const count = Number(values.count);
const settings = resolveSettings(parseAssignments(values.set ?? []));
const seed = Number(values.seed);
const problems: Problem[] = [];
for (let r = 0; r < count; r++) problems.push(toProblem(generateScenario(settings, { seed, point: null, realisation: r }), settings));

// Warm up the JIT on a separate set of realisations.
for (let r = 0; r < Math.min(100, count); r++) {
  solveAo(toProblem(generateScenario(settings, { seed: seed + 1, point: null, realisation: r }), settings));
}

const statuses: Record<string, number> = {};
let iterations = 0;
let newtonSteps = 0;
let sp3Calls = 0;
let objective = 0;
const start = process.hrtime.bigint();
const cpuStart = process.cpuUsage();
for (const p of problems) {
  const r = solveAo(p);
  statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  iterations += r.iterations;
  newtonSteps += r.sp3.newtonSteps;
  sp3Calls += r.sp3.calls;
  if (Number.isFinite(r.objectiveMs)) objective += r.objectiveMs;
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
const cpu = process.cpuUsage(cpuStart);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;

console.log(`float64 reference AO, one core (${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version})`);
console.log(`settings: ${values.set?.length ? values.set.join(', ') : 'paper defaults'} (M = ${settings.M})`);
console.log(`realisations: ${count} (seed ${seed}), statuses ${JSON.stringify(statuses)}`);
console.log(`mean J ${(objective / count).toFixed(4)} ms, mean AO iterations ${(iterations / count).toFixed(2)}`);
console.log(`SP3: ${(sp3Calls / count).toFixed(2)} calls and ${(newtonSteps / count).toFixed(1)} Newton steps per solve`);
console.log(`time ${(1000 * seconds / count).toFixed(3)} ms per solve, ${(count / seconds).toFixed(0)} solves/s (wall clock)`);
console.log(`cpu  ${(1000 * cpuSeconds / count).toFixed(3)} ms per solve (process CPU time; differs from wall clock when the machine is busy)`);
