/**
 * jobs/shard-env.ts: the shard from --shard, --shards, --shard-base, their DTMC_ variables and the
 * scheduler's array variables, with a fake environment per case.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveShard, type ShardFlags } from '../../jobs/shard-env.js';
import { expectFailure } from '../helpers/expect-failure.js';
import { dtmc } from '../helpers/job-runs.js';

/** The shard as "i/n" for `flags` in `env`. */
const shardOf = (flags: ShardFlags, env: NodeJS.ProcessEnv): string => {
  const { shard } = resolveShard(flags, env);
  return `${shard.index}/${shard.count}`;
};
const fails = (flags: ShardFlags, env: NodeJS.ProcessEnv, pattern: RegExp): void => expectFailure(() => resolveShard(flags, env), 'invalid-argument', pattern);

/** A Slurm array task's variables: task `id` of the array min-max:step (count as Slurm sets it). */
const slurm = (id: number, min: number, max: number, step = 1): NodeJS.ProcessEnv => ({
  SLURM_ARRAY_TASK_ID: String(id), SLURM_ARRAY_TASK_MIN: String(min), SLURM_ARRAY_TASK_MAX: String(max),
  SLURM_ARRAY_TASK_STEP: String(step), SLURM_ARRAY_TASK_COUNT: String(Math.floor((max - min) / step) + 1),
});

test('no --shard runs every chunk, silently outside a scheduler', () => {
  assert.equal(resolveShard({}, {}), { shard: { index: 0, count: 1 }, how: 'shard 0/1 (no --shard: every chunk)', note: null });
});

test('no --shard inside a Slurm array task runs every chunk and notes the unused variable', () => {
  const r = resolveShard({}, { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '1' });
  assert.equal(r.shard, { index: 0, count: 1 });
  assert.is(r.note, 'dtmc: note: SLURM_ARRAY_TASK_ID=3 is set but not used: this run does every chunk; pass --shard auto to run this array task\'s share');
});

test('no --shard inside a Kubernetes Indexed Job notes JOB_COMPLETION_INDEX', () => {
  const r = resolveShard({}, { JOB_COMPLETION_INDEX: '2', DTMC_SHARDS: '4' });
  assert.equal(r.shard, { index: 0, count: 1 });
  assert.match(r.note ?? '', /^dtmc: note: JOB_COMPLETION_INDEX=2 is set but not used: this run does every chunk; pass --shard auto/);
});

test('--shard i/n is taken as given, and the array variables are then not noted', () => {
  assert.equal(resolveShard({ shard: '2/5' }, slurm(3, 0, 7)), { shard: { index: 2, count: 5 }, how: 'shard 2/5 from --shard 2/5', note: null });
});

test('DTMC_SHARD stands for --shard, and the flag wins over it', () => {
  assert.is(shardOf({}, { DTMC_SHARD: '1/4' }), '1/4');
  assert.is(resolveShard({}, { DTMC_SHARD: '1/4' }).how, 'shard 1/4 from DTMC_SHARD=1/4');
  assert.is(shardOf({ shard: '3/4' }, { DTMC_SHARD: '1/4' }), '3/4');
  assert.is(shardOf({}, { DTMC_SHARD: 'auto', ...slurm(5, 0, 7) }), '5/8');
});

test('a malformed --shard or DTMC_SHARD is a named error', () => {
  fails({ shard: '5/5' }, {}, /^--shard must be i\/n with 0 <= i < n, or auto, got "5\/5"$/);
  fails({ shard: 'a' }, {}, /^--shard must be i\/n/);
  fails({ shard: '1/0' }, {}, /got "1\/0"/);
  fails({}, { DTMC_SHARD: 'one/two' }, /^DTMC_SHARD must be i\/n with 0 <= i < n, or auto, got "one\/two"$/);
});

test('--shards or --shard-base without --shard auto is an error, not ignored', () => {
  fails({ shards: '8' }, {}, /^--shards 8 applies to --shard auto only .*got it with no --shard$/);
  fails({ shard: '1/4', shardBase: '1' }, {}, /^--shard-base 1 applies to --shard auto only .*got it with --shard 1\/4$/);
  assert.is(shardOf({ shard: '1/4' }, { DTMC_SHARDS: '8', DTMC_SHARD_BASE: '1' }), '1/4', 'variables set for other runs are left alone');
});

