/**
 * Which share of a job's chunks this `dtmc run` does: `--shard`, `--shards`, `--shard-base` (or
 * DTMC_SHARD, DTMC_SHARDS, DTMC_SHARD_BASE) and the scheduler's array variables.
 *
 * - `--shard i/n`: shard i of n, as given.
 * - `--shard auto`: the index from the scheduler, SLURM_ARRAY_TASK_ID (a Slurm job array), else
 *   JOB_COMPLETION_INDEX (a Kubernetes Indexed Job); neither set is an error.
 *   - With a count (`--shards N`): index = id - base (`--shard-base B`, default 0). When the whole
 *     array is visible (SLURM_ARRAY_TASK_MIN/MAX) and one of its ids falls outside 0..N-1, every
 *     task fails alike, so no task leaves a shard undone without saying so.
 *   - Without one (Slurm only): the array's geometry, ids MIN, MIN+STEP, ..., MAX, is shard 0..n-1
 *     (1-based and stepped arrays work); a one-task array (one index resubmitted) needs --shards N.
 *   - JOB_COMPLETION_INDEX counts from 0 and needs the count.
 * - No --shard: shard 0/1, every chunk, with a note when an array variable is set but unused.
 *
 * A flag wins over its variable. Every bad value is an error naming the option or variable.
 */
import { fail } from '../engine/errors.js';
import type { FolderShard } from '../output/job-folder.js';

/** The shard options as given on the command line (undefined: not given). */
export interface ShardFlags {
  shard?: string;
  shards?: string;
  shardBase?: string;
}

export interface ShardChoice {
  shard: FolderShard;
  /** How it was chosen, for --dry-run: "shard 3/8 from SLURM_ARRAY_TASK_ID=3, --shards 8". */
  how: string;
  /** A line for stderr when an array variable is set but not used (no --shard), else null. */
  note: string | null;
}

/** A value and the words that name where it came from (`--shards` or `DTMC_SHARDS`). */
interface Given {
  text: string;
  name: string;
}

/** The flag if given, else the environment variable if set. */
const given = (flag: string | undefined, flagName: string, env: NodeJS.ProcessEnv, variable: string): Given | undefined => {
  if (flag !== undefined) return { text: flag, name: flagName };
  const v = env[variable];
  return v !== undefined ? { text: v, name: variable } : undefined;
};

/** `g` as an integer >= min; a named error otherwise. */
function integer(g: Given, min: number): number {
  const t = g.text.trim();
  if (!/^\d+$/.test(t) || Number(t) < min || !Number.isSafeInteger(Number(t))) {
    fail('invalid-argument', `${g.name} must be an integer >= ${min}, got "${g.text}"`);
  }
  return Number(t);
}

/** How a given value reads in the `how` line: `--shards 8` or `DTMC_SHARDS=8`. */
const said = (g: Given): string => (g.name.startsWith('--') ? `${g.name} ${g.text.trim()}` : `${g.name}=${g.text.trim()}`);

/** `i/n` with 0 <= i < n. */
function explicit(g: Given): FolderShard {
  const m = /^(\d+)\/(\d+)$/.exec(g.text.trim());
  const shard = m ? { index: Number(m[1]), count: Number(m[2]) } : null;
  if (!shard || !(shard.count >= 1 && shard.index < shard.count)) {
    fail('invalid-argument', `${g.name} must be i/n with 0 <= i < n, or auto, got "${g.text}"`);
  }
  return shard;
}

/** The Slurm array's ids as the environment shows them: MIN, MAX, STEP, COUNT (each when set). */
function slurmArray(env: NodeJS.ProcessEnv) {
  const read = (name: string, min: number): number | undefined => (env[name] !== undefined ? integer({ text: env[name]!, name }, min) : undefined);
  const geometry = {
    min: read('SLURM_ARRAY_TASK_MIN', 0), max: read('SLURM_ARRAY_TASK_MAX', 0), step: read('SLURM_ARRAY_TASK_STEP', 1) ?? 1, count: read('SLURM_ARRAY_TASK_COUNT', 1),
  };
  if (geometry.min !== undefined && geometry.max !== undefined && geometry.max < geometry.min) {
    fail('invalid-argument', `SLURM_ARRAY_TASK_MAX=${geometry.max} is below SLURM_ARRAY_TASK_MIN=${geometry.min}`);
  }
  return geometry;
}

/** Shard (id - base) of `count`, checked, with the whole Slurm array checked too when visible. */
function fromCount(id: Given, count: Given, base: Given | undefined, env: NodeJS.ProcessEnv): ShardChoice {
  const n = integer(count, 1);
  const b = base ? integer(base, 0) : 0;
  const i = integer(id, 0);
  const how = `from ${id.name}=${i}, ${said(count)}${base ? `, ${said(base)}` : ''}`;
  const withBase = base ? ` with ${said(base)}` : '';
  if (id.name === 'SLURM_ARRAY_TASK_ID') {
    const a = slurmArray(env);
    if (a.min !== undefined && a.max !== undefined) {
      const last = a.min + Math.floor((a.max - a.min) / a.step) * a.step;
      if (a.min - b < 0 || last - b >= n) {
        const hint = a.min === a.max
          ? `one index resubmitted is shard id - base: if the original array counted from 1, pass --shard-base 1 (DTMC_SHARD_BASE=1)`
          : a.step > 1 ? 'for a stepped array leave --shards out: its ids then number the shards'
          : last - a.min < n ? `for an array that starts at ${a.min} pass --shard-base ${a.min}`
            : `the array has ${last - a.min + 1} ids: give --shards ${last - a.min + 1}${a.min ? ` --shard-base ${a.min}` : ''}`;
        fail('invalid-argument', `the array ${a.min}-${a.max}${a.step > 1 ? `:${a.step}` : ''} (SLURM_ARRAY_TASK_MIN/MAX)${withBase} does not fit `
          + `shards 0..${n - 1} of ${said(count)}; ${hint}`);
      }
    }
  }
  if (i - b < 0 || i - b >= n) {
    fail('invalid-argument', `${id.name}=${i}${withBase} is shard ${i - b}, outside shards 0..${n - 1} of ${said(count)}`
      + `${i - b === n && b === 0 ? '; for a 1-based array pass --shard-base 1' : ''}`);
  }
  return { shard: { index: i - b, count: n }, how: `shard ${i - b}/${n} ${how}`, note: null };
}

