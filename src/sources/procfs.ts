// The /proc reader. Synchronous with one reused buffer: measured here, fs/promises costs 3-4x the CPU for
// thousands of tiny files. Every process gets its stat read; the other files only the processes kept.
import { closeSync, constants, fstatSync, openSync, readdirSync, readlinkSync, readSync, statfsSync, statSync } from 'node:fs';
import path from 'node:path';
import { ParseError } from '../errors.js';
import { fileKind, isRegular } from '../fs/file-error.js';
import type { ProcStatRaw } from '../model/types.js';
import type { ProcCgroups, ProcDetailsRaw, ProcStatusRaw } from '../model/process-raw.js';
import { parseBootTime, parseCgroupFile, parseOomScoreAdj, parseStat, parseStatus, splitCmdline } from './proc-parse.js';

export { parseBootTime, parseCgroupFile, parseOomScoreAdj, parseStat, parseStatus, splitCmdline } from './proc-parse.js';

/** The process is gone (or its pid now belongs to another process): skip it, silently. */
export class ProcessVanished extends Error {
  override readonly name = 'ProcessVanished';
}

function errnoCode(err: unknown): string | null {
  return typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : null;
}

/** What to read beyond stat. Values passed in `cached` are reused instead of read. */
export interface DetailRequest {
  cached?: { cgroups?: ProcCgroups; exe?: string | null } | undefined;
  /** kernel threads have no cmdline, exe or cwd worth reading */
  kernelThread: boolean;
}

const PROC_SUPER_MAGIC = 0x9fa0;
/** Above any real /proc file: a command line is at most 6 MiB (3/4 of _STK_LIM), and none other is near. */
const MAX_PROC_FILE = 8 * 1024 * 1024;
// Non-blocking: in a tree that is not procfs, a FIFO must not hang the open or the read.
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;

function isProcfs(dir: string): boolean {
  try {
    return statfsSync(dir).type === PROC_SUPER_MAGIC;
  } catch {
    return false;
  }
}

export class ProcFs {
  private buf = Buffer.allocUnsafe(16 * 1024);

  private readonly pidDir: string;
  /**
   * On the kernel's procfs every file is the kernel's: no check needed, and the hot path pays nothing. A
   * tree that is not procfs (a fixture, a copy) is checked file by file: regular files only.
   */
  private readonly checkKind: boolean;

  constructor(readonly procRoot: string) {
    this.pidDir = procRoot.endsWith('/') ? procRoot : `${procRoot}/`;
    this.checkKind = !isProcfs(procRoot);
  }

  private open(file: string): number {
    if (!this.checkKind) return openSync(file, OPEN_FLAGS);
    const before = statSync(file);
    if (!isRegular(before.mode)) throw new ParseError(file, `${fileKind(before.mode)}, not a regular file`);
    const fd = openSync(file, OPEN_FLAGS);
    const st = fstatSync(fd);
    if (!isRegular(st.mode)) {
      closeSync(fd);
      throw new ParseError(file, `${fileKind(st.mode)}, not a regular file`);
    }
    return fd;
  }

  /** Numeric entries of procRoot, unsorted. */
  listPids(): number[] {
    const pids: number[] = [];
    for (const name of readdirSync(this.procRoot)) {
      const c = name.charCodeAt(0);
      if (c >= 48 && c <= 57 && /^\d+$/.test(name)) pids.push(Number(name));
    }
    return pids;
  }

  /** Whole file through the shared buffer, grown when a file (a long cmdline) does not fit. */
  readText(file: string): string {
    const fd = this.open(file);
    try {
      let len = 0;
      for (;;) {
        if (len === this.buf.length) {
          if (len >= MAX_PROC_FILE) throw new ParseError(file, `larger than ${MAX_PROC_FILE / 1024 / 1024}Mi, more than any /proc file holds`);
          const bigger = Buffer.allocUnsafe(this.buf.length * 2);
          this.buf.copy(bigger, 0, 0, len);
          this.buf = bigger;
        }
        const n = readSync(fd, this.buf, len, this.buf.length - len, null);
        if (n === 0) break;
        len += n;
      }
      return this.buf.toString('utf8', 0, len);
    } finally {
      closeSync(fd);
    }
  }

  pidPath(pid: number, file: string): string {
    return `${this.pidDir}${pid}/${file}`;
  }

