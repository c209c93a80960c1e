// The service runs as a dynamic user: neither owner nor group of node or memrec's files, so only
// the "other" permission bits count. A node under /root (nvm) would make every start fail.
import { statSync, type Stats } from 'node:fs';
import path from 'node:path';

export type StatFn = (p: string) => Pick<Stats, 'mode' | 'isDirectory'>;

/**
 * Why `file` cannot be used by an unrelated user (`/root is mode 0700`), or null when it can:
 * every directory above it searchable by others, the file itself readable (and executable if `exec`).
 */
export function unreachableReason(file: string, exec: boolean, stat: StatFn = statSync): string | null {
  const abs = path.resolve(file);
  const parts = abs.split('/').filter(Boolean);
  let dir = '/';
  for (const part of parts.slice(0, -1)) {
    dir = path.join(dir, part);
    const st = stat(dir);
    if ((st.mode & 0o001) === 0) return `${dir} is mode ${mode(st.mode)} (others cannot enter it)`;
  }
  const st = stat(abs);
  if ((st.mode & 0o004) === 0) return `${abs} is mode ${mode(st.mode)} (others cannot read it)`;
  if (exec && (st.mode & 0o001) === 0) return `${abs} is mode ${mode(st.mode)} (others cannot run it)`;
  return null;
}

function mode(m: number): string {
  return '0' + (m & 0o7777).toString(8).padStart(3, '0');
}
