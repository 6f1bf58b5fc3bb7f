import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { findVulkan } from '../../cli/doctor-command.js';
import { cpuBudget } from '../../jobs/cpu-budget.js';
import { cleanEnv, dtmc } from '../helpers/job-runs.js';
import { hardwareGpu, skipOnGpu } from '../helpers/hardware-gpu.js';

test('doctor reports every backend, with what to install for those that cannot start', () => {
  const r = dtmc(['doctor', '--json']);
  assert.is(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.backends.map((b: { backend: string }) => b.backend), ['wasm', 'cpu', 'webgpu', 'tensorflow']);
  const wasm = report.backends[0];
  assert.is(wasm.ok, true);
  for (const b of report.backends) {
    if (!b.ok) assert.ok(b.fix.length > 20, `${b.backend}: a fix is named`);
  }
  const webgpu = report.backends[2];
  assert.is(webgpu.ok, report.adapter !== null, 'webgpu starts exactly when an adapter is found');
  assert.ok(report.cores >= 1 && typeof report.node === 'string');
  const text = dtmc(['doctor']);
  assert.is(text.status, 0);
  assert.match(text.stdout, /backend\s+starts\s+detail/);
  assert.match(text.stdout, /Vulkan loader: /);
});

test('doctor says which engine auto picks and why: float64 where there is no hardware GPU', async () => {
  const r = dtmc(['doctor', '--json']);
  assert.is(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  const gpu = await hardwareGpu();
  if (gpu) {
    skipOnGpu('doctor reports auto: float64', gpu);
    assert.is(report.auto.engine, 'webgpu');
    return;
  }
  assert.is(report.auto.engine, 'float64');
  if (report.adapter) {
    assert.is(report.adapter.kind, 'software');
    assert.match(report.auto.reason, /^the WebGPU adapter found is a software one: /);
  } else {
    assert.match(report.auto.reason, /no WebGPU adapter|did not load/);
  }
  const text = dtmc(['doctor']);
  assert.match(text.stdout, new RegExp(`^auto: float64 path on ${cpuBudget({ env: cleanEnv() }).count} core\\(s\\) \\(`, 'm'));
});

test('doctor shows the CPUs for automatic thread counts and which limit set them', () => {
  const budget = cpuBudget({ env: cleanEnv() });
  const r = dtmc(['doctor', '--json']);
  assert.equal(JSON.parse(r.stdout).cpuBudget, budget);
  const text = dtmc(['doctor']);
  assert.match(text.stdout, new RegExp(`^CPUs for automatic thread counts \\(workers "auto", solve --batch\\): ${budget.count}, `, 'm'));
  const slurm = dtmc(['doctor'], { SLURM_CPUS_PER_TASK: '1' });
  const by = budget.count > 1 ? 'SLURM_CPUS_PER_TASK' : 'the affinity mask';
  assert.match(slurm.stdout, new RegExp(`^CPUs for automatic thread counts \\(workers "auto", solve --batch\\): 1, ${by}$`, 'm'));
});

test('VK_DRIVER_FILES names the Vulkan drivers doctor looks at', () => {
  assert.equal(findVulkan({ VK_DRIVER_FILES: '/nonexistent/icd.json' }).icds, []);
  assert.equal(findVulkan({ VK_DRIVER_FILES: `${process.execPath}` }).icds, [process.execPath]);
});

test.run();
