import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Options every command accepts. */
export const commonOptions = {
  help: { type: 'boolean', short: 'h' },
  debug: { type: 'boolean' },
} as const satisfies OptionSpec;

/** Options of every command that reads the node (see README: reading another root). */
export const nodeOptions = {
  'host-root': { type: 'string' },
  'proc-root': { type: 'string' },
  'sys-root': { type: 'string' },
  'memory-cgroup': { type: 'string' },
  hard: { type: 'string' },
  soft: { type: 'string' },
} as const satisfies OptionSpec;

/**
 * util.parseArgs with memrec's error style: one line naming the command and the input.
 * Returns the parsed values and positionals.
 */
export function parse<T extends OptionSpec>(command: string, argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: joinNegativeValues(argv, options), options, allowPositionals, strict: true });
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    // Node's messages are multi-sentence; keep the first, which names the option.
    const first = msg.split(/\.\s|\n/)[0]!.replace(/\.$/, '');
    throw new UsageError(`memrec ${command}: ${first} (see memrec ${command} --help)`);
  }
}

/**
 * `--boot -1` as `--boot=-1`: util.parseArgs takes a value that starts with `-` for an option and refuses it as
 * ambiguous, but a negative number after a string option is its value (as journalctl -b -1 reads).
 */
export function joinNegativeValues(argv: readonly string[], options: OptionSpec): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : null;
    const next = argv[i + 1];
    if (name !== null && options[name]?.type === 'string' && next !== undefined && /^-\d+$/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** A whole number within [min, max], or a UsageError naming the flag. */
export function intFlag(command: string, flag: string, value: string | undefined, def: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return def;
  if (!/^\d+$/.test(value.trim())) {
    throw new UsageError(`memrec ${command}: --${flag} ${JSON.stringify(value)}: expected a whole number from ${min} to ${max}`);
  }
  const n = Number(value);
  if (n < min || n > max) {
    throw new UsageError(`memrec ${command}: --${flag} ${value}: expected a whole number from ${min} to ${max}`);
  }
  return n;
}

/** One of a fixed set of words, or a UsageError listing them. */
export function choiceFlag<C extends string>(command: string, flag: string, value: string | undefined, choices: readonly C[], def: C): C {
  if (value === undefined) return def;
  if ((choices as readonly string[]).includes(value)) return value as C;
  throw new UsageError(`memrec ${command}: --${flag} ${JSON.stringify(value)}: expected one of ${choices.join(', ')}`);
}
