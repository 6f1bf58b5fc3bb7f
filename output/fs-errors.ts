/**
 * Node's file-system errors in words: a full disk, a read-only mount, a missing permission or a
 * directory where a file belongs is the user's to fix, so it becomes a named error (exit 2) that
 * names the path and the cause, never a stack.
 */
import { DtmcError } from '../engine/errors.js';

/** What each errno code means to a user (the codes a file write or a folder can meet). */
const CAUSES: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large for the file system',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'a directory is in the way (move or remove it)',
  ENOTDIR: 'a part of the path is a file, not a folder',
  ENOENT: 'no such file or folder',
  EEXIST: 'something already exists at that name',
  ENOTEMPTY: 'the folder is not empty',
  ELOOP: 'a symbolic link where none is followed',
  ENAMETOOLONG: 'the name is too long',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files on the system',
  EIO: 'input/output error (the device failed)',
  EBUSY: 'the file or device is busy',
  ETXTBSY: 'the file is busy',
  ESTALE: 'stale file handle (a network file system lost the file)',
  EXDEV: 'the temporary file and the destination are on different file systems',
  EINVAL: 'the file system refused the operation',
};

/** A Node file-system error: an errno code (`ENOSPC`, ...) and usually the syscall and path. */
export interface FsError extends Error {
  code: string;
  syscall?: string;
  path?: string;
}

/** True for an error from a file-system call (an errno code), not Node's own ERR_* codes. */
export function isFsError(e: unknown): e is FsError {
  const code = (e as { code?: unknown } | null)?.code;
  return e instanceof Error && typeof code === 'string' && /^E[A-Z0-9]+$/.test(code);
}

/** The cause of a file-system error in words, with its code: "no space left on device (ENOSPC)". */
export function fsCause(e: FsError): string {
  return `${CAUSES[e.code] ?? e.message.replace(/^E[A-Z0-9]+: /, '').replace(/, \w+ '.*'$/, '')} (${e.code})`;
}

/** What a syscall was doing, for errors thrown outside this module (fs.unlinkSync and friends). */
const ACTIONS: Record<string, string> = {
  open: 'opening', read: 'reading', write: 'writing', unlink: 'removing', rmdir: 'removing', rename: 'renaming',
  mkdir: 'creating the folder', scandir: 'listing', stat: 'checking', lstat: 'checking', fsync: 'flushing', close: 'closing',
};

/**
 * A named error (code `io`, exit 2) for a file-system error: `<cause> while <doing> <path>`, plus
 * `then` when given (what became of the files). Anything that is not a file-system error is returned as it is.
 */
export function fsFailure(e: unknown, doing?: string, then?: string): unknown {
  if (!isFsError(e)) return e;
  const what = doing ?? `${ACTIONS[e.syscall ?? ''] ?? e.syscall ?? 'accessing'} ${e.path ?? 'a file'}`;
  return new DtmcError('io', `${fsCause(e)} while ${what}${then ? `; ${then}` : ''}`);
}
