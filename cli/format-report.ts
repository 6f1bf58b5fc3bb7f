/**
 * Text formatting of the CLI: numbers, aligned and Markdown tables, and the readable report of
 * `dtmc solve`. Small pure functions from data to strings; no I/O.
 */
import { DEFAULT_SETTINGS, type ParameterRow, type Settings } from '../engine/settings.js';
import type { RunKey, SolveReport } from './solve-report.js';

export type Align = 'left' | 'right';

/** Shown in the device table for a variable with no effect on that UE. */
export const NO_EFFECT = '-';

/**
 * `v` with `digits` decimals; a non-zero value that would print as zero is written in
 * exponent form instead (`3.2e-7`), and non-finite values as `NaN`, `inf`, `-inf`.
 */
export function formatFixed(v: number, digits: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (v !== 0 && Math.abs(v) < 0.5 * 10 ** -digits) return v.toExponential(1);
  const s = v.toFixed(digits);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
}

/** `v` in exponent form with `digits` decimals (`1.23e-9`); exactly zero prints as `0`. */
export function formatSci(v: number, digits = 2): string {
  if (v === 0) return '0';
  return Number.isFinite(v) ? v.toExponential(digits) : formatFixed(v, 0);
}

/**
 * Lines of a plain-text table: the header, a rule of dashes, then the rows, each column padded
 * to its widest cell and aligned as `align` says (left when not given).
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], align: readonly Align[] = []): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    widths
      .map((w, c) => ((align[c] ?? 'left') === 'right' ? (cells[c] ?? '').padStart(w) : (cells[c] ?? '').padEnd(w)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

/** A Markdown cell: pipes escaped, line breaks flattened. */
export const markdownCell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

/** Lines of a GitHub-flavoured Markdown table. */
export function formatMarkdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const line = (cells: readonly string[]): string => `| ${cells.map(markdownCell).join(' | ')} |`;
  return [line(header), `|${header.map(() => ' --- ').join('|')}|`, ...rows.map(line)];
}

// ---------------------------------------------------------------------------------------------
// dtmc params

export const PARAMETER_COLUMNS = ['name', 'symbol', 'default', 'unit', 'range', 'source', 'doc'] as const;

const parameterCells = (r: ParameterRow): string[] => PARAMETER_COLUMNS.map((c) => r[c]);

/** The parameter table as aligned plain text. */
export const formatParameterTable = (rows: readonly ParameterRow[]): string[] =>
  formatTable(PARAMETER_COLUMNS, rows.map(parameterCells));

/** The parameter table in Markdown, names in code spans (for the README). */
export const formatParameterMarkdown = (rows: readonly ParameterRow[]): string[] =>
  formatMarkdownTable(PARAMETER_COLUMNS, rows.map((r) => [`\`${r.name}\``, ...parameterCells(r).slice(1)]));

// ---------------------------------------------------------------------------------------------
// dtmc solve

export const DEVICE_COLUMNS = [
  'UE', 'cached', 'alpha', 'b share', 'p [W]', 'f_ue [GHz]', 'f_es [GHz]', 'latency [ms]', 'energy [mJ]', 'rate [Mbit/s]',
] as const;

/**
 * One row per device. Variables with no effect on a UE show `-`: alpha and f_ue of a cached
 * UE, f_ue when alpha = 0, f_es when the task is uncached and alpha = 1.
 */
export function deviceRows(r: SolveReport): string[][] {
  const rows: string[][] = [];
  for (let m = 0; m < r.M; m++) {
    const cached = r.cached[m] === 1;
    const alpha = r.alpha[m];
    rows.push([
      String(m),
      cached ? 'yes' : 'no',
      cached ? NO_EFFECT : formatFixed(alpha, 3),
      formatFixed(r.bandwidth[m], 4),
      formatFixed(r.powerW[m], 4),
      cached || alpha === 0 ? NO_EFFECT : formatFixed(r.fUeGHz[m], 3),
      !cached && alpha === 1 ? NO_EFFECT : formatFixed(r.fEsGHz[m], 3),
      formatFixed(r.latencyMs[m], 3),
      formatFixed(r.energyMj[m], 4),
      formatFixed(r.rateMbps[m], 2),
    ]);
  }
  return rows;
}

