/**
 * The URLLC rate (SPEC section 2, eq. 1) and Qinv, against values computed here in SI units from
 * the SPEC formulas (test/helpers/si-reference.ts) and against 30-digit mpmath values.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { modelParams, toProblem, type Problem } from '../../../engine/problem.js';
import { normalQuantile, qInverse } from '../../../engine/model/qinv.js';
import { dispersion, rateExactMbps, rateMbps, rateV1Mbps, snr } from '../../../engine/model/rate.js';
import { DEFAULT_SETTINGS, resolveSettings } from '../../../engine/settings.js';
import { assertClose } from '../../helpers/close.js';
import { logUniform, mulberry32 } from '../../helpers/random.js';
import { DEFAULT_LINK, QINV_1E7, siDispersion, siRateBps, siSnr } from '../../helpers/si-reference.js';

/** A one-UE problem with ||h||^2 = gain under the SPEC defaults (B = 5 MHz, N0 = -174 dBm/Hz). */
const oneUe = (gain: number): Problem =>
  toProblem({ gain: [gain], cycles: [270800], bits: [10832] }, resolveSettings({ M: 1 }));

/** Rounding of a few float64 operations. */
const RTOL = 1e-12;

test('modelParams: kappa is Qinv(eps)/sqrt(phi B) and the rate scale is B/ln2 in Mbit/s', () => {
  const params = modelParams(DEFAULT_SETTINGS);
  assertClose(params.kappa, QINV_1E7 / Math.sqrt(1e-4 * 5e6), RTOL, 0, 'kappa');
  assertClose(params.rateScaleMbps, 5e6 / Math.LN2 / 1e6, RTOL, 0, 'B/ln2 [Mbit/s]');
  assertClose(params.pMaxW, 10 ** (23 / 10) / 1000, RTOL, 0, 'Pmax [W]');
});

test('gamma = p ||h||^2 / (b B N0): 100475.457260383 at gain 1e-9, b = 0.1, p = 0.2 W', () => {
  const problem = oneUe(1e-9);
  const gamma = snr(problem.cPerW[0], 0.1, 0.2);
  assertClose(gamma, siSnr(DEFAULT_LINK, 1e-9, 0.1, 0.2), RTOL, 0, 'gamma vs SI formula');
  assertClose(gamma, 100475.457260383204, RTOL, 0, 'gamma vs mpmath');
});

test('R (V from gamma) at gain 1e-9, b = 0.1, p = 0.2 W is 7.77784405170644 Mbit/s', () => {
  const problem = oneUe(1e-9);
  const r = rateExactMbps(problem.params, problem.cPerW[0], 0.1, 0.2);
  assertClose(r, siRateBps(DEFAULT_LINK, 1e-9, 0.1, 0.2, false) / 1e6, RTOL, 0, 'R vs SI formula');
  assertClose(r, 7.77784405170644167, RTOL, 0, 'R vs mpmath');
});

test('R~ (V = 1) at gain 1e-9, b = 0.1, p = 0.2 W is 7.77784405168017 Mbit/s', () => {
  const problem = oneUe(1e-9);
  const r = rateV1Mbps(problem.params, problem.cPerW[0], 0.1, 0.2);
  assertClose(r, siRateBps(DEFAULT_LINK, 1e-9, 0.1, 0.2, true) / 1e6, RTOL, 0, 'R~ vs SI formula');
  assertClose(r, 7.77784405168017234, RTOL, 0, 'R~ vs mpmath');
});

test('at low SNR (gamma = 0.8038) R = 1.14052638802 and R~ = 0.94158428534 Mbit/s differ by 17%', () => {
  const problem = oneUe(4e-14);
  const c = problem.cPerW[0];
  assertClose(snr(c, 0.5, 0.2), 0.803803658083065636, RTOL, 0, 'gamma');
  assertClose(rateExactMbps(problem.params, c, 0.5, 0.2), 1.14052638802305656, 1e-11, 0, 'R');
  assertClose(rateV1Mbps(problem.params, c, 0.5, 0.2), 0.941584285341604753, 1e-11, 0, 'R~');
});

test('rates may be negative at very low SNR and match the SI formula there', () => {
  const problem = oneUe(1e-14);
  const c = problem.cPerW[0];
  assertClose(rateExactMbps(problem.params, c, 0.5, 0.01), -0.130814150272587937, 1e-10, 0, 'R');
  assertClose(rateV1Mbps(problem.params, c, 0.5, 0.01), -1.14996347780649562, 1e-11, 0, 'R~');
});

