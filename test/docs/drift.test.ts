/**
 * The README and docs/ against the code they describe: the parameters table is exactly
 * `dtmc params --markdown`, and every repository path they name exists.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parameterTable } from '../../engine/settings.js';
import { formatParameterMarkdown } from '../../cli/format-report.js';

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

test('every repository path named in the README and docs/ exists', () => {
  const missing: string[] = [];
  const pattern = new RegExp(`(?<![\\w./-])((?:${TOP.join('|')})/[\\w./-]*[\\w-])`, 'g');
  for (const doc of DOCS) {
    const text = readFileSync(join(ROOT, doc), 'utf8');
    const base = doc.includes('/') ? doc.slice(0, doc.lastIndexOf('/')) : '';
    for (const m of text.matchAll(pattern)) {
      const path = m[1];
      if (/[*<>]/.test(path) || path.includes('...')) continue; // patterns and placeholders
      const found = existsSync(join(ROOT, path)) || (base !== '' && existsSync(join(ROOT, base, path)));
      if (!found) missing.push(`${doc}: ${path}`);
    }
  }
  assert.equal([...new Set(missing)], [], `paths that do not exist:\n${[...new Set(missing)].join('\n')}`);
});

test.run();
