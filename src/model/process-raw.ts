// Raw per-process values the /proc reader produces beyond ProcStatRaw (types.ts). No I/O here.
import type { ProcStatRaw, UnknownFields } from './types.js';

/** The fields of /proc/<pid>/status memrec uses, in bytes. A line the kernel did not print is null. */
export interface ProcStatusRaw {
  /** real uid (first column of `Uid:`) */
  uid: number | null;
  vmRssBytes: number | null;
  /** VmHWM: the highest RSS since the process started ("high water mark") */
  vmHwmBytes: number | null;
  rssAnonBytes: number | null;
  rssFileBytes: number | null;
  rssShmemBytes: number | null;
  swapBytes: number | null;
  /** `Kthread: 1` on kernels >= 6.?; null when the line is absent (use the stat flags then) */
  kthread: boolean | null;
}

/** The two cgroup paths of /proc/<pid>/cgroup that matter. */
export interface ProcCgroups {
  /** memory controller path: the v1 `memory` line, else the v2 `0::` line; null when neither is present */
  memory: string | null;
  /** the systemd view: the v1 `name=systemd` line, else the v2 `0::` line */
  systemd: string | null;
}

/** Everything read about one process kept in the top N. Fields that could not be read are null, reason in `unknown`. */
export interface ProcDetailsRaw {
  stat: ProcStatRaw;
  status: ProcStatusRaw | null;
  cgroups: ProcCgroups | null;
  cwd: string | null;
  exe: string | null;
  /** NUL-split /proc/<pid>/cmdline; null for kernel threads and when unreadable */
  argv: string[] | null;
  oomScoreAdj: number | null;
  unknown: UnknownFields;
}

/** PF_KTHREAD in the stat flags field. */
export const PF_KTHREAD = 0x00200000;

export function isKernelThread(stat: ProcStatRaw): boolean {
  return (stat.flags & PF_KTHREAD) !== 0;
}
