/**
 * The README and docs/ against the code they describe: the parameters table is exactly
 * `dtmc params --markdown`, the engines table names the engines of kernels/engines.ts, and every
 * repository path they name exists.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parameterTable } from '../../engine/settings.js';
import { formatParameterMarkdown } from '../../cli/format-report.js';
import { ENGINE_CHOICES } from '../../kernels/engines.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const DOCS = ['README.md', 'jobs/README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** Top-level folders whose paths the documents name. */
const TOP = ['engine', 'kernels', 'jobs', 'output', 'cli', 'test', 'bench', 'docs', 'scripts'];

test("the README's parameters table is `dtmc params --markdown`", () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n');
  const generated = formatParameterMarkdown(parameterTable());
  const start = readme.indexOf(generated[0]);
  assert.ok(start >= 0, 'no parameters table in the README');
  const table = readme.slice(start, start + generated.length);
  generated.forEach((line, i) => assert.is(table[i], line, `README parameters table row ${i}`));
  assert.ok(!(readme[start + generated.length] ?? '').startsWith('|'), 'the README table has rows that params --markdown does not');
});

/**
 * Whether `path`, named in a document in folder `base` (paths are from the repository root or
 * from that folder), exists. A path that runs on past a file name, such as
 * `jobs/fig3.json.sweep.fEsMaxGHz` (a field of that file, as error messages name it), counts when
 * a prefix of it ending in a file extension is a file.
 */
function exists(path: string, base: string): boolean {
  const roots = base === '' ? [ROOT] : [ROOT, join(ROOT, base)];
  const found = (p: string, file: boolean): boolean =>
    roots.some((r) => existsSync(join(r, p)) && (!file || statSync(join(r, p)).isFile()));
  if (found(path, false)) return true;
  const dir = path.slice(0, path.lastIndexOf('/') + 1);
  const name = path.slice(dir.length);
  return [...name.matchAll(/\.[A-Za-z0-9]+(?=\.)/g)].some((m) => found(dir + name.slice(0, m.index + m[0].length), true));
}

test("the README's engines table names every engine of kernels/engines.ts, and no other", () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n');
  const head = readme.findIndex((l) => l.startsWith('| `--backend` |'));
  assert.ok(head >= 0, 'no engines table (a row starting "| `--backend` |") in the README');
  const rows: string[] = [];
  for (let i = head + 2; (readme[i] ?? '').startsWith('|'); i++) rows.push(/^\| `([^`]+)`/.exec(readme[i])?.[1] ?? readme[i]);
  assert.equal([...rows].sort(), [...ENGINE_CHOICES].sort());
});

test('every repository path named in the README and docs/ exists', () => {
  const missing: string[] = [];
  const pattern = new RegExp(`(?<![\\w./-])((?:${TOP.join('|')})/[\\w./-]*[\\w-])`, 'g');
  for (const doc of DOCS) {
    const text = readFileSync(join(ROOT, doc), 'utf8');
    const base = doc.includes('/') ? doc.slice(0, doc.lastIndexOf('/')) : '';
    for (const m of text.matchAll(pattern)) {
      const path = m[1];
      // Patterns and placeholders, which the match stops short of: globs (`engine/ao/joint-*.ts`),
      // placeholders (`docs/<name>.md`), brace lists (`docs/fig2.{svg,png}`), regular expressions
      // (`kernels/fused-ao\.test\.js$`); and elisions (`bench/.../x`).
      if (/^[*<{\\]/.test(text.slice(m.index + m[0].length)) || path.includes('...')) continue;
      if (!exists(path, base)) missing.push(`${doc}: ${path}`);
    }
  }
  assert.equal([...new Set(missing)], [], `paths that do not exist:\n${[...new Set(missing)].join('\n')}`);
});

test.run();
