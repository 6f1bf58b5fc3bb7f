import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_SETTINGS, parameterTable } from '../../engine/settings.js';
import { EXIT, exitCodeForStatus } from '../../cli/exit-codes.js';
import {
  formatSettings,
  DEVICE_COLUMNS, NO_EFFECT, deviceRows, formatDeviceTable, formatFixed, formatHeader, formatKey,
  formatMarkdownTable, formatParameterMarkdown, formatParameterTable, formatSci, formatSolveReport,
  formatTable, formatTrace, markdownCell,
} from '../../cli/format-report.js';
import type { SolveReport } from '../../cli/solve-report.js';

/** A three-device report: UE 0 cached, UE 1 all local (alpha = 1), UE 2 all offloaded. */
function sampleReport(over: Partial<SolveReport> = {}): SolveReport {
  return {
    version: '0.0.0', status: 'converged', iterations: 2, objectiveMs: 12.3456, objectiveExactMs: 12.3457,
    trace: [20, 12.5, 12.3456], stepTrace: [], maxViolation: 0, violatedConstraint: null, violatedDevice: null,
    message: '', start: 'direct', failedConstraint: null, proven: false,
    sp3: { calls: 2, certified: 2, maxRelativeGap: 1e-10, kept: 0, newtonSteps: 60 }, joint: null,
    settings: { ...DEFAULT_SETTINGS, M: 3 }, key: { seed: 1, point: null, realisation: 0 }, M: 3,
    cached: [1, 0, 0], alpha: [0.5, 1, 0], bandwidth: [0.01, 0.4, 0.59], powerW: [0.2, 0.2, 0.1],
    fUeGHz: [1.5, 1.2, 1.5], fEsGHz: [3, 2, 10], latencyMs: [0.1, 5.2, 7.0456], latencyExactMs: [0.1, 5.2, 7.0457],
    energyMj: [0, 1.25, 3e-7], rateMbps: [1, 20, 30.5], rateExactMbps: [1, 20, 30.5], timeMs: 42.04,
    ...over,
  };
}

test('formatFixed rounds to the given decimals', () => {
  assert.is(formatFixed(1.23456, 3), '1.235');
  assert.is(formatFixed(2, 2), '2.00');
  assert.is(formatFixed(0, 3), '0.000');
});

test('formatFixed writes tiny non-zero values in exponent form instead of as zero', () => {
  assert.is(formatFixed(3.2e-7, 4), '3.2e-7');
  assert.is(formatFixed(-3.2e-7, 4), '-3.2e-7');
});

test('formatFixed drops the sign of a negative zero', () => {
  assert.is(formatFixed(-0, 2), '0.00');
  assert.is(formatFixed(-0.0001, 2), '-1.0e-4');
});

test('formatFixed names non-finite values', () => {
  assert.is(formatFixed(Number.NaN, 3), 'NaN');
  assert.is(formatFixed(Infinity, 3), 'inf');
  assert.is(formatFixed(-Infinity, 3), '-inf');
});

test('formatSci prints zero as 0 and other values in exponent form', () => {
  assert.is(formatSci(0), '0');
  assert.is(formatSci(1.234e-9), '1.23e-9');
  assert.is(formatSci(Infinity), 'inf');
});

test('formatTable pads every column to its widest cell and right-aligns where asked', () => {
  const lines = formatTable(['a', 'bb'], [['xyz', '1'], ['q', '22.5']], ['left', 'right']);
  assert.equal(lines, ['a      bb', '---  ----', 'xyz     1', 'q    22.5']);
});

test('the device table has lines of one width, its last column being right-aligned', () => {
  const lines = formatDeviceTable(sampleReport());
  assert.is(lines.length, 2 + 3);
  for (const l of lines) assert.is(l.length, lines[0].length, `line "${l}"`);
});

test('markdownCell escapes pipes and flattens line breaks', () => {
  assert.is(markdownCell('a | b\nc'), 'a \\| b c');
});

test('formatMarkdownTable writes a header, a separator and one line per row', () => {
  assert.equal(formatMarkdownTable(['x', 'y'], [['1', 'a|b']]), ['| x | y |', '| --- | --- |', '| 1 | a\\|b |']);
});

test('the parameter tables contain every parameter name', () => {
  const rows = parameterTable();
  const md = formatParameterMarkdown(rows).join('\n');
  const plain = formatParameterTable(rows).join('\n');
  for (const r of rows) {
    assert.ok(md.includes(`| \`${r.name}\` |`), `markdown lacks ${r.name}`);
    assert.ok(plain.includes(r.name), `plain table lacks ${r.name}`);
  }
  assert.is(formatParameterMarkdown(rows).length, rows.length + 2);
});