/** Shard (id - MIN) / STEP of the Slurm array's whole geometry. */
function fromGeometry(id: Given, env: NodeJS.ProcessEnv): ShardChoice {
  const i = integer(id, 0);
  const a = slurmArray(env);
  if (a.min === undefined || a.max === undefined) {
    fail('invalid-argument', `--shard auto: SLURM_ARRAY_TASK_ID=${i} is set but SLURM_ARRAY_TASK_MIN/MAX are not, so the array's size is unknown: give --shards N`);
  }
  const array = `${a.min}-${a.max}${a.step > 1 ? `:${a.step}` : ''}`;
  if (a.min === a.max) {
    fail('invalid-argument', `--shard auto: the array has one task (SLURM_ARRAY_TASK_MIN = MAX = ${a.min}; one index resubmitted?), so the number of shards is unknown: `
      + 'give --shards N (the original array\'s size) and --shard-base B when it is not 0-based');
  }
  const n = (a.max - a.min) / a.step + 1;
  if (!Number.isInteger(n) || (a.count !== undefined && a.count !== n)) {
    fail('invalid-argument', `--shard auto: the array ${array} (SLURM_ARRAY_TASK_MIN/MAX/STEP) is not a regular range`
      + `${a.count !== undefined ? ` of SLURM_ARRAY_TASK_COUNT=${a.count} tasks` : ''}: give --shards N (and --shard-base B)`);
  }
  if (i < a.min || i > a.max || (i - a.min) % a.step !== 0) {
    fail('invalid-argument', `SLURM_ARRAY_TASK_ID=${i} is not an id of the array ${array} (SLURM_ARRAY_TASK_MIN/MAX/STEP)`);
  }
  const index = (i - a.min) / a.step;
  return { shard: { index, count: n }, how: `shard ${index}/${n} from SLURM_ARRAY_TASK_ID=${i} of the array ${array}`, note: null };
}

/** The note when no --shard is given but a scheduler's array variable is set. */
function unusedNote(env: NodeJS.ProcessEnv): string | null {
  const name = ['SLURM_ARRAY_TASK_ID', 'JOB_COMPLETION_INDEX'].find((v) => env[v] !== undefined);
  if (!name) return null;
  const task = name === 'SLURM_ARRAY_TASK_ID' ? 'this array task\'s' : 'this pod\'s';
  return `dtmc: note: ${name}=${env[name]} is set but not used: this run does every chunk; pass --shard auto to run ${task} share`;
}

/** The shard this run does, how it was chosen, and a note for stderr (see the file's doc). */
export function resolveShard(flags: ShardFlags, env: NodeJS.ProcessEnv = process.env): ShardChoice {
  const shard = given(flags.shard, '--shard', env, 'DTMC_SHARD');
  const count = given(flags.shards, '--shards', env, 'DTMC_SHARDS');
  const base = given(flags.shardBase, '--shard-base', env, 'DTMC_SHARD_BASE');
  if (shard?.text.trim() !== 'auto') {
    // --shards and --shard-base belong to --shard auto; given as flags without it they would be ignored.
    for (const [flag, name] of [[flags.shards, '--shards'], [flags.shardBase, '--shard-base']] as const) {
      if (flag !== undefined) fail('invalid-argument', `${name} ${flag} applies to --shard auto only (the index from the scheduler), got it with ${shard ? said(shard) : 'no --shard'}`);
    }
  }
  if (shard === undefined) return { shard: { index: 0, count: 1 }, how: 'shard 0/1 (no --shard: every chunk)', note: unusedNote(env) };
  if (shard.text.trim() !== 'auto') {
    const s = explicit(shard);
    return { shard: s, how: `shard ${s.index}/${s.count} from ${said(shard)}`, note: null };
  }
  if (env.SLURM_ARRAY_TASK_ID !== undefined) {
    const id = { text: env.SLURM_ARRAY_TASK_ID, name: 'SLURM_ARRAY_TASK_ID' };
    if (count) return fromCount(id, count, base, env);
    if (base) fail('invalid-argument', `${said(base)} applies with --shards N; without it the shard comes from the array's ids (SLURM_ARRAY_TASK_MIN/MAX), which need no base`);
    return fromGeometry(id, env);
  }
  if (env.JOB_COMPLETION_INDEX !== undefined) {
    const id = { text: env.JOB_COMPLETION_INDEX, name: 'JOB_COMPLETION_INDEX' };
    if (!count) fail('invalid-argument', `--shard auto: JOB_COMPLETION_INDEX=${id.text} is set: give the number of shards with --shards N or DTMC_SHARDS (the Job's completions)`);
    if (base && integer(base, 0) !== 0) fail('invalid-argument', `${said(base)}: JOB_COMPLETION_INDEX counts from 0, so the base must be 0`);
    return fromCount(id, count, undefined, env);
  }
  return fail('invalid-argument', `${said(shard)}: neither SLURM_ARRAY_TASK_ID (a Slurm job array) nor JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) is set; give --shard i/n`);
}
