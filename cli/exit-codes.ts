/**
 * The exit codes of `dtmc`, one place for the commands, the error handler and the help texts:
 * `EXIT` names the codes, `COMMAND_EXITS` declares which codes each command returns and what each
 * means there, and every command's help epilog (`exitCodesHelp`) and the top-level help
 * (`exitCodesByCommand`) are generated from it.
 */
import { isSolved, type AoStatus } from '../engine/ao/solve-ao.js';

export const EXIT = {
  /** Success (solve: converged, or stopped at the iteration limit). */
  ok: 0,
  /** An unexpected error (a bug): the stack is printed. */
  unexpected: 1,
  /** Bad input: usage, settings, scenario or job file, file access. */
  badInput: 2,
  /** The solver ran and reported infeasible or numerical-failure. */
  unsolved: 3,
  /** dtmc run, reproduce: some chunks failed twice (the rest completed); dtmc verify: some are missing. */
  incomplete: 4,
  /** dtmc verify: some chunk file is corrupt (checksum, layout or a value outside its domain). */
  corrupt: 5,
  /** dtmc run, reproduce: stopped by SIGINT or SIGTERM (128 + signal number); finished chunks stay. */
  interrupted: 130,
  terminated: 143,
} as const;

/** The exit code for a solver status: 0 when a point was found, 3 otherwise. */
export const exitCodeForStatus = (status: AoStatus): number =>
  isSolved(status) ? EXIT.ok : EXIT.unsolved;

/** The commands, in the order the top-level help lists them. */
export const COMMANDS = ['solve', 'params', 'run', 'aggregate', 'verify', 'plot', 'reproduce', 'export', 'query', 'doctor', 'completion'] as const;
export type CommandName = (typeof COMMANDS)[number];

/** Codes that mean one thing for a command: `short` for the top-level list, `meaning` for the command's help. */
export interface ExitLine {
  codes: readonly number[];
  short: string;
  meaning: string;
}

const UNEXPECTED: ExitLine = { codes: [EXIT.unexpected], short: 'a bug', meaning: 'unexpected error (a bug; the stack trace is printed)' };
/** The short word of the plain bad-input line (exit 2), which the top-level list states once for all commands. */
const BAD_INPUT = 'bad input';
const badInput = (what: string): ExitLine => ({ codes: [EXIT.badInput], short: BAD_INPUT, meaning: `bad input: ${what}` });
const FOLDER = 'not a job folder, an incomplete job without --partial, or a corrupt chunk file (named; dtmc verify DIR lists them all, dtmc run redoes them, --partial leaves their points out)';
const RUN_STOPS: ExitLine[] = [
  {
    codes: [EXIT.incomplete], short: 'chunks failed',
    meaning: 'some chunks failed twice (recorded as chunks/<id>.failed.json; run again to retry), or chunks of this run were gone after it (the folder changed during the run)',
  },
  { codes: [EXIT.interrupted, EXIT.terminated], short: 'SIGINT, SIGTERM', meaning: 'stopped by SIGINT or SIGTERM; run the same command again to resume (finished chunks stay)' },
];
const RUN_BAD = 'job file, arguments or environment variables, an output folder of another job or one in use by another run, a GPU backend that cannot start here; '
  + 'or a file that cannot be written (full disk, read-only, no permission, a directory in its place): the run stops, written chunks stay';