test('--shard auto with neither scheduler variable is a named error', () => {
  fails({ shard: 'auto' }, {}, /^--shard auto: neither SLURM_ARRAY_TASK_ID \(a Slurm job array\) nor JOB_COMPLETION_INDEX \(a Kubernetes Indexed Job\) is set/);
  fails({}, { DTMC_SHARD: 'auto' }, /^DTMC_SHARD=auto: neither SLURM_ARRAY_TASK_ID/);
});

test('--shard auto with --shards N: shard = id - base, so resubmitting one index runs that shard', () => {
  const one = { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_MIN: '3', SLURM_ARRAY_TASK_MAX: '3', SLURM_ARRAY_TASK_COUNT: '1' };
  assert.equal(resolveShard({ shard: 'auto', shards: '8' }, one), { shard: { index: 3, count: 8 }, how: 'shard 3/8 from SLURM_ARRAY_TASK_ID=3, --shards 8', note: null });
  assert.is(shardOf({ shard: 'auto', shards: '8' }, { SLURM_ARRAY_TASK_ID: '3' }), '3/8', 'no geometry variables');
  assert.is(shardOf({ shard: 'auto' }, { ...one, DTMC_SHARDS: '8' }), '3/8');
  assert.is(shardOf({ shard: 'auto', shards: '8' }, { ...one, DTMC_SHARDS: '2' }), '3/8', 'the flag wins');
});

test('--shard auto with --shards N --shard-base 1: a 1-based array', () => {
  const r = resolveShard({ shard: 'auto', shards: '8', shardBase: '1' }, slurm(8, 1, 8));
  assert.equal(r.shard, { index: 7, count: 8 });
  assert.is(r.how, 'shard 7/8 from SLURM_ARRAY_TASK_ID=8, --shards 8, --shard-base 1');
  assert.is(shardOf({ shard: 'auto', shards: '8' }, { ...slurm(1, 1, 8), DTMC_SHARD_BASE: '1' }), '0/8');
  assert.is(shardOf({ shard: 'auto', shards: '8', shardBase: '1' }, { SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_MIN: '4', SLURM_ARRAY_TASK_MAX: '4' }), '3/8');
});

test('a 1-based array with --shards N and base 0 fails in every task, the first one too', () => {
  for (const id of [1, 4, 8]) {
    fails({ shard: 'auto', shards: '8' }, slurm(id, 1, 8),
      /^the array 1-8 \(SLURM_ARRAY_TASK_MIN\/MAX\) does not fit shards 0\.\.7 of --shards 8; for an array that starts at 1 pass --shard-base 1$/);
  }
});

test('one resubmitted index of a 1-based array (sbatch --array=8) is told to pass --shard-base 1, not its own id', () => {
  fails({ shard: 'auto', shards: '8' }, slurm(8, 8, 8),
    /^the array 8-8 \(SLURM_ARRAY_TASK_MIN\/MAX\) does not fit shards 0\.\.7 of --shards 8; one index resubmitted is shard id - base: if the original array counted from 1, pass --shard-base 1 \(DTMC_SHARD_BASE=1\)$/);
  assert.equal(resolveShard({ shard: 'auto', shards: '8', shardBase: '1' }, slurm(8, 8, 8)).shard, { index: 7, count: 8 });
});

test('an array with more ids than --shards fails in every task, naming the count it needs', () => {
  fails({ shard: 'auto', shards: '4' }, slurm(0, 0, 7), /^the array 0-7 .* does not fit shards 0\.\.3 of --shards 4; the array has 8 ids: give --shards 8$/);
  fails({ shard: 'auto', shards: '4', shardBase: '2' }, slurm(2, 0, 3), /^the array 0-3 .* with --shard-base 2 does not fit/);
});

test('an id outside the shards is a named error when the array is not visible', () => {
  fails({ shard: 'auto', shards: '8' }, { SLURM_ARRAY_TASK_ID: '8' }, /^SLURM_ARRAY_TASK_ID=8 is shard 8, outside shards 0\.\.7 of --shards 8; for a 1-based array pass --shard-base 1$/);
  fails({ shard: 'auto', shards: '8', shardBase: '2' }, { SLURM_ARRAY_TASK_ID: '1' }, /^SLURM_ARRAY_TASK_ID=1 with --shard-base 2 is shard -1, outside shards 0\.\.7/);
});

