/**
 * The tensor engine on the webgpu backend (Dawn through the `webgpu` package). Where no GPU
 * adapter is found (CI, this project's build machines) every test here skips with the reason
 * printed; on a machine with a Vulkan-capable GPU the same tests run for real.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveSettings } from '../../engine/settings.js';
import { toProblem } from '../../engine/problem.js';
import { generateScenario } from '../../engine/scenario.js';
import { solveAo } from '../../engine/ao/solve-ao.js';
import { findWebGpuAdapter, useBackend } from '../../kernels/backend.js';
import { solveAoBatch } from '../../kernels/solve-ao-batch.js';
import { testBackend } from '../helpers/tf-backend.js';

let skipReason = '';

test.before(async () => {
  const { adapter, reason } = await findWebGpuAdapter();
  if (!adapter) skipReason = reason;
});

test('the batched AO on webgpu agrees with the float64 reference', async () => {
  if (skipReason) {
    console.log(`  skipped (webgpu): ${skipReason}`);
    return;
  }
  await useBackend('webgpu');
  try {
    const settings = resolveSettings({});
    const problems = Array.from({ length: 200 }, (_, r) => toProblem(generateScenario(settings, { seed: 41, point: null, realisation: r }), settings));
    const batch = await solveAoBatch(problems);
    let close = 0;
    problems.forEach((p, n) => {
      const ref = solveAo(p);
      if (Math.abs(batch[n].objectiveMs - ref.objectiveMs) <= 1e-3 * ref.objectiveMs) close++;
      assert.ok(batch[n].maxViolation <= 1e-4, `realisation ${n}: violation ${batch[n].maxViolation}`);
    });
    assert.ok(close >= 199, `${close}/200 within 1e-3 of the float64 J`);
  } finally {
    await testBackend();
  }
});

test.run();