/** Which codes each command returns, and what each means for it. */
export const COMMAND_EXITS: Record<CommandName, readonly ExitLine[]> = {
  solve: [
    { codes: [EXIT.ok], short: 'solved', meaning: 'solved (status converged or max-iterations); with --batch, every realisation solved' },
    UNEXPECTED,
    badInput('usage, settings (--set), scenario file, or file access'),
    { codes: [EXIT.unsolved], short: 'infeasible or numerical-failure', meaning: 'the solver reported status infeasible or numerical-failure (with --batch: for some realisation)' },
  ],
  params: [{ codes: [EXIT.ok], short: 'printed', meaning: 'the table is printed' }, UNEXPECTED, badInput('usage')],
  run: [
    { codes: [EXIT.ok], short: 'this shard complete', meaning: 'every chunk of this shard is complete (the summary is printed once every shard\'s chunks are there)' },
    UNEXPECTED, badInput(RUN_BAD), ...RUN_STOPS,
  ],
  aggregate: [{ codes: [EXIT.ok], short: 'summarised', meaning: 'summarised' }, UNEXPECTED, badInput(FOLDER)],
  verify: [
    { codes: [EXIT.ok], short: 'intact', meaning: 'every chunk is there and intact' },
    UNEXPECTED,
    badInput('not an output folder of dtmc run'),
    { codes: [EXIT.incomplete], short: 'chunks missing', meaning: 'some chunks are missing (not run yet, or failed) and none is corrupt' },
    { codes: [EXIT.corrupt], short: 'a chunk corrupt', meaning: 'some chunk file is corrupt (dtmc run redoes it)' },
  ],
  plot: [
    { codes: [EXIT.ok], short: 'charts written', meaning: 'the charts are written' },
    UNEXPECTED,
    badInput(`${FOLDER}; or a chart that cannot be drawn (no solved realisation, plot.x not swept, a panel without its data): nothing is written`),
  ],
  reproduce: [
    { codes: [EXIT.ok], short: 'run and plotted', meaning: 'every chunk is complete, summarised and plotted' },
    UNEXPECTED, badInput(RUN_BAD), ...RUN_STOPS,
  ],
  export: [
    { codes: [EXIT.ok], short: 'exported', meaning: 'exported' },
    UNEXPECTED,
    badInput('not a job folder, an incomplete job without --partial, a corrupt chunk file (named; dtmc run redoes it), or an --out that holds other files; nothing is replaced'),
  ],
  query: [
    { codes: [EXIT.ok], short: 'printed', meaning: 'the result is printed' },
    UNEXPECTED,
    badInput('not a job folder, an incomplete job without --partial, a corrupt chunk file, SQL that DuckDB refuses (its message), or @duckdb/node-api not installed'),
  ],
  doctor: [
    { codes: [EXIT.ok], short: 'wasm starts', meaning: 'the report is printed and the wasm backend starts' },
    UNEXPECTED,
    { codes: [EXIT.badInput], short: 'wasm cannot start', meaning: 'the wasm backend cannot start here (the report says what to install), or bad usage' },
  ],
  completion: [{ codes: [EXIT.ok], short: 'script printed', meaning: 'the completion script is printed' }, UNEXPECTED, badInput('usage')],
};

/** The codes `command` can return, in order. */
export const exitCodesOf = (command: CommandName): number[] => COMMAND_EXITS[command].flatMap((l) => [...l.codes]).sort((a, b) => a - b);

/** `text` in lines of at most `width` characters, the first after `first`, the rest after `rest`. */
function wrap(text: string, first: string, rest: string, width = 100): string[] {
  const lines: string[] = [];
  let line = first;
  for (const word of text.split(' ')) {
    if (line.length + word.length + 1 > width && line.trim() !== first.trim()) {
      lines.push(line.trimEnd());
      line = rest;
    }
    line += line === first || line === rest ? word : ` ${word}`;
  }
  return [...lines, line];
}

/** The "Exit codes:" paragraph of `command`'s help epilog. */
export function exitCodesHelp(command: CommandName): string {
  return ['Exit codes:', ...COMMAND_EXITS[command].flatMap((l) => {
    const codes = l.codes.join(', ');
    return wrap(l.meaning, `  ${codes}  `, ' '.repeat(codes.length + 4));
  })].join('\n');
}

/** The top-level help's list: each command's codes in a few words (its own help says more). */
export function exitCodesByCommand(): string {
  const width = Math.max(...COMMANDS.map((c) => c.length));
  return [
    'Exit codes by command (dtmc <command> --help says what each means there); every command exits 1',
    'on an unexpected error (a bug) and 2 on bad input (usage, a setting, a file, an environment variable):',
    ...COMMANDS.map((c) => {
      const own = COMMAND_EXITS[c].filter((l) => l !== UNEXPECTED && l.short !== BAD_INPUT);
      return `  ${c.padEnd(width)}  ${own.map((l) => `${l.codes.join(', ')} ${l.short}`).join('; ')}`;
    }),
  ].join('\n');
}
