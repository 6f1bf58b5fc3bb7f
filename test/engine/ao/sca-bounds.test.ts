/**
 * The SCA pieces of SPEC section 3, step 3: on thousands of random expansion and evaluation points,
 * G (eq. 17) bounds b ln(1+gamma) from below, W (eq. 19) bounds kappa sqrt(b) from above, the
 * energy surrogate bounds p tau from above, and Rs <= R~ <= R, each tight at the expansion point.
 * G and W are restated here from the SPEC, and the engine's Sp3Surrogate is checked against them.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toProblem, type Problem } from '../../../engine/problem.js';
import { evaluate } from '../../../engine/model/latency-energy.js';
import { allocatePoint, type Point } from '../../../engine/model/point.js';
import { rateExactMbps, rateV1Mbps } from '../../../engine/model/rate.js';
import { expansionTau, NC, NV, Sp3Surrogate } from '../../../engine/ao/sp3-surrogate.js';
import { packPoint } from '../../../engine/ao/sp3-resources.js';
import { resolveSettings } from '../../../engine/settings.js';
import { assertClose } from '../../helpers/close.js';
import { integer, logUniform, mulberry32, uniform, uniformOpenBelow, type Rng } from '../../helpers/random.js';

/** B N0 at the SPEC defaults [W]. */
const NOISE_W = 5e6 * 10 ** (-174 / 10) / 1000;
/** Rounding allowance relative to the size of the terms that are summed. */
const ROUND = 1e-13;

/** One expansion point (b̄, p̄) on a channel c = ||h||^2/(B N0). */
interface Expansion { c: number; bBar: number; pBar: number }

/** b, b̄ in (1e-4, 1]; p, p̄ in (1e-4, 0.2] W; gains log-uniform in [1e-13, 1e-7]. */
const drawB = (rng: Rng): number => (rng() < 0.5 ? logUniform(rng, 1e-4, 1) : uniformOpenBelow(rng, 1e-4, 1));
const drawP = (rng: Rng): number => (rng() < 0.5 ? logUniform(rng, 1e-4, 0.2) : uniformOpenBelow(rng, 1e-4, 0.2));
const drawExpansion = (rng: Rng): Expansion => ({ c: logUniform(rng, 1e-13, 1e-7) / NOISE_W, bBar: drawB(rng), pBar: drawP(rng) });

/** G(b, p) of SPEC eq. 17 and the size of its terms (for the rounding allowance). */
function sG(e: Expansion, b: number, p: number): { value: number; scale: number } {
  const gBar = (e.pBar * e.c) / e.bBar;
  const L = Math.log1p(gBar);
  const a = (e.bBar * gBar) / (1 + gBar);
  const t1 = 2 * e.bBar * L;
  const t2 = a * (2 - e.pBar / p - b / e.bBar);
  const t3 = (L * e.bBar * e.bBar) / b;
  return { value: t1 + t2 - t3, scale: Math.abs(t1) + a * (2 + e.pBar / p + b / e.bBar) + Math.abs(t3) };
}

/** W(b) of SPEC eq. 19. */
const sW = (kappa: number, bBar: number, b: number): number => kappa * (Math.sqrt(bBar) / 2 + b / (2 * Math.sqrt(bBar)));

/** b ln(1 + p c / b). */
const f = (c: number, b: number, p: number): number => b * Math.log1p((p * c) / b);

const params = toProblem({ gain: [1], cycles: [1], bits: [1] }, resolveSettings({ M: 1 })).params;
const K = params.rateScaleMbps;
const KAPPA = params.kappa;

const N_EXPANSIONS = 1000;
const N_EVALUATIONS = 10;

test(`G(b, p) <= b ln(1 + p c/b) on ${N_EXPANSIONS} x ${N_EVALUATIONS} random points`, () => {
  const rng = mulberry32(2024);
  for (let i = 0; i < N_EXPANSIONS; i++) {
    const e = drawExpansion(rng);
    for (let j = 0; j < N_EVALUATIONS; j++) {
      // Half the evaluation points far away, half near the expansion point.
      const near = j % 2 === 1;
      const b = near ? Math.min(1, e.bBar * uniform(rng, 0.9, 1.1)) : drawB(rng);
      const p = near ? Math.min(0.2, e.pBar * uniform(rng, 0.9, 1.1)) : drawP(rng);
      const g = sG(e, b, p);
      const exact = f(e.c, b, p);
      const tol = ROUND * (g.scale + Math.abs(exact));
      if (!(g.value <= exact + tol)) {
        assert.unreachable(`G ${g.value} > b ln(1+gamma) ${exact} (delta ${g.value - exact}, tolerance ${tol}) at ${JSON.stringify({ ...e, b, p })}`);
      }
    }
  }
});

test(`G(b̄, p̄) = b̄ ln(1 + p̄ c/b̄) at ${N_EXPANSIONS} random expansion points`, () => {
  const rng = mulberry32(2025);
  for (let i = 0; i < N_EXPANSIONS; i++) {
    const e = drawExpansion(rng);
    assertClose(sG(e, e.bBar, e.pBar).value, f(e.c, e.bBar, e.pBar), 1e-12, 0, `G at ${JSON.stringify(e)}`);
  }
});

