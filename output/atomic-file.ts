/**
 * Atomic, checked writes: every file dtmc writes into a job folder (chunks, summaries, job.json,
 * .failed.json) goes through here, so a file under its final name is always complete.
 *
 * 1. A temporary beside the destination, `<name>.tmp-<16 random hex digits>`, created with
 *    O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW: the name cannot be predicted, and whatever is
 *    already there (a planted symbolic link included) is never opened or written through.
 * 2. Every byte written, each write's count checked (write and writev may write fewer bytes than
 *    asked; the rest is written again until done or the system says why not).
 * 3. fsync of the file, rename onto the destination (a symbolic link there is replaced, not
 *    followed), fsync of the folder.
 * On any error the temporary is removed, the destination is left as it was, and the error is a
 * named one (code `io`, exit 2): "no space left on device (ENOSPC) while writing
 * results/x/chunks/p00000-c000003.arrow; nothing was replaced".
 */
import { randomBytes } from 'node:crypto';
import {
  close, closeSync, constants, fsync, fsyncSync, mkdirSync, open, openSync, rename, renameSync, statSync, unlink, unlinkSync, writev, writevSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fail } from '../engine/errors.js';
import { fsFailure, isFsError } from './fs-errors.js';

/** A file's content: text (UTF-8), bytes, or pieces written one after another without a copy. */
export type FileData = string | Uint8Array | readonly Uint8Array[];

/** The calls a write goes through; tests replace them to inject short writes and a full disk. */
export interface WriteCalls {
  /** Writes `buffers` at the file's position; returns the bytes written (possibly fewer). */
  writev(fd: number, buffers: Uint8Array[]): Promise<number>;
  writevSync(fd: number, buffers: Uint8Array[]): number;
  /** The temporary's path for `path` (beside it, random by default). */
  tempPath(path: string): string;
}

export const NODE_WRITE_CALLS: WriteCalls = {
  writev: (fd, buffers) => new Promise((ok, no) => writev(fd, buffers, (e, n) => (e ? no(e) : ok(n)))),
  writevSync: (fd, buffers) => writevSync(fd, buffers),
  tempPath: (path) => join(dirname(path), `${basename(path)}.tmp-${randomBytes(8).toString('hex')}`),
};

/** Exclusive creation, never through a symbolic link (O_NOFOLLOW where the system has it). */
const CREATE_FLAGS = constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | (constants.O_NOFOLLOW ?? 0);
/** Buffers per writev call (below every system's IOV_MAX). */
const WRITEV_PIECES = 512;
/** Codes of a folder fsync that a file system does not support (the file itself is flushed). */
const NO_FOLDER_SYNC = new Set(['EINVAL', 'EISDIR', 'EBADF', 'EPERM', 'EACCES', 'ENOTSUP', 'EOPNOTSUPP']);
const NOTHING_REPLACED = 'nothing was replaced';

const pieces = (data: FileData): Uint8Array[] =>
  (typeof data === 'string' ? [Buffer.from(data, 'utf8')] : data instanceof Uint8Array ? [data] : [...data]).filter((p) => p.byteLength > 0);

/** The pieces left after the first `written` bytes (views, no copy). */
function after(rest: Uint8Array[], written: number): Uint8Array[] {
  let i = 0;
  while (i < rest.length && written >= rest[i].byteLength) written -= rest[i++].byteLength;
  const left = rest.slice(i);
  if (left.length && written > 0) left[0] = left[0].subarray(written);
  return left;
}

/** A write that reports no progress with bytes left: the device takes no more. */
const stalled = (): Error => Object.assign(new Error('the device accepted no more bytes'), { code: 'EIO' });

/** Content made while it is written (a row export): its pieces in order, never all in memory. */
export type FileStream = AsyncIterable<Uint8Array>;

const isStream = (data: FileData | FileStream): data is FileStream => typeof data === 'object' && Symbol.asyncIterator in data;

/**
 * Writes `data` to `path` atomically (see the file's doc). The calls run on libuv's threads, so
 * the calling thread is free meanwhile: a GPU job's host keeps its main thread for the next batch.
 * A stream that fails midway (its error is thrown as it is) leaves nothing under `path`.
 */
export async function writeFileAtomically(path: string, data: FileData | FileStream, calls: WriteCalls = NODE_WRITE_CALLS): Promise<void> {
  const tmp = await createTemp(path, calls);
  let fd: number | null = tmp.fd;
  try {
    for await (const batch of isStream(data) ? data : [data]) {
      for (let rest = pieces(batch); rest.length;) {
        const n = await calls.writev(fd, rest.slice(0, WRITEV_PIECES));
        if (!(n > 0)) throw stalled();
        rest = after(rest, n);
      }
    }
    await call<void>((cb) => fsync(tmp.fd, cb));
    fd = null;
    await call<void>((cb) => close(tmp.fd, cb));
    await call<void>((cb) => rename(tmp.path, path, cb));
  } catch (e) {
    if (fd !== null) await call<void>((cb) => close(tmp.fd, cb)).catch(() => {});
    await call<void>((cb) => unlink(tmp.path, cb)).catch(() => {});
    throw fsFailure(e, `writing ${path}`, NOTHING_REPLACED);
  }
  await syncFolder(dirname(path), path);
}

