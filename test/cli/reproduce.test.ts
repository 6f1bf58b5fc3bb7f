/**
 * `dtmc reproduce all` on a small number of realisations: one command runs every shipped job,
 * aggregates and plots them, the letter's orderings hold, and the joint jobs pair each joint point
 * with its AO point.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC, type Table } from 'apache-arrow';
import { dtmc, tempDir } from '../helpers/job-runs.js';

let root = '';
const summary = (figure: string): Table => tableFromIPC(readFileSync(join(root, `${figure}-r60`, 'summary.arrow')));
/** Mean J by the point's swept values. */
const meanJ = (t: Table, key: (row: number) => string): Map<string, number> => {
  const m = new Map<string, number>();
  for (let r = 0; r < t.numRows; r++) m.set(key(r), t.getChild('objective_mean_ms')!.get(r) as number);
  return m;
};

test.before(() => {
  root = tempDir('reproduce');
  const r = dtmc(['reproduce', 'all', '--realisations', '60', '--root', root, '--progress', 'none']);
  assert.is(r.status, 0, r.stderr);
});

test('reproduce writes each figure\'s summary and charts', () => {
  for (const f of ['fig2', 'fig3']) {
    for (const file of ['summary.arrow', 'summary.csv', `plots/${f}.svg`, `plots/${f}.png`, `plots/${f}-convergence.png`]) {
      assert.ok(existsSync(join(root, `${f}-r60`, file)), `${f}: ${file}`);
    }
  }
  const again = dtmc(['reproduce', 'fig3', '--realisations', '60', '--root', root, '--progress', 'none']);
  assert.is(again.status, 0);
  assert.match(again.stderr, /10 already complete, 0 to run/);
});

test('Fig. 2: more cache gives lower latency at every Emax, and latency does not rise with Emax', () => {
  const t = summary('fig2');
  const j = meanJ(t, (r) => `${t.getChild('s_max_kbit')!.get(r)}|${t.getChild('e_max_mj')!.get(r)}`);
  const smax = [0, 20, 40, 60];
  const emax = [1.5, 2, 2.5, 3, 3.5, 4];
  for (const e of emax) {
    for (let i = 1; i < smax.length; i++) assert.ok(j.get(`${smax[i]}|${e}`)! < j.get(`${smax[i - 1]}|${e}`)!, `Emax ${e}: Smax ${smax[i]} not below ${smax[i - 1]}`);
  }
  for (const s of smax) {
    for (let i = 1; i < emax.length; i++) {
      const hi = j.get(`${s}|${emax[i - 1]}`)!;
      assert.ok(j.get(`${s}|${emax[i]}`)! <= hi * (1 + 1e-9), `Smax ${s}: J rose from Emax ${emax[i - 1]} to ${emax[i]}`);
    }
    assert.ok(j.get(`${s}|4`)! < j.get(`${s}|1.5`)!, `Smax ${s}: J at Emax 4 not below Emax 1.5`);
  }
});

test('Fig. 3: latency falls as Fes_max grows, and delta = 2% lies above delta = 0', () => {
  const t = summary('fig3');
  const j = meanJ(t, (r) => `${t.getChild('delta_ue')!.get(r)}|${t.getChild('f_es_max_ghz')!.get(r)}`);
  const fes = [30, 32, 34, 36, 38];
  for (const d of [0, 0.02]) {
    for (let i = 1; i < fes.length; i++) assert.ok(j.get(`${d}|${fes[i]}`)! < j.get(`${d}|${fes[i - 1]}`)!, `delta ${d}: J not falling at ${fes[i]} GHz`);
  }
  for (const f of fes) assert.ok(j.get(`0.02|${f}`)! > j.get(`0|${f}`)!, `${f} GHz: delta 2% not above delta 0`);
});

test('joint-fig2 and joint-fig3: every joint point lies below its AO point on the same realisations', () => {
  for (const f of ['joint-fig2', 'joint-fig3']) {
    const t = summary(f);
    let joint = 0;
    for (let r = 0; r < t.numRows; r++) {
      const method = t.getChild('method')!.get(r);
      const diff = t.getChild('vs_ao_diff_mean_ms')!.get(r) as number;
      const ci = t.getChild('vs_ao_diff_ci95_ms')!.get(r) as number;
      if (method === 'ao') {
        assert.ok(Number.isNaN(diff), `${f} row ${r}: an AO point has a difference`);
        continue;
      }
      joint++;
      assert.ok(diff + ci < 0, `${f} row ${r}: joint - AO = ${diff} ± ${ci}`);
      assert.is(t.getChild('beats_ao_fraction')!.get(r), 1, `${f} row ${r}: joint not below the AO on every realisation`);
    }
    assert.is(joint, t.numRows / 2);
    assert.ok(existsSync(join(root, `${f}-r60`, 'plots', `${f}.png`)));
  }
});

test.run();
