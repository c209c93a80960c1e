// `memrec culprits`: who ate the memory. One row per process (pid + start time) ranked by peak RSS,
// then owners ranked the same way, then who was biggest when memory.available was lowest.
// Attribution is by cgroup only; the cwd is reported and, when it points into a pod, explained away.
import { ownerKey, ownerLabel, podUidOfPath } from '../model/attribution.js';
import { formatBytes } from '../model/quantity.js';
import { UnseenPeaks } from '../model/unseen-peaks.js';
import type { ContainerType, Owner, OwnerKind, SnapshotKind } from '../model/types.js';
import type { OwnerPeak, OwnerRow, ProcessPeak, ProcessRow, ReportSource, SnapshotHeader, StoredEventRow } from './source.js';
import { killLines, type KillLine } from './kills.js';
import { isoUtc, type TimeRange } from './time.js';

export interface CulpritProcess {
  rank: number;
  pid: number;
  startTime: string;
  comm: string;
  exe: string | null;
  cmdline: string | null;
  peakRssBytes: number;
  peakAt: string;
  firstSeen: string;
  lastSeen: string;
  firstRssBytes: number;
  lastRssBytes: number;
  /** peak minus the RSS at first sight in the range */
  growthBytes: number;
  samples: number;
  owner: string;
  ownerKind: OwnerKind;
  ownerKey: string;
  /** the container's name in its pod at the peak (from the runtime's config); null outside pods or when unknown */
  container: string | null;
  containerType: ContainerType | null;
  /** cgroup at the peak */
  cgroup: string | null;
  /** every cgroup seen, first seen first (more than one: it moved) */
  cgroups: (string | null)[];
  insidePods: boolean;
  /** distinct cwds, first seen first: the first MAX_CWDS, plus up to 5 inside pod directories */
  cwds: string[];
  cwdCount: number;
  /** pods whose directories the cwd entered although the process is not theirs */
  cwdPods: string[];
  explanation: string;
}

export interface CulpritOwner {
  rank: number;
  owner: string;
  ownerKind: OwnerKind;
  ownerKey: string;
  insidePods: boolean;
  peakRssBytes: number;
  peakAt: string;
  processCountAtPeak: number;
  swapBytesAtPeak: number;
  samples: number;
  /** the owner's own memory cgroup (pod-level, unit, session scope) and its limit; null when unknown or none */
  cgroup: string | null;
  cgroupLimitBytes: number | null;
  /** the largest rise of that cgroup's peak counter between two snapshots above the usage both read: a spike no snapshot saw */
  unseenPeak: { peakBytes: number; after: string; before: string; seenBytes: number } | null;
}

export interface AtLowest {
  takenAt: string;
  snapshotId: number;
  snapshotKind: SnapshotKind;
  kubeletAvailableBytes: number;
  memAvailableBytes: number | null;
  hardThresholdBytes: number;
  softThresholdBytes: number | null;
  processes: Array<{ pid: number; comm: string; rssBytes: number; owner: string; ownerKind: OwnerKind; container: string | null; containerType: ContainerType | null; cgroup: string | null; cwd: string | null; cmdline: string | null }>;
  owners: Array<{ owner: string; ownerKind: OwnerKind; ownerKey: string; rssBytes: number; processCount: number }>;
}

/** A spike no snapshot saw, of any owner (a small one's short job is the usual case), largest first. */
export interface UnseenPeakRow {
  owner: string;
  ownerKind: OwnerKind;
  ownerKey: string;
  cgroup: string | null;
  cgroupLimitBytes: number | null;
  peakBytes: number;
  after: string;
  before: string;
  seenBytes: number;
}

export interface Culprits {
  since: string;
  until: string;
  snapshots: number;
  processes: CulpritProcess[];
  owners: CulpritOwner[];
  /** every owner's unseen spike, not only the top owners' */
  unseenPeaks: UnseenPeakRow[];
  atLowest: AtLowest | null;
  /** the OOM kills in the range, oldest first: victim and largest task (kills.ts) */
  oomKills: KillLine[];
}

export const MAX_CWDS = 20;

