/**
 * `dtmc verify DIR`: the chunk files of a job folder checked without writing anything
 * (output/verify-folder.ts); one line per chunk that is not ok (every chunk with --all) and the
 * count of each verdict.
 */
import type { Argv, CommandModule } from 'yargs';
import { JOB_FORMAT } from '../jobs/job-file.js';
import { openJobFolder } from '../output/job-folder.js';
import { verifyFolder, VERDICTS } from '../output/verify-folder.js';
import { EXIT, exitCodesHelp } from './exit-codes.js';

interface VerifyArgs {
  dir: string;
  all: boolean;
  json: boolean;
}

export const verifyCommand: CommandModule<object, VerifyArgs> = {
  command: 'verify <dir>',
  describe: 'Check a job\'s output folder without writing: every chunk\'s checksum, layout and values, and what is missing',
  builder: (y: Argv<object>): Argv<VerifyArgs> =>
    y
      .positional('dir', { type: 'string', demandOption: true, describe: 'output folder of dtmc run' })
      .option('all', { type: 'boolean', default: false, describe: 'list every chunk, the ok ones too' })
      .option('json', { type: 'boolean', default: false, describe: 'print the verdicts as JSON' })
      .example('$0 verify results/fig2', 'is every chunk there and intact?')
      .example('$0 verify /archive/fig2 --json', 'the verdict of each chunk, for a script')
      .epilog(exitCodesHelp('verify')),
  handler: (args) => {
    const v = verifyFolder(openJobFolder(args.dir, JOB_FORMAT));
    if (args.json) process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
    else {
      const lines = v.chunks.filter((c) => args.all || c.verdict !== 'ok').map((c) => `${c.chunk}  ${c.verdict}${c.problem ? `: ${c.path} ${c.problem}` : ''}`);
      const counts = VERDICTS.map((k) => `${v.counts[k]} ${k}`).join(', ');
      process.stdout.write(`${lines.map((l) => `${l}\n`).join('')}${v.job}: ${v.chunks.length} chunk(s): ${counts}\n`);
    }
    process.exitCode = v.counts.corrupt ? EXIT.corrupt : v.counts.missing + v.counts.failed ? EXIT.incomplete : EXIT.ok;
  },
};
