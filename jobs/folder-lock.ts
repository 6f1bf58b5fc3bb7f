/**
 * The lock of a job's output folder, so that two runs never work on the same chunks at once.
 *
 *   <out>/.dtmc.lock              an unsharded run: excludes every other run of the folder
 *   <out>/.dtmc.lock.<i>-of-<n>   shard i of n: excludes the unsharded run, shard i of n itself
 *                                 and every shard of another count (their chunks overlap), so
 *                                 shards i and j of n on different nodes run side by side
 *
 * A lock file holds JSON (user, host, pid, start time, job name and hash, shard, a random token).
 * It is created complete and exclusively: written under a random temporary name, then hard-linked
 * to its name (link() fails when the name exists, on local disks and on NFS alike; the link count
 * is checked too, since NFS may report a link that succeeded as failed). Where hard links are not
 * supported it falls back to open(O_CREAT | O_EXCL).
 *
 * A lock whose owner is gone: on the same host with a pid that no longer runs, it is taken over
 * (and the log says so). A lock from another host is never taken over automatically (this host
 * cannot tell whether that run still runs): the message names the host and pid; remove the file,
 * or pass --break-lock, once that run is known to be dead. A run takes its lock first, then checks
 * the others; two conflicting runs started at the same instant may therefore both refuse, but two
 * never both go on.
 */
