/**
 * `dtmc params`: every parameter with its symbol, default, unit, range, source and doc, as an
 * aligned table or as Markdown (the README's table is this output).
 */
import type { Argv, CommandModule } from 'yargs';
import { parameterTable } from '../engine/settings.js';
import { formatParameterMarkdown, formatParameterTable } from './format-report.js';
import { exitCodesHelp } from './exit-codes.js';

interface ParamsArgs {
  markdown: boolean;
}

export const paramsCommand: CommandModule<object, ParamsArgs> = {
  command: 'params',
  describe: 'List every parameter: name, symbol, default, unit, range, source, doc',
  builder: (y: Argv<object>): Argv<ParamsArgs> =>
    y
      .option('markdown', { type: 'boolean', default: false, describe: 'print a Markdown table' })
      .example('$0 params', 'the parameter table as plain text')
      .example('$0 params --markdown > params.md', 'the table for the README')
      .epilog(`Any parameter can be overridden by name: dtmc solve --set NAME=VALUE.\n\n${exitCodesHelp('params')}`),
  handler: (args) => {
    const rows = parameterTable();
    const lines = args.markdown ? formatParameterMarkdown(rows) : formatParameterTable(rows);
    process.stdout.write(`${lines.join('\n')}\n`);
  },
};
