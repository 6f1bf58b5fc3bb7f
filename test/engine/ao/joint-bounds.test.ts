/**
 * The joint optimiser's convex bounds (engine/ao/joint-bounds.ts): above the function everywhere
 * sampled, equal to it with the same gradient at the expansion point, gradients as finite
 * differences say, and convex (midpoint inequality).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  alphaFSquaredBound, alphaFSquaredBoundGrad, alphaOverFBound, alphaOverFBoundGrad, productBound, productBoundGrad,
} from '../../../engine/ao/joint-bounds.js';
import { mulberry32 } from '../../helpers/random.js';

const rnd = mulberry32(20261128);
/** Log-uniform in [lo, hi]. */
const logU = (lo: number, hi: number): number => lo * (hi / lo) ** rnd();

interface Case {
  name: string;
  dim: number;
  f: (x: number[]) => number;
  bound: (x: number[], at: number[]) => number;
  grad: (x: number[], at: number[]) => number[];
  /** A random point of the domain. */
  draw: () => number[];
}

/** Central difference of fn along coordinate k at x, with step h = 1e-6 x_k. */
function centralDiff(fn: (x: number[]) => number, x: number[], k: number): { d: number; h: number } {
  const h = 1e-6 * x[k];
  const up = x.slice();
  const down = x.slice();
  up[k] += h;
  down[k] -= h;
  return { d: (fn(up) - fn(down)) / (2 * h), h };
}

const CASES: Case[] = [
  {
    name: 'alpha / f', dim: 2, f: ([a, f]) => a / f,
    bound: ([a, f], [ab, fb]) => alphaOverFBound(a, f, ab, fb), grad: ([a, f], [ab, fb]) => alphaOverFBoundGrad(a, f, ab, fb),
    draw: () => [logU(1e-4, 1), logU(1e-2, 3)],
  },
  {
    name: 'alpha f^2', dim: 2, f: ([a, f]) => a * f * f,
    bound: ([a, f], [ab, fb]) => alphaFSquaredBound(a, f, ab, fb), grad: ([a, f], [ab, fb]) => alphaFSquaredBoundGrad(a, f, ab, fb),
    draw: () => [logU(1e-4, 1), logU(1e-2, 3)],
  },
  {
    name: '(1 - alpha) p tau', dim: 3, f: ([w, p, t]) => w * p * t,
    bound: ([w, p, t], [wb, pb, tb]) => productBound(w, p, t, wb, pb, tb), grad: ([w, p, t], [wb, pb, tb]) => productBoundGrad(w, p, t, wb, pb, tb),
    draw: () => [logU(1e-4, 1), logU(1e-4, 0.2), logU(1e-3, 1)],
  },
];

for (const c of CASES) {
  test(`${c.name}: the bound lies above the function and is convex`, () => {
    for (let i = 0; i < 5000; i++) {
      const at = c.draw();
      const x = c.draw();
      const y = c.draw();
      const fx = c.f(x);
      const bx = c.bound(x, at);
      assert.ok(bx >= fx * (1 - 1e-12), `bound ${bx} below ${fx} at ${x} (point ${at})`);
      const mid = x.map((v, k) => (v + y[k]) / 2);
      const bm = c.bound(mid, at);
      const avg = (bx + c.bound(y, at)) / 2;
      assert.ok(bm <= avg * (1 + 1e-12), `not convex between ${x} and ${y}: ${bm} > ${avg}`);
    }
  });

  test(`${c.name}: tight at the expansion point, with the function's gradient`, () => {
    for (let i = 0; i < 2000; i++) {
      const at = c.draw();
      const fa = c.f(at);
      assert.ok(Math.abs(c.bound(at, at) - fa) <= 1e-12 * fa, `not tight: ${c.bound(at, at)} vs ${fa}`);
      const g = c.grad(at, at);
      for (let k = 0; k < c.dim; k++) {
        const df = centralDiff(c.f, at, k).d;
        assert.ok(Math.abs(g[k] - df) <= 1e-6 * Math.abs(df) + 1e-12, `d/dx${k}: bound ${g[k]} vs function ${df}`);
      }
    }
  });

  test(`${c.name}: the gradient matches finite differences of the bound away from the point`, () => {
    for (let i = 0; i < 2000; i++) {
      const at = c.draw();
      const x = c.draw();
      const g = c.grad(x, at);
      for (let k = 0; k < c.dim; k++) {
        const { d: fd, h } = centralDiff((y) => c.bound(y, at), x, k);
        // A central difference carries rounding of about eps |bound| / h beside its O(h^2) error.
        const tol = 1e-5 * Math.abs(fd) + (1e-14 * Math.abs(c.bound(x, at))) / h;
        assert.ok(Math.abs(g[k] - fd) <= tol, `d/dx${k}: ${g[k]} vs ${fd} (tolerance ${tol})`);
      }
    }
  });
}

test.run();
