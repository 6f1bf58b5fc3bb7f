/**
 * The checksum of a chunk file: `chunks/<chunk>.arrow.sha256` beside `chunks/<chunk>.arrow`,
 * holding the SHA-256 of the chunk's bytes and their count:
 *
 *   <64 hex digits>  <chunk>.arrow
 *   # bytes <n>
 *
 * The first line is `sha256sum`'s own format, so `cd chunks && sha256sum -c *.sha256` checks a
 * folder with standard tools (GNU sha256sum skips the `#` line). The checksum is written, through
 * a temporary name and a rename, BEFORE the chunk file is renamed into place: a chunk file that
 * exists has its checksum beside it, and the chunk's rename stays the one moment a chunk becomes
 * complete (a crash between the two leaves a checksum without a chunk: a missing chunk, redone).
 * The Arrow file itself is untouched, so pyarrow, polars and DuckDB read it as before.
 *
 * A reader checks the length (from stat, before reading) and the hash before apache-arrow sees a
 * byte: a chunk without a checksum file, or whose bytes do not match it, is corrupt.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import type { Table } from 'apache-arrow';
import { encodeTable, writePiecesAtomically } from './chunk-file.js';
import type { WriteCalls } from './atomic-file.js';
import { checksumPath } from './job-folder.js';

/** SHA-256 (hex) and byte count of the pieces of a file. */
export function checksumOf(pieces: readonly Uint8Array[]): { sha256: string; bytes: number } {
  const hash = createHash('sha256');
  let bytes = 0;
  for (const p of pieces) {
    hash.update(p);
    bytes += p.byteLength;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** The text of a checksum file. */
export const checksumText = (chunkPath: string, sum: { sha256: string; bytes: number }): string =>
  `${sum.sha256}  ${basename(chunkPath)}\n# bytes ${sum.bytes}\n`;

/**
 * Writes `table` to `path` as a chunk: its checksum file first, then the chunk file (both through
 * writePiecesAtomically). The hash is of the encoded pieces in memory, so a write that stores
 * other bytes than these is caught by the next read.
 */
export async function writeChunkFile(path: string, table: Table, calls?: WriteCalls): Promise<void> {
  const pieces = await encodeTable(table);
  await writePiecesAtomically(checksumPath(path), [new TextEncoder().encode(checksumText(path, checksumOf(pieces)))]);
  await writePiecesAtomically(path, pieces, calls);
}

/**
 * One block of memory that chunk files are read into, one after another: a pass over a job's
 * chunks (aggregate, tails, export, verify) holds one chunk's bytes at a time instead of leaving a
 * fresh buffer per chunk to the collector (with chunks of tens of MB, several were alive at once,
 * so peak memory grew with the number of chunks). What was read into it, and every Arrow table
 * parsed from it (apache-arrow's tables are views of the bytes), is valid until the next read.
 */
export class ChunkReadBuffer {
  private memory = Buffer.alloc(0);

  /**
   * `size` bytes of the block (the contents are overwritten by the read). Grown with 1/8 to
   * spare when smaller, so that chunks a little larger than the first do not each leave the
   * collector a block of tens of MB.
   */
  take(size: number): Buffer {
    if (this.memory.byteLength < size) {
      this.memory = Buffer.alloc(0); // the old block goes before the new one is made
      this.memory = Buffer.allocUnsafeSlow(size + (size >>> 3));
    }
    return this.memory.subarray(0, size);
  }
}

/** Largest checksum file read (a real one is under 100 bytes). */
const MAX_CHECKSUM_BYTES = 1024;

/** The checksum recorded for a chunk file, or why there is none that can be used. */
function readChecksum(path: string): { sha256: string; bytes: number } | string {
  let text: string;
  try {
    const buf = readFileSync(checksumPath(path));
    if (buf.byteLength > MAX_CHECKSUM_BYTES) return `its checksum file ${basename(checksumPath(path))} is ${buf.byteLength} bytes, not a checksum`;
    text = buf.toString('latin1');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT'
      ? `has no checksum file ${basename(checksumPath(path))} (written by dtmc before checksums, or damaged)`
      : `its checksum file is unreadable (${(e as Error).message})`;
  }
  const m = /^([0-9a-f]{64}) {2}(\S+)\n# bytes (\d{1,15})\n$/.exec(text);
  if (!m) return `its checksum file ${basename(checksumPath(path))} is malformed`;
  if (m[2] !== basename(path)) return `its checksum file names ${m[2]}`;
  return { sha256: m[1], bytes: Number(m[3]) };
}

/**
 * The bytes of a chunk file once they match its checksum file, or the problem: checksum file
 * missing or malformed, a length other than the recorded one (checked before reading), or a hash
 * that differs. With `into`, the bytes are read into its memory (valid until its next read).
 */
export function readCheckedBytes(path: string, into?: ChunkReadBuffer): { bytes: Buffer; problem: null } | { bytes: null; problem: string } {
  const sum = readChecksum(path);
  if (typeof sum === 'string') return { bytes: null, problem: sum };
  let bytes: Buffer;
  let fd = -1;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    if (size !== sum.bytes) return { bytes: null, problem: `is ${size} bytes, its checksum file says ${sum.bytes}` };
    bytes = into ? into.take(size) : Buffer.alloc(size);
    let at = 0;
    while (at < size) {
      const n = readSync(fd, bytes, at, size - at, at);
      if (n === 0) return { bytes: null, problem: `ended after ${at} of ${size} bytes while being read` };
      at += n;
    }
  } catch (e) {
    return { bytes: null, problem: `unreadable (${(e as Error).message})` };
  } finally {
    if (fd >= 0) closeSync(fd);
  }
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== sum.sha256) return { bytes: null, problem: `does not match its checksum (SHA-256 ${actual.slice(0, 12)}..., recorded ${sum.sha256.slice(0, 12)}...)` };
  return { bytes, problem: null };
}
