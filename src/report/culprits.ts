// `memrec culprits`: who ate the memory. Who ate it is who grew while memory.available fell: processes
// (pid + start time) and owners are ranked by their contribution to the fall, their RSS at the range's
// lowest memory.available minus their RSS at its start. Peak, growth and RSS at the lowest point are
// kept beside it and can rank instead. A recording made with --memory-cgroup /X is about the node in X:
// processes and owners outside X are left out (and counted) unless --all. Attribution is by cgroup only;
// the cwd is reported and, when it points into a pod, explained away.
import { ownerKey, ownerLabel, podUidOfPath } from '../model/attribution.js';
import { formatBytes } from '../model/quantity.js';
import { UnseenPeaks } from '../model/unseen-peaks.js';
import type { ContainerType, Owner, OwnerKind, SnapshotKind } from '../model/types.js';
import { inNode, ownerInNode, ownerSelected, processSelected, selectsProcesses, type ProcessSelection } from './select.js';
import { killLineJson, killLines, type KillLine, type KillLineJson } from './kills.js';
import type { AroundLowest, OwnerPeak, OwnerRow, ProcessAttributes, ProcessPeak, ProcessRow, ReportSource, SnapshotHeader, StoredEventRow } from './source.js';
import { isoUtc, type TimeRange } from './time.js';

export const CULPRIT_SORTS = ['contribution', 'peak', 'growth', 'at-lowest'] as const;
export type CulpritSort = (typeof CULPRIT_SORTS)[number];

/** What each ranking means, in words (culprits' text and the HTML report say it). */
export const SORT_TEXT: Record<CulpritSort, string> = {
  contribution: 'contribution to the fall: RSS when memory.available was lowest minus RSS at the start of the range (0 for a process started since)',
  peak: 'peak RSS',
  growth: 'growth: peak RSS minus the first sample in the range',
  'at-lowest': 'RSS when memory.available was lowest',
};


export interface CulpritOptions {
  /** processes and owners listed (and processes at the lowest point) */
  top: number;
  /** default contribution */
  sort?: CulpritSort;
  selection?: ProcessSelection;
  /** keep processes and owners outside the node cgroup */
  all?: boolean;
}

