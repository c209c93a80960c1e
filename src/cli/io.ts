import type { Writable } from 'node:stream';

/** Where a command writes and what it may read of its environment: injected so tests run commands as data. */
export interface Io {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  /** terminal width for tables and charts; undefined when not a terminal */
  columns: number | undefined;
  /** the clock, so that time parsing and ages can be tested */
  now: () => number;
}

export function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    columns: process.stdout.isTTY ? process.stdout.columns : undefined,
    now: () => Date.now(),
  };
}

/** Write and resolve when flushed; a closed pipe (`memrec query | head`) is a normal end, not an error. */
export function write(out: Writable, text: string): Promise<void> {
  return new Promise((resolve) => {
    if (out.destroyed || out.writableEnded) return resolve();
    out.write(text, () => resolve());
  });
}
