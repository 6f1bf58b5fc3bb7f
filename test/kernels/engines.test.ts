/**
 * The engine table (kernels/engines.ts) and its readers: each test changes or reads one entry and
 * checks that the job validator, `solve --batch`, `dtmc run`, the engine check, `doctor` and the
 * tensor kernels' guards follow it, so a reader that kept its own list would fail here. Importing
 * the table (and a float64 job's worker) must load no tfjs or webgpu.
 */
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DtmcError } from '../../engine/errors.js';
import { toProblem } from '../../engine/problem.js';
import { generateScenario } from '../../engine/scenario.js';
import { METHODS, resolveSettings } from '../../engine/settings.js';
import { BACKEND_NAMES, ENGINE_CHOICES, ENGINE_NAMES, ENGINES, methodRefusal, methodsOf, requireMethod, type Engine, type EngineName } from '../../kernels/engines.js';
import { parseJob } from '../../jobs/job-file.js';
import { checkEngineStarts } from '../../jobs/engine-check.js';
import { runJob } from '../../jobs/run-job.js';
import { solveBatch } from '../../cli/solve-batch.js';
import { doctor } from '../../cli/doctor-command.js';
import { dtmc, ROOT, tempDir } from '../helpers/job-runs.js';

const JOB = { name: 'engines', seed: 2, realisations: 4, chunkSize: 2, base: { M: 4 } };
let dir = '';
test.before(() => {
  dir = tempDir('engines');
});
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `body` with `fields` set on the engine's entry, then puts the entry back as it was. */
async function withEngine<T>(name: EngineName, fields: Partial<Engine>, body: () => T | Promise<T>): Promise<T> {
  const saved = { ...ENGINES[name] };
  Object.assign(ENGINES[name], fields);
  try {
    return await body();
  } finally {
    Object.assign(ENGINES[name], saved);
  }
}

/** The message of the DtmcError `body` throws (fails the test when it throws none, or another kind). */
async function errorOf(body: () => unknown): Promise<string> {
  try {
    await body();
  } catch (e) {
    assert.instance(e, DtmcError);
    return (e as Error).message;
  }
  assert.unreachable('no error thrown');
  return '';
}

test('float64 runs every method; the tensor engines and auto run ao and joint', () => {
  assert.equal(ENGINES.float64.methods, METHODS);
  for (const e of ENGINE_NAMES.filter((n) => n !== 'float64')) assert.equal(ENGINES[e].methods, ['ao', 'joint'], e);
  assert.equal(methodsOf('auto'), ['ao', 'joint'], 'auto may choose webgpu');
  assert.is(methodRefusal('x', 'float64', 'no-cache'), '');
});

test('a job with a baseline method on wasm is refused, naming job.backend and the methods the table lists', async () => {
  const message = await errorOf(() => parseJob({ ...JOB, backend: 'wasm', sweep: { method: ['ao', 'no-cache'] } }));
  assert.is(message, 'job.backend must be an engine that runs method no-cache (float64); wasm runs methods ao and joint (point 1 runs method no-cache)');
  assert.match(await errorOf(() => parseJob({ ...JOB, backend: 'auto', base: { M: 4, method: 'local-all' } })), /^job\.backend must be an engine that runs method local-all \(float64\); auto runs methods ao and joint/);
  assert.is(parseJob({ ...JOB, base: { M: 4, method: 'equal-radio' } }).backend, 'float64');
});

test('the job validator follows the methods of the table', async () => {
  await withEngine('wasm', { methods: ['ao'] }, async () => {
    assert.match(await errorOf(() => parseJob({ ...JOB, backend: 'wasm', base: { M: 4, method: 'joint' } })), new RegExp(`job\\.backend must be an engine that runs method joint \\(${ENGINE_NAMES.filter((e) => e !== 'wasm').join(', ')}\\); wasm runs methods ao \\(`));
  });
  await withEngine('cpu', { methods: METHODS }, () => {
    assert.is(parseJob({ ...JOB, backend: 'cpu', base: { M: 4, method: 'no-cache' } }).backend, 'cpu');
  });
});

test('solve --batch refuses a baseline on wasm before starting it, naming --backend', async () => {
  const settings = resolveSettings({ M: 4, method: 'offload-all' });
  const message = await errorOf(() => solveBatch({ settings, seed: 1, point: null, first: 0, count: 2, backend: 'wasm' }));
  assert.is(message, '--backend must be an engine that runs method offload-all (float64); wasm runs methods ao and joint');
});

test('solve --batch\'s --backend choices are the table\'s engines and auto, each described in the help', () => {
  const help = dtmc(['solve', '--help']);
  assert.is(help.status, 0, help.stderr);
  const choices = /--backend[^\n]*\[choices: ([^\]]*)\]/.exec(help.stdout)?.[1];
  assert.ok(choices, help.stdout);
  assert.equal(choices.split(', ').map((c) => JSON.parse(c)), ['auto', ...ENGINE_NAMES]);
  assert.equal(ENGINE_CHOICES, ['auto', ...ENGINE_NAMES]);
  for (const e of ENGINE_NAMES) assert.ok(help.stdout.includes(ENGINES[e].description), `${e}'s description in the help`);
  const byChunk = new Map<number, string[]>();
  for (const e of BACKEND_NAMES) byChunk.set(ENGINES[e].defaultChunk, [...(byChunk.get(ENGINES[e].defaultChunk) ?? []), e]);
  for (const [n, es] of byChunk) assert.ok(help.stdout.includes(`${n} on ${es.join(' and ')}`), `the help's default chunk of ${es.join(', ')}`);
});

