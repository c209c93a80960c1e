// One collection of the node: memory as the kubelet sees it, the top N processes in full, and every
// process counted per owner. Keeps what is safe to keep between calls: cgroup and exe per process identity
// (re-validated now and then), the previous CPU ticks, the thresholds (re-discovered every few minutes).
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ParseError } from '../errors.js';
import { readHead } from '../fs/read.js';
import { attribute, ownerKey } from '../model/attribution.js';
import { legacyV2Root } from '../model/kubelet-available.js';
import { ownerCgroupPath } from '../model/owner-cgroup.js';
import { isKernelThread, type ProcCgroups, type ProcDetailsRaw } from '../model/process-raw.js';
import type { RedactRules } from '../model/redact.js';
import {
  aggregateOwners,
  buildProcesses,
  CLOCK_TICKS_PER_SECOND,
  cpuHistory,
  namePod,
  processKey,
  rankByRss,
  rssBytes,
  startTimeMs,
  type CpuHistory,
  type OwnedProcess,
} from '../model/snapshot.js';
import type { Collected, Owner, ProcStatRaw, Thresholds } from '../model/types.js';
import { CgroupCounterReader } from './cgroup-counters.js';
import { readBootId } from './kmsg.js';
import { discoverThresholds, type ThresholdDiscovery, type ThresholdOverrides } from './kubelet.js';
import { readNodeMemory, type NodeMemory } from './node-memory.js';
import { NodeNames } from './container-names.js';
import { ProcessVanished, ProcFs } from './procfs.js';
import type { Roots } from './roots.js';

export interface CollectorOptions {
  roots: Roots;
  /** how many processes to keep in full, largest RSS first */
  top: number;
  /** compute the node signal on this cgroup (`/my-node`) instead of the root */
  memoryCgroup?: string | undefined;
  overrides?: ThresholdOverrides;
  redact?: RedactRules;
  /** bytes per page; default: the running kernel's (4096 when it cannot be told) */
  pageSize?: number;
  /** cgroup/exe cache: processes younger than minAgeMs are not cached; entries are re-read after ttlMs (+ spread) */
  cache?: { minAgeMs: number; ttlMs: number };
}

/** Thresholds are found by scanning /proc for the kubelet: too dear for every 1 s burst snapshot. */
const THRESHOLD_REFRESH_MS = 5 * 60_000;
/** A process younger than this may still be moved into its cgroup or exec: don't cache it yet. */
const CACHE_MIN_AGE_MS = 5_000;
/** Cached cgroup and exe are re-read after this (plus a per-pid spread, so they don't all expire together). */
const CACHE_TTL_MS = 60_000;

interface CacheEntry {
  cgroups: ProcCgroups;
  /** attributed from cgroups (pod names are added per collect: /var/log/pods may change) */
  owner: Owner;
  ownerKey?: string;
  /** the owner's own cgroup (ownerCgroupPath), whose counters the owner aggregate carries */
  ownerCgroup: string | null;
  exe?: string | null;
  validUntil: number;
}

const KERNEL: Owner = { kind: 'kernel' };

/** KernelPageSize of the first mapping in /proc/self/smaps: the page size of the running kernel. */
export function detectPageSize(procRoot = '/proc'): number {
  try {
    const m = /KernelPageSize:\s+(\d+) kB/.exec(readHead(path.join(procRoot, 'self/smaps'), 4096).toString('latin1'));
    return m ? Number(m[1]) * 1024 : 4096;
  } catch {
    return 4096;
  }
}

export class Collector {
  private readonly proc: ProcFs;
  private readonly names: NodeNames;
  private readonly pageSize: number;
  private bootTimeSec: number | null = null;
  private cache = new Map<string, CacheEntry>();
  /** every user process of the last collect: its comm and owner, so an OOM report's pids can be told after they died */
  private lastSeen = new Map<number, { comm: string; startTimeTicks: number; owner: Owner }>();
  private previous: CpuHistory | null = null;
  private discovery: ThresholdDiscovery | null = null;
  private thresholdsAt = 0;
  private lastCapacity: number | null = null;
  private counters: CgroupCounterReader | null = null;
  private bootId: string | null | undefined;
  /** the last threshold discovery: thresholds, the kubelet pid they came from, its warnings */
  get thresholdDiscovery(): ThresholdDiscovery | null {
    return this.discovery;
  }

  /** problems of the last collect that did not stop it (unparseable files, threshold discovery): one line each */
  warnings: string[] = [];

  constructor(private readonly o: CollectorOptions) {
    this.proc = new ProcFs(o.roots.procRoot);
    this.names = new NodeNames(o.roots.hostRoot);
    // the running kernel's pages, unless the tree read is not this machine's /proc (a fixture)
    this.pageSize = o.pageSize ?? detectPageSize('/proc');
  }