/** writeFileAtomically for the few small files written where no await fits (job.json, .failed.json). */
export function writeFileAtomicallySync(path: string, data: FileData, calls: WriteCalls = NODE_WRITE_CALLS): void {
  const tmp = createTempSync(path, calls);
  let fd: number | null = tmp.fd;
  try {
    for (let rest = pieces(data); rest.length;) {
      const n = calls.writevSync(fd, rest.slice(0, WRITEV_PIECES));
      if (!(n > 0)) throw stalled();
      rest = after(rest, n);
    }
    fsyncSync(fd);
    fd = null;
    closeSync(tmp.fd);
    renameSync(tmp.path, path);
  } catch (e) {
    try {
      if (fd !== null) closeSync(fd);
    } catch { /* already failing: the first error is the one to report */ }
    try {
      unlinkSync(tmp.path);
    } catch { /* nothing to remove */ }
    throw fsFailure(e, `writing ${path}`, NOTHING_REPLACED);
  }
  syncFolderSync(dirname(path), path);
}

/** A callback call as a promise. */
const call = <T>(f: (cb: (e: NodeJS.ErrnoException | null, v?: T) => void) => void): Promise<T> =>
  new Promise((ok, no) => f((e, v) => (e ? no(e) : ok(v as T))));

/** Tries a few names: a name taken (EEXIST, e.g. planted) is left alone and another drawn. */
const NAME_TRIES = 4;

async function createTemp(path: string, calls: WriteCalls): Promise<{ path: string; fd: number }> {
  for (let i = 1; ; i++) {
    const tmp = calls.tempPath(path);
    try {
      return { path: tmp, fd: await call<number>((cb) => open(tmp, CREATE_FLAGS, 0o666, cb)) };
    } catch (e) {
      if (!(isFsError(e) && e.code === 'EEXIST' && i < NAME_TRIES)) throw fsFailure(e, `creating a temporary file to write ${path}`, NOTHING_REPLACED);
    }
  }
}

function createTempSync(path: string, calls: WriteCalls): { path: string; fd: number } {
  for (let i = 1; ; i++) {
    const tmp = calls.tempPath(path);
    try {
      return { path: tmp, fd: openSync(tmp, CREATE_FLAGS, 0o666) };
    } catch (e) {
      if (!(isFsError(e) && e.code === 'EEXIST' && i < NAME_TRIES)) throw fsFailure(e, `creating a temporary file to write ${path}`, NOTHING_REPLACED);
    }
  }
}

const FOLDER_NOT_SYNCED = (path: string): string => `${path} is written but may not survive a power cut`;

/** fsync of the folder, so that the rename itself is on disk. */
async function syncFolder(dir: string, path: string): Promise<void> {
  let fd: number;
  try {
    fd = await call<number>((cb) => open(dir, constants.O_RDONLY, cb));
  } catch {
    return; // a folder that cannot be opened for reading cannot be flushed either (some file systems)
  }
  try {
    await call<void>((cb) => fsync(fd, cb));
  } catch (e) {
    if (!(isFsError(e) && NO_FOLDER_SYNC.has(e.code))) throw fsFailure(e, `flushing the folder ${dir}`, FOLDER_NOT_SYNCED(path));
  } finally {
    await call<void>((cb) => close(fd, cb)).catch(() => {});
  }
}

function syncFolderSync(dir: string, path: string): void {
  let fd: number;
  try {
    fd = openSync(dir, constants.O_RDONLY);
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch (e) {
    if (!(isFsError(e) && NO_FOLDER_SYNC.has(e.code))) throw fsFailure(e, `flushing the folder ${dir}`, FOLDER_NOT_SYNCED(path));
  } finally {
    try {
      closeSync(fd);
    } catch { /* flushed or reported */ }
  }
}

/**
 * Creates the folder `dir` (and its parents) for dtmc's files; a path that names a file, or a
 * folder that cannot be created (read-only, no permission), is a named error.
 */
export function makeFolder(dir: string, what = 'the folder'): void {
  if (dir.trim() === '') fail('invalid-argument', `${what} must be a folder, got an empty path`);
  // Created one level at a time (mkdir -p says ENOENT where the cause is EROFS or EACCES).
  const missing: string[] = [];
  for (let p = resolve(dir); ; p = dirname(p)) {
    let isDir: boolean | null = null;
    try {
      isDir = statSync(p).isDirectory();
    } catch (e) {
      if (!(isFsError(e) && (e.code === 'ENOENT' || e.code === 'ENOTDIR'))) throw fsFailure(e, `checking ${p} for ${what} ${dir}`);
    }
    if (isDir === false) fail('io', `${what} ${dir} cannot be created: ${p} is a file, not a folder`);
    if (isDir || dirname(p) === p) break;
    missing.unshift(p);
  }
  for (const p of missing) {
    try {
      mkdirSync(p);
    } catch (e) {
      if (!(isFsError(e) && e.code === 'EEXIST')) throw fsFailure(e, `creating ${what} ${dir}`);
    }
  }
}
