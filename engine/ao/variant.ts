/**
 * The methods of `params.method` as the AO sees them: which decisions stay fixed (SPEC's
 * Algorithm 1 is `ao`, which fixes nothing), and whether the joint SCA (joint-sca.ts) refines
 * the AO's point. In the baselines every other decision is optimised by the same AO.
 *
 *   joint         the AO, then the joint SCA from its final point (s fixed)
 *   no-cache      s = 0 (SP1 skipped)
 *   offload-all   alpha = 0 (SP2 skipped)
 *   local-all     alpha = 1 (SP2 skipped)
 *   equal-radio   b = 1/M, p = Pmax (fixed in SP3's surrogate)
 */
import type { Method } from '../settings.js';

export interface AoVariant {
  optimiseCaching: boolean;
  /** null: SP2 optimises alpha; else every UE keeps this alpha. */
  fixedAlpha: number | null;
  fixedRadio: boolean;
  /** Run the joint SCA after the AO. */
  joint: boolean;
}

export function aoVariant(method: Method): AoVariant {
  return {
    optimiseCaching: method !== 'no-cache',
    fixedAlpha: method === 'offload-all' ? 0 : method === 'local-all' ? 1 : null,
    fixedRadio: method === 'equal-radio',
    joint: method === 'joint',
  };
}
