/**
 * `dtmc completion`: the bash script, sourced in a real bash with dtmc on the PATH, completes
 * commands and options; the zsh script is chosen by --shell or $SHELL.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dtmc, ROOT, tempDir } from '../helpers/job-runs.js';

/** A folder with a `dtmc` that runs the compiled CLI, for the script's `dtmc --get-yargs-completions`. */
function binDir(): string {
  const dir = tempDir('completion');
  const bin = join(dir, 'dtmc');
  writeFileSync(bin, `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, 'dist', 'cli', 'main.js')}" "$@"\n`);
  chmodSync(bin, 0o755);
  return dir;
}

/** What bash completes for the words typed so far (the last one being completed). */
function complete(words: string[]): string[] {
  const dir = binDir();
  const script = dtmc(['completion', '--shell', 'bash']).stdout;
  writeFileSync(join(dir, 'completion.bash'), script);
  const typed = words.map((w) => `'${w}'`).join(' ');
  const bash = spawnSync('bash', ['--norc', '-c', `source '${join(dir, 'completion.bash')}'; COMP_WORDS=(${typed}); COMP_CWORD=${words.length - 1}; _dtmc_yargs_completions; printf '%s\\n' "\${COMPREPLY[@]}"`], {
    encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
  });
  assert.is(bash.status, 0, bash.stderr);
  return bash.stdout.split('\n').filter(Boolean);
}

test('the bash script completes a command from its first letters', () => {
  assert.equal(complete(['dtmc', 'ag']), ['aggregate']);
  assert.equal(complete(['dtmc', 're']).sort(), ['reproduce']);
});

test('the bash script completes run\'s options', () => {
  assert.equal(complete(['dtmc', 'run', '--sh']).sort(), ['--shard', '--shard-base', '--shards']);
});

test('--shell zsh, or $SHELL of zsh, prints the zsh script; bash otherwise', () => {
  assert.match(dtmc(['completion', '--shell', 'zsh']).stdout, /^#compdef dtmc\n/);
  assert.match(dtmc(['completion'], { SHELL: '/usr/bin/zsh' }).stdout, /^#compdef dtmc\n/);
  const bash = dtmc(['completion'], { SHELL: '/bin/bash' });
  assert.is(bash.status, 0, bash.stderr);
  assert.match(bash.stdout, /^###-begin-dtmc-completions-###\n/);
  assert.match(bash.stdout, /complete -o bashdefault -o default -F _dtmc_yargs_completions dtmc/);
  assert.match(dtmc(['completion', '--shell', 'fish']).stderr, /Invalid values:[\s\S]*shell/);
});

test.run();
