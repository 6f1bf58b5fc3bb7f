/**
 * The Kubernetes example's image (jobs/examples/Dockerfile), checked without a container engine:
 * what it copies is what scripts/bundle.sh produces, the paths the manifests run are in it, its
 * user is the manifests' user, and the bundle's launcher, run as the pods run it (the working
 * folder, the environment Kubernetes sets, a stale lock from a killed pod), fills one folder that
 * the aggregate Job's command summarises. Building the image itself needs docker and the base
 * image from a registry, which the tests do not assume.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { IJob } from 'kubernetes-models/batch/v1';
import { bundleDir } from '../../helpers/bundle.js';
import { commandOf, contextPathOf, containerOf, exampleJobs, imageLayout } from '../../helpers/k8s-example.js';
import { tempDir } from '../../helpers/job-runs.js';
import { lockName } from '../../../output/job-folder.js';

/** The mount path of the results volume in the manifests (k8s-manifests.test.ts checks they agree). */
const RESULTS = '/results';

/** A manifest's command with the image's paths as the bundle's and the volume as `results`. */
function onThisHost(command: string[], bundle: string, results: string): string[] {
  const { copies } = imageLayout();
  return command.map((a) => {
    if (a.startsWith(`${RESULTS}/`)) return join(results, a.slice(RESULTS.length + 1));
    if (!a.startsWith('/')) return a;
    const from = contextPathOf(a, copies, bundle);
    assert.ok(from !== undefined, `${a} is not copied into the image`);
    return join(bundle, from!);
  });
}

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `command` (a path and its arguments) as a pod's container: in the WORKDIR, with `env` only. */
function podRun(command: string[], cwd: string, env: Record<string, string>): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn(command[0], command.slice(1), { cwd, env: { PATH: process.env.PATH ?? '', HOME: cwd, ...env }, timeout: 120_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test('what the Dockerfile copies is in the bundle, with every path the manifests run', () => {
  const bundle = bundleDir();
  const layout = imageLayout();
  assert.ok(layout.copies.length > 0);
  for (const { source } of layout.copies) assert.ok(existsSync(join(bundle, source)), `COPY ${source}: not in the bundle`);
  const { jobs } = exampleJobs();
  const entry = layout.entrypoint ?? [];
  for (const path of [...entry, ...jobs.flatMap(commandOf)].filter((a) => a.startsWith('/') && !a.startsWith(`${RESULTS}/`))) {
    const from = contextPathOf(path, layout.copies, bundle);
    assert.ok(from !== undefined && existsSync(join(bundle, from)), `${path} is not in the image`);
  }
  for (const job of jobs) {
    const launcher = join(bundle, contextPathOf(commandOf(job)[0], layout.copies, bundle)!);
    accessSync(launcher, constants.X_OK);
    assert.is(commandOf(job)[0], entry[0], `${job.metadata?.name} runs the image's entrypoint`);
  }
  assert.is(layout.workdir && contextPathOf(layout.workdir, layout.copies, bundle), '.', 'WORKDIR is the bundle');
});

test('the image\'s user is the user the pods run as and the volume\'s group', () => {
  const [uid, gid] = (imageLayout().user ?? '').split(':').map(Number);
  assert.ok(uid > 0 && gid > 0, 'a numeric user, not root, so that runAsNonRoot can check it');
  for (const job of exampleJobs().jobs) {
    const security = job.spec!.template.spec!.securityContext!;
    assert.equal([security.runAsUser, security.runAsGroup, security.fsGroup, security.runAsNonRoot], [uid, gid, gid, true], job.metadata?.name);
  }
});

test('the bundle runs the Indexed Job as its pods would, and the aggregate Job\'s command summarises the folder', async () => {
  const bundle = bundleDir();
  const workdir = join(bundle, contextPathOf(imageLayout().workdir!, imageLayout().copies, bundle)!);
  const { indexed, aggregate } = exampleJobs();
  const results = tempDir('k8s-pods');
  // Fig. 2 takes minutes on a few CPUs; the smoke job has the same form and 8 chunks, one a pod.
  const run = onThisHost(commandOf(indexed), bundle, results).map((a) => a.replace(/jobs\/fig2\.json$/, 'jobs/smoke.json'));
  assert.ok(run.some((a) => a.endsWith('jobs/smoke.json')), 'the run command names a job file');
  const out = run[run.indexOf('--out') + 1];
  // Pod 3 was OOMKilled: its lock is left, and its replacement has its host name and a live pid.
  const count = indexed.spec!.completions!;
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, lockName({ index: 3, count })), `${JSON.stringify({
    user: 'node', host: hostname(), pid: process.pid, startedAt: new Date(0).toISOString(), jobName: 'smoke', jobHash: '?', shard: `3/${count}`, token: 'killed',
  })}\n`);
  // DTMC_WORKERS as the downward API sets it, but 1: eight pods of 4 workers would crowd this host.
  assert.ok(Number(containerOf(indexed).resources!.requests!.cpu) >= 1);
  const pods = await Promise.all(Array.from({ length: count }, (_, i) => podRun(run, workdir, { JOB_COMPLETION_INDEX: String(i), DTMC_WORKERS: '1' })));
  pods.forEach((p, i) => assert.is(p.code, 0, `pod ${i}: ${p.stderr}`));
  assert.match(pods[3].stderr + pods[3].stdout, /--break-lock: removing the lock/);
  const summary = await podRun(onThisHost(commandOf(aggregate), bundle, results), workdir, {});
  assert.is(summary.code, 0, summary.stderr);
  assert.ok(existsSync(join(out, 'summary.arrow')) && existsSync(join(out, 'summary.csv')));
  // The same chunks as one unsharded run, byte for byte.
  const single = join(results, 'single');
  const one = spawnSync(join(bundle, 'dtmc'), ['run', join(bundle, 'jobs', 'smoke.json'), '--out', single, '--progress', 'none'], { cwd: workdir, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: workdir } });
  assert.is(one.status, 0, one.stderr);
  const chunks = (dir: string): string[] => readdirSync(join(dir, 'chunks')).sort();
  assert.equal(chunks(out), chunks(single));
  for (const f of chunks(single)) assert.ok(readFileSync(join(out, 'chunks', f)).equals(readFileSync(join(single, 'chunks', f))), `chunks/${f} differs`);
});

test('a pod with bad input exits 2, which the podFailurePolicy does not retry', async () => {
  const bundle = bundleDir();
  const { indexed } = exampleJobs();
  const run = onThisHost(commandOf(indexed), bundle, tempDir('k8s-bad'));
  const noIndex = await podRun(run, bundle, {});
  assert.is(noIndex.code, 2, 'no JOB_COMPLETION_INDEX');
  const outside = await podRun(run, bundle, { JOB_COMPLETION_INDEX: String(indexed.spec!.completions) });
  assert.is(outside.code, 2, 'an index outside 0..completions-1');
  assert.match(outside.stderr, /JOB_COMPLETION_INDEX/);
  const failJob = (job: IJob): number[] => job.spec!.podFailurePolicy!.rules.filter((r) => r.action === 'FailJob').flatMap((r) => r.onExitCodes?.values ?? []);
  assert.ok(failJob(indexed).includes(2));
});

test.run();
