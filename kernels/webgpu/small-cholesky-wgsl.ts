/**
 * WGSL of the NV x NV block factorisation of the fused block solvers (the per-thread twin of the
 * element-wise factor in kernels/block-newton.ts): L L^T of the lower triangle with pivots
 * floored at 1e-7 of their diagonal entry, and the two triangular solves.
 */
export const blockCholeskyWgsl = (NV: number): string => /* wgsl */ `
// L L^T of an NV x NV block (lower triangle of H used), pivots floored at 1e-7 of the diagonal.
fn cholesky(H : array<array<f32, ${NV}>, ${NV}>) -> array<array<f32, ${NV}>, ${NV}> {
  var L = array<array<f32, ${NV}>, ${NV}>();
  for (var j = 0; j < ${NV}; j++) {
    var s = H[j][j];
    for (var k = 0; k < j; k++) {
      s -= L[j][k] * L[j][k];
    }
    let d = sqrt(max(s, 1e-7 * H[j][j]));
    L[j][j] = d;
    for (var i = j + 1; i < ${NV}; i++) {
      var w = H[i][j];
      for (var k = 0; k < j; k++) {
        w -= L[i][k] * L[j][k];
      }
      L[i][j] = w / d;
    }
  }
  return L;
}

fn cholSolve(L : array<array<f32, ${NV}>, ${NV}>, r : array<f32, ${NV}>) -> array<f32, ${NV}> {
  var z = array<f32, ${NV}>();
  for (var i = 0; i < ${NV}; i++) {
    var s = r[i];
    for (var k = 0; k < i; k++) {
      s -= L[i][k] * z[k];
    }
    z[i] = s / L[i][i];
  }
  var x = array<f32, ${NV}>();
  for (var i = ${NV - 1}; i >= 0; i--) {
    var s = z[i];
    for (var k = i + 1; k < ${NV}; k++) {
      s -= L[k][i] * x[k];
    }
    x[i] = s / L[i][i];
  }
  return x;
}

`;
