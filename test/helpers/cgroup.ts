// Real cgroup v1 memory trees for tests on the live kernel. Everything created is removed again,
// also when the test fails: processes are killed, then directories are removed deepest first.
// The cgroup handle itself is the incident example's (examples/incident/cgroup.ts); this adds creation and cleanup.
// A run killed with SIGKILL cannot clean up: its cgroups' names carry the creating process's pid and start
// time, so that the next `npm test` removes them once that process is gone (sweepStaleCgroups), and never
// a cgroup of a run that is still going, on this machine or in another checkout.
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
    const cgroup = `/${prefix}-${process.pid}-${startTime(process.pid)}-${randomBytes(4).toString('hex')}`;
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
    await removeTree(this.fsPath());
  }
}

/** Kill every process in the memory cgroup directory `root` and its children, then remove them, deepest first. */
async function removeTree(root: string): Promise<void> {
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

/** A process's start time in clock ticks after boot (field 22 of /proc/<pid>/stat), or null when it is gone. */
export function startTime(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // the fields after comm, which may hold spaces and parentheses: state is field 3, starttime field 22
  const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  return start === undefined ? null : Number(start);
}

/** `<prefix>-<pid>-<start time>-<hex>`: the test and incident cgroups whose creator can be told dead or alive. */
const OWNED = /^memrec-(?:test|incident)-(\d+)-(\d+)-[0-9a-f]+$/;

/**
 * Remove the test cgroups (and their processes) whose creating process is gone: left by a run killed
 * before it could clean up. A cgroup whose creator still runs (same pid and start time) is another run's
 * and is kept, as is any name that does not say who made it. Returns the cgroup paths removed.
 */
export async function sweepStaleCgroups(): Promise<string[]> {
  if (!existsSync(MEMORY_ROOT)) return [];
  const removed: string[] = [];
  for (const name of readdirSync(MEMORY_ROOT)) {
    const m = OWNED.exec(name);
    if (!m) continue;
    if (startTime(Number(m[1])) === Number(m[2])) continue;
    await removeTree(path.join(MEMORY_ROOT, name));
    removed.push(`/${name}`);
  }
  return removed;
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
