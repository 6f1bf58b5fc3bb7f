/**
 * Scenario files: one realisation given by hand instead of drawn.
 *
 *   { "gain": [..], "cycles": [..], "bits": [..], "params": { "M": 3, ... } }
 *
 * gain is ||h_m||^2 (linear), cycles C_m [cycles], bits D_m [bits], all positive finite and of one
 * common length M; params is optional and holds settings overrides, validated later by
 * `resolveSettings`. Every error names the file and the field.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { fail } from './errors.js';
import type { Scenario } from './problem.js';
import type { Settings } from './settings.js';

/** The per-UE fields, in the order messages compare their lengths. */
const ARRAY_FIELDS = ['gain', 'cycles', 'bits'] as const;
const ALLOWED_KEYS = [...ARRAY_FIELDS, 'params'];
/** At most this many issues are listed in one error message. */
const MAX_LISTED_ISSUES = 10;

/** The offending value as a message shows it: `-2`, `Infinity`, `the string "NaN"`, `null`. */
const shown = (v: unknown): string =>
  typeof v === 'string' ? `the string ${JSON.stringify(v)}` : typeof v === 'number' ? String(v) : JSON.stringify(v) ?? String(v);

const positiveFiniteMessage = (iss: { input?: unknown }): string => `must be a positive finite number, got ${shown(iss.input)}`;

const positiveFinite = z
  .number({ error: positiveFiniteMessage })
  .refine((v) => Number.isFinite(v) && v > 0, { error: positiveFiniteMessage });

const perUeArray = (doc: string) =>
  z
    .array(positiveFinite, {
      error: (iss) => (iss.input === undefined ? `is required (${doc})` : `must be an array (${doc})`),
    })
    .min(1, { error: 'must have at least one entry (one per UE)' });

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const scenarioFileSchema = z.strictObject(
  {
    gain: perUeArray('positive finite numbers, ||h_m||^2 linear'),
    cycles: perUeArray('positive finite numbers, C_m in CPU cycles'),
    bits: perUeArray('positive finite numbers, D_m in bits'),
    params: z
      .custom<Record<string, unknown>>(isPlainObject, {
        error: 'must be an object of settings overrides, for example {"M": 3}',
      })
      .optional(),
  },
  {
    error: (iss) =>
      iss.code === 'unrecognized_keys'
        ? `unknown key(s) ${iss.keys.join(', ')}; allowed: ${ALLOWED_KEYS.join(', ')}`
        : `must be a JSON object with keys ${ALLOWED_KEYS.join(', ')}`,
  },
);

/** "gain[3]" from the path ["gain", 3]; "" for the root. */
const fieldName = (path: readonly PropertyKey[]): string =>
  path.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`)).join('');

/**
 * Parses and validates the text of a scenario file.
 * @param source the file name used in messages
 * @returns the scenario and the raw settings overrides (`{}` when the file has no params)
 */
export function parseScenarioJson(
  text: string,
  source: string,
): { scenario: Scenario; overrides: Record<string, unknown> } {
  let json: unknown;
  try {
    json = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text); // a UTF-8 byte order mark is fine
  } catch (e) {
    fail('invalid-scenario', `${source}: invalid JSON: ${(e as Error).message}`);
  }

  const parsed = scenarioFileSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues;
    const lines = issues.slice(0, MAX_LISTED_ISSUES).map((i) => {
      const field = fieldName(i.path);
      return field ? `${source}: ${field} ${i.message}` : `${source}: ${i.message}`;
    });
    if (issues.length > MAX_LISTED_ISSUES) lines.push(`${source}: ... and ${issues.length - MAX_LISTED_ISSUES} more`);
    fail('invalid-scenario', lines.join('\n'));
  }

  const { gain, cycles, bits, params } = parsed.data;
  for (const name of ARRAY_FIELDS.slice(1)) {
    const n = parsed.data[name].length;
    if (n !== gain.length) {
      const entries = (k: number): string => `${k} ${k === 1 ? 'entry' : 'entries'}`;
      fail('invalid-scenario', `${source}: ${name} has ${entries(n)} but gain has ${entries(gain.length)}`);
    }
  }
  return { scenario: { gain, cycles, bits }, overrides: params ?? {} };
}

/** Reads and validates a scenario file; an unreadable file is an 'io' error naming the path. */
export function readScenarioFile(path: string): { scenario: Scenario; overrides: Record<string, unknown> } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    fail('io', `cannot read scenario file ${path}: ${(e as Error).message}`);
  }
  return parseScenarioJson(text, path);
}

/** Fails unless the scenario has exactly settings.M devices. */
export function checkScenarioMatchesSettings(scenario: Scenario, settings: Settings, source: string): void {
  const n = scenario.gain.length;
  if (n !== settings.M) {
    fail('invalid-scenario',
      `${source}: the scenario has ${n} devices but M = ${settings.M}; set params.M to ${n} in the file or pass --set M=${n}`);
  }
}
