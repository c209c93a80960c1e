// Raw process reads -> ProcessSample and OwnerAggregate. Pure: the clock and the previous sample are passed in.
import type { ContainerRuntime, ContainerType, Owner, OwnerAggregate, OwnerCgroupCounters, ProcessSample, ProcStatRaw } from './types.js';
import { isKernelThread, type ProcDetailsRaw } from './process-raw.js';
import { attribute, ownerKey, processFlags, unitOf } from './attribution.js';
import { DEFAULT_REDACT_RULES, redactArgs, type RedactRules } from './redact.js';

/** USER_HZ: the unit of stat's time fields. 100 on every Linux architecture memrec targets. */
export const CLOCK_TICKS_PER_SECOND = 100;

/** Identity of a process across samples: a reused pid is a new process. */
export function processKey(pid: number, startTimeTicks: number): string {
  return `${pid}:${startTimeTicks}`;
}

/** Epoch ms a process started: boot time plus its starttime ticks. */
export function startTimeMs(stat: ProcStatRaw, bootTimeSec: number, ticksPerSecond = CLOCK_TICKS_PER_SECOND): number {
  return bootTimeSec * 1000 + Math.round((stat.startTimeTicks * 1000) / ticksPerSecond);
}

/** CPU ticks of every process at one instant, for the next sample's cpuPercent. */
export interface CpuHistory {
  takenAt: number;
  /** processKey → utime + stime */
  ticks: Map<string, number>;
}

export function cpuHistory(stats: readonly ProcStatRaw[], takenAt: number): CpuHistory {
  const ticks = new Map<string, number>();
  for (const s of stats) ticks.set(processKey(s.pid, s.startTimeTicks), s.utimeTicks + s.stimeTicks);
  return { takenAt, ticks };
}

/** Percent of one CPU since the previous sample of the same process; null on first sight or without elapsed time. */
export function cpuPercent(stat: ProcStatRaw, previous: CpuHistory | null, now: number, ticksPerSecond = CLOCK_TICKS_PER_SECOND): number | null {
  if (previous === null) return null;
  const before = previous.ticks.get(processKey(stat.pid, stat.startTimeTicks));
  const elapsedMs = now - previous.takenAt;
  if (before === undefined || elapsedMs <= 0) return null;
  const delta = stat.utimeTicks + stat.stimeTicks - before;
  if (delta < 0) return null;
  return Math.round(((delta / ticksPerSecond) * 1000 * 10000) / elapsedMs) / 100;
}

/** All processes by RSS, largest first; pid breaks ties so the order is stable. */
export function rankByRss<T extends ProcStatRaw>(stats: readonly T[]): T[] {
  return stats.slice().sort((a, b) => b.rssPages - a.rssPages || a.pid - b.pid);
}

/** What the node's files say about one container, as the runtime wrote it in the container's config. */
export interface ContainerNameInfo {
  /** the container's name in its pod; null for the sandbox or when the config does not say */
  name: string | null;
  type: ContainerType | null;
  podNamespace: string | null;
  podName: string | null;
  podUid: string | null;
}

/** Where names come from: the runtimes' container configs and the kubelet's /var/log/pods (sources/). */
export interface OwnerNames {
  /** namespace/name of a pod by UID */
  pod(uid: string): { namespace: string; name: string } | null;
  /** what the runtime recorded for a container id; null when its config was not found */
  container(containerId: string, runtime: ContainerRuntime | null): ContainerNameInfo | null;
}

/**
 * Fill a pod owner's namespace, name and container from what the node's files say. The runtime's config
 * of the container comes first (it names the container too); a config whose pod UID is not the cgroup's
 * says nothing about this pod and is ignored. Attribution stays by cgroup: names only label it.
 */
export function namePod(owner: Owner, names: OwnerNames | null): Owner {
  if (owner.kind !== 'pod' || names === null) return owner;
  const info = owner.containerId === null ? null : names.container(owner.containerId, owner.runtime);
  const c = info !== null && (info.podUid === null || info.podUid.toLowerCase() === owner.podUid) ? info : null;
  const fromRuntime = c !== null && c.podNamespace !== null && c.podName !== null ? { namespace: c.podNamespace, name: c.podName } : null;
  const pod = fromRuntime ?? names.pod(owner.podUid);
  if (pod === null && c === null) return owner;
  return {
    ...owner,
    namespace: pod?.namespace ?? owner.namespace,
    podName: pod?.name ?? owner.podName,
    container: c?.name ?? owner.container,
    containerType: c?.type ?? owner.containerType,
  };
}

export interface BuildContext {
  /** /proc/stat btime, epoch seconds */
  bootTimeSec: number;
  pageSize: number;
  now: number;
  previous: CpuHistory | null;
  redact?: RedactRules | undefined;
  names?: OwnerNames | null | undefined;
}

