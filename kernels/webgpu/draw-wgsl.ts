/**
 * WGSL that draws a realisation on the GPU, per thread, bit-compatible with the float64 draw
 * (engine/random/philox.ts, engine/random/stream.ts, engine/scenario.ts, engine/scenario-batch.ts):
 * a fused program includes `DRAW_WGSL`, declares `DRAW_UNIFORMS` among its uniforms, fills them
 * with `drawUniformValues`, and then, per thread, calls `drawBegin(row)` once and `drawUe(m)`
 * per device. SPEC section 1.
 *
 * API
 * ---
 * TypeScript:
 *   DRAW_WGSL : string                      WGSL functions below (reads `uniforms.draw*`; declares
 *                                           one private, `drawRealisation`)
 *   DRAW_UNIFORMS                           [name, WGSL type][], in declaration order
 *   DRAW_UNIFORMS_DECL : string             'drawSeedLow : u32, ..., drawBitsKbit : f32,' for a
 *                                           tfjs WebGPUProgram's `uniforms` field
 *   drawUniformValues(settings, seed, point, first, count = 1) : DrawUniformValues
 *                                           the values by name, every constant computed on the
 *                                           host in float64 (validates the key, the range
 *                                           first .. first + count - 1 and float32 range)
 *   drawProgramUniforms(values) : { type: 'uint32' | 'int32' | 'float32', data: [number] }[]
 *                                           the same values as runWebGPUProgram takes them, in
 *                                           DRAW_UNIFORMS order (append after the program's own
 *                                           ones when DRAW_UNIFORMS_DECL is appended likewise)
 *
 * WGSL (uniforms, as `uniforms.<name>`):
 *   drawSeedLow : u32, drawSeedHigh : u32   Philox key (seed mod 2^32, floor(seed / 2^32))
 *   drawPointWord : u32                     counter word 2: the sweep point, 0xffffffff for common
 *                                           random numbers (point null)
 *   drawFirst : u32                         realisation of row 0; row n draws realisation first + n
 *   drawL : i32                             antennas L
 *   drawGainLogScale : f32                  A = ln10/10 PL0 - slope/10 ln(side) - ln(B N0) [-]
 *   drawGainLogSlope : f32                  slope / 20 [-]
 *   drawMinR2 : f32                         (dmin / side)^2, at least 2^-106 [-]
 *   drawCyclesMinMc : f32                   eta_min D / 1e6 [Mcycles]
 *   drawCyclesSpanMc : f32                  (eta_max - eta_min) D / 1e6 [Mcycles]
 *   drawBitsKbit : f32                      8 D / 1000 [kbit]
 * WGSL (functions):
 *   philox4x32(ctr : vec4<u32>, key : vec2<u32>) -> vec4<u32>     Philox4x32-10, bit-exact
 *   drawUniformWords(key, realisation, pointWord, tag, i : u32) -> vec2<u32>
 *                                           uniform i's raw (high27, low26) words
 *   drawUniform(key, realisation, pointWord, tag, i : u32) -> f32 uniform i, correctly rounded
 *   drawBegin(row : i32)                    sets drawRealisation = drawFirst + row
 *   drawUe(m : i32) -> UeDraw               { cPerW [1/W], cyclesMc [Mcycles], bitsKbit [kbit] }
 *                                           of device m of realisation drawRealisation
 *   drawFadingPower(m : i32) -> f32         ||h̄_m||^2 alone, Gamma(L, 1) (for tests)
 * Every WGSL name defined here is philox4x32, UeDraw or starts with draw / DRAW_. The f32
 * uniforms are rounded to float32 once, by the upload (a Float32Array), from float64 values.
 *
 * Layout of the streams (stream.ts): counter (block, realisation, pointWord, tag), key (seedLow,
 * seedHigh); uniform i is words 2(i % 2), 2(i % 2) + 1 of block floor(i / 2), 53 bits: high 27 of
 * the first word, high 26 of the second. Tag 1: x_m, y_m are uniforms 2m, 2m + 1 (block m); tag 2:
 * antenna l of device m is uniform mL + l; tag 3: eta_m is uniform m. drawUe computes each block
 * it needs once (about 2 + ceil(L / 2) blocks per device).
 *
 * Float32 arithmetic, and its error
 * ---------------------------------
 * - Uniforms: the 53-bit integer x = high27 2^26 + low26 is rounded to float32 in integer
 *   arithmetic (leading-zero count, guard and sticky bits, ties to even), so the f32 uniform is
 *   exactly Math.fround(x 2^-53), the double of stream.ts rounded to nearest (1.0 for x within
 *   half an ulp of 2^53). The same routine gives u - 1/2 and 1 - u correctly rounded from the
 *   integers x - 2^52 and 2^53 - x, so no quantity inherits the absolute error of a rounded u.
 * - Positions: t = u - 1/2 in [-1/2, 1/2) per axis, r2 = tx^2 + ty^2 = (d / side)^2, clamped
 *   below at drawMinR2 (as d at dmin); no sqrt, and nothing underflows (r2 >= 2^-106 or 0).
 * - Gain: c = ||h||^2 / (B N0) = fading exp(A - slope/20 ln r2), every dB term and the noise
 *   power folded into A on the host, so the per-draw exponent is of order 10 and the gain never
 *   under- or overflows before its final value; drawUniformValues throws where the largest
 *   possible c (d = dmin, every fading term at its largest, -ln 2^-53) exceeds float32.
 * - Exp(1) = -ln(1 - u): for u < 1/4 as 2 atanh(u / (2 - u)) (an odd series with positive terms:
 *   no cancellation, relative error a few ulp however small u is); otherwise -ln(v) with
 *   v = 1 - u rounded from the integers. This is what log1pAccurate (kernels/rate.ts)
 *   achieves with the builtin log, but WGSL only promises the builtin log an absolute error of
 *   2^-21 on [0.5, 2] (NVIDIA's lg2.approx is of that kind), so a relative error near 1 is not
 *   guaranteed; ln and exp here are therefore our own (`drawLn`, `drawExp`: range reduction by
 *   the exponent with ln2 in two parts, a degree-9 atanh series, a degree-7 Taylor polynomial),
 *   a few ulp on every GPU. Values that end below the smallest normal float32 (1.2e-38) may be
 *   flushed to zero by the GPU.
 * - eta: cyclesMc = fma(drawCyclesSpanMc, u, drawCyclesMinMc), about 2 ulp.
 * Measured on lavapipe (test/kernels/draw-wgsl.test.ts, 2000 realisations x M = 15 at the paper's
 * defaults and at four other settings: L = 1, 3, 4, 64, areas 20 to 500 m, seeds above 2^32,
 * numeric points): Philox words, raw words and uniforms (also u - 1/2 and 1 - u, ties and carries
 * included) bit-identical; worst relative error of Exp(1) 2.7e-7 (20 000 uniforms), of the
 * fading power 2.7e-7 at L <= 8 and 5.3e-7 at L = 64, of cPerW 2.4e-6, of cyclesMc 1.3e-7,
 * of bitsKbit 2.0e-8 (the float32 rounding of 10.832). cPerW's error is the float32 rounding of
 * the exponent A - slope/20 ln r2 (up to about 25 at the defaults; an ulp there is 1.9e-6): a
 * relative error of order 1e-7 |exponent|. The fading sum is plain float32 summation over L terms.
 */
