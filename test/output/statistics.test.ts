/**
 * output/statistics.ts against independent computations: t quantiles from 50-digit bisection on
 * the t distribution function (mpmath 1.3) and from a printed table, closed forms, brute-force
 * binomial sums written here, and simulated coverage with fixed seeds.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  meanInterval, quantileDiscProbability, quantileDiscRank, quantileRanks, studentTQuantile, tCritical, wilsonInterval,
} from '../../output/statistics.js';
import { normalQuantile } from '../../output/special-functions.js';
import { assertClose } from '../helpers/close.js';
import { mulberry32, type Rng } from '../helpers/random.js';

/** t quantiles by 50-digit bisection on 1/2 I_{df/(df+t^2)}(df/2, 1/2) in mpmath 1.3. */
const T_P = [1e-10, 1e-6, 0.001, 0.025, 0.1, 0.3, 0.45, 0.6, 0.9, 0.975, 0.995, 0.9995, 1 - 1e-9];
const T_TABLE: [number, number[]][] = [
  [1, [-3183098861.837907, -318309.8861827435, -318.30883898555044, -12.706204736174705, -3.077683537175253, -0.7265425280053609, -0.15838444032453625, 0.32491969623290623, 3.077683537175254, 12.706204736174694, 63.656741162871526, 636.6192487687897, 318309895.1862093]],
  [1.5, [-2422663.101134394, -5219.469324706946, -52.18443000899265, -6.0166631044279315, -2.196398417565537, -0.6517954826023571, -0.1476266434609474, 0.3007453925697954, 2.1963984175655376, 6.016663104427928, 17.820310514462797, 82.84744670366369, 521946.95257454924]],
  [2, [-70710.67810804815, -707.1057205259339, -22.327124770119877, -4.302652729749464, -1.8856180831641267, -0.6172133998483676, -0.14213381090374025, 0.2886751345948128, 1.885618083164127, 4.302652729749462, 9.92484320091829, 31.599054576445365, 22360.68005765849]],
  [3, [-2225.7692846830932, -103.29946778041935, -10.214531852407386, -3.1824463052837095, -1.63774435369621, -0.5843897274398187, -0.13659819935369888, 0.27667066233268983, 1.6377443536962104, 3.1824463052837086, 5.840909309733355, 12.923978636687965, 1033.1096842432755]],
  [4, [-416.1751403296041, -41.577854150450975, -7.1731822197823085, -2.7764451051977943, -1.5332062740589438, -0.5686490630497055, -0.13383036711194332, 0.27072229470759734, 1.533206274058944, 2.7764451051977934, 4.604094871349992, 8.610301581379522, 234.02761206090787]],
  [5, [-156.8255927088943, -24.771029720515944, -5.89342953135601, -2.5705818356363155, -1.475884048824481, -0.5594296444693608, -0.13217517523168723, 0.26718086570414507, 1.4758840488244813, 2.5705818356363146, 4.032142983555227, 6.868826625881275, 98.93722520824214]],
  [7, [-53.83557948467373, -14.241469651981445, -4.785289628638334, -2.3646242515927853, -1.4149239276505083, -0.5491096579472851, -0.13029279659177737, 0.2631668613520228, 1.4149239276505086, 2.364624251592785, 3.4994832973504932, 5.407882520861828, 38.70598080026368]],
  [10, [-25.466008021697725, -9.75199549094058, -4.143700494046589, -2.228138851986275, -1.3721836411103356, -0.5415280387550157, -0.12889018929327375, 0.26018482949208016, 1.3721836411103359, 2.2281388519862744, 3.169272672616951, 4.586893858702708, 20.144697824931782]],
  [29, [-9.51796550493783, -5.917105540459562, -3.396240288356803, -2.0452296421327043, -1.311433647301551, -0.5302143957091608, -0.1267666056202748, 0.2556836345712561, 1.311433647301551, 2.045229642132704, 2.7563859036706053, 3.6594050194663743, 8.556427319117427]],
  [30, [-9.377489780407144, -5.871117120418883, -3.385184866829305, -2.042272456301238, -1.3104150253913955, -0.5300190039065045, -0.12672961313207357, 0.2556053649519127, 1.3104150253913958, 2.0422724563012378, 2.749995653567225, 3.6459586350420627, 8.445862807441596]],
  [100, [-7.083375481400722, -5.048830877228346, -3.173739493738783, -1.9839715185235522, -1.290074761346516, -0.5260762706003463, -0.12598088204153965, 0.2540221824582278, 1.290074761346516, 1.9839715185235518, 2.6258905214380177, 3.3904913111642636, 6.598939826677467]],
  [999, [-6.4279434796597394, -4.781636978830079, -3.0984103617533125, -1.96234146113345, -1.2823995700373974, -0.5245678747137387, -0.12569329447058575, 0.2534145833303673, 1.2823995700373974, 1.9623414611334495, 2.5807596372676365, 3.3002924403987666, 6.0537466624833804]],
  [1e4, [-6.367941351482803, -4.756229685056779, -3.091047516030612, -1.9602012398906263, -1.2816362297304775, -0.5244172283454668, -0.1256645380385817, 0.2533538434457268, 1.2816362297304777, 1.960201239890626, 2.5763210466685287, 3.2914999659416355, 6.003355452553618]],
  [99999, [-6.362000426439518, -4.753704719195537, -3.0903138102422982, -1.9599877077718448, -1.2815600315340214, -0.5244021842502612, -0.1256616659727831, 0.25334777716392015, 1.2815600315340216, 1.9599877077718444, 2.575878470400052, 3.2906240323849487, 5.998361471819241]],
  [1e5, [-6.3620004198436915, -4.753704716391288, -3.0903138094272378, -1.9599877075346097, -1.281560031449361, -0.5244021842335458, -0.1256616659695919, 0.2533477771571799, 1.2815600314493611, 1.9599877075346093, 2.575878469908375, 3.2906240314119137, 5.998361466274278]],
  [1e6, [-6.361406848876743, -4.753452348279681, -3.09024045631652, -1.959966356814107, -1.2815524121299384, -0.5244006798602089, -0.12566137876648747, 0.2533471705378416, 1.2815524121299386, 1.9599663568141066, 2.575834220105334, 3.2905364612487222, 5.9978624603049715]],
  [1e8, [-6.361341561862985, -4.753424589216037, -3.0902323876691056, -1.9599640082627667, -1.2815515740104482, -0.524400514379562, -0.1256613471741881, 0.25334710380982006, 1.2815515740104484, 1.9599640082627665, 2.5758293527143774, 3.290526828789235, 5.997807574004311]],
];

