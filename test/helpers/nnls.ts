/**
 * Non-negative least squares, min ||A x - b|| subject to x >= 0, by the Lawson-Hanson active-set
 * method. Small dense problems only (the KKT checks of the tests). A is given by columns.
 */
export function nnls(columns: Float64Array[], b: Float64Array, maxIterations = 500): { x: Float64Array; residual: Float64Array } {
  const n = columns.length;
  const m = b.length;
  const x = new Float64Array(n);
  const passive = new Uint8Array(n);
  const residualOf = (z: Float64Array): Float64Array => {
    const r = Float64Array.from(b);
    for (let j = 0; j < n; j++) if (z[j] !== 0) for (let i = 0; i < m; i++) r[i] -= columns[j][i] * z[j];
    return r;
  };
  const dot = (u: Float64Array, v: Float64Array): number => {
    let s = 0;
    for (let i = 0; i < u.length; i++) s += u[i] * v[i];
    return s;
  };
  // Unconstrained least squares on the passive set, by the normal equations (small n).
  const solvePassive = (): Float64Array => {
    const idx: number[] = [];
    for (let j = 0; j < n; j++) if (passive[j]) idx.push(j);
    const k = idx.length;
    const G = new Float64Array(k * k);
    const h = new Float64Array(k);
    for (let a = 0; a < k; a++) {
      h[a] = dot(columns[idx[a]], b);
      for (let c = 0; c < k; c++) G[a * k + c] = dot(columns[idx[a]], columns[idx[c]]);
      G[a * k + a] *= 1 + 1e-12;
    }
    // Gaussian elimination with partial pivoting.
    for (let col = 0; col < k; col++) {
      let piv = col;
      for (let r = col + 1; r < k; r++) if (Math.abs(G[r * k + col]) > Math.abs(G[piv * k + col])) piv = r;
      if (piv !== col) {
        for (let c = 0; c < k; c++) [G[col * k + c], G[piv * k + c]] = [G[piv * k + c], G[col * k + c]];
        [h[col], h[piv]] = [h[piv], h[col]];
      }
      const d = G[col * k + col];
      for (let r = col + 1; r < k; r++) {
        const f = G[r * k + col] / d;
        if (f === 0) continue;
        for (let c = col; c < k; c++) G[r * k + c] -= f * G[col * k + c];
        h[r] -= f * h[col];
      }
    }
    const y = new Float64Array(k);
    for (let r = k - 1; r >= 0; r--) {
      let s = h[r];
      for (let c = r + 1; c < k; c++) s -= G[r * k + c] * y[c];
      y[r] = s / G[r * k + r];
    }
    const z = new Float64Array(n);
    idx.forEach((j, a) => (z[j] = y[a]));
    return z;
  };
  for (let it = 0; it < maxIterations; it++) {
    const r = residualOf(x);
    let best = -1;
    let bestW = 1e-14;
    for (let j = 0; j < n; j++) {
      if (passive[j]) continue;
      const w = dot(columns[j], r);
      if (w > bestW) {
        bestW = w;
        best = j;
      }
    }
    if (best < 0) break;
    passive[best] = 1;
    for (;;) {
      const z = solvePassive();
      let alpha = 1;
      let blocking = -1;
      for (let j = 0; j < n; j++) {
        if (passive[j] && z[j] <= 0) {
          const a = x[j] / (x[j] - z[j]);
          if (a < alpha) {
            alpha = a;
            blocking = j;
          }
        }
      }
      if (blocking < 0) {
        x.set(z);
        break;
      }
      for (let j = 0; j < n; j++) if (passive[j]) x[j] += alpha * (z[j] - x[j]);
      for (let j = 0; j < n; j++) if (passive[j] && x[j] <= 1e-15) {
        passive[j] = 0;
        x[j] = 0;
      }
    }
  }
  return { x, residual: residualOf(x) };
}
