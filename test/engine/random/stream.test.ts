import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DtmcError } from '../../../engine/errors.js';
import { STREAM_TAGS, uniforms, type RealisationKey } from '../../../engine/random/stream.js';
import { assertClose } from '../../helpers/close.js';

const KEY: RealisationKey = { seed: 20220801, point: null, realisation: 3 };
const N = 1000;

const same = (a: Float64Array, b: Float64Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

test('uniforms lie in [0, 1)', () => {
  const u = uniforms(KEY, STREAM_TAGS.position, 100_000);
  assert.ok(u.every((v) => v >= 0 && v < 1));
});

test('uniforms carry 53 random bits (every draw is a multiple of 2^-53, some use the last bit)', () => {
  const scaled = Array.from(uniforms(KEY, STREAM_TAGS.fading, N), (v) => v * 2 ** 53);
  assert.ok(scaled.every(Number.isInteger));
  assert.ok(scaled.some((v) => v % 2 === 1));
});

test('the same key and tag give identical uniforms', () => {
  assert.ok(same(uniforms(KEY, STREAM_TAGS.eta, N), uniforms({ ...KEY }, STREAM_TAGS.eta, N)));
});

test('a shorter draw is a prefix of a longer one', () => {
  const long = uniforms(KEY, STREAM_TAGS.fading, N);
  assert.ok(same(uniforms(KEY, STREAM_TAGS.fading, 37), long.subarray(0, 37)));
});

const VARIANTS: [string, RealisationKey, number][] = [
  ['realisation', { ...KEY, realisation: 4 }, STREAM_TAGS.position],
  ['point (null vs 0)', { ...KEY, point: 0 }, STREAM_TAGS.position],
  ['seed', { ...KEY, seed: KEY.seed + 1 }, STREAM_TAGS.position],
  ['seed high bits', { ...KEY, seed: KEY.seed + 2 ** 32 }, STREAM_TAGS.position],
  ['tag', KEY, STREAM_TAGS.fading],
];
for (const [what, key, tag] of VARIANTS) {
  test(`a different ${what} gives different uniforms`, () => {
    const base = uniforms(KEY, STREAM_TAGS.position, N);
    const other = uniforms(key, tag, N);
    // Independent streams agree on a 53-bit draw with probability 2^-53; none should match.
    assert.ok(base.every((v, i) => v !== other[i]));
  });
}

test('different numeric points give different uniforms', () => {
  const a = uniforms({ ...KEY, point: 1 }, STREAM_TAGS.eta, N);
  const b = uniforms({ ...KEY, point: 2 }, STREAM_TAGS.eta, N);
  assert.ok(a.every((v, i) => v !== b[i]));
});

test('1e5 uniforms have mean 1/2 and variance 1/12 within 5 standard errors', () => {
  const n = 100_000;
  const u = uniforms({ seed: 1, point: null, realisation: 0 }, STREAM_TAGS.position, n);
  const mean = u.reduce((s, v) => s + v, 0) / n;
  const variance = u.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1);
  // U(0,1): sd of the sample mean = sqrt(1/12 / n) = 9.1e-4; the sample variance's sd is
  // sqrt((mu4 - sigma^4) / n) with mu4 = 1/80, sigma^4 = 1/144, so sqrt(1/180 / n) = 2.4e-4.
  assertClose(mean, 0.5, 0, 5 * Math.sqrt(1 / 12 / n), 'mean');
  assertClose(variance, 1 / 12, 0, 5 * Math.sqrt(1 / 180 / n), 'variance');
});

const BAD_KEYS: [string, RealisationKey, RegExp][] = [
  ['a negative seed', { ...KEY, seed: -1 }, /seed/],
  ['a fractional seed', { ...KEY, seed: 1.5 }, /seed/],
  ['an unsafe seed', { ...KEY, seed: 2 ** 53 }, /seed/],
  ['a point of 2^32 - 1 (reserved for null)', { ...KEY, point: 0xffffffff }, /point/],
  ['a negative realisation', { ...KEY, realisation: -1 }, /realisation/],
  ['a realisation of 2^32', { ...KEY, realisation: 2 ** 32 }, /realisation/],
];
for (const [what, key, field] of BAD_KEYS) {
  test(`uniforms rejects ${what}, naming the field`, () => {
    try {
      uniforms(key, STREAM_TAGS.position, 1);
      assert.unreachable('should have thrown');
    } catch (e) {
      assert.instance(e, DtmcError);
      assert.is((e as DtmcError).code, 'invalid-argument');
      assert.match((e as Error).message, field);
    }
  });
}

test.run();
