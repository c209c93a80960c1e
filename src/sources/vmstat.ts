// /proc/vmstat `oom_kill`: a counter the watcher polls to notice OOM kills cheaply.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Roots } from './roots.js';

/** The oom_kill counter from vmstat text; null when the kernel has none (before 4.13) or the line is garbage. */
export function parseOomKillCount(text: string): number | null {
  const m = /^oom_kill (\d+)$/m.exec(text);
  return m ? Number(m[1]) : null;
}

/** Kills since boot, or null (unknown) when vmstat is unreadable or has no oom_kill line. */
export function readOomKillCount(roots: Roots): number | null {
  try {
    return parseOomKillCount(readFileSync(path.join(roots.procRoot, 'vmstat'), 'utf8'));
  } catch {
    return null;
  }
}
