// Real cgroup v1 memory trees for tests on the live kernel. Everything created is removed again,
// also when the test fails: processes are killed, then directories are removed deepest first.
// The cgroup handle itself is the incident example's (examples/incident/cgroup.ts); this adds creation and cleanup.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ExistingCgroup, MEMORY_ROOT } from '../../examples/incident/cgroup.js';

export { MEMORY_ROOT };

/** True where tests may create memory cgroups (root, cgroup v1 memory hierarchy writable). */
export function canUseMemoryCgroups(): boolean {
  try {
    return process.getuid?.() === 0 && existsSync(path.join(MEMORY_ROOT, 'memory.usage_in_bytes'));
  } catch {
    return false;
  }
}

/** A fresh, uniquely named memory cgroup below the root, owned by the test that made it. */
export class TestCgroup extends ExistingCgroup {
  private readonly children: ChildProcess[] = [];

  constructor(prefix = 'memrec-test') {
    super(TestCgroup.create(prefix));
  }

  private static create(prefix: string): string {
    const cgroup = `/${prefix}-${randomBytes(4).toString('hex')}`;
    mkdirSync(path.join(MEMORY_ROOT, cgroup));
    return cgroup;
  }

  /** As ExistingCgroup's, and the process is killed by destroy(). */
  override spawnIn(sub: string, cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
    const child = super.spawnIn(sub, cmd, args, opts);
    this.children.push(child);
    return child;
  }

  /** Kill every process in the tree and remove all directories, deepest first. Safe to call twice. */
  async destroy(): Promise<void> {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    const root = this.fsPath();
    if (!existsSync(root)) return;
    const dirs: string[] = [];
    const walk = (d: string): void => {
      dirs.push(d);
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(d, e.name));
    };
    walk(root);
    dirs.reverse();
    for (let attempt = 0; attempt < 50; attempt++) {
      let busy = false;
      for (const d of dirs) {
        if (!existsSync(d)) continue;
        for (const pid of readFileSync(path.join(d, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
          busy = true;
          try {
            process.kill(Number(pid), 'SIGKILL');
          } catch {
            /* already gone */
          }
        }
      }
      if (!busy) {
        try {
          for (const d of dirs) if (existsSync(d)) rmdirSync(d);
          return;
        } catch {
          /* a process was still exiting; retry */
        }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`could not remove test cgroup ${root}`);
  }
}

/** Run `fn` with a fresh test cgroup that is always removed afterwards. */
export async function withCgroup<T>(fn: (cg: TestCgroup) => Promise<T>, prefix?: string): Promise<T> {
  const cg = new TestCgroup(prefix);
  try {
    return await fn(cg);
  } finally {
    await cg.destroy();
  }
}
