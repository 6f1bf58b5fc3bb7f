/**
 * Job files: a sweep described in JSON, validated up front (every error names its field and what
 * was expected), normalised, hashed, and expanded into sweep points and chunks.
 *
 *   {
 *     "name": "fig2", "seed": 1, "realisations": 10000,           // realisations per sweep point
 *     "base": { "sMaxKbit": 60 },                                  // parameter overrides (dtmc params)
 *     "sweep": { "sMaxKbit": [0, 20, 40, 60], "eMaxMj": [1.5, 2] }, // a grid: every combination
 *     // a key may also list objects of parameters that move together (the key is then a label):
 *     //   "delta": [{ "deltaUe": 0, "deltaEs": 0 }, { "deltaUe": 0.02, "deltaEs": 0.02 }]
 *     "chunkSize": 1000, "backend": "float64", "workers": "auto",
 *     "commonRandomNumbers": true,                                 // realisation r alike at every point
 *     "precision": { "halfWidthMs": 0.01 },                       // optional: stop a point once met
 *     "plot": { "x": "eMaxMj", "panels": ["latency"] }             // how dtmc plot draws it
 *   }
 *
 * `precision` asks for a 95% CI half-width of mean J over the solved rows of a point, absolute
 * (`halfWidthMs`) and/or relative to |mean J| (`relative`), and/or of the mean paired difference
 * to the AO (`vsAoHalfWidthMs`, a job that sweeps `method` with ao); `realisations` is then the
 * cap. A point stops at the first complete prefix of its chunks that meets every bound given
 * (output/precision.ts; points differing only in method stop together under a vs-AO bound). It
 * is part of the hash: it decides which chunks are results.
 *
 * Sweep points are numbered in grid order, the first sweep key varying slowest. Chunks are
 * numbered point by point; a chunk holds `chunkSize` consecutive realisations of one point (the
 * last one fewer).
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { fail, DtmcError } from '../engine/errors.js';
import { DEFAULT_SETTINGS, resolveSettings, type Settings } from '../engine/settings.js';
import { PLOT_PANELS } from '../output/plot-settings.js';
import type { JobFormat } from '../output/job-folder.js';
import { findKeyProblem } from './json-keys.js';
import { ENGINE_NAMES, methodRefusal, type EngineChoice } from '../kernels/engines.js';

/**
 * Engines a job can run on (the table of kernels/engines.ts), or `auto`, resolved once before the
 * pool starts (jobs/run-job.ts): webgpu on a hardware GPU adapter, else float64.
 */
export const JOB_BACKENDS = [...ENGINE_NAMES, 'auto'] as const satisfies readonly EngineChoice[];

/** Most worker threads a job (or `dtmc run --workers`) may ask for. */
export const MAX_WORKERS = 256;
const WORKERS_ERROR = `must be "auto" or an integer in [1, ${MAX_WORKERS}]`;

/**
 * Limits that keep a small job file from asking for unbounded work, checked before anything is
 * expanded: sweep points (each gets its settings validated up front), chunks (each is one file
 * and one object in the planner), the description (copied into every chunk's metadata) and the
 * job file itself.
 */
export const JOB_LIMITS = { points: 10_000, chunks: 1_000_000, descriptionBytes: 64 * 1024, fileBytes: 1024 * 1024 } as const;

const settingValue = z.union([z.number(), z.string()], { error: 'must be a number (or a string for cachingRule and method)' });
const sweepValue = z.union([z.number(), z.string(), z.record(z.string(), settingValue)], {
  error: 'must be a parameter value, or an object of parameter values that move together',
});

