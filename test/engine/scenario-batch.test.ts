import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveSettings } from '../../engine/settings.js';
import { toProblem } from '../../engine/problem.js';
import { generateScenario } from '../../engine/scenario.js';
import { drawProblemColumns, problemViews } from '../../engine/scenario-batch.js';
import { createDrawPool } from '../../jobs/draw-pool.js';

test('columns hold exactly what toProblem(generateScenario(...)) gives, realisation by realisation', () => {
  const settings = resolveSettings({ M: 7, etaMinCyclesPerByte: 150 });
  for (const point of [null, 3]) {
    const views = problemViews(drawProblemColumns(settings, 17, point, 40, 25));
    views.forEach((p, i) => {
      const ref = toProblem(generateScenario(settings, { seed: 17, point, realisation: 40 + i }), settings);
      assert.equal(Array.from(p.cPerW), Array.from(ref.cPerW), `realisation ${40 + i}: gain`);
      assert.equal(Array.from(p.cyclesMc), Array.from(ref.cyclesMc));
      assert.equal(Array.from(p.bitsKbit), Array.from(ref.bitsKbit));
      assert.equal(p.params, ref.params);
      assert.is(p.params, views[0].params, 'one shared parameter object');
    });
  }
});

test('the draw pool on two threads gives the same realisations as drawing inline', async () => {
  const settings = resolveSettings({});
  const pool = createDrawPool(2);
  try {
    const pooled = await pool.draw(settings, 5, null, 1000, 2500);
    const inline = problemViews(drawProblemColumns(settings, 5, null, 1000, 2500));
    assert.is(pooled.length, 2500);
    pooled.forEach((p, i) => assert.equal(Array.from(p.cPerW), Array.from(inline[i].cPerW), `realisation ${1000 + i}`));
    assert.ok(pooled.every((p) => p.params === pooled[0].params), 'one shared parameter object');
  } finally {
    await pool.close();
  }
});

test.run();
