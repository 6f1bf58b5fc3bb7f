/**
 * An independent float64 restatement of SPEC section 2 in SI units (Hz, W, bits, cycles, s, J),
 * for the tests to compare the engine's model-unit code against. It shares no code with engine/.
 */

/** Qinv(1e-7) = sqrt(2) erfinv(1 - 2e-7), computed with mpmath at 30 digits. */
export const QINV_1E7 = 5.19933758219281693;

export interface SiLink {
  /** B [Hz]. */
  bandwidthHz: number;
  /** N0 [dBm/Hz]. */
  noiseDbmPerHz: number;
  /** phi [s]. */
  phiS: number;
  /** Qinv(eps) [-]. */
  qinv: number;
}

/** The SPEC defaults: B = 5 MHz, N0 = -174 dBm/Hz, phi = 0.1 ms, eps = 1e-7. */
export const DEFAULT_LINK: SiLink = { bandwidthHz: 5e6, noiseDbmPerHz: -174, phiS: 1e-4, qinv: QINV_1E7 };

/** N0 in W/Hz. */
export const noiseWPerHz = (link: SiLink): number => 10 ** (link.noiseDbmPerHz / 10) / 1000;

/** gamma = p ||h||^2 / (b B N0). */
export const siSnr = (link: SiLink, gain: number, b: number, pW: number): number =>
  (pW * gain) / (b * link.bandwidthHz * noiseWPerHz(link));

/** V(gamma) = 1 - (1 + gamma)^-2 (fine for gamma not tiny). */
export const siDispersion = (gamma: number): number => 1 - 1 / ((1 + gamma) * (1 + gamma));

/** R [bit/s] of SPEC eq. 1; v1 = true sets V = 1 (R~). */
export function siRateBps(link: SiLink, gain: number, b: number, pW: number, v1: boolean): number {
  const gamma = siSnr(link, gain, b, pW);
  const V = v1 ? 1 : siDispersion(gamma);
  const B = link.bandwidthHz;
  return (B / Math.LN2) * (b * Math.log(1 + gamma) - Math.sqrt((b * V) / (link.phiS * B)) * link.qinv);
}

export interface SiTask {
  /** D [bits]. */
  bits: number;
  /** C [cycles]. */
  cycles: number;
}

export interface SiAllocation {
  cached: boolean;
  alpha: number;
  /** Estimated CPU rates [Hz]. */
  fUeHz: number;
  fEsHz: number;
  /** Transmit power [W]. */
  pW: number;
  /** Rate used for D/R [bit/s]. */
  rateBps: number;
  deltaUe?: number;
  deltaEs?: number;
}

/** T_m [s] of SPEC eq. 5, terms with a zero factor dropped. */
export function siLatencyS(task: SiTask, a: SiAllocation): number {
  const fUe = (1 - (a.deltaUe ?? 0)) * a.fUeHz;
  const fEs = (1 - (a.deltaEs ?? 0)) * a.fEsHz;
  if (a.cached) return task.cycles / fEs;
  const local = a.alpha === 0 ? 0 : (a.alpha * task.cycles) / fUe;
  const edge = a.alpha === 1 ? 0 : ((1 - a.alpha) * task.cycles) / fEs;
  return local + task.bits / a.rateBps + edge;
}

/** E_m [J] of SPEC section 2 with theta [J s^2/cycle^3]. */
export function siEnergyJ(task: SiTask, a: SiAllocation, theta: number): number {
  if (a.cached) return 0;
  const fUe = (1 - (a.deltaUe ?? 0)) * a.fUeHz;
  const local = a.alpha === 0 ? 0 : a.alpha * (theta / 2) * task.cycles * fUe * fUe;
  const tx = a.alpha === 1 ? 0 : ((1 - a.alpha) * a.pW * task.bits) / a.rateBps;
  return local + tx;
}
