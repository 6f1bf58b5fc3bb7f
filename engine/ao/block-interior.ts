/**
 * Phase one for any block problem (SP3's surrogate, the joint surrogate): from a point already
 * strictly inside the boxes and coupling rows, the block interior-point method minimises one
 * slack over the problem's slack slots (0 .. slackSlots - 1: rate, tau, latency, energy) until
 * every one of them is strictly negative. Also the solver workspaces, one per problem shape.
 */
import { BlockIpm, type IpmOutcome } from './block-ipm.js';
import type { BlockProblem } from './block-problem.js';
import { PHASE_ONE_START_MARGIN } from './solver-constants.js';

const slotsPerBlock = (P: BlockProblem): number => P.active.length / P.M;

const ipmCache = new Map<string, BlockIpm>();
/** One solver workspace per problem shape, reused by every call (solves never interleave). */
export function ipmFor(P: BlockProblem): BlockIpm {
  const nc = slotsPerBlock(P);
  const key = `${P.M}/${P.nv}/${nc}/${P.crossPairs.length}`;
  let ipm = ipmCache.get(key);
  if (!ipm) {
    ipm = new BlockIpm(P.M, P.nv, nc, P.crossPairs.length);
    ipmCache.set(key, ipm);
  }
  return ipm;
}

interface SlotBuffers { val: Float64Array; grad: Float64Array; hdiag: Float64Array; hcross: Float64Array }
const scratchCache = new Map<string, SlotBuffers>();
/** Slot buffers for the start checks, one set per problem shape. */
function scratchFor(P: BlockProblem): SlotBuffers {
  const n = P.active.length;
  const key = `${n}/${P.nv}/${P.crossPairs.length}`;
  let b = scratchCache.get(key);
  if (!b) {
    b = { val: new Float64Array(n), grad: new Float64Array(n * P.nv), hdiag: new Float64Array(n * P.nv), hcross: new Float64Array(n * P.crossPairs.length) };
    scratchCache.set(key, b);
  }
  return b;
}

export interface InteriorSearch {
  outcome: IpmOutcome | 'already-interior';
  v: Float64Array;
  /** The slack reached: the largest normalised violation of the slack slots (< 0 is inside). */
  sigma: number;
  /** Slack slot (0 .. slackSlots - 1) with the largest value at v, for infeasibility verdicts. */
  worstSlot: number;
  iterations: number;
}

/** Largest value over the active slack slots at v, and its slot; whether the other slots hold strictly. */
export function worstSlackSlot(P: BlockProblem, v: Float64Array): { value: number; slot: number; boxesInside: boolean } {
  const { val, grad, hdiag, hcross } = scratchFor(P);
  const nc = slotsPerBlock(P);
  const ok = P.slots(v, val, grad, hdiag, hcross);
  let value = ok ? -Infinity : Infinity;
  let slot = 0;
  let boxesInside = ok;
  for (let i = 0; ok && i < val.length; i++) {
    if (!P.active[i]) continue;
    if (i % nc < P.slackSlots) {
      if (val[i] > value) {
        value = val[i];
        slot = i % nc;
      }
    } else if (!(val[i] < 0)) boxesInside = false;
  }
  return { value, slot, boxesInside };
}

/**
 * Phase one: from v (already pulled inside the boxes), finds a point where every slack slot is
 * below -sigmaTarget [normalised units] (PHASE_ONE_TARGET or START_PHASE_ONE_TARGET of
 * solver-constants.ts), or reports the smallest slack reached.
 */
export function findInterior(P: BlockProblem, v: Float64Array, sigmaTarget: number): InteriorSearch {
  const start = worstSlackSlot(P, v);
  if (!start.boxesInside || !Number.isFinite(start.value)) {
    return { outcome: 'numerical-failure', v, sigma: Number.NaN, worstSlot: start.slot, iterations: 0 };
  }
  if (start.value < -sigmaTarget) return { outcome: 'already-interior', v, sigma: start.value, worstSlot: start.slot, iterations: 0 };
  const sigma0 = start.value + PHASE_ONE_START_MARGIN * Math.max(1, Math.abs(start.value));
  const r = ipmFor(P).solve(P, v, 'phase-one', sigma0, { sigmaTarget, gapRtol: 0, gapAtol: 1e-12 });
  const end = worstSlackSlot(P, r.x);
  return { outcome: r.outcome, v: r.x, sigma: end.value, worstSlot: end.slot, iterations: r.iterations };
}
