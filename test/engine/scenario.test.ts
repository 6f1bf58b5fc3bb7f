import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { drawDistancesM, drawScenario, generateScenario } from '../../engine/scenario.js';
import { DEFAULT_SETTINGS, resolveSettings } from '../../engine/settings.js';
import type { RealisationKey } from '../../engine/random/stream.js';
import { assertClose } from '../helpers/close.js';

const S = DEFAULT_SETTINGS;
const key = (realisation: number, point: number | null = null, seed = 11): RealisationKey => ({ seed, point, realisation });

test('a scenario has M entries per field, bits = 8 taskBytes', () => {
  const sc = generateScenario(S, key(0));
  assert.is(sc.gain.length, S.M);
  assert.is(sc.cycles.length, S.M);
  assert.equal(sc.bits, new Array(S.M).fill(8 * S.taskBytes));
});

test('regenerating realisation r alone equals generating it after others', () => {
  const inOrder = [0, 1, 2, 3, 4, 5].map((r) => generateScenario(S, key(r)));
  assert.equal(generateScenario(S, key(4)), inOrder[4]);
});

test("device m's position and eta do not depend on M", () => {
  const small = drawScenario(resolveSettings({ M: 5 }), key(2));
  const large = drawScenario(resolveSettings({ M: 40 }), key(2));
  assert.equal(Array.from(large.distanceM.subarray(0, 5)), Array.from(small.distanceM));
  assert.equal(Array.from(large.etaCyclesPerByte.subarray(0, 5)), Array.from(small.etaCyclesPerByte));
});

test("device m's fading does not depend on M", () => {
  const small = drawScenario(resolveSettings({ M: 5 }), key(2));
  const large = drawScenario(resolveSettings({ M: 40 }), key(2));
  assert.equal(Array.from(large.fadingPower.subarray(0, 5)), Array.from(small.fadingPower));
});

test('positions and eta do not depend on L', () => {
  const a = drawScenario(resolveSettings({ L: 1 }), key(9));
  const b = drawScenario(resolveSettings({ L: 64 }), key(9));
  assert.equal(Array.from(a.distanceM), Array.from(b.distanceM));
  assert.equal(Array.from(a.etaCyclesPerByte), Array.from(b.etaCyclesPerByte));
});

test("distances lie in [minDistanceM, half-diagonal] and the clamp is applied", () => {
  const halfDiagonalM = S.areaSideM / Math.SQRT2;
  for (let r = 0; r < 500; r++) {
    for (const d of drawDistancesM(S, key(r))) {
      if (!(d >= S.minDistanceM && d <= halfDiagonalM)) assert.unreachable(`distance ${d} m out of range (r = ${r})`);
    }
  }
  // With dmin = 30 m in a 100 m square, about 28% of UEs (pi 30^2 / 100^2) fall inside the clamp.
  const clamped = drawDistancesM(resolveSettings({ minDistanceM: 30, M: 200 }), key(0));
  assert.ok(clamped.every((d) => d >= 30));
  assert.ok(clamped.some((d) => d === 30));
});

test('gain is large-scale gain 10^(PL(d)/10) times the fading power', () => {
  const draws = drawScenario(S, key(1));
  const sc = generateScenario(S, key(1));
  for (let m = 0; m < S.M; m++) {
    const plDb = S.pathLossInterceptDb - S.pathLossSlopeDb * Math.log10(draws.distanceM[m]);
    assertClose(draws.largeScaleGain[m], 10 ** (plDb / 10), 1e-14, 0, `g[${m}]`);
    assertClose(sc.gain[m], draws.largeScaleGain[m] * draws.fadingPower[m], 1e-15, 0, `gain[${m}]`);
  }
});

test('mean of ||h_m||^2 / g_m over many realisations is L within 5 standard errors', () => {
  const realisations = 2000;
  let sum = 0;
  for (let r = 0; r < realisations; r++) {
    const sc = generateScenario(S, key(r));
    const draws = drawScenario(S, key(r));
    for (let m = 0; m < S.M; m++) sum += sc.gain[m] / draws.largeScaleGain[m];
  }
  const n = realisations * S.M;
  // ||h̄||^2 ~ Gamma(L, 1): variance L, so the sample mean has sd sqrt(L / n) = 0.016 here.
  assertClose(sum / n, S.L, 0, 5 * Math.sqrt(S.L / n), 'mean fading power');
});

test('cycles lie within [etaMin, etaMax] x taskBytes and span most of it', () => {
  const lo = S.etaMinCyclesPerByte * S.taskBytes;
  const hi = S.etaMaxCyclesPerByte * S.taskBytes;
  const all: number[] = [];
  for (let r = 0; r < 200; r++) all.push(...generateScenario(S, key(r)).cycles);
  assert.ok(all.every((c) => c >= lo && c <= hi));
  // 3000 uniform draws: the extremes come within 1% of the range's ends with near certainty.
  assert.ok(Math.min(...all) < lo + 0.01 * (hi - lo) && Math.max(...all) > hi - 0.01 * (hi - lo));
});

test('point null gives the same draws at every sweep point setting', () => {
  // Common random numbers: a sweep over Emax changes settings, not the draws.
  const a = generateScenario(resolveSettings({ eMaxMj: 1.5 }), key(7, null));
  const b = generateScenario(resolveSettings({ eMaxMj: 4 }), key(7, null));
  assert.equal(a, b);
});

test('point k gives draws that differ between points and from point null', () => {
  const p0 = generateScenario(S, key(7, 0));
  const p1 = generateScenario(S, key(7, 1));
  const common = generateScenario(S, key(7, null));
  assert.ok(p0.gain.every((g, m) => g !== p1.gain[m] && g !== common.gain[m]));
});

test('a different seed gives a different scenario', () => {
  const a = generateScenario(S, key(0, null, 1));
  const b = generateScenario(S, key(0, null, 2));
  assert.ok(a.gain.every((g, m) => g !== b.gain[m]));
});

test.run();
