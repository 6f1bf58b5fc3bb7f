/**
 * The arrows between the top-level folders run one way: every import of every .ts file (static,
 * type-only, re-exports and dynamic `import()`, as TypeScript's own pre-processor lists them)
 * is checked against the allowed graph
 *
 *   engine  -> (nothing above it)
 *   kernels -> engine
 *   output  -> engine
 *   jobs    -> engine, kernels, output
 *   cli, bench, test -> anything
 *
 * so that, e.g., output/ reads a job folder without loading jobs/ (output/job-folder.ts).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** The folders each folder may import from (besides itself); absent: anything. */
const ALLOWED: Record<string, readonly string[] | undefined> = {
  engine: [],
  kernels: ['engine'],
  output: ['engine'],
  jobs: ['engine', 'kernels', 'output'],
  cli: undefined,
  bench: undefined,
  test: undefined,
};

/** Every .ts file under `folder` (relative to ROOT). */
function tsFiles(folder: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, folder))) {
    const path = join(folder, name);
    if (statSync(join(ROOT, path)).isDirectory()) out.push(...tsFiles(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** The imports of `file` (relative to ROOT, source text `text`) that the graph does not allow. */
function violations(file: string, text: string): string[] {
  const from = file.split(sep)[0];
  const allowed = ALLOWED[from];
  if (allowed === undefined) return [];
  const bad: string[] = [];
  for (const { fileName } of ts.preProcessFile(text, true, true).importedFiles) {
    if (!fileName.startsWith('.')) continue; // a package or node: builtin
    const target = relative(ROOT, resolve(ROOT, dirname(file), fileName));
    const to = target.split(sep)[0];
    if (to !== from && !allowed.includes(to)) bad.push(`${file}: imports ${fileName} (${to}/; ${from}/ may import ${allowed.length ? allowed.join(', ') : 'nothing above it'})`);
  }
  return bad;
}

test('the checker sees static, type-only, re-exported and dynamic imports, nested files too', () => {
  const text = [
    "import { a } from '../jobs/a.js';",
    "import type { B } from '../cli/b.js';",
    "export { c } from '../kernels/c.js';",
    "const d = await import('../jobs/d.js');",
    "// import { e } from '../jobs/e.js';",
    "import { f } from './f.js';",
    "import { g } from '../engine/g.js';",
    "import { z } from 'zod';",
  ].join('\n');
  const targets = (found: string[]): string[] => found.map((v) => v.split(': imports ')[1].split(' ')[0]);
  assert.equal(targets(violations(join('output', 'x.ts'), text)), ['../jobs/a.js', '../cli/b.js', '../kernels/c.js', '../jobs/d.js']);
  assert.equal(violations(join('jobs', 'x.ts'), text), [`${join('jobs', 'x.ts')}: imports ../cli/b.js (cli/; jobs/ may import engine, kernels, output)`]);
  assert.equal(targets(violations(join('kernels', 'webgpu', 'x.ts'), "import { y } from '../../output/y.js';\nimport { w } from '../../engine/w.js';")), ['../../output/y.js']);
  assert.equal(violations(join('cli', 'x.ts'), text), [], 'cli may import anything');
});

test('no import crosses the folders against the allowed graph', () => {
  const files = Object.keys(ALLOWED).flatMap(tsFiles);
  assert.ok(files.filter((f) => f.startsWith(`output${sep}`)).length >= 10, `output/ has its files (${files.length} files in all)`);
  const bad = files.flatMap((f) => violations(f, readFileSync(join(ROOT, f), 'utf8')));
  assert.equal(bad, [], `imports against the graph:\n${bad.join('\n')}`);
});

test.run();
