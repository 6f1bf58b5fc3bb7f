/**
 * What the block interior-point method (block-ipm.ts) solves: M blocks of nv variables, each
 * with its own constraint slots (values, gradients and diagonal Hessians), two linear coupling
 * rows, and a separable objective; and the values and derivatives at one point.
 */

/**
 * What the solver needs of a problem: `Sp3Surrogate` (five variables per UE) and
 * `JointSurrogate` (six) implement it. Arrays are per UE, variables then slots:
 * free [M * nv], active [M * nc], coupling rows [M * nv].
 */
export interface BlockProblem {
  readonly M: number;
  /** Variables per block. */
  readonly nv: number;
  readonly free: Uint8Array;
  readonly active: Uint8Array;
  readonly coupling: readonly [Float64Array, Float64Array];
  readonly couplingRhs: Float64Array;
  /**
   * Pairs (a, c) of variables of a block whose mixed second derivative may be non-zero in the
   * objective or a slot; every other off-diagonal curvature is zero (SP3 has none).
   */
  readonly crossPairs: readonly (readonly [number, number])[];
  /** Slots 0 .. slackSlots - 1 of every block take phase one's slack sigma (c_k <= sigma). */
  readonly slackSlots: number;
  /** f0 with its gradient, diagonal curvature [M * nv] and mixed curvatures [M * crossPairs]. */
  objective(x: Float64Array, grad: Float64Array, hdiag: Float64Array, hcross: Float64Array): number;
  /** Slot values [M * nc], gradients and diagonal curvatures [M * nc * nv], mixed curvatures [M * nc * crossPairs]. */
  slots(x: Float64Array, val: Float64Array, grad: Float64Array, hdiag: Float64Array, hcross: Float64Array): boolean;
}

/** Values and derivatives at one point; two of these are swapped by the line search. */
export class Evaluation {
  readonly val: Float64Array;
  readonly grad: Float64Array;
  readonly hdiag: Float64Array;
  readonly objGrad: Float64Array;
  readonly objH: Float64Array;
  /** Mixed curvatures of the slots [nSlots * nCross] and of the objective [M * nCross]. */
  readonly hcross: Float64Array;
  readonly objHCross: Float64Array;
  readonly couplingVal = new Float64Array(2);
  /** f0 (0 in phase one). */
  f0 = 0;
  constructor(n: number, nSlots: number, nv: number, nCross: number) {
    this.val = new Float64Array(nSlots);
    this.grad = new Float64Array(nSlots * nv);
    this.hdiag = new Float64Array(nSlots * nv);
    this.objGrad = new Float64Array(n);
    this.objH = new Float64Array(n);
    this.hcross = new Float64Array(nSlots * nCross);
    this.objHCross = new Float64Array((n / nv) * nCross);
  }
}
