/**
 * cli/exit-codes.ts: every command's --help lists exactly the codes declared for it, the declared
 * codes are the ones its source can set, the top-level help lists every command's, and -V prints
 * the version.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMANDS, EXIT, exitCodesOf, type CommandName } from '../../cli/exit-codes.js';
import { dtmc, ROOT } from '../helpers/job-runs.js';

/** The codes of the "Exit codes:" paragraph of a help text (the lines "  0  ...", "  130, 143  ..."). */
function listedCodes(help: string, heading: RegExp): number[] {
  const at = help.search(heading);
  assert.ok(at >= 0, `no ${heading} in:\n${help}`);
  const codes: number[] = [];
  for (const line of help.slice(at).split('\n').slice(1)) {
    if (line.trim() === '') break;
    const m = /^ {2}(\d+(?:, \d+)*) {2}\S/.exec(line);
    if (m) codes.push(...m[1].split(', ').map(Number));
  }
  return codes.sort((a, b) => a - b);
}

for (const command of COMMANDS) {
  test(`dtmc ${command} --help lists exactly the exit codes declared for ${command}`, () => {
    const r = dtmc([command, '--help']);
    assert.is(r.status, 0, r.stderr);
    assert.equal(listedCodes(r.stdout, /^Exit codes:$/m), exitCodesOf(command));
  });
}

test('the top-level help lists each command with its own codes; 1 and 2 are said once for all', () => {
  const r = dtmc(['--help']);
  assert.is(r.status, 0, r.stderr);
  const section = r.stdout.slice(r.stdout.indexOf('Exit codes by command'));
  assert.match(section, /every command exits 1\non an unexpected error \(a bug\) and 2 on bad input/);
  for (const command of COMMANDS) {
    const line = new RegExp(`^ {2}${command} +(.*)$`, 'm').exec(section);
    assert.ok(line, `${command} in the top-level list`);
    const listed = [...line[1].matchAll(/(?:^|; )(\d+(?:, \d+)*) /g)].flatMap((m) => m[1].split(', ').map(Number));
    assert.equal([...new Set([...listed, EXIT.unexpected, EXIT.badInput])].sort((a, b) => a - b), exitCodesOf(command), command);
  }
});

/**
 * The codes a command module's source can set: each EXIT.<name> it names, and the helpers that set
 * codes (exitCodeForStatus: 0 or 3; reportStop: 2, 4, 130, 143); with 0, 1, 2, which main.ts gives
 * every command (success, a bug, bad input).
 */
function codesInSource(file: string): number[] {
  const text = readFileSync(join(ROOT, 'cli', file), 'utf8');
  const codes = new Set<number>([EXIT.ok, EXIT.unexpected, EXIT.badInput]);
  for (const m of text.matchAll(/\bEXIT\.(\w+)/g)) codes.add(EXIT[m[1] as keyof typeof EXIT]);
  if (/\bexitCodeForStatus\(/.test(text)) [EXIT.ok, EXIT.unsolved].forEach((c) => codes.add(c));
  if (/\breportStop\(/.test(text)) [EXIT.badInput, EXIT.incomplete, EXIT.interrupted, EXIT.terminated].forEach((c) => codes.add(c));
  assert.not.ok(codes.has(undefined as unknown as number), `${file} names an EXIT code that does not exist`);
  return [...codes].sort((a, b) => a - b);
}

/** The command modules and the commands each defines. */
const SOURCES: Record<string, CommandName[]> = {
  'solve-command.ts': ['solve'], 'params-command.ts': ['params'], 'job-commands.ts': ['run', 'aggregate'], 'verify-command.ts': ['verify'],
  'plot-commands.ts': ['plot', 'reproduce'], 'export-command.ts': ['export'], 'query-command.ts': ['query'], 'doctor-command.ts': ['doctor'],
  'completion-command.ts': ['completion'],
};

test('the codes declared for the commands of each module are the codes its source can set', () => {
  assert.equal(Object.values(SOURCES).flat().sort(), [...COMMANDS].sort(), 'every command has its module');
  for (const [file, commands] of Object.entries(SOURCES)) {
    const declared = [...new Set(commands.flatMap(exitCodesOf))].sort((a, b) => a - b);
    assert.equal(declared, codesInSource(file), file);
  }
});

test('the README\'s exit-code table has a row per command with exactly its codes (1 and 2 said above it for all)', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('| command | exit codes |'));
  for (const command of COMMANDS) {
    const row = new RegExp(`^\\| \`${command}\` \\| (.*) \\|$`, 'm').exec(table);
    assert.ok(row, `a row for ${command}`);
    const listed = row[1].split('; ').flatMap((part) => /^(\d+(?:, \d+)*) /.exec(part)?.[1].split(', ').map(Number) ?? []);
    assert.equal([...new Set([...listed, EXIT.unexpected, EXIT.badInput])].sort((a, b) => a - b), exitCodesOf(command), command);
  }
});

test('-V and --version print the version of package.json', () => {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  for (const flag of ['-V', '--version']) {
    const r = dtmc([flag]);
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stdout, `${version}\n`, flag);
  }
});

test.run();
