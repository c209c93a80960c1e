import type { Command } from './command.js';

/** Commands load lazily: `memrec query` must not pay for the recorder's imports. In `memrec --help` order. */
export const COMMANDS: Record<string, () => Promise<{ command: Command }>> = {
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
  man: () => import('./commands/man.js'),
  completion: () => import('./commands/completion.js'),
};

/** Every command, loaded: what the man page and the completions are made from. */
export async function loadCommands(): Promise<Command[]> {
  return Promise.all(Object.values(COMMANDS).map(async (load) => (await load()).command));
}

/** The options `memrec` itself takes, before any command (src/cli/main.ts handles them). */
export const GLOBAL_OPTIONS = [
  { name: 'help', short: 'h', doc: 'list the commands; with a command, its usage, options and examples' },
  { name: 'version', short: 'V', doc: "print memrec's version" },
] as const;
