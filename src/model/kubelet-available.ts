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
export function kubeletSignal(raw: MemoryCgroupRaw, meminfo: MemInfo, opts: { isRoot: boolean; legacyV2Root?: boolean }): KubeletSignal {
  let formula: KubeletFormula;
  let usage: number;
  let inactiveFile: number;
  if (raw.version === 1) {
    formula = 'v1-usage-minus-total-inactive-file';
    if (raw.usageBytes === null) throw new ParseError(`memory.usage_in_bytes of cgroup ${raw.path}`, 'missing');
    usage = raw.usageBytes;
    // hierarchical: the root's own inactive_file counts only processes sitting in the root itself
    inactiveFile = statKey(raw, 'total_inactive_file');
  } else if (opts.isRoot && raw.usageBytes === null && opts.legacyV2Root === true) {
    // runc < 1.1.9 (kubelet < 1.29) emulated the root's usage from /proc/meminfo (fs2 statsFromMeminfo)
    formula = 'v2-memtotal-minus-memfree-minus-inactive-file';
    usage = meminfo.memTotalBytes - meminfo.memFreeBytes;
    inactiveFile = statKey(raw, 'inactive_file');
  } else if (opts.isRoot && raw.usageBytes === null) {
    // the v2 root has no memory.current: runc >= 1.1.9 sums anon + file of the root memory.stat
    formula = 'v2-anon-plus-file-minus-inactive-file';
    usage = statKey(raw, 'anon') + statKey(raw, 'file');
    inactiveFile = statKey(raw, 'inactive_file');
  } else {
    // any other cgroup, and a root that has memory.current (a node in its own cgroup namespace, as kind's):
    // runc reads memory.current wherever it exists
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

/**
 * One line for humans: which files the numbers came from; for the v2 root, which kubelet made the choice
 * (`basis`: `kubelet v1.30.4 from /var/lib/dpkg/status`, or that its version is unknown).
 */
export function describeFormula(f: KubeletFormula, basis?: string): string {
  const why = basis === undefined ? '' : `; ${basis}`;
  switch (f) {
    case 'v1-usage-minus-total-inactive-file':
      return 'cgroup v1: memory.usage_in_bytes − total_inactive_file of memory.stat';
    case 'v2-anon-plus-file-minus-inactive-file':
      return `cgroup v2 root: (anon + file) − inactive_file of memory.stat (kubelet ≥ 1.29 / runc ≥ 1.1.9${why})`;
    case 'v2-memtotal-minus-memfree-minus-inactive-file':
      return `cgroup v2 root: (MemTotal − MemFree) − inactive_file of memory.stat (kubelet < 1.29 / runc < 1.1.9${why})`;
    case 'v2-current-minus-inactive-file':
      return 'cgroup v2: memory.current − inactive_file of memory.stat';
  }
}

/** Is the kubelet older than 1.29 (the first minor whose every release vendors runc ≥ 1.1.9)? Unknown: no (assumed ≥ 1.29). */
export function kubeletBefore129(version: { major: number; minor: number } | null): boolean {
  return version !== null && version.major === 1 && version.minor < 29;
}

/** Does a kubelet of this version compute the v2 root with MemTotal − MemFree (runc < 1.1.9)? Unknown: no (assumed ≥ 1.29). */
export function legacyV2Root(version: { major: number; minor: number } | null): boolean {
  return kubeletBefore129(version);
}
