// The culprit of the incident: like updatedb, it walks a directory tree (its cwd follows the walk) and
// its memory grows as it goes. It holds what it allocated until the walk is done, then exits.
import { lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';

export interface WalkOptions {
  /** stop growing at this many bytes of buffers */
  growToBytes: number;
  /** bytes allocated (and touched) per directory entered */
  stepBytes: number;
  /** pause per directory, so that a recorder sees the cwd move */
  stepMs: number;
}

/** Every directory under `root`, depth first, root first. */
export function directories(root: string): string[] {
  const out: string[] = [root];
  for (const e of readdirSync(root, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.isDirectory()) out.push(...directories(path.join(root, e.name)));
  }
  return out;
}

export async function walk(root: string, o: WalkOptions): Promise<{ dirs: number; files: number; heldBytes: number }> {
  const held: Buffer[] = [];
  let heldBytes = 0;
  let files = 0;
  const dirs = directories(root);
  for (const dir of dirs) {
    process.chdir(dir);
    for (const name of readdirSync('.')) if (lstatSync(name).isFile()) files++;
    if (heldBytes < o.growToBytes) {
      const n = Math.min(o.stepBytes, o.growToBytes - heldBytes);
      held.push(Buffer.alloc(n, 1)); // filled, so every page is resident
      heldBytes += n;
    }
    await new Promise((r) => setTimeout(r, o.stepMs));
  }
  return { dirs: dirs.length, files, heldBytes: held.reduce((s, b) => s + b.length, 0) };
}

/** `updatedb <root> <growToBytes> <stepBytes> <stepMs>`: the script the scenario writes execs this. */
export async function main(argv: string[]): Promise<void> {
  const [root, growTo, step, ms] = argv;
  if (root === undefined || growTo === undefined || step === undefined || ms === undefined) {
    process.stderr.write('usage: updatedb ROOT GROW_TO_BYTES STEP_BYTES STEP_MS\n');
    process.exit(2);
  }
  const r = await walk(root, { growToBytes: Number(growTo), stepBytes: Number(step), stepMs: Number(ms) });
  process.stdout.write(`${JSON.stringify({ event: 'walked', ...r })}\n`);
}
