// One cheap reading of the node's memory: what the 1 s watcher polls and `memrec memory` shows.
import { kubeletSignal } from '../model/kubelet-available.js';
import type { Collected } from '../model/types.js';
import { detectCgroupMode } from './cgroup-mode.js';
import { readMeminfo } from './meminfo.js';
import { findKubepodsCgroup, readMemoryCgroup } from './memory-cgroup.js';
import { readPsi } from './pressure.js';
import type { Roots } from './roots.js';
import { readOomKillCount } from './vmstat.js';

/** The node-level part of a Collected: everything but the processes and the thresholds. */
export type NodeMemory = Pick<Collected, 'cgroupMode' | 'meminfo' | 'kubelet' | 'allocatable' | 'psi' | 'oomKillCount'>;

/**
 * Read meminfo, the memory cgroup files, PSI and the OOM counter: a dozen small files.
 * `memoryCgroup` (a cgroup path like `/my-node`) computes the node signal on that cgroup, with
 * capacity = its limit when below MemTotal, and looks for kubepods below it: nested nodes and tests.
 */
export function readNodeMemory(roots: Roots, opts: { memoryCgroup?: string | undefined } = {}): NodeMemory {
  const cgroupMode = detectCgroupMode(roots);
  const meminfo = readMeminfo(roots);
  const cg = opts.memoryCgroup ?? '/';
  const isRoot = cg.replace(/\/+$/, '') === '';
  const kubelet = kubeletSignal(readMemoryCgroup(roots, cgroupMode, cg), meminfo, { isRoot });
  const kubepods = findKubepodsCgroup(roots, cgroupMode, cg);
  const allocatable = kubepods === null ? null : kubeletSignal(readMemoryCgroup(roots, cgroupMode, kubepods), meminfo, { isRoot: false });
  return { cgroupMode, meminfo, kubelet, allocatable, psi: readPsi(roots), oomKillCount: readOomKillCount(roots) };
}
