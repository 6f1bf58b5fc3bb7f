/**
 * What every row of a chunk shares (output/chunk-columns.ts writes it as columns, the same value on
 * every row): the job's name, hash, seed and common-random-numbers flag, and the point's full
 * parameter set. It comes from the chunk's metadata (dtmc.job, dtmc.job_hash, dtmc.settings), so
 * the columns and the metadata cannot disagree: the writer builds the columns from it, the reader
 * checks them against it.
 *
 * A parameter's column is named by `parameterColumnName`: its settings name in snake_case, the unit
 * kept in it, like every other column (sMaxKbit -> s_max_kbit, fEsMaxGHz -> f_es_max_ghz, M -> m).
 */
import { DEFAULT_SETTINGS, type Settings } from '../engine/settings.js';

/** What every row of a chunk shares: its job's identity and its point's parameters (the chunk's metadata). */
export interface RowContext {
  jobName: string;
  jobHash: string;
  seed: number;
  commonRandomNumbers: boolean;
  settings: Settings;
}

/** A parameter's column name: its settings name in snake_case, the unit kept in it (sMaxKbit -> s_max_kbit, M -> m). */
export const parameterColumnName = (name: string): string => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

/** A chunk's RowContext from its metadata (dtmc.job, dtmc.job_hash, dtmc.settings), or what is wrong with it. */
export function rowContext(job: string | undefined, jobHash: string | undefined, settings: string | undefined): RowContext | string {
  let j: unknown;
  let s: unknown;
  try {
    j = JSON.parse(job ?? 'null');
  } catch {
    return 'has unreadable dtmc.job metadata';
  }
  try {
    s = JSON.parse(settings ?? 'null');
  } catch {
    return 'has unreadable dtmc.settings metadata';
  }
  const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (!isObject(j)) return 'has no dtmc.job object';
  if (typeof j.name !== 'string') return 'has dtmc.job without a name';
  if (!(Number.isSafeInteger(j.seed) && (j.seed as number) >= 0)) return `has dtmc.job with seed ${JSON.stringify(j.seed)}`;
  if (typeof j.commonRandomNumbers !== 'boolean') return `has dtmc.job with commonRandomNumbers ${JSON.stringify(j.commonRandomNumbers)}`;
  if (typeof jobHash !== 'string' || jobHash === '') return 'has no dtmc.job_hash';
  if (!isObject(s)) return 'has no dtmc.settings object';
  for (const [k, v] of Object.entries(DEFAULT_SETTINGS)) {
    if (typeof s[k] !== typeof v || (typeof v === 'number' && !Number.isFinite(s[k]))) return `has dtmc.settings with ${k} = ${JSON.stringify(s[k])}`;
  }
  return { jobName: j.name, jobHash, seed: j.seed as number, commonRandomNumbers: j.commonRandomNumbers, settings: s as unknown as Settings };
}

