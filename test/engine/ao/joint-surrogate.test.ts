/**
 * The joint surrogate (engine/ao/joint-surrogate.ts), checked against the model and against
 * finite differences on random points around real AO points:
 * - every slot and the objective have the gradient, diagonal curvature and mixed curvatures that
 *   finite differences give (the whole block Hessian, so an unlisted mixed term would show);
 * - the latency and energy slots bound the model's latency and energy from above wherever
 *   tau >= 1/R~ (what the constraint tau >= 1/Rs guarantees), and equal them at the expansion point;
 * - the product bound of the transmission energy, the only new bound, lies above w p tau on
 *   random points and touches it at the point;
 * - the objective and slots are convex (midpoint inequality on random segments).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toProblem, type Problem } from '../../../engine/problem.js';
import { generateScenario } from '../../../engine/scenario.js';
import { resolveSettings } from '../../../engine/settings.js';
import { solveAo } from '../../../engine/ao/solve-ao.js';
import { evaluate, totalLatencyMs } from '../../../engine/model/latency-energy.js';
import { clonePoint, type Point } from '../../../engine/model/point.js';
import { rateV1Mbps } from '../../../engine/model/rate.js';
import { expansionTau } from '../../../engine/ao/sp3-surrogate.js';
import { J_ALPHA, J_B, J_P, J_R, J_TAU, J_U, JNC, JNV, JointSurrogate } from '../../../engine/ao/joint-surrogate.js';
import { mulberry32, uniform, type Rng } from '../../helpers/random.js';

const settings = resolveSettings({ M: 6, sMaxKbit: 20 });
const M = settings.M;
const CROSS = 2;

/** A realisation, its AO point moved to a random interior alpha, and the surrogate there. */
function drawCase(rng: Rng, r: number): { problem: Problem; x: Point; s: JointSurrogate } {
  const problem = toProblem(generateScenario(settings, { seed: 11, point: null, realisation: r }), settings);
  const x = clonePoint(solveAo(problem).point);
  for (let m = 0; m < M; m++) x.alpha[m] = uniform(rng, 0.05, 0.95);
  return { problem, x, s: new JointSurrogate(problem, x, expansionTau(problem, x)) };
}

/** A random point of the surrogate's domain near the expansion point, with tau = factor / R~(b, p). */
function drawNear(rng: Rng, c: { problem: Problem; x: Point; s: JointSurrogate }, spread: number, tauFactor = 1): Float64Array {
  const v = c.s.pack(c.x, expansionTau(c.problem, c.x));
  const jitter = (): number => Math.exp(uniform(rng, -spread, spread));
  for (let m = 0; m < M; m++) {
    const f = m * JNV;
    v[f + J_B] *= jitter();
    v[f + J_P] *= jitter();
    v[f + J_U] *= jitter();
    if (!c.x.cached[m]) {
      v[f + J_ALPHA] = Math.min(0.99, v[f + J_ALPHA] * jitter());
      v[f + J_R] *= jitter();
      v[f + J_TAU] = tauFactor / rateV1Mbps(c.problem.params, c.problem.cPerW[m], v[f + J_B], v[f + J_P]);
    }
  }
  return v;
}

interface Eval { val: Float64Array; grad: Float64Array; hdiag: Float64Array; hcross: Float64Array; ok: boolean }
function slotsAt(s: JointSurrogate, v: Float64Array): Eval {
  const n = M * JNC;
  const e = { val: new Float64Array(n), grad: new Float64Array(n * JNV), hdiag: new Float64Array(n * JNV), hcross: new Float64Array(n * CROSS), ok: false };
  e.ok = s.slots(v, e.val, e.grad, e.hdiag, e.hcross);
  return e;
}
function objectiveAt(s: JointSurrogate, v: Float64Array): { f: number; grad: Float64Array; hdiag: Float64Array; hcross: Float64Array } {
  const o = { f: 0, grad: new Float64Array(M * JNV), hdiag: new Float64Array(M * JNV), hcross: new Float64Array(M * CROSS) };
  o.f = s.objective(v, o.grad, o.hdiag, o.hcross);
  return o;
}

/** The model's point and tau of a packed vector. */
function unpacked(c: { x: Point; s: JointSurrogate }, v: Float64Array): { x: Point; tau: Float64Array } {
  const x = clonePoint(c.x);
  const tau = new Float64Array(M);
  c.s.unpack(v, x, tau);
  return { x, tau };
}

