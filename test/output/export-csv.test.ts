/**
 * `dtmc export --format csv` parsed back equal to the chunk files (NaN as empty fields and null
 * list items, Infinity as a word, lists as JSON arrays), and its fields quoted where they must be.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHUNK_COLUMNS } from '../../output/chunk-columns.js';
import { csvField } from '../../output/export-csv.js';
import { dtmc, readRows, tempDir, writeJob } from '../helpers/job-runs.js';

const JOB = { name: 'csv', seed: 3, realisations: 5, base: { M: 5 }, sweep: { rMinMbps: [1, 17] }, chunkSize: 2, workers: 2, backend: 'float64' };

/** The fields of CSV text (quoted fields may hold commas, quotes doubled). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') field += text[++i];
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') (row.push(field), (field = ''));
    else if (ch === '\n') (row.push(field), rows.push(row), (row = []), (field = ''));
    else field += ch;
  }
  return rows;
}

/** A CSV field read back as the export's rules say. */
function readField(name: string, text: string): unknown {
  const number = (s: string | null): number => (s === '' || s === null ? Number.NaN : Number(s));
  if (text.startsWith('[')) return (JSON.parse(text.replace(/-?Infinity/g, '"$&"')) as (string | number | null)[]).map((x) => number(x === null ? null : String(x)));
  if (name === 'seed') return BigInt(text);
  if (text === 'true' || text === 'false') return text === 'true';
  const kind = String(CHUNK_COLUMNS.find((c) => c.name === name)!.type(1));
  return kind === 'Utf8' ? text : number(text);
}

test('the CSV export parses back equal to the chunk files, row by row', () => {
  const dir = tempDir('export-csv');
  const out = join(dir, 'out');
  assert.is(dtmc(['run', writeJob(dir, JOB), '--out', out, '--no-summary', '--progress', 'none']).status, 0);
  const r = dtmc(['export', out, '--format', 'csv']);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /written: .*rows\.csv \(10 rows\)/);
  const [header, ...lines] = parseCsv(readFileSync(join(out, 'rows.csv'), 'utf8'));
  assert.equal(header, CHUNK_COLUMNS.map((c) => c.name));
  const chunks = readRows(out);
  assert.is(lines.length, chunks.length);
  assert.ok(chunks.some((x) => Number.isNaN(x.objective_ms)), 'the fixture has NaN objectives (infeasible rows)');
  lines.forEach((line, i) => {
    const row = Object.fromEntries(header.map((name, k) => [name, readField(name, line[k])]));
    assert.equal(row, chunks[i], `row ${i}`);
  });
});

test('fields: NaN empty, infinities as words, lists as quoted JSON arrays with null for NaN, text quoted when it must be', () => {
  assert.is(csvField(Number.NaN), '');
  assert.is(csvField(Number.POSITIVE_INFINITY), 'Infinity');
  assert.is(csvField(-0.1), '-0.1');
  assert.is(csvField(0.1 + 0.2), '0.30000000000000004');
  assert.is(csvField([0.5, Number.NaN, Number.POSITIVE_INFINITY]), '"[0.5,null,Infinity]"');
  assert.is(csvField([]), '"[]"');
  assert.is(csvField(true), 'true');
  assert.is(csvField('a,b'), '"a,b"');
  assert.is(csvField('say "hi"'), '"say ""hi"""');
  assert.is(csvField('plain'), 'plain');
});

test.run();
