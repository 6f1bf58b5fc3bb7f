/**
 * An independent, deliberately plain implementation of SP3's convex surrogate (SPEC section 3,
 * step 3) in natural form (constraints g(v) <= 0 in their own units), for the tests' KKT and
 * search checks. It shares no code with engine/ao/sp3-surrogate.ts beyond the problem data.
 */
import type { Problem } from '../../engine/problem.js';
import type { Point } from '../../engine/model/point.js';

/** Per UE: v = [b, p, fue, fes, tau]. */
export const NVAR = 5;

export interface ReferenceSurrogate {
  /** Which variables are optimised [M * 5]. */
  free: boolean[];
  /** Rs(b, p) of UE m [Mbit/s]. */
  rate(m: number, b: number, p: number): number;
  objective(v: Float64Array): number;
  /** Every constraint g(v) <= 0, with a name and the scale of its limit. */
  constraints: { name: string; device: number | null; scale: number; g: (v: Float64Array) => number }[];
}

export function referenceSurrogate(problem: Problem, xBar: Point): ReferenceSurrogate {
  const P = problem.params;
  const M = xBar.alpha.length;
  const K = P.rateScaleMbps;
  const ku = 1 - P.deltaUe;
  const ke = 1 - P.deltaEs;
  const free: boolean[] = [];
  const rsOf: ((b: number, p: number) => number)[] = [];
  const tauBar: number[] = [];
  for (let m = 0; m < M; m++) {
    const s = xBar.cached[m];
    const a = xBar.alpha[m];
    free.push(true, true, !s && a > 0, Boolean(s) || a < 1, !s);
    const bb = xBar.bandwidth[m];
    const pb = xBar.powerW[m];
    const gamma = (pb * problem.cPerW[m]) / bb;
    const L = Math.log(1 + gamma);
    // SPEC eq. 17 and 19.
    const G = (b: number, p: number) => 2 * bb * L + ((bb * gamma) / (1 + gamma)) * (2 - pb / p - b / bb) - (L * bb * bb) / b;
    const W = (b: number) => P.kappa * (Math.sqrt(bb) / 2 + b / (2 * Math.sqrt(bb)));
    rsOf.push((b, p) => K * (G(b, p) - W(b)));
    const rTilde = K * (bb * Math.log(1 + gamma) - P.kappa * Math.sqrt(bb));
    tauBar.push(1 / rTilde);
  }
  const latency = (v: Float64Array, m: number): number => {
    const C = problem.cyclesMc[m];
    const o = m * NVAR;
    if (xBar.cached[m]) return C / (ke * v[o + 3]);
    const a = xBar.alpha[m];
    let t = problem.bitsKbit[m] * v[o + 4];
    if (a > 0) t += (a * C) / (ku * v[o + 2]);
    if (a < 1) t += ((1 - a) * C) / (ke * v[o + 3]);
    return t;
  };
  const energy = (v: Float64Array, m: number): number => {
    const C = problem.cyclesMc[m];
    const D = problem.bitsKbit[m];
    const o = m * NVAR;
    const a = xBar.alpha[m];
    const pb = xBar.powerW[m];
    const f = ku * v[o + 2];
    const local = a > 0 ? a * 0.5 * P.thetaModel * C * f * f : 0;
    return local + ((1 - a) * D / 2) * ((tauBar[m] / pb) * v[o + 1] ** 2 + (pb / tauBar[m]) * v[o + 4] ** 2);
  };
  const constraints: ReferenceSurrogate['constraints'] = [];
  for (let m = 0; m < M; m++) {
    const o = m * NVAR;
    const rs = rsOf[m];
    constraints.push({ name: 'rate-min', device: m, scale: P.rMinMbps, g: (v) => P.rMinMbps - rs(v[o], v[o + 1]) });
    constraints.push({ name: 'latency', device: m, scale: P.tMaxMs, g: (v) => latency(v, m) - P.tMaxMs });
    constraints.push({ name: 'p-max', device: m, scale: P.pMaxW, g: (v) => v[o + 1] - P.pMaxW });
    if (!xBar.cached[m]) {
      constraints.push({ name: 'tau', device: m, scale: P.rMinMbps, g: (v) => 1 / v[o + 4] - rs(v[o], v[o + 1]) });
      constraints.push({ name: 'energy', device: m, scale: P.eMaxMj, g: (v) => energy(v, m) - P.eMaxMj });
    }
    if (free[o + 2]) constraints.push({ name: 'fue-max', device: m, scale: P.fUeMaxGHz, g: (v) => v[o + 2] - P.fUeMaxGHz });
    if (free[o + 3]) constraints.push({ name: 'fes-max', device: m, scale: P.fEsMaxGHz, g: (v) => v[o + 3] - P.fEsMaxGHz });
  }
  constraints.push({
    name: 'bandwidth-sum', device: null, scale: 1,
    g: (v) => {
      let s = 0;
      for (let m = 0; m < M; m++) s += v[m * NVAR];
      return s - 1;
    },
  });
  constraints.push({
    name: 'es-load', device: null, scale: P.fEsMaxGHz,
    g: (v) => {
      let s = 0;
      for (let m = 0; m < M; m++) {
        const w = xBar.cached[m] ? 1 : 1 - xBar.alpha[m];
        if (w > 0) s += w * v[m * NVAR + 3];
      }
      return s - P.fEsMaxGHz;
    },
  });
  const objective = (v: Float64Array): number => {
    let t = 0;
    for (let m = 0; m < M; m++) t += latency(v, m);
    return t;
  };
  return { free, rate: (m, b, p) => rsOf[m](b, p), objective, constraints };
}

/** Central finite difference of f along variable j, step relative to |v_j|. */
export function fdPartial(f: (v: Float64Array) => number, v: Float64Array, j: number, rel = 1e-6): number {
  const h = rel * Math.max(Math.abs(v[j]), 1e-3);
  const up = v.slice();
  const down = v.slice();
  up[j] += h;
  down[j] -= h;
  return (f(up) - f(down)) / (2 * h);
}
