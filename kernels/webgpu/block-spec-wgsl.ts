/**
 * The spec of a fused block barrier solver (block-ipm-wgsl.ts) and what is generated from it. A
 * `FusedBlockSpec` supplies what differs between problems, by name: the variables, the slots'
 * WGSL (sp3-surrogate-wgsl.ts for SP3, joint-surrogate-wgsl.ts for the joint surrogate), the
 * coefficients, the two coupling rows, the fixed variables and the mixed curvatures. Everything
 * positional is generated from those names (`blockPlumbingWgsl`): the constants of the variables
 * and of the coefficients (K_<NAME>, which the slots read as `coef(K_ES_WEIGHT, m)`), the Slots
 * struct's sizes, the slack helper, the fixed-variable rows and the coupling weights; `checkSpec`
 * rejects a name that does not resolve.
 *
 * Layout of the standalone program (float32, realisation index n fastest so that a warp's reads
 * coalesce):
 *   X      [inRows * N]: row r of realisation n at X[r * N + n]
 *            rows c * M + m: the coefficients of UE m in the spec's order
 *            rows (NCOEF + i) * M + m, i < NV: the start v0 of UE m in the spec's variable order
 *            row (NCOEF + NV) M: 1 where the realisation is to be solved
 *   result [outRows * N]: rows i * M + m: the spec's output variables of the final iterate;
 *            then solved, certified, failed, Newton steps (phase one + phase two)
 */

/** What a fused block solver needs to know of its problem. */
export interface FusedBlockSpec {
  /** Kernel name suffix and shader key ('Sp3', 'Joint'). */
  name: string;
  /** Variables in the block (factorisation) order; WGSL constants are their upper-case names. */
  vars: readonly string[];
  /** Constraint slots per UE. */
  nc: number;
  /** Slots 0 .. slackSlots - 1 take the phase-one slack (the smooth constraints; the rest are boxes). */
  slackSlots: number;
  /** Coefficients per UE, by name: the rows of X in the standalone solver; WGSL constants K_<NAME> index them. */
  coefficients: readonly string[];
  /**
   * WGSL defining `fn slots(m : i32, x : array<f32, NV>, deriv : bool) -> Slots`, reading
   * coefficients as `coef(K_<NAME>, m)` and variables as x[<VAR>]. The Slots struct (values,
   * active masks, gradients, diagonal and mixed curvatures of the NC slots and of the objective)
   * and `shifted` are generated from this spec.
   */
  slotsWgsl: string;
  /** Mixed curvatures, in the order of Slots' `cx[k][q]` and `ocx[q]`. */
  crossPairs: readonly (readonly [string, string])[];
  /** The coupling rows sum_m weight_m x_m[v] <= rhs: weight a coefficient's name (null: 1), rhs a number or a uniform's name. */
  coupling: readonly [CouplingRow, CouplingRow];
  /** Variables fixed where a slot is inactive (identity row in H, zero step): v is fixed on UE m where slot `whereSlotInactive` is inactive. */
  fixed: readonly { v: string; whereSlotInactive: number }[];
  /** Output variables, in order. */
  outVars: readonly string[];
}

export interface CouplingRow {
  v: string;
  weight: string | null;
  rhs: number | UniformName;
}

export const OUT_FLAGS = ['solved', 'certified', 'failed', 'steps'] as const;

export const inRows = (spec: FusedBlockSpec, M: number): number => (spec.coefficients.length + spec.vars.length) * M + 1;
export const outRows = (spec: FusedBlockSpec, M: number): number => spec.outVars.length * M + OUT_FLAGS.length;

/** The program's own uniforms, in declaration order (after tfjs's shape uniforms). */
export const UNIFORMS = [
  ['rows', 'i32'], ['maxSteps', 'i32'], ['maxHalvings', 'i32'],
  ['K', 'f32'], ['rMin', 'f32'], ['tMax', 'f32'], ['eMax', 'f32'], ['pMax', 'f32'], ['fUeMax', 'f32'], ['fEsMax', 'f32'],
  ['gapRtol', 'f32'], ['centringTol', 'f32'], ['centringGapFraction', 'f32'], ['mu', 'f32'], ['initialGapFraction', 'f32'],
  ['sigmaTarget', 'f32'],
] as const;
export type UniformName = (typeof UNIFORMS)[number][0];

