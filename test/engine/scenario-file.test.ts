import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkScenarioMatchesSettings, parseScenarioJson, readScenarioFile } from '../../engine/scenario-file.js';
import { resolveSettings } from '../../engine/settings.js';
import { expectFailure } from '../helpers/expect-failure.js';

const GOOD = { gain: [1e-9, 2e-10, 3e-11], cycles: [2e5, 3e5, 4e5], bits: [10832, 10832, 10832] };
const json = (v: unknown): string => JSON.stringify(v);

test('a valid file gives its scenario and no overrides', () => {
  const { scenario, overrides } = parseScenarioJson(json(GOOD), 'scenario.json');
  assert.equal(scenario, GOOD);
  assert.equal(overrides, {});
});

test('params are passed through as settings overrides, unvalidated', () => {
  const { overrides } = parseScenarioJson(json({ ...GOOD, params: { M: 3, notAParameter: 1 } }), 'scenario.json');
  assert.equal(overrides, { M: 3, notAParameter: 1 });
});

/** Malformed inputs, each with the message it must give (source "scenario.json"). */
const MALFORMED: [string, string, RegExp][] = [
  ['missing gain', json({ cycles: GOOD.cycles, bits: GOOD.bits }), /^scenario\.json: gain is required/],
  ['gain not an array', json({ ...GOOD, gain: 5 }), /^scenario\.json: gain must be an array/],
  ['a negative gain', json({ ...GOOD, gain: [1, -2, 3] }), /^scenario\.json: gain\[1\] must be a positive finite number, got -2$/],
  ['a zero cycle count', json({ ...GOOD, cycles: [1, 2, 0] }), /^scenario\.json: cycles\[2\] must be a positive finite number, got 0$/],
  ['a "NaN" string', '{"gain":[1,"NaN",3],"cycles":[1,2,3],"bits":[1,2,3]}', /^scenario\.json: gain\[1\] must be a positive finite number, got the string "NaN"$/],
  ['an "Infinity" string in bits', '{"gain":[1,2,3],"cycles":[1,2,3],"bits":[1,2,"Infinity"]}', /^scenario\.json: bits\[2\] must be a positive finite number, got the string "Infinity"$/],
  ['a number that overflows to Infinity', '{"gain":[1e999,2,3],"cycles":[1,2,3],"bits":[1,2,3]}', /^scenario\.json: gain\[0\] must be a positive finite number, got Infinity$/],
  ['a null entry', '{"gain":[1,2,3],"cycles":[1,null,3],"bits":[1,2,3]}', /^scenario\.json: cycles\[1\] must be a positive finite number, got null$/],
  ['mismatched lengths', json({ ...GOOD, cycles: [1, 2] }), /^scenario\.json: cycles has 2 entries but gain has 3 entries$/],
  ['empty arrays', json({ gain: [], cycles: [], bits: [] }), /^scenario\.json: gain must have at least one entry/],
  ['an unknown key', json({ ...GOOD, scenario: {} }), /^scenario\.json: unknown key\(s\) scenario; allowed: gain, cycles, bits, params$/],
  ['params an array', json({ ...GOOD, params: [15] }), /^scenario\.json: params must be an object/],
  ['params null', json({ ...GOOD, params: null }), /^scenario\.json: params must be an object/],
  ['a top level that is not an object', '[1, 2, 3]', /^scenario\.json: must be a JSON object with keys gain, cycles, bits, params$/],
  ['invalid JSON', '{"gain": [1,', /^scenario\.json: invalid JSON: /],
];
for (const [what, text, pattern] of MALFORMED) {
  test(`${what} is rejected with a message naming the field`, () => {
    expectFailure(() => parseScenarioJson(text, 'scenario.json'), 'invalid-scenario', pattern);
  });
}

test('every bad field is listed, not only the first', () => {
  const text = json({ gain: [1, -1], cycles: 'x', bits: [1, 2] });
  expectFailure(() => parseScenarioJson(text, 'scenario.json'), 'invalid-scenario', /scenario\.json: gain\[1\] .*\nscenario\.json: cycles must be an array/);
});

test('a long list of bad entries is cut after ten lines', () => {
  const bad = new Array(50).fill(-1);
  const text = json({ gain: bad, cycles: bad.map(() => 1), bits: bad.map(() => 1) });
  expectFailure(() => parseScenarioJson(text, 'scenario.json'), 'invalid-scenario', /\.\.\. and 40 more$/);
});

test('a missing file is an io error naming the path', () => {
  const path = join(tmpdir(), 'dtmc-no-such-dir', 'missing.json');
  expectFailure(() => readScenarioFile(path), 'io', /cannot read scenario file .*dtmc-no-such-dir.missing\.json/);
});

test('readScenarioFile names the file in validation errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dtmc-scenario-'));
  try {
    const path = join(dir, 'bad.json');
    writeFileSync(path, json({ ...GOOD, gain: [1, 2, -3] }));
    expectFailure(() => readScenarioFile(path), 'invalid-scenario', /bad\.json: gain\[2\]/);
    writeFileSync(path, json(GOOD));
    assert.equal(readScenarioFile(path).scenario, GOOD);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a scenario whose length differs from M is rejected with how to fix it', () => {
  expectFailure(
    () => checkScenarioMatchesSettings(GOOD, resolveSettings({}), 'scenario.json'),
    'invalid-scenario',
    /^scenario\.json: the scenario has 3 devices but M = 15; set params\.M to 3 in the file or pass --set M=3$/,
  );
});

test('a scenario whose length equals M passes the check', () => {
  checkScenarioMatchesSettings(GOOD, resolveSettings({ M: 3 }), 'scenario.json');
});

test.run();
