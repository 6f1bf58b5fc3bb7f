/**
 * The one typed parameter set of the engine (SPEC section 5).
 *
 * Every parameter is declared once in `PARAMETERS` with its default, unit, source (paper or
 * assumed), allowed range and a one-line doc. The zod schema, the CLI's `--set NAME=VALUE`
 * parsing, the `params` command and the README table are all derived from that declaration.
 */
import { z } from 'zod';
import { fail } from './errors.js';

/** How SP1 ranks the UEs it visits (SPEC section 3, step 1). */
export type CachingRule = 'latency' | 'saving';
export interface Settings {
  M: number;
  L: number;
  areaSideM: number;
  minDistanceM: number;
  pathLossInterceptDb: number;
  pathLossSlopeDb: number;
  bandwidthMHz: number;
  noiseDbmPerHz: number;
  pMaxDbm: number;
  epsilon: number;
  phiMs: number;
  rMinMbps: number;
  taskBytes: number;
  etaMinCyclesPerByte: number;
  etaMaxCyclesPerByte: number;
  fUeMaxGHz: number;
  fEsMaxGHz: number;
  tMaxMs: number;
  sMaxKbit: number;
  eMaxMj: number;
  theta: number;
  deltaUe: number;
  deltaEs: number;
  tolerance: number;
  maxIterations: number;
  cachingRule: CachingRule;
  method: Method;
}

type NumericName = Exclude<keyof Settings, 'cachingRule' | 'method'>;

interface NumericParameter {
  name: NumericName;
  symbol: string;
  default: number;
  unit: string;
  source: 'paper' | 'assumed';
  doc: string;
  min: number;
  max: number;
  /** Whether the bounds themselves are allowed. */
  minInclusive: boolean;
  maxInclusive: boolean;
  integer?: boolean;
}

const p = (
  name: NumericName, symbol: string, dflt: number, unit: string, source: 'paper' | 'assumed',
  doc: string, range: string, integer = false,
): NumericParameter => {
  // range is written as in maths: "(0, 100]" or "[1, 1000]".
  const m = /^([[(])\s*(-?[\d.e+-]+)\s*,\s*(-?[\d.e+-]+)\s*([\])])$/.exec(range);
  if (!m) throw new Error(`bad range literal ${range} for ${name}`);
  return {
    name, symbol, default: dflt, unit, source, doc, integer,
    min: Number(m[2]), max: Number(m[3]), minInclusive: m[1] === '[', maxInclusive: m[4] === ']',
  };
};

