/**
 * The constants of the surrogate solvers that every path shares: the float64 reference
 * (engine/ao/sp3-resources.ts, joint-sca.ts, joint-surrogate.ts, block-interior.ts,
 * feasible-start.ts) and the tfjs tensors (kernels/sp3-resources.ts, joint-sca.ts,
 * joint-surrogate.ts, sp3-surrogate.ts, block-ipm.ts, solve-ao-batch.ts) and the fused WGSL solvers
 * (kernels/webgpu/) import them from here; PHASE_ONE_TARGET and the gap fractions reach the WGSL
 * uniforms through kernels/block-ipm.ts's options.
 *
 * "Normalised units" are the slots' own: every slot of SP3's and the joint surrogate is scaled so
 * that 1 unit is the size of its limit ((Rmin - Rs)/Rmin, T^/Tmax - 1, E^/Emax - 1, p/Pmax - 1, ...).
 * Where a value was measured, the measurement is given; the others are not tuned.
 */

/**
 * Relative pull into the interior [-]: before phase one, b is scaled by 1 - PULL and p, f_ue and
 * f_es are capped at 1 - PULL of their maxima (f_es scaled too), so the start is strictly inside
 * the boxes and both coupling rows (sum b <= 1, (6f)). SP3 and the joint surrogate, float64 and
 * tfjs. Not tuned: any margin that leaves phase one room for its first steps works.
 */
export const PULL = 1e-2;

/**
 * Where the joint surrogate's expansion point has alpha = 0 or 1, the step starts from alpha =
 * ALPHA_PULL or 1 - ALPHA_PULL [-], and the product bound of w p tau is expanded at
 * w = max(1 - alpha, ALPHA_PULL): alpha, r = alpha/f_ue and u = (1 - alpha) f_es must be
 * strictly positive for the barrier. Joint surrogate only, float64 and tfjs. Not tuned: small
 * beside the alphas the optimum takes, large enough that alpha^3/r^2 and w^2/u stay well scaled.
 */
export const ALPHA_PULL = 1e-4;

/**
 * Slots 0 .. SLACK_SLOTS - 1 of a block (rate-min, tau, latency, energy: the smooth constraints,
 * in SP3 and in the joint surrogate alike) take phase one's slack sigma (they read c_k <= sigma);
 * the slots after them are boxes, which the pull already satisfies. A count of slots.
 */
export const SLACK_SLOTS = 4;

/**
 * Phase one before each SP3 call and each joint step stops once every slack slot is below
 * -PHASE_ONE_TARGET [normalised units]; the step is capped so that sigma lands near
 * -2 PHASE_ONE_TARGET rather than deep inside: a start this close to the boundary lies closer
 * to phase two's central path. Float64 (findInterior) and tfjs and WGSL (sigmaTarget).
 */
export const PHASE_ONE_TARGET = 1e-2;

/**
 * The feasible start's phase one (feasible-start.ts in float64, the tensor engine through the
 * same host code, and the fused engine's WGSL, fused-start-wgsl.ts) stops once every slack slot
 * is below -START_PHASE_ONE_TARGET [normalised units]: it needs a point that meets (6), not a
 * start for phase two. Not tuned.
 */
export const START_PHASE_ONE_TARGET = 1e-5;

/** SCA rounds of the start's phase one before an attempt is abandoned (float64 and WGSL). Not tuned. */
export const START_PHASE_ONE_ROUNDS = 40;

/**
 * Phase one starts from sigma0 = worst + PHASE_ONE_START_MARGIN max(1, |worst|), with worst the
 * largest active slack slot at the pulled start [normalised units, relative above 1]: strictly
 * above every slack slot, as the barrier needs. Float64 (findInterior), tfjs (solveBlockBatch)
 * and WGSL. Not tuned.
 */
export const PHASE_ONE_START_MARGIN = 1e-2;

/**
 * The first barrier gap m/t of phase two as a fraction of |F(x0)| [-] (t = m / (fraction |F|)).
 * Cold: from a phase-one point, far from the central path, which is cheaper to centre at a large
 * gap (primal-dual steps then cut the gap 20x a step). Measured at the defaults: cold 0.3 with
 * WARM_GAP_FRACTION below, in place of 0.01 for both, took the float64 AO from 104 to 86 Newton
 * steps per solve. Float64 SP3 without a warm start; tfjs and WGSL SP3 (the default of
 * kernels/block-ipm.ts's options).
 */
export const COLD_GAP_FRACTION = 0.3;

/**
 * The first barrier gap fraction [-] from a warm start (float64 SP3 only): the previous call's
 * first central point, which sits on that call's central path at this gap.
 */
export const WARM_GAP_FRACTION = 0.01;

/**
 * The first barrier gap fraction [-] of a joint step (float64, tfjs and WGSL). Measured on 100
 * realisations at the defaults: SP3's cold 0.3 took 81 float64 Newton steps per joint solve,
 * 0.01 took 59 with the same J to 6 digits, 1e-3 saved nothing more; at batch 1 024 on wasm,
 * 84 against 63 steps, with J agreeing with float64 as well (worst 1.8e-5 against 2.9e-5).
 */
export const JOINT_GAP_FRACTION = 0.01;

/**
 * A candidate (an SP3 result, a joint step, the feasible start's phase one) is taken only if the
 * model's check of (6) with R~ gives at most this relative violation [-], float64 path. Rounding
 * of a point the surrogate certifies strictly feasible stays far below it.
 */
export const ACCEPT_VIOLATION_F64 = 1e-9;

/**
 * The same acceptance on the tensor path [-] (solveAoBatch's default `acceptViolation`): the
 * check runs in float32 (unit rounding 6e-8, compounded over the terms and sums of (6)), so it
 * allows more than the float64 path. Not tuned.
 */
export const ACCEPT_VIOLATION_F32 = 1e-5;
