/**
 * Corrupt chunk files through the CLI: aggregate names one and refuses (or leaves it out with
 * --partial), run redoes it, verify reports it without writing, and aggregate --json summarises
 * a folder without writing to it. Each command runs with a time limit (a hang fails the test).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Field, RecordBatch, Schema, Struct, Table, makeData, type Data } from 'apache-arrow';
import { ROOT, readRows, tempDir, writeJob, type CliRun } from '../helpers/job-runs.js';
import { parseChunkBytes } from '../../output/chunk-file.js';
import { CONTEXT_COLUMN_NAMES } from '../../output/chunk-columns.js';
import { writeChunkFile } from '../../output/chunk-checksum.js';

const JOB = { name: 'integrity', seed: 8, realisations: 6, base: { M: 3 }, sweep: { sMaxKbit: [0, 30] }, chunkSize: 3, workers: 1, backend: 'float64' };
const CHUNK = 'p00000-c000001';
let dir = '';
let jobPath = '';
let good = '';

/** dtmc with a 60 s limit: status null means it hung. */
function dtmc(args: string[]): CliRun {
  const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli', 'main.js'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every file under `folder` with its size and modification time. */
const snapshot = (folder: string): string[] =>
  readdirSync(folder, { recursive: true, encoding: 'utf8' }).sort().map((f) => {
    const s = statSync(join(folder, f));
    return `${f} ${s.size} ${s.mtimeMs}`;
  });

/** A copy of the good folder with bit 0 of byte 8 of chunk CHUNK flipped (the flip that hung aggregate). */
function flippedCopy(label: string): { out: string; path: string } {
  const out = join(dir, label);
  cpSync(good, out, { recursive: true });
  const path = join(out, 'chunks', `${CHUNK}.arrow`);
  const bytes = readFileSync(path);
  bytes[8] ^= 1;
  writeFileSync(path, bytes);
  return { out, path };
}

test.before(() => {
  dir = tempDir('integrity');
  jobPath = writeJob(dir, JOB);
  good = join(dir, 'good');
  const r = dtmc(['run', jobPath, '--out', good, '--no-summary']);
  assert.is(r.status, 0, r.stderr);
});

test('aggregate refuses a flipped chunk naming its file (exit 2), leaves it out with --partial, and run redoes it', () => {
  const { out, path } = flippedCopy('flipped');
  const refused = dtmc(['aggregate', out]);
  assert.is(refused.status, 2, refused.stderr);
  assert.match(refused.stderr, `dtmc: corrupt chunk file: ${path} does not match its checksum`);
  const partial = dtmc(['aggregate', out, '--partial', '--json']);
  assert.is(partial.status, 0, partial.stderr);
  const json = JSON.parse(partial.stdout) as { corrupt: { chunk: string }[]; points: { complete: boolean; rows: number }[] };
  assert.equal(json.corrupt.map((c) => c.chunk), [CHUNK]);
  assert.equal(json.points.map((p) => [p.complete, p.rows]), [[false, 3], [true, 6]]);
  assert.match(partial.stderr, /corrupt chunk file left out \(its point is incomplete\)/);
  const redone = dtmc(['run', jobPath, '--out', out, '--no-summary']);
  assert.is(redone.status, 0, redone.stderr);
  assert.match(redone.stderr, new RegExp(`redoing chunk ${CHUNK}: its file does not match its checksum`));
  assert.match(redone.stderr, /3 already complete, 1 to run/);
  assert.equal(readRows(out), readRows(good));
  assert.is(dtmc(['aggregate', out]).status, 0);
});

test('run redoes a chunk file that has no checksum file (an older dtmc, or a lost one)', () => {
  const out = join(dir, 'unsealed');
  cpSync(good, out, { recursive: true });
  unlinkSync(join(out, 'chunks', `${CHUNK}.arrow.sha256`));
  const r = dtmc(['run', jobPath, '--out', out, '--no-summary']);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`redoing chunk ${CHUNK}: its file has no checksum file`));
  assert.equal(readRows(out), readRows(good));
});