/** Every numeric parameter, in the order of SPEC section 5. */
export const PARAMETERS: readonly NumericParameter[] = [
  p('M', 'M', 15, 'devices', 'paper', 'number of user devices (UEs)', '[1, 1000]', true),
  p('L', 'L', 8, 'antennas', 'paper', 'antennas at the access point', '[1, 1024]', true),
  p('areaSideM', '-', 100, 'm', 'paper', 'side of the square area; the AP sits at its centre', '(0, 100000]'),
  p('minDistanceM', 'dmin', 1, 'm', 'assumed', 'distances are clamped below at this value', '(0, 10000]'),
  p('pathLossInterceptDb', 'PL0', -35.3, 'dB', 'paper', 'PL(d) = PL0 - slope log10(d / 1 m)', '[-300, 0]'),
  p('pathLossSlopeDb', 'slope', 37.6, 'dB/decade', 'paper', 'path-loss slope', '[0, 200]'),
  p('bandwidthMHz', 'B', 5, 'MHz', 'paper', 'system bandwidth', '(0, 100000]'),
  p('noiseDbmPerHz', 'N0', -174, 'dBm/Hz', 'paper', 'noise power spectral density', '[-300, 0]'),
  p('pMaxDbm', 'Pmax', 23, 'dBm', 'paper', 'maximum transmit power (the letter\'s "23 dB" read as dBm)', '[-100, 60]'),
  p('epsilon', 'eps', 1e-7, '-', 'paper', 'decoding error probability', '(0, 0.5)'),
  p('phiMs', 'phi', 0.1, 'ms', 'assumed', 'transmission time interval of the finite-blocklength rate', '(0, 100000]'),
  p('rMinMbps', 'Rmin', 1, 'Mbit/s', 'assumed', 'minimum URLLC rate of every UE (6d)', '(0, 1000000]'),
  p('taskBytes', 'D', 1354, 'bytes', 'paper', 'task data size (D_m = 8 x taskBytes bits)', '(0, 1000000000]'),
  p('etaMinCyclesPerByte', 'eta_min', 100, 'cycles/byte', 'paper', 'lower bound of eta = C/D, drawn per UE', '(0, 1000000]'),
  p('etaMaxCyclesPerByte', 'eta_max', 300, 'cycles/byte', 'paper', 'upper bound of eta = C/D, drawn per UE', '(0, 1000000]'),
  p('fUeMaxGHz', 'Fue_max', 1.5, 'GHz', 'paper', 'maximum CPU rate of a UE', '(0, 1000]'),
  p('fEsMaxGHz', 'Fes_max', 30, 'GHz', 'paper', 'CPU capacity of the edge server (6f)', '(0, 100000]'),
  p('tMaxMs', 'Tmax', 10, 'ms', 'paper', 'latency limit of every task (6b)', '(0, 1000000]'),
  p('sMaxKbit', 'Smax', 60, 'kbit', 'paper', 'edge cache capacity (6g), 1 kbit = 1000 bits (unit assumed)', '[0, 1000000000]'),
  p('eMaxMj', 'Emax', 3, 'mJ', 'paper', 'energy budget of every UE (6e)', '(0, 1000000]'),
  p('theta', 'theta', 1e-26, 'W s^3/cycle^3', 'paper', 'effective switched capacitance of the UE CPU', '(0, 1e-10]'),
  p('deltaUe', 'delta_ue', 0, '-', 'paper', 'digital-twin deviation of the UE CPU rate: real = (1 - delta) x estimated', '(-1, 1)'),
  p('deltaEs', 'delta_es', 0, '-', 'paper', 'digital-twin deviation of the ES CPU rate: real = (1 - delta) x estimated', '(-1, 1)'),
  p('tolerance', 'tol', 1e-3, '-', 'paper', 'AO stop rule |J(i) - J(i-1)| <= tol J(i-1)', '(0, 1)'),
  p('maxIterations', 'Imax', 20, 'iterations', 'paper', 'AO iteration limit', '[1, 100000]', true),
];

export const CACHING_RULES: readonly CachingRule[] = ['latency', 'saving'];
/**
 * What is optimised: `ao`, the letter's Algorithm 1; `joint`, the AO then the joint SCA from its
 * point; or a baseline that fixes part of the decisions and optimises the rest with the same AO:
 * `no-cache` (nothing cached), `offload-all` (alpha = 0), `local-all` (alpha = 1), `equal-radio`
 * (b = 1/M at p = Pmax). What each fixes: engine/ao/variant.ts.
 */
export const METHODS = ['ao', 'joint', 'no-cache', 'offload-all', 'local-all', 'equal-radio'] as const;
export type Method = (typeof METHODS)[number];

const rangeText = (q: NumericParameter): string =>
  `${q.minInclusive ? '[' : '('}${q.min}, ${q.max}${q.maxInclusive ? ']' : ')'}`;

const numberSchema = (q: NumericParameter) => {
  const msg = `must be ${q.integer ? 'an integer' : 'a number'} in ${rangeText(q)} (${q.unit})`;
  let s = z.number({ error: msg }).refine(Number.isFinite, { message: msg });
  if (q.integer) s = s.refine(Number.isInteger, { message: msg });
  return s.refine(
    (v) => (q.minInclusive ? v >= q.min : v > q.min) && (q.maxInclusive ? v <= q.max : v < q.max),
    { message: msg },
  );
};

const shape = Object.fromEntries(PARAMETERS.map((q) => [q.name, numberSchema(q).optional()]));

