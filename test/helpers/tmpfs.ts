// A small tmpfs for full-disk tests (root only), unmounted again whatever happens in the test: a file
// still open there (a store an assertion left open, a recorder not yet dead) makes umount EBUSY, so it is
// then detached lazily, and the mount point is removed only once nothing is mounted on it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

function mounted(dir: string): boolean {
  // /proc/self/mounts escapes spaces and the like as \ooo octal; mkdtemp names have none
  return readFileSync('/proc/self/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === dir);
}

export async function withTmpfs<T>(size: string, fn: (mnt: string) => T | Promise<T>): Promise<T> {
  const mnt = mkdtempSync(path.join(tmpdir(), 'memrec-tmpfs-'));
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', mnt], { encoding: 'utf8', timeout: 30_000 });
  if (m.status !== 0) {
    rmdirSync(mnt);
    throw new Error(`mount -t tmpfs on ${mnt}: ${m.stderr || m.error?.message}`);
  }
  try {
    return await fn(mnt);
  } finally {
    if (spawnSync('umount', [mnt], { timeout: 30_000 }).status !== 0) spawnSync('umount', ['-l', mnt], { timeout: 30_000 });
    if (mounted(mnt)) throw new Error(`${mnt} is still mounted after umount -l`);
    rmdirSync(mnt);
  }
}
