/**
 * Philox4x32-10, the counter-based generator of Salmon, Moraes, Dror and Shaw, "Parallel random
 * numbers: as easy as 1, 2, 3" (SC 2011), as in Random123's philox.h.
 *
 * A counter-based generator is a keyed bijection of a 128-bit counter: block i of a stream is
 * philox(counter = i, key), so any block can be computed on its own, in any order, on any worker,
 * and always gives the same four 32-bit words. Pure JavaScript: 32-bit products with Math.imul
 * (low half) and `mulHi32` (high half, exact in float64).
 */
import { fail } from '../errors.js';

/** Round multipliers (Random123 PHILOX_M4x32_0, PHILOX_M4x32_1). */
const PHILOX_M0 = 0xd2511f53;
const PHILOX_M1 = 0xcd9e8d57;
/** Key schedule increments, the Weyl sequence (golden ratio, sqrt(3) - 1). */
const PHILOX_W0 = 0x9e3779b9;
const PHILOX_W1 = 0xbb67ae85;
/** Number of rounds of Philox4x32-10. */
const PHILOX_ROUNDS = 10;

/**
 * High 32 bits of the 64-bit product of two unsigned 32-bit integers.
 *
 * With a = aHi 2^16 + aLo and b = bHi 2^16 + bLo, every partial product is below 2^32 and every
 * sum below is below 2^34, so all of it is exact in float64.
 */
export function mulHi32(a: number, b: number): number {
  const aLo = a & 0xffff;
  const aHi = a >>> 16;
  const bLo = b & 0xffff;
  const bHi = b >>> 16;
  // Four 16x16 products, each < 2^32 and exact in a double; the carry into bit 32 comes from the
  // middle sum, which stays below 3 x 2^16. Integer shifts only (no division): the hot loop of
  // scenario drawing.
  const lohi = aLo * bHi;
  const hilo = aHi * bLo;
  const cross = ((aLo * bLo) >>> 16) + (hilo & 0xffff) + (lohi & 0xffff);
  return (aHi * bHi + (hilo >>> 16) + (lohi >>> 16) + (cross >>> 16)) >>> 0;
}

/**
 * One Philox4x32-10 block: the 128-bit counter encrypted under the 64-bit key.
 *
 * @param counter four 32-bit counter words, c0 first (not modified)
 * @param key two 32-bit key words, k0 first (not modified)
 * @param out caller-allocated output of four words; may be `counter` itself
 * @returns `out`, filled with the four random words
 */
export function philox4x32(counter: Uint32Array, key: Uint32Array, out: Uint32Array): Uint32Array {
  let c0 = counter[0];
  let c1 = counter[1];
  let c2 = counter[2];
  let c3 = counter[3];
  let k0 = key[0];
  let k1 = key[1];
  for (let round = 0; round < PHILOX_ROUNDS; round++) {
    // One round: two 32x32->64 products, their high halves mixed with the other words and the key.
    const hi0 = mulHi32(PHILOX_M0, c0);
    const lo0 = Math.imul(PHILOX_M0, c0) >>> 0;
    const hi1 = mulHi32(PHILOX_M1, c2);
    const lo1 = Math.imul(PHILOX_M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
    // Bump the key for the next round.
    k0 = (k0 + PHILOX_W0) >>> 0;
    k1 = (k1 + PHILOX_W1) >>> 0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
  return out;
}

/**
 * A stream of 32-bit words from Philox4x32-10: block i is philox4x32((i, c1, c2, c3), key), its
 * four words handed out in order. Words c1..c3 of the counter name the stream; word c0 is the
 * block index, so a stream holds 2^32 blocks (2^34 words).
 */
export class PhiloxStream {
  private readonly key: Uint32Array;
  private readonly counter: Uint32Array;
  private readonly block = new Uint32Array(4);
  /** Index of the next word of `block` to hand out; 4 means the block is used up. */
  private next = 4;
  private blocksDrawn = 0;

  /**
   * @param key two 32-bit key words
   * @param streamWords counter words c1, c2, c3 that name the stream
   */
  constructor(key: readonly [number, number], streamWords: readonly [number, number, number]) {
    this.key = Uint32Array.of(key[0], key[1]);
    this.counter = Uint32Array.of(0, streamWords[0], streamWords[1], streamWords[2]);
  }

  /** The next 32-bit word of the stream, an integer in [0, 2^32). */
  nextUint32(): number {
    if (this.next === 4) {
      if (this.blocksDrawn > 0xffffffff) fail('invalid-argument', 'PhiloxStream: all 2^32 blocks used up');
      this.counter[0] = this.blocksDrawn++;
      philox4x32(this.counter, this.key, this.block);
      this.next = 0;
    }
    return this.block[this.next++];
  }
}
