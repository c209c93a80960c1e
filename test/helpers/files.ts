// Special files for the tests of bad input (FIFOs), and what "left exactly as it was" compares.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { lstatSync, readFileSync } from 'node:fs';

export function mkfifo(p: string): void {
  const r = spawnSync('mkfifo', [p], { encoding: 'utf8' });
  assert.equal(r.status, 0, `mkfifo ${p}: ${r.stderr}`);
}

/** Kind, mode, owner, size, mtime, device, inode and the bytes (of a regular file): all that must not change. */
export function fileState(p: string): string {
  const st = lstatSync(p);
  const bytes = st.isFile() ? createHash('sha256').update(readFileSync(p)).digest('hex') : '';
  return JSON.stringify({ mode: st.mode, uid: st.uid, gid: st.gid, size: st.size, mtime: st.mtimeMs, rdev: st.rdev, ino: st.ino, bytes });
}