export interface CulpritProcess {
  rank: number;
  pid: number;
  startTime: string;
  comm: string;
  exe: string | null;
  cmdline: string | null;
  /** RSS at the lowest memory.available minus RSS at the start of the range: what ranks by default */
  contributionBytes: number;
  /** 0 for a process that started inside the range, else its first sample */
  rssAtStartBytes: number;
  /** in the lowest snapshot; for a process that ended before it, its peak; null: first seen after it */
  rssAtLowestBytes: number | null;
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
  /** the owner's own cgroup (the pod's, the unit's); null when the recording did not keep it */
  ownerCgroup: string | null;
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
  ownerCgroup: string | null;
  insidePods: boolean;
  /** every process of the owner: total RSS at the lowest memory.available minus total RSS in the range's first snapshot */
  contributionBytes: number;
  /** 0 when it had no process in the range's first snapshot */
  rssAtStartBytes: number;
  /** null: first seen after the lowest point */
  rssAtLowestBytes: number | null;
  peakRssBytes: number;
  peakAt: string;
  /** peak minus the total at first sight */
  growthBytes: number;
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
  owners: Array<{ owner: string; ownerKind: OwnerKind; ownerKey: string; ownerCgroup: string | null; rssBytes: number; processCount: number }>;
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

/** What the answer is about: the node cgroup(s) of the range, and what was left out for being outside. */
export interface CulpritScope {
  /** the node cgroups of the range's snapshots (`/`: the whole machine) */
  nodeCgroups: string[];
  /** true: --all, nothing was left out for being outside */
  all: boolean;
  processesLeftOut: number;
  ownersLeftOut: number;
}

export interface Culprits {
  since: string;
  until: string;
  snapshots: number;
  sort: CulpritSort;
  scope: CulpritScope;
  processes: CulpritProcess[];
  owners: CulpritOwner[];
  /** every owner's unseen spike, not only the top owners' (within the scope and the filters) */
  unseenPeaks: UnseenPeakRow[];
  atLowest: AtLowest | null;
  /** the OOM kills in the range, oldest first: victim and largest task (kills.ts) */
  oomKills: KillLine[];
}

/** The culprits as JSON writes them (README, JSON fields): the kills without their epoch-ms copies. */
export type CulpritsJson = Omit<Culprits, 'oomKills'> & { oomKills: KillLineJson[] };

export function culpritsJson(c: Culprits): CulpritsJson {
  return { ...c, oomKills: c.oomKills.map(killLineJson) };
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

const ownerCgroupOf = (o: Owner): string | null => (o.kind === 'kernel' ? null : o.cgroup);

/** The container fields of a process's owner, null outside pods. */
function containerOf(o: Owner): { container: string | null; containerType: ContainerType | null } {
  return o.kind === 'pod' ? { container: o.container, containerType: o.containerType } : { container: null, containerType: null };
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

// ---- the lowest point and the contribution to the fall

/** Where a sample lies against the lowest snapshot: before it, in it, after it (as the store orders snapshots). */
type Phase = 'before' | 'at' | 'after';

function phaseOf(takenAt: number, snapshotId: number, low: { id: number; takenAt: number } | null): Phase {
  if (low === null) return 'after';
  if (snapshotId === low.id) return 'at';
  return takenAt < low.takenAt || (takenAt === low.takenAt && snapshotId < low.id) ? 'before' : 'after';
}

/** Running AroundLowest of one series, fed in listing order. */
function aroundAdd(a: AroundLowest, rss: number, phase: Phase): void {
  if (phase === 'before') {
    a.lastBefore = rss;
    if (a.peakBefore === null || rss > a.peakBefore) a.peakBefore = rss;
  } else if (phase === 'at') a.at = rss;
  else a.after = true;
}

/**
 * RSS at the lowest point: in the lowest snapshot; for a series that ended (or left the recorded top N)
 * before it, its peak before it; for one seen on both sides but not in it, its last sample before (a
 * process) or 0 (an owner: every process is counted, so absent means none); null when first seen after it.
 */
export function rssAtLowest(l: AroundLowest, absentMeansZero: boolean): number | null {
  if (l.at !== null) return l.at;
  if (l.lastBefore === null) return null;
  if (!l.after) return l.peakBefore;
  return absentMeansZero ? 0 : l.lastBefore;
}

const contribution = (atLowest: number | null, atStart: number): number => (atLowest === null ? 0 : atLowest - atStart);

// ---- folding rows (the export's path; the store's peaks() does the same in one scan)

/** processRows folded per process exactly as the store's peaks() does it. Rows must be in processRows order. */
export function foldProcesses(rows: Iterable<ProcessRow>, low: { id: number; takenAt: number } | null = null): ProcessPeak[] {
  const byProc = new Map<string, ProcessPeak>();
  for (const r of rows) {
    const id = `${r.pid}@${r.startTime}`;
    let a = byProc.get(id);
    if (a === undefined) {
      const at = { takenAt: r.takenAt, rssBytes: r.rssBytes };
      a = { pid: r.pid, startTime: r.startTime, peak: peakOf(r), first: at, last: at, lowest: { at: null, lastBefore: null, peakBefore: null, after: false }, samples: 0, insidePods: false, cgroups: [], cwds: [], owners: [] };
      byProc.set(id, a);
    }
    a.samples++;
    if (r.takenAt >= a.last.takenAt) a.last = { takenAt: r.takenAt, rssBytes: r.rssBytes };
    if (r.rssBytes > a.peak.rssBytes) a.peak = peakOf(r);
    aroundAdd(a.lowest, r.rssBytes, phaseOf(r.takenAt, r.snapshotId, low));
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

/** Owner key → its own cgroup's memory limit, for the explanations. */
export function cgroupLimits(owners: readonly OwnerPeak[]): Map<string, number | null> {
  return new Map(owners.map((o) => [o.key, o.cgroupLimitBytes]));
}

/** ownerRows folded per owner key exactly as the store's peaks() does it; `firstId` is the range's first snapshot. */
export function foldOwners(rows: Iterable<OwnerRow>, low: { id: number; takenAt: number } | null = null, firstId: number | null = null): OwnerPeak[] {
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
      a = {
        key: r.key, owner: r.owner, peakAt: r.takenAt, peakRssBytes: r.rssBytes, processCountAtPeak: r.processCount, swapBytesAtPeak: r.swapBytes,
        first: { takenAt: r.takenAt, rssBytes: r.rssBytes }, inFirstSnapshot: null, lowest: { at: null, lastBefore: null, peakBefore: null, after: false }, samples: 0, owners: [],
        cgroup: null, cgroupLimitBytes: null, unseenPeak: null,
      };
      byKey.set(r.key, a);
    } else if (r.rssBytes > a.peakRssBytes) {
      Object.assign(a, { owner: r.owner, peakAt: r.takenAt, peakRssBytes: r.rssBytes, processCountAtPeak: r.processCount, swapBytesAtPeak: r.swapBytes });
    }
    if (r.snapshotId === firstId) a.inFirstSnapshot = r.rssBytes;
    aroundAdd(a.lowest, r.rssBytes, phaseOf(r.takenAt, r.snapshotId, low));
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

// ---- ranking

/** Sort keys, largest first; ties go to the earlier peak, then to the first seen (the input order). */
function ranked<T extends { contributionBytes: number; peakRssBytes: number; growthBytes: number; rssAtLowestBytes: number | null; peakAtMs: number }>(xs: T[], sort: CulpritSort): T[] {
  const key: (x: T) => number =
    sort === 'peak' ? (x) => x.peakRssBytes : sort === 'growth' ? (x) => x.growthBytes : sort === 'at-lowest' ? (x) => x.rssAtLowestBytes ?? -1 : (x) => x.contributionBytes;
  return [...xs].sort((a, b) => key(b) - key(a) || (sort === 'peak' ? 0 : b.peakRssBytes - a.peakRssBytes) || a.peakAtMs - b.peakAtMs);
}

/** Processes ranked by `sort` (default: contribution to the fall); `since` tells which started inside the range. */
export function rankProcessPeaks(
  procs: readonly ProcessPeak[],
  names: PodNames,
  top: number,
  sort: CulpritSort = 'contribution',
  since = Number.POSITIVE_INFINITY,
  limits: ReadonlyMap<string, number | null> = new Map(),
): CulpritProcess[] {
  const measured = procs.map((a) => {
    const atStart = a.startTime >= since ? 0 : a.first.rssBytes;
    const atLowest = rssAtLowest(a.lowest, false);
    return { a, atStart, rssAtLowestBytes: atLowest, contributionBytes: contribution(atLowest, atStart), peakRssBytes: a.peak.rssBytes, growthBytes: a.peak.rssBytes - a.first.rssBytes, peakAtMs: a.peak.takenAt };
  });
  return ranked(measured, sort)
    .slice(0, top)
    .map((m, i) => {
      const a = m.a;
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
        contributionBytes: m.contributionBytes,
        rssAtStartBytes: m.atStart,
        rssAtLowestBytes: m.rssAtLowestBytes,
        peakRssBytes: p.rssBytes,
        peakAt: isoUtc(p.takenAt),
        firstSeen: isoUtc(a.first.takenAt),
        lastSeen: isoUtc(a.last.takenAt),
        firstRssBytes: a.first.rssBytes,
        lastRssBytes: a.last.rssBytes,
        growthBytes: m.growthBytes,
        samples: a.samples,
        owner: ownerLabel(p.owner),
        ownerKind: p.owner.kind,
        ownerKey: ownerKey(p.owner),
        ownerCgroup: ownerCgroupOf(p.owner),
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

/** Owners ranked by `sort` over their totals (every process counted, not only the top N). */
export function rankOwnerPeaks(owners: readonly OwnerPeak[], top: number, sort: CulpritSort = 'contribution'): CulpritOwner[] {
  const measured = owners.map((a) => {
    const atStart = a.inFirstSnapshot ?? 0;
    const atLowest = rssAtLowest(a.lowest, true);
    return { a, atStart, rssAtLowestBytes: atLowest, contributionBytes: contribution(atLowest, atStart), peakRssBytes: a.peakRssBytes, growthBytes: a.peakRssBytes - a.first.rssBytes, peakAtMs: a.peakAt };
  });
  return ranked(measured, sort)
    .slice(0, top)
    .map((m, i) => ({
      rank: i + 1,
      owner: ownerLabel(m.a.owner),
      ownerKind: m.a.owner.kind,
      ownerKey: m.a.key,
      ownerCgroup: ownerCgroupOf(m.a.owner),
      insidePods: m.a.owner.kind === 'pod',
      contributionBytes: m.contributionBytes,
      rssAtStartBytes: m.atStart,
      rssAtLowestBytes: m.rssAtLowestBytes,
      peakRssBytes: m.a.peakRssBytes,
      peakAt: isoUtc(m.a.peakAt),
      growthBytes: m.growthBytes,
      processCountAtPeak: m.a.processCountAtPeak,
      swapBytesAtPeak: m.a.swapBytesAtPeak,
      samples: m.a.samples,
      cgroup: m.a.cgroup,
      cgroupLimitBytes: m.a.cgroupLimitBytes,
      unseenPeak: m.a.unseenPeak === null ? null : { peakBytes: m.a.unseenPeak.peakBytes, after: isoUtc(m.a.unseenPeak.after), before: isoUtc(m.a.unseenPeak.before), seenBytes: m.a.unseenPeak.seenBytes },
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

/** The snapshot with the lowest kubelet memory.available; the earliest of equals. */
export function lowestSnapshot(snaps: Iterable<SnapshotHeader>): SnapshotHeader | null {
  let low: SnapshotHeader | null = null;
  for (const s of snaps) if (low === null || s.kubelet.availableBytes < low.kubelet.availableBytes) low = s;
  return low;
}

// ---- which processes and owners count

/** The filters plus the node's scope, counting what the scope alone left out. */
class Selector {
  private readonly out = { procs: new Set<string>(), owners: new Set<string>() };
  private readonly kept = { procs: new Set<string>(), owners: new Set<string>() };
  /** no scope: the recording is of the whole machine, or --all */
  readonly unscoped: boolean;

  constructor(
    readonly nodes: string[],
    private readonly sel: ProcessSelection,
    all: boolean,
  ) {
    this.unscoped = all || nodes.length === 0 || nodes.includes('/');
  }

  readonly process = (p: ProcessAttributes): boolean => {
    if (!processSelected(p, this.sel)) return false;
    const id = `${p.pid}@${p.startTime}`;
    if (this.unscoped || inNode(p.cgroup, this.nodes)) {
      this.kept.procs.add(id);
      return true;
    }
    this.out.procs.add(id);
    return false;
  };

  readonly owner = (o: Owner, key: string): boolean => {
    if (!ownerSelected(o, this.sel)) return false;
    if (this.unscoped || ownerInNode(o, this.nodes)) {
      this.kept.owners.add(key);
      return true;
    }
    this.out.owners.add(key);
    return false;
  };

  /** With --comm or --pid the owners are those of the processes that passed. */
  ownersOf(procs: readonly ProcessPeak[]): ((key: string) => boolean) | null {
    if (!selectsProcesses(this.sel)) return null;
    const keys = new Set(procs.flatMap((p) => p.owners.map(ownerKey)));
    return (key) => keys.has(key);
  }

  scope(all: boolean, ownerKeep: ((key: string) => boolean) | null): CulpritScope {
    const left = (out: Set<string>, kept: Set<string>, keep: ((k: string) => boolean) | null = null): number => [...out].filter((k) => !kept.has(k) && (keep === null || keep(k))).length;
    return { nodeCgroups: [...this.nodes].sort(), all, processesLeftOut: left(this.out.procs, this.kept.procs), ownersLeftOut: left(this.out.owners, this.kept.owners, ownerKeep) };
  }
}

export function atLowestOf(low: SnapshotHeader, procs: ProcessRow[], owners: OwnerRow[], top: number, sel?: Selector, ownerKeep: ((key: string) => boolean) | null = null): AtLowest {
  return {
    takenAt: isoUtc(low.takenAt),
    snapshotId: low.id,
    snapshotKind: low.kind,
    kubeletAvailableBytes: low.kubelet.availableBytes,
    memAvailableBytes: low.meminfo.memAvailableBytes,
    hardThresholdBytes: low.thresholds.hard.bytes,
    softThresholdBytes: low.thresholds.soft?.bytes ?? null,
    processes: procs
      .filter((r) => r.snapshotId === low.id && (sel === undefined || sel.process(r)))
      .sort((a, b) => b.rssBytes - a.rssBytes)
      .slice(0, top)
      .map((r) => ({ pid: r.pid, comm: r.comm, rssBytes: r.rssBytes, owner: ownerLabel(r.owner), ownerKind: r.owner.kind, ...containerOf(r.owner), cgroup: r.cgroup, cwd: r.cwd, cmdline: r.cmdline })),
    owners: owners
      .filter((r) => r.snapshotId === low.id && (sel === undefined || sel.owner(r.owner, r.key)) && (ownerKeep === null || ownerKeep(r.key)))
      .sort((a, b) => b.rssBytes - a.rssBytes)
      .slice(0, top)
      .map((r) => ({ owner: ownerLabel(r.owner), ownerKind: r.owner.kind, ownerKey: r.key, ownerCgroup: ownerCgroupOf(r.owner), rssBytes: r.rssBytes, processCount: r.processCount })),
  };
}

const optionsOf = (o: number | CulpritOptions): CulpritOptions => (typeof o === 'number' ? { top: o } : o);

/** The whole answer from rows already read (the export reads them once for every part). */
export function culpritsFrom(range: TimeRange, snaps: SnapshotHeader[], procs: ProcessRow[], owners: OwnerRow[], options: number | CulpritOptions, events: StoredEventRow[] = []): Culprits {
  const o = optionsOf(options);
  const sort = o.sort ?? 'contribution';
  const names = podNamesOf([...procs.map((r) => r.owner), ...owners.map((r) => r.owner)]);
  const low = lowestSnapshot(snaps);
  const sel = new Selector([...new Set(snaps.map((s) => s.kubelet.cgroup))], o.selection ?? {}, o.all ?? false);
  const procPeaks = foldProcesses(procs.filter(sel.process), low);
  const keep = sel.ownersOf(procPeaks);
  const ownerPeaks = foldOwners(owners.filter((r) => sel.owner(r.owner, r.key) && (keep === null || keep(r.key))), low, snaps[0]?.id ?? null);
  const atLowest = low === null ? null : atLowestOf(low, procs, owners, o.top, sel, keep);
  const limits = cgroupLimits(ownerPeaks);
  return {
    since: isoUtc(range.since),
    until: isoUtc(range.until),
    snapshots: snaps.length,
    sort,
    scope: sel.scope(o.all ?? false, keep),
    processes: rankProcessPeaks(procPeaks, names, o.top, sort, range.since, limits),
    owners: rankOwnerPeaks(ownerPeaks, o.top, sort),
    unseenPeaks: unseenPeaksOf(ownerPeaks, o.top),
    atLowest,
    oomKills: killLines(events),
  };
}

/**
 * The whole answer for a range from the store's per-process and per-owner folds: a day is read once
 * without a row per sample, and only the lowest snapshot's rows are read whole. Equals culpritsFrom.
 */
export function culprits(store: ReportSource, range: TimeRange, options: number | CulpritOptions): Culprits {
  const o = optionsOf(options);
  const sort = o.sort ?? 'contribution';
  const low = store.lowestSnapshot(range);
  const sel = new Selector(store.nodeCgroups(range), o.selection ?? {}, o.all ?? false);
  const { snapshots, processes: procs, owners, ownersSeen } = store.peaks(range, { lowest: low, match: sel.process, matchOwner: sel.owner });
  const names = podNamesOf(ownersSeen);
  const keep = sel.ownersOf(procs);
  const kept = keep === null ? owners : owners.filter((a) => keep(a.key));
  const at = low === null ? null : { since: low.takenAt, until: low.takenAt };
  return {
    since: isoUtc(range.since),
    until: isoUtc(range.until),
    snapshots,
    sort,
    scope: sel.scope(o.all ?? false, keep),
    processes: rankProcessPeaks(procs, names, o.top, sort, range.since, cgroupLimits(owners)),
    owners: rankOwnerPeaks(kept, o.top, sort),
    unseenPeaks: unseenPeaksOf(kept, o.top),
    atLowest: low === null || at === null ? null : atLowestOf(low, store.processRows(at), store.ownerRows(at), o.top, sel, keep),
    oomKills: killLines(store.events(range, ['oom_kill'])),
  };
}
