// The handle the incident scenario needs on a cgroup v1 memory tree. The test passes its TestCgroup
// (which also cleans up); the example wraps the cgroup incident.sh created, and the script's trap cleans up.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const MEMORY_ROOT = '/sys/fs/cgroup/memory';

export interface ScenarioCgroup {
  /** cgroup path as /proc/<pid>/cgroup shows it, e.g. `/memrec-incident-ab12` */
  readonly path: string;
  /** cgroup path of a sub-cgroup, creating it (and its parents) */
  mkdir(sub: string): string;
  setLimit(bytes: number, sub?: string): void;
  /** a process that is in `sub` before its program runs */
  spawnIn(sub: string, cmd: string, args: string[], opts?: { cwd?: string; env?: NodeJS.ProcessEnv }): ChildProcess;
  waitForPid(pid: number, sub?: string, timeoutMs?: number): Promise<void>;
}

/** An existing memory cgroup (created and removed by someone else). */
export class ExistingCgroup implements ScenarioCgroup {
  constructor(readonly path: string) {
    if (!path.startsWith('/') || path === '/') throw new Error(`cgroup "${path}": expected a path below the root, like /memrec-incident-ab12`);
  }

  /** the directory of the cgroup (or of `sub` below it) in the memory hierarchy */
  fsPath(sub = ''): string {
    return path.join(MEMORY_ROOT, this.path, sub);
  }

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

  spawnIn(sub: string, cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
    // The shell moves itself into the cgroup, then execs: nothing is allocated outside it.
    const procs = this.fsPath(path.join(sub, 'cgroup.procs'));
    return spawn('/bin/sh', ['-c', `echo $$ > '${procs}' && exec "$@"`, 'sh', cmd, ...args], {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  async waitForPid(pid: number, sub = '', timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (readFileSync(this.fsPath(path.join(sub, 'cgroup.procs')), 'utf8').split('\n').includes(String(pid))) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`pid ${pid} did not appear in ${this.path}/${sub}`);
  }
}