const jobSchema = z.strictObject({
  // One safe path segment (the default output folder results/<name>): no ".", "..", separators or leading "-".
  name: z.string({ error: 'must be a string' }).regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/, { error: 'must be 1-100 letters, digits, ".", "_" or "-", starting with a letter, digit or "_" (it names a folder)' }),
  description: z.string({ error: 'must be a string' }).refine((s) => Buffer.byteLength(s) <= JOB_LIMITS.descriptionBytes, { error: `must be at most ${JOB_LIMITS.descriptionBytes} bytes` }).optional(),
  seed: z.number({ error: 'must be an integer in [0, 2^53)' }).int({ error: 'must be an integer in [0, 2^53)' }).min(0, { error: 'must be an integer in [0, 2^53)' }).max(Number.MAX_SAFE_INTEGER, { error: 'must be an integer in [0, 2^53)' }),
  realisations: z.number({ error: 'must be an integer in [1, 2^32)' }).int({ error: 'must be an integer in [1, 2^32)' }).min(1, { error: 'must be an integer in [1, 2^32)' }).max(2 ** 32 - 1, { error: 'must be an integer in [1, 2^32)' }),
  commonRandomNumbers: z.boolean({ error: 'must be true or false' }).default(true),
  base: z.record(z.string(), settingValue, { error: 'must be an object of parameter overrides' }).default({}),
  sweep: z.record(z.string(), z.array(sweepValue, { error: 'must be a non-empty array of values' }).min(1, { error: 'must be a non-empty array of values' }), { error: 'must be an object mapping parameter names to arrays of values' }).default({}),
  chunkSize: z.number({ error: 'must be an integer in [1, 1000000]' }).int({ error: 'must be an integer in [1, 1000000]' }).min(1, { error: 'must be an integer in [1, 1000000]' }).max(1_000_000, { error: 'must be an integer in [1, 1000000]' }).default(1000),
  backend: z.enum(JOB_BACKENDS, { error: `must be one of ${JOB_BACKENDS.join(', ')}` }).default('float64'),
  workers: z.union([z.number().int().min(1).max(MAX_WORKERS), z.literal('auto')]).default('auto'),
  precision: z.strictObject({
    halfWidthMs: z.number({ error: 'must be a number > 0 (ms)' }).positive({ error: 'must be a number > 0 (ms)' }).optional(),
    relative: z.number({ error: 'must be a number in (0, 1)' }).positive({ error: 'must be a number in (0, 1)' }).lt(1, { error: 'must be a number in (0, 1)' }).optional(),
    vsAoHalfWidthMs: z.number({ error: 'must be a number > 0 (ms)' }).positive({ error: 'must be a number > 0 (ms)' }).optional(),
  }, { error: (iss) => (iss.code === 'unrecognized_keys' ? `unknown field(s) ${iss.keys.join(', ')}; known: halfWidthMs, relative, vsAoHalfWidthMs` : 'must be an object with halfWidthMs, relative and/or vsAoHalfWidthMs') }).optional(),
  plot: z.strictObject({
    title: z.string({ error: 'must be a string' }).optional(),
    x: z.string({ error: 'must be the name of a swept parameter' }).optional(),
    panels: z.array(z.enum(PLOT_PANELS, { error: `must be one of ${PLOT_PANELS.join(', ')}` })).min(1, { error: 'must list at least one panel' }).optional(),
  }, { error: 'must be an object with title, x and panels' }).default({}),
}, { error: (iss) => (iss.code === 'unrecognized_keys' ? `unknown field(s) ${iss.keys.join(', ')}; known: name, description, seed, realisations, commonRandomNumbers, base, sweep, chunkSize, backend, workers, precision, plot` : 'must be a JSON object') });

/** A validated job with every default filled in. */
export type Job = z.output<typeof jobSchema>;

export interface SweepPoint {
  index: number;
  /** The swept parameters' values at this point, in sweep order (groups flattened). */
  values: Record<string, number | string>;
  settings: Settings;
}

export interface Chunk {
  /** Global chunk index (point by point). */
  index: number;
  point: number;
  /** Chunk number within its point. */
  k: number;
  /** Realisations first .. first + count - 1. */
  first: number;
  count: number;
  /** File stem, e.g. "p00003-c000012". */
  id: string;
}

