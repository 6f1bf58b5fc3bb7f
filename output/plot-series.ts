/**
 * How the series of a chart (output/plot.ts) are told apart: a colour and a dash per series, as
 * explicit Vega-Lite scales over the series labels, so that no two series look alike however many
 * there are (up to SERIES_STYLES), and no colour is pale.
 *
 * Up to PALETTE.length series: a colour each, solid lines. More (Fig. 2's convergence chart has
 * 24): series in sweep order take colour i mod `period` and dash floor(i / period), where
 * `period` is the number of values of the fastest-varying swept parameter when the palette holds
 * them (so colour follows that parameter and dash the others), else PALETTE.length. A series may
 * be marked `onTop` (the AO in a chart of baselines): it gets a dash of its own when lines are
 * solid, and output/plot.ts draws it last, so a baseline on the same values does not hide it and
 * shows through its gaps. The same holds, panel by panel, for a series whose line lies on an
 * earlier one's (`coincidentSeries`: Fig. 3's offloading portion is the same with and without the
 * twin's deviation): it is drawn last and dashed in that panel, and the panel says so.
 */

/** Tableau 10: ten colours far apart, none pale on white (Vega's `tableau10` scheme). */
export const PALETTE = ['#4c78a8', '#f58518', '#e45756', '#72b7b2', '#54a24b', '#eeca3b', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac'] as const;

/** Stroke dash patterns [px on, px off, ...]; the first is solid. */
export const DASHES: readonly (readonly number[])[] = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [12, 3], [3, 5], [8, 2, 2, 2, 2, 2], [1, 4]];

/** The dash of a series drawn on top of solid lines. */
export const ON_TOP_DASH: readonly number[] = [6, 3];

/** The dash of a series drawn over an earlier series' line that it lies on (unlike ON_TOP_DASH, so an AO under it shows). */
export const COINCIDE_DASH: readonly number[] = [3, 5];

/** The most distinct (colour, dash) pairs (at period = PALETTE.length; period x DASHES.length in general): beyond, styles repeat. */
export const SERIES_STYLES = PALETTE.length * DASHES.length;

export interface SeriesScales {
  color: { domain: string[]; range: string[] };
  strokeDash: { domain: string[]; range: number[][] };
  /** Whether any series is dashed. */
  dashed: boolean;
}

/** Legend properties for dashed series: line swatches long enough (about 25 px) to show a dash pattern. */
export const DASHED_LEGEND = { symbolType: 'stroke', symbolSize: 600, symbolStrokeWidth: 2 } as const;

/**
 * The colour and dash of each series label (in sweep order, distinct). `fastest` is the number of
 * values of the fastest-varying swept parameter among the series' keys (0 when unknown).
 */
export function seriesScales(labels: readonly string[], fastest: number, onTop: ReadonlySet<string> = new Set()): SeriesScales {
  const many = labels.length > PALETTE.length;
  const period = many ? (fastest >= 2 && fastest <= PALETTE.length ? fastest : PALETTE.length) : Math.max(labels.length, 1);
  const dash = (label: string, i: number): number[] =>
    [...(many ? DASHES[Math.floor(i / period) % DASHES.length] : onTop.has(label) ? ON_TOP_DASH : DASHES[0])];
  const strokeDash = labels.map(dash);
  return {
    color: { domain: [...labels], range: labels.map((_, i) => PALETTE[i % period]) },
    strokeDash: { domain: [...labels], range: strokeDash },
    dashed: strokeDash.some((d) => d.length !== 2 || d[1] !== 0),
  };
}

/**
 * Two lines coincide when they differ by at most this share of the panel's y range at every x:
 * about 2 px at the panels' heights (180-300 px), the width of a line, so one would hide the other.
 */
export const COINCIDE_SHARE = 0.01;

/**
 * The series (labels) whose line in one panel lies on an earlier series' line (in label order):
 * the same x values, and at each of them a y within COINCIDE_SHARE of the panel's y range (or
 * equal, when every y is the same). Rows with a non-finite y are left out.
 */
export function coincidentSeries(rows: readonly { series: string; x: number | string; y: number }[], labels: readonly string[]): Set<string> {
  const finite = rows.filter((r) => Number.isFinite(r.y));
  const ys = finite.map((r) => r.y);
  const tolerance = ys.length ? COINCIDE_SHARE * (Math.max(...ys) - Math.min(...ys)) : 0;
  const lines = new Map(labels.map((l) => [l, new Map(finite.filter((r) => r.series === l).map((r) => [r.x, r.y]))]));
  const lies = (line: Map<number | string, number>, under: Map<number | string, number>): boolean =>
    line.size > 0 && line.size === under.size && [...line].every(([x, y]) => under.has(x) && Math.abs(y - under.get(x)!) <= tolerance);
  const out = new Set<string>();
  labels.forEach((label, i) => {
    if (labels.slice(0, i).some((earlier) => !out.has(earlier) && lies(lines.get(label)!, lines.get(earlier)!))) out.add(label);
  });
  return out;
}