test('solve --batch takes its default chunk from the table', async () => {
  const settings = resolveSettings({ M: 4 });
  await withEngine('cpu', { defaultChunk: 2 }, async () => {
    const { summary } = await solveBatch({ settings, seed: 1, point: null, first: 0, count: 3, backend: 'cpu' });
    assert.is(summary.chunk, 2);
    assert.is(summary.solved, 3);
  });
  await withEngine('float64', { defaultChunk: 1 }, async () => {
    const { summary } = await solveBatch({ settings, seed: 1, point: null, first: 0, count: 64, backend: 'float64' });
    assert.is(summary.chunk, 1, 'at most the table\'s, per worker task');
  });
});

test('dtmc run gives an engine that owns its device one worker', async () => {
  const logs: string[] = [];
  const outcome = await withEngine('float64', { ownsDevice: true }, () => runJob({
    job: parseJob({ ...JOB, workers: 2 }), outDir: join(dir, 'out'), shard: { index: 0, count: 1 },
    progress: 'none', engineVersion: 'test', log: (l) => logs.push(l),
  }));
  assert.is(outcome.workers, 1);
  assert.is(outcome.written, 2);
  assert.ok(logs.includes('backend float64: one worker owns the device (asked for 2)'), logs.join('\n'));
});

test('the engine check reports what the table finds missing, naming the backend', async () => {
  await checkEngineStarts('wasm');
  const message = await withEngine('wasm', { missing: async () => 'no .wasm files here' }, () => errorOf(() => checkEngineStarts('wasm')));
  assert.is(message, 'backend wasm cannot start on this machine: no .wasm files here');
});

test('doctor reports every engine of the table but float64, with its install hint when it cannot start', async () => {
  const r = await withEngine('cpu', { start: async () => { throw new DtmcError('backend', 'the cpu backend failed to initialise'); } }, () => doctor());
  assert.equal(r.backends.map((b) => b.backend), ENGINE_NAMES.filter((e) => e !== 'float64'));
  const cpu = r.backends.find((b) => b.backend === 'cpu')!;
  assert.equal([cpu.ok, cpu.detail, cpu.fix], [false, 'failed to initialise', ENGINES.cpu.installHint]);
  for (const b of r.backends) {
    assert.is(b.description, ENGINES[b.backend].description);
    if (!b.ok) assert.is(b.fix, ENGINES[b.backend].installHint, b.backend);
  }
  await ENGINES.wasm.start(); // doctor leaves the last engine it started running
});

test('the tensor kernels refuse a method their engine does not run, naming the engines that do', async () => {
  assert.is(await errorOf(() => requireMethod('wasm', 'no-cache')), 'method no-cache runs on float64 only; the wasm engine runs methods ao and joint');
  assert.match(await errorOf(() => requireMethod('webgl', 'ao')), /^the running tfjs backend must be one of float64, wasm, cpu, webgpu, tensorflow, got "webgl"/);
  const { solveAoBatch } = await import('../../kernels/solve-ao-batch.js');
  await ENGINES.wasm.start();
  const settings = resolveSettings({ M: 4, method: 'no-cache' });
  const problem = toProblem(generateScenario(settings, { seed: 1, point: null, realisation: 0 }), settings);
  assert.is(await errorOf(() => solveAoBatch([problem])), 'method no-cache runs on float64 only; the wasm engine runs methods ao and joint');
});

/** The packages a compiled module reaches by static imports (dynamic `import()` left out), and the files. */
function staticGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*(?:import|export)\s(?:[^'";]*?\sfrom\s)?\s*['"]([^'"]+)['"]/gm)) {
      const spec = m[1];
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      else if (!spec.startsWith('node:')) packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
    }
  };
  visit(join(ROOT, 'dist', entry));
  return { files, packages };
}

const loadsTfjs = (packages: Set<string>): string[] => [...packages].filter((p) => p.startsWith('@tensorflow/') || p === 'webgpu');

test('importing the table, or the worker of a float64 job, loads no tfjs or webgpu', () => {
  const table = staticGraph('kernels/engines.js');
  assert.ok(table.packages.has('zod'), 'the walk reaches engine/settings.js and its zod');
  assert.equal(loadsTfjs(table.packages), []);
  const worker = staticGraph('jobs/worker.js');
  assert.ok([...worker.files].some((f) => f.endsWith('engines.js')), 'the worker reads the table');
  assert.equal(loadsTfjs(worker.packages), []);
  assert.equal(loadsTfjs(staticGraph('kernels/backend.js').packages), ['@tensorflow/tfjs-core'], 'the walk sees a static tfjs import');
});

test.run();