test('studentTQuantile is within 1e-12 relative of 50-digit values over df 1 .. 1e8 and p 1e-10 .. 1 - 1e-9', () => {
  for (const [df, row] of T_TABLE) {
    T_P.forEach((p, i) => assertClose(studentTQuantile(p, df), row[i], 1e-12, 0, `t(${p}, ${df})`));
  }
});

test('studentTQuantile matches a printed t table to its 3 decimals', () => {
  // Two-sided 95% and 99% critical values as printed in standard t tables.
  const table: [number, number, number][] = [
    [1, 12.706, 63.657], [2, 4.303, 9.925], [5, 2.571, 4.032], [10, 2.228, 3.169], [20, 2.086, 2.845],
    [30, 2.042, 2.750], [60, 2.000, 2.660], [120, 1.980, 2.617], [Infinity, 1.960, 2.576],
  ];
  for (const [df, t95, t99] of table) {
    assertClose(tCritical(0.95, df), t95, 0, 5e-4, `t95 df ${df}`);
    assertClose(tCritical(0.99, df), t99, 0, 5e-4, `t99 df ${df}`);
  }
});

test('studentTQuantile has the closed forms of df = 1 (Cauchy) and df = 2', () => {
  for (const p of [1e-8, 0.01, 0.2, 0.49, 0.7, 0.975, 0.9999]) {
    const cauchy = Math.sign(p - 0.5) / Math.tan(Math.PI * Math.min(p, 1 - p));
    assertClose(studentTQuantile(p, 1), cauchy, 1e-12, 1e-15, `df 1, p ${p}`);
    assertClose(studentTQuantile(p, 2), (2 * p - 1) / Math.sqrt(2 * p * (1 - p)), 1e-12, 1e-15, `df 2, p ${p}`);
  }
});

test('studentTQuantile is odd in p - 1/2, 0 at p = 1/2, the normal quantile at df = Infinity', () => {
  for (const df of [1, 3.7, 12, 5e5]) {
    assert.is(studentTQuantile(0.5, df), 0);
    for (const p of [0.001, 0.1, 0.3]) assertClose(studentTQuantile(p, df), -studentTQuantile(1 - p, df), 1e-13, 0, `df ${df}, p ${p}`);
  }
  assert.is(studentTQuantile(0.975, Infinity), normalQuantile(0.975));
});

