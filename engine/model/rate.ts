/**
 * URLLC rate of SPEC section 2 (the letter's eq. 1), in Mbit/s.
 *
 *   gamma = p c / b,  R = (B/ln2) [ b ln(1+gamma) - kappa sqrt(b V(gamma)) ],  V = 1 - (1+gamma)^-2
 *
 * with kappa = Qinv(eps)/sqrt(phi B). The "v1" rate R~ sets V = 1 (R~ <= R); the optimiser works
 * on R~, results report both.
 */
import type { ModelParams } from '../problem.js';

export type RateKind = 'exact' | 'v1';

/** SNR gamma = p c / b [-]. */
export const snr = (cPerW: number, bandwidth: number, powerW: number): number =>
  (powerW * cPerW) / bandwidth;

/** Channel dispersion V(gamma) = 1 - (1+gamma)^-2, computed without cancellation. */
export function dispersion(gamma: number): number {
  // 1 - 1/(1+g)^2 = g (2 + g) / (1+g)^2
  return (gamma * (2 + gamma)) / ((1 + gamma) * (1 + gamma));
}

/** R~ (V = 1) [Mbit/s]. */
export function rateV1Mbps(params: ModelParams, cPerW: number, bandwidth: number, powerW: number): number {
  const gamma = snr(cPerW, bandwidth, powerW);
  return params.rateScaleMbps * (bandwidth * Math.log1p(gamma) - params.kappa * Math.sqrt(bandwidth));
}

/** R with the exact dispersion [Mbit/s]. */
export function rateExactMbps(params: ModelParams, cPerW: number, bandwidth: number, powerW: number): number {
  const gamma = snr(cPerW, bandwidth, powerW);
  return params.rateScaleMbps
    * (bandwidth * Math.log1p(gamma) - params.kappa * Math.sqrt(bandwidth * dispersion(gamma)));
}

export function rateMbps(kind: RateKind, params: ModelParams, cPerW: number, bandwidth: number, powerW: number): number {
  return kind === 'exact'
    ? rateExactMbps(params, cPerW, bandwidth, powerW)
    : rateV1Mbps(params, cPerW, bandwidth, powerW);
}