test('rateMbps dispatches on the kind', () => {
  const problem = oneUe(4e-14);
  const c = problem.cPerW[0];
  assert.is(rateMbps('exact', problem.params, c, 0.5, 0.2), rateExactMbps(problem.params, c, 0.5, 0.2));
  assert.is(rateMbps('v1', problem.params, c, 0.5, 0.2), rateV1Mbps(problem.params, c, 0.5, 0.2));
});

test('R~ <= R at 20000 random points, gains 1e-16 to 1e-7 (SNR from about 1e-4 to 1e10)', () => {
  const rng = mulberry32(101);
  const { params } = oneUe(1);
  const n0 = 5e6 * 10 ** (-174 / 10) / 1000;
  for (let i = 0; i < 20000; i++) {
    const c = logUniform(rng, 1e-16, 1e-7) / n0;
    const b = logUniform(rng, 1e-4, 1);
    const p = logUniform(rng, 1e-4, 0.2);
    const exact = rateExactMbps(params, c, b, p);
    const v1 = rateV1Mbps(params, c, b, p);
    // Both share b ln(1+gamma); the V = 1 term is never smaller. Allow rounding of that sum.
    const slack = 1e-13 * params.rateScaleMbps * (b * Math.log1p((p * c) / b) + params.kappa * Math.sqrt(b));
    if (!(v1 <= exact + slack)) {
      assert.unreachable(`R~ ${v1} > R ${exact} (delta ${v1 - exact}, tolerance ${slack}) at c ${c}, b ${b}, p ${p}`);
    }
  }
});

test('R matches the SI formula at 2000 random points of moderate SNR', () => {
  const rng = mulberry32(102);
  const { params } = oneUe(1);
  const n0 = 5e6 * 10 ** (-174 / 10) / 1000;
  for (let i = 0; i < 2000; i++) {
    const gain = logUniform(rng, 1e-13, 1e-7);
    const b = logUniform(rng, 1e-3, 1);
    const p = logUniform(rng, 1e-3, 0.2);
    const expected = siRateBps(DEFAULT_LINK, gain, b, p, false) / 1e6;
    const scale = params.rateScaleMbps * (b * Math.log1p(siSnr(DEFAULT_LINK, gain, b, p)) + params.kappa * Math.sqrt(b));
    assertClose(rateExactMbps(params, gain / n0, b, p), expected, 0, 1e-11 * scale, `R at gain ${gain}, b ${b}, p ${p}`);
  }
});

test('qInverse(1e-7) = 5.199337582 (to 1e-9) and matches mpmath to 1e-14', () => {
  assertClose(qInverse(1e-7), 5.199337582, 0, 1e-9, 'Qinv(1e-7)');
  assertClose(qInverse(1e-7), QINV_1E7, 1e-14, 0, 'Qinv(1e-7) vs mpmath');
});

test('qInverse(0.5) = 0', () => {
  assert.is(Math.abs(qInverse(0.5)), 0);
});

test('qInverse at 0.025 and 1e-3 matches mpmath (both branches of AS 241)', () => {
  assertClose(qInverse(0.025), 1.95996398454005424, 1e-14, 0, 'Qinv(0.025)');
  assertClose(qInverse(1e-3), 3.09023230616781354, 1e-14, 0, 'Qinv(1e-3)');
});

test('qInverse is odd about 1/2: Qinv(1 - eps) = -Qinv(eps)', () => {
  for (const eps of [1e-7, 1e-5, 1e-3, 0.01, 0.025, 0.1, 0.3, 0.45]) {
    assertClose(qInverse(1 - eps), -qInverse(eps), 1e-9, 0, `eps ${eps}`);
  }
});

test('normalQuantile returns the infinities at 0 and 1 and NaN outside [0, 1]', () => {
  assert.is(normalQuantile(0), -Infinity);
  assert.is(normalQuantile(1), Infinity);
  assert.ok(Number.isNaN(normalQuantile(-0.1)));
  assert.ok(Number.isNaN(normalQuantile(1.5)));
  assert.ok(Number.isNaN(normalQuantile(Number.NaN)));
});

test('dispersion V(gamma) keeps full relative accuracy for tiny gamma (2g - 3g^2 + 4g^3 series)', () => {
  for (let e = -16; e <= -4; e += 0.5) {
    const g = 10 ** e;
    const series = 2 * g - 3 * g * g + 4 * g * g * g - 5 * g ** 4;
    assertClose(dispersion(g), series, 1e-15, 0, `V(${g})`);
  }
});

test('dispersion V(gamma) equals 1 - (1+gamma)^-2 away from 0 and tends to 1', () => {
  for (const g of [0.01, 0.5, 1, 3, 100, 1e5]) assertClose(dispersion(g), siDispersion(g), 1e-14, 0, `V(${g})`);
  assert.is(dispersion(0), 0);
  assertClose(dispersion(1e10), 1, 1e-15, 0, 'V(1e10)');
});

test.run();
