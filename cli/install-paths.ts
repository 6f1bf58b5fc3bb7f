/**
 * Where the package's own files are (package.json, the shipped jobs): two levels above the
 * compiled file in the repository and npm layouts (dist/cli/x.js), or beside it in the offline
 * bundle (scripts/bundle.sh puts everything in one folder).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export const PACKAGE_ROOT = [join(here, '..', '..'), here].find((d) => existsSync(join(d, 'package.json')) && existsSync(join(d, 'jobs')))
  ?? join(here, '..', '..');

/** The shipped job files (smoke, fig2, fig3, baselines). */
export const JOBS_DIR = join(PACKAGE_ROOT, 'jobs');
