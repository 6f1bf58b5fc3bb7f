/**
 * The `dtmc` command line end to end: the compiled CLI is spawned from the repository root.
 * Each run takes a fraction of a second; the file runs in a few seconds.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateScenario } from '../../engine/scenario.js';
import { DEFAULT_SETTINGS, parameterTable, resolveSettings } from '../../engine/settings.js';
import { solveBatch } from '../../cli/solve-batch.js';
import { cpuBudget } from '../../jobs/cpu-budget.js';
import { prepareRealisation, solveRealisation } from '../../cli/solve-command.js';
import { hardwareGpu, skipOnGpu } from '../helpers/hardware-gpu.js';

/** dist/test/cli/ -> the repository root. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TMP = mkdtempSync(join(tmpdir(), 'dtmc-cli-'));

interface Run { status: number | null; stdout: string; stderr: string }

function dtmc(...args: string[]): Run {
  const r = spawnSync(process.execPath, ['dist/cli/main.js', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Parses stdout, which must be exactly one JSON object. */
function json(run: Run): Record<string, any> {
  const text = run.stdout.trim();
  assert.ok(text.startsWith('{') && text.endsWith('}'), `stdout is not one JSON object: ${run.stdout.slice(0, 200)}`);
  return JSON.parse(text) as Record<string, any>;
}

/** Bad input: exit 2, nothing on stdout, a `dtmc:` message matching `pattern`, no stack trace. */
function expectBadInput(run: Run, pattern: RegExp): void {
  assert.is(run.status, 2, `exit status; stderr: ${run.stderr}`);
  assert.is(run.stdout, '');
  assert.match(run.stderr, /^dtmc: /);
  assert.match(run.stderr, pattern);
  assert.not.match(run.stderr, /^\s*at /m, 'stack trace in stderr');
}

const writeTemp = (name: string, text: string): string => {
  const path = join(TMP, name);
  writeFileSync(path, text);
  return path;
};

const PER_DEVICE = [
  'cached', 'alpha', 'bandwidth', 'powerW', 'fUeGHz', 'fEsGHz', 'latencyMs', 'latencyExactMs', 'energyMj',
  'rateMbps', 'rateExactMbps',
];
const TOP_LEVEL = [
  'version', 'status', 'iterations', 'objectiveMs', 'objectiveExactMs', 'trace', 'stepTrace', 'maxViolation',
  'violatedConstraint', 'violatedDevice', 'message', 'start', 'failedConstraint', 'proven', 'sp3', 'settings',
  'key', 'M', 'timeMs', ...PER_DEVICE,
];

test('solve --json on a seed converges and gives every per-device array of length M', () => {
  const run = dtmc('solve', '--seed', '1', '--json');
  assert.is(run.status, 0, run.stderr);
  const r = json(run);
  for (const k of TOP_LEVEL) assert.ok(k in r, `missing key ${k}`);
  assert.is(r.status, 'converged');
  assert.is(r.M, DEFAULT_SETTINGS.M);
  for (const k of PER_DEVICE) assert.is(r[k].length, DEFAULT_SETTINGS.M, k);
  assert.equal(r.settings, { ...DEFAULT_SETTINGS });
  assert.equal(r.key, { seed: 1, point: null, realisation: 0 });
  assert.is(r.trace.length, r.iterations + 1);
  assert.is(r.trace[r.trace.length - 1], r.objectiveMs);
  assert.equal(Object.keys(r.sp3).sort(), ['calls', 'certified', 'kept', 'maxRelativeGap', 'newtonSteps']);
  for (let m = 0; m < r.M; m++) assert.ok(r.rateMbps[m] <= r.rateExactMbps[m] * (1 + 1e-12), `R~ <= R at UE ${m}`);
});

test('solve --set M=5 gives arrays of length 5 and records M = 5 in the settings', () => {
  const run = dtmc('solve', '--set', 'M=5', '--set', 'eMaxMj=2', '--json');
  assert.is(run.status, 0, run.stderr);
  const r = json(run);
  assert.is(r.settings.M, 5);
  assert.is(r.settings.eMaxMj, 2);
  for (const k of PER_DEVICE) assert.is(r[k].length, 5, k);
});

