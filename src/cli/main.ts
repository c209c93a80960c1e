import { readText, SMALL_FILE_MAX } from '../fs/read.js';
import { checkEnvironment } from '../config/env.js';
import { MemrecError, UsageError } from '../errors.js';
import { cleanText } from '../model/text.js';
import { fileURLToPath } from 'node:url';
import { debugFlag } from './args.js';
import { COMMANDS as commands } from './catalog.js';
import { write, type Io } from './io.js';

/** memrec's package.json: its version and one-line description. */
export function packageInfo(): { version: string; description: string } {
  const pkg = JSON.parse(readText(fileURLToPath(new URL('../../../package.json', import.meta.url)), { maxBytes: SMALL_FILE_MAX })) as { version: string; description: string };
  return { version: pkg.version, description: pkg.description };
}

export function version(): string {
  return packageInfo().version;
}

async function usage(): Promise<string> {
  const lines = ['Usage: memrec <command> [options]', '', 'Commands:'];
  for (const [name, load] of Object.entries(commands)) {
    let summary = '';
    try {
      summary = (await load()).command.summary;
    } catch {
      summary = '(unavailable)';
    }
    lines.push(`  ${name.padEnd(18)} ${summary}`);
  }
  lines.push('', 'Options: --help, --version, --debug (stack traces on errors)', "Run 'memrec <command> --help' for a command's options and examples.", '');
  return lines.join('\n');
}

export async function main(argv: string[], io: Io): Promise<number> {
  const debug = debugFlag(argv);
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      await write(io.stdout, await usage());
      return name === undefined ? 2 : 0;
    }
    if (name === '--version' || name === '-V') {
      await write(io.stdout, `memrec ${version()}\n`);
      return 0;
    }
    const load = Object.hasOwn(commands, name) ? commands[name] : undefined;
    if (!load) {
      await write(io.stderr, `memrec: unknown command ${cleanText(JSON.stringify(name))}; expected one of ${Object.keys(commands).join(', ')}\n`);
      return 2;
    }
    const { command } = await load();
    if (rest.includes('--help') || rest.includes('-h')) {
      await write(io.stdout, command.help.endsWith('\n') ? command.help : command.help + '\n');
      return 0;
    }
    checkEnvironment(name, io.env);
    return await command.run(rest, io);
  } catch (err) {
    // A usage error is about what was typed: its line says all, a stack would only point into the parser.
    if (err instanceof MemrecError && (!debug || err instanceof UsageError)) {
      // one line, whatever file name or recorded string the message quotes
      await write(io.stderr, `${cleanText(err.message)}
`);
      return err.exitCode;
    }
    const msg = err instanceof Error ? (debug ? (err.stack ?? err.message) : cleanText(err.message)) : cleanText(String(err));
    await write(io.stderr, `memrec${name ? ` ${name}` : ''}: ${msg}\n`);
    return err instanceof MemrecError ? err.exitCode : 1;
  }
}
