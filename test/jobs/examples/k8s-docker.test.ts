/**
 * The Kubernetes example's image built for real (jobs/examples/Dockerfile on the bundle) and run
 * as the Indexed Job's pods run: the manifest's command as user 1000 with the pod's host name and
 * environment, a volume at /results. Needs a docker daemon and the base image (present, or pulled
 * from a registry; DTMC_DOCKER_BASE names another with Node 20 and a user 1000); skips, saying
 * why, without them.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { bundleDir } from '../../helpers/bundle.js';
import { commandOf, containerOf, EXAMPLES, exampleJobs } from '../../helpers/k8s-example.js';
import { tempDir } from '../../helpers/job-runs.js';

const BASE = process.env.DTMC_DOCKER_BASE ?? 'node:20-bookworm-slim';
const TAG = `dtmc-test:${process.pid}`;

const docker = (args: string[]): SpawnSyncReturns<string> => spawnSync('docker', args, { encoding: 'utf8', timeout: 600_000 });

/** Why the test cannot run here, or null. */
function skipReason(): string | null {
  const info = docker(['info', '--format', '{{.ServerVersion}}']);
  if (info.error || info.status !== 0) return `no docker daemon (${(info.error?.message ?? info.stderr).trim().split('\n')[0]})`;
  if (docker(['image', 'inspect', BASE]).status !== 0 && docker(['pull', BASE]).status !== 0) return `the base image ${BASE} is not here and cannot be pulled`;
  return null;
}

const reason = skipReason();

if (reason) {
  test('the image builds and runs the Indexed Job\'s pods (docker)', () => console.log(`  skipped: ${reason}`));
} else {
  test.after(() => void docker(['rmi', '--force', TAG]));

  test('the image builds from the bundle and runs the Indexed Job\'s pods as user 1000 on the volume', () => {
    const built = docker(['build', '--network', 'host', '--platform', 'linux/amd64', '--build-arg', `NODE_IMAGE=${BASE}`,
      '-f', join(EXAMPLES, 'Dockerfile'), '-t', TAG, bundleDir()]);
    assert.is(built.status, 0, built.stderr);
    const doctor = docker(['run', '--rm', TAG]);
    assert.is(doctor.status, 0, `dtmc doctor in the image: ${doctor.stderr}`);
    const { indexed } = exampleJobs();
    const volume = tempDir('k8s-volume');
    chmodSync(volume, 0o777); // as fsGroup makes it writable for the pod's group
    const security = indexed.spec!.template.spec!.securityContext!;
    const pod = (index: number, command: string[]) => docker(['run', '--rm', '--user', `${security.runAsUser}:${security.runAsGroup}`,
      '--hostname', `${indexed.metadata!.name}-${index}`, '-e', `JOB_COMPLETION_INDEX=${index}`,
      '-e', `DTMC_WORKERS=${containerOf(indexed).resources!.requests!.cpu}`, '-v', `${volume}:/results`, '--entrypoint', '', TAG, ...command]);
    const plan = pod(3, [...commandOf(indexed), '--dry-run']);
    assert.is(plan.status, 0, plan.stderr);
    assert.match(plan.stdout, new RegExp(`shard 3/${indexed.spec!.completions}\\b`));
    // A real run on the volume: the smoke job, same command otherwise (Fig. 2 takes minutes).
    const smoke = commandOf(indexed).map((a) => a.replace(/jobs\/fig2\.json$/, 'jobs/smoke.json'));
    for (let i = 0; i < indexed.spec!.completions!; i++) {
      const r = pod(i, smoke);
      assert.is(r.status, 0, `pod ${i}: ${r.stderr}`);
    }
    assert.ok(existsSync(join(volume, 'fig2', 'summary.arrow')), 'the last pod summarised the folder');
  });
}

test.run();
