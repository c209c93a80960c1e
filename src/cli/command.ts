import { parse, type OptionSpec, type ParsedValues } from './args.js';
import type { Io } from './io.js';

/** What a command takes besides options (only `memrec completion SHELL`). */
export interface Operand {
  /** its name in usage and man: SHELL */
  name: string;
  doc: string;
  choices: readonly string[];
}

/** One CLI command: a few lines over the library. `run` returns the exit status. */
export interface Command {
  name: string;
  /** one line for `memrec --help` */
  summary: string;
  /** full `memrec <name> --help` text: usage, options, examples */
  help: string;
  /**
   * Every option the command accepts, with its value name, description and allowed values: the very object
   * its arguments are parsed with (see defineCommand), and what help, man page and completions read.
   */
  options: OptionSpec;
  /** the one positional argument, when the command takes one */
  operand?: Operand;
  run(argv: string[], io: Io): Promise<number>;
}

/**
 * A command whose arguments are parsed with its own `options` before `run` sees them: the commands do not
 * call parse() themselves (test/cli-docs.test.ts checks), so the spec the docs are made from is the parser's.
 */
export function defineCommand<T extends OptionSpec>(def: {
  name: string;
  summary: string;
  help: string;
  options: T;
  operand?: Operand;
  run(values: ParsedValues<T>, io: Io, positionals: string[]): Promise<number>;
}): Command {
  const c: Command = {
    name: def.name,
    summary: def.summary,
    help: def.help,
    options: def.options,
    run: (argv, io) => {
      const { values, positionals } = parse(def.name, argv, def.options, def.operand !== undefined);
      return def.run(values, io, positionals);
    },
  };
  if (def.operand !== undefined) c.operand = def.operand;
  return c;
}
