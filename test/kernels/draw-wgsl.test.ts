/**
 * The GPU draw (kernels/webgpu/draw-wgsl.ts) against the float64 draw: Philox words bit-identical
 * to engine/random/philox.ts, uniforms equal to Math.fround of stream.ts's doubles, and each
 * device's cPerW, cyclesMc and bitsKbit within a relative 1e-5 of drawProblemColumns. Runs on the
 * webgpu backend (lavapipe serves); where no adapter is found every GPU test skips with the
 * reason printed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DtmcError } from '../../engine/errors.js';
import { philox4x32 } from '../../engine/random/philox.js';
import { uniforms } from '../../engine/random/stream.js';
import { drawScenario } from '../../engine/scenario.js';
import { drawProblemColumns } from '../../engine/scenario-batch.js';
import { DEFAULT_SETTINGS, resolveSettings, type Settings } from '../../engine/settings.js';
import { drawUniformValues, type DrawUniformValues } from '../../kernels/webgpu/draw-wgsl.js';
import { assertClose } from '../helpers/close.js';
import { runDrawTestProgram } from '../helpers/draw-wgsl-program.js';
import { mulberry32, type Rng } from '../helpers/random.js';
import { onWebGpu } from '../helpers/tf-backend.js';

/** The tolerance the fused AO asks of the drawn problem. */
const REL_TOL = 1e-5;
const TWO_POW_32 = 0x100000000;
const ANY_VALUES: DrawUniformValues = drawUniformValues(DEFAULT_SETTINGS, 0, null, 0);

const word = (rng: Rng): number => Math.floor(rng() * TWO_POW_32);
const hex = (w: number): string => w.toString(16).padStart(8, '0');

/** Fails with the first mismatching word, its thread and the count of mismatches. */
function assertWordsEqual(actual: ArrayLike<number>, expected: ArrayLike<number>, what: (i: number) => string): void {
  let bad = 0;
  let firstBad = -1;
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) {
      bad++;
      if (firstBad < 0) firstBad = i;
    }
  }
  if (bad) assert.unreachable(`${bad} of ${expected.length} differ; first ${what(firstBad)}: actual ${hex(actual[firstBad])}, expected ${hex(expected[firstBad])}`);
}

/** Input words [rows, N], thread-fastest, from per-thread rows. */
function packInput(rows: number[][]): Uint32Array {
  const N = rows.length;
  const K = rows[0].length;
  const out = new Uint32Array(K * N);
  rows.forEach((r, n) => r.forEach((v, k) => { out[k * N + n] = v; }));
  return out;
}