/** `default/web-1` when the recording knows the pod's name, else its UID. */
export type PodNames = Map<string, string>;

function podName(uid: string, names: PodNames): string {
  return names.get(uid) ?? uid;
}

/** Pod UID → namespace/name, from every pod owner recorded in the range. */
export function podNamesOf(owners: Iterable<Owner>): PodNames {
  const names: PodNames = new Map();
  for (const o of owners) if (o.kind === 'pod' && o.namespace !== null && o.podName !== null) names.set(o.podUid, `${o.namespace}/${o.podName}`);
  return names;
}

/** How the owner's own cgroup bounds it: `limited to 512Mi by its cgroup`, or the absence of a pod limit. */
export function cgroupLimitWording(limitBytes: number | null | undefined): string {
  return limitBytes === null || limitBytes === undefined ? 'no pod limit applied' : `limited to ${formatBytes(limitBytes)} by its cgroup`;
}

/** `peaked at 1.2Gi between 02:41:00 and 02:42:00 (the snapshots saw at most 300Mi)`, times as the caller shows them. */
export function unseenPeakWording(u: { peakBytes: number; after: string; before: string; seenBytes: number }, time: (iso: string) => string): string {
  return `peaked at ${formatBytes(u.peakBytes)} between ${time(u.after)} and ${time(u.before)} (the snapshots saw at most ${formatBytes(u.seenBytes)})`;
}

/**
 * One line saying why the process belongs to its owner, e.g. "cgroup /system.slice/plocate-updatedb.service:
 * a host service, not a pod, although its cwd was inside pod default/web-1's volume".
 */
export function explain(
  p: { owner: Owner; cgroup: string | null; cgroups: (string | null)[]; cwds: string[]; cwdCount: number },
  names: PodNames,
  /** the memory limit of the owner's own cgroup, when it has one */
  cgroupLimitBytes: number | null = null,
): string {
  const o = p.owner;
  const where = p.cgroup === null ? 'cgroup unknown' : `cgroup ${p.cgroup}`;
  let s: string;
  switch (o.kind) {
    case 'pod':
      s =
        `${where}: ` +
        (o.containerId === null ? `in pod ${podName(o.podUid, names)}'s cgroup but in none of its containers` : `container ${o.containerId.slice(0, 12)} of pod ${podName(o.podUid, names)}`) +
        ` (${o.qos}): inside kubepods, so the pod's limit and eviction apply`;
      break;
    case 'service':
      s = `${where}: a host service (${o.unit}), not a pod`;
      break;
    case 'user':
      s = `${where}: a user session (${o.unit}${o.userUid === null ? '' : `, uid ${o.userUid}`}), not a pod`;
      break;
    case 'kernel':
      s = 'a kernel thread, not a pod';
      break;
    case 'other':
      s = `${where}: neither a pod nor a systemd unit`;
      break;
  }
  if (o.kind !== 'pod') {
    const visited = new Map<string, boolean>();
    for (const cwd of p.cwds) {
      const uid = podUidOfPath(cwd);
      if (uid !== null && !visited.get(uid)) visited.set(uid, cwd.includes('/volumes/'));
    }
    if (visited.size > 0) {
      const list = [...visited].map(([uid, vol]) => `pod ${podName(uid, names)}'s ${vol ? 'volume' : 'directory'}`);
      s += `, although its cwd was inside ${list.join(' and ')}`;
    }
    if (o.kind !== 'kernel') s += `: ${cgroupLimitWording(cgroupLimitBytes)} and eviction cannot remove it`;
  }
  if (p.cwdCount > 1) s += `; its cwd changed (${p.cwdCount} directories seen)`;
  const moved = p.cgroups.filter((c) => c !== p.cgroup);
  if (moved.length > 0) s += `; also seen in ${moved.map((c) => c ?? 'an unknown cgroup').join(', ')}`;
  return s;
}

/** The container fields of a process's owner, null outside pods. */
function containerOf(o: Owner): { container: string | null; containerType: ContainerType | null } {
  return o.kind === 'pod' ? { container: o.container, containerType: o.containerType } : { container: null, containerType: null };
}