import { fail } from '../../engine/errors.js';
import { noisePowerW } from '../../engine/problem.js';
import { checkRealisationKey } from '../../engine/random/stream.js';
import type { Settings } from '../../engine/settings.js';
import { bitsToKbit, cyclesToMcycles } from '../../engine/units.js';

/** The draw's uniforms, in declaration order. */
export const DRAW_UNIFORMS = [
  ['drawSeedLow', 'u32'], ['drawSeedHigh', 'u32'], ['drawPointWord', 'u32'], ['drawFirst', 'u32'], ['drawL', 'i32'],
  ['drawGainLogScale', 'f32'], ['drawGainLogSlope', 'f32'], ['drawMinR2', 'f32'],
  ['drawCyclesMinMc', 'f32'], ['drawCyclesSpanMc', 'f32'], ['drawBitsKbit', 'f32'],
] as const;
export type DrawUniformName = (typeof DRAW_UNIFORMS)[number][0];
export type DrawUniformValues = Record<DrawUniformName, number>;

/** For a tfjs WebGPUProgram's `uniforms` field. */
export const DRAW_UNIFORMS_DECL = DRAW_UNIFORMS.map(([name, type]) => `${name} : ${type},`).join(' ');

const TWO_POW_32 = 0x100000000;
const COMMON_POINT = 0xffffffff;
/** Smallest nonzero r2 = tx^2 + ty^2 (one axis at 2^-53 from the centre). */
const MIN_NONZERO_R2 = 2 ** -106;
/** Largest Exp(1) draw: -ln(2^-53). */
const MAX_EXP1 = 53 * Math.LN2;
const F32_MAX = 3.4028234663852886e38;

