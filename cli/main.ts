#!/usr/bin/env node
/**
 * The `dtmc` command line: `solve`, `params`, `run`, `aggregate`, `verify`, `plot`, `reproduce`,
 * `export`, `query`, `doctor` and `completion`; `-V` / `--version` prints the version.
 *
 * Errors: bad input (a DtmcError: settings, scenario file, file access, or a usage error) prints
 * `dtmc: <message>` on stderr with exit code 2 and no stack; so does a file-system error from
 * anywhere (Node's errno codes: a full disk, a read-only folder, no permission, a directory in a
 * file's place), named with its path and cause in words; anything else is a bug and prints
 * its stack with exit code 1.
 *
 * A closed stdout or stderr pipe (`dtmc run ... 2>&1 | head -1`) does not stop a command: what
 * would have gone there is dropped, the work completes and the exit code is the command's own. `solve` itself exits 3 when the solver reports infeasible or
 * numerical-failure (see exit-codes.ts).
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { DtmcError } from '../engine/errors.js';
import { fsFailure, isFsError } from '../output/fs-errors.js';
import { EXIT, exitCodesByCommand } from './exit-codes.js';
import { packageVersion } from './package-info.js';
import { paramsCommand } from './params-command.js';
import { solveCommand } from './solve-command.js';
import { aggregateCommand, runCommand } from './job-commands.js';
import { plotCommand, reproduceCommand } from './plot-commands.js';
import { doctorCommand } from './doctor-command.js';
import { verifyCommand } from './verify-command.js';
import { exportCommand } from './export-command.js';
import { queryCommand } from './query-command.js';
import { completionCommand } from './completion-command.js';

/** A usage error found by yargs (unknown option, missing command, ...). */
class UsageError extends Error {
  override name = 'UsageError';
}

/** Prints every line of `message` prefixed with `dtmc: ` on stderr. */
const printError = (message: string): void => {
  process.stderr.write(`${message.split('\n').map((l) => `dtmc: ${l}`).join('\n')}\n`);
};

/** EPIPE on a standard stream (its reader has gone): later writes to it are dropped, the command goes on. */
const keepGoingWithoutReader = (stream: NodeJS.WriteStream): void => {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
};
keepGoingWithoutReader(process.stdout);
keepGoingWithoutReader(process.stderr);

/** Runs the CLI on `args` (without node and the script) and returns the exit code. */
export async function main(args: string[]): Promise<number> {
  process.exitCode = EXIT.ok;
  const cli = yargs(args)
    .scriptName('dtmc')
    .usage('$0 <command> [options]')
    .command(solveCommand)
    .command(paramsCommand)
    .command(runCommand)
    .command(aggregateCommand)
    .command(verifyCommand)
    .command(plotCommand)
    .command(reproduceCommand)
    .command(exportCommand)
    .command(queryCommand)
    .command(doctorCommand)
    .command(completionCommand)
    .demandCommand(1, 'a command is required: solve, params, run, aggregate, verify, plot, reproduce, export, query, doctor or completion')
    .strict()
    .help()
    .alias('h', 'help')
    .version('version', 'Show the version number', packageVersion())
    .alias('V', 'version')
    .example('$0 solve --seed 1 --json', 'solve one realisation, print JSON')
    .example('$0 params --markdown', 'the parameter table in Markdown')
    .example('$0 run jobs/fig2.json', 'a batch job: the letter\'s Fig. 2 sweep')
    .epilog(exitCodesByCommand())
    .fail((msg: string | null, err: Error | undefined) => {
      // Validation messages come without an error; errors from handlers come as they were thrown.
      throw err ?? new UsageError(msg ?? 'invalid usage');
    });
  cli.wrap(Math.min(100, cli.terminalWidth()));
  try {
    await cli.parseAsync();
    return Number(process.exitCode ?? EXIT.ok);
  } catch (thrown) {
    const e = isFsError(thrown) ? fsFailure(thrown) : thrown;
    if (e instanceof DtmcError) {
      printError(e.message);
      return EXIT.badInput;
    }
    if (e instanceof UsageError || (e instanceof Error && e.name === 'YError')) {
      printError(e.message);
      process.stderr.write("Run 'dtmc --help' or 'dtmc <command> --help' for usage.\n");
      return EXIT.badInput;
    }
    process.stderr.write(`dtmc: unexpected error (a bug; please report it with the command line)\n${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    return EXIT.unexpected;
  }
}

process.exitCode = await main(hideBin(process.argv));
