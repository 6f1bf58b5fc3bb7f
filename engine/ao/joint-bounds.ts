/**
 * The convex upper bounds of the joint optimiser (issue 7): SCA over all continuous variables of
 * an uncached UE at once, alpha, b, p, f_ue, u, tau, with the caching set fixed, where
 * u = (1 - alpha) f_es is the edge CPU share spent on the UE. In these variables
 *
 *   latency  T = alpha C/(ku f_ue) + D tau + (1 - alpha)^2 C/(ke u)
 *   energy   E = alpha (theta/2) C ku^2 f_ue^2 + (1 - alpha) D p tau        (tau >= 1/R)
 *   (6f)     sum_m u_m + sum_cached f_es <= Fes_max                        (linear)
 *   f_es box u <= Fes_max (1 - alpha)                                      (linear)
 *
 * (1 - alpha)^2/u is jointly convex (quadratic over linear), so the edge term needs no bound.
 * The three products below are not convex; each gets the tight convex upper bound of the
 * arithmetic-geometric mean inequality at the current point (alpha_bar, f_bar, p_bar, tau_bar),
 * which is what an SCA step needs: the bound lies above the function everywhere on the domain and
 * touches it at the expansion point, with the same gradient there, so every SCA step that lowers
 * the surrogate lowers the true objective and keeps the true constraints.
 *
 *   alpha / f        <= (th alpha^2 + 1/(th f^2)) / 2,             th = 1/(alpha_bar f_bar)
 *     (x y <= (th x^2 + y^2/th)/2 for th > 0 with x = alpha, y = 1/f; equality iff th x = y)
 *   alpha f^2        <= (th alpha^2 + f^4/th) / 2,                 th = f_bar^2/alpha_bar
 *     (the same inequality with y = f^2)
 *   w p tau          <= ((w/a)^3 + (p/b)^3 + (tau/c)^3) / 3,       w = 1 - alpha,
 *                       a = w_bar/g, b = p_bar/g, c = tau_bar/g, g = (w_bar p_bar tau_bar)^(1/3)
 *     (x y z <= (x^3 + y^3 + z^3)/3 for x, y, z >= 0 with x = w/a, y = p/b, z = tau/c, a b c = 1;
 *      equality iff x = y = z, which holds, at g, at the point)
 *
 * Each bound needs its point's positive values (alpha_bar > 0, f_bar > 0, w_bar > 0); at
 * alpha_bar = 0 the local terms vanish and the solver starts the UE at a small positive alpha.
 */

/** Upper bound of alpha/f around (alphaBar, fBar): convex in (alpha, f > 0), equal at the point. */
export function alphaOverFBound(alpha: number, f: number, alphaBar: number, fBar: number): number {
  const th = 1 / (alphaBar * fBar);
  return 0.5 * (th * alpha * alpha + 1 / (th * f * f));
}

/** Gradient [d/dalpha, d/df] of alphaOverFBound. */
export function alphaOverFBoundGrad(alpha: number, f: number, alphaBar: number, fBar: number): [number, number] {
  const th = 1 / (alphaBar * fBar);
  return [th * alpha, -1 / (th * f * f * f)];
}

/** Upper bound of alpha f^2 around (alphaBar, fBar): convex in (alpha, f), equal at the point. */
export function alphaFSquaredBound(alpha: number, f: number, alphaBar: number, fBar: number): number {
  const th = (fBar * fBar) / alphaBar;
  return 0.5 * (th * alpha * alpha + (f * f * f * f) / th);
}

/** Gradient [d/dalpha, d/df] of alphaFSquaredBound. */
export function alphaFSquaredBoundGrad(alpha: number, f: number, alphaBar: number, fBar: number): [number, number] {
  const th = (fBar * fBar) / alphaBar;
  return [th * alpha, (2 * f * f * f) / th];
}

/**
 * Upper bound of w p tau (w = 1 - alpha) around (wBar, pBar, tauBar): with the point's product
 * g = wBar pBar tauBar and scales a = wBar/g^(1/3), b = pBar/g^(1/3), c = tauBar/g^(1/3) (so a b c = 1),
 * w p tau = (w/a)(p/b)(tau/c) <= ((w/a)^3 + (p/b)^3 + (tau/c)^3)/3, equal where the three ratios are
 * equal, as they are (to g^(1/3)) at the point. Convex for w, p, tau >= 0.
 */
export function productBound(w: number, p: number, tau: number, wBar: number, pBar: number, tauBar: number): number {
  const g = Math.cbrt(wBar * pBar * tauBar);
  const x = (w * g) / wBar;
  const y = (p * g) / pBar;
  const z = (tau * g) / tauBar;
  return (x * x * x + y * y * y + z * z * z) / 3;
}

/** Gradient [d/dw, d/dp, d/dtau] of productBound. */
export function productBoundGrad(w: number, p: number, tau: number, wBar: number, pBar: number, tauBar: number): [number, number, number] {
  const g = Math.cbrt(wBar * pBar * tauBar);
  const x = (w * g) / wBar;
  const y = (p * g) / pBar;
  const z = (tau * g) / tauBar;
  return [(x * x * g) / wBar, (y * y * g) / pBar, (z * z * g) / tauBar];
}
