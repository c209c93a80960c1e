// The one door through which the runtime, distribution and version readers open host files (container
// configs, k3s/MicroK8s/EKS files, package lists, the kubelet binary): regular files only, opened
// non-blocking (a FIFO planted at a config path cannot hang the recorder), never more than a cap: the
// file layer's rules (src/fs/read.ts), in the HostFileError these readers speak.
import { closeSync, readSync } from 'node:fs';
import { errnoCode, FileError } from '../fs/file-error.js';
import { openRegular, readBytes } from '../fs/read.js';

/** A host file that could not be read: `code` is the errno (ENOENT, EACCES), or one of ours. */
export class HostFileError extends Error {
  override readonly name = 'HostFileError';
  constructor(
    readonly file: string,
    readonly code: string,
  ) {
    super(`${file}: ${HostFileError.reasonOf(code)}`);
  }

  /** The reason alone, for messages that name the file as the host sees it. */
  get reason(): string {
    return HostFileError.reasonOf(this.code);
  }

  private static reasonOf(code: string): string {
    return code === 'TOO_LARGE' ? 'larger than memrec reads' : code === 'NOT_REGULAR' ? 'not a regular file' : `cannot read (${code})`;
  }
}

export interface HostRead {
  /** refuse a file larger than this many bytes (whole-file reads) */
  maxBytes: number;
  /** read `length` bytes from `offset` instead of the whole file (the kubelet binary's ELF headers) */
  range?: { offset: number; length: number };
}

/**
 * The bytes of one host file, through the file layer (src/fs/read.ts: regular files only, checked before the
 * open and on the descriptor, non-blocking, a size cap). Throws HostFileError: a missing file is `ENOENT`, a
 * directory, FIFO or device `NOT_REGULAR`, a file over the cap `TOO_LARGE`. A range read past the end returns
 * what is there. `file` is a path to open: a host path goes through hostPath/confinedPath first.
 */
export function readHostFile(file: string, opts: HostRead): Buffer {
  try {
    if (opts.range === undefined) return readBytes(file, { maxBytes: opts.maxBytes });
    const { offset, length } = opts.range;
    if (length > opts.maxBytes) throw new HostFileError(file, 'TOO_LARGE');
    const { fd } = openRegular(file);
    try {
      const buf = Buffer.allocUnsafe(length);
      let len = 0;
      while (len < length) {
        const n = readSync(fd, buf, len, length - len, offset + len);
        if (n === 0) break;
        len += n;
      }
      return buf.subarray(0, len);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if (err instanceof HostFileError) throw err;
    if (err instanceof FileError) throw new HostFileError(file, err.code === 'ENOTREG' ? 'NOT_REGULAR' : err.code === 'EFBIG' ? 'TOO_LARGE' : err.code);
    throw new HostFileError(file, errnoCode(err));
  }
}

/** The text of a host file, or null when it does not exist; other failures throw HostFileError. */
export function readHostText(file: string, maxBytes: number): string | null {
  try {
    return readHostFile(file, { maxBytes }).toString('utf8');
  } catch (err) {
    if (err instanceof HostFileError && (err.code === 'ENOENT' || err.code === 'ENOTDIR')) return null;
    throw err;
  }
}
