// node_exporter's textfile collector reads every *.prom file of a directory at each scrape: the
// file must never be seen half-written, so it is written beside its final name and renamed.
import { closeSync, fchmodSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { MemrecError } from '../errors.js';

export const TEXTFILE_NAME = 'memrec.prom';

/**
 * Atomically replace `<dir>/memrec.prom` with `text`. Mode 0644, not memrec's usual 0600: node_exporter
 * runs as another user and must read it, and it serves the same values to anyone who can scrape it.
 * Returns the path written. Errors (a missing or read-only dir) are thrown with the path in the message.
 */
export function writeTextfile(dir: string, text: string, name: string = TEXTFILE_NAME): string {
  const target = path.join(dir, name);
  // not *.prom, so a scrape between write and rename ignores it
  const tmp = path.join(dir, `.${name}.${process.pid}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w', 0o644);
    fchmodSync(fd, 0o644); // the umask (0077 under systemd) must not narrow it
    writeSync(fd, text);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, target);
    return target;
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new MemrecError(`--textfile-dir ${dir}: cannot write ${name} (${code})`);
  }
}