import { closeSync, fsyncSync, linkSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { fail } from '../engine/errors.js';
import { lockName, lockShard, type FolderShard } from '../output/job-folder.js';

/** What a lock file holds. */
export interface LockInfo {
  user: string;
  host: string;
  pid: number;
  startedAt: string;
  jobName: string;
  jobHash: string;
  /** "i/n" ("0/1" unsharded). */
  shard: string;
  /** Random: tells this run's lock from a later one with the same pid. */
  token: string;
}

export interface FolderLock {
  path: string;
  info: LockInfo;
  /** Removes the lock file if it is still this run's (idempotent). */
  release(): void;
}

export interface LockOptions {
  jobName: string;
  jobHash: string;
  /** Remove conflicting locks whoever holds them (the run on another host is known to be dead). */
  breakLock?: boolean;
  log: (line: string) => void;
}

/** Two runs may share the folder only as different shards of one count above 1. */
const conflicts = (a: FolderShard, b: FolderShard): boolean => a.count === 1 || b.count === 1 || a.count !== b.count || a.index === b.index;

const errorCode = (e: unknown): string | undefined => (e as NodeJS.ErrnoException).code;

/** A random temporary name beside `path`. */
const temporaryName = (path: string): string => `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;

function writeNew(path: string, text: string): void {
  const fd = openSync(path, 'wx');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates `path` holding `text`, only if no file of that name exists: true when this call created
 * it, false when it existed. The file appears complete (written first, then linked to its name).
 */
export function createExclusive(path: string, text: string): boolean {
  const tmp = temporaryName(path);
  writeNew(tmp, text);
  try {
    try {
      linkSync(tmp, path);
      return true;
    } catch (e) {
      // NFS may answer a retransmitted link() that succeeded with EEXIST: the link count tells.
      if (statSync(tmp).nlink === 2) return true;
      const code = errorCode(e);
      if (code === 'EEXIST') return false;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
    }
    // No hard links on this file system: O_EXCL (a reader may then see the file before its text).
    try {
      writeNew(path, text);
      return true;
    } catch (e) {
      if (errorCode(e) === 'EEXIST') return false;
      throw e;
    }
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
  }
}

/** Whether a process with this pid runs on this host (EPERM: it runs, as another user). */
function pidRuns(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errorCode(e) === 'EPERM';
  }
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if (errorCode(e) === 'ENOENT') return null;
    throw e;
  }
}

function parseInfo(text: string): LockInfo | null {
  try {
    const info = JSON.parse(text) as LockInfo;
    return info && typeof info === 'object' && typeof info.host === 'string' && typeof info.pid === 'number' ? info : null;
  } catch {
    return null;
  }
}

/** The holder in words, for messages. */
const holder = (info: LockInfo): string =>
  `dtmc run of job ${info.jobName} (shard ${info.shard}) as pid ${info.pid} on host ${info.host}, user ${info.user}, since ${info.startedAt}`;

/**
 * Removes the lock file at `path` if it still holds `text` (the lock judged stale): renamed away
 * first, then compared, so that a fresh lock someone took meanwhile is put back, not removed.
 */
function removeIfUnchanged(path: string, text: string): void {
  const moved = temporaryName(path).replace('.tmp-', '.stale-');
  try {
    renameSync(path, moved);
  } catch (e) {
    if (errorCode(e) === 'ENOENT') return; // someone removed it already
    throw e;
  }
  if (readText(moved) !== text) {
    try {
      linkSync(moved, path);
    } catch {
      // a newer lock is in place already
    }
  }
  unlinkSync(moved);
}

/**
 * Decides on the lock at `path` held by someone else: removes it when its owner is gone (same
 * host, pid not running) or when breaking locks; otherwise fails with who holds it.
 */
function clearOrRefuse(outDir: string, path: string, o: LockOptions, own: FolderLock | null): void {
  const text = readText(path);
  if (text === null) return; // released meanwhile
  const info = parseInfo(text);
  const here = hostname();
  if (info && info.host === here && !pidRuns(info.pid)) {
    o.log(`taking over the stale lock ${path}: ${holder(info)}, which no longer runs`);
    removeIfUnchanged(path, text);
    return;
  }
  if (o.breakLock) {
    o.log(`--break-lock: removing the lock ${path} (${info ? holder(info) : 'unreadable'})`);
    removeIfUnchanged(path, text);
    return;
  }
  own?.release();
  if (!info) {
    fail('locked', `${outDir} is locked by ${path}, which is unreadable (a lock being written, or damaged). `
      + 'If no dtmc run works on this folder, remove that file, or pass --break-lock.');
  }
  const where = info.host === here
    ? 'it is running on this host'
    : `this host (${here}) cannot tell whether it still runs on ${info.host}; if it does not (the node died), remove ${path} or pass --break-lock`;
  fail('locked', `${outDir} is in use: ${holder(info)} holds ${path}; ${where}.`);
}

/**
 * Takes the lock of `shard` on the folder (which must exist), clearing stale locks, or fails
 * ('locked') naming the run that holds it or a conflicting one.
 */
export function acquireFolderLock(outDir: string, shard: FolderShard, o: LockOptions): FolderLock {
  const path = join(outDir, lockName(shard));
  const info: LockInfo = {
    user: safeUser(), host: hostname(), pid: process.pid, startedAt: new Date().toISOString(),
    jobName: o.jobName, jobHash: o.jobHash, shard: `${shard.index}/${shard.count}`, token: randomBytes(8).toString('hex'),
  };
  const text = `${JSON.stringify(info, null, 2)}\n`;
  const onExit = (): void => lock.release();
  const lock: FolderLock = {
    path, info,
    release: () => {
      process.off('exit', onExit);
      if (readText(path) === text) unlinkSync(path);
    },
  };
  for (let attempt = 0; ; attempt++) {
    if (createExclusive(path, text)) break;
    if (attempt === 3) fail('locked', `${outDir}: could not take ${path} (other runs keep taking it)`);
    clearOrRefuse(outDir, path, o, null);
  }
  process.on('exit', onExit);
  // Ours; now the other runs whose chunks overlap ours.
  for (const name of readdirSync(outDir)) {
    const other = lockShard(name);
    if (other && name !== lockName(shard) && conflicts(shard, other)) clearOrRefuse(outDir, join(outDir, name), o, lock);
  }
  return lock;
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? String(process.getuid?.() ?? '?');
  }
}
