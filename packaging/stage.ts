// memrec as installed, in one directory: the files of its npm tarball (package.json "files", as
// `npm pack` lists them) and the production node_modules of this checkout, better-sqlite3 compiled here
// (this machine's arch, this node's ABI) and pruned to what loads at run time. One definition for the
// Debian package and the systemd boot test, so both run what a user would install.
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, cpSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync } from 'node:fs';
import path from 'node:path';

export interface Package {
  name: string;
  version: string;
  description: string;
  license: string;
  bin: Record<string, string>;
  engines: { node: string };
}

export function readPackage(repoRoot: string): Package {
  return JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as Package;
}

/** What npm would put in the tarball, relative to the repository root. Needs a built dist/. */
export function packedFiles(repoRoot: string): string[] {
  // npm test sets npm_config_* (prefix, ...) that would change what npm does here
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repoRoot, encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`npm pack --dry-run failed in ${repoRoot}: ${r.stderr.trim().split('\n').pop() ?? ''}`);
  const files = (JSON.parse(r.stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
  if (!files.includes(readPackage(repoRoot).bin['memrec']!)) throw new Error(`${repoRoot}: dist/ is not built (run npm run build)`);
  return files.sort();
}

/** node_modules paths of the production dependencies, from package-lock.json (dev-only ones left out). */
export function productionModules(repoRoot: string): string[] {
  const lock = JSON.parse(readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; link?: boolean }> };
  return Object.entries(lock.packages)
    .filter(([key, meta]) => key.startsWith('node_modules/') && meta.dev !== true && meta.link !== true)
    .map(([key]) => key)
    .sort();
}

/** Kept of better-sqlite3: its JavaScript, licence and the compiled addon (not the SQLite sources, objects, test addon). */
const NATIVE_KEEP = ['package.json', 'LICENSE', 'lib', 'build/Release/better_sqlite3.node'];

/**
 * Copy memrec into `dest` (created; must not exist or be empty) as it runs installed. Directories 0755,
 * files 0644, the CLI entry 0755, whatever the checkout's modes and umask were. Returns the files copied.
 */
export function stageInstalled(repoRoot: string, dest: string): { files: number } {
  mkdirSync(dest, { recursive: true });
  for (const f of packedFiles(repoRoot)) {
    mkdirSync(path.dirname(path.join(dest, f)), { recursive: true });
    cpSync(path.join(repoRoot, f), path.join(dest, f));
  }
  for (const mod of productionModules(repoRoot)) {
    const from = path.join(repoRoot, mod);
    if (!existsSync(from)) throw new Error(`${from}: missing; run npm ci first`);
    const to = path.join(dest, mod);
    // nested node_modules are listed in the lock file on their own, dev-only ones excluded
    const entries = path.basename(mod) === 'better-sqlite3' ? NATIVE_KEEP : readdirSync(from).filter((e) => e !== 'node_modules' && !e.startsWith('.'));
    for (const e of entries) {
      if (!existsSync(path.join(from, e))) throw new Error(`${path.join(from, e)}: missing (better-sqlite3 not built?)`);
      mkdirSync(path.dirname(path.join(to, e)), { recursive: true });
      cpSync(path.join(from, e), path.join(to, e), { recursive: true, dereference: false });
    }
  }
  let files = 0;
  normalizeModes(dest, () => files++, true);
  chmodSync(path.join(dest, readPackage(repoRoot).bin['memrec']!), 0o755);
  return { files };
}

function startsWithShebang(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(2);
    return readSync(fd, b, 0, 2, 0) === 2 && b.toString() === '#!';
  } finally {
    closeSync(fd);
  }
}

/** 0755 directories; 0755 for scripts (a #! line), 0644 for the rest; dependencies' dotfiles (.npmignore, .eslintrc) dropped. */
function normalizeModes(dir: string, count: () => void, top = false): void {
  chmodSync(dir, 0o755);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (!top && e.name.startsWith('.') && p.includes(`${path.sep}node_modules${path.sep}`)) {
      rmSync(p, { recursive: true, force: true });
      continue;
    }
    if (e.isDirectory()) normalizeModes(p, count);
    else if (e.isFile()) {
      chmodSync(p, startsWithShebang(p) ? 0o755 : 0o644);
      count();
    }
  }
}