test(`W(b) >= kappa sqrt(b), equal at b̄, on ${N_EXPANSIONS} x ${N_EVALUATIONS} random points`, () => {
  const rng = mulberry32(2026);
  for (let i = 0; i < N_EXPANSIONS; i++) {
    const bBar = drawB(rng);
    assertClose(sW(KAPPA, bBar, bBar), KAPPA * Math.sqrt(bBar), 1e-14, 0, `W(b̄) at b̄ ${bBar}`);
    for (let j = 0; j < N_EVALUATIONS; j++) {
      const b = drawB(rng);
      const w = sW(KAPPA, bBar, b);
      const exact = KAPPA * Math.sqrt(b);
      if (!(w >= exact * (1 - 1e-15))) assert.unreachable(`W ${w} < kappa sqrt(b) ${exact} at b̄ ${bBar}, b ${b}`);
    }
  }
});

test(`p tau <= (tau_bar/p̄ p^2 + p̄/tau_bar tau^2)/2, equal at (p̄, tau_bar), on ${N_EXPANSIONS} x ${N_EVALUATIONS} points`, () => {
  const rng = mulberry32(2027);
  const half = (pBar: number, tauBar: number, p: number, tau: number): number =>
    0.5 * ((tauBar / pBar) * p * p + (pBar / tauBar) * tau * tau);
  for (let i = 0; i < N_EXPANSIONS; i++) {
    const pBar = drawP(rng);
    const tauBar = logUniform(rng, 1e-3, 10); // ms/kbit: rates from 0.1 to 1000 Mbit/s
    assertClose(half(pBar, tauBar, pBar, tauBar), pBar * tauBar, 1e-15, 0, `at p̄ ${pBar}, tau_bar ${tauBar}`);
    for (let j = 0; j < N_EVALUATIONS; j++) {
      const p = drawP(rng);
      const tau = logUniform(rng, 1e-3, 10);
      const bound = half(pBar, tauBar, p, tau);
      if (!(p * tau <= bound * (1 + 1e-15))) {
        assert.unreachable(`p tau ${p * tau} > bound ${bound} at p̄ ${pBar}, tau_bar ${tauBar}, p ${p}, tau ${tau}`);
      }
    }
  }
});

/** A random problem of M UEs and an expansion point with random (b̄, p̄), s, alpha and f. */
function randomInstance(rng: Rng, M: number): { problem: Problem; x: Point } {
  const gain = Array.from({ length: M }, () => logUniform(rng, 1e-13, 1e-7));
  const cycles = Array.from({ length: M }, () => uniform(rng, 100, 300) * 1354);
  const problem = toProblem({ gain, cycles, bits: cycles.map(() => 10832) },
    resolveSettings({ M, deltaUe: rng() < 0.5 ? 0 : 0.02, deltaEs: rng() < 0.5 ? 0 : 0.02 }));
  const x = allocatePoint(M);
  for (let m = 0; m < M; m++) {
    x.cached[m] = rng() < 0.3 ? 1 : 0;
    x.alpha[m] = rng() < 0.3 ? integer(rng, 0, 1) : rng();
    x.bandwidth[m] = drawB(rng);
    x.powerW[m] = drawP(rng);
    x.fUeGHz[m] = uniform(rng, 0.1, 1.5);
    x.fEsGHz[m] = uniform(rng, 0.1, 5);
  }
  return { problem, x };
}

const N_PROBLEMS = 300;
const M_SUR = 8;
const N_SUR_EVAL = 5;

test(`the engine's Rs equals (B/ln2)(G - W) and Rs <= R~ <= R (${N_PROBLEMS} problems x ${M_SUR} UEs x ${N_SUR_EVAL} points)`, () => {
  const rng = mulberry32(2028);
  for (let i = 0; i < N_PROBLEMS; i++) {
    const { problem, x } = randomInstance(rng, M_SUR);
    const sur = new Sp3Surrogate(problem, x, expansionTau(problem, x));
    for (let m = 0; m < M_SUR; m++) {
      const e: Expansion = { c: problem.cPerW[m], bBar: x.bandwidth[m], pBar: x.powerW[m] };
      for (let j = 0; j < N_SUR_EVAL; j++) {
        const b = j === 0 ? e.bBar : drawB(rng);
        const p = j === 0 ? e.pBar : drawP(rng);
        const g = sG(e, b, p);
        const w = sW(KAPPA, e.bBar, b);
        const scale = K * (g.scale + w + f(e.c, b, p) + KAPPA * Math.sqrt(b));
        const mine = K * (g.value - w);
        const rs = sur.surrogateRateMbps(m, b, p);
        const where = `problem ${i}, UE ${m}, ${JSON.stringify({ ...e, b, p })}`;
        assertClose(rs, mine, 0, ROUND * scale, `Rs vs (B/ln2)(G - W), ${where}`);
        const rV1 = rateV1Mbps(problem.params, e.c, b, p);
        const rExact = rateExactMbps(problem.params, e.c, b, p);
        if (!(rs <= rV1 + ROUND * scale)) assert.unreachable(`Rs ${rs} > R~ ${rV1} (delta ${rs - rV1}, tolerance ${ROUND * scale}), ${where}`);
        if (!(rV1 <= rExact + ROUND * scale)) assert.unreachable(`R~ ${rV1} > R ${rExact}, ${where}`);
      }
    }
  }
});

