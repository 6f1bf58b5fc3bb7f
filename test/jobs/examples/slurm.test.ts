/**
 * The shipped Slurm example (jobs/examples/slurm-submit.sh, slurm-array.sbatch,
 * slurm-aggregate.sbatch) run as a user runs it, against a real single-node Slurm started by the
 * test (test/helpers/slurm-cluster.ts): the array and its dependent aggregate, a deleted chunk
 * redone by resubmitting its index alone, a 1-based array, every chunk byte-identical to a
 * single-process run, an index outside the shards failing with its reason. Skips, saying why,
 * where Slurm and munge are not installed or not root.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { ROOT, dtmc, tempDir, writeJob } from '../../helpers/job-runs.js';
import { slurmUnavailable, startSlurm, type SlurmCluster } from '../../helpers/slurm-cluster.js';
import { jobChunks, loadJob } from '../../../jobs/job-file.js';

/** The array script's geometry: #SBATCH --array=0-7, DTMC_SHARDS=8. */
const SHARDS = 8;
/** 4 points of 40 realisations in chunks of 10: 16 chunks, two for each of the 8 shards (and their 2 workers). */
const JOB = { name: 'slurm-tiny', seed: 5, realisations: 40, base: { M: 6 }, sweep: { sMaxKbit: [0, 20, 40, 60] }, chunkSize: 10, backend: 'float64', workers: 'auto' };
const WAIT_MS = 90_000;

const t = suite('slurm example');
const reason = slurmUnavailable();

let dir = '';
let project = '';
let jobPath = '';
let cluster: SlurmCluster | null = null;
let arrayId = '';

const seconds = (since: number): string => ((Date.now() - since) / 1000).toFixed(1);

/** The chunk files of a job folder (Arrow files and their checksums), name -> bytes. */
function chunkFiles(outDir: string): Map<string, Buffer> {
  const files = readdirSync(join(outDir, 'chunks')).filter((f) => !f.startsWith('.')).sort();
  return new Map(files.map((f) => [f, readFileSync(join(outDir, 'chunks', f))]));
}

/** Submits `sbatch --parsable args` from the project folder and returns the job id. */
function sbatch(args: string[]): string {
  return cluster!.client('sbatch', ['--parsable', ...args], { cwd: project }).trim().split(';')[0]!;
}

/** Asserts every job of `jobId` completed (each task of an array), and that there are `count`. */
function assertCompleted(jobId: string, count: number): void {
  const states = cluster!.states(jobId);
  assert.is(Object.keys(states).length, count, `jobs of ${jobId}: ${JSON.stringify(states)}`);
  for (const [id, state] of Object.entries(states)) assert.is(state, 'COMPLETED', `job ${id}: ${state}\n${cluster!.logs()}`);
}