test('solve with --point and --realisation records them in the key', () => {
  const r = json(dtmc('solve', '--seed', '3', '--point', '2', '-r', '4', '--set', 'M=3', '--json'));
  assert.equal(r.key, { seed: 3, point: 2, realisation: 4 });
});

const BAD_SETS: [string, RegExp][] = [
  ['eMaxMj=-1', /eMaxMj must be a number in \(0, 1000000\] \(mJ\)/],
  ['noSuchParameter=1', /unknown parameter\(s\) noSuchParameter/],
  ['M=2.5', /M must be an integer in \[1, 1000\]/],
  ['M=many', /--set M: "many" is not a number/],
];
for (const [assignment, pattern] of BAD_SETS) {
  test(`solve --set ${assignment} exits 2 naming the field`, () => {
    expectBadInput(dtmc('solve', '--json', '--set', assignment), pattern);
  });
}

test('solve --scenario with a file from a generated realisation reproduces the generated run', () => {
  const settings = resolveSettings({ M: 6 });
  const key = { seed: 2, point: null, realisation: 1 };
  const path = writeTemp('generated.json', JSON.stringify({ ...generateScenario(settings, key), params: { M: 6 } }));
  const fromFile = dtmc('solve', '--scenario', path, '--json');
  assert.is(fromFile.status, 0, fromFile.stderr);
  const a = json(fromFile);
  const b = json(dtmc('solve', '--seed', '2', '--realisation', '1', '--set', 'M=6', '--json'));
  assert.equal(a.key, { scenario: path });
  assert.is(a.status, b.status);
  assert.is(a.objectiveMs, b.objectiveMs);
  assert.equal(a.alpha, b.alpha);
});

test('solve --scenario takes M from the file when no params set it, and --set applies on top', () => {
  const scenario = generateScenario(resolveSettings({ M: 4 }), { seed: 5, point: null, realisation: 0 });
  const path = writeTemp('no-params.json', JSON.stringify(scenario));
  const r = json(dtmc('solve', '--scenario', path, '--set', 'sMaxKbit=0', '--json'));
  assert.is(r.settings.M, 4);
  assert.is(r.settings.sMaxKbit, 0);
  assert.equal(r.cached, [0, 0, 0, 0]);
});

test('solve --save-scenario writes a file that replays the same realisation', () => {
  const path = join(TMP, 'saved.json');
  const a = json(dtmc('solve', '--seed', '9', '--set', 'M=4', '--save-scenario', path, '--json'));
  const saved = JSON.parse(readFileSync(path, 'utf8')) as { params: Record<string, unknown> };
  assert.equal(saved.params, a.settings);
  const b = json(dtmc('solve', '--scenario', path, '--json'));
  assert.is(b.objectiveMs, a.objectiveMs);
});

const GOOD = { gain: [1e-9, 2e-10, 3e-11], cycles: [2e5, 3e5, 4e5], bits: [10832, 10832, 10832] };
const MALFORMED: [string, string, RegExp][] = [
  ['negative gain', JSON.stringify({ ...GOOD, gain: [1e-9, -2e-10, 3e-11] }), /negative-gain\.json: gain\[1\] must be a positive finite number, got -2e-10/],
  ['missing cycles', JSON.stringify({ gain: GOOD.gain, bits: GOOD.bits }), /missing-cycles\.json: cycles is required/],
  ['invalid JSON', '{"gain": [1e-9,', /invalid-json\.json: invalid JSON/],
  ['bad params', JSON.stringify({ ...GOOD, params: { eMaxMj: 0 } }), /bad-params\.json: params\.eMaxMj must be a number/],
  ['M against the file', JSON.stringify({ ...GOOD, params: { M: 5 } }), /the scenario has 3 devices but M = 5/],
];
for (const [what, text, pattern] of MALFORMED) {
  test(`solve --scenario with a file with ${what} exits 2 with a clear message`, () => {
    const path = writeTemp(`${what.replace(/ /g, '-').toLowerCase()}.json`, text);
    expectBadInput(dtmc('solve', '--scenario', path, '--json'), pattern);
  });
}

