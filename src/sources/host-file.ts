// The one door through which the runtime, distribution and version readers open host files (container
// configs, k3s/MicroK8s/EKS files, package lists, the kubelet binary): regular files only, opened
// non-blocking (a FIFO planted at a config path cannot hang the recorder), never more than a cap.
// A shared safe reader for every source is being built; switching to it is this one function.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

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
 * The bytes of one host file. Throws HostFileError: a missing file is `ENOENT`, a directory, FIFO or device
 * `NOT_REGULAR`, a file over the cap `TOO_LARGE`. A range read past the end returns what is there.
 */
export function readHostFile(file: string, opts: HostRead): Buffer {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new HostFileError(file, (err as NodeJS.ErrnoException).code ?? String(err));
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new HostFileError(file, 'NOT_REGULAR');
    const start = opts.range?.offset ?? 0;
    const want = opts.range?.length ?? st.size;
    if (want > opts.maxBytes) throw new HostFileError(file, 'TOO_LARGE');
    // one byte more than asked: a file that grew past the cap since fstat is still refused
    const buf = Buffer.allocUnsafe(Math.min(want, opts.maxBytes) + (opts.range ? 0 : 1));
    let len = 0;
    while (len < buf.length) {
      const n = readSync(fd, buf, len, buf.length - len, start + len);
      if (n === 0) break;
      len += n;
    }
    if (!opts.range && len > opts.maxBytes) throw new HostFileError(file, 'TOO_LARGE');
    return buf.subarray(0, len);
  } catch (err) {
    if (err instanceof HostFileError) throw err;
    throw new HostFileError(file, (err as NodeJS.ErrnoException).code ?? String(err));
  } finally {
    closeSync(fd);
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
