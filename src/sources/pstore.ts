// /sys/fs/pstore: what the previous kernel left of its log (a panic or oops dump, the console). Read once at
// the recorder's start. Only regular files, never through a link, each at most MAX_BYTES.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { listDir, readHead, statRegular } from '../fs/read.js';
import { isKernelLogName, type PstoreFile } from '../model/pstore.js';

/** ramoops records are a few KiB to 128 KiB, an EFI part about 1 KiB; anything past this is cut. */
const MAX_BYTES = 1024 * 1024;

/** A regular file's first MAX_BYTES and its mtime; null when it is not a regular file or cannot be read. */
function readRegular(file: string): { text: string; mtimeMs: number } | null {
  try {
    const st = statRegular(file, { noFollow: true });
    if (st === null) return null;
    const text = readHead(file, MAX_BYTES, { noFollow: true }).toString('utf8');
    return { text, mtimeMs: Math.round(st.mtimeMs) }; // ms with a fraction; times are whole ms
  } catch {
    return null;
  }
}

/** The kernel log files in <sysRoot>/fs/pstore, by name; empty when there is no pstore. */
export function readPstore(sysRoot: string): PstoreFile[] {
  const dir = path.join(sysRoot, 'fs', 'pstore');
  let names: string[];
  try {
    names = listDir(dir).map((d) => d.name).filter(isKernelLogName).sort();
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
