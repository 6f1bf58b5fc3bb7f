/**
 * The exit codes of `dtmc`, one place for the commands, the error handler and the help texts.
 */
import { isSolved, type AoStatus } from '../engine/ao/solve-ao.js';

export const EXIT = {
  /** Solved: converged, or stopped at the iteration limit. */
  ok: 0,
  /** An unexpected error (a bug): the stack is printed. */
  unexpected: 1,
  /** Bad input: usage, settings, scenario file or file access. Nothing is solved. */
  badInput: 2,
  /** The solver ran and reported infeasible or numerical-failure. */
  unsolved: 3,
  /** dtmc run: some chunks failed twice (the rest completed). */
  incomplete: 4,
  /** dtmc verify: some chunk file is corrupt (checksum, layout or a value outside its domain). */
  corrupt: 5,
  /** dtmc run: stopped by SIGINT or SIGTERM (128 + signal number); finished chunks stay. */
  interrupted: 130,
  terminated: 143,
} as const;

/** The exit code for a solver status: 0 when a point was found, 3 otherwise. */
export const exitCodeForStatus = (status: AoStatus): number =>
  isSolved(status) ? EXIT.ok : EXIT.unsolved;

/** The exit-code paragraph of the help epilogs. */
export const EXIT_CODES_HELP = [
  'Exit codes:',
  '  0  solved (status converged or max-iterations)',
  '  1  unexpected error (a bug; the stack trace is printed)',
  '  2  bad input: usage, settings (--set), scenario file, or file access',
  '  3  the solver reported status infeasible or numerical-failure',
].join('\n');
