/**
 * The shared close-enough assertion: passes when |actual - expected| <= max(absTol,
 * relTol |expected|), and otherwise throws with actual, expected, delta and tolerance printed.
 */
import { unreachable } from 'uvu/assert';

export function assertClose(actual: number, expected: number, relTol: number, absTol = 0, label = ''): void {
  const delta = Math.abs(actual - expected);
  const tolerance = Math.max(absTol, relTol * Math.abs(expected));
  if (!(delta <= tolerance)) {
    const what = label ? `${label}: ` : '';
    unreachable(
      `${what}actual ${actual}, expected ${expected}, delta ${delta}, tolerance ${tolerance} (rel ${relTol}, abs ${absTol})`,
    );
  }
}