if (reason) {
  t('the Slurm example runs against a real Slurm', () => console.log(`  skipped: ${reason}`));
} else {
  t.before(() => {
    // The tasks inherit this environment (--export=ALL): no shard settings of the caller's.
    for (const name of Object.keys(process.env)) if (name.startsWith('DTMC_')) delete process.env[name];
    dir = tempDir('slurm');
    jobPath = writeJob(dir, JOB);
    // A project folder as after npm ci: the example runs `node dist/cli/main.js` from it and its
    // logs land in it (dist resolves its packages from its real path).
    project = join(dir, 'project');
    mkdirSync(project);
    for (const sub of ['dist', 'jobs']) symlinkSync(join(ROOT, sub), join(project, sub));
  });

  t.after(async () => {
    await cluster?.stop();
  });

  t('slurm-submit.sh runs every task of the array, then the aggregate writes the summary into OUT', async () => {
    const started = Date.now();
    cluster = await startSlurm(join(dir, 'slurm'));
    console.log(`  single-node Slurm up in ${seconds(started)} s`);
    const out = join(dir, 'out');
    const submit = spawnSync('jobs/examples/slurm-submit.sh', [], { cwd: project, encoding: 'utf8', env: cluster.env({ JOB: jobPath, OUT: out }), timeout: 60_000 });
    assert.is(submit.status, 0, `${submit.stderr}${submit.stdout}`);
    arrayId = /array job (\d+)/.exec(submit.stdout)?.[1] ?? '';
    const aggregateId = /aggregate job (\d+)/.exec(submit.stdout)?.[1] ?? '';
    assert.ok(arrayId && aggregateId, submit.stdout);
    await cluster.waitFor([arrayId, aggregateId], WAIT_MS);
    console.log(`  ${SHARDS}-task array and aggregate done in ${seconds(started)} s from the start of Slurm`);

    assertCompleted(arrayId, SHARDS);
    assertCompleted(aggregateId, 1);
    const expected = jobChunks(loadJob(jobPath)).map((c) => `${c.id}.arrow`);
    const present = [...chunkFiles(out).keys()];
    for (const name of expected) assert.ok(present.includes(name), `${name} missing from ${out}: ${present.join(' ')}`);
    for (let i = 0; i < SHARDS; i++) {
      const log = readFileSync(join(project, `dtmc-${arrayId}_${i}.log`), 'utf8');
      assert.match(log, new RegExp(`shard ${i}/${SHARDS}:`), `task ${i}'s log:\n${log}`);
      assert.match(log, new RegExp(`on ${Math.min(2, availableParallelism())} worker\\(s\\)`), `task ${i}'s log (--cpus-per-task=2):\n${log}`);
      assert.match(log, /chunk\(s\) complete/, `task ${i}'s log:\n${log}`);
    }
    // The tasks leave the summary to the aggregate (--no-summary): it is the aggregate's.
    assert.ok(existsSync(join(out, 'summary.arrow')) && existsSync(join(out, 'summary.csv')), `no summary in ${out}`);
    const aggregateLog = readFileSync(join(project, `dtmc-aggregate-${aggregateId}.log`), 'utf8');
    assert.match(aggregateLog, /J mean ms/, aggregateLog);
    assert.match(aggregateLog, /summary\.csv/, aggregateLog);
  });

  t('a deleted chunk comes back when its index alone is resubmitted (sbatch --array=i), and no other chunk is rewritten', async () => {
    assert.ok(cluster && arrayId, 'the array did not run');
    const out = join(dir, 'out');
    const chunks = jobChunks(loadJob(jobPath));
    const victim = chunks[chunks.length - 3]!; // index 13: shard 13 mod 8 = 5, which also owns chunk 5
    const index = victim.index % SHARDS;
    const victimFile = join(out, 'chunks', `${victim.id}.arrow`);
    const before = new Map(chunks.map((c) => [c.id, statSync(join(out, 'chunks', `${c.id}.arrow`)).mtimeMs]));
    const bytes = readFileSync(victimFile);
    rmSync(victimFile);

    // The command of the array script's comment.
    const started = Date.now();
    const id = sbatch([`--array=${index}`, `--export=ALL,JOB=${jobPath},OUT=${out}`, 'jobs/examples/slurm-array.sbatch']);
    await cluster!.waitFor([id], WAIT_MS);
    assertCompleted(id, 1);
    console.log(`  index ${index} resubmitted alone: done in ${seconds(started)} s`);
    assert.ok(existsSync(victimFile), `${victim.id} was not redone by index ${index}`);
    assert.ok(readFileSync(victimFile).equals(bytes), `${victim.id} redone differs from the first`);
    for (const c of chunks) {
      if (c.id === victim.id) continue;
      assert.is(statSync(join(out, 'chunks', `${c.id}.arrow`)).mtimeMs, before.get(c.id), `${c.id} was rewritten by index ${index}`);
    }
    const log = readFileSync(join(project, `dtmc-${id}_${index}.log`), 'utf8');
    assert.match(log, /1 to run/, log);
  });

  t('every chunk file is byte-identical to a single-process dtmc run of the same job', () => {
    assert.ok(arrayId, 'the array did not run');
    const reference = join(dir, 'reference');
    const r = dtmc(['run', jobPath, '--out', reference, '--progress', 'log']);
    assert.is(r.status, 0, r.stderr);
    const mine = chunkFiles(join(dir, 'out'));
    const theirs = chunkFiles(reference);
    assert.equal([...mine.keys()], [...theirs.keys()]);
    for (const [name, b] of theirs) assert.ok(mine.get(name)!.equals(b), `${name} differs from the single-process run`);
  });

  t('a 1-based array of 4 one-CPU tasks (--array=1-4, DTMC_SHARDS=4, DTMC_SHARD_BASE=1) fills its folder with the same chunks', async () => {
    assert.ok(cluster, 'Slurm did not start');
    const out = join(dir, 'out-1-based');
    const started = Date.now();
    const id = sbatch(['--array=1-4', '--cpus-per-task=1', `--export=ALL,JOB=${jobPath},OUT=${out},DTMC_SHARDS=4,DTMC_SHARD_BASE=1`, 'jobs/examples/slurm-array.sbatch']);
    await cluster!.waitFor([id], WAIT_MS);
    assertCompleted(id, 4);
    console.log(`  1-based 4-task array: done in ${seconds(started)} s`);
    for (let task = 1; task <= 4; task++) {
      const log = readFileSync(join(project, `dtmc-${id}_${task}.log`), 'utf8');
      assert.match(log, new RegExp(`shard ${task - 1}/4:`), `task ${task}'s log:\n${log}`);
      assert.match(log, /on 1 worker\(s\)/, `task ${task}'s log (--cpus-per-task=1):\n${log}`);
    }
    const mine = chunkFiles(out);
    const theirs = chunkFiles(join(dir, 'out'));
    assert.equal([...mine.keys()], [...theirs.keys()]);
    for (const [name, b] of theirs) assert.ok(mine.get(name)!.equals(b), `${name} differs from the 0-based array's`);
  });

  t('an index outside the shards of DTMC_SHARDS (sbatch --array=8 with the default 8) fails, saying why, and writes no chunk', async () => {
    assert.ok(cluster, 'Slurm did not start');
    const out = join(dir, 'out-outside');
    const id = sbatch(['--array=8', `--export=ALL,JOB=${jobPath},OUT=${out}`, 'jobs/examples/slurm-array.sbatch']);
    await cluster!.waitFor([id], WAIT_MS);
    assert.equal(cluster!.states(id), { [`${id}_8`]: 'FAILED' });
    const log = readFileSync(join(project, `dtmc-${id}_8.log`), 'utf8');
    assert.match(log, /does not fit shards 0\.\.7 of DTMC_SHARDS=8/, log);
    assert.not.ok(existsSync(join(out, 'chunks')) && readdirSync(join(out, 'chunks')).some((f) => f.endsWith('.arrow')), `chunks written in ${out}`);
  });
}

t.run();