/** The WGSL name of a variable ('fue' -> FUE) or a coefficient ('esWeight' -> K_ES_WEIGHT). */
export const varConst = (v: string): string => v.toUpperCase();
export const coefConst = (c: string): string => `K_${c.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;

export const couplingWeight = (row: CouplingRow): string => (row.weight === null ? '1.0' : `coef(${coefConst(row.weight)}, m)`);
export const couplingRhs = (row: CouplingRow): string => (typeof row.rhs === 'number' ? row.rhs.toFixed(1) : `uniforms.${row.rhs}`);

/** Checks a spec's names against each other (a typo is an error here, not a silent WGSL bug). */
export function checkSpec(spec: FusedBlockSpec): void {
  const vars = new Set(spec.vars);
  const coefs = new Set(spec.coefficients);
  const bad = (what: string): never => { throw new Error(`fused ${spec.name} spec: ${what}`); };
  for (const v of [...spec.outVars, ...spec.fixed.map((f) => f.v), ...spec.coupling.map((c) => c.v), ...spec.crossPairs.flat()]) {
    if (!vars.has(v)) bad(`unknown variable ${v}`);
  }
  for (const c of spec.coupling) if (c.weight !== null && !coefs.has(c.weight)) bad(`unknown coefficient ${c.weight}`);
  for (const f of spec.fixed) if (!(f.whereSlotInactive >= 0 && f.whereSlotInactive < spec.nc)) bad(`slot ${f.whereSlotInactive} out of range`);
  if (!(spec.slackSlots >= 1 && spec.slackSlots <= spec.nc)) bad(`slackSlots ${spec.slackSlots} out of range`);
  for (const m of spec.slotsWgsl.matchAll(/coef\((\w+)/g)) {
    if (!spec.coefficients.some((c) => coefConst(c) === m[1])) bad(`slots read coefficient ${m[1]}, not in the spec`);
  }
}

/**
 * The spec's plumbing: the variable and coefficient constants, the Slots struct sized from the
 * spec (NC slots over NV variables, one mixed curvature per cross pair), and `shifted`, the slot
 * value as the barrier sees it (minus the phase-one slack on the first slackSlots slots).
 */
export function blockPlumbingWgsl(spec: FusedBlockSpec): string {
  checkSpec(spec);
  const NV = spec.vars.length;
  const NX = spec.crossPairs.length;
  const cross = NX > 0 ? `
  cx : array<array<f32, ${NX}>, ${spec.nc}>,
  ocx : array<f32, ${NX}>,` : '';
  return /* wgsl */ `
const NV : i32 = ${NV};
const NC : i32 = ${spec.nc};
const NSLACK : i32 = ${spec.slackSlots};
${spec.vars.map((v, i) => `const ${varConst(v)} : i32 = ${i};`).join('\n')}
${spec.coefficients.map((c, i) => `const ${coefConst(c)} : i32 = ${i};`).join('\n')}
const NCOEF : i32 = ${spec.coefficients.length};

struct Slots {
  val : array<f32, ${spec.nc}>,
  act : array<f32, ${spec.nc}>,
  g : array<array<f32, ${NV}>, ${spec.nc}>,
  h : array<array<f32, ${NV}>, ${spec.nc}>,${cross}
  obj : f32,
  og : array<f32, ${NV}>,
  oh : array<f32, ${NV}>,
}

// The slot value as the barrier sees it: minus the slack on the first NSLACK slots in phase one.
fn shifted(s : Slots, k : i32, phaseOne : bool, sig : f32) -> f32 {
  return select(s.val[k], s.val[k] - sig, phaseOne && k < NSLACK);
}
`;
}