test('philox4x32 gives the words of engine/random/philox.ts for any counter and key', () => onWebGpu('philox', async () => {
  const rng = mulberry32(7);
  const cases: number[][] = [
    [0, 0, 0, 0, 0, 0],
    [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
    [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0],
    [3, 17, 0xffffffff, 2, 0x12345678, 0x1fffff], // a seed near 2^53, common random numbers
  ];
  while (cases.length < 8192) cases.push(Array.from({ length: 6 }, () => word(rng)));
  const N = cases.length;
  const run = await runDrawTestProgram('philox', `
  let w = philox4x32(vec4<u32>(inp(0, row), inp(1, row), inp(2, row), inp(3, row)), vec2<u32>(inp(4, row), inp(5, row)));
  out(0, row, w.x); out(1, row, w.y); out(2, row, w.z); out(3, row, w.w);`, N, 4, ANY_VALUES, packInput(cases));
  const expected = new Uint32Array(4 * N);
  const block = new Uint32Array(4);
  cases.forEach((c, n) => {
    philox4x32(Uint32Array.from(c.slice(0, 4)), Uint32Array.from(c.slice(4)), block);
    for (let k = 0; k < 4; k++) expected[k * N + n] = block[k];
  });
  assertWordsEqual(run.words, expected, (i) => `word ${Math.floor(i / N)} of counter ${cases[i % N].slice(0, 4).map(hex)} key ${cases[i % N].slice(4).map(hex)}`);
}));

/** Words (w0, w1) whose 53-bit uniform is x (the bits stream.ts drops set at random). */
function wordsOf(x: bigint, rng: Rng): [number, number] {
  const high27 = Number(x >> 26n);
  const low26 = Number(x & 0x3ffffffn);
  return [((high27 << 5) | (word(rng) & 31)) >>> 0, ((low26 << 6) | (word(rng) & 63)) >>> 0];
}

/** 53-bit integers at the edges of float32 rounding: ties both ways, carries, 0, 2^53 - 1, 2^51, 2^52. */
function edgeIntegers(): bigint[] {
  const xs: bigint[] = [0n, 1n, 2n, 3n, (1n << 53n) - 1n, (1n << 53n) - 2n, 1n << 52n, (1n << 51n)];
  for (const c of [1n << 51n, 1n << 52n]) for (let d = 1n; d < 40n; d++) xs.push(c - d, c + d);
  for (let k = 1n; k <= 29n; k++) {
    for (const sig of [1n << 23n, (1n << 23n) + 1n, (1n << 23n) + 2n, (1n << 24n) - 1n]) {
      const base = sig << k;
      xs.push(base + (1n << (k - 1n)), base + (1n << (k - 1n)) + 1n, base + (1n << (k - 1n)) - 1n, base);
    }
  }
  return xs.filter((x) => x >= 0n && x < 1n << 53n);
}

test('uniforms, u - 1/2 and 1 - u are the doubles correctly rounded to float32, and Exp(1) within a few ulp', () => onWebGpu('rounding', async () => {
  const rng = mulberry32(11);
  const xs = edgeIntegers();
  while (xs.length < 20000) xs.push((BigInt(word(rng)) << 21n) | BigInt(word(rng) >>> 11));
  const cases = xs.map((x) => wordsOf(x, rng));
  const N = cases.length;
  const run = await runDrawTestProgram('rounding', `
  let w = vec2<u32>(inp(0, row) >> 5u, inp(1, row) >> 6u);
  out(0, row, w.x); out(1, row, w.y);
  out(2, row, bitcast<u32>(drawUnit(w)));
  out(3, row, bitcast<u32>(drawCentred(w)));
  out(4, row, bitcast<u32>(drawComplement(w)));
  out(5, row, bitcast<u32>(drawExp1(w)));`, N, 6, ANY_VALUES, packInput(cases));
  const expected = new Uint32Array(5 * N);
  const f32 = new Float32Array(1);
  const bits = (v: number): number => { f32[0] = v; return new Uint32Array(f32.buffer)[0]; };
  let worstExp1 = 0;
  xs.forEach((x, n) => {
    const u = Number(x) * 2 ** -53;
    expected[n] = Number(x >> 26n);
    expected[N + n] = Number(x & 0x3ffffffn);
    expected[2 * N + n] = bits(u);
    expected[3 * N + n] = bits(u - 0.5); // exact in float64
    expected[4 * N + n] = bits(1 - u); //   exact in float64
    const e = -Math.log1p(-u);
    const rel = e === 0 ? Math.abs(run.floats[5 * N + n]) : Math.abs(run.floats[5 * N + n] - e) / e;
    if (rel > worstExp1) worstExp1 = rel;
    assertClose(run.floats[5 * N + n], e, 1e-6, 0, `Exp(1) of x = ${x}`);
  });
  const names = ['high27', 'low26', 'u', 'u - 1/2', '1 - u'];
  assertWordsEqual(run.words.subarray(0, 5 * N), expected, (i) => `${names[Math.floor(i / N)]} of x = ${xs[i % N]}`);
  console.log(`  Exp(1) = -ln(1 - u) in float32: worst relative error ${worstExp1.toExponential(2)} over ${N} uniforms`);
}));

test('uniform i of a stream has the words and value of stream.ts (seeds above 2^32, point words 0xffffffff)', () => onWebGpu('stream', async () => {
  const rng = mulberry32(13);
  type Case = { seed: number; point: number | null; realisation: number; tag: number; i: number };
  const cases: Case[] = [];
  for (let n = 0; n < 4000; n++) {
    const seed = n % 3 === 0 ? word(rng) : Math.floor(rng() * 2 ** 21) * TWO_POW_32 + word(rng);
    const point = n % 2 === 0 ? null : word(rng) % 0xffffffff;
    cases.push({ seed, point, realisation: n % 5 === 0 ? 0xffffffff - n : word(rng), tag: 1 + (n % 3), i: n % 37 });
  }
  const N = cases.length;
  const input = packInput(cases.map((c) => [c.seed % TWO_POW_32, Math.floor(c.seed / TWO_POW_32), c.realisation, c.point ?? 0xffffffff, c.tag, c.i]));
  const run = await runDrawTestProgram('stream', `
  let key = vec2<u32>(inp(0, row), inp(1, row));
  let w = drawUniformWords(key, inp(2, row), inp(3, row), inp(4, row), inp(5, row));
  out(0, row, w.x); out(1, row, w.y);
  out(2, row, bitcast<u32>(drawUniform(key, inp(2, row), inp(3, row), inp(4, row), inp(5, row))));`, N, 3, ANY_VALUES, input);
  const expected = new Uint32Array(3 * N);
  const f32 = new Float32Array(1);
  cases.forEach((c, n) => {
    const u = uniforms({ seed: c.seed, point: c.point, realisation: c.realisation }, c.tag, c.i + 1)[c.i];
    const x = u * 2 ** 53;
    expected[n] = Math.floor(x / 2 ** 26);
    expected[N + n] = x % 2 ** 26;
    f32[0] = u;
    expected[2 * N + n] = new Uint32Array(f32.buffer)[0];
  });
  assertWordsEqual(run.words, expected, (i) => `${['high27', 'low26', 'u'][Math.floor(i / N)]} of ${JSON.stringify(cases[i % N])}`);
}));

/** Settings and keys of the agreement tests: the paper's defaults and a few others. */
const DRAW_CASES: { name: string; overrides: Partial<Settings>; seed: number; point: number | null; first: number }[] = [
  { name: 'paper defaults', overrides: {}, seed: 1, point: null, first: 0 },
  { name: 'L = 1, point 3, seed above 2^32', overrides: { L: 1 }, seed: 2 ** 40 + 12345, point: 3, first: 123456 },
  { name: 'L = 4, 500 m area, dmin 5 m, M = 15', overrides: { L: 4, areaSideM: 500, minDistanceM: 5 }, seed: 99, point: 0, first: 0xffffffff - 2000 },
  { name: 'L = 3, 20 m area (clamp often), eta [50, 2000], D = 10 kB', overrides: { L: 3, areaSideM: 20, minDistanceM: 2, etaMinCyclesPerByte: 50, etaMaxCyclesPerByte: 2000, taskBytes: 10000 }, seed: 2 ** 52 + 1, point: null, first: 7 },
  { name: 'L = 64, PL0 -60 dB, slope 20, B 100 MHz, N0 -150', overrides: { L: 64, pathLossInterceptDb: -60, pathLossSlopeDb: 20, bandwidthMHz: 100, noiseDbmPerHz: -150 }, seed: 5, point: 41, first: 1000 },
];

for (const c of DRAW_CASES) {
  test(`drawUe agrees with drawProblemColumns within ${REL_TOL} (${c.name})`, () => onWebGpu(c.name, async () => {
    const settings = resolveSettings({ M: 15, ...c.overrides });
    const { M } = settings;
    const N = 2000;
    const values = drawUniformValues(settings, c.seed, c.point, c.first, N);
    const run = await runDrawTestProgram(`drawUe_M${M}`, `
  drawBegin(row);
  for (var m = 0; m < ${M}; m++) {
    let d = drawUe(m);
    out(m, row, bitcast<u32>(d.cPerW));
    out(${M} + m, row, bitcast<u32>(d.cyclesMc));
    out(${2 * M} + m, row, bitcast<u32>(d.bitsKbit));
    out(${3 * M} + m, row, bitcast<u32>(drawFadingPower(m)));
  }`, N, 4 * M, values);
    const ref = drawProblemColumns(settings, c.seed, c.point, c.first, N);
    const worst = { cPerW: 0, cyclesMc: 0, bitsKbit: 0, fading: 0 };
    const check = (field: keyof typeof worst, actual: number, expected: number, n: number, m: number): void => {
      const rel = Math.abs(actual - expected) / Math.abs(expected);
      if (rel > worst[field]) worst[field] = rel;
      assertClose(actual, expected, REL_TOL, 0, `${field} of realisation ${c.first + n}, device ${m}`);
    };
    for (let n = 0; n < N; n++) {
      const fading = drawScenario(settings, { seed: c.seed, point: c.point, realisation: c.first + n }).fadingPower;
      for (let m = 0; m < M; m++) {
        check('cPerW', run.floats[m * N + n], ref.cPerW[n * M + m], n, m);
        check('cyclesMc', run.floats[(M + m) * N + n], ref.cyclesMc[n * M + m], n, m);
        check('bitsKbit', run.floats[(2 * M + m) * N + n], ref.bitsKbit[n * M + m], n, m);
        check('fading', run.floats[(3 * M + m) * N + n], fading[m], n, m);
      }
    }
    console.log(`  ${c.name}: worst relative error over ${N} x ${M}: ${Object.entries(worst).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ')}`);
  }));
}

test('drawUniformValues names a bad key, a range past 2^32 and a gain beyond float32', () => {
  const throwsCode = (f: () => unknown, code: string, text: string): void => {
    try {
      f();
      assert.unreachable('no error');
    } catch (e) {
      assert.instance(e, DtmcError);
      assert.is((e as DtmcError).code, code);
      assert.ok((e as Error).message.includes(text), (e as Error).message);
    }
  };
  throwsCode(() => drawUniformValues(DEFAULT_SETTINGS, -1, null, 0), 'invalid-argument', 'seed');
  throwsCode(() => drawUniformValues(DEFAULT_SETTINGS, 1, 0xffffffff, 0), 'invalid-argument', 'point');
  throwsCode(() => drawUniformValues(DEFAULT_SETTINGS, 1, null, 0xffffffff, 2), 'invalid-argument', 'first + count');
  const extreme = resolveSettings({ noiseDbmPerHz: -300, bandwidthMHz: 1e-6, pathLossInterceptDb: 0, minDistanceM: 0.001 });
  throwsCode(() => drawUniformValues(extreme, 1, null, 0), 'invalid-settings', 'beyond float32');
});

test('drawUniformValues splits the seed into key words and names the point word', () => {
  const v = drawUniformValues(DEFAULT_SETTINGS, 2 ** 40 + 5, null, 9);
  assert.is(v.drawSeedLow, 5);
  assert.is(v.drawSeedHigh, 256);
  assert.is(v.drawPointWord, 0xffffffff);
  assert.is(v.drawFirst, 9);
  assert.is(drawUniformValues(DEFAULT_SETTINGS, 1, 4, 0).drawPointWord, 4);
});

test.run();
