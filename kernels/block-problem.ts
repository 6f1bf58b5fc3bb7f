/**
 * What the batched block interior-point method (block-ipm.ts with block-newton.ts) solves, the
 * float32 twin of engine/ao/block-problem.ts: for each of N realisations, M blocks of the
 * variables in `order`, constraint slots c_k <= 0 per UE, and two linear coupling rows per
 * realisation, sum_m weight_m v_m <= rhs. SP3's surrogate (sp3-surrogate.ts) and the joint surrogate
 * (joint-surrogate.ts) implement it. Shapes: every tensor [N, M] unless said.
 */
import type * as tf from '@tensorflow/tfjs-core';

type T = tf.Tensor;

/** Variables by name, each [N, M]. */
export type BlockVars = Record<string, T>;

/**
 * One function of a block (a slot, or the objective): value [N, M] (an inactive slot reads -1),
 * gradient and diagonal curvature by variable (absent = zero by structure), and the mixed
 * curvatures that are not zero.
 */
export interface BlockTerms {
  val: T;
  grad: Partial<Record<string, T>>;
  hd: Partial<Record<string, T>>;
  cross?: { a: string; b: string; h: T }[];
}

/** sum over UEs of weight * v[name] <= rhs (weight null: 1). */
export interface CouplingRow {
  v: string;
  weight: T | null;
  rhs: number;
}

export interface BatchBlockProblem {
  readonly N: number;
  /** The variables in the order of the block factorisation (sparsest factor first). */
  readonly order: readonly string[];
  /** 0/1 masks of the variables that are fixed on some UEs (absent: free everywhere). */
  readonly freeMask: Readonly<Partial<Record<string, T>>>;
  readonly coupling: readonly [CouplingRow, CouplingRow];
  /** Slots 0 .. slackSlots - 1 take phase one's slack sigma (c_k <= sigma). */
  readonly slackSlots: number;
  /**
   * The objective and the slots at v (inside a caller's tidy), with derivatives when
   * `withDerivatives` (the Newton step) or values only (the line search). Every variable must be
   * positive in the domain; fixed variables keep finite positive values.
   */
  evaluate(v: BlockVars, withDerivatives: boolean): { objective: BlockTerms; slots: BlockTerms[] };
  /** Active masks of the slots (1 where the slot is a constraint of that UE). */
  active(): T[];
}
