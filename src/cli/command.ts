import type { Io } from './io.js';

/** One CLI command: a few lines over the library. `run` returns the exit status. */
export interface Command {
  name: string;
  /** one line for `memrec --help` */
  summary: string;
  /** full `memrec <name> --help` text: usage, options, examples */
  help: string;
  run(argv: string[], io: Io): Promise<number>;
}
