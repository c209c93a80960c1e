// What the two views of memory mean together, and values no kernel can mean. Pure: it reads a NodeMemory's
// numbers and the thresholds, nothing else.
import type { KubeletSignal, MemInfo, Thresholds } from './types.js';

export type MemoryWarningCode = 'implausible-memavailable' | 'implausible-inactive-file' | 'oom-before-eviction';

export interface MemoryWarning {
  code: MemoryWarningCode;
  message: string;
}

export interface MemoryReading {
  meminfo: MemInfo;
  kubelet: KubeletSignal;
  allocatable: KubeletSignal | null;
}

/** MemAvailable above MemTotal: an accounting error (seen on UEK 6.12 at 15x MemTotal), not free memory. */
export function memAvailableImplausible(m: MemInfo): boolean {
  return m.memAvailableBytes !== null && m.memAvailableBytes > m.memTotalBytes;
}

/** inactive_file above the cgroup's usage and its capacity: the working set it gives (0) is not real. */
export function inactiveFileImplausible(s: KubeletSignal): boolean {
  return s.inactiveFileBytes > Math.max(s.usageBytes, s.capacityBytes);
}

const times = (n: number, of: number): string => `${(n / of).toFixed(n / of >= 10 ? 0 : 1)}x`;

/**
 * The kernel's OOM killer acts on what free shows; the kubelet evicts on its own memory.available. When
 * free's MemAvailable is at the hard threshold (within twice it, or 5% of capacity above it) while the
 * kubelet's view is far above (twice the threshold, and more than a threshold apart), the kernel will
 * kill before the kubelet evicts anything: the night memrec exists for.
 */
export function oomBeforeEviction(r: MemoryReading, t: Thresholds): boolean {
  const ma = r.meminfo.memAvailableBytes;
  if (ma === null || memAvailableImplausible(r.meminfo) || inactiveFileImplausible(r.kubelet)) return false;
  const hard = t.hard.bytes;
  const near = ma <= Math.max(2 * hard, hard + 0.05 * r.kubelet.capacityBytes);
  const avail = r.kubelet.availableBytes;
  return near && avail >= 2 * hard && avail - ma >= Math.max(hard, 1);
}

/** Warnings about a reading, for text and JSON (`warnings`), in a stable order. */
export function memoryWarnings(r: MemoryReading, t: Thresholds, formatBytes: (n: number) => string): MemoryWarning[] {
  const out: MemoryWarning[] = [];
  const m = r.meminfo;
  if (memAvailableImplausible(m)) {
    out.push({
      code: 'implausible-memavailable',
      message: `/proc/meminfo MemAvailable ${formatBytes(m.memAvailableBytes!)} is ${times(m.memAvailableBytes!, m.memTotalBytes)} MemTotal (${formatBytes(m.memTotalBytes)}): a kernel accounting error, not free memory`,
    });
  }
  for (const [name, s] of [['memory.available', r.kubelet], ['allocatable', r.allocatable]] as const) {
    if (s === null || !inactiveFileImplausible(s)) continue;
    out.push({
      code: 'implausible-inactive-file',
      message: `${name}: inactive_file ${formatBytes(s.inactiveFileBytes)} of cgroup ${s.cgroup} is ${times(s.inactiveFileBytes, s.capacityBytes)} its capacity (${formatBytes(s.capacityBytes)}): a kernel accounting error; the ${formatBytes(s.availableBytes)} computed from it is not free memory`,
    });
  }
  if (oomBeforeEviction(r, t)) {
    out.push({
      code: 'oom-before-eviction',
      message:
        `free's MemAvailable (${formatBytes(m.memAvailableBytes!)}) is at the hard eviction threshold (${formatBytes(t.hard.bytes)}) while the kubelet's memory.available is ` +
        `${formatBytes(r.kubelet.availableBytes)}: the kernel's OOM killer will act before the kubelet evicts anything`,
    });
  }
  return out;
}

/** What the gap between the kubelet's memory.available and free's MemAvailable means, in one sentence. */
export function gapMeaning(r: MemoryReading, formatBytes: (n: number) => string): string | null {
  const ma = r.meminfo.memAvailableBytes;
  if (ma === null || memAvailableImplausible(r.meminfo) || inactiveFileImplausible(r.kubelet)) return null;
  const gap = r.kubelet.availableBytes - ma;
  if (r.kubelet.cgroup.replace(/\/+$/, '') !== '') {
    return `the kubelet sees ${formatBytes(Math.abs(gap))} ${gap >= 0 ? 'more' : 'less'}: its view is cgroup ${r.kubelet.cgroup} against its own limit, free's the whole machine`;
  }
  if (gap >= 0) {
    const slab = r.meminfo.slabBytes;
    const unrecl = slab !== null && r.meminfo.sReclaimableBytes !== null ? slab - r.meminfo.sReclaimableBytes : null;
    const kernel = slab === null ? '' : ` (slab ${formatBytes(slab)}${unrecl === null ? '' : `, ${formatBytes(unrecl)} of it unreclaimable`})`;
    return (
      `the kubelet sees ${formatBytes(gap)} more: it does not count what the kernel holds for itself${kernel}, free does; ` +
      `eviction goes by the kubelet's view, the OOM killer by free's`
    );
  }
  return `the kubelet sees ${formatBytes(-gap)} less: it counts active page cache as used (working set), free counts page cache as mostly reclaimable`;
}