test('studentTQuantile is continuous across its switch to the expansion at df = 1e5', () => {
  for (const p of [1e-6, 0.025, 0.9]) {
    const below = studentTQuantile(p, 1e5 - 1e-6);
    const at = studentTQuantile(p, 1e5);
    assertClose(below, at, 1e-13, 0, `p ${p}`);
  }
});

test('bad t arguments are errors naming the argument', () => {
  assert.throws(() => studentTQuantile(0.975, 0.5), /df must be a number >= 1, got 0.5/);
  assert.throws(() => studentTQuantile(0.975, Number.NaN), /df must be/);
  assert.throws(() => studentTQuantile(1, 5), /p must be a probability strictly between 0 and 1, got 1/);
  assert.throws(() => tCritical(95, 5), /level must be a probability/);
});

/** Standard normal draws by Box-Muller. */
function normals(rng: Rng, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rng()));
    const a = 2 * Math.PI * rng();
    out[i] = r * Math.cos(a);
    if (i + 1 < n) out[i + 1] = r * Math.sin(a);
  }
  return out;
}

test('meanInterval is t_{0.975, n-1} sqrt(variance / n) around the mean', () => {
  const r = meanInterval(30, 12.5, 4);
  const half = 2.045229642132704 * Math.sqrt(4 / 30);
  assertClose(r.halfWidth, half, 1e-13, 0, 'half-width');
  assertClose(r.lower, 12.5 - half, 1e-13, 0, 'lower');
  assertClose(r.upper, 12.5 + half, 1e-13, 0, 'upper');
  assert.is(r.mean, 12.5);
});

test('meanInterval of normal samples of 5 covers the mean 95% of the time, where 1.96 would cover 88%', () => {
  const rng = mulberry32(15);
  const reps = 20_000;
  const n = 5;
  let tHits = 0;
  let zHits = 0;
  for (let r = 0; r < reps; r++) {
    const x = normals(rng, n);
    const mean = x.reduce((s, v) => s + v, 0) / n;
    const variance = x.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1);
    const ci = meanInterval(n, mean, variance);
    if (ci.lower <= 0 && 0 <= ci.upper) tHits++;
    if (Math.abs(mean) <= 1.96 * Math.sqrt(variance / n)) zHits++;
  }
  const sd = Math.sqrt((0.95 * 0.05) / reps);
  assertClose(tHits / reps, 0.95, 0, 4 * sd, 't coverage');
  assert.ok(zHits / reps < 0.9, `1.96 coverage ${zHits / reps} (about 0.878 in theory)`);
});

test('meanInterval has no half-width below 2 values and refuses a bad variance', () => {
  assert.ok(Number.isNaN(meanInterval(1, 3, 0).halfWidth));
  assert.ok(Number.isNaN(meanInterval(0, Number.NaN, Number.NaN).halfWidth));
  assert.throws(() => meanInterval(10, 1, -1), /variance must be a finite number >= 0, got -1/);
  assert.throws(() => meanInterval(2.5, 1, 1), /n must be an integer/);
});

test('wilsonInterval endpoints solve the score equation (k/n - p)^2 = z^2 p (1 - p) / n', () => {
  const z = normalQuantile(0.975);
  for (const [k, n] of [[1, 10], [5, 10], [81, 263], [999, 1000], [3, 1e6]]) {
    const r = wilsonInterval(k, n);
    for (const end of [r.lower, r.upper]) {
      assertClose((k / n - end) ** 2, (z * z * end * (1 - end)) / n, 1e-10, 1e-300, `k ${k} n ${n} end ${end}`);
    }
    assert.ok(r.lower < k / n && k / n < r.upper, `k ${k} n ${n}: ${r.lower} < ${k / n} < ${r.upper}`);
    assert.is(r.estimate, k / n);
  }
});

test('wilsonInterval is exactly 0 below at k = 0, exactly 1 above at k = n, and [0, 1] at n = 0', () => {
  const z2 = normalQuantile(0.975) ** 2;
  const none = wilsonInterval(0, 10);
  assert.is(none.lower, 0);
  assertClose(none.upper, z2 / (10 + z2), 1e-14, 0, 'upper at k = 0');
  const all = wilsonInterval(10, 10);
  assert.is(all.upper, 1);
  assertClose(all.lower, 10 / (10 + z2), 1e-14, 0, 'lower at k = n');
  const empty = wilsonInterval(0, 0);
  assert.equal([empty.lower, empty.upper], [0, 1]);
  assert.ok(Number.isNaN(empty.estimate));
});