  /** Re-discover the eviction thresholds now (the kubelet may have restarted with new flags). */
  refreshThresholds(capacityBytes?: number, now: number = Date.now()): Thresholds {
    const capacity = capacityBytes ?? this.lastCapacity ?? readNodeMemory(this.o.roots, { memoryCgroup: this.o.memoryCgroup }).kubelet.capacityBytes;
    const d = discoverThresholds(this.o.roots, capacity, this.o.overrides, { memoryCgroup: this.o.memoryCgroup });
    this.discovery = d;
    this.thresholdsAt = now;
    this.lastCapacity = capacity;
    return d.thresholds;
  }

  collect(now: number = Date.now()): Collected {
    const t0 = performance.now();
    const warnings: string[] = [];
    let node: NodeMemory = readNodeMemory(this.o.roots, { memoryCgroup: this.o.memoryCgroup, kubeletVersion: this.discovery?.kubelet.version });
    const capacity = node.kubelet.capacityBytes;
    if (this.discovery === null || now - this.thresholdsAt >= THRESHOLD_REFRESH_MS || now < this.thresholdsAt || capacity !== this.lastCapacity) {
      const before = legacyV2Root(this.discovery?.kubelet.version ?? null);
      this.refreshThresholds(capacity, now);
      // the kubelet's version picks the v2 root's formula: read again if it just turned out older than assumed
      if (legacyV2Root(this.discovery!.kubelet.version) !== before) node = readNodeMemory(this.o.roots, { memoryCgroup: this.o.memoryCgroup, kubeletVersion: this.discovery!.kubelet.version });
    }
    const discovery = this.discovery!;
    warnings.push(...discovery.warnings);
    this.bootTimeSec ??= this.proc.readBootTime();
    const bootTimeSec = this.bootTimeSec;
    this.names.begin(now);

    // 1. stat of every process: the only file read for all of them.
    const stats: ProcStatRaw[] = [];
    for (const pid of this.proc.listPids()) {
      try {
        const s = this.proc.readStat(pid);
        if (s !== null) stats.push(s);
      } catch (err) {
        if (!(err instanceof ParseError)) throw err;
        warnings.push(`${err.message}; process skipped`);
      }
    }

    // 2. the top N in full, walking down the ranking past processes that exit meanwhile.
    const oldCache = this.cache;
    const cache = new Map<string, CacheEntry>();
    const { minAgeMs, ttlMs } = this.o.cache ?? { minAgeMs: CACHE_MIN_AGE_MS, ttlMs: CACHE_TTL_MS };
    const cachedEntry = (key: string): CacheEntry | undefined => {
      const e = cache.get(key) ?? oldCache.get(key);
      return e !== undefined && e.validUntil > now ? e : undefined;
    };
    /** Remember what was read, if the process is old enough; a re-read entry keeps its expiry. */
    const remember = (s: ProcStatRaw, key: string, cgroups: ProcCgroups, exe: string | null | undefined, previous: CacheEntry | undefined): CacheEntry => {
      const owner = attribute(cgroups.memory, cgroups.systemd, false);
      const e: CacheEntry = {
        cgroups,
        owner,
        ownerCgroup: ownerCgroupPath(owner, cgroups.memory),
        ...(exe !== undefined ? { exe } : {}),
        validUntil: previous?.validUntil ?? now + ttlMs + (ttlMs > 0 ? (s.pid % 16) * 1000 : 0),
      };
      e.ownerKey = ownerKey(e.owner);
      if (now - startTimeMs(s, bootTimeSec) >= minAgeMs) cache.set(key, e);
      return e;
    };

    const details = new Map<number, ProcDetailsRaw>();
    const gone = new Set<number>();
    for (const s of rankByRss(stats)) {
      if (details.size >= this.o.top) break;
      const key = processKey(s.pid, s.startTimeTicks);
      const hit = cachedEntry(key);
      let d: ProcDetailsRaw;
      try {
        d = this.proc.readDetails(s, {
          kernelThread: isKernelThread(s),
          cached: hit === undefined ? undefined : { cgroups: hit.cgroups, ...(hit.exe !== undefined ? { exe: hit.exe } : {}) },
        });
      } catch (err) {
        if (err instanceof ProcessVanished) {
          gone.add(s.pid);
          continue;
        }
        throw err;
      }
      details.set(s.pid, d);
      if (d.cgroups !== null) remember(s, key, d.cgroups, d.unknown.exe === undefined ? d.exe : undefined, hit);
    }

    // 3. every process per owner: cgroup and owner from the cache, read once per process when new or stale.
    const swapInUse = node.meminfo.swapTotalBytes !== null && node.meminfo.swapFreeBytes !== null && node.meminfo.swapTotalBytes - node.meminfo.swapFreeBytes > 0;
    const owned: OwnedProcess[] = [];
    const seen = new Map<number, { comm: string; startTimeTicks: number; owner: Owner }>();
    for (const s of stats) {
      if (gone.has(s.pid)) continue;
      const d = details.get(s.pid);
      if (isKernelThread(s)) {
        owned.push({ owner: KERNEL, key: 'kernel', rssBytes: s.rssPages * this.pageSize, swapBytes: 0 });
        continue;
      }
      const key = processKey(s.pid, s.startTimeTicks);
      let entry = cachedEntry(key);
      if (entry !== undefined && !cache.has(key)) cache.set(key, entry);
      let owner: Owner;
      let ownerK: string | undefined;
      let ownerCgroup: string | null;
      if (d !== undefined) {
        owner = entry?.owner ?? attribute(d.cgroups?.memory ?? null, d.cgroups?.systemd ?? null, false);
        ownerK = entry?.ownerKey;
        ownerCgroup = entry !== undefined ? entry.ownerCgroup : ownerCgroupPath(owner, d.cgroups?.memory ?? null);
      } else {
        if (entry === undefined) {
          try {
            entry = remember(s, key, this.proc.readCgroups(s.pid), undefined, undefined);
          } catch (err) {
            const code = (err as { code?: unknown }).code;
            if (code === 'ENOENT' || code === 'ESRCH') continue; // exited since its stat was read
            // unreadable or unparseable: counted under an unknown owner, not dropped
          }
        }
        owner = entry?.owner ?? attribute(null, null, false);
        ownerK = entry?.ownerKey;
        ownerCgroup = entry?.ownerCgroup ?? null;
      }
      // Swap per process lives in status only: read it for all only when the node has swap in use.
      let swapBytes: number | null = 0;
      if (d !== undefined) swapBytes = d.status?.swapBytes ?? null;
      else if (swapInUse) {
        try {
          swapBytes = this.proc.readStatus(s.pid).swapBytes;
        } catch {
          swapBytes = null;
        }
      }
      const named = namePod(owner, this.names);
      seen.set(s.pid, { comm: s.comm, startTimeTicks: s.startTimeTicks, owner: named });
      owned.push({ owner: named, ...(ownerK !== undefined ? { key: ownerK } : {}), rssBytes: d !== undefined ? rssBytes(d, this.pageSize) : s.rssPages * this.pageSize, swapBytes, ownerCgroup });
    }
    this.cache = cache;
    this.lastSeen = seen;

    const processes = buildProcesses([...details.values()], this.o.top, {
      bootTimeSec,
      pageSize: this.pageSize,
      now,
      previous: this.previous,
      redact: this.o.redact,
      names: this.names,
    });
    warnings.push(...this.names.end());
    this.previous = cpuHistory(
      stats.filter((s) => !gone.has(s.pid)),
      now,
    );
    // 4. each owner's own cgroup: its counters see what happened between two snapshots
    this.counters ??= new CgroupCounterReader(this.o.roots, node.cgroupMode);
    const counters = this.counters;
    const owners = aggregateOwners(owned, (p) => counters.counters(p, now));
    counters.endCollect();
    warnings.push(...counters.takeWarnings());
    this.bootId ??= readBootId(this.o.roots.procRoot);
    this.warnings = warnings;
    return {
      takenAt: now,
      bootId: this.bootId,
      captureMs: Math.round((performance.now() - t0) * 10) / 10,
      cgroupMode: node.cgroupMode,
      meminfo: node.meminfo,
      kubelet: node.kubelet,
      allocatable: node.allocatable,
      psi: node.psi,
      oomKillCount: node.oomKillCount,
      thresholds: discovery.thresholds,
      processCount: owned.length,
      processes,
      owners,
    };
  }