test('--shard auto without a count takes the shard from the whole array: 0-based, 1-based, stepped', () => {
  assert.equal(resolveShard({ shard: 'auto' }, slurm(3, 0, 7)), { shard: { index: 3, count: 8 }, how: 'shard 3/8 from SLURM_ARRAY_TASK_ID=3 of the array 0-7', note: null });
  assert.is(shardOf({ shard: 'auto' }, slurm(1, 1, 8)), '0/8');
  assert.is(shardOf({ shard: 'auto' }, slurm(8, 1, 8)), '7/8');
  assert.is(resolveShard({ shard: 'auto' }, slurm(14, 2, 14, 4)).how, 'shard 3/4 from SLURM_ARRAY_TASK_ID=14 of the array 2-14:4');
  const noStepNoCount = { SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_MIN: '5', SLURM_ARRAY_TASK_MAX: '6' };
  assert.is(shardOf({ shard: 'auto' }, noStepNoCount), '0/2', 'STEP defaults to 1, COUNT is checked only when set');
});

test('a one-task array (one index resubmitted) without --shards is an error that asks for it', () => {
  fails({ shard: 'auto' }, { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_MIN: '3', SLURM_ARRAY_TASK_MAX: '3', SLURM_ARRAY_TASK_COUNT: '1' },
    /^--shard auto: the array has one task \(SLURM_ARRAY_TASK_MIN = MAX = 3; one index resubmitted\?\), .*give --shards N/);
});

test('an irregular array (a list of ids) without --shards is an error', () => {
  // --array=1,3,8: MIN 1, MAX 8, COUNT 3
  fails({ shard: 'auto' }, { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '8', SLURM_ARRAY_TASK_COUNT: '3' },
    /^--shard auto: the array 1-8 \(SLURM_ARRAY_TASK_MIN\/MAX\/STEP\) is not a regular range of SLURM_ARRAY_TASK_COUNT=3 tasks: give --shards N/);
  fails({ shard: 'auto' }, { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '9', SLURM_ARRAY_TASK_STEP: '4' }, /is not a regular range: give --shards N/);
  fails({ shard: 'auto' }, { ...slurm(0, 0, 8, 4), SLURM_ARRAY_TASK_ID: '2' }, /^SLURM_ARRAY_TASK_ID=2 is not an id of the array 0-8:4/);
});

