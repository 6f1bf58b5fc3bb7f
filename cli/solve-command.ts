/**
 * `dtmc solve`: one realisation, generated or read from a file, solved by the float64 reference
 * AO solver (engine/ao/solve-ao.ts), reported as text or as one JSON object; or, with
 * `--batch N`, N generated realisations on the fastest engine present (or the one named by
 * `--backend`), summarised.
 */
import { writeFileSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { solveAo } from '../engine/ao/solve-ao.js';
import { DtmcError, fail } from '../engine/errors.js';
import { toProblem, type Scenario } from '../engine/problem.js';
import { checkScenarioMatchesSettings, readScenarioFile } from '../engine/scenario-file.js';
import { generateScenario } from '../engine/scenario.js';
import { parseAssignments, resolveSettings, type Settings } from '../engine/settings.js';
import { exitCodeForStatus, exitCodesHelp } from './exit-codes.js';
import { formatSolveReport } from './format-report.js';
import { packageVersion } from './package-info.js';
import { buildSolveReport, type RunKey, type SolveReport } from './solve-report.js';
import { formatBatchSummary, solveBatch } from './solve-batch.js';
import { ENGINE_CHOICES, ENGINE_NAMES, ENGINES, engineLines, type EngineChoice } from '../kernels/engines.js';

/** What to solve, as the options give it (defaults already applied). */
export interface SolveInput {
  /** Job seed, realisation index and sweep point (null: common random numbers). */
  seed: number;
  realisation: number;
  point: number | null;
  /** `NAME=VALUE` settings overrides, applied over the scenario file's params. */
  set: readonly string[];
  /** A scenario file to read instead of generating the realisation. */
  scenario?: string;
  /** Where to write the realisation as a scenario file (for replay), before solving. */
  saveScenario?: string;
}

export const DEFAULT_SEED = 1;
export const DEFAULT_REALISATION = 0;
const MAX_REALISATION = 0xffffffff;
const MAX_POINT = 0xfffffffe;

/** Fails unless the option's value is an integer in [0, max]. */
function checkIndex(option: string, value: number, max: number): void {
  if (!(Number.isSafeInteger(value) && value >= 0 && value <= max)) {
    fail('invalid-argument', `--${option} must be an integer in [0, ${max}], got ${value}`);
  }
}

/**
 * The scenario and settings of the run. With a file, settings are the defaults, then the file's
 * params, then `--set`; M defaults to the file's number of devices when neither sets it.
 */
export function prepareRealisation(input: SolveInput): { scenario: Scenario; settings: Settings; key: RunKey } {
  const setOverrides = parseAssignments(input.set);
  resolveSettings(setOverrides); // names a bad --set field on its own, before any file is read
  if (input.scenario === undefined) {
    checkIndex('seed', input.seed, Number.MAX_SAFE_INTEGER);
    checkIndex('realisation', input.realisation, MAX_REALISATION);
    if (input.point !== null) checkIndex('point', input.point, MAX_POINT);
    const settings = resolveSettings(setOverrides);
    const key = { seed: input.seed, point: input.point, realisation: input.realisation };
    return { scenario: generateScenario(settings, key), settings, key };
  }
  const source = input.scenario;
  const file = readScenarioFile(source);
  resolveSettings(file.overrides, `${source}: params`);
  const devices = file.scenario.gain.length;
  try {
    resolveSettings({ M: devices });
  } catch (e) {
    if (!(e instanceof DtmcError)) throw e;
    fail('invalid-scenario', `${source}: the scenario has ${devices} devices (entries in gain), but ${e.message.replace(/^settings\./, '')}`);
  }
  const settings = resolveSettings({ M: devices, ...file.overrides, ...setOverrides });
  checkScenarioMatchesSettings(file.scenario, settings, source);
  return { scenario: file.scenario, settings, key: { scenario: source } };
}

/** Writes a realisation as a scenario file that `--scenario` reads back with the same settings. */
export function saveScenarioFile(path: string, scenario: Scenario, settings: Settings): void {
  const text = `${JSON.stringify({ ...scenario, params: settings }, null, 2)}\n`;
  try {
    writeFileSync(path, text);
  } catch (e) {
    fail('io', `cannot write scenario file ${path}: ${(e as Error).message}`);
  }
}

/** Prepares, solves and reports one realisation. Bad input throws a DtmcError before solving. */
export function solveRealisation(input: SolveInput, version = packageVersion()): SolveReport {
  const { scenario, settings, key } = prepareRealisation(input);
  if (input.saveScenario !== undefined) saveScenarioFile(input.saveScenario, scenario, settings);
  const problem = toProblem(scenario, settings);
  const t0 = performance.now();
  const result = solveAo(problem);
  const timeMs = performance.now() - t0;
  return buildSolveReport(problem, result, settings, key, timeMs, version);
}

interface SolveArgs {
  seed?: number;
  realisation?: number;
  point?: number;
  set?: string[];
  scenario?: string;
  'save-scenario'?: string;
  json: boolean;
  batch?: number;
  chunk?: number;
  backend: string;
}

/** The engines' default --chunk in words: "1024 on wasm and cpu, 100000 on webgpu and tensorflow; ...". */
const DEFAULT_CHUNKS = (() => {
  const byChunk = new Map<number, string[]>();
  for (const e of ENGINE_NAMES.filter((n) => ENGINES[n].solver !== 'reference')) {
    byChunk.set(ENGINES[e].defaultChunk, [...(byChunk.get(ENGINES[e].defaultChunk) ?? []), e]);
  }
  return `${[...byChunk].map(([n, es]) => `${n} on ${es.join(' and ')}`).join(', ')}; on float64 a quarter of each worker's share, at most ${ENGINES.float64.defaultChunk}`;
})();

const EPILOG = [
  'Without --scenario the realisation is drawn from the counter-based stream keyed by',
  '(seed, point, realisation); without --point it uses common random numbers, so realisation r',
  'is the same at every sweep point. A scenario file is {"gain": [..], "cycles": [..],',
  '"bits": [..], "params": {..}} (SI units, one entry per UE); its params are applied first,',
  'then --set, and M defaults to the number of devices in the file. --json prints one object',
  'whose non-finite numbers (no objective when infeasible) are null. See `dtmc params` for',
  'every settings name.',
  '',
  'Engines of --batch (--backend):',
  ...engineLines(),
  '',
  exitCodesHelp('solve'),
].join('\n');

export const solveCommand: CommandModule<object, SolveArgs> = {
  command: 'solve',
  describe: 'Solve one realisation with the float64 reference AO solver, or --batch N on the fastest engine',
  builder: (y: Argv<object>): Argv<SolveArgs> =>
    y
      .option('seed', { type: 'number', describe: `job seed, a non-negative integer [default: ${DEFAULT_SEED}]` })
      .option('realisation', { alias: 'r', type: 'number', describe: `realisation index [default: ${DEFAULT_REALISATION}]` })
      .option('point', { type: 'number', describe: 'sweep-point index for independent draws per point [default: none, common random numbers]' })
      .option('set', {
        type: 'string', array: true, requiresArg: true,
        describe: 'override a parameter by its settings name, NAME=VALUE (repeatable)',
      })
      .option('scenario', { type: 'string', requiresArg: true, describe: 'read the realisation from a JSON scenario file' })
      .option('save-scenario', { type: 'string', requiresArg: true, describe: 'write the realisation, with its settings as params, to a scenario file' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object and nothing else' })
      .option('batch', { type: 'number', describe: 'solve N generated realisations (from --realisation on) and print a summary' })
      .option('chunk', {
        type: 'number',
        describe: `realisations per tensor batch, or per worker task on float64 (with --batch) [default: ${DEFAULT_CHUNKS}]`,
      })
      .option('backend', {
        type: 'string', default: 'auto', choices: [...ENGINE_CHOICES],
        describe: `engine (with --batch): ${ENGINE_CHOICES.join(', ')} (each described below)`,
      })
      .conflicts('scenario', ['seed', 'realisation', 'point'])
      .conflicts('batch', ['scenario', 'save-scenario'])
      .example('$0 solve', 'seed 1, realisation 0, the letter\'s defaults')
      .example('$0 solve --seed 7 --realisation 3 --json', 'another realisation, as JSON')
      .example('$0 solve --set eMaxMj=2 --set M=10', 'override parameters by name')
      .example('$0 solve --scenario case.json --set sMaxKbit=0', 'a realisation from a file, no cache')
      .example('$0 solve --set method=joint', 'the AO, then the joint optimiser from its point')
      .example('$0 solve --batch 1000', '1000 realisations on the fastest engine present, summarised')
      .example('$0 solve --batch 1000 --backend wasm', 'the same on the tensor engine\'s wasm backend')
      .epilog(EPILOG),
  handler: async (args) => {
    if (args.batch !== undefined) {
      const { settings } = prepareRealisation({ seed: args.seed ?? DEFAULT_SEED, realisation: args.realisation ?? DEFAULT_REALISATION, point: args.point ?? null, set: args.set ?? [] });
      const { summary } = await solveBatch({
        settings, seed: args.seed ?? DEFAULT_SEED, point: args.point ?? null, first: args.realisation ?? DEFAULT_REALISATION,
        count: args.batch, chunk: args.chunk, backend: args.backend as EngineChoice,
        onChunk: args.json ? undefined : (done, total) => process.stderr.write(`solved ${done}/${total}\n`),
      });
      process.stdout.write(args.json ? `${JSON.stringify(summary)}\n` : formatBatchSummary(summary));
      process.exitCode = summary.solved === summary.count ? 0 : exitCodeForStatus('numerical-failure');
      return;
    }
    const report = solveRealisation({
      seed: args.seed ?? DEFAULT_SEED,
      realisation: args.realisation ?? DEFAULT_REALISATION,
      point: args.point ?? null,
      set: args.set ?? [],
      scenario: args.scenario,
      saveScenario: args['save-scenario'],
    });
    process.stdout.write(args.json ? `${JSON.stringify(report)}\n` : formatSolveReport(report));
    process.exitCode = exitCodeForStatus(report.status);
  },
};
