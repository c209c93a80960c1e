// Report files (export, postmortem --out) follow the file layer's rules (src/fs/write.ts): mode 0600, written
// beside their final name and renamed into place, never through a device, FIFO, directory or link, never onto
// the database being read; an existing file is kept unless --force.
import { resolveDbPath } from '../config/paths.js';
import type { OutputOptions } from '../fs/write.js';
import type { Io } from './io.js';

export function reportOutput(command: string, force: boolean, dbFlag: string | undefined, io: Io): OutputOptions {
  return {
    label: `memrec ${command}: --out`,
    mode: 0o600,
    replace: force,
    existsHint: '; pass --force to replace it',
    protect: [resolveDbPath(dbFlag, io.env, process.getuid?.() ?? 0)],
  };
}
