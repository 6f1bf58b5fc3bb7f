/**
 * Cholesky factorisation and solves for the small dense symmetric blocks of the SP3 Newton
 * system (n = 5 per UE), stored row-major at an offset of a shared Float64Array.
 */

/**
 * Factors a[off .. off + n*n) = L L^T in place (L in the lower triangle).
 * Returns false when a pivot is not positive (the block is not positive definite).
 */
export function choleskyInPlace(a: Float64Array, off: number, n: number): boolean {
  for (let j = 0; j < n; j++) {
    let d = a[off + j * n + j];
    for (let k = 0; k < j; k++) d -= a[off + j * n + k] * a[off + j * n + k];
    if (!(d > 0)) return false;
    const ljj = Math.sqrt(d);
    a[off + j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[off + i * n + j];
      for (let k = 0; k < j; k++) s -= a[off + i * n + k] * a[off + j * n + k];
      a[off + i * n + j] = s / ljj;
    }
  }
  return true;
}

/** Solves L L^T y = v for the block factored at a[off..], reading v and writing y at vOff. */
export function choleskySolveInPlace(a: Float64Array, off: number, n: number, v: Float64Array, vOff: number): void {
  for (let i = 0; i < n; i++) {
    let s = v[vOff + i];
    for (let k = 0; k < i; k++) s -= a[off + i * n + k] * v[vOff + k];
    v[vOff + i] = s / a[off + i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = v[vOff + i];
    for (let k = i + 1; k < n; k++) s -= a[off + k * n + i] * v[vOff + k];
    v[vOff + i] = s / a[off + i * n + i];
  }
}
