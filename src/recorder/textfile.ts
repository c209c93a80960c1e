// node_exporter's textfile collector reads every *.prom file of a directory at each scrape: the
// file must never be seen half-written, so it is written beside its final name and renamed.
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { errnoText } from '../fs/file-error.js';
import { writeOutput } from '../fs/write.js';

export const TEXTFILE_NAME = 'memrec.prom';

/** Why `dir` cannot take the textfile (checked once at start, not found out at every snapshot), or null. */
export function textfileDirProblem(dir: string): string | null {
  try {
    if (!statSync(dir).isDirectory()) return 'not a directory';
    accessSync(dir, constants.W_OK | constants.X_OK);
    return null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    if (code === 'ENOENT') return 'no such directory';
    if (code === 'ENOTDIR') return 'not a directory';
    return `memrec cannot write there: ${errnoText(code)}`;
  }
}

/**
 * Atomically replace `<dir>/memrec.prom` with `text`. Mode 0644, not memrec's usual 0600: node_exporter
 * runs as another user and must read it, and it serves the same values to anyone who can scrape it.
 * Returns the path written. A memrec.prom that is a link, FIFO or device, or a missing or read-only
 * directory, is refused with an error naming the path.
 */
export function writeTextfile(dir: string, text: string, name: string = TEXTFILE_NAME): string {
  const target = path.join(dir, name);
  writeOutput(target, [text], { label: '--textfile-dir', mode: 0o644, replace: true });
  return target;
}
