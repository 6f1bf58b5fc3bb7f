/**
 * The columns of the fused AO program (fused-ao-wgsl.ts), declared once by name: its input rows,
 * its output rows, its modes and its codes. The WGSL constants (I_<NAME>, O_<NAME>, S_<NAME>,
 * MODE_<NAME>) and the host's read-back (fused-ao.ts) are both generated from these lists, so no
 * index is matched by hand.
 *
 * Layout (float32, realisation index n fastest so that a warp's reads coalesce):
 *   X      [inRows, N]: row f * M + m is input field f of UE m (INPUT_UE_FIELDS; the point
 *          fields only in modes that start from a given point)
 *   result [outRows, N]: first the per-UE outputs, realisation-major: output field f
 *          (OUTPUT_UE_FIELDS) of UE m of realisation n at (f N + n) M + m, so that each field is
 *          already the [N, M] column the chunk files store; then, from row traceRow0 = F M on
 *          (F fields), IMAX + 1 rows of the trace J(0), J(1), ... [ms] (NaN past the last
 *          iteration) at row * N + n, then one row per OUTPUT_SCALARS entry
 */

/** Per-UE inputs: the problem (model units), then the point a mode starts from. */
export const PROBLEM_FIELDS = ['cPerW', 'cyclesMc', 'bitsKbit'] as const;
export const POINT_FIELDS = ['cached', 'alpha', 'bandwidth', 'powerW', 'fUeGHz', 'fEsGHz'] as const;
export type PointField = (typeof POINT_FIELDS)[number];

/** Per-UE outputs: the final point, then latency, energy and rate with the exact rate. */
export const OUTPUT_UE_FIELDS = [...POINT_FIELDS, 'latencyMs', 'energyMj', 'rateMbps'] as const;
export type OutputUeField = (typeof OUTPUT_UE_FIELDS)[number];

/** Per-realisation outputs. */
export const OUTPUT_SCALARS = [
  'status', //            STATUS_CODES index
  'iterations', //        AO iterations run
  'objectiveMs', //       J with R~ of the final point [ms]
  'objectiveExactMs', //  J with the exact rate [ms]
  'maxViolation', //      largest relative violation of (6), exact rate (float32)
  'violated', //          CONSTRAINT_CODES index of that violation (0: none)
  'violatedDevice', //    its UE, -1 for the coupling constraints
  'sp3Calls',
  'sp3Certified',
  'newtonSteps', //       phase one + phase two, every SP3 call
  'start', //             START_CODES index
  'detail', //            failure detail: FAILURE_CODES index; for a proven infeasible start the UE that cannot reach Rmin, or -1
  'bandwidthSum', //      the bandwidth test's sum (infeasible starts)
  'startSigma', //        phase one's smallest normalised violation (its verdict of infeasibility)
  'accepted', //          MODE_SP3: 1 where the candidate was taken
] as const;
export type OutputScalar = (typeof OUTPUT_SCALARS)[number];

/** Statuses, as engine/ao/solve-ao.ts names them, and the GPU's "start on the host" for rows it cannot settle. */
export const STATUS_CODES = ['converged', 'max-iterations', 'infeasible', 'numerical-failure', 'start-on-host'] as const;
export type StatusCode = (typeof STATUS_CODES)[number];

/** How the start was found: the construction, proven infeasible, phase one on the GPU, the float64 start on the host. */
export const START_CODES = ['none', 'direct', 'bandwidth-test', 'host', 'phase-one'] as const;

/** Why a row failed numerically. */
export const FAILURE_CODES = ['none', 'sp2-infeasible', 'non-finite', 'start-non-finite'] as const;

/** engine/model/feasibility.ts's constraint ids; 0 means none. */
export const CONSTRAINT_CODES = [null, '6b', '6c', '6d', '6e', '6f', '6g', '6h'] as const;

/**
 * What one dispatch does per realisation:
 *   solve       the start on the GPU (rows it cannot settle end as start-on-host), the AO, the final check
 *   solve-from  the AO from the given point (a start found on the host), the final check
 *   start       the start only, then the final check of the start (phase tests)
 *   sp1, sp2, sp3  one subproblem from the given point, then the final check (phase tests)
 *   check       the final check of the given point
 *   joint       method joint's SCA steps from the given point (the AO's), then the final check;
 *               the fused joint program (fused-joint-wgsl.ts), which has no other mode
 */
export const MODES = ['solve', 'solve-from', 'start', 'sp1', 'sp2', 'sp3', 'check', 'joint'] as const;
export type FusedMode = (typeof MODES)[number];

/** Whether a mode reads a point from X. */
export const modeReadsPoint = (mode: FusedMode): boolean => mode !== 'solve' && mode !== 'start';

/** 'fEsGHz' -> 'F_ES_GHZ' (WGSL constant suffix). */
export const upperSnake = (name: string): string => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase().replace(/-/g, '_');

export const inRows = (M: number, withPoint: boolean): number => (PROBLEM_FIELDS.length + (withPoint ? POINT_FIELDS.length : 0)) * M;
export const traceRow0 = (M: number): number => OUTPUT_UE_FIELDS.length * M;
export const scalarRow0 = (M: number, maxIterations: number): number => traceRow0(M) + maxIterations + 1;
export const outRows = (M: number, maxIterations: number): number => scalarRow0(M, maxIterations) + OUTPUT_SCALARS.length;

/** The WGSL constants of the layout. */
export function layoutWgsl(): string {
  const lines: string[] = [];
  const add = (prefix: string, names: readonly (string | null)[]): void => {
    names.forEach((n, i) => {
      if (n !== null) lines.push(`const ${prefix}${upperSnake(n)} : i32 = ${i};`);
    });
  };
  add('I_', [...PROBLEM_FIELDS, ...POINT_FIELDS]);
  add('O_', OUTPUT_UE_FIELDS);
  add('R_', OUTPUT_SCALARS);
  add('S_', STATUS_CODES);
  add('START_', START_CODES);
  add('FAIL_', FAILURE_CODES);
  add('V_', CONSTRAINT_CODES);
  add('MODE_', MODES);
  return lines.join('\n');
}