test('wilsonInterval widens with the level and refuses k > n', () => {
  const a = wilsonInterval(7, 50, 0.95);
  const b = wilsonInterval(7, 50, 0.99);
  assert.ok(b.lower < a.lower && a.upper < b.upper);
  assert.throws(() => wilsonInterval(11, 10), /k must be an integer in \[0, 10\], got 11/);
  assert.throws(() => wilsonInterval(1, 10, 1.5), /level must be a probability/);
});

test('quantileDiscRank is the rank DuckDB 1.5.6 quantile_disc returns, rounding of n p included', () => {
  // [n, p, rank DuckDB returned]: 100 * 0.07 rounds to 7.000000000000001, ceil would give 8.
  const seen: [number, number, number][] = [
    [10, 0.1, 1], [10, 0.25, 3], [10, 0.5, 5], [10, 0.9, 9], [11, 0.1, 2], [3, 0.5, 2], [20, 0.9, 18],
    [1000, 0.999, 999], [100, 0.07, 7], [10000, 0.07, 700], [100000, 0.07, 7000], [5, 0, 1], [5, 1, 5], [1, 0.5, 1],
  ];
  for (const [n, p, rank] of seen) assert.is(quantileDiscRank(n, p), rank, `n ${n} p ${p}`);
});

test('quantileDiscProbability gives the p at which quantile_disc returns each rank', () => {
  for (let n = 1; n <= 300; n++) {
    for (let rank = 1; rank <= n; rank++) assert.is(quantileDiscRank(n, quantileDiscProbability(n, rank)), rank, `n ${n} rank ${rank}`);
  }
  const rng = mulberry32(7);
  for (let i = 0; i < 10_000; i++) {
    const n = 1 + Math.floor(rng() * 1e10);
    const rank = 1 + Math.floor(rng() * n);
    assert.is(quantileDiscRank(n, quantileDiscProbability(n, rank)), rank, `n ${n} rank ${rank}`);
  }
  assert.throws(() => quantileDiscProbability(10, 0), /rank must be at least 1/);
  assert.throws(() => quantileDiscProbability(10, 11), /rank must be an integer in \[0, 10\], got 11/);
});

/** Brute force: pmf of binomial(n, p) by running sums of logs, then the equal-tailed ranks. */
function bruteRanks(n: number, p: number, level: number): { lower: number; upper: number; below: number; above: number } {
  const pmf = new Float64Array(n + 1);
  let logChoose = 0;
  for (let k = 0; k <= n; k++) {
    pmf[k] = Math.exp(logChoose + k * Math.log(p) + (n - k) * Math.log(1 - p));
    logChoose += Math.log(n - k) - Math.log(k + 1);
  }
  const tail = (1 - level) / 2;
  let below = 0;
  let lower = 0;
  while (below + pmf[lower] <= tail) below += pmf[lower++];
  let above = 0;
  let upper = n + 1;
  while (above + pmf[upper - 1] <= tail) above += pmf[--upper];
  return { lower, upper, below, above };
}

test('quantileRanks equals brute-force binomial sums over n 1 .. 2000 and p 0.001 .. 0.999', () => {
  for (const n of [1, 2, 3, 5, 8, 13, 20, 37, 60, 100, 250, 999, 2000]) {
    for (const p of [0.001, 0.01, 0.1, 0.5, 0.75, 0.9, 0.99, 0.999]) {
      for (const level of [0.9, 0.95, 0.99]) {
        const want = bruteRanks(n, p, level);
        const got = quantileRanks(n, p, level);
        const what = `n ${n} p ${p} level ${level}`;
        assert.is(got.lower, want.lower, `${what}: lower`);
        assert.is(got.upper, want.upper, `${what}: upper`);
        assertClose(got.belowProbability, want.below, 1e-9, 1e-15, `${what}: below`);
        assertClose(got.aboveProbability, want.above, 1e-9, 1e-15, `${what}: above`);
        assert.ok(got.coverage >= level, `${what}: coverage ${got.coverage}`);
      }
    }
  }
});

