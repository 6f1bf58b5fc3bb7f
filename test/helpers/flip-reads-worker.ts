/**
 * A worker thread that flips bits of a chunk file one at a time and reads each flipped copy with
 * readChunkFile, so that a test can bound the time of every read (a hang is a terminated worker,
 * not a hung suite). workerData: the original chunk's path, its expectation, the bit numbers, and
 * whether to rewrite the checksum file to match the flipped bytes (a "hostile" file).
 * Posts { start: bit } before each read and { bit, problem } after it, then { done: true }.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { readChunkFile, type ChunkExpectation } from '../../output/chunk-file.js';
import { checksumOf, checksumText } from '../../output/chunk-checksum.js';
import { checksumPath } from '../../output/job-folder.js';

export interface FlipReadsInput {
  path: string;
  expect: ChunkExpectation;
  bits: number[];
  reseal: boolean;
}

const { path, expect, bits, reseal } = workerData as FlipReadsInput;
const original = readFileSync(path);
const copy = join(mkdtempSync(join(tmpdir(), 'dtmc-flips-')), basename(path));
copyFileSync(checksumPath(path), checksumPath(copy));
for (const bit of bits) {
  const bytes = Buffer.from(original);
  bytes[bit >> 3] ^= 1 << (bit & 7);
  writeFileSync(copy, bytes);
  if (reseal) writeFileSync(checksumPath(copy), checksumText(copy, checksumOf([bytes])));
  parentPort!.postMessage({ start: bit });
  parentPort!.postMessage({ bit, problem: readChunkFile(copy, expect).problem });
}
parentPort!.postMessage({ done: true });
