/**
 * `dtmc completion`: prints the shell completion script (bash or zsh) that yargs generates. The
 * script asks `dtmc --get-yargs-completions <words>` for the candidates, which yargs answers from
 * the commands and options of main.ts, so `dtmc` must be on the PATH (npm link, or the bundle's
 * bin/). A command of our own rather than yargs' .completion(): that one prints the script even for
 * `dtmc completion --help`, and has no --shell nor epilog.
 */
import yargs, { type Argv, type CommandModule } from 'yargs';
import { exitCodesHelp } from './exit-codes.js';

export const SHELLS = ['bash', 'zsh'] as const;
type Shell = (typeof SHELLS)[number];

interface CompletionArgs {
  shell?: string;
}

/** The shell to write for: zsh when $SHELL or $ZSH_NAME says zsh, else bash. */
const shellOf = (env: NodeJS.ProcessEnv): Shell => (/zsh/.test(env.SHELL ?? '') || /zsh/.test(env.ZSH_NAME ?? '') ? 'zsh' : 'bash');

/** The completion script for `shell`. yargs picks the template from $SHELL when an instance is made, so $SHELL is set for that moment. */
export function completionScript(shell: Shell): string {
  const saved = { SHELL: process.env.SHELL, ZSH_NAME: process.env.ZSH_NAME };
  let script = '';
  try {
    process.env.SHELL = `/bin/${shell}`;
    delete process.env.ZSH_NAME;
    // A parser of its own, whose output is captured by parse's callback instead of printed.
    yargs().scriptName('dtmc').completion('completion', false).parse(['completion'], {}, (_e: unknown, _a: unknown, output: string) => {
      script = output;
    });
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  return `${script}\n`;
}

export const completionCommand: CommandModule<object, CompletionArgs> = {
  command: 'completion',
  describe: 'Print a shell completion script for bash or zsh: dtmc completion >> ~/.bashrc',
  builder: (y: Argv<object>): Argv<CompletionArgs> =>
    y
      .option('shell', { type: 'string', choices: [...SHELLS], describe: 'the shell [default: zsh when $SHELL is zsh, else bash]' })
      .example('$0 completion >> ~/.bashrc', 'complete commands and options in bash (dtmc on the PATH)')
      .example('$0 completion --shell zsh >> ~/.zshrc', 'the same in zsh')
      .epilog(exitCodesHelp('completion')),
  handler: (args) => {
    process.stdout.write(completionScript((args.shell as Shell | undefined) ?? shellOf(process.env)));
  },
};