/**
 * RSS of a process read in full: status VmRSS, exact; stat's rss (what all processes are ranked by) is
 * the kernel's per-CPU-batched approximation, measured here ~100 KiB low for an idle `sleep` on 6.18.
 */
export function rssBytes(d: ProcDetailsRaw, pageSize: number): number {
  return d.status?.vmRssBytes ?? d.stat.rssPages * pageSize;
}

export function buildProcess(d: ProcDetailsRaw, ctx: BuildContext): ProcessSample {
  const s = d.stat;
  const kthread = isKernelThread(s) || d.status?.kthread === true;
  const owner = namePod(attribute(d.cgroups?.memory ?? null, d.cgroups?.systemd ?? null, kthread), ctx.names ?? null);
  const flags = processFlags(owner, d.cwd);
  const sample: ProcessSample = {
    pid: s.pid,
    startTime: startTimeMs(s, ctx.bootTimeSec),
    ppid: s.ppid,
    uid: d.status?.uid ?? null,
    comm: s.comm,
    state: s.state,
    rssBytes: rssBytes(d, ctx.pageSize),
    rssAnonBytes: d.status?.rssAnonBytes ?? null,
    rssFileBytes: d.status?.rssFileBytes ?? null,
    rssShmemBytes: d.status?.rssShmemBytes ?? null,
    swapBytes: d.status?.swapBytes ?? null,
    vsizeBytes: s.vsizeBytes,
    peakRssBytes: d.status?.vmHwmBytes ?? null,
    cpuTicks: s.utimeTicks + s.stimeTicks,
    cpuPercent: cpuPercent(s, ctx.previous, ctx.now),
    threads: s.numThreads,
    oomScoreAdj: d.oomScoreAdj,
    cgroup: d.cgroups?.memory ?? null,
    unit: unitOf(d.cgroups?.systemd ?? null),
    owner,
    cwd: d.cwd,
    exe: d.exe,
    cmdline: kthread || d.argv === null ? null : redactArgs(d.argv, ctx.redact ?? DEFAULT_REDACT_RULES),
  };
  if (Object.keys(d.unknown).length > 0) sample.unknown = { ...d.unknown };
  if (flags.length > 0) sample.flags = flags;
  return sample;
}

/** The top `top` processes by RSS, as ProcessSamples, largest first. */
export function buildProcesses(details: readonly ProcDetailsRaw[], top: number, ctx: BuildContext): ProcessSample[] {
  return details
    .map((d) => buildProcess(d, ctx))
    .sort((a, b) => b.rssBytes - a.rssBytes || a.pid - b.pid)
    .slice(0, top);
}

/** One process as counted per owner. swapBytes null: not read (counted as 0). */
export interface OwnedProcess {
  owner: Owner;
  /** ownerKey(owner), when the caller has it already */
  key?: string;
  rssBytes: number;
  swapBytes: number | null;
  /** the owner's own cgroup as this process's memory path shows it (ownerCgroupPath), when known */
  ownerCgroup?: string | null;
}

/** A pod aggregate is about the pod, not one of its containers. */
function ownerLevel(o: Owner): Owner {
  return o.kind === 'pod' ? { ...o, containerId: null, runtime: null, container: null, containerType: null } : o;
}

/**
 * All processes per owner: count, RSS and swap sums; largest RSS first, key breaks ties. The owner's cgroup is
 * the one its largest process names (the first of equals); `counters` reads it (the collector's I/O, passed in).
 */
export function aggregateOwners(processes: Iterable<OwnedProcess>, counters?: (cgroupPath: string) => OwnerCgroupCounters | null): OwnerAggregate[] {
  const byKey = new Map<string, { agg: OwnerAggregate; cgroupPath: string | null; cgroupRss: number }>();
  for (const p of processes) {
    const key = p.key ?? ownerKey(p.owner);
    let a = byKey.get(key);
    if (a === undefined) {
      a = { agg: { key, owner: ownerLevel(p.owner), processCount: 0, rssBytes: 0, swapBytes: 0, cgroup: null }, cgroupPath: null, cgroupRss: -1 };
      byKey.set(key, a);
    }
    a.agg.processCount++;
    a.agg.rssBytes += p.rssBytes;
    a.agg.swapBytes += p.swapBytes ?? 0;
    if (p.ownerCgroup !== undefined && p.ownerCgroup !== null && p.rssBytes > a.cgroupRss) {
      a.cgroupPath = p.ownerCgroup;
      a.cgroupRss = p.rssBytes;
    }
  }
  const out: OwnerAggregate[] = [];
  for (const { agg, cgroupPath } of byKey.values()) {
    if (cgroupPath !== null && counters !== undefined) agg.cgroup = counters(cgroupPath);
    out.push(agg);
  }
  return out.sort((a, b) => b.rssBytes - a.rssBytes || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
