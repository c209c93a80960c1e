// /proc/vmstat `oom_kill`: a counter the watcher polls to notice OOM kills cheaply.
import { readText, SMALL_FILE_MAX } from '../fs/read.js';
import path from 'node:path';
import type { Roots } from './roots.js';

/** The oom_kill counter from vmstat text; null when the kernel has none (before 4.13) or the line is garbage. */
export function parseOomKillCount(text: string): number | null {
  const m = /^oom_kill (\d+)$/m.exec(text);
  const n = m ? Number(m[1]) : NaN;
  return Number.isSafeInteger(n) ? n : null;
}

/** Kills since boot, or null (unknown) when vmstat is unreadable or has no oom_kill line. */
export function readOomKillCount(roots: Roots): number | null {
  try {
    return parseOomKillCount(readText(path.join(roots.procRoot, 'vmstat'), { maxBytes: SMALL_FILE_MAX }));
  } catch {
    return null;
  }
}
