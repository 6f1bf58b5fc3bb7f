/**
 * docs/chunk-columns.md against the declaration it shows: its table is exactly
 * `formatChunkColumnsMarkdown()` (output/chunk-columns.ts), every row, and nothing more.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHUNK_COLUMNS, formatChunkColumnsMarkdown } from '../../output/chunk-columns.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

test('the table of docs/chunk-columns.md is formatChunkColumnsMarkdown()', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'chunk-columns.md'), 'utf8').split('\n');
  const generated = formatChunkColumnsMarkdown();
  const start = doc.indexOf(generated[0]);
  assert.ok(start >= 0, 'no columns table in docs/chunk-columns.md (its header row differs)');
  const table = doc.slice(start, start + generated.length);
  generated.forEach((line, i) => assert.is(table[i], line, `docs/chunk-columns.md table row ${i}`));
  assert.ok(!(doc[start + generated.length] ?? '').startsWith('|'), 'the docs table has rows that formatChunkColumnsMarkdown() does not');
  assert.is(doc.filter((l) => l.startsWith('| `')).length, CHUNK_COLUMNS.length, 'one row per declared column');
});

test.run();