test('--shard auto in Slurm without MIN/MAX or a count asks for --shards', () => {
  fails({ shard: 'auto' }, { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '8' }, /SLURM_ARRAY_TASK_MIN\/MAX are not, so the array's size is unknown: give --shards N$/);
  fails({ shard: 'auto', shardBase: '1' }, slurm(3, 1, 8), /^--shard-base 1 applies with --shards N/);
});

test('--shard auto in a Kubernetes Indexed Job needs the count, base 0', () => {
  assert.equal(resolveShard({ shard: 'auto', shards: '4' }, { JOB_COMPLETION_INDEX: '1' }), { shard: { index: 1, count: 4 }, how: 'shard 1/4 from JOB_COMPLETION_INDEX=1, --shards 4', note: null });
  assert.equal(resolveShard({ shard: 'auto' }, { JOB_COMPLETION_INDEX: '1', DTMC_SHARDS: '2' }).how, 'shard 1/2 from JOB_COMPLETION_INDEX=1, DTMC_SHARDS=2');
  fails({ shard: 'auto' }, { JOB_COMPLETION_INDEX: '1' }, /^--shard auto: JOB_COMPLETION_INDEX=1 is set: give the number of shards with --shards N or DTMC_SHARDS/);
  fails({ shard: 'auto', shards: '4' }, { JOB_COMPLETION_INDEX: '4' }, /^JOB_COMPLETION_INDEX=4 is shard 4, outside shards 0\.\.3 of --shards 4/);
  fails({ shard: 'auto', shards: '4', shardBase: '1' }, { JOB_COMPLETION_INDEX: '1' }, /^--shard-base 1: JOB_COMPLETION_INDEX counts from 0/);
});

test('Slurm wins over Kubernetes when both are set', () => {
  assert.is(shardOf({ shard: 'auto', shards: '8' }, { SLURM_ARRAY_TASK_ID: '2', JOB_COMPLETION_INDEX: '5' }), '2/8');
});

test('every non-integer value is a named error with its value', () => {
  fails({ shard: 'auto', shards: '8x' }, { SLURM_ARRAY_TASK_ID: '3' }, /^--shards must be an integer >= 1, got "8x"$/);
  fails({ shard: 'auto', shards: '0' }, { SLURM_ARRAY_TASK_ID: '0' }, /^--shards must be an integer >= 1, got "0"$/);
  fails({ shard: 'auto' }, { SLURM_ARRAY_TASK_ID: '3', DTMC_SHARDS: 'eight' }, /^DTMC_SHARDS must be an integer >= 1, got "eight"$/);
  fails({ shard: 'auto', shards: '8', shardBase: '-1' }, { SLURM_ARRAY_TASK_ID: '3' }, /^--shard-base must be an integer >= 0, got "-1"$/);
  fails({ shard: 'auto', shards: '8' }, { SLURM_ARRAY_TASK_ID: '3', DTMC_SHARD_BASE: '1.5' }, /^DTMC_SHARD_BASE must be an integer >= 0, got "1\.5"$/);
  fails({ shard: 'auto', shards: '8' }, { SLURM_ARRAY_TASK_ID: 'x' }, /^SLURM_ARRAY_TASK_ID must be an integer >= 0, got "x"$/);
  fails({ shard: 'auto', shards: '8' }, { JOB_COMPLETION_INDEX: '' }, /^JOB_COMPLETION_INDEX must be an integer >= 0, got ""$/);
  fails({ shard: 'auto' }, { ...slurm(3, 0, 7), SLURM_ARRAY_TASK_MAX: '7a' }, /^SLURM_ARRAY_TASK_MAX must be an integer >= 0, got "7a"$/);
  fails({ shard: 'auto' }, { ...slurm(3, 0, 7), SLURM_ARRAY_TASK_STEP: '0' }, /^SLURM_ARRAY_TASK_STEP must be an integer >= 1, got "0"$/);
});

/** `dtmc run jobs/smoke.json --dry-run` with `args` in the environment `env`. */
const dryRun = (args: string[], env: Record<string, string>) => dtmc(['run', 'jobs/smoke.json', '--dry-run', ...args], env);
const RESUBMITTED = { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_MIN: '3', SLURM_ARRAY_TASK_MAX: '3', SLURM_ARRAY_TASK_COUNT: '1' };

test('CLI: inside an array task without --shard, run notes the variable once and plans every chunk', () => {
  const r = dryRun([], RESUBMITTED);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stderr, 'dtmc: note: SLURM_ARRAY_TASK_ID=3 is set but not used: this run does every chunk; pass --shard auto to run this array task\'s share\n');
  assert.match(r.stdout, /^shard 0\/1 \(no --shard: every chunk\): (\d+) chunk\(s\)/m);
  const [, planned] = /^shard 0\/1 .*: (\d+) chunk\(s\)/m.exec(r.stdout)!;
  assert.match(r.stdout, new RegExp(`, ${planned} chunk\\(s\\) of up to`), 'every chunk of the job');
});

test('CLI: --shard auto in a one-task array without --shards exits 2 naming the variables', () => {
  const r = dryRun(['--shard', 'auto'], RESUBMITTED);
  assert.is(r.status, 2);
  assert.match(r.stderr, /^dtmc: --shard auto: the array has one task \(SLURM_ARRAY_TASK_MIN = MAX = 3; one index resubmitted\?\)/);
  assert.is(r.stdout, '');
});

test('CLI: --shard auto --shards 8 in the resubmitted task plans shard 3/8 and says how', () => {
  const r = dryRun(['--shard', 'auto', '--shards', '8'], RESUBMITTED);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stderr, '');
  assert.match(r.stdout, /^shard 3\/8 from SLURM_ARRAY_TASK_ID=3, --shards 8: \d+ chunk\(s\), \d+ realisations$/m);
});

test('CLI: DTMC_SHARD=auto with DTMC_SHARDS in a Kubernetes pod, and a bad DTMC_SHARDS named', () => {
  const r = dryRun([], { JOB_COMPLETION_INDEX: '1', DTMC_SHARD: 'auto', DTMC_SHARDS: '4' });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^shard 1\/4 from JOB_COMPLETION_INDEX=1, DTMC_SHARDS=4: /m);
  const bad = dryRun(['--shard', 'auto'], { JOB_COMPLETION_INDEX: '1', DTMC_SHARDS: 'four' });
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /^dtmc: DTMC_SHARDS must be an integer >= 1, got "four"$/m);
});

test('CLI: a 1-based array with --shards 8 fails in its first task too', () => {
  const r = dryRun(['--shard', 'auto', '--shards', '8'], slurm(1, 1, 8) as Record<string, string>);
  assert.is(r.status, 2);
  assert.match(r.stderr, /the array 1-8 .* does not fit shards 0\.\.7 of --shards 8; for an array that starts at 1 pass --shard-base 1/);
});

test.run();