test('a chunk file of the older layout (only the swept parameters as columns, no dtmc.chunk_layout) is reported by its layout and redone by run', async () => {
  const out = join(dir, 'layout-1');
  cpSync(good, out, { recursive: true });
  const path = join(out, 'chunks', `${CHUNK}.arrow`);
  // Layout 1 as an older dtmc wrote it: point, the swept sMaxKbit, then the results; the rest in the metadata.
  const table = parseChunkBytes(readFileSync(path));
  const results = table.schema.fields.filter((f) => !CONTEXT_COLUMN_NAMES.includes(f.name));
  const data = (f: Field): Data => table.getChild(f.name)!.data[0];
  const swept = new Field('sMaxKbit', table.getChild('s_max_kbit')!.type, false);
  const fields = [results[0], swept, ...results.slice(1)];
  const metadata = new Map([...table.schema.metadata].filter(([k]) => k !== 'dtmc.chunk_layout'));
  const schema = new Schema(fields, metadata);
  const children = [data(results[0]), table.getChild('s_max_kbit')!.data[0], ...results.slice(1).map(data)];
  await writeChunkFile(path, new Table(schema, [new RecordBatch(schema, makeData({ type: new Struct(fields), length: table.numRows, children }))]));
  const v = dtmc(['verify', out]);
  assert.is(v.status, 5, v.stderr);
  assert.match(v.stdout, `${CHUNK}  corrupt: ${path} is of chunk layout 1, not 2 (written by an older dtmc: every parameter is a column now; dtmc run redoes it)`);
  const r = dtmc(['run', jobPath, '--out', out, '--no-summary']);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`redoing chunk ${CHUNK}: its file is of chunk layout 1, not 2`));
  assert.equal(readRows(out), readRows(good));
});

test('verify: 0 on a good folder, 5 naming a corrupt chunk, 4 for a missing one, and it writes nothing', () => {
  const before = snapshot(good);
  const ok = dtmc(['verify', good]);
  assert.is(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /^integrity: 4 chunk\(s\): 4 ok, 0 missing, 0 failed, 0 corrupt\n$/);
  assert.equal(snapshot(good), before, 'verify wrote nothing');
  const { out, path } = flippedCopy('verify-flipped');
  const bad = dtmc(['verify', out]);
  assert.is(bad.status, 5, bad.stderr);
  assert.match(bad.stdout, `${CHUNK}  corrupt: ${path} does not match its checksum`);
  assert.match(bad.stdout, /4 chunk\(s\): 3 ok, 0 missing, 0 failed, 1 corrupt/);
  unlinkSync(path);
  const missing = dtmc(['verify', out, '--json']);
  assert.is(missing.status, 4, missing.stderr);
  const v = JSON.parse(missing.stdout) as { chunks: { chunk: string; verdict: string }[] };
  assert.equal(v.chunks.map((c) => c.verdict), ['ok', 'missing', 'ok', 'ok']);
  assert.is(dtmc(['verify', tempDir('not-a-job')]).status, 2);
});

test('aggregate --json summarises a folder without writing to it (read-only where permissions bind)', () => {
  const out = join(dir, 'archive');
  cpSync(good, out, { recursive: true });
  const before = snapshot(out);
  const asRoot = process.getuid?.() === 0;
  if (asRoot) console.log('  running as root: chmod does not stop writes, so the test checks that no file changes');
  else for (const d of [out, join(out, 'chunks')]) chmodSync(d, 0o555);
  try {
    const r = dtmc(['aggregate', out, '--json']);
    assert.is(r.status, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { points: unknown[] }).points.length, 2);
    const table = dtmc(['aggregate', out, '--no-write']);
    assert.is(table.status, 0, table.stderr);
    assert.match(table.stdout, /point\s+sMaxKbit\s+rows/);
    assert.not.match(table.stdout, /written:/);
  } finally {
    if (!asRoot) for (const d of [out, join(out, 'chunks')]) chmodSync(d, 0o755);
  }
  assert.equal(snapshot(out), before, 'no file written or changed');
});

test.run();
