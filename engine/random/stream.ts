/**
 * The random streams of a realisation (SPEC section 1).
 *
 * Every random number of a realisation comes from Philox4x32-10 keyed by the job seed, with the
 * counter naming the realisation, the sweep point and the quantity drawn:
 *
 *   key     = (seed mod 2^32, floor(seed / 2^32))
 *   counter = (block index, realisation, point === null ? 0xffffffff : point, tag)
 *
 * A realisation's draws therefore do not depend on batch size, worker count, shard layout or
 * resume history. With `point: null` (common random numbers, the default) realisation r has the
 * same draws at every sweep point; a numeric point gives independent draws per point.
 *
 * Each quantity has its own tag (`STREAM_TAGS`), and `uniforms(key, tag, n)` is a prefix of
 * `uniforms(key, tag, n')` for n < n', so a quantity indexed per device keeps its draws when M
 * grows, and one quantity's draws do not move when another needs more (for example positions
 * when L changes).
 */
import { fail } from '../errors.js';
import { PhiloxStream } from './philox.js';

/** Names one realisation's random streams. */
export interface RealisationKey {
  /** Job seed, a non-negative safe integer (all 53 bits are used). */
  seed: number;
  /**
   * Sweep point index in [0, 2^32 - 1), or null for common random numbers across sweep points
   * (the default): realisation r then has the same draws at every point.
   */
  point: number | null;
  /** Realisation index in [0, 2^32). */
  realisation: number;
}

/**
 * The tag of each random quantity and the layout of its uniforms. Never renumber a tag: that
 * changes every stored realisation. A new quantity takes a new tag.
 */
export const STREAM_TAGS = {
  /** UE positions: uniforms 2m and 2m + 1 are x_m and y_m of device m (independent of M and L). */
  position: 1,
  /** Small-scale fading: uniform m L + l is antenna l of device m (independent of M, not of L). */
  fading: 2,
  /** Task complexity: uniform m is eta_m of device m (independent of M and L). */
  eta: 3,
} as const;

/** Counter word 2 for common random numbers; numeric points stay below it. */
const COMMON_POINT = 0xffffffff;
const TWO_POW_32 = 0x100000000;
/** 2^-53: scales a 53-bit integer into [0, 1). */
const TWO_POW_MINUS_53 = 1 / 9007199254740992;

const isUint32 = (v: number): boolean => Number.isInteger(v) && v >= 0 && v < TWO_POW_32;

/** Checks a key and throws a `DtmcError` naming the bad field. */
export function checkRealisationKey(key: RealisationKey): void {
  if (!Number.isSafeInteger(key.seed) || key.seed < 0) {
    fail('invalid-argument', `seed must be a non-negative safe integer, got ${key.seed}`);
  }
  if (key.point !== null && !(isUint32(key.point) && key.point !== COMMON_POINT)) {
    fail('invalid-argument', `point must be null or an integer in [0, ${COMMON_POINT}), got ${key.point}`);
  }
  if (!isUint32(key.realisation)) {
    fail('invalid-argument', `realisation must be an integer in [0, 2^32), got ${key.realisation}`);
  }
}

/**
 * `count` doubles uniform in [0, 1), each with 53 random bits made from two consecutive 32-bit
 * words of the stream (27 high bits of the first, 26 of the second).
 *
 * @param key the realisation
 * @param tag the quantity, one of `STREAM_TAGS`, an integer in [0, 2^32)
 * @param count how many doubles to draw
 * @returns a new array of shape [count]
 */
export function uniforms(key: RealisationKey, tag: number, count: number): Float64Array {
  checkRealisationKey(key);
  if (!isUint32(tag)) fail('invalid-argument', `tag must be an integer in [0, 2^32), got ${tag}`);
  if (!Number.isSafeInteger(count) || count < 0) {
    fail('invalid-argument', `count must be a non-negative integer, got ${count}`);
  }
  const seedLow = key.seed % TWO_POW_32;
  const seedHigh = Math.floor(key.seed / TWO_POW_32);
  const pointWord = key.point === null ? COMMON_POINT : key.point;
  const stream = new PhiloxStream([seedLow, seedHigh], [key.realisation, pointWord, tag]);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const high27 = stream.nextUint32() >>> 5;
    const low26 = stream.nextUint32() >>> 6;
    out[i] = (high27 * 67108864 + low26) * TWO_POW_MINUS_53;
  }
  return out;
}
