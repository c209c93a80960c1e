import { defineCommand, type Command } from '../command.js';
import { commonOptions } from '../args.js';
import { UsageError, quoted } from '../../errors.js';
import { write } from '../io.js';
import { loadCommands } from '../catalog.js';
import { bashCompletion } from '../docs/bash.js';
import { zshCompletion } from '../docs/zsh.js';

const SHELLS = ['bash', 'zsh'] as const;

export const command: Command = defineCommand({
  name: 'completion',
  summary: 'print the bash or zsh completion script, made from the same option definitions that parse the flags',
  options: commonOptions,
  operand: { name: 'SHELL', doc: 'the shell to complete for', choices: SHELLS },
  help: `Usage: memrec completion bash|zsh

Writes the completion script for the shell to standard output: command names, each command's options,
and the values of the options that take one of a few words (--format, --kind, --owner, --sort, --around,
--type) or a file. The Debian package installs both (bash-completion and zsh's vendor completions).

Examples:
  mkdir -p ~/.local/share/bash-completion/completions && memrec completion bash > ~/.local/share/bash-completion/completions/memrec
  mkdir -p ~/.zfunc && memrec completion zsh > ~/.zfunc/_memrec   # fpath+=(~/.zfunc) before compinit in ~/.zshrc
  source <(memrec completion bash)
`,
  async run(_values, io, positionals) {
    const [shell, ...extra] = positionals;
    if (shell === undefined || extra.length > 0 || !(SHELLS as readonly string[]).includes(shell)) {
      const got = shell === undefined ? 'nothing' : positionals.map((p) => quoted(p)).join(' ');
      throw new UsageError(`memrec completion: ${got}: expected one shell, ${SHELLS.join(' or ')} (see memrec completion --help)`);
    }
    const commands = await loadCommands();
    await write(io.stdout, shell === 'bash' ? bashCompletion(commands) : zshCompletion(commands));
    return 0;
  },
});