/**
 * Checks one function's gradient and full block Hessian against central differences: fn(v)
 * returns the value and (gradient, diagonal, mixed) of block m.
 */
function checkDerivatives(
  label: string, v: Float64Array, m: number, free: Uint8Array,
  fn: (v: Float64Array) => { value: number; grad: number[]; hdiag: number[]; cross: number[] },
): void {
  const at = fn(v);
  const pairs = [[J_ALPHA, J_R], [J_ALPHA, J_U]];
  for (let a = 0; a < JNV; a++) {
    if (!free[m * JNV + a]) continue;
    const h = 1e-6 * Math.abs(v[m * JNV + a]);
    const up = v.slice();
    const down = v.slice();
    up[m * JNV + a] += h;
    down[m * JNV + a] -= h;
    const fu = fn(up);
    const fd = fn(down);
    const dv = (fu.value - fd.value) / (2 * h);
    const scale = Math.abs(at.value) + 1;
    assert.ok(Math.abs(dv - at.grad[a]) <= 1e-5 * Math.abs(dv) + (1e-12 * scale) / h, `${label} d/dx${a}: ${at.grad[a]} vs ${dv}`);
    for (let b = 0; b < JNV; b++) {
      if (!free[m * JNV + b]) continue;
      const d2 = (fu.grad[b] - fd.grad[b]) / (2 * h);
      const pair = pairs.findIndex(([p, q]) => (p === a && q === b) || (p === b && q === a));
      const expect = a === b ? at.hdiag[a] : pair >= 0 ? at.cross[pair] : 0;
      const gScale = Math.abs(at.grad[b]) + 1e-300;
      assert.ok(Math.abs(d2 - expect) <= 1e-4 * Math.abs(d2) + (1e-10 * gScale) / h + 1e-9 * Math.abs(expect),
        `${label} d2/dx${a}dx${b}: ${expect} vs ${d2}`);
    }
  }
}

test('joint surrogate: gradients, diagonal and mixed curvatures of every slot and the objective match finite differences', () => {
  const rng = mulberry32(7);
  for (let r = 0; r < 6; r++) {
    const c = drawCase(rng, r);
    for (let k = 0; k < 5; k++) {
      const v = drawNear(rng, c, 0.3, 1.2);
      assert.ok(slotsAt(c.s, v).ok, 'a drawn point is outside the domain');
      for (let m = 0; m < M; m++) {
        for (let slot = 0; slot < JNC; slot++) {
          if (!c.s.active[m * JNC + slot]) continue;
          const i = m * JNC + slot;
          checkDerivatives(`realisation ${r} UE ${m} slot ${slot}`, v, m, c.s.free, (y) => {
            const e = slotsAt(c.s, y);
            return {
              value: e.val[i], grad: Array.from(e.grad.subarray(i * JNV, (i + 1) * JNV)),
              hdiag: Array.from(e.hdiag.subarray(i * JNV, (i + 1) * JNV)), cross: Array.from(e.hcross.subarray(i * CROSS, (i + 1) * CROSS)),
            };
          });
        }
        checkDerivatives(`realisation ${r} UE ${m} objective`, v, m, c.s.free, (y) => {
          const o = objectiveAt(c.s, y);
          return {
            value: o.f, grad: Array.from(o.grad.subarray(m * JNV, (m + 1) * JNV)),
            hdiag: Array.from(o.hdiag.subarray(m * JNV, (m + 1) * JNV)), cross: Array.from(o.hcross.subarray(m * CROSS, (m + 1) * CROSS)),
          };
        });
      }
    }
  }
});

test('joint surrogate: equal to the model at the expansion point (objective = J, latency, energy, tau slot = 0)', () => {
  const rng = mulberry32(8);
  for (let r = 0; r < 20; r++) {
    const c = drawCase(rng, r);
    const v = c.s.pack(c.x, expansionTau(c.problem, c.x));
    const model = evaluate(c.problem, c.x, 'v1');
    const o = objectiveAt(c.s, v);
    const j = totalLatencyMs(c.problem, c.x);
    assert.ok(Math.abs(o.f - j) <= 1e-12 * j, `objective ${o.f} vs J ${j}`);
    const e = slotsAt(c.s, v);
    const { params } = c.problem;
    for (let m = 0; m < M; m++) {
      const i = m * JNC;
      assert.ok(Math.abs((e.val[i + 2] + 1) * params.tMaxMs - model.latencyMs[m]) <= 1e-12 * params.tMaxMs, `UE ${m} latency`);
      if (c.x.cached[m]) continue;
      assert.ok(Math.abs((e.val[i + 3] + 1) * params.eMaxMj - model.energyMj[m]) <= 1e-12 * params.eMaxMj, `UE ${m} energy`);
      assert.ok(Math.abs(e.val[i + 1]) <= 1e-12, `UE ${m} tau slot ${e.val[i + 1]}`);
    }
  }
});

