/**
 * Exact order statistics of a stream of non-negative doubles that is too large to hold, read in
 * passes (a radix selection on the float's bits). For n values, X_(r) is the r-th smallest
 * (1-based); the caller feeds the same values in every pass (`add`), ends the pass (`endPass`)
 * and reads the order statistics it asked for when no pass is wanted any more.
 *
 * The key: for a double x >= 0, its 64-bit pattern (sign bit 0) read as an unsigned integer is
 * monotone in x, so the top bits of the pattern cut the line into buckets that are exact value
 * ranges (11 exponent bits then mantissa bits: 16 bits give 32 buckets per octave, 3% wide).
 *
 * Passes:
 *   1. count n and a histogram of the top 16 bits below the sign (bits 62..47); the values are
 *      kept as well while n <= `keepAll` (then sorted: one pass in all, the common case);
 *   2. from n, the wanted ranks (`ranksOf(n)`); each falls in one bucket of the histogram, whose
 *      count and the count below it are known. A bucket holding at most `bucketCap` values is
 *      collected (its values kept, sorted, the rank read); a larger one is refined: the next pass
 *      builds a histogram of its next 8-16 bits (more bits the fuller it is), and so on. A bucket
 *      whose 63 bits are all fixed is one value: the rank is read without collecting. A pass
 *      collects and refines at once, so a continuous distribution needs 3 passes past keepAll,
 *      and no input more than 1 + ceil(47 / 8) = 7.
 * Memory: the first histogram (65 536 counts, 512 KiB), at most keepAll values in pass 1, then per
 * wanted rank one bucket: at most bucketCap values or one histogram of at most 65 536 counts
 * (fewer in practice: 2^b ~ 8 count / bucketCap). None of it grows with n.
 *
 * Each pass must see the same values (in any order): the counts of pass 1 are checked against
 * every later pass, and a difference is an error naming `what` (a folder changed while read).
 */
import { endianness } from 'node:os';
import { fail } from '../engine/errors.js';

export interface SelectLimits {
  /** Values kept in pass 1 before switching to the bucket passes. */
  keepAll: number;
  /** Most values a bucket may hold to be collected rather than refined. */
  bucketCap: number;
}

/** 2^20 values (8 MiB) kept whole; buckets of at most 2^13 values (64 KiB) collected. */
export const DEFAULT_SELECT_LIMITS: SelectLimits = { keepAll: 2 ** 20, bucketCap: 2 ** 13 };

if (endianness() !== 'LE') throw new Error('output/exact-select.ts reads float bits as little-endian words');

/** Bits of the key (63: the sign bit is 0 for every value taken). */
const KEY_BITS = 63;
const FIRST_BITS = 16;

const scratch = new Float64Array(1);
const scratchWords = new Uint32Array(scratch.buffer);

/** Bits [from, from + width) of the 64-bit word (hi, lo), width <= 16. */
function bitsAt(hi: number, lo: number, from: number, width: number): number {
  const mask = (1 << width) - 1;
  if (from >= 32) return (hi >>> (from - 32)) & mask;
  if (from + width <= 32) return (lo >>> from) & mask;
  return ((hi << (32 - from)) | (lo >>> from)) & mask;
}

/** The double of the pattern (hi, lo) with its low `shift` bits set to 1 (`ones`) or left 0; a NaN pattern is +Infinity. */
function patternValue(hi: number, lo: number, shift: number, ones: boolean): number {
  if (ones && shift >= 32) {
    lo = 0xffffffff;
    hi = (hi | (2 ** (shift - 32) - 1)) >>> 0;
  } else if (ones) {
    lo = (lo | (2 ** shift - 1)) >>> 0;
  }
  scratchWords[0] = lo;
  scratchWords[1] = hi;
  const x = scratch[0];
  return Number.isNaN(x) ? Infinity : x;
}

/** A key range: the values whose top KEY_BITS - shift bits equal the prefix's. */
interface Bucket {
  /** The prefix in place: the pattern with the low `shift` bits 0. */
  hi: number;
  lo: number;
  /** Free low bits. */
  shift: number;
  /** Smallest and largest value of the range (membership: min <= x <= max). */
  min: number;
  max: number;
  /** Values below the range, and in it (from the pass that found it). */
  below: number;
  count: number;
  /** The wanted ranks inside, 1-based over all values. */
  ranks: number[];
  /** Refining: the histogram of the next `bits` bits; collecting: the values, `filled` so far. */
  bits: number;
  histogram: Float64Array | null;
  values: Float64Array | null;
  filled: number;
}

