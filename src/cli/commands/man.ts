import { defineCommand, type Command } from '../command.js';
import { commonOptions } from '../args.js';
import { write } from '../io.js';
import { loadCommands } from '../catalog.js';
import { manPage } from '../docs/man.js';
import { packageInfo } from '../main.js';

export const command: Command = defineCommand({
  name: 'man',
  summary: 'print the memrec(1) manual page in roff, made from the same option definitions that parse the flags',
  options: commonOptions,
  help: `Usage: memrec man

Writes the memrec(1) manual page (roff) to standard output: every command with every option it accepts,
the MEMREC_* environment, the files, the exit statuses and examples. The Debian package installs it;
from a checkout, npm run build writes it to dist/man/memrec.1.

Examples:
  memrec man | man -l -
  mkdir -p ~/.local/share/man/man1 && memrec man > ~/.local/share/man/man1/memrec.1
`,
  async run(_values, io) {
    await write(io.stdout, manPage(await loadCommands(), packageInfo()));
    return 0;
  },
});