/** processRows folded per process exactly as the store's peaks() does it. Rows must be in processRows order. */
export function foldProcesses(rows: Iterable<ProcessRow>): ProcessPeak[] {
  const byProc = new Map<string, ProcessPeak>();
  for (const r of rows) {
    const id = `${r.pid}@${r.startTime}`;
    let a = byProc.get(id);
    if (a === undefined) {
      const at = { takenAt: r.takenAt, rssBytes: r.rssBytes };
      a = { pid: r.pid, startTime: r.startTime, peak: peakOf(r), first: at, last: at, samples: 0, insidePods: false, cgroups: [], cwds: [], owners: [] };
      byProc.set(id, a);
    }
    a.samples++;
    if (r.takenAt >= a.last.takenAt) a.last = { takenAt: r.takenAt, rssBytes: r.rssBytes };
    if (r.rssBytes > a.peak.rssBytes) a.peak = peakOf(r);
    if (r.owner.kind === 'pod') a.insidePods = true;
    if (!a.cgroups.includes(r.cgroup)) a.cgroups.push(r.cgroup);
    if (r.cwd !== null && !a.cwds.includes(r.cwd)) a.cwds.push(r.cwd);
    if (!a.owners.includes(r.owner)) a.owners.push(r.owner);
  }
  return [...byProc.values()];
}

function peakOf(r: ProcessRow): ProcessPeak['peak'] {
  return { takenAt: r.takenAt, rssBytes: r.rssBytes, comm: r.comm, exe: r.exe, cmdline: r.cmdline, owner: r.owner, cgroup: r.cgroup };
}

/** Processes ranked by peak RSS; ties go to the earlier peak, then to the first seen. */
export function rankProcessPeaks(procs: readonly ProcessPeak[], names: PodNames, top: number, limits: ReadonlyMap<string, number | null> = new Map()): CulpritProcess[] {
  const ranked = [...procs].sort((x, y) => y.peak.rssBytes - x.peak.rssBytes || x.peak.takenAt - y.peak.takenAt).slice(0, top);
  return ranked.map((a, i) => {
    const p = a.peak;
    // the first MAX_CWDS, then a few inside pod directories: they explain the confusion
    const cwds = a.cwds.slice(0, MAX_CWDS);
    for (const c of a.cwds.slice(MAX_CWDS)) {
      if (cwds.length >= MAX_CWDS + 5) break;
      if (podUidOfPath(c) !== null) cwds.push(c);
    }
    const cwdPods = [...new Set(cwds.map(podUidOfPath).filter((u): u is string => u !== null))];
    return {
      rank: i + 1,
      pid: a.pid,
      startTime: isoUtc(a.startTime),
      comm: p.comm,
      exe: p.exe,
      cmdline: p.cmdline,
      peakRssBytes: p.rssBytes,
      peakAt: isoUtc(p.takenAt),
      firstSeen: isoUtc(a.first.takenAt),
      lastSeen: isoUtc(a.last.takenAt),
      firstRssBytes: a.first.rssBytes,
      lastRssBytes: a.last.rssBytes,
      growthBytes: p.rssBytes - a.first.rssBytes,
      samples: a.samples,
      owner: ownerLabel(p.owner),
      ownerKind: p.owner.kind,
      ownerKey: ownerKey(p.owner),
      ...containerOf(p.owner),
      cgroup: p.cgroup,
      cgroups: a.cgroups,
      insidePods: a.insidePods,
      cwds,
      cwdCount: a.cwds.length,
      cwdPods: p.owner.kind === 'pod' ? [] : cwdPods.map((u) => podName(u, names)),
      explanation: explain({ owner: p.owner, cgroup: p.cgroup, cgroups: a.cgroups, cwds, cwdCount: a.cwds.length }, names, limits.get(ownerKey(p.owner)) ?? null),
    };
  });
}

/** Processes ranked by peak RSS from rows in processRows order. */
export function rankProcesses(rows: Iterable<ProcessRow>, names: PodNames, top: number, limits?: ReadonlyMap<string, number | null>): CulpritProcess[] {
  return rankProcessPeaks(foldProcesses(rows), names, top, limits);
}