/**
 * The uniforms' values for realisations first .. first + count - 1 of (seed, point), the
 * realisations `drawProblemColumns(settings, seed, point, first, count)` draws.
 */
export function drawUniformValues(settings: Settings, seed: number, point: number | null, first: number, count = 1): DrawUniformValues {
  checkRealisationKey({ seed, point, realisation: first });
  if (!Number.isSafeInteger(count) || count < 1 || first + count > TWO_POW_32) {
    fail('invalid-argument', `count must be a positive integer with first + count <= 2^32, got first ${first}, count ${count}`);
  }
  const { L, areaSideM, minDistanceM, pathLossInterceptDb, pathLossSlopeDb, taskBytes } = settings;
  const gainLogScale = (Math.LN10 / 10) * pathLossInterceptDb - (pathLossSlopeDb / 10) * Math.log(areaSideM) - Math.log(noisePowerW(settings));
  const gainLogSlope = pathLossSlopeDb / 20;
  const minR2 = Math.max((minDistanceM / areaSideM) ** 2, MIN_NONZERO_R2);
  const largestCPerW = Math.exp(gainLogScale - gainLogSlope * Math.log(minR2)) * L * MAX_EXP1;
  if (!(largestCPerW < F32_MAX)) {
    fail('invalid-settings', `the channel gain over the noise power can reach ${largestCPerW.toExponential(3)} 1/W at dmin, beyond float32 (the GPU draw needs it below ${F32_MAX.toExponential(3)})`);
  }
  return {
    drawSeedLow: seed % TWO_POW_32,
    drawSeedHigh: Math.floor(seed / TWO_POW_32),
    drawPointWord: point === null ? COMMON_POINT : point,
    drawFirst: first,
    drawL: L,
    drawGainLogScale: gainLogScale,
    drawGainLogSlope: gainLogSlope,
    drawMinR2: minR2,
    drawCyclesMinMc: cyclesToMcycles(settings.etaMinCyclesPerByte * taskBytes),
    drawCyclesSpanMc: cyclesToMcycles((settings.etaMaxCyclesPerByte - settings.etaMinCyclesPerByte) * taskBytes),
    drawBitsKbit: bitsToKbit(8 * taskBytes),
  };
}

export interface DrawProgramUniform {
  type: 'uint32' | 'int32' | 'float32';
  data: [number];
}

/** The values as runWebGPUProgram's program-defined uniforms, in DRAW_UNIFORMS order. */
export function drawProgramUniforms(values: DrawUniformValues): DrawProgramUniform[] {
  const types = { u32: 'uint32', i32: 'int32', f32: 'float32' } as const;
  return DRAW_UNIFORMS.map(([name, type]) => ({ type: types[type], data: [values[name]] }));
}

