/**
 * The offline bundle (scripts/bundle.sh) built once per test process, into a temporary folder
 * outside the repository (so nothing in it can resolve the repository's node_modules). The bundle
 * test and the container image test use the same one.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, tempDir } from './job-runs.js';

let built: string | undefined;

/** The bundle's folder, built from dist/ on the first call. */
export function bundleDir(): string {
  if (built !== undefined) return built;
  const dir = join(tempDir('bundle'), 'dtmc-bundle');
  const r = spawnSync('bash', [join(ROOT, 'scripts', 'bundle.sh'), dir], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, DTMC_BUNDLE_SKIP_BUILD: '1' }, timeout: 180_000 });
  if (r.status !== 0) throw new Error(`scripts/bundle.sh exited ${r.status}: ${r.stderr}`);
  built = dir;
  return dir;
}
