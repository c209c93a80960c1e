import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseWholeNumber } from '../config/values.js';
import { UsageError, quoted } from '../errors.js';

type ParseOption = NonNullable<ParseArgsConfig['options']>[string];

/**
 * One option: what util.parseArgs needs (type, short, multiple, default) and what a person or a shell needs
 * to know about it. The --help text, the man page and the bash and zsh completions all read these rows
 * (src/cli/docs/), and the parser is given the very same object: a flag cannot be documented and refused,
 * nor accepted and undocumented (test/cli-docs.test.ts).
 */
export interface OptionDef extends ParseOption {
  /** the value's name in usage, help and man: `--since T`; only for string options */
  value?: string;
  /** one line: what the option does */
  doc: string;
  /** the words the value must be one of (checked by choiceFlag/listFlag from these rows); offered by completion */
  choices?: readonly string[];
  /** a comma-separated list of `choices` */
  list?: boolean;
  /** what completion offers for a value without choices: file names, directory names (default nothing) */
  complete?: 'file' | 'dir';
}

export type OptionSpec = Record<string, OptionDef>;

/** Options every command accepts. */
export const commonOptions = {
  help: { type: 'boolean', short: 'h', doc: 'print the command\'s usage, options and examples, and exit' },
  debug: { type: 'boolean', doc: 'show stack traces on errors (record: also log every stored snapshot)' },
} as const satisfies OptionSpec;

/** Options of every command that reads the node (see README: reading another root). */
export const nodeOptions = {
  'host-root': { type: 'string', value: 'DIR', complete: 'dir', doc: "read the host's /proc, /sys and kubelet files under DIR (default /)" },
  'proc-root': { type: 'string', value: 'DIR', complete: 'dir', doc: "the host's /proc (default <host-root>/proc)" },
  'sys-root': { type: 'string', value: 'DIR', complete: 'dir', doc: "the host's /sys (default <host-root>/sys)" },
  'memory-cgroup': { type: 'string', value: 'PATH', doc: 'compute the node signal on this memory cgroup (as /proc/<pid>/cgroup shows it), for nested nodes' },
  hard: { type: 'string', value: 'Q', doc: "hard eviction threshold to use instead of the kubelet's: 500Mi, 1.5Gi or 10% of capacity" },
  soft: { type: 'string', value: 'Q', doc: "soft eviction threshold to use instead of the kubelet's: 500Mi, 1.5Gi or 10% of capacity" },
} as const satisfies OptionSpec;

/** `-1`, `-0.5`, `-5m`: an argument that starts with a dash and a digit is a value, never an option. */
const NEGATIVE = /^-\.?\d/;

/**
 * Before util.parseArgs: a string option followed by something that looks like an option is refused,
 * naming the option that lacks its value (`--since --debug` must not read `--debug` as a time, nor turn on
 * --debug). A negative number is a value (`--oom-score-adj -500`), passed as `--name=-500` because
 * parseArgs calls it ambiguous. Any other value that starts with `-` is written `--name=-x`.
 */
function valuesFirst(command: string, argv: string[], options: OptionSpec): string[] {
  const out: string[] = [];
  const long = new Map(Object.entries(options).map(([name, o]) => [name, o.type]));
  const short = new Map(Object.entries(options).flatMap(([name, o]) => (o.short === undefined ? [] : [[o.short, name] as const])));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : /^-[^-]$/.test(a) ? short.get(a[1]!) : undefined;
    if (name === undefined || long.get(name) !== 'string') {
      out.push(a);
      continue;
    }
    const shown = a.startsWith('--') ? a : `--${name} (${a})`;
    const next = argv[i + 1];
    if (next === undefined) throw new UsageError(`memrec ${command}: ${shown} needs a value (see memrec ${command} --help)`);
    if (next.startsWith('-') && next !== '-' && !NEGATIVE.test(next)) {
      throw new UsageError(`memrec ${command}: ${shown} needs a value, but ${quoted(next)} follows it; write --${name}=VALUE for a value that starts with "-"`);
    }
    out.push(`--${name}=${next}`);
    i++;
  }
  return out;
}

/** The rows as util.parseArgs takes them: its own keys only, so that a newer Node cannot refuse ours. */
function parserOptions(options: OptionSpec): NonNullable<ParseArgsConfig['options']> {
  const out: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, o] of Object.entries(options)) {
    const p: ParseOption = { type: o.type };
    if (o.short !== undefined) p.short = o.short;
    if (o.multiple !== undefined) p.multiple = o.multiple;
    if (o.default !== undefined) p.default = o.default;
    out[name] = p;
  }
  return out;
}

/** The parsed values of a spec, typed as util.parseArgs types them. */
export type ParsedValues<T extends OptionSpec> = ReturnType<typeof parse<T>>['values'];

/** `--since T`, `-o, --out FILE`: an option as usage and help show it. */
export function optionTerm(name: string, o: OptionDef): string {
  return `--${name}${o.value === undefined ? '' : ` ${o.value}`}`;
}

/** Help lines for these options, one each: the term padded to `width`, then the doc. */
export function optionLines(options: OptionSpec, width: number): string {
  return Object.entries(options)
    .map(([name, o]) => `  ${optionTerm(name, o).padEnd(width)} ${o.doc}`)
    .join('\n');
}

/** True when --debug is given as an option (not as the value of another, not after `--`). */
export function debugFlag(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--debug');
}

/**
 * util.parseArgs with memrec's error style: one line naming the command and the input.
 * Returns the parsed values and positionals.
 */
export function parse<T extends OptionSpec>(command: string, argv: string[], options: T, allowPositionals = false) {
  const args = valuesFirst(command, argv, options);
  try {
    return parseArgs({ args, options: parserOptions(options) as T, allowPositionals, strict: true });
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    // Node's messages are multi-sentence; keep the first, which names the option.
    const first = msg.split(/\.\s|\n/)[0]!.replace(/\.$/, '');
    throw new UsageError(`memrec ${command}: ${first} (see memrec ${command} --help)`);
  }
}

/** A whole number within [min, max] (surrounding spaces ignored, as everywhere), or a UsageError naming the flag. */
export function intFlag(command: string, flag: string, value: string | undefined, def: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return def;
  const n = parseWholeNumber(value, min, max);
  if (n === undefined) throw new UsageError(`memrec ${command}: --${flag} ${quoted(value)}: expected a whole number from ${min} to ${max}`);
  return n;
}

/** One of a fixed set of words, or a UsageError listing them. */
export function choiceFlag<C extends string>(command: string, flag: string, value: string | undefined, choices: readonly C[], def: C): C {
  if (value === undefined) return def;
  const v = value.trim();
  if ((choices as readonly string[]).includes(v)) return v as C;
  throw new UsageError(`memrec ${command}: --${flag} ${quoted(value)}: expected one of ${choices.join(', ')}`);
}

/** Flags that contradict each other: a UsageError naming both, for the first pair that is given together. */
export function refuseTogether(command: string, values: Record<string, unknown>, pairs: Array<[string, string, string?]>): void {
  const given = (name: string): boolean => values[name] !== undefined && values[name] !== false;
  for (const [a, b, why] of pairs) {
    if (given(a) && given(b)) throw new UsageError(`memrec ${command}: --${a} and --${b} cannot be used together${why ? `: ${why}` : ''}`);
  }
}
