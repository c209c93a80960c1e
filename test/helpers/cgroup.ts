// Real cgroup v1 memory trees for tests on the live kernel. Everything created is removed again,
// also when the test fails: processes are killed, then directories are removed deepest first.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

export const MEMORY_ROOT = '/sys/fs/cgroup/memory';

/** True where tests may create memory cgroups (root, cgroup v1 memory hierarchy writable). */
export function canUseMemoryCgroups(): boolean {
  try {
    return process.getuid?.() === 0 && existsSync(path.join(MEMORY_ROOT, 'memory.usage_in_bytes'));
  } catch {
    return false;
  }
}

export class TestCgroup {
  /** cgroup path as /proc/<pid>/cgroup shows it, e.g. `/memrec-test-ab12` */
  readonly path: string;
  private readonly children: ChildProcess[] = [];

  constructor(prefix = 'memrec-test') {
    this.path = `/${prefix}-${randomBytes(4).toString('hex')}`;
    mkdirSync(this.fsPath());
  }

  fsPath(sub = ''): string {
    return path.join(MEMORY_ROOT, this.path, sub);
  }

  /** cgroup path of a sub-cgroup, creating it (and its parents). */
  mkdir(sub: string): string {
    mkdirSync(this.fsPath(sub), { recursive: true });
    return path.posix.join(this.path, sub);
  }

  setLimit(bytes: number, sub = ''): void {
    writeFileSync(this.fsPath(path.join(sub, 'memory.limit_in_bytes')), String(bytes));
  }

  movePid(pid: number, sub = ''): void {
    writeFileSync(this.fsPath(path.join(sub, 'cgroup.procs')), String(pid));
  }

  /**
   * Start a process that is in `sub` before it runs its program: a shell moves itself into the cgroup
   * and then execs the command, so no allocation happens outside the cgroup.
   */
  spawnIn(sub: string, cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
    const procs = this.fsPath(path.join(sub, 'cgroup.procs'));
    const child = spawn('/bin/sh', ['-c', `echo $$ > '${procs}' && exec "$@"`, 'sh', cmd, ...args], {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.children.push(child);
    return child;
  }

  /** Wait until `pid` shows up in the cgroup's procs (spawnIn moves itself asynchronously). */
  async waitForPid(pid: number, sub = '', timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const procs = readFileSync(this.fsPath(path.join(sub, 'cgroup.procs')), 'utf8').split('\n');
      if (procs.includes(String(pid))) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`pid ${pid} did not appear in ${this.path}/${sub}`);
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
