// memrec's own process: it must outlive the culprit, so as root it asks the OOM killer to spare it.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { FileError } from '../fs/file-error.js';
import { readText } from '../fs/read.js';
import { readBootId } from './kmsg.js';
import { parseStat, splitCmdline } from './proc-parse.js';

/**
 * Set this process's oom_score_adj. Lowering it needs root (CAP_SYS_RESOURCE); returns the value in
 * force afterwards, or the error code when the kernel refused (the caller logs it and carries on).
 */
export function setOwnOomScoreAdj(value: number): { ok: true; value: number } | { ok: false; error: string; value: number | null } {
  try {
    writeFileSync('/proc/self/oom_score_adj', String(value));
    return { ok: true, value: readOwnOomScoreAdj() ?? value };
  } catch (err) {
    return { ok: false, error: (err as NodeJS.ErrnoException).code ?? String(err), value: readOwnOomScoreAdj() };
  }
}

export function readOwnOomScoreAdj(): number | null {
  try {
    return Number(readText('/proc/self/oom_score_adj', { maxBytes: 4096 }).trim());
  } catch {
    return null;
  }
}

/**
 * Who a process is across time: a pid is reused, so a recorder is the pid plus its start (clock ticks after
 * boot, field 22 of /proc/<pid>/stat) plus the boot (/proc/sys/kernel/random/boot_id): after a reboot, or on
 * a database copied from another machine, the same pid is somebody else.
 */
export interface ProcessIdentity {
  pid: number;
  /** null when the stat file could not be read or parsed */
  startTicks: number | null;
  bootId: string | null;
}

/** This process's identity, for the recorder_start event. */
export function ownIdentity(procRoot = '/proc'): ProcessIdentity {
  const found = processIdentity(process.pid, procRoot);
  return found === 'gone' ? { pid: process.pid, startTicks: null, bootId: readBootId(procRoot) } : found;
}

/** The arguments of `pid` (/proc/<pid>/cmdline), or null when they cannot be read. */
export function processArgs(pid: number, procRoot = '/proc'): string[] | null {
  try {
    return splitCmdline(readText(path.join(procRoot, String(pid), 'cmdline'), { maxBytes: 1024 * 1024 }));
  } catch {
    return null;
  }
}

/** The identity of `pid` now, or 'gone' when no such process runs (a zombie is gone: it no longer records). */
export function processIdentity(pid: number, procRoot = '/proc'): ProcessIdentity | 'gone' {
  const bootId = readBootId(procRoot);
  let text: string;
  try {
    text = readText(path.join(procRoot, String(pid), 'stat'), { maxBytes: 64 * 1024 });
  } catch (err) {
    const code = err instanceof FileError ? err.code : (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return 'gone';
    return { pid, startTicks: null, bootId };
  }
  try {
    const st = parseStat(text, path.join(procRoot, String(pid), 'stat'));
    if (st.state === 'Z' || st.state === 'X' || st.state === 'x') return 'gone';
    return { pid, startTicks: st.startTimeTicks, bootId };
  } catch {
    return { pid, startTicks: null, bootId };
  }
}
