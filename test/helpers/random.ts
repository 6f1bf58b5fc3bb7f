/**
 * A tiny seeded PRNG for the tests (mulberry32) and the few draws the property tests need.
 * Tests create their own generator with a fixed seed, so every run sees the same instances.
 */

export type Rng = () => number;

/** mulberry32: a 32-bit state generator with uniforms in [0, 1). */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform in [lo, hi). */
export const uniform = (rng: Rng, lo: number, hi: number): number => lo + (hi - lo) * rng();

/** Log-uniform in [lo, hi), lo > 0. */
export const logUniform = (rng: Rng, lo: number, hi: number): number =>
  lo * Math.exp(Math.log(hi / lo) * rng());

/** Integer in [lo, hi] (both inclusive). */
export const integer = (rng: Rng, lo: number, hi: number): number => lo + Math.floor((hi - lo + 1) * rng());

/** Uniform in (lo, hi], never lo itself: for open-below boxes such as b in (0, 1]. */
export const uniformOpenBelow = (rng: Rng, lo: number, hi: number): number => hi - (hi - lo) * rng();
