/**
 * A preload (node --import) for the lock tests: renames, links and writes whose target is a
 * `job.json` wait DTMC_TEST_SLOW_CLAIM_MS first, as a slow network file system would, so that two
 * runs claim one empty folder at the same time.
 */
import fs from 'node:fs';
import { basename } from 'node:path';
import { syncBuiltinESMExports } from 'node:module';

const ms = Number(process.env.DTMC_TEST_SLOW_CLAIM_MS ?? 0);
const wait = (target: fs.PathLike | number): void => {
  if (typeof target !== 'number' && basename(String(target)) === 'job.json') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};
const { renameSync, linkSync, writeFileSync } = fs;
fs.renameSync = (from, to) => (wait(to), renameSync(from, to));
fs.linkSync = (from, to) => (wait(to), linkSync(from, to));
fs.writeFileSync = ((file: fs.PathOrFileDescriptor, ...rest: unknown[]) => (wait(file), (writeFileSync as (...a: unknown[]) => void)(file, ...rest))) as typeof fs.writeFileSync;
syncBuiltinESMExports();
