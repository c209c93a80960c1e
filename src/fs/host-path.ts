// Host paths under --host-root, resolved the way openat2(RESOLVE_IN_ROOT) resolves them: the root is
// `/` for every step, so an absolute link target is re-anchored at the root and `..` stops at it. A link
// in the host's tree (a DaemonSet's /host mount, a fixture) can therefore never lead out of it, however
// it is written. Node has no openat2; this walks the path with lstat/readlink instead. The result has no
// symbolic link left in it (a link swapped in between the walk and the open is a race memrec accepts: the host
// tree is the node's own, mounted read-only in a DaemonSet).
import { lstatSync, readlinkSync, type Stats } from 'node:fs';
import path from 'node:path';
import { FileError } from './file-error.js';

/** As the kernel's MAXSYMLINKS. */
const MAX_LINKS = 40;

function parts(p: string): string[] {
  return p.split('/').filter((c) => c !== '' && c !== '.');
}

/** The error, with the link-free path that fails the same way (for confinedPath). */
function unresolvedAt(err: FileError, unresolved: string): FileError {
  return Object.assign(err, { unresolved });
}

export interface InRootOptions {
  /** follow a symbolic link in the last component too (default true, as open(2) does) */
  followLast?: boolean;
}

/**
 * `hostPath` (absolute, as the host sees it) as a path under `root` with every link resolved inside
 * the root. Throws FileError (ENOENT, ENOTDIR, ELOOP, EACCES, ...) naming the host path. With root `/`
 * the kernel's own resolution is the same, so the path is returned as it is.
 */
export function resolveInRoot(root: string, hostPath: string, opts: InRootOptions = {}): string {
  const followLast = opts.followLast ?? true;
  const absRoot = path.resolve(root);
  // the kernel resolves it the same way from /; not normalized here, since `a/..` is only `.` when `a` is no link
  if (absRoot === '/') return hostPath.startsWith('/') ? hostPath : `/${hostPath}`;
  let todo = parts(hostPath);
  let done: string[] = [];
  let links = 0;
  while (todo.length > 0) {
    const c = todo.shift()!;
    if (c === '..') {
      done.pop(); // clamped at the root
      continue;
    }
    const here = path.join(absRoot, ...done, c);
    let st: Stats;
    try {
      st = lstatSync(here);
    } catch (err) {
      // `here` has no link before its last part, which does not exist (or cannot be looked at): opening
      // what follows fails there as it would under RESOLVE_IN_ROOT
      throw unresolvedAt(FileError.fromErrno(hostPath, err, `cannot resolve under ${absRoot}`), path.join(here, ...todo));
    }
    if (st.isSymbolicLink() && (todo.length > 0 || followLast)) {
      if (++links > MAX_LINKS) throw new FileError(hostPath, 'ELOOP', `cannot resolve under ${absRoot}: more than ${MAX_LINKS} symbolic links`);
      let target: string;
      try {
        target = readlinkSync(here);
      } catch (err) {
        throw FileError.fromErrno(hostPath, err, `cannot resolve under ${absRoot}`);
      }
      if (target.startsWith('/')) done = [];
      todo = [...parts(target), ...todo];
      continue;
    }
    if (todo.length > 0 && !st.isDirectory()) {
      throw unresolvedAt(new FileError(hostPath, 'ENOTDIR', `cannot resolve under ${absRoot}: ${path.posix.join('/', ...done, c)} is not a directory`), path.join(here, ...todo));
    }
    done.push(c);
  }
  return path.join(absRoot, ...done);
}

/**
 * `hostPath` under `root` as a path to open: every link resolved inside the root (as resolveInRoot), or, when
 * it does not resolve (a missing file, a file where a directory should be, no permission), a path with no link
 * left before the failing part, which the kernel fails on the same way. Never a path whose links lead out of
 * the root. Use it where a path, not the file's text, is needed (listings, existence, readers of their own).
 */
export function confinedPath(root: string, hostPath: string): string {
  try {
    return resolveInRoot(root, hostPath);
  } catch (err) {
    if (!(err instanceof FileError)) throw err;
    const unresolved = (err as FileError & { unresolved?: string }).unresolved;
    // a loop of links is cut off: a path below /dev/null can name nothing
    return unresolved ?? path.join('/dev/null', hostPath);
  }
}
