/**
 * WGSL of the 5 x 5 block factorisation of the fused SP3 solver (the per-thread twin of the
 * element-wise factor in kernels/sp3-newton.ts): L L^T of the lower triangle with pivots floored
 * at 1e-7 of their diagonal entry, and the two triangular solves.
 */
export const BLOCK_CHOLESKY_WGSL = /* wgsl */ `
// L L^T of a 5 x 5 block (lower triangle of H used), pivots floored at 1e-7 of the diagonal.
fn cholesky(H : array<array<f32, 5>, 5>) -> array<array<f32, 5>, 5> {
  var L = array<array<f32, 5>, 5>();
  for (var j = 0; j < 5; j++) {
    var s = H[j][j];
    for (var k = 0; k < j; k++) {
      s -= L[j][k] * L[j][k];
    }
    let d = sqrt(max(s, 1e-7 * H[j][j]));
    L[j][j] = d;
    for (var i = j + 1; i < 5; i++) {
      var w = H[i][j];
      for (var k = 0; k < j; k++) {
        w -= L[i][k] * L[j][k];
      }
      L[i][j] = w / d;
    }
  }
  return L;
}

fn cholSolve(L : array<array<f32, 5>, 5>, r : array<f32, 5>) -> array<f32, 5> {
  var z = array<f32, 5>();
  for (var i = 0; i < 5; i++) {
    var s = r[i];
    for (var k = 0; k < i; k++) {
      s -= L[i][k] * z[k];
    }
    z[i] = s / L[i][i];
  }
  var x = array<f32, 5>();
  for (var i = 4; i >= 0; i--) {
    var s = z[i];
    for (var k = i + 1; k < 5; k++) {
      s -= L[k][i] * x[k];
    }
    x[i] = s / L[i][i];
  }
  return x;
}

`;
