/**
 * What a job file may ask for: a name that is one folder, bounded work and sizes, JSON whose keys
 * mean what the file shows (no duplicates, no __proto__), a byte order mark accepted.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DtmcError } from '../../engine/errors.js';
import { JOB_LIMITS, loadJob, parseJob } from '../../jobs/job-file.js';
import { findKeyProblem } from '../../jobs/json-keys.js';
import { prepareRealisation } from '../../cli/solve-command.js';
import { tempDir } from '../helpers/job-runs.js';

const good = { name: 'demo', seed: 3, realisations: 25, chunkSize: 10 };
let dir = '';
test.before(() => {
  dir = tempDir('limits');
});

const refused = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    if (e instanceof DtmcError) return e.message;
    throw e;
  }
  throw new Error('expected a DtmcError');
};

const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

test('a job name is one safe folder name: ".", "..", separators, NUL and a leading "-" are refused', () => {
  for (const name of ['.', '..', 'a/b', 'a\\b', 'a\u0000b', '-rf', '.hidden', 'x'.repeat(101), '']) {
    assert.match(refused(() => parseJob({ ...good, name })), /job\.name must be 1-100 letters, digits, "\.", "_" or "-", starting with a letter, digit or "_"/, JSON.stringify(name));
  }
  for (const name of ['fig2', 'a.b', 'run_1-x', '_x', 'x'.repeat(100)]) assert.is(parseJob({ ...good, name }).name, name);
});

test('a job of more chunks than the planner takes is refused at once, naming the chunkSize that fits', () => {
  const start = performance.now();
  const message = refused(() => parseJob({ name: 'huge', seed: 1, realisations: 4294967295, chunkSize: 1 }));
  assert.ok(performance.now() - start < 1000, 'no chunk is materialised');
  assert.match(message, /job has 4294967295 chunks \(1 point\(s\) x 4294967295 of realisations 4294967295 \/ chunkSize 1\); at most 1000000: set job\.chunkSize to at least 4295/);
  assert.ok(parseJob({ ...good, realisations: JOB_LIMITS.chunks, chunkSize: 1 }), 'the limit itself is fine');
});

test('more sweep points than the limit are refused', () => {
  const values = Array.from({ length: 101 }, (_, i) => 10 + i);
  assert.match(refused(() => parseJob({ ...good, sweep: { sMaxKbit: values, fEsMaxGHz: values } })), /job\.sweep has 10201 points; at most 10000/);
});

test('a description over 64 KiB and a job file over 1 MiB are refused', () => {
  assert.match(refused(() => parseJob({ ...good, description: 'x'.repeat(JOB_LIMITS.descriptionBytes + 1) })), /job\.description must be at most 65536 bytes/);
  assert.ok(parseJob({ ...good, description: 'x'.repeat(JOB_LIMITS.descriptionBytes) }));
  const big = file('big.json', JSON.stringify({ ...good, plot: { title: 'x'.repeat(JOB_LIMITS.fileBytes) } }));
  assert.match(refused(() => loadJob(big)), /big\.json has \d+ bytes; at most 1048576/);
});

test('a key given twice in one object is refused, naming it (JSON.parse would keep the last silently)', () => {
  const top = file('twice.json', '{"name": "demo", "seed": 1, "realisations": 25, "seed": 2}');
  assert.match(refused(() => loadJob(top)), /twice\.json\.seed is given twice in one object/);
  const nested = file('nested.json', '{"name": "demo", "seed": 1, "realisations": 25, "sweep": {"delta": [{"deltaUe": 0, "deltaUe": 0.02}]}}');
  assert.match(refused(() => loadJob(nested)), /nested\.json\.sweep\.delta\[0\]\.deltaUe is given twice/);
  const escaped = file('escaped.json', '{"name": "demo", "seed": 1, "realisations": 25, "\\u0073eed": 2}');
  assert.match(refused(() => loadJob(escaped)), /escaped\.json\.seed is given twice/);
  assert.is(findKeyProblem('{"a": {"b": 1}, "c": {"b": 2}, "d": ["b", "b", {"b": 1}], "e": "}{\\"b"}', 'x'), null, 'equal keys in different objects and strings are fine');
});

test('a __proto__ key is refused wherever it is', () => {
  const path = file('proto.json', '{"name": "demo", "seed": 1, "realisations": 25, "base": {"__proto__": {"M": 3}}}');
  assert.match(refused(() => loadJob(path)), /proto\.json\.base\.__proto__: the key "__proto__" is not allowed/);
});

test('a job file with a UTF-8 byte order mark is read', () => {
  const path = file('bom.json', `\uFEFF${JSON.stringify(good)}`);
  assert.is(loadJob(path).name, 'demo');
});

test('a scenario file whose device count the settings refuse names the file', () => {
  const n = 100_000;
  const path = file('scenario.json', JSON.stringify({ gain: new Array(n).fill(1e-9), cycles: new Array(n).fill(1e8), bits: new Array(n).fill(1e5) }));
  assert.match(refused(() => prepareRealisation({ seed: 1, realisation: 0, point: null, set: [], scenario: path })),
    /scenario\.json: the scenario has 100000 devices \(entries in gain\), but M must be an integer in \[1, 1000\]/);
});

test.run();