/** Validates a parsed job (`where` prefixes field names, e.g. the file name). */
export function parseJob(raw: unknown, where = 'job'): Job {
  const parsed = jobSchema.safeParse(raw);
  if (!parsed.success) {
    const message = (i: z.core.$ZodIssue): string => (i.path[0] === 'workers' ? WORKERS_ERROR : i.message);
    fail('invalid-argument', parsed.error.issues.map((i) => (i.path.length ? `${where}.${i.path.join('.')} ${message(i)}` : `${where}: ${message(i)}`)).join('\n'));
  }
  const job = parsed.data;
  // Base parameters, then every sweep value on its own (so the message names the value), then
  // every point (cross-field rules such as eta_min <= eta_max).
  resolveSettings(job.base, `${where}.base`);
  const known = new Set(Object.keys(DEFAULT_SETTINGS));
  const errors: string[] = [];
  for (const [key, values] of Object.entries(job.sweep)) {
    const groups = values.filter((v) => typeof v === 'object');
    if (groups.length && groups.length !== values.length) {
      errors.push(`${where}.sweep.${key} mixes plain values and objects; use one kind`);
      continue;
    }
    if (!groups.length && !known.has(key)) {
      errors.push(`${where}.sweep.${key} is not a parameter (or give objects of parameters); known: ${[...known].join(', ')}`);
      continue;
    }
    const names = groups.length ? Object.keys(groups[0]).sort().join(',') : key;
    values.forEach((v, i) => {
      const overrides = typeof v === 'object' ? v : { [key]: v };
      if (typeof v === 'object' && Object.keys(v).sort().join(',') !== names) {
        errors.push(`${where}.sweep.${key}[${i}] must set the same parameters as ${where}.sweep.${key}[0] (${names})`);
        return;
      }
      try {
        resolveSettings({ ...job.base, ...overrides }, `${where}.sweep.${key}[${i}]`);
      } catch (e) {
        if (!(e instanceof DtmcError)) throw e;
        errors.push(typeof v === 'object' ? e.message : e.message.split(`${where}.sweep.${key}[${i}].${key}`).join(`${where}.sweep.${key}[${i}]`));
      }
    });
    if (new Set(values.map((v) => canonicalJson(v))).size !== values.length) errors.push(`${where}.sweep.${key} lists a value twice`);
  }
  const flat = Object.entries(job.sweep).flatMap(([k, v]) => (typeof v[0] === 'object' ? Object.keys(v[0]) : [k]));
  const twice = flat.filter((k, i) => flat.indexOf(k) !== i);
  if (twice.length) errors.push(`${where}.sweep sets ${[...new Set(twice)].join(', ')} in more than one entry`);
  if (job.precision) errors.push(...precisionProblems(job, where));
  if (job.plot.x !== undefined && !flat.includes(job.plot.x)) errors.push(`${where}.plot.x must be one of the swept parameters (${flat.join(', ') || 'none'}), got "${job.plot.x}"`);
  if (errors.length) fail('invalid-argument', errors.join('\n'));
  const count = Object.values(job.sweep).reduce((n, v) => n * v.length, 1);
  if (count > JOB_LIMITS.points) fail('invalid-argument', `${where}.sweep has ${count} points; at most ${JOB_LIMITS.points}`);
  const perPoint = Math.ceil(job.realisations / job.chunkSize);
  if (count * perPoint > JOB_LIMITS.chunks) {
    const least = Math.ceil(job.realisations / Math.floor(JOB_LIMITS.chunks / count));
    fail('invalid-argument', `${where} has ${count * perPoint} chunks (${count} point(s) x ${perPoint} of realisations ${job.realisations} / chunkSize ${job.chunkSize}); `
      + `at most ${JOB_LIMITS.chunks}: set ${where}.chunkSize to at least ${least}, or split the job`);
  }
  const points = sweepPoints(job, where); // validates every point's settings
  for (const p of points) {
    const refusal = methodRefusal(`${where}.backend`, job.backend, p.settings.method);
    if (refusal) fail('invalid-argument', `${refusal} (point ${p.index} runs method ${p.settings.method})`);
  }
  return job;
}

/** The rules of `precision` that span fields: some bound is given; a vs-AO bound needs a sweep of method with ao. */
function precisionProblems(job: Job, where: string): string[] {
  const p = job.precision!;
  if (p.halfWidthMs === undefined && p.relative === undefined && p.vsAoHalfWidthMs === undefined) {
    return [`${where}.precision must set at least one of halfWidthMs, relative, vsAoHalfWidthMs`];
  }
  const methods = job.sweep.method;
  if (p.vsAoHalfWidthMs !== undefined && !(methods?.includes('ao') && methods.length > 1 && methods.every((m) => typeof m === 'string'))) {
    return [`${where}.precision.vsAoHalfWidthMs needs a job that sweeps method (a plain list, ${where}.sweep.method) with ao and another method; `
      + `${where}.sweep.method is ${methods ? JSON.stringify(methods) : 'not swept'}`];
  }
  return [];
}

