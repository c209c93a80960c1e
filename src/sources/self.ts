// memrec's own process: it must outlive the culprit, so as root it asks the OOM killer to spare it.
import { writeFileSync } from 'node:fs';
import { readText } from '../fs/read.js';

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