test('solve --scenario with a missing file exits 2 naming the path', () => {
  expectBadInput(dtmc('solve', '--scenario', join(TMP, 'absent.json')), /cannot read scenario file .*absent\.json/);
});

test('an infeasible realisation exits 3 with status infeasible in the JSON', () => {
  const run = dtmc('solve', '--set', 'rMinMbps=1000', '--json');
  assert.is(run.status, 3, run.stderr);
  const r = json(run);
  assert.is(r.status, 'infeasible');
  assert.is(r.objectiveMs, null);
  assert.is(r.failedConstraint, '6d');
  assert.is(r.proven, true);
  assert.match(r.message, /6d/);
});

test('solve without --json prints the readable report', () => {
  const run = dtmc('solve', '--set', 'M=3');
  assert.is(run.status, 0, run.stderr);
  const lines = run.stdout.split('\n');
  assert.match(lines[0], /^converged after \d+ iterations? \| J = [\d.]+ ms \(V=1\), [\d.]+ ms \(exact\) \| max violation/);
  assert.ok(run.stdout.includes('UE  cached  alpha'));
  assert.match(run.stdout, /^J per iteration \[ms\]: /m);
});

test('an infeasible realisation without --json prints the message', () => {
  const run = dtmc('solve', '--set', 'rMinMbps=1000');
  assert.is(run.status, 3);
  assert.match(run.stdout, /^infeasible/);
  assert.match(run.stdout, /^message: \(6d\) cannot hold/m);
});

test('params --markdown prints a table with every parameter name', () => {
  const run = dtmc('params', '--markdown');
  assert.is(run.status, 0, run.stderr);
  assert.ok(run.stdout.startsWith('| name | symbol | default | unit | range | source | doc |'));
  for (const r of parameterTable()) assert.ok(run.stdout.includes(`| \`${r.name}\` |`), `missing ${r.name}`);
});

test('params prints the plain table', () => {
  const run = dtmc('params');
  assert.is(run.status, 0, run.stderr);
  for (const r of parameterTable()) assert.match(run.stdout, new RegExp(`^${r.name} `, 'm'));
});

for (const args of [['--help'], ['solve', '--help'], ['params', '--help']]) {
  test(`dtmc ${args.join(' ')} exits 0 and shows examples`, () => {
    const run = dtmc(...args);
    assert.is(run.status, 0, run.stderr);
    assert.match(run.stdout, /Examples:/);
    assert.match(run.stdout, /dtmc (solve|params)/);
  });
}

test('solve --help documents the exit codes', () => {
  assert.match(dtmc('solve', '--help').stdout, /3 +the solver reported status infeasible or numerical-failure/);
});

test('--version prints the version of package.json', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const run = dtmc('--version');
  assert.is(run.status, 0);
  assert.is(run.stdout.trim(), pkg.version);
});

const USAGE_ERRORS: [string[], RegExp][] = [
  [[], /a command is required/],
  [['frobnicate'], /Unknown argument: frobnicate/],
  [['solve', '--no-such-option'], /Unknown argument/],
  [['solve', '--scenario', 'x.json', '--seed', '2'], /mutually exclusive/],
  [['solve', '--seed', '-1'], /--seed must be an integer/],
];
for (const [args, pattern] of USAGE_ERRORS) {
  test(`dtmc ${args.join(' ') || '(no command)'} is a usage error: exit 2`, () => {
    expectBadInput(dtmc(...args), pattern);
  });
}

