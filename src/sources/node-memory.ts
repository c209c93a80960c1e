// One cheap reading of the node's memory: what the 1 s watcher polls and `memrec memory` shows.
import { kubeletSignal, legacyV2Root } from '../model/kubelet-available.js';
import type { Collected } from '../model/types.js';
import { detectCgroupMode } from './cgroup-mode.js';
import { readMeminfo } from './meminfo.js';
import { findKubepodsCgroup, readMemoryCgroup } from './memory-cgroup.js';
import { readPsi } from './pressure.js';
import { discoverThresholds, type ThresholdDiscovery, type ThresholdOverrides } from './kubelet.js';
import type { KubeletVersion } from './kubelet-version.js';
import type { Roots } from './roots.js';
import { readOomKillCount } from './vmstat.js';

/** The node-level part of a Collected: everything but the processes and the thresholds. */
export type NodeMemory = Pick<Collected, 'cgroupMode' | 'meminfo' | 'kubelet' | 'allocatable' | 'psi' | 'oomKillCount'>;

export interface NodeMemoryOptions {
  memoryCgroup?: string | undefined;
  /** the kubelet's version: below 1.29 it computes a cgroup v2 root with MemTotal − MemFree; unknown means ≥ 1.29 */
  kubeletVersion?: KubeletVersion | null | undefined;
}

/**
 * Read meminfo, the memory cgroup files, PSI and the OOM counter: a dozen small files.
 * `memoryCgroup` (a cgroup path like `/my-node`) computes the node signal on that cgroup, with
 * capacity = its limit when below MemTotal, and looks for kubepods below it: nested nodes and tests.
 */
export function readNodeMemory(roots: Roots, opts: NodeMemoryOptions = {}): NodeMemory {
  const cgroupMode = detectCgroupMode(roots);
  const meminfo = readMeminfo(roots);
  const cg = opts.memoryCgroup ?? '/';
  const isRoot = cg.replace(/\/+$/, '') === '';
  const kubelet = kubeletSignal(readMemoryCgroup(roots, cgroupMode, cg), meminfo, { isRoot, legacyV2Root: legacyV2Root(opts.kubeletVersion ?? null) });
  const kubepods = findKubepodsCgroup(roots, cgroupMode, cg);
  const allocatable = kubepods === null ? null : kubeletSignal(readMemoryCgroup(roots, cgroupMode, kubepods), meminfo, { isRoot: false });
  return { cgroupMode, meminfo, kubelet, allocatable, psi: readPsi(roots), oomKillCount: readOomKillCount(roots) };
}

/**
 * The node's memory and the kubelet's thresholds together, as `memrec memory` shows them: the thresholds
 * need the capacity, and the v2 root's formula needs the kubelet's version that threshold discovery finds.
 */
export function readNodeMemoryAndThresholds(
  roots: Roots,
  overrides: ThresholdOverrides | undefined,
  opts: { memoryCgroup?: string | undefined } = {},
): { node: NodeMemory; discovery: ThresholdDiscovery } {
  let node = readNodeMemory(roots, opts);
  const discovery = discoverThresholds(roots, node.kubelet.capacityBytes, overrides, opts);
  if (legacyV2Root(discovery.kubelet.version)) node = readNodeMemory(roots, { ...opts, kubeletVersion: discovery.kubelet.version });
  return { node, discovery };
}