test('joint surrogate: latency and energy slots bound the model from above wherever tau >= 1/R~', () => {
  const rng = mulberry32(9);
  let checked = 0;
  for (let r = 0; r < 20; r++) {
    const c = drawCase(rng, r);
    const { params } = c.problem;
    for (let k = 0; k < 50; k++) {
      const v = drawNear(rng, c, 1, uniform(rng, 1, 2));
      const e = slotsAt(c.s, v);
      if (!e.ok) continue;
      const { x } = unpacked(c, v);
      const model = evaluate(c.problem, x, 'v1');
      for (let m = 0; m < M; m++) {
        const i = m * JNC;
        const t = (e.val[i + 2] + 1) * params.tMaxMs;
        assert.ok(t >= model.latencyMs[m] * (1 - 1e-12), `UE ${m} latency bound ${t} < ${model.latencyMs[m]}`);
        if (c.x.cached[m]) continue;
        const en = (e.val[i + 3] + 1) * params.eMaxMj;
        assert.ok(en >= model.energyMj[m] * (1 - 1e-12), `UE ${m} energy bound ${en} < ${model.energyMj[m]}`);
        checked++;
      }
    }
  }
  assert.ok(checked > 1000, `only ${checked} UE points checked`);
});

test('joint surrogate: the transmission-energy product bound lies above w p tau and touches it at the point', () => {
  // w p tau <= ((w/a)^3 + (p/b)^3 + (tau/c)^3)/3 with a b c = 1 and equal ratios at the point.
  const rng = mulberry32(10);
  const bound = (w: number, p: number, t: number, wb: number, pb: number, tb: number): number => {
    const g = Math.cbrt(wb * pb * tb);
    return ((w * g / wb) ** 3 + (p * g / pb) ** 3 + (t * g / tb) ** 3) / 3;
  };
  for (let i = 0; i < 20000; i++) {
    const [wb, pb, tb] = [uniform(rng, 1e-4, 1), uniform(rng, 1e-4, 0.2), uniform(rng, 1e-3, 1)];
    const [w, p, t] = [uniform(rng, 0, 1), uniform(rng, 0, 0.2), uniform(rng, 0, 1)];
    assert.ok(bound(w, p, t, wb, pb, tb) >= w * p * t * (1 - 1e-12), 'below the product');
    assert.ok(Math.abs(bound(wb, pb, tb, wb, pb, tb) - wb * pb * tb) <= 1e-12 * wb * pb * tb, 'not tight');
  }
});

test('joint surrogate: objective and slots are convex along random segments', () => {
  const rng = mulberry32(12);
  for (let r = 0; r < 10; r++) {
    const c = drawCase(rng, r);
    for (let k = 0; k < 40; k++) {
      const a = drawNear(rng, c, 0.5, uniform(rng, 1, 2));
      const b = drawNear(rng, c, 0.5, uniform(rng, 1, 2));
      const mid = a.map((v, j) => (v + b[j]) / 2);
      const [ea, eb, em] = [slotsAt(c.s, a), slotsAt(c.s, b), slotsAt(c.s, mid)];
      if (!(ea.ok && eb.ok && em.ok)) continue;
      for (let i = 0; i < M * JNC; i++) {
        if (!c.s.active[i]) continue;
        const avg = (ea.val[i] + eb.val[i]) / 2;
        assert.ok(em.val[i] <= avg + 1e-12 * (Math.abs(avg) + 1), `slot ${i % JNC} of UE ${Math.floor(i / JNC)} not convex`);
      }
      const [oa, ob, om] = [objectiveAt(c.s, a).f, objectiveAt(c.s, b).f, objectiveAt(c.s, mid).f];
      assert.ok(om <= (oa + ob) / 2 * (1 + 1e-12), 'objective not convex');
    }
  }
});

test.run();
