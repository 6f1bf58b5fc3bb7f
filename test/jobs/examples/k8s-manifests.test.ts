/**
 * The Kubernetes example (jobs/examples/*.yaml): every manifest valid against the Kubernetes
 * batch/v1 and core/v1 schemas, offline (test/helpers/k8s-schema.ts), with planted mistakes
 * rejected; and the manifests consistent with each other and with dtmc: the command parses as
 * `dtmc run --dry-run` in this repository, shards = completions, one volume at one path, the
 * aggregate reads the run's folder, the retry runs the same command for one index.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IJob } from 'kubernetes-models/batch/v1';
import { schemaErrors, unknownFieldErrors } from '../../helpers/k8s-schema.js';
import { commandOf, containerOf, EXAMPLES, exampleJobs, exampleManifests, flagValue, RETRY_INDEX } from '../../helpers/k8s-example.js';
import { dtmc, ROOT, tempDir } from '../../helpers/job-runs.js';

/** Where the image keeps the bundle (the Dockerfile's WORKDIR; k8s-image.test.ts checks it). */
const IMAGE_HOME = '/opt/dtmc';

/** A copy of `doc` with the value at `path` replaced (undefined: the key removed). */
function withValue(doc: object, path: (string | number)[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(doc) as Record<string, unknown>;
  let at = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (value === undefined) delete at[last];
  else at[last] = value;
  return copy;
}

test('every manifest in jobs/examples validates against its Kubernetes schema, unknown fields included', async () => {
  const ms = exampleManifests();
  assert.equal(ms.map((m) => `${m.file} ${m.doc.apiVersion} ${m.doc.kind}`).sort(), [
    'aggregate-job.yaml batch/v1 Job', 'indexed-job.yaml batch/v1 Job', 'results-pvc.yaml v1 PersistentVolumeClaim', 'retry-index-job.yaml batch/v1 Job',
  ]);
  for (const m of ms) assert.equal(await schemaErrors(m), [], m.file);
  assert.equal(unknownFieldErrors(ms), []);
});

test('the schema rejects values of the wrong type, also in podFailurePolicy and backoffLimitPerIndex', async () => {
  const { indexed, pvc } = exampleJobs();
  const cases: [Record<string, unknown>, RegExp][] = [
    [withValue(indexed, ['spec', 'completions'], '8'), /data\/spec\/completions must be integer/],
    [withValue(indexed, ['spec', 'backoffLimitPerIndex'], 'two'), /data\/spec\/backoffLimitPerIndex must be integer/],
    [withValue(indexed, ['spec', 'podFailurePolicy', 'rules', 0, 'action'], 'Retry'), /data\/spec\/podFailurePolicy\/rules\/0\/action must be equal to one of the allowed values/],
    [withValue(indexed, ['spec', 'podFailurePolicy', 'rules', 0, 'onExitCodes', 'values'], ['2']), /data\/spec\/podFailurePolicy\/rules\/0\/onExitCodes\/values\/0 must be integer/],
    [withValue(indexed, ['spec', 'template', 'spec', 'containers'], {}), /data\/spec\/template\/spec\/containers must be array/],
    [withValue(pvc, ['spec', 'accessModes'], 'ReadWriteMany'), /data\/spec\/accessModes must be array/],
  ];
  for (const [doc, expected] of cases) {
    const errors = await schemaErrors({ file: 'planted', doc });
    assert.ok(errors.some((e) => expected.test(e)), `expected ${expected}, got ${JSON.stringify(errors)}`);
  }
  assert.match((await schemaErrors({ file: 'planted', doc: { apiVersion: 'batch/v1', kind: 'Jobb' } }))[0], /has no Jobb/);
});

test('a field the API does not have is rejected, at any depth', () => {
  const { indexed, pvc } = exampleJobs();
  const spec = indexed.spec!;
  const errors = unknownFieldErrors([
    { file: 'typo', doc: withValue(withValue(indexed, ['spec', 'backoffLimitPerIndex'], undefined), ['spec', 'backoffLimitPerIndx'], spec.backoffLimitPerIndex) },
    { file: 'deep', doc: withValue(indexed, ['spec', 'template', 'spec', 'containers', 0, 'resources', 'request'], { cpu: '4' }) },
    { file: 'claim', doc: withValue(pvc, ['spec', 'size'], '2Gi') },
  ]);
  assert.ok(errors.some((e) => /^typo: .*'"backoffLimitPerIndx"' does not exist/.test(e)), errors.join('\n'));
  assert.ok(errors.some((e) => /^deep: .*'"request"' does not exist/.test(e)), errors.join('\n'));
  assert.ok(errors.some((e) => /^claim: .*'"size"' does not exist/.test(e)), errors.join('\n'));
});

test('the Indexed Job runs shard i of completions with --shard auto, each index retried alone', () => {
  const { indexed } = exampleJobs();
  const spec = indexed.spec!;
  const command = commandOf(indexed);
  assert.is(spec.completionMode, 'Indexed');
  assert.is(flagValue(command, '--shard'), 'auto');
  assert.is(Number(flagValue(command, '--shards')), spec.completions, '--shards equals completions');
  assert.ok(spec.parallelism! >= 1 && spec.parallelism! <= spec.completions!);
  assert.ok(spec.backoffLimitPerIndex! >= 1);
  // --break-lock is safe only while no two pods of one index run at once.
  assert.ok(command.includes('--break-lock'));
  assert.is(spec.podReplacementPolicy, 'Failed');
});

test('every Job fails at once on exit 2, ignores disruptions and restarts nothing in place', () => {
  for (const job of exampleJobs().jobs) {
    const name = job.metadata?.name;
    assert.is(job.spec!.template.spec!.restartPolicy, 'Never', name);
    const rules = job.spec!.podFailurePolicy?.rules ?? [];
    assert.ok(rules.some((r) => r.action === 'FailJob' && r.onExitCodes?.containerName === containerOf(job).name
      && r.onExitCodes.operator === 'In' && r.onExitCodes.values.includes(2)), `${name}: FailJob on exit 2`);
    assert.ok(rules.some((r) => r.action === 'Ignore' && r.onPodConditions?.some((c) => c.type === 'DisruptionTarget')), `${name}: Ignore DisruptionTarget`);
    assert.not.ok(rules.some((r) => r.onExitCodes?.values.some((v) => v === 130 || v === 143 || v === 4) && r.action === 'FailJob'), `${name}: 4, 130, 143 are retried`);
  }
});

test('the workers follow the CPU request, and requests equal limits', () => {
  for (const job of exampleJobs().jobs) {
    const c = containerOf(job);
    const name = job.metadata?.name;
    assert.equal(c.resources?.requests, c.resources?.limits, `${name}: requests = limits`);
    assert.ok(c.resources?.requests?.cpu !== undefined && c.resources.requests.memory !== undefined, `${name}: cpu and memory requested`);
    if (commandOf(job)[1] !== 'run') continue;
    const workers = c.env?.find((e) => e.name === 'DTMC_WORKERS');
    const ref = workers?.valueFrom?.resourceFieldRef;
    assert.ok(ref, `${name}: DTMC_WORKERS from the downward API`);
    assert.is(ref!.containerName, c.name);
    assert.is(ref!.resource, 'requests.cpu');
    assert.is(String(ref!.divisor), '1');
    assert.ok(Number.isInteger(Number(c.resources!.requests!.cpu)), `${name}: a whole number of CPUs, one worker each`);
  }
});

test('the Jobs share the PVC at one path, run into one folder, and aggregate reads it', () => {
  const { indexed, aggregate, retry, pvc, jobs } = exampleJobs();
  assert.ok(pvc.spec!.accessModes!.includes('ReadWriteMany'));
  const mountOf = (job: IJob): string => {
    const spec = job.spec!.template.spec!;
    const volume = spec.volumes!.find((v) => v.persistentVolumeClaim !== undefined)!;
    assert.is(volume.persistentVolumeClaim!.claimName, pvc.metadata!.name, `${job.metadata?.name}: the claim`);
    const mount = containerOf(job).volumeMounts!.find((m) => m.name === volume.name);
    assert.ok(mount && !mount.readOnly, `${job.metadata?.name}: the volume mounted writable`);
    return mount!.mountPath;
  };
  const mounts = new Set(jobs.map(mountOf));
  assert.is(mounts.size, 1, `one mount path, got ${[...mounts].join(', ')}`);
  const out = flagValue(commandOf(indexed), '--out')!;
  assert.ok(out.startsWith(`${[...mounts][0]}/`), `--out ${out} is on the volume`);
  assert.equal(commandOf(aggregate).slice(1), ['aggregate', out]);
  assert.is(flagValue(commandOf(retry), '--out'), out);
  assert.is(new Set(jobs.map((j) => containerOf(j).image)).size, 1, 'one image');
});

test('the retry Job runs the Indexed Job\'s command for one index', () => {
  const { indexed, retry } = exampleJobs();
  const withoutShard = (command: string[]): string[] => command.filter((_, i) => !['--shard', '--shards'].includes(command[i]) && !['--shard', '--shards'].includes(command[i - 1]));
  assert.equal(withoutShard(commandOf(retry)), withoutShard(commandOf(indexed)));
  assert.is(flagValue(commandOf(retry), '--shard'), `${RETRY_INDEX}/${indexed.spec!.completions}`);
  assert.is(retry.metadata!.name, `${indexed.metadata!.name}-retry-${RETRY_INDEX}`);
  assert.equal(containerOf(retry).env, containerOf(indexed).env);
  assert.equal(containerOf(retry).resources, containerOf(indexed).resources);
});

test('the run commands parse as dtmc run --dry-run in this repository, with the shard a pod gets', () => {
  const { indexed, retry } = exampleJobs();
  const results = tempDir('k8s-results');
  const local = (command: string[]): string[] => {
    assert.is(command[0], `${IMAGE_HOME}/dtmc`, 'the bundle\'s launcher');
    return command.slice(1).map((a) => a.replace(`${IMAGE_HOME}/`, `${ROOT}/`).replace(/^\/results\//, `${results}/`));
  };
  const args = local(commandOf(indexed));
  const jobFile = args[1];
  assert.ok(existsSync(jobFile), `${jobFile} exists`);
  const plan = dtmc([...args, '--dry-run'], { JOB_COMPLETION_INDEX: String(RETRY_INDEX), DTMC_WORKERS: '4' });
  assert.is(plan.status, 0, plan.stderr);
  const total = Number(/(\d+) chunk\(s\) of up to/.exec(plan.stdout)?.[1]);
  const count = indexed.spec!.completions!;
  const mine = Array.from({ length: total }, (_, i) => i).filter((i) => i % count === RETRY_INDEX).length;
  assert.ok(total > 0 && mine > 0);
  assert.match(plan.stdout, new RegExp(`shard ${RETRY_INDEX}/${count}\\b[^\\n]*: ${mine} chunk\\(s\\)`));
  const again = dtmc([...local(commandOf(retry)), '--dry-run']);
  assert.is(again.status, 0, again.stderr);
  assert.match(again.stdout, new RegExp(`shard ${RETRY_INDEX}/${count}\\b[^\\n]*: ${mine} chunk\\(s\\)`));
  assert.not.ok(existsSync(join(results, 'fig2')), 'a dry run writes nothing');
});

test('the commands in the README and the examples\' comments name files, Jobs and the image that exist', () => {
  const { jobs } = exampleJobs();
  const names = new Set(jobs.map((j) => j.metadata!.name!));
  const image = containerOf(jobs[0]).image;
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = /#### Kubernetes\n[\s\S]*?(?=\n## )/.exec(readme)?.[0];
  assert.ok(section, 'README has a Kubernetes section');
  const comments = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml') || f === 'Dockerfile')
    .map((f) => readFileSync(join(EXAMPLES, f), 'utf8').split('\n').filter((l) => l.startsWith('#')).join('\n'));
  for (const text of [section!, ...comments]) {
    for (const [, file] of text.matchAll(/(?<![\w/])(jobs\/examples\/[\w.-]+)/g)) assert.ok(existsSync(join(ROOT, file)), `${file} exists`);
    for (const [, name] of text.matchAll(/(?:job\/|job-name=)([\w-]+)/g)) assert.ok(names.has(name), `Job ${name} is in the manifests`);
    for (const [, tag] of text.matchAll(/(?: -t |kind load docker-image |docker tag )([^\s`)]+)/g)) assert.is(tag, image, 'the image the manifests name');
    const bundle = /bash scripts\/bundle\.sh (\S+)/.exec(text)?.[1];
    if (bundle) assert.match(text, new RegExp(`docker build .* ${bundle.replace(/[.]/g, '\\.')}\n`), 'docker builds from that bundle');
  }
});

test.run();