  /**
   * The owner of a task an OOM report names, as close to the kill as memrec can tell: its cgroup now if it still
   * runs under that comm, else what the last collect saw of that pid under that comm, else the memcg the kernel
   * named for it when that is a pod's, a service's or a session's. Null when none of these knows. A process
   * started after the kill (`atUsec`, µs since boot, as kmsg dates it) reuses the pid: it is not the task.
   */
  ownerOf(pid: number, comm: string, memcg: string | null, atUsec: number | null = null): Owner | null {
    this.names.refreshPods();
    // start times are boot-relative ticks, kmsg times boot-relative µs; a second of slack for clock granularity
    const before = (ticks: number): boolean => atUsec === null || (ticks * 1_000_000) / CLOCK_TICKS_PER_SECOND <= atUsec + 1_000_000;
    try {
      const s = this.proc.readStat(pid);
      // a zombie's cgroup may already be gone: what was seen of it while it ran is better
      if (s !== null && s.comm === comm && before(s.startTimeTicks) && s.state !== 'Z' && s.state !== 'X' && !isKernelThread(s)) {
        const c = this.proc.readCgroups(pid);
        return namePod(attribute(c.memory, c.systemd, false), this.names);
      }
    } catch {
      // exited or unreadable meanwhile: fall back on what was seen
    }
    const seen = this.lastSeen.get(pid);
    if (seen !== undefined && seen.comm === comm && before(seen.startTimeTicks)) return seen.owner;
    if (memcg !== null) {
      const o = attribute(memcg, null, false);
      if (o.kind !== 'other') return namePod(o, this.names);
    }
    return null;
  }
}
