import { readText, SMALL_FILE_MAX } from '../fs/read.js';
import { checkEnvironment } from '../config/env.js';
import { MemrecError, UsageError } from '../errors.js';
import { cleanText } from '../model/text.js';
import { fileURLToPath } from 'node:url';
import { debugFlag } from './args.js';
import type { Command } from './command.js';
import { write, type Io } from './io.js';

/** Commands load lazily: `memrec query` must not pay for the recorder's imports. */
const commands: Record<string, () => Promise<{ command: Command }>> = {
  memory: () => import('./commands/memory.js'),
  snapshot: () => import('./commands/snapshot.js'),
  record: () => import('./commands/record.js'),
  status: () => import('./commands/status.js'),
  config: () => import('./commands/config.js'),
  query: () => import('./commands/query.js'),
  culprits: () => import('./commands/culprits.js'),
  timeline: () => import('./commands/timeline.js'),
  events: () => import('./commands/events.js'),
  export: () => import('./commands/export.js'),
  postmortem: () => import('./commands/postmortem.js'),
  'install-service': () => import('./commands/install-service.js'),
  'uninstall-service': () => import('./commands/uninstall-service.js'),
};

export function version(): string {
  const pkg = JSON.parse(readText(fileURLToPath(new URL('../../../package.json', import.meta.url)), { maxBytes: SMALL_FILE_MAX })) as { version: string };
  return pkg.version;
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
    const load = commands[name];
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