/** Owner key → its own cgroup's memory limit, for the explanations. */
export function cgroupLimits(owners: readonly OwnerPeak[]): Map<string, number | null> {
  return new Map(owners.map((o) => [o.key, o.cgroupLimitBytes]));
}

/** ownerRows folded per owner key exactly as the store's peaks() does it. */
export function foldOwners(rows: Iterable<OwnerRow>): OwnerPeak[] {
  const byKey = new Map<string, OwnerPeak>();
  const cgroups = new Map<string, UnseenPeaks>();
  for (const r of rows) {
    if (r.cgroup !== null) {
      let t = cgroups.get(r.key);
      if (t === undefined) cgroups.set(r.key, (t = new UnseenPeaks()));
      t.add(r.takenAt, r.cgroup.path, r.cgroup.usageBytes, r.cgroup.peakBytes, r.cgroup.limitBytes);
    }
    let a = byKey.get(r.key);
    if (a === undefined) {
      a = { key: r.key, owner: r.owner, peakAt: r.takenAt, peakRssBytes: r.rssBytes, processCountAtPeak: r.processCount, swapBytesAtPeak: r.swapBytes, samples: 0, owners: [], cgroup: null, cgroupLimitBytes: null, unseenPeak: null };
      byKey.set(r.key, a);
    } else if (r.rssBytes > a.peakRssBytes) {
      Object.assign(a, { owner: r.owner, peakAt: r.takenAt, peakRssBytes: r.rssBytes, processCountAtPeak: r.processCount, swapBytesAtPeak: r.swapBytes });
    }
    a.samples++;
    if (!a.owners.includes(r.owner)) a.owners.push(r.owner);
  }
  for (const [key, t] of cgroups) {
    const a = byKey.get(key)!;
    a.cgroup = typeof t.cgroup === 'string' ? t.cgroup : null;
    a.cgroupLimitBytes = t.limitBytes;
    a.unseenPeak = t.largest;
  }
  return [...byKey.values()];
}

/** Owners ranked by their peak total RSS (every process counted, not only the top N). */
export function rankOwnerPeaks(owners: readonly OwnerPeak[], top: number): CulpritOwner[] {
  return [...owners]
    .sort((x, y) => y.peakRssBytes - x.peakRssBytes || x.peakAt - y.peakAt)
    .slice(0, top)
    .map((a, i) => ({
      rank: i + 1,
      owner: ownerLabel(a.owner),
      ownerKind: a.owner.kind,
      ownerKey: a.key,
      insidePods: a.owner.kind === 'pod',
      peakRssBytes: a.peakRssBytes,
      peakAt: isoUtc(a.peakAt),
      processCountAtPeak: a.processCountAtPeak,
      swapBytesAtPeak: a.swapBytesAtPeak,
      samples: a.samples,
      cgroup: a.cgroup,
      cgroupLimitBytes: a.cgroupLimitBytes,
      unseenPeak: a.unseenPeak === null ? null : { peakBytes: a.unseenPeak.peakBytes, after: isoUtc(a.unseenPeak.after), before: isoUtc(a.unseenPeak.before), seenBytes: a.unseenPeak.seenBytes },
    }));
}

/** The owners' unseen spikes, largest first (the earlier of equals), at most `top`. */
export function unseenPeaksOf(owners: readonly OwnerPeak[], top: number): UnseenPeakRow[] {
  return owners
    .filter((o) => o.unseenPeak !== null)
    .sort((x, y) => y.unseenPeak!.peakBytes - x.unseenPeak!.peakBytes || x.unseenPeak!.after - y.unseenPeak!.after)
    .slice(0, top)
    .map((o) => ({
      owner: ownerLabel(o.owner),
      ownerKind: o.owner.kind,
      ownerKey: o.key,
      cgroup: o.cgroup,
      cgroupLimitBytes: o.cgroupLimitBytes,
      peakBytes: o.unseenPeak!.peakBytes,
      after: isoUtc(o.unseenPeak!.after),
      before: isoUtc(o.unseenPeak!.before),
      seenBytes: o.unseenPeak!.seenBytes,
    }));
}