function makeBucket(hi: number, lo: number, shift: number, below: number, count: number, ranks: number[], cap: number): Bucket {
  const b: Bucket = {
    hi, lo, shift, below, count, ranks, bits: 0, histogram: null, values: null, filled: 0,
    min: patternValue(hi, lo, shift, false), max: patternValue(hi, lo, shift, true),
  };
  if (shift === 0) return b; // one value: nothing to collect
  if (count <= cap) {
    b.values = new Float64Array(count);
  } else {
    b.bits = Math.min(shift, 16, Math.max(8, Math.ceil(Math.log2((8 * count) / cap))));
    b.histogram = new Float64Array(2 ** b.bits);
  }
  return b;
}

/**
 * The sub-buckets of a range (prefix hi, lo in place, `shift` free bits) that hold the wanted
 * ranks (sorted), from the histogram of its next `bits` bits; `below` values lie under the range.
 */
function splitRanks(hist: Float64Array, hi: number, lo: number, shift: number, bits: number, below: number, ranks: readonly number[], cap: number): Bucket[] {
  const out: Bucket[] = [];
  const sub = shift - bits;
  let cum = below;
  let d = 0;
  let lastDigit = -1;
  for (const r of ranks) {
    while (cum + hist[d] < r) cum += hist[d++];
    if (d === lastDigit) {
      out[out.length - 1].ranks.push(r);
      continue;
    }
    lastDigit = d;
    // The prefix in place: digit d at bits [sub, shift).
    let subHi = hi;
    let subLo = lo;
    if (sub >= 32) {
      subHi = (hi | (d * 2 ** (sub - 32))) >>> 0;
    } else if (sub + bits <= 32) {
      subLo = (lo | (d * 2 ** sub)) >>> 0;
    } else {
      subHi = (hi | Math.floor(d / 2 ** (32 - sub))) >>> 0;
      subLo = (lo | ((d % 2 ** (32 - sub)) * 2 ** sub)) >>> 0;
    }
    out.push(makeBucket(subHi, subLo, sub, cum, hist[d], [r], cap));
  }
  return out;
}

/** Exact order statistics X_(r) for the ranks `ranksOf(n)` of the values fed pass after pass. */
export class ExactSelection {
  private n = 0;
  private passN = 0;
  private pass = 1;
  private first: Float64Array | null = new Float64Array(2 ** FIRST_BITS);
  private kept: Float64Array | null;
  /** Sorted, disjoint ranges being refined or collected in this pass. */
  private buckets: Bucket[] = [];
  /** Level-1 digits (bits 62..47) holding an active bucket: a quick test before the search. */
  private active: Uint8Array | null = null;
  private readonly found = new Map<number, number>();
  private done = false;

  constructor(
    private readonly ranksOf: (n: number) => readonly number[],
    private readonly what: string,
    private readonly limits: SelectLimits = DEFAULT_SELECT_LIMITS,
  ) {
    if (!(Number.isInteger(limits.keepAll) && limits.keepAll >= 0)) fail('invalid-argument', `limits.keepAll must be an integer >= 0, got ${limits.keepAll}`);
    if (!(Number.isInteger(limits.bucketCap) && limits.bucketCap >= 1)) fail('invalid-argument', `limits.bucketCap must be an integer >= 1, got ${limits.bucketCap}`);
    this.kept = new Float64Array(Math.min(limits.keepAll, 1024));
  }

  /** Values taken (known after the first pass). */
  get count(): number {
    return this.n;
  }

  /**
   * Before the first value: at most `atMost` values will come in a pass. The kept values then
   * take one array of that size when it is within keepAll, and none past it (straight to the
   * bucket passes), instead of an array grown by doubling whose old copies are left to the
   * collector.
   */
  reserve(atMost: number): void {
    if (this.n > 0 || this.pass > 1) fail('invalid-argument', `${this.what}: reserve before the first value`);
    this.kept = atMost <= this.limits.keepAll ? new Float64Array(atMost) : null;
  }

  /** Passes ended so far. */
  get passes(): number {
    return this.pass - 1;
  }

  /** Feeds values of the current pass (each >= 0, not NaN; -0 counts as 0). Ignored once done. */
  add(values: Float64Array): void {
    if (this.done) return;
    const words = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
    if (this.pass === 1) this.addFirst(values, words);
    else this.addLater(values, words);
  }

