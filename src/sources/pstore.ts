// /sys/fs/pstore: what the previous kernel left of its log (a panic or oops dump, the console). Read once at
// the recorder's start. Only regular files, never through a link, each at most MAX_BYTES.
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readdirSync, readSync } from 'node:fs';
import path from 'node:path';
import { isKernelLogName, type PstoreFile } from '../model/pstore.js';

/** ramoops records are a few KiB to 128 KiB, an EFI part about 1 KiB; anything past this is cut. */
const MAX_BYTES = 1024 * 1024;

/** A regular file's first MAX_BYTES and its mtime; null when it is not a regular file or cannot be read. */
function readRegular(file: string): { text: string; mtimeMs: number } | null {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return null;
    const buf = Buffer.allocUnsafe(Math.min(Math.max(st.size, 4096), MAX_BYTES));
    let len = 0;
    while (len < buf.length) {
      const n = readSync(fd, buf, len, buf.length - len, null);
      if (n === 0) break;
      len += n;
    }
    return { text: buf.toString('utf8', 0, len), mtimeMs: Math.round(st.mtimeMs) }; // ms with a fraction; times are whole ms
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/** The kernel log files in <sysRoot>/fs/pstore, by name; empty when there is no pstore. */
export function readPstore(sysRoot: string): PstoreFile[] {
  const dir = path.join(sysRoot, 'fs', 'pstore');
  let names: string[];
  try {
    names = readdirSync(dir).filter(isKernelLogName).sort();
  } catch {
    return [];
  }
  const out: PstoreFile[] = [];
  for (const name of names) {
    const f = readRegular(path.join(dir, name));
    if (f === null) continue;
    out.push({ name, text: f.text, mtimeMs: f.mtimeMs, sha256: createHash('sha256').update(f.text).digest('hex') });
  }
  return out;
}