  /**
   * A stat file in one read: it is one short line the kernel renders whole, so a read that does not
   * fill the buffer has it all; that saves the read() that would only return 0, 1 syscall in 4.
   */
  private readStatText(file: string): string {
    const fd = this.open(file);
    try {
      const n = readSync(fd, this.buf, 0, this.buf.length, null);
      if (n < this.buf.length) return this.buf.toString('utf8', 0, n);
    } finally {
      closeSync(fd);
    }
    return this.readText(file);
  }

  /** /proc/<pid>/stat; null when the process is gone. A malformed file throws ParseError naming it. */
  readStat(pid: number): ProcStatRaw | null {
    const file = this.pidPath(pid, 'stat');
    let text: string;
    try {
      text = this.readStatText(file);
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT' || code === 'ESRCH' || code === 'ENOTDIR') return null;
      throw err;
    }
    return parseStat(text, file);
  }

  /** Boot time, epoch seconds, from <procRoot>/stat. */
  readBootTime(): number {
    const file = path.join(this.procRoot, 'stat');
    return parseBootTime(this.readText(file), file);
  }

  /**
   * Everything else about one process. A file that cannot be read leaves its field null with the reason in
   * `unknown`; if the process turns out to be gone (or its pid reused), throws ProcessVanished.
   */
  readDetails(stat: ProcStatRaw, req: DetailRequest): ProcDetailsRaw {
    const pid = stat.pid;
    const unknown: ProcDetailsRaw['unknown'] = {};
    const attempt = <T>(field: keyof ProcDetailsRaw['unknown'], fn: () => T): T | null => {
      try {
        return fn();
      } catch (err) {
        if (err instanceof ParseError) {
          unknown[field] = `unparseable: ${err.message}`;
          return null;
        }
        const code = errnoCode(err) ?? (err instanceof Error ? err.message : String(err));
        unknown[field] = code;
        return null;
      }
    };
    const status: ProcStatusRaw | null = attempt('status', () => {
      const f = this.pidPath(pid, 'status');
      return parseStatus(this.readText(f), f);
    });
    const cgroups: ProcCgroups | null =
      req.cached?.cgroups ??
      attempt('cgroup', () => {
        const f = this.pidPath(pid, 'cgroup');
        return parseCgroupFile(this.readText(f), f);
      });
    const oomScoreAdj = attempt('oomScoreAdj', () => {
      const f = this.pidPath(pid, 'oom_score_adj');
      return parseOomScoreAdj(this.readText(f), f);
    });
    let cwd: string | null = null;
    let exe: string | null = null;
    let argv: string[] | null = null;
    if (!req.kernelThread) {
      cwd = attempt('cwd', () => readlinkSync(this.pidPath(pid, 'cwd')));
      exe = req.cached?.exe !== undefined ? req.cached.exe : attempt('exe', () => readlinkSync(this.pidPath(pid, 'exe')));
      argv = attempt('cmdline', () => splitCmdline(this.readText(this.pidPath(pid, 'cmdline'))));
      // A zombie or exiting process has an empty cmdline: that is "unknown", not "".
      if (argv !== null && argv.length === 0) {
        argv = null;
        unknown.cmdline = 'empty';
      }
    }
    // Still the same process? Its stat must still be there with the same start time, else what we read is not its.
    let again: ProcStatRaw | null;
    try {
      again = this.readStat(pid);
    } catch {
      again = stat; // readable a moment ago, unparseable now: nothing says it left
    }
    if (again === null || again.startTimeTicks !== stat.startTimeTicks) throw new ProcessVanished(`pid ${pid} exited during the read`);
    if (status?.uid === null && unknown.uid === undefined) unknown.uid = 'no Uid line in status';
    if (status === null && unknown.uid === undefined) unknown.uid = unknown.status ?? 'unknown';
    return { stat, status, cgroups, cwd, exe, argv, oomScoreAdj, unknown };
  }

  /** Only the status file (swap of processes outside the top N, when the node swaps). */
  readStatus(pid: number): ProcStatusRaw {
    const f = this.pidPath(pid, 'status');
    return parseStatus(this.readText(f), f);
  }

  /** Only the cgroup file, for processes outside the top N whose owner must still be known. */
  readCgroups(pid: number): ProcCgroups {
    const f = this.pidPath(pid, 'cgroup');
    return parseCgroupFile(this.readText(f), f);
  }
}