test('quantileRanks matches scipy 1.17 binom sums, also where its window is narrower than 0 .. n', () => {
  // [n, p, l, u] from scipy.stats.binom.cdf / sf.
  const table: [number, number, number, number][] = [
    [1, 0.5, 0, 2], [5, 0.5, 0, 6], [10, 0.9, 7, 11], [20, 0.5, 6, 15], [20, 0.99, 19, 21], [50, 0.1, 1, 10],
    [100, 0.5, 40, 61], [100, 0.9, 84, 96], [100, 0.99, 97, 101], [1000, 0.5, 469, 532], [1000, 0.999, 997, 1001],
    [12345, 0.9, 11045, 11176], [100000, 0.99, 98938, 99062], [1000000, 0.999, 998938, 999062],
  ];
  for (const [n, p, l, u] of table) {
    const r = quantileRanks(n, p);
    assert.equal([r.lower, r.upper], [l, u], `n ${n} p ${p}`);
  }
});

test('quantileRanks over a window equals brute force over all of 0 .. n at n = 1e6 + 1', () => {
  for (const p of [0.5, 0.999]) {
    const want = bruteRanks(1_000_001, p, 0.95);
    const got = quantileRanks(1_000_001, p);
    assert.equal([got.lower, got.upper], [want.lower, want.upper], `p ${p}`);
    assertClose(got.coverage, 1 - want.below - want.above, 1e-9, 0, `coverage p ${p}`);
  }
});

test('quantileRanks at n = 1e8 and 1e10 is quick, each tail at most 2.5%', () => {
  for (const n of [1e8, 1e10]) {
    for (const p of [0.5, 0.9, 0.99, 0.999]) {
      const started = performance.now();
      const r = quantileRanks(n, p);
      const ms = performance.now() - started;
      assert.ok(ms < 1000, `n ${n} p ${p}: ${ms} ms`);
      assert.ok(r.belowProbability <= 0.025 && r.aboveProbability <= 0.025, `n ${n} p ${p}: tails ${r.belowProbability}, ${r.aboveProbability}`);
      assert.ok(r.coverage >= 0.95 && r.coverage < 0.951, `n ${n} p ${p}: coverage ${r.coverage}`);
      assert.ok(r.lower <= quantileDiscRank(n, p) && quantileDiscRank(n, p) <= r.upper, `n ${n} p ${p}: point estimate inside`);
    }
  }
  assert.throws(() => quantileRanks(1e10 + 1, 0.5), /n must be an integer in \[0, 10000000000\]/);
});

test('quantileRanks brackets the point estimate X_(r) of quantile_disc', () => {
  for (let n = 1; n <= 400; n += 3) {
    for (const p of [0.05, 0.5, 0.9, 0.99, 0.999]) {
      const r = quantileRanks(n, p);
      const rank = quantileDiscRank(n, p);
      assert.ok(r.lower <= rank && rank <= r.upper, `n ${n} p ${p}: ${r.lower} <= ${rank} <= ${r.upper}`);
    }
  }
});

test('quantileRanks intervals cover the true quantile of uniform samples at least 95% of the time', () => {
  const rng = mulberry32(2024);
  const reps = 4000;
  for (const n of [20, 100, 1000]) {
    for (const p of [0.5, 0.9, 0.99]) {
      const r = quantileRanks(n, p);
      const x = new Float64Array(n);
      let hits = 0;
      for (let rep = 0; rep < reps; rep++) {
        for (let i = 0; i < n; i++) x[i] = rng();
        x.sort();
        const lo = r.lower === 0 ? -Infinity : x[r.lower - 1];
        const hi = r.upper === n + 1 ? Infinity : x[r.upper - 1];
        if (lo <= p && p <= hi) hits++;
      }
      const sd = Math.sqrt((r.coverage * (1 - r.coverage)) / reps);
      const seen = hits / reps;
      assertClose(seen, r.coverage, 0, 4 * sd + 1e-12, `n ${n} p ${p}: simulated vs exact coverage`);
      assert.ok(seen >= 0.95 - 4 * Math.sqrt((0.95 * 0.05) / reps), `n ${n} p ${p}: coverage ${seen}`);
    }
  }
});

test('quantileRanks with no values has no bounds, and bad arguments name themselves', () => {
  assert.equal(quantileRanks(0, 0.5), { lower: 0, upper: 1, belowProbability: 0, aboveProbability: 0, coverage: 1 });
  assert.throws(() => quantileRanks(10, 0), /p must be a probability strictly between 0 and 1, got 0/);
  assert.throws(() => quantileRanks(-1, 0.5), /n must be an integer/);
  assert.throws(() => quantileDiscRank(0, 0.5), /n must be at least 1/);
  assert.throws(() => quantileDiscRank(10, 1.5), /p must be in \[0, 1\], got 1.5/);
});

test.run();