test('solve --batch runs the tensor engine and prints a summary with the backend', () => {
  const run = dtmc('solve', '--batch', '12', '--backend', 'wasm', '--json');
  assert.is(run.status, 0, run.stderr);
  const r = json(run);
  assert.is(r.backend.name, 'wasm');
  assert.is(r.count, 12);
  assert.equal(r.statuses, { converged: 12 });
  assert.is(r.solved, 12);
  assert.ok(r.meanObjectiveMs > 0 && r.ci95Ms >= 0);
  assert.is(r.settings.M, 15);
  const text = dtmc('solve', '--batch', '4', '--backend', 'wasm', '--set', 'M=6');
  assert.is(text.status, 0, text.stderr);
  assert.match(text.stdout, /^backend: wasm/m);
  assert.match(text.stdout, /statuses: converged 4/);
});

test('solve --batch without --backend runs the float64 path on every core where there is no hardware GPU', async () => {
  const gpu = await hardwareGpu();
  if (gpu) return skipOnGpu('solve --batch defaults to float64', gpu);
  const run = dtmc('solve', '--batch', '12', '--set', 'M=6', '--json');
  assert.is(run.status, 0, run.stderr);
  const r = json(run);
  assert.is(r.backend.name, 'float64');
  assert.match(r.backend.detail, new RegExp(`^float64 \\(reference path, ${cpuBudget().count} worker\\(s\\); auto: `));
  assert.equal(r.statuses, { converged: 12 });
  const text = dtmc('solve', '--batch', '4', '--set', 'M=6');
  assert.is(text.status, 0, text.stderr);
  assert.match(text.stdout, /^backend: float64 \(reference path/m);
  assert.match(text.stdout, /statuses: converged 4/);
});

test('solve --batch --backend float64 solves the realisations solve does, one by one', async () => {
  const key = { seed: 5, point: 3, first: 10, count: 7 };
  const { settings } = prepareRealisation({ seed: key.seed, realisation: key.first, point: key.point, set: ['M=6'] });
  const { summary, results } = await solveBatch({ settings, ...key, chunk: 2, backend: 'float64' });
  assert.is(summary.backend.name, 'float64');
  assert.is(summary.chunk, 2);
  assert.is(results.length, key.count);
  results.forEach((row, i) => {
    const one = solveRealisation({ seed: key.seed, realisation: key.first + i, point: key.point, set: ['M=6'] });
    assert.is(row.status, one.status, `realisation ${key.first + i}`);
    assert.is(row.objectiveMs, one.objectiveMs, `realisation ${key.first + i}: J`);
    assert.is(row.iterations, one.iterations, `realisation ${key.first + i}: iterations`);
  });
});

test('solve --batch on float64 and on wasm solve the same realisations (mean J within float32 accuracy)', () => {
  const float64 = json(dtmc('solve', '--batch', '16', '--set', 'M=6', '--seed', '9', '--backend', 'float64', '--json'));
  const wasm = json(dtmc('solve', '--batch', '16', '--set', 'M=6', '--seed', '9', '--backend', 'wasm', '--json'));
  assert.is(float64.solved, 16);
  assert.is(wasm.solved, 16);
  const delta = Math.abs(float64.meanObjectiveMs - wasm.meanObjectiveMs);
  assert.ok(delta <= 1e-3 * float64.meanObjectiveMs, `mean J: float64 ${float64.meanObjectiveMs}, wasm ${wasm.meanObjectiveMs}, delta ${delta}, tolerance 1e-3 relative`);
});

test('solve --batch rejects bad counts, backends and combinations', () => {
  expectBadInput(dtmc('solve', '--batch', '0'), /--batch must be a positive integer/);
  expectBadInput(dtmc('solve', '--batch', '3', '--chunk', '-1'), /--chunk must be a positive integer/);
  expectBadInput(dtmc('solve', '--batch', '3', '--backend', 'bogus'), /Invalid values|backend/);
  expectBadInput(dtmc('solve', '--batch', '3', '--save-scenario', join(TMP, 'x.json')), /mutually exclusive/);
});

test('solve --batch on a backend that cannot start says what to install', () => {
  const run = dtmc('solve', '--batch', '2', '--backend', 'tensorflow');
  expectBadInput(run, /tfjs-node/);
});

test.after(() => rmSync(TMP, { recursive: true, force: true }));

test.run();