/**
 * Reads and validates a job file: at most JOB_LIMITS.fileBytes, UTF-8 (a byte order mark is
 * skipped), JSON with no key given twice in one object and no `__proto__` key.
 */
export function loadJob(path: string): Job {
  let text: string;
  try {
    const bytes = statSync(path).size;
    if (bytes > JOB_LIMITS.fileBytes) fail('invalid-argument', `job file ${path} has ${bytes} bytes; at most ${JOB_LIMITS.fileBytes}`);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof DtmcError) throw e;
    return fail('io', `cannot read job file ${path}: ${(e as Error).message}`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return fail('invalid-argument', `job file ${path} is not valid JSON: ${(e as Error).message}`);
  }
  const keys = findKeyProblem(text, path);
  if (keys) fail('invalid-argument', keys);
  return parseJob(raw, path);
}

/** The sweep points in grid order (first sweep key slowest), each with its validated settings. */
export function sweepPoints(job: Job, where = 'job'): SweepPoint[] {
  const keys = Object.keys(job.sweep);
  const points: SweepPoint[] = [];
  const total = keys.reduce((n, k) => n * job.sweep[k].length, 1);
  for (let index = 0; index < total; index++) {
    const chosen: Record<string, number | string | Record<string, number | string>> = {};
    let rest = index;
    for (let j = keys.length - 1; j >= 0; j--) {
      const options = job.sweep[keys[j]];
      chosen[keys[j]] = options[rest % options.length];
      rest = Math.floor(rest / options.length);
    }
    const ordered: Record<string, number | string> = {};
    for (const k of keys) {
      const v = chosen[k];
      if (typeof v === 'object') Object.assign(ordered, v);
      else ordered[k] = v;
    }
    points.push({ index, values: ordered, settings: resolveSettings({ ...job.base, ...ordered }, `${where} point ${index}`) });
  }
  return points;
}

/** Every chunk of the job, point by point. */
export function jobChunks(job: Job): Chunk[] {
  const perPoint = Math.ceil(job.realisations / job.chunkSize);
  const points = Object.values(job.sweep).reduce((n, v) => n * v.length, 1);
  const chunks: Chunk[] = [];
  for (let point = 0; point < points; point++) {
    for (let k = 0; k < perPoint; k++) {
      const first = k * job.chunkSize;
      chunks.push({
        index: chunks.length, point, k, first, count: Math.min(job.chunkSize, job.realisations - first),
        id: `p${String(point).padStart(5, '0')}-c${String(k).padStart(6, '0')}`,
      });
    }
  }
  return chunks;
}

/** The chunks of shard i of n (a deterministic share: global index mod n). */
export function shardChunks(chunks: readonly Chunk[], shard: { index: number; count: number }): Chunk[] {
  return chunks.filter((c) => c.index % shard.count === shard.index);
}

/**
 * Canonical JSON: keys sorted at every level (the hash does not depend on key order in the file);
 * a key whose value is undefined is left out, as JSON.stringify does (an absent optional field).
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The job's identity: sha256 of the canonical JSON of everything that shapes the results and the
 * chunk files. `workers`, `description` and `plot` are left out (results do not depend on the worker
 * count); the sweep is kept as a list of entries, since its key order numbers the points.
 */
export function jobHash(job: Job): string {
  const { workers: _w, description: _d, plot: _p, sweep, ...rest } = job;
  void _w;
  void _d;
  void _p;
  const identity = { ...rest, sweep: Object.entries(sweep) };
  return createHash('sha256').update(canonicalJson(identity)).digest('hex');
}

/** How output/ reads a job folder's job.json (output/job-folder.ts): this schema, this hash, this expansion. */
export const JOB_FORMAT: JobFormat<Job> = { parse: parseJob, hash: jobHash, points: (job) => sweepPoints(job), chunks: jobChunks };