export function rankOwners(rows: Iterable<OwnerRow>, top: number): CulpritOwner[] {
  return rankOwnerPeaks(foldOwners(rows), top);
}

/** The snapshot with the lowest kubelet memory.available; the earliest of equals. */
export function lowestSnapshot(snaps: Iterable<SnapshotHeader>): SnapshotHeader | null {
  let low: SnapshotHeader | null = null;
  for (const s of snaps) if (low === null || s.kubelet.availableBytes < low.kubelet.availableBytes) low = s;
  return low;
}

export function atLowestOf(low: SnapshotHeader, procs: ProcessRow[], owners: OwnerRow[], top: number): AtLowest {
  return {
    takenAt: isoUtc(low.takenAt),
    snapshotId: low.id,
    snapshotKind: low.kind,
    kubeletAvailableBytes: low.kubelet.availableBytes,
    memAvailableBytes: low.meminfo.memAvailableBytes,
    hardThresholdBytes: low.thresholds.hard.bytes,
    softThresholdBytes: low.thresholds.soft?.bytes ?? null,
    processes: procs
      .filter((r) => r.snapshotId === low.id)
      .sort((a, b) => b.rssBytes - a.rssBytes)
      .slice(0, top)
      .map((r) => ({ pid: r.pid, comm: r.comm, rssBytes: r.rssBytes, owner: ownerLabel(r.owner), ownerKind: r.owner.kind, ...containerOf(r.owner), cgroup: r.cgroup, cwd: r.cwd, cmdline: r.cmdline })),
    owners: owners
      .filter((r) => r.snapshotId === low.id)
      .sort((a, b) => b.rssBytes - a.rssBytes)
      .slice(0, top)
      .map((r) => ({ owner: ownerLabel(r.owner), ownerKind: r.owner.kind, ownerKey: r.key, rssBytes: r.rssBytes, processCount: r.processCount })),
  };
}

/** The whole answer from rows already read (the export reads them once for every part). */
export function culpritsFrom(range: TimeRange, snaps: SnapshotHeader[], procs: ProcessRow[], owners: OwnerRow[], top: number, events: StoredEventRow[] = []): Culprits {
  const names = podNamesOf([...procs.map((r) => r.owner), ...owners.map((r) => r.owner)]);
  const low = lowestSnapshot(snaps);
  const ownerPeaks = foldOwners(owners);
  return {
    since: isoUtc(range.since),
    until: isoUtc(range.until),
    snapshots: snaps.length,
    processes: rankProcesses(procs, names, top, cgroupLimits(ownerPeaks)),
    owners: rankOwnerPeaks(ownerPeaks, top),
    unseenPeaks: unseenPeaksOf(ownerPeaks, top),
    atLowest: low === null ? null : atLowestOf(low, procs, owners, top),
    oomKills: killLines(events),
  };
}

/**
 * The whole answer for a range from the store's per-process and per-owner folds: a day is read once
 * without a row per sample, and only the lowest snapshot's rows are read whole. Equals culpritsFrom.
 */
export function culprits(store: ReportSource, range: TimeRange, top: number): Culprits {
  const { snapshots, processes: procs, owners } = store.peaks(range);
  const low = store.lowestSnapshot(range);
  const names = podNamesOf([...procs.flatMap((p) => p.owners), ...owners.flatMap((o) => o.owners)]);
  const at = low === null ? null : { since: low.takenAt, until: low.takenAt };
  return {
    since: isoUtc(range.since),
    until: isoUtc(range.until),
    snapshots,
    processes: rankProcessPeaks(procs, names, top, cgroupLimits(owners)),
    owners: rankOwnerPeaks(owners, top),
    unseenPeaks: unseenPeaksOf(owners, top),
    atLowest: low === null || at === null ? null : atLowestOf(low, store.processRows(at), store.ownerRows(at), top),
    oomKills: killLines(store.events(range, ['oom_kill'])),
  };
}