  private addFirst(values: Float64Array, words: Uint32Array): void {
    const hist = this.first!;
    for (let i = 0; i < values.length; i++) {
      const x = values[i];
      let hi = words[2 * i + 1];
      if (hi >= 0x80000000 || Number.isNaN(x)) {
        if (x === 0) hi = 0;
        else fail('invalid-argument', `${this.what}: value ${x} is not a number >= 0`);
      }
      hist[hi >>> 15]++;
    }
    const n = this.n + values.length;
    if (this.kept && n <= this.limits.keepAll) {
      if (n > this.kept.length) {
        const grown = new Float64Array(Math.min(this.limits.keepAll, Math.max(n, 2 * this.kept.length)));
        grown.set(this.kept.subarray(0, this.n));
        this.kept = grown;
      }
      this.kept.set(values, this.n);
    } else {
      this.kept = null;
    }
    this.n = n;
  }

  private addLater(values: Float64Array, words: Uint32Array): void {
    const active = this.active!;
    const buckets = this.buckets;
    this.passN += values.length;
    for (let i = 0; i < values.length; i++) {
      let hi = words[2 * i + 1];
      const x = hi >= 0x80000000 ? 0 : values[i];
      if (x === 0) hi = 0;
      if (!active[hi >>> 15]) continue;
      // The last bucket whose min <= x.
      let a = 0;
      let z = buckets.length - 1;
      while (a < z) {
        const mid = (a + z + 1) >> 1;
        if (buckets[mid].min <= x) a = mid;
        else z = mid - 1;
      }
      const b = buckets[a];
      if (!(b.min <= x && x <= b.max)) continue;
      if (b.values) {
        if (b.filled === b.count) fail('corrupt-data', `${this.what}: more values in [${b.min}, ${b.max}] than the first pass counted (the data changed between passes)`);
        b.values[b.filled++] = x;
      } else {
        b.histogram![bitsAt(hi, words[2 * i], b.shift - b.bits, b.bits)]++;
      }
    }
  }

  /** Ends a pass; true when another pass is wanted (feed the same values again). */
  endPass(): boolean {
    if (this.done) return false;
    if (this.pass > 1 && this.passN !== this.n) fail('corrupt-data', `${this.what}: pass ${this.pass} saw ${this.passN} values, the first ${this.n} (the data changed between passes)`);
    let open: Bucket[];
    if (this.pass === 1) {
      const ranks = [...new Set(this.n ? this.ranksOf(this.n) : [])].sort((a, b) => a - b);
      for (const r of ranks) if (!(Number.isInteger(r) && r >= 1 && r <= this.n)) fail('invalid-argument', `${this.what}: rank ${r} outside 1 .. ${this.n}`);
      if (this.kept) {
        const sorted = this.kept.subarray(0, this.n).sort();
        for (const r of ranks) this.found.set(r, sorted[r - 1] === 0 ? 0 : sorted[r - 1]);
        return this.finish();
      }
      open = splitRanks(this.first!, 0, 0, KEY_BITS, FIRST_BITS, 0, ranks, this.limits.bucketCap);
      this.first = null;
    } else {
      open = [];
      for (const b of this.buckets) {
        const seen = b.values ? b.filled : b.histogram!.reduce((s, c) => s + c, 0);
        if (seen !== b.count) fail('corrupt-data', `${this.what}: pass ${this.pass} found ${seen} values in [${b.min}, ${b.max}], an earlier pass ${b.count} (the data changed between passes)`);
        if (b.values) {
          b.values.sort();
          for (const r of b.ranks) this.found.set(r, b.values[r - b.below - 1]);
        } else {
          open.push(...splitRanks(b.histogram!, b.hi, b.lo, b.shift, b.bits, b.below, b.ranks, this.limits.bucketCap));
        }
      }
    }
    // One-value buckets are answered now; the rest need the next pass.
    this.buckets = [];
    for (const b of open) {
      if (b.shift === 0) for (const r of b.ranks) this.found.set(r, b.min);
      if (b.values || b.histogram) this.buckets.push(b);
    }
    this.pass++;
    if (!this.buckets.length) return this.finish();
    this.active = new Uint8Array(2 ** FIRST_BITS);
    for (const b of this.buckets) {
      const from = bitsAt(b.hi, b.lo, KEY_BITS - FIRST_BITS, FIRST_BITS);
      scratch[0] = b.max;
      const to = scratchWords[1] >>> 15;
      for (let d = from; d <= to; d++) this.active[d] = 1;
    }
    this.passN = 0;
    return true;
  }

  private finish(): false {
    this.done = true;
    this.kept = null;
    this.buckets = [];
    this.active = null;
    this.pass++;
    return false;
  }

  /** X_(r) for a rank asked for (after the last pass). */
  value(rank: number): number {
    if (!this.done) fail('invalid-argument', `${this.what}: the order statistics are read after the last pass`);
    const v = this.found.get(rank);
    if (v === undefined) fail('invalid-argument', `${this.what}: rank ${rank} was not asked for`);
    return v;
  }
}
