// Every file memrec writes goes through writeOutput: the export, the Prometheus textfile, the unit and
// config of install-service. memrec runs as root, so it writes only files it creates: never through a
// device, FIFO, directory or symbolic link, never onto the database it is reading (also through a hard
// or symbolic link), and never half a file: a temporary file beside the target (created exclusively,
// never following a link, with the final mode) is written, synced and renamed over it. The temporary
// name never appears in a message; errors name the user's path.
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fsyncSync, lstatSync, openSync, realpathSync, renameSync, rmSync, statSync, writeSync, type Stats } from 'node:fs';
import path from 'node:path';
import { MemrecError, UsageError } from '../errors.js';
import { errnoCode, errnoText, fileKind, isRegular, shownPath } from './file-error.js';

export interface OutputOptions {
  /** how the user named the file, for messages: `memrec export: --out`, `--textfile-dir` */
  label: string;
  /** the file's mode, exactly (the umask does not narrow it) */
  mode: number;
  /** replace an existing regular file (export --force, the textfile, the unit); otherwise it is refused */
  replace: boolean;
  /** appended when an existing file is refused: `; pass --force to replace it` */
  existsHint?: string;
  /** files never written, also through a link: the database being read (with its -wal, -shm and -journal) */
  protect?: readonly string[];
}

const SIDECARS = ['', '-wal', '-shm', '-journal'];

function statOrNull(p: string, follow: boolean): Stats | null {
  try {
    return follow ? statSync(p) : lstatSync(p);
  } catch {
    return null;
  }
}

/** `/real/dir/name`: the parent resolved, the name kept, so two spellings of one path compare equal. */
function canonicalName(p: string): string {
  const abs = path.resolve(p);
  let dir = path.dirname(abs);
  try {
    dir = realpathSync(dir);
  } catch {
    /* a directory that does not exist: compare as written */
  }
  return path.join(dir, path.basename(abs));
}

/** write(2) may write less than asked (a nearly full disk): loop until all is written or it fails. */
function writeAllSync(fd: number, buf: Uint8Array): void {
  for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
}

function refuse(o: OutputOptions, target: string, why: string): UsageError {
  return new UsageError(`${o.label} ${shownPath(target)}: ${why}`);
}

/** The database files `target` must not be: by identity (dev + inode) and by name (a -wal that does not exist yet). */
function protectedHit(target: string, targetStat: Stats | null, protect: readonly string[]): string | null {
  const targetName = canonicalName(target);
  for (const db of protect) {
    const real = (() => {
      try {
        return realpathSync(db);
      } catch {
        return path.resolve(db);
      }
    })();
    for (const suffix of SIDECARS) {
      for (const p of new Set([db + suffix, real + suffix])) {
        const st = statOrNull(p, true);
        if (targetStat !== null && st !== null && st.dev === targetStat.dev && st.ino === targetStat.ino) return db + suffix;
        if (canonicalName(p) === targetName) return db + suffix;
      }
    }
  }
  return null;
}

/** Refuse, as a UsageError naming `target`, a path memrec must not write. Writes nothing. */
export function checkOutput(target: string, o: OutputOptions): void {
  let st: Stats | null = null;
  try {
    st = lstatSync(target);
  } catch (err) {
    const code = errnoCode(err);
    if (code !== 'ENOENT') throw refuse(o, target, errnoText(code));
  }
  const hit = protectedHit(target, st === null ? null : statOrNull(target, true), o.protect ?? []);
  if (hit !== null) throw refuse(o, target, `is the database being read (${shownPath(hit)}); write the output elsewhere`);
  if (st === null) {
    const dir = path.dirname(path.resolve(target));
    const d = statOrNull(dir, true);
    if (d === null) throw refuse(o, target, `directory ${shownPath(dir)} does not exist`);
    if (!d.isDirectory()) throw refuse(o, target, `${shownPath(dir)} is not a directory`);
    return;
  }
  if (st.isSymbolicLink()) throw refuse(o, target, 'is a symbolic link; memrec writes no file through a link (name the file itself)');
  if (!isRegular(st.mode)) throw refuse(o, target, `is ${fileKind(st.mode)}, not a regular file; memrec replaces only regular files`);
  if (!o.replace) throw refuse(o, target, `already exists${o.existsHint ?? ''}`);
}

/**
 * Write `content` to `target` through a temporary file in the same directory, renamed into place. `content`
 * is text/bytes in chunks, or a function that fills the temporary file given its path (SQLite writes its
 * own file). Refusals are UsageErrors (exit 2); a failed write is a MemrecError naming `target`.
 */
export function writeOutput(target: string, content: Iterable<string | Uint8Array> | ((tmpFile: string) => void), o: OutputOptions): void {
  checkOutput(target, o);
  const dir = path.dirname(path.resolve(target));
  // short and unrelated to the target's name: a 255-byte name still gets a temporary file; dot-first and
  // not *.prom, so node_exporter's textfile collector ignores it
  const tmp = path.join(dir, `.memrec-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, o.mode);
    fchmodSync(fd, o.mode);
    if (typeof content === 'function') {
      closeSync(fd);
      fd = null;
      content(tmp);
      fd = openSync(tmp, constants.O_RDONLY | constants.O_NOFOLLOW);
    } else {
      let pending: Array<string | Uint8Array> = [];
      let size = 0;
      // gathered into writes of about a megabyte: a stream of small pieces is not a syscall each
      const flush = (): void => {
        if (pending.length > 0) writeAllSync(fd!, Buffer.concat(pending.map((c) => (typeof c === 'string' ? Buffer.from(c) : c))));
        pending = [];
        size = 0;
      };
      for (const c of content) {
        pending.push(c);
        size += c.length;
        if (size >= 1 << 20) flush();
      }
      flush();
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    // the target may have changed since the check (a FIFO put there): look again right before the rename
    checkOutput(target, o);
    renameSync(tmp, target);
  } catch (err) {
    if (fd !== null) closeSync(fd);
    for (const s of SIDECARS) rmSync(tmp + s, { force: true });
    if (err instanceof UsageError) throw err;
    const code = errnoCode(err);
    // a message from the filler (SQLite) may name the temporary file: it is the target to the user
    const detail = err instanceof MemrecError ? err.message.split(tmp).join(shownPath(target)) : errnoText(code);
    throw new MemrecError(`${o.label} ${shownPath(target)}: cannot write: ${detail}`);
  }
  // the rename is durable once the directory is synced; best effort (some file systems refuse)
  try {
    const dfd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    /* the file is complete either way */
  }
}

/** Create an empty file with `mode`, only if nothing is there (not even a dangling link). False when something is. */
export function createExclusive(file: string, mode: number): boolean {
  try {
    const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
    try {
      fchmodSync(fd, mode);
    } finally {
      closeSync(fd);
    }
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}