/** The device table, numbers right-aligned. */
export const formatDeviceTable = (r: SolveReport): string[] =>
  formatTable(DEVICE_COLUMNS, deviceRows(r), ['right', 'left', ...DEVICE_COLUMNS.slice(2).map((): Align => 'right')]);

/** "converged after 6 iterations | J = ... | max violation ... | time ..." */
export function formatHeader(r: SolveReport): string {
  const iterations = `${r.iterations} iteration${r.iterations === 1 ? '' : 's'}`;
  const where = r.violatedConstraint === null
    ? ''
    : ` (${r.violatedConstraint}${r.violatedDevice === null ? '' : `, UE ${r.violatedDevice}`})`;
  if (r.status === 'infeasible') {
    const what = r.failedConstraint === null ? '' : ` | (${r.failedConstraint}) cannot hold${r.proven ? ', proven' : ' (heuristic verdict)'}`;
    return `infeasible after ${iterations}${what} | time ${formatFixed(r.timeMs, 1)} ms`;
  }
  return [
    `${r.status} after ${iterations}`,
    Number.isFinite(r.objectiveMs)
      ? `J = ${formatFixed(r.objectiveMs, 3)} ms (V=1), ${formatFixed(r.objectiveExactMs, 3)} ms (exact)`
      : 'J = n/a',
    `max violation ${formatSci(r.maxViolation)}${where}`,
    `time ${formatFixed(r.timeMs, 1)} ms`,
  ].join(' | ');
}

/** Which realisation: "seed 1, realisation 0, common random numbers, M = 15". */
export function formatKey(key: RunKey, M: number): string {
  if ('scenario' in key) return `scenario file ${key.scenario}, M = ${M}`;
  const point = key.point === null ? 'common random numbers' : `point ${key.point}`;
  return `seed ${key.seed}, realisation ${key.realisation}, ${point}, M = ${M}`;
}

/** "settings: paper defaults" or "settings: eMaxMj=2, sMaxKbit=0 (others at the paper's defaults)". */
export function formatSettings(settings: Settings): string {
  const changed = (Object.keys(DEFAULT_SETTINGS) as (keyof Settings)[])
    .filter((k) => settings[k] !== DEFAULT_SETTINGS[k])
    .map((k) => `${k}=${settings[k]}`);
  return changed.length ? `settings: ${changed.join(', ')} (others at the paper's defaults)` : 'settings: paper defaults';
}

/** "J per iteration [ms]: 30.124 -> 20.500 -> 20.481" */
export const formatTrace = (traceMs: readonly number[]): string =>
  `J per iteration [ms]: ${traceMs.length ? traceMs.map((j) => formatFixed(j, 3)).join(' -> ') : '(none)'}`;

/**
 * "start: direct | SP3: 6 calls, 6 certified, max relative gap 1.2e-9", and with method joint
 * " | joint SCA: 2 steps (converged), 2/2 certified, J 14.871 -> 14.551 ms (-2.15%)".
 */
export function formatSolverLine(r: SolveReport): string {
  const line = `start: ${r.start} | SP3: ${r.sp3.calls} calls, ${r.sp3.certified} certified, max relative gap ${formatSci(r.sp3.maxRelativeGap)}`;
  const j = r.joint;
  if (!j) return line;
  const change = (100 * (j.endMs - j.startMs)) / j.startMs;
  return `${line}\njoint SCA: ${j.steps} steps (${j.stop}), ${j.certified}/${j.solves} certified, `
    + `J ${formatFixed(j.startMs, 3)} -> ${formatFixed(j.endMs, 3)} ms (${change <= 0 ? '' : '+'}${formatFixed(change, 2)}%)`;
}

/**
 * The whole readable report of `dtmc solve`, ending with a newline: header, key, solver line,
 * the message when unsolved, the device table (left out when infeasible: there is no point)
 * and the trace.
 */
export function formatSolveReport(r: SolveReport): string {
  const lines = [formatHeader(r), formatKey(r.key, r.M), formatSettings(r.settings), formatSolverLine(r)];
  const unsolved = r.status === 'infeasible' || r.status === 'numerical-failure';
  if (unsolved) lines.push(`message: ${r.message || '(none)'}`);
  if (r.status !== 'infeasible') lines.push('', ...formatDeviceTable(r));
  lines.push('', formatTrace(r.trace));
  if (r.message && !unsolved) lines.push(`note: ${r.message}`);
  return `${lines.join('\n')}\n`;
}