test(`Rs(b̄, p̄) = R~(b̄, p̄) to 1e-12 relative at ${N_PROBLEMS * M_SUR} expansion points`, () => {
  const rng = mulberry32(2029);
  for (let i = 0; i < N_PROBLEMS; i++) {
    const { problem, x } = randomInstance(rng, M_SUR);
    const sur = new Sp3Surrogate(problem, x, expansionTau(problem, x));
    for (let m = 0; m < M_SUR; m++) {
      const b = x.bandwidth[m];
      const p = x.powerW[m];
      const rV1 = rateV1Mbps(problem.params, problem.cPerW[m], b, p);
      // Relative to R~, or to the size of its terms where R~ itself cancels to near zero.
      const terms = K * (b * Math.log1p((p * problem.cPerW[m]) / b) + KAPPA * Math.sqrt(b));
      assertClose(sur.surrogateRateMbps(m, b, p), rV1, 1e-12, 1e-13 * terms, `problem ${i}, UE ${m}, b̄ ${b}, p̄ ${p}`);
    }
  }
});

test(`Rs is concave: its midpoint value is at least the mean of the ends (${N_PROBLEMS * M_SUR * 4} segments)`, () => {
  const rng = mulberry32(2030);
  for (let i = 0; i < N_PROBLEMS; i++) {
    const { problem, x } = randomInstance(rng, M_SUR);
    const sur = new Sp3Surrogate(problem, x, expansionTau(problem, x));
    for (let m = 0; m < M_SUR; m++) {
      for (let j = 0; j < 4; j++) {
        const [b1, p1, b2, p2] = [drawB(rng), drawP(rng), drawB(rng), drawP(rng)];
        const mid = sur.surrogateRateMbps(m, (b1 + b2) / 2, (p1 + p2) / 2);
        const r1 = sur.surrogateRateMbps(m, b1, p1);
        const r2 = sur.surrogateRateMbps(m, b2, p2);
        const tol = ROUND * (Math.abs(r1) + Math.abs(r2) + Math.abs(mid));
        if (!(mid >= (r1 + r2) / 2 - tol)) assert.unreachable(`Rs mid ${mid} < mean ${(r1 + r2) / 2}, problem ${i}, UE ${m}`);
      }
    }
  }
});

test(`at the expansion point with tau = tau_bar the surrogate's objective is J and its slots are the model's (${N_PROBLEMS} problems)`, () => {
  const rng = mulberry32(2031);
  const { tMaxMs, eMaxMj, rMinMbps } = params;
  for (let i = 0; i < N_PROBLEMS; i++) {
    const { problem, x } = randomInstance(rng, M_SUR);
    // Keep R~ > 0 at the expansion point, as it is at every feasible point.
    for (let m = 0; m < M_SUR; m++) {
      while (rateV1Mbps(problem.params, problem.cPerW[m], x.bandwidth[m], x.powerW[m]) <= 0.05) {
        x.bandwidth[m] = drawB(rng);
        x.powerW[m] = 0.2;
        problem.cPerW[m] *= 10;
      }
    }
    const tauBar = expansionTau(problem, x);
    const sur = new Sp3Surrogate(problem, x, tauBar);
    const v = packPoint(x, tauBar);
    const ev = evaluate(problem, x, 'v1');
    const grad = new Float64Array(M_SUR * NV);
    const hdiag = new Float64Array(M_SUR * NV);
    assertClose(sur.objective(v, grad, hdiag), ev.totalMs, 1e-12, 0, `objective, problem ${i}`);
    const val = new Float64Array(M_SUR * NC);
    const sg = new Float64Array(M_SUR * NC * NV);
    const sh = new Float64Array(M_SUR * NC * NV);
    assert.ok(sur.slots(v, val, sg, sh), `slots in the domain, problem ${i}`);
    for (let m = 0; m < M_SUR; m++) {
      const c = m * NC;
      const where = `problem ${i}, UE ${m} (s ${x.cached[m]}, alpha ${x.alpha[m]})`;
      const terms = K * (x.bandwidth[m] * Math.log1p((x.powerW[m] * problem.cPerW[m]) / x.bandwidth[m]) + KAPPA);
      assertClose(val[c + 0], (rMinMbps - ev.rateMbps[m]) / rMinMbps, 0, 1e-12 * terms, `rate-min slot, ${where}`);
      assertClose(val[c + 2], ev.latencyMs[m] / tMaxMs - 1, 1e-12, 1e-14, `latency slot, ${where}`);
      if (!x.cached[m]) {
        assertClose(val[c + 1], 0, 0, 1e-12 * terms, `tau slot, ${where}`);
        assertClose(val[c + 3], ev.energyMj[m] / eMaxMj - 1, 1e-12, 1e-14, `energy slot, ${where}`);
      }
    }
  }
});

test.run();
