/**
 * Cholesky factorisation and solves of the small symmetric blocks of the block Newton system
 * (one per UE), stored row-major at an offset of a shared Float64Array. SP3's 5 x 5 blocks take
 * a form written out by hand: they run for every UE at every Newton step, and the unrolled form
 * is several times faster than loops in V8; other sizes (the joint surrogate's 6 x 6) use loops.
 */

/** Factors the n x n block at a[o..] = L L^T in place; false when a pivot is not positive. */
export function choleskyInPlace(a: Float64Array, o: number, n: number): boolean {
  if (n === 5) return cholesky5InPlace(a, o);
  for (let j = 0; j < n; j++) {
    let d = a[o + j * n + j];
    for (let k = 0; k < j; k++) d -= a[o + j * n + k] * a[o + j * n + k];
    if (!(d > 0)) return false;
    const ljj = Math.sqrt(d);
    a[o + j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[o + i * n + j];
      for (let k = 0; k < j; k++) s -= a[o + i * n + k] * a[o + j * n + k];
      a[o + i * n + j] = s / ljj;
    }
  }
  return true;
}

/** Solves L L^T y = v for the n x n block factored at a[o..], for up to three right-hand sides. */
export function choleskySolveInPlace(
  a: Float64Array, o: number, n: number, vo: number, v1: Float64Array, v2: Float64Array | null = null, v3: Float64Array | null = null,
): void {
  if (n === 5) {
    cholesky5SolveInPlace(a, o, vo, v1, v2, v3);
    return;
  }
  solveOne(a, o, n, vo, v1);
  if (v2) solveOne(a, o, n, vo, v2);
  if (v3) solveOne(a, o, n, vo, v3);
}

/** Forward then backward substitution for one right-hand side. */
function solveOne(a: Float64Array, o: number, n: number, vo: number, v: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let s = v[vo + i];
    for (let k = 0; k < i; k++) s -= a[o + i * n + k] * v[vo + k];
    v[vo + i] = s / a[o + i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = v[vo + i];
    for (let k = i + 1; k < n; k++) s -= a[o + k * n + i] * v[vo + k];
    v[vo + i] = s / a[o + i * n + i];
  }
}

/**
 * Factors a[off .. off + 25) = L L^T in place (L in the lower triangle).
 * Returns false when a pivot is not positive (the block is not positive definite).
 */
function cholesky5InPlace(a: Float64Array, o: number): boolean {
  let d = a[o];
  if (!(d > 0)) return false;
  const l00 = Math.sqrt(d);
  const l10 = a[o + 5] / l00;
  const l20 = a[o + 10] / l00;
  const l30 = a[o + 15] / l00;
  const l40 = a[o + 20] / l00;
  d = a[o + 6] - l10 * l10;
  if (!(d > 0)) return false;
  const l11 = Math.sqrt(d);
  const l21 = (a[o + 11] - l20 * l10) / l11;
  const l31 = (a[o + 16] - l30 * l10) / l11;
  const l41 = (a[o + 21] - l40 * l10) / l11;
  d = a[o + 12] - l20 * l20 - l21 * l21;
  if (!(d > 0)) return false;
  const l22 = Math.sqrt(d);
  const l32 = (a[o + 17] - l30 * l20 - l31 * l21) / l22;
  const l42 = (a[o + 22] - l40 * l20 - l41 * l21) / l22;
  d = a[o + 18] - l30 * l30 - l31 * l31 - l32 * l32;
  if (!(d > 0)) return false;
  const l33 = Math.sqrt(d);
  const l43 = (a[o + 23] - l40 * l30 - l41 * l31 - l42 * l32) / l33;
  d = a[o + 24] - l40 * l40 - l41 * l41 - l42 * l42 - l43 * l43;
  if (!(d > 0)) return false;
  const l44 = Math.sqrt(d);
  a[o] = l00;
  a[o + 5] = l10; a[o + 6] = l11;
  a[o + 10] = l20; a[o + 11] = l21; a[o + 12] = l22;
  a[o + 15] = l30; a[o + 16] = l31; a[o + 17] = l32; a[o + 18] = l33;
  a[o + 20] = l40; a[o + 21] = l41; a[o + 22] = l42; a[o + 23] = l43; a[o + 24] = l44;
  return true;
}

/**
 * Solves L L^T y = v for the block factored at a[o..], for up to three right-hand sides at once
 * (the Newton right-hand side and the two coupling columns), overwriting v[vo .. vo + 5) with y.
 * The factor is loaded once.
 */
function cholesky5SolveInPlace(
  a: Float64Array, o: number, vo: number, v1: Float64Array, v2: Float64Array | null = null, v3: Float64Array | null = null,
): void {
  const l00 = a[o];
  const l10 = a[o + 5], l11 = a[o + 6];
  const l20 = a[o + 10], l21 = a[o + 11], l22 = a[o + 12];
  const l30 = a[o + 15], l31 = a[o + 16], l32 = a[o + 17], l33 = a[o + 18];
  const l40 = a[o + 20], l41 = a[o + 21], l42 = a[o + 22], l43 = a[o + 23], l44 = a[o + 24];
  for (let k = 0; k < 3; k++) {
    const v = k === 0 ? v1 : k === 1 ? v2 : v3;
    if (v === null) break;
    const y0 = v[vo] / l00;
    const y1 = (v[vo + 1] - l10 * y0) / l11;
    const y2 = (v[vo + 2] - l20 * y0 - l21 * y1) / l22;
    const y3 = (v[vo + 3] - l30 * y0 - l31 * y1 - l32 * y2) / l33;
    const y4 = (v[vo + 4] - l40 * y0 - l41 * y1 - l42 * y2 - l43 * y3) / l44;
    const x4 = y4 / l44;
    const x3 = (y3 - l43 * x4) / l33;
    const x2 = (y2 - l32 * x3 - l42 * x4) / l22;
    const x1 = (y1 - l21 * x2 - l31 * x3 - l41 * x4) / l11;
    v[vo] = (y0 - l10 * x1 - l20 * x2 - l30 * x3 - l40 * x4) / l00;
    v[vo + 1] = x1;
    v[vo + 2] = x2;
    v[vo + 3] = x3;
    v[vo + 4] = x4;
  }
}