test('deviceRows shows - for variables with no effect on a UE', () => {
  const rows = deviceRows(sampleReport());
  const col = (name: (typeof DEVICE_COLUMNS)[number]): number => DEVICE_COLUMNS.indexOf(name);
  assert.is(rows.length, 3);
  assert.is(rows[0][col('cached')], 'yes');
  assert.is(rows[0][col('alpha')], NO_EFFECT);
  assert.is(rows[0][col('f_ue [GHz]')], NO_EFFECT);
  assert.is(rows[0][col('f_es [GHz]')], '3.000');
  assert.is(rows[1][col('f_es [GHz]')], NO_EFFECT);
  assert.is(rows[1][col('f_ue [GHz]')], '1.200');
  assert.is(rows[2][col('f_ue [GHz]')], NO_EFFECT);
  assert.is(rows[2][col('UE')], '2');
  assert.is(rows[2][col('energy [mJ]')], '3.0e-7');
});

test('formatHeader gives status, iterations, both objectives, violation and time', () => {
  const h = formatHeader(sampleReport({ maxViolation: 2e-9, violatedConstraint: '6b', violatedDevice: 1 }));
  assert.is(h, 'converged after 2 iterations | J = 12.346 ms (V=1), 12.346 ms (exact) | max violation 2.00e-9 (6b, UE 1) | time 42.0 ms');
});

test('formatHeader of an infeasible report names the failed constraint and whether it is proven', () => {
  const r = sampleReport({ status: 'infeasible', iterations: 0, objectiveMs: Number.NaN, failedConstraint: '6d', proven: true });
  assert.is(formatHeader(r), 'infeasible after 0 iterations | (6d) cannot hold, proven | time 42.0 ms');
});

test('formatKey describes a generated and a file realisation', () => {
  assert.is(formatKey({ seed: 4, point: null, realisation: 2 }, 15), 'seed 4, realisation 2, common random numbers, M = 15');
  assert.is(formatKey({ seed: 4, point: 7, realisation: 2 }, 15), 'seed 4, realisation 2, point 7, M = 15');
  assert.is(formatKey({ scenario: 'a.json' }, 3), 'scenario file a.json, M = 3');
});

test('formatTrace joins the objectives with arrows', () => {
  assert.is(formatTrace([20, 12.5]), 'J per iteration [ms]: 20.000 -> 12.500');
  assert.is(formatTrace([]), 'J per iteration [ms]: (none)');
});

test('formatSolveReport has the header, the device table and the trace', () => {
  const text = formatSolveReport(sampleReport());
  assert.ok(text.startsWith('converged after 2 iterations'));
  assert.ok(text.includes('rate [Mbit/s]'));
  assert.ok(text.includes('J per iteration [ms]: 20.000 -> 12.500 -> 12.346'));
  assert.not.ok(text.includes('message:'));
  assert.ok(text.endsWith('\n'));
});

test('formatSolveReport of method joint adds a line on the joint SCA with its change in J', () => {
  const joint = { steps: 2, stop: 'converged' as const, solves: 2, certified: 1, maxRelativeGap: 1e-9, newtonSteps: 80, startMs: 14, endMs: 13.72 };
  const text = formatSolveReport(sampleReport({ joint }));
  assert.match(text, 'joint SCA: 2 steps (converged), 1/2 certified, J 14.000 -> 13.720 ms (-2.00%)');
  assert.not.match(formatSolveReport(sampleReport()), 'joint SCA');
});

test('formatSolveReport of an infeasible report has the message and no device table', () => {
  const text = formatSolveReport(sampleReport({ status: 'infeasible', message: '(6d) cannot hold: reason' }));
  assert.ok(text.includes('message: (6d) cannot hold: reason'));
  assert.not.ok(text.includes('rate [Mbit/s]'));
});

test('formatSolveReport of a numerical failure keeps the device table and the message', () => {
  const text = formatSolveReport(sampleReport({ status: 'numerical-failure', message: 'SP3 failed at iteration 2' }));
  assert.ok(text.includes('message: SP3 failed at iteration 2'));
  assert.ok(text.includes('rate [Mbit/s]'));
});

test('exit codes: 0 when solved, 3 when infeasible or numerical failure', () => {
  assert.is(exitCodeForStatus('converged'), EXIT.ok);
  assert.is(exitCodeForStatus('max-iterations'), EXIT.ok);
  assert.is(exitCodeForStatus('infeasible'), 3);
  assert.is(exitCodeForStatus('numerical-failure'), 3);
});

test('formatSettings names only the parameters that differ from the defaults', () => {
  assert.is(formatSettings({ ...DEFAULT_SETTINGS }), 'settings: paper defaults');
  assert.is(formatSettings({ ...DEFAULT_SETTINGS, eMaxMj: 2, sMaxKbit: 0 }), "settings: sMaxKbit=0, eMaxMj=2 (others at the paper's defaults)");
});

test.run();