/** The WGSL; see the file comment. */
export const DRAW_WGSL = /* wgsl */ `
// ---- Philox4x32-10 (engine/random/philox.ts) ----

// High 32 bits of the 64-bit product a b, from 16-bit halves: every partial product < 2^32, the
// middle sum < 3 x 2^16, the final sum the exact high word (< 2^32): no u32 wraps.
fn drawMulHi32(a : u32, b : u32) -> u32 {
  let aLo = a & 0xffffu;
  let aHi = a >> 16u;
  let bLo = b & 0xffffu;
  let bHi = b >> 16u;
  let lohi = aLo * bHi;
  let hilo = aHi * bLo;
  let cross = ((aLo * bLo) >> 16u) + (hilo & 0xffffu) + (lohi & 0xffffu);
  return aHi * bHi + (hilo >> 16u) + (lohi >> 16u) + (cross >> 16u);
}

fn philox4x32(ctr : vec4<u32>, key : vec2<u32>) -> vec4<u32> {
  var c = ctr;
  var k = key;
  for (var round = 0; round < 10; round++) {
    let hi0 = drawMulHi32(0xd2511f53u, c.x);
    let lo0 = 0xd2511f53u * c.x;
    let hi1 = drawMulHi32(0xcd9e8d57u, c.z);
    let lo1 = 0xcd9e8d57u * c.z;
    c = vec4<u32>(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    k = k + vec2<u32>(0x9e3779b9u, 0xbb67ae85u);
  }
  return c;
}

// ---- Uniforms (engine/random/stream.ts) ----

fn drawBlock(key : vec2<u32>, realisation : u32, pointWord : u32, tag : u32, block : u32) -> vec4<u32> {
  return philox4x32(vec4<u32>(block, realisation, pointWord, tag), key);
}

// Uniform (i % 2) of a block: (high27, low26).
fn drawHalf(words : vec4<u32>, odd : bool) -> vec2<u32> {
  let w = select(words.xy, words.zw, odd);
  return vec2<u32>(w.x >> 5u, w.y >> 6u);
}

fn drawUniformWords(key : vec2<u32>, realisation : u32, pointWord : u32, tag : u32, i : u32) -> vec2<u32> {
  return drawHalf(drawBlock(key, realisation, pointWord, tag, i >> 1u), (i & 1u) == 1u);
}

// The integer hi 2^32 + lo (hi < 2^22) times 2^-53, rounded to nearest float32, ties to even.
fn drawIntToF32(hi : u32, lo : u32) -> f32 {
  var top = 0u;
  var rest = 0u;
  var e = 0;
  if (hi != 0u) {
    let z = countLeadingZeros(hi);
    top = (hi << z) | (lo >> (32u - z));
    rest = lo << z;
    e = 10 - i32(z);
  } else if (lo != 0u) {
    let z = countLeadingZeros(lo);
    top = lo << z;
    e = -22 - i32(z);
  } else {
    return 0.0;
  }
  // top holds the leading 32 bits, leading bit 2^e after scaling: 24 kept, 1 guard, the rest sticky.
  let sig = top >> 8u;
  let guard = (top >> 7u) & 1u;
  let sticky = ((top & 0x7fu) | rest) != 0u;
  let up = guard & select(sig & 1u, 1u, sticky);
  // Exponent field e + 127 plus the mantissa sig - 2^23; a carry out of the mantissa bumps the exponent.
  return bitcast<f32>((u32(e + 126) << 23u) + sig + up);
}

// x = high27 2^26 + low26 as (hi, lo) words: hi < 2^21.
fn drawWide(w : vec2<u32>) -> vec2<u32> {
  return vec2<u32>(w.x >> 6u, (w.x << 26u) | w.y);
}

// u = x 2^-53, correctly rounded.
fn drawUnit(w : vec2<u32>) -> f32 {
  let x = drawWide(w);
  return drawIntToF32(x.x, x.y);
}

// 1 - u = (2^53 - x) 2^-53, correctly rounded.
fn drawComplement(w : vec2<u32>) -> f32 {
  let x = drawWide(w);
  return drawIntToF32(0x200000u - x.x - select(0u, 1u, x.y != 0u), 0u - x.y);
}

// u - 1/2 = (x - 2^52) 2^-53, correctly rounded.
fn drawCentred(w : vec2<u32>) -> f32 {
  let x = drawWide(w);
  if (x.x >= 0x100000u) {
    return drawIntToF32(x.x - 0x100000u, x.y);
  }
  return -drawIntToF32(0x100000u - x.x - select(0u, 1u, x.y != 0u), 0u - x.y);
}

fn drawUniform(key : vec2<u32>, realisation : u32, pointWord : u32, tag : u32, i : u32) -> f32 {
  return drawUnit(drawUniformWords(key, realisation, pointWord, tag, i));
}

// ---- ln and exp, a few ulp on every GPU ----

const DRAW_LN2_HI : f32 = 0.693145751953125;     // 15 significant bits: n DRAW_LN2_HI exact for |n| < 512
const DRAW_LN2_LO : f32 = 1.428606765330187e-6;  // ln 2 - DRAW_LN2_HI

// 2 atanh(s) for |s| <= 0.172: 2 s (1 + s^2/3 + ... + s^8/9), truncation below 3e-9 relative.
fn drawAtanh2(s : f32) -> f32 {
  let s2 = s * s;
  let p = 1.0 + s2 * (1.0 / 3.0 + s2 * (0.2 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0))));
  return 2.0 * s * p;
}

// ln(v) for a positive normal v: v = 2^n mant, mant in [sqrt(1/2), sqrt(2)), ln mant = 2 atanh((mant - 1)/(mant + 1)).
fn drawLn(v : f32) -> f32 {
  let bits = bitcast<u32>(v);
  var n = i32(bits >> 23u) - 127;
  var mant = bitcast<f32>((bits & 0x7fffffu) | 0x3f800000u);
  if (mant > 1.41421356) {
    mant = 0.5 * mant;
    n = n + 1;
  }
  let nf = f32(n);
  return nf * DRAW_LN2_HI + (nf * DRAW_LN2_LO + drawAtanh2((mant - 1.0) / (mant + 1.0)));
}

// exp(z) = 2^n exp(f), n = round(z / ln 2), |f| <= 0.35 (Cody-Waite), exp(f) by Taylor to f^7/7!.
fn drawExp(z : f32) -> f32 {
  let n = clamp(round(z * 1.44269504), -252.0, 254.0);
  let f = (z - n * DRAW_LN2_HI) - n * DRAW_LN2_LO;
  let p = 1.0 + f * (1.0 + f * (0.5 + f * (1.0 / 6.0 + f * (1.0 / 24.0 + f * (1.0 / 120.0 + f * (1.0 / 720.0 + f * (1.0 / 5040.0)))))));
  // 2^n as two normal powers of two, each product exact unless the result leaves the normal range.
  let n1 = i32(n) / 2;
  let n2 = i32(n) - n1;
  return p * bitcast<f32>(u32(n1 + 127) << 23u) * bitcast<f32>(u32(n2 + 127) << 23u);
}

// Exp(1) = -ln(1 - u) from a uniform's words.
fn drawExp1(w : vec2<u32>) -> f32 {
  if (w.x < 0x2000000u) {
    // u < 1/4: -ln(1 - u) = 2 atanh(u / (2 - u)), s in [0, 1/7).
    let u = drawUnit(w);
    return drawAtanh2(u / (2.0 - u));
  }
  return -drawLn(drawComplement(w));
}

// ---- One device of one realisation (engine/scenario.ts, engine/scenario-batch.ts) ----

struct UeDraw {
  cPerW : f32,
  cyclesMc : f32,
  bitsKbit : f32,
}

var<private> drawRealisation : u32;

fn drawBegin(row : i32) {
  drawRealisation = uniforms.drawFirst + u32(row);
}

fn drawKey() -> vec2<u32> {
  return vec2<u32>(uniforms.drawSeedLow, uniforms.drawSeedHigh);
}

// ||h̄_m||^2: the sum of L Exp(1), uniforms mL .. mL + L - 1 of tag 2, each block computed once.
fn drawFadingPower(m : i32) -> f32 {
  let L = u32(uniforms.drawL);
  let first = u32(m) * L;
  var words = vec4<u32>(0u, 0u, 0u, 0u);
  var haveBlock = false;
  var sum = 0.0;
  for (var l = 0u; l < L; l++) {
    let i = first + l;
    if (!haveBlock || (i & 1u) == 0u) {
      words = drawBlock(drawKey(), drawRealisation, uniforms.drawPointWord, 2u, i >> 1u);
      haveBlock = true;
    }
    sum = sum + drawExp1(drawHalf(words, (i & 1u) == 1u));
  }
  return sum;
}

fn drawUe(m : i32) -> UeDraw {
  let key = drawKey();
  // Position: x_m, y_m from uniforms 2m, 2m + 1 of tag 1 (block m); r2 = (d / side)^2 >= (dmin / side)^2.
  let pos = drawBlock(key, drawRealisation, uniforms.drawPointWord, 1u, u32(m));
  let tx = drawCentred(drawHalf(pos, false));
  let ty = drawCentred(drawHalf(pos, true));
  let r2 = max(fma(tx, tx, ty * ty), uniforms.drawMinR2);
  // c = ||h̄||^2 10^(PL(d)/10) / (B N0) = fading exp(A - slope/20 ln r2).
  let gain = drawExp(fma(-uniforms.drawGainLogSlope, drawLn(r2), uniforms.drawGainLogScale));
  // eta_m: uniform m of tag 3.
  let etaWords = drawHalf(drawBlock(key, drawRealisation, uniforms.drawPointWord, 3u, u32(m) >> 1u), (u32(m) & 1u) == 1u);
  var d = UeDraw(0.0, 0.0, 0.0);
  d.cPerW = gain * drawFadingPower(m);
  d.cyclesMc = fma(uniforms.drawCyclesSpanMc, drawUnit(etaWords), uniforms.drawCyclesMinMc);
  d.bitsKbit = uniforms.drawBitsKbit;
  return d;
}
`;
