// The build as another user can reach it. Tests that run memrec as nobody, or install a unit that the
// service's dynamic user must run, cannot use the checkout itself: it may live in a 0700 directory (root's
// home). stagedBuild() puts what memrec needs at run time (package.json, dist/, migrations/, systemd/,
// node_modules/) in a 0755 directory under the temp dir, hard-linked where the file is world-readable and
// copied otherwise, once per test process, removed when the process exits.
import { copyFileSync, linkSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { unreachableReason } from '../../src/service/reachable.js';
import { repoRoot } from './paths.js';

export interface StagedBuild {
  /** the staged repository root (mode 0755 all the way down) */
  root: string;
  /** dist/src/cli/bin.js in it */
  bin: string;
  /** a node binary any user can run: process.execPath if it is reachable, else a copy in the stage */
  node: string;
  /** a file of the staged dist/, e.g. dist('src/sources/collector.js') */
  dist(...parts: string[]): string;
}

const PARTS = ['package.json', 'dist', 'migrations', 'systemd', 'node_modules'];

let staged: StagedBuild | null = null;

/** Link `from` to `to` (a whole tree): directories 0755, files linked if others may read them, else copied readable. */
function stage(from: string, to: string): void {
  const st = statSync(from);
  if (st.isDirectory()) {
    mkdirSync(to, { mode: 0o755 });
    chmodSync(to, 0o755);
    for (const e of readdirSync(from)) stage(path.join(from, e), path.join(to, e));
    return;
  }
  if (!st.isFile()) return;
  if ((st.mode & 0o004) !== 0) {
    try {
      linkSync(from, to);
      return;
    } catch {
      /* another file system: copy */
    }
  }
  copyFileSync(from, to);
  chmodSync(to, (st.mode & 0o111) !== 0 ? 0o755 : 0o644);
}

export function stagedBuild(): StagedBuild {
  if (staged) return staged;
  const root = mkdtempSync(path.join(tmpdir(), 'memrec-staged-'));
  process.on('exit', () => rmSync(root, { recursive: true, force: true }));
  chmodSync(root, 0o755);
  for (const p of PARTS) stage(path.join(repoRoot, p), path.join(root, p));
  let node = process.execPath;
  if (unreachableReason(node, true) !== null) {
    node = path.join(root, 'node');
    stage(process.execPath, node);
    chmodSync(node, 0o755);
  }
  const bin = path.join(root, 'dist', 'src', 'cli', 'bin.js');
  const why = unreachableReason(bin, false);
  if (why !== null) throw new Error(`the staged build is not reachable by other users: ${why} (set TMPDIR to a directory others can enter)`);
  staged = { root, bin, node, dist: (...parts) => path.join(root, 'dist', ...parts) };
  return staged;
}
