/**
 * jobs/cpu-budget.ts: the CPUs for automatic thread counts from the affinity mask, fake cgroup v1
 * and v2 trees in a temporary folder, and SLURM_CPUS_PER_TASK; a job's worker count by precedence.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cgroupCpuLimit, cpuBudget, workerChoice } from '../../jobs/cpu-budget.js';
import { expectFailure } from '../helpers/expect-failure.js';

/** A fake /proc and /sys/fs/cgroup: `files` maps paths under the temporary root to their text. */
function fakeHost(files: Record<string, string>): { procRoot: string; cgroupRoot: string } {
  const root = mkdtempSync(join(tmpdir(), 'dtmc-cpus-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  mkdirSync(join(root, 'sys'), { recursive: true });
  return { procRoot: join(root, 'proc'), cgroupRoot: join(root, 'sys') };
}

const V2_SELF = { 'proc/self/cgroup': '0::/kubepods/pod1/c1\n', 'sys/cgroup.controllers': 'cpu memory\n' };

test('cgroup v2: the cpu.max of the process\'s cgroup, ceil(quota / period)', () => {
  const host = fakeHost({ ...V2_SELF, 'sys/kubepods/pod1/c1/cpu.max': '250000 100000\n' });
  const limit = cgroupCpuLimit(host.procRoot, host.cgroupRoot);
  assert.is(limit?.count, 3);
  assert.is(limit?.source, join(host.cgroupRoot, 'kubepods/pod1/c1/cpu.max'));
});

test('cgroup v2: the least limit over the cgroup and its parents; "max" is no limit', () => {
  const host = fakeHost({ ...V2_SELF, 'sys/kubepods/pod1/c1/cpu.max': 'max 100000\n', 'sys/kubepods/pod1/cpu.max': '150000 100000\n', 'sys/kubepods/cpu.max': '400000 100000\n' });
  assert.equal(cgroupCpuLimit(host.procRoot, host.cgroupRoot), { count: 2, source: join(host.cgroupRoot, 'kubepods/pod1/cpu.max') });
  const none = fakeHost({ ...V2_SELF, 'sys/kubepods/pod1/c1/cpu.max': 'max 100000\n' });
  assert.is(cgroupCpuLimit(none.procRoot, none.cgroupRoot), null);
});

test('cgroup v2: a quota below one CPU counts as 1', () => {
  const host = fakeHost({ ...V2_SELF, 'sys/kubepods/pod1/c1/cpu.max': '50000 100000\n' });
  assert.is(cgroupCpuLimit(host.procRoot, host.cgroupRoot)?.count, 1);
});

test('cgroup v2 in a container whose cgroup is the mount\'s root ("0::/")', () => {
  const host = fakeHost({ 'proc/self/cgroup': '0::/\n', 'sys/cgroup.controllers': 'cpu\n', 'sys/cpu.max': '200000 100000\n' });
  assert.is(cgroupCpuLimit(host.procRoot, host.cgroupRoot)?.count, 2);
});

test('cgroup v1: cpu.cfs_quota_us / cpu.cfs_period_us under the cpu controller\'s mount; -1 is no limit', () => {
  const self = '4:memory:/slurm/uid_0/job_7\n3:cpu,cpuacct:/slurm/uid_0/job_7/step_0\n0::/\n';
  const host = fakeHost({
    'proc/self/cgroup': self,
    'sys/cpu,cpuacct/slurm/uid_0/job_7/step_0/cpu.cfs_quota_us': '-1\n', 'sys/cpu,cpuacct/slurm/uid_0/job_7/step_0/cpu.cfs_period_us': '100000\n',
    'sys/cpu,cpuacct/slurm/uid_0/job_7/cpu.cfs_quota_us': '400000\n', 'sys/cpu,cpuacct/slurm/uid_0/job_7/cpu.cfs_period_us': '100000\n',
    'sys/cpu,cpuacct/cpu.cfs_quota_us': '-1\n', 'sys/cpu,cpuacct/cpu.cfs_period_us': '100000\n',
  });
  assert.equal(cgroupCpuLimit(host.procRoot, host.cgroupRoot), { count: 4, source: join(host.cgroupRoot, 'cpu,cpuacct/slurm/uid_0/job_7/cpu.cfs_quota_us') });
});

test('cgroup v1 mounted as "cpu" while /proc/self/cgroup says "cpu,cpuacct"', () => {
  const host = fakeHost({ 'proc/self/cgroup': '2:cpu,cpuacct:/\n', 'sys/cpu/cpu.cfs_quota_us': '150000', 'sys/cpu/cpu.cfs_period_us': '100000' });
  assert.is(cgroupCpuLimit(host.procRoot, host.cgroupRoot)?.count, 2);
});

test('no /proc/self/cgroup or no cgroup file system: no limit', () => {
  const host = fakeHost({});
  assert.is(cgroupCpuLimit(host.procRoot, host.cgroupRoot), null);
  const v2NoFiles = fakeHost({ 'proc/self/cgroup': '0::/a/b\n' });
  assert.is(cgroupCpuLimit(v2NoFiles.procRoot, v2NoFiles.cgroupRoot), null);
});

test('the budget is the least of the affinity mask, the cgroup limit and SLURM_CPUS_PER_TASK, naming it', () => {
  const host = fakeHost({ ...V2_SELF, 'sys/kubepods/pod1/c1/cpu.max': '300000 100000\n' });
  assert.equal(cpuBudget({ ...host, affinity: 8, env: {} }), { count: 3, source: `the cgroup CPU limit (${join(host.cgroupRoot, 'kubepods/pod1/c1/cpu.max')})` });
  assert.equal(cpuBudget({ ...host, affinity: 2, env: {} }), { count: 2, source: 'the affinity mask' });
  assert.equal(cpuBudget({ ...host, affinity: 8, env: { SLURM_CPUS_PER_TASK: '2' } }), { count: 2, source: 'SLURM_CPUS_PER_TASK' });
  assert.equal(cpuBudget({ ...fakeHost({}), affinity: 16, env: {} }).count, 16);
});

test('a malformed SLURM_CPUS_PER_TASK is a named error', () => {
  const host = fakeHost({});
  expectFailure(() => cpuBudget({ ...host, affinity: 4, env: { SLURM_CPUS_PER_TASK: 'four' } }), 'invalid-argument', /^SLURM_CPUS_PER_TASK must be an integer >= 1, got "four"$/);
  expectFailure(() => cpuBudget({ ...host, affinity: 4, env: { SLURM_CPUS_PER_TASK: '0' } }), 'invalid-argument', /got "0"/);
});

test('workers: --workers, then DTMC_WORKERS, then the job\'s number, then the CPU budget', () => {
  const host = { ...fakeHost({}), affinity: 6 };
  assert.equal(workerChoice(3, 5, 256, { ...host, env: { DTMC_WORKERS: '4' } }), { count: 3, source: '--workers' });
  assert.equal(workerChoice(undefined, 5, 256, { ...host, env: { DTMC_WORKERS: '4' } }), { count: 4, source: 'DTMC_WORKERS' });
  assert.equal(workerChoice(undefined, 5, 256, { ...host, env: {} }), { count: 5, source: 'the job\'s "workers"' });
  assert.equal(workerChoice(undefined, 'auto', 256, { ...host, env: {} }), { count: 6, source: 'auto: the affinity mask' });
  assert.equal(workerChoice(undefined, 'auto', 256, { ...host, env: { SLURM_CPUS_PER_TASK: '2' } }), { count: 2, source: 'auto: SLURM_CPUS_PER_TASK' });
});

test('a malformed DTMC_WORKERS is a named error, checked even when the job names a count', () => {
  const host = { ...fakeHost({}), affinity: 2 };
  expectFailure(() => workerChoice(undefined, 4, 256, { ...host, env: { DTMC_WORKERS: 'auto' } }), 'invalid-argument', /^DTMC_WORKERS must be an integer in \[1, 256\], got "auto"$/);
  expectFailure(() => workerChoice(undefined, 'auto', 256, { ...host, env: { DTMC_WORKERS: '300' } }), 'invalid-argument', /got "300"/);
});

test.run();
