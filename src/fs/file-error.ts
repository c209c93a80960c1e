// A file memrec would not or could not use, said in one line naming the file as the user wrote it.
import { InputError } from '../errors.js';
import { cleanText } from '../model/text.js';

/** Paths in messages: escaped, and cut when absurdly long (a 100 KB argument stays a one-line message). */
export function shownPath(p: string, max = 200): string {
  const clean = cleanText(p);
  return clean.length <= max ? clean : `${clean.slice(0, max - 40)}…${clean.slice(-20)} (${p.length} characters)`;
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENAMETOOLONG: 'file name too long',
  ENOTDIR: 'a component of the path is not a directory',
  EISDIR: 'is a directory',
  ELOOP: 'too many symbolic links',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EIO: 'I/O error',
  EEXIST: 'already exists',
  EXDEV: 'not on the same file system',
  ENXIO: 'no such device or address',
  EBUSY: 'device or resource busy',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EFBIG: 'file too large',
  ETXTBSY: 'text file busy',
};

/** `permission denied (EACCES)`; the code alone when it has no text here. */
export function errnoText(code: string): string {
  const t = ERRNO_TEXT[code];
  return t === undefined ? code : `${t} (${code})`;
}

export function errnoCode(err: unknown): string {
  const c = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof c === 'string' ? c : err instanceof Error ? err.message.split('\n')[0]! : String(err);
}

/**
 * `code` is the errno (`ENOENT`, `EACCES`), `ENOTREG` for a file that exists but is not a regular file
 * (FIFO, device, directory, socket, link where none may be), or `EFBIG` for one above the size cap.
 * `reason` is the message without the path, for callers that name the file their own way.
 */
export class FileError extends InputError {
  constructor(
    readonly file: string,
    readonly code: string,
    readonly reason: string,
  ) {
    super(`${shownPath(file)}: ${reason}`);
  }

  static fromErrno(file: string, err: unknown, doing = 'cannot read'): FileError {
    const code = errnoCode(err);
    return new FileError(file, code, `${doing}: ${errnoText(code)}`);
  }
}

/** `a FIFO`, `a character device`, ... for a stat mode. */
export function fileKind(mode: number): string {
  switch (mode & 0o170000) {
    case 0o100000:
      return 'a regular file';
    case 0o040000:
      return 'a directory';
    case 0o010000:
      return 'a FIFO';
    case 0o020000:
      return 'a character device';
    case 0o060000:
      return 'a block device';
    case 0o140000:
      return 'a socket';
    case 0o120000:
      return 'a symbolic link';
    default:
      return 'not a regular file';
  }
}

export function isRegular(mode: number): boolean {
  return (mode & 0o170000) === 0o100000;
}

export function notRegular(file: string, mode: number): FileError {
  return new FileError(file, 'ENOTREG', `${fileKind(mode)}, not a regular file`);
}
