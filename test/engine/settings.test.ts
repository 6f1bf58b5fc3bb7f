import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_SETTINGS, parseAssignments, resolveSettings, type Settings } from '../../engine/settings.js';
import { expectFailure } from '../helpers/expect-failure.js';

/** Runs `fn`, which must throw an 'invalid-settings' DtmcError whose message matches `pattern`. */
const expectInvalid = (fn: () => unknown, pattern: RegExp): void => expectFailure(fn, 'invalid-settings', pattern);

/** SPEC section 5, in the settings' units. */
const SPEC_DEFAULTS: Settings = {
  M: 15,
  L: 8,
  areaSideM: 100,
  minDistanceM: 1,
  pathLossInterceptDb: -35.3,
  pathLossSlopeDb: 37.6,
  bandwidthMHz: 5,
  noiseDbmPerHz: -174,
  pMaxDbm: 23,
  epsilon: 1e-7,
  phiMs: 0.1,
  rMinMbps: 1,
  taskBytes: 1354,
  etaMinCyclesPerByte: 100,
  etaMaxCyclesPerByte: 300,
  fUeMaxGHz: 1.5,
  fEsMaxGHz: 30,
  tMaxMs: 10,
  sMaxKbit: 60,
  eMaxMj: 3,
  theta: 1e-26,
  deltaUe: 0,
  deltaEs: 0,
  tolerance: 1e-3,
  maxIterations: 20,
  cachingRule: 'latency',
  method: 'ao',
};

test('defaults equal the values of SPEC section 5', () => {
  assert.equal({ ...DEFAULT_SETTINGS }, SPEC_DEFAULTS);
});

test('no overrides resolve to the defaults', () => {
  assert.equal(resolveSettings({}), SPEC_DEFAULTS);
  assert.equal(resolveSettings(), SPEC_DEFAULTS);
});

test('overrides replace only the fields they name', () => {
  assert.equal(resolveSettings({ M: 3, sMaxKbit: 0, cachingRule: 'saving' }), {
    ...SPEC_DEFAULTS, M: 3, sMaxKbit: 0, cachingRule: 'saving',
  });
});

test('the defaults cannot be changed in place', () => {
  assert.ok(Object.isFrozen(DEFAULT_SETTINGS));
});

/** Out-of-range overrides and the field name and range their error must give. */
const OUT_OF_RANGE: [Record<string, unknown>, RegExp][] = [
  [{ M: 0 }, /settings\.M must be an integer in \[1, 1000\]/],
  [{ L: 2000 }, /settings\.L must be an integer in \[1, 1024\]/],
  [{ epsilon: 0.5 }, /settings\.epsilon must be a number in \(0, 0\.5\)/],
  [{ pMaxDbm: 70 }, /settings\.pMaxDbm must be a number in \[-100, 60\] \(dBm\)/],
  [{ deltaEs: -1 }, /settings\.deltaEs must be a number in \(-1, 1\)/],
  [{ sMaxKbit: -1 }, /settings\.sMaxKbit must be a number in \[0, 1000000000\] \(kbit\)/],
  [{ tolerance: 0 }, /settings\.tolerance must be a number in \(0, 1\)/],
  [{ areaSideM: Number.POSITIVE_INFINITY }, /settings\.areaSideM must be a number in \(0, 100000\] \(m\)/],
  [{ fEsMaxGHz: Number.NaN }, /settings\.fEsMaxGHz must be a number/],
];
for (const [overrides, pattern] of OUT_OF_RANGE) {
  const [name, value] = Object.entries(overrides)[0];
  test(`${name} = ${value} is rejected, naming the field and its range`, () => {
    expectInvalid(() => resolveSettings(overrides), pattern);
  });
}

test('every bad field is reported in one error', () => {
  expectInvalid(() => resolveSettings({ M: 0, L: 0 }), /settings\.M .*\nsettings\.L /);
});

test('the message prefix names where the settings came from', () => {
  expectInvalid(() => resolveSettings({ M: 0 }, 'scenario.json params'), /^scenario\.json params\.M must be/);
});

test('an unknown parameter is rejected and the known ones are listed', () => {
  expectInvalid(() => resolveSettings({ Mx: 3 }), /unknown parameter\(s\) Mx; known: M, L, /);
});

test('a non-integer M is rejected', () => {
  expectInvalid(() => resolveSettings({ M: 2.5 }), /settings\.M must be an integer/);
});

test('a numeric parameter given as a string is rejected', () => {
  expectInvalid(() => resolveSettings({ M: '15' }), /settings\.M must be an integer/);
});

test('an unknown caching rule is rejected with the allowed ones', () => {
  expectInvalid(() => resolveSettings({ cachingRule: 'random' }), /settings\.cachingRule must be one of latency, saving/);
});

test('etaMin above etaMax is rejected, naming both', () => {
  expectInvalid(
    () => resolveSettings({ etaMinCyclesPerByte: 400 }),
    /settings\.etaMinCyclesPerByte \(400\) must not exceed settings\.etaMaxCyclesPerByte \(300\)/,
  );
});

test('etaMin equal to etaMax is allowed (a fixed task complexity)', () => {
  assert.is(resolveSettings({ etaMinCyclesPerByte: 300 }).etaMinCyclesPerByte, 300);
});

test('overrides that are not an object are rejected', () => {
  expectInvalid(() => resolveSettings([1, 2]), /settings: must be an object of parameter overrides/);
});

test('parseAssignments turns NAME=VALUE into numbers, trims spaces and keeps cachingRule a string', () => {
  assert.equal(parseAssignments(['M=3', ' L = 4 ', 'theta=1e-27', 'cachingRule=saving']), {
    M: 3, L: 4, theta: 1e-27, cachingRule: 'saving',
  });
});

test('parseAssignments of nothing is an empty override', () => {
  assert.equal(parseAssignments([]), {});
});

const MALFORMED_ASSIGNMENTS: [string, RegExp][] = [
  ['M', /--set expects NAME=VALUE, got "M"/],
  ['=3', /--set expects NAME=VALUE, got "=3"/],
  ['M=', /--set M: "" is not a number/],
  ['M=abc', /--set M: "abc" is not a number/],
];
for (const [assignment, pattern] of MALFORMED_ASSIGNMENTS) {
  test(`parseAssignments rejects "${assignment}"`, () => {
    expectInvalid(() => parseAssignments([assignment]), pattern);
  });
}

test('parsed assignments resolve like the same overrides given directly', () => {
  assert.equal(resolveSettings(parseAssignments(['M=3', 'eMaxMj=2.5'])), resolveSettings({ M: 3, eMaxMj: 2.5 }));
});

test.run();
