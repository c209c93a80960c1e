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

/** Terminal columns a command may assume without a terminal (a chart must have a width). */
export const DEFAULT_COLUMNS = 80;

/** COLUMNS from the environment when it is a sensible width, else null. */
export function columnsFromEnv(env: NodeJS.ProcessEnv): number | null {
  const v = env['COLUMNS']?.trim() ?? '';
  if (!/^\d{1,4}$/.test(v)) return null;
  const n = Number(v);
  return n >= 20 ? n : null;
}

/**
 * The width of a terminal: COLUMNS when set (the user's word wins, as in ncurses), else what the terminal
 * reports, else 80 (a terminal that reports 0 columns, as some ptys and serial consoles do). Not a
 * terminal: undefined, and tables are not cut.
 */
export function terminalColumns(isTTY: boolean, reported: number | undefined, env: NodeJS.ProcessEnv): number | undefined {
  if (!isTTY) return undefined;
  return columnsFromEnv(env) ?? (reported !== undefined && reported > 0 ? reported : DEFAULT_COLUMNS);
}

export function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    columns: terminalColumns(process.stdout.isTTY === true, process.stdout.columns, process.env),
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