const overridesSchema = z
  .strictObject({
    ...shape,
    cachingRule: z.enum(CACHING_RULES as [CachingRule, ...CachingRule[]], {
      error: `must be one of ${CACHING_RULES.join(', ')}`,
    }).optional(),
    method: z.enum(METHODS, { error: `must be one of ${METHODS.join(', ')}` }).optional(),
  }, { error: (iss) => (iss.code === 'unrecognized_keys' ? `unknown parameter(s) ${iss.keys.join(', ')}; known: ${Object.keys(DEFAULT_SETTINGS).join(', ')}` : 'must be an object of parameter overrides') });

/** SPEC section 5 defaults. */
export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  ...(Object.fromEntries(PARAMETERS.map((q) => [q.name, q.default])) as Omit<Settings, 'cachingRule' | 'method'>),
  cachingRule: 'latency' as CachingRule,
  method: 'ao' as Method,
});

/**
 * Validates overrides against the parameter table and merges them over the defaults.
 * Throws a `DtmcError` that names every bad field and its allowed range.
 * @param where prefix for field names in messages (for example "scenario params").
 */
export function resolveSettings(overrides: unknown = {}, where = 'settings'): Settings {
  const parsed = overridesSchema.safeParse(overrides ?? {});
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      return i.path.length ? `${where}.${i.path.join('.')} ${i.message}` : `${where}: ${i.message}`;
    });
    fail('invalid-settings', lines.join('\n'));
  }
  const settings = { ...DEFAULT_SETTINGS, ...(parsed.data as Partial<Settings>) };
  if (settings.etaMinCyclesPerByte > settings.etaMaxCyclesPerByte) {
    fail('invalid-settings',
      `${where}.etaMinCyclesPerByte (${settings.etaMinCyclesPerByte}) must not exceed ${where}.etaMaxCyclesPerByte (${settings.etaMaxCyclesPerByte})`);
  }
  return settings;
}

/**
 * Parses `NAME=VALUE` strings (the CLI's `--set`) into an overrides object; values are numbers
 * except for `cachingRule` and `method`. Validation of ranges happens in `resolveSettings`.
 */
export function parseAssignments(assignments: readonly string[]): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const a of assignments) {
    const eq = a.indexOf('=');
    if (eq <= 0) fail('invalid-settings', `--set expects NAME=VALUE, got "${a}"`);
    const name = a.slice(0, eq).trim();
    const raw = a.slice(eq + 1).trim();
    if (name === 'cachingRule' || name === 'method') {
      out[name] = raw;
    } else {
      const v = raw === '' ? Number.NaN : Number(raw);
      if (Number.isNaN(v)) fail('invalid-settings', `--set ${name}: "${raw}" is not a number`);
      out[name] = v;
    }
  }
  return out;
}

/** Rows for the parameter table (README, `params` command). */
export interface ParameterRow { name: string; symbol: string; default: string; unit: string; range: string; source: string; doc: string }

export function parameterTable(): ParameterRow[] {
  const rows = PARAMETERS.map((q): ParameterRow => ({
    name: q.name, symbol: q.symbol, default: String(q.default), unit: q.unit,
    range: rangeText(q), source: q.source, doc: q.doc,
  }));
  rows.push({
    name: 'cachingRule', symbol: '-', default: DEFAULT_SETTINGS.cachingRule, unit: '-',
    range: CACHING_RULES.join(' | '), source: 'assumed',
    doc: 'SP1 visiting order: latency (the letter: descending t_m) or saving (descending t_m - C/f\'es)',
  });
  rows.push({
    name: 'method', symbol: '-', default: DEFAULT_SETTINGS.method, unit: '-', range: METHODS.join(' | '), source: 'assumed',
    doc: 'ao (Algorithm 1); joint (the AO, then the joint SCA over every continuous variable from its point); or a baseline with the rest optimised by the same AO: no-cache, offload-all (alpha = 0), local-all (alpha = 1), equal-radio (b = 1/M, p = Pmax)',
  });
  return rows;
}
