// The second half of `npm run build` (after tsc): the man page and the shell completions, made from the
// commands' option definitions, into dist/man/memrec.1 and dist/completion/{memrec.bash,_memrec}. The
// Debian package (packaging/deb/build.ts) ships them. Plain node, no dependency: it runs in npm ci's prepare.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCommands } from '../src/cli/catalog.js';
import { bashCompletion } from '../src/cli/docs/bash.js';
import { manPage } from '../src/cli/docs/man.js';
import { zshCompletion } from '../src/cli/docs/zsh.js';
import { packageInfo } from '../src/cli/main.js';
import { writeOutput } from '../src/fs/write.js';

/** dist/packaging → dist */
const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Where the build puts each generated file, below dist/. */
export const GENERATED = {
  man: 'man/memrec.1',
  bash: 'completion/memrec.bash',
  zsh: 'completion/_memrec',
} as const;

export async function writeDocs(dist = DIST): Promise<string[]> {
  const commands = await loadCommands();
  const texts: Record<keyof typeof GENERATED, string> = {
    man: manPage(commands, packageInfo()),
    bash: bashCompletion(commands),
    zsh: zshCompletion(commands),
  };
  const written: string[] = [];
  for (const [key, rel] of Object.entries(GENERATED) as Array<[keyof typeof GENERATED, string]>) {
    const file = path.join(dist, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeOutput(file, [texts[key]], { label: 'npm run build', mode: 0o644, replace: true });
    written.push(file);
  }
  return written;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await writeDocs();
