// Every file memrec reads goes through here (except the collector's per-process /proc hot path and
// /dev/kmsg, which have their own readers with the same rules): only regular files, checked before the
// open (opening a device can have effects) and again on the descriptor, opened non-blocking (a FIFO
// must not hang the open), read to EOF under a size cap (/proc and /sys files say size 0; /dev/zero
// never ends).
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readSync, statSync, type Dirent, type Stats } from 'node:fs';
import { formatBytes } from '../model/quantity.js';
import { FileError, isRegular, notRegular } from './file-error.js';

/** Config files, kubelet files, kernel node files (meminfo, memory.stat, PSI, vmstat): all far below this. */
export const SMALL_FILE_MAX = 1024 * 1024;

export interface ReadOptions {
  /** refuse a file larger than this (FileError EFBIG) */
  maxBytes: number;
  /** do not follow a final symbolic link (for paths resolveInRoot already resolved) */
  noFollow?: boolean;
}

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;

/** The file's stat if it is a regular file, null if it does not exist; any other kind or error throws FileError. */
export function statRegular(file: string, opts: { noFollow?: boolean } = {}): Stats | null {
  let st: Stats;
  try {
    st = opts.noFollow ? lstatSync(file) : statSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw FileError.fromErrno(file, err);
  }
  if (!isRegular(st.mode)) throw notRegular(file, st.mode);
  return st;
}

/** Open a regular file for reading: refused before the open if it is anything else, and checked again on the descriptor. */
export function openRegular(file: string, opts: { noFollow?: boolean } = {}): { fd: number; size: number } {
  if (statRegular(file, opts) === null) throw FileError.fromErrno(file, { code: 'ENOENT' });
  let fd: number;
  try {
    fd = openSync(file, OPEN_FLAGS | (opts.noFollow ? constants.O_NOFOLLOW : 0));
  } catch (err) {
    throw FileError.fromErrno(file, err);
  }
  try {
    // replaced between the stat and the open: the descriptor decides
    const st = fstatSync(fd);
    if (!isRegular(st.mode)) throw notRegular(file, st.mode);
    return { fd, size: st.size };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

function tooLarge(file: string, maxBytes: number): FileError {
  const cap = maxBytes % 1024 === 0 ? formatBytes(maxBytes) : `${maxBytes} bytes`;
  return new FileError(file, 'EFBIG', `larger than ${cap}, the most memrec reads of such a file`);
}

function readFd(file: string, fd: number, size: number, maxBytes: number): Buffer {
  // size is 0 for /proc and /sys files: start small and grow, never past the cap (+1 to see that it is passed)
  let buf = Buffer.allocUnsafe(Math.min(maxBytes + 1, Math.max(size + 1, 16 * 1024)));
  let len = 0;
  for (;;) {
    if (len === buf.length) {
      if (len > maxBytes) throw tooLarge(file, maxBytes);
      const bigger = Buffer.allocUnsafe(Math.min(maxBytes + 1, buf.length * 2));
      buf.copy(bigger, 0, 0, len);
      buf = bigger;
    }
    let n: number;
    try {
      n = readSync(fd, buf, len, buf.length - len, null);
    } catch (err) {
      // EAGAIN: a FIFO with a writer but no data; never a regular file
      throw FileError.fromErrno(file, err);
    }
    if (n === 0) break;
    len += n;
  }
  if (len > maxBytes) throw tooLarge(file, maxBytes);
  return buf.subarray(0, len);
}

/** A regular file's bytes, at most opts.maxBytes (else FileError EFBIG). */
export function readBytes(file: string, opts: ReadOptions): Buffer {
  const { fd, size } = openRegular(file, opts);
  try {
    return readFd(file, fd, size, opts.maxBytes);
  } finally {
    closeSync(fd);
  }
}

/** A regular file as UTF-8 text, at most opts.maxBytes. */
export function readText(file: string, opts: ReadOptions): string {
  return readBytes(file, opts).toString('utf8');
}

/** A regular file as text, or null when it does not exist; every other problem throws FileError. */
export function readTextIfExists(file: string, opts: ReadOptions): string | null {
  try {
    return readText(file, opts);
  } catch (err) {
    if (err instanceof FileError && err.code === 'ENOENT') return null;
    throw err;
  }
}

/** The first `bytes` bytes of a regular file (or fewer, if it is shorter). */
export function readHead(file: string, bytes: number, opts: { noFollow?: boolean } = {}): Buffer {
  const { fd } = openRegular(file, opts);
  try {
    const buf = Buffer.allocUnsafe(bytes);
    const n = readSync(fd, buf, 0, bytes, null);
    return buf.subarray(0, n);
  } catch (err) {
    throw err instanceof FileError ? err : FileError.fromErrno(file, err);
  } finally {
    closeSync(fd);
  }
}

/** A directory's entries with their types (links are not followed). */
export function listDir(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    throw FileError.fromErrno(dir, err, 'cannot list');
  }
}
