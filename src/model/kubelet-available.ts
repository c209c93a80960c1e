// memory.available exactly as the kubelet's eviction manager computes it (via cAdvisor / runc stats).
import { ParseError } from '../errors.js';
import type { KubeletFormula, KubeletSignal, MemInfo, MemoryCgroupRaw } from './types.js';

function statKey(raw: MemoryCgroupRaw, key: string): number {
  const v = raw.stat[key];
  if (v === undefined) throw new ParseError(`memory.stat of cgroup ${raw.path}`, `no "${key}" (cgroup v${raw.version})`);
  return v;
}

/**
 * The kubelet's memory signal on one memory cgroup.
 * capacity: MemTotal for the root; for any other cgroup its limit when below MemTotal (a nested
 * node's cgroup, kubepods for the allocatable signal). workingSet = max(0, usage − inactive_file)
 * as cAdvisor clamps it; available = capacity − workingSet and may be negative.
 */
export function kubeletSignal(raw: MemoryCgroupRaw, meminfo: MemInfo, opts: { isRoot: boolean }): KubeletSignal {
  let formula: KubeletFormula;
  let usage: number;
  let inactiveFile: number;
  if (raw.version === 1) {
    formula = 'v1-usage-minus-total-inactive-file';
    if (raw.usageBytes === null) throw new ParseError(`memory.usage_in_bytes of cgroup ${raw.path}`, 'missing');
    usage = raw.usageBytes;
    // hierarchical: the root's own inactive_file counts only processes sitting in the root itself
    inactiveFile = statKey(raw, 'total_inactive_file');
  } else if (opts.isRoot) {
    // the v2 root has no memory.current: runc >= 1.1.9 sums anon + file of the root memory.stat
    formula = 'v2-anon-plus-file-minus-inactive-file';
    usage = statKey(raw, 'anon') + statKey(raw, 'file');
    inactiveFile = statKey(raw, 'inactive_file');
  } else {
    formula = 'v2-current-minus-inactive-file';
    if (raw.usageBytes === null) throw new ParseError(`memory.current of cgroup ${raw.path}`, 'missing');
    usage = raw.usageBytes;
    inactiveFile = statKey(raw, 'inactive_file');
  }
  const memTotal = meminfo.memTotalBytes;
  const capacity = opts.isRoot || raw.limitBytes === null ? memTotal : Math.min(raw.limitBytes, memTotal);
  const workingSet = Math.max(0, usage - inactiveFile);
  return {
    cgroup: raw.path,
    capacityBytes: capacity,
    usageBytes: usage,
    inactiveFileBytes: inactiveFile,
    workingSetBytes: workingSet,
    availableBytes: capacity - workingSet,
    formula,
  };
}

/** One line for humans: which files the numbers came from. */
export function describeFormula(f: KubeletFormula): string {
  switch (f) {
    case 'v1-usage-minus-total-inactive-file':
      return 'cgroup v1: memory.usage_in_bytes − total_inactive_file of memory.stat';
    case 'v2-anon-plus-file-minus-inactive-file':
      return 'cgroup v2 root: (anon + file) − inactive_file of memory.stat (kubelet ≥ 1.29 / runc ≥ 1.1.9; older kubelets used MemTotal − MemFree)';
    case 'v2-current-minus-inactive-file':
      return 'cgroup v2: memory.current − inactive_file of memory.stat';
  }
}
