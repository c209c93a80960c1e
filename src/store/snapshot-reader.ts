// Rows -> the shared types. Strings, owners, thresholds and process attributes are decoded once per
// id and cached: a day of samples references a few hundred of them.
import type Database from 'better-sqlite3';
import { InputError } from '../errors.js';
import type {
  CgroupMode,
  EventType,
  KubeletFormula,
  KubeletSignal,
  OomKill,
  Owner,
  OwnerCgroupCounters,
  ProcessSample,
  SnapshotKind,
  Threshold,
  ThresholdSource,
  Thresholds,
  UnknownFields,
} from '../model/types.js';
import { completeOomKill } from '../model/oom.js';
import { ownerFromRow, type OwnerRow } from './owner-columns.js';
import { UnseenPeaks } from '../model/unseen-peaks.js';
import { ownerStateFromRow, scanAggregates, unpackAggregates, type OwnerState, type OwnerStateLookup, type OwnerStateRow, type ScannedCounters } from './owner-pack.js';
import { scanProcRss, unpackSamples } from './process-pack.js';
import type { AroundLowest, BootSpan, OwnerPeak, OwnerRow as StoredOwnerRow, PeaksOptions, ProcessAttributes, ProcessFilter, ProcessPeak, ProcessRow, RangePeaks, StoredEvent, StoredSnapshot, TimeRange } from './store.js';

type Id = number;

/** Raw (positional) rows: better-sqlite3 builds 40-key objects six times slower than arrays. */
type SnapshotRowDb = [
  id: Id,
  taken_at: number,
  kind: string,
  trigger_id: Id | null,
  capture_ms: number,
  cgroup_mode: string,
  mem_total: number,
  mem_free: number,
  mem_available: number | null,
  cached: number | null,
  shmem: number | null,
  slab: number | null,
  s_reclaimable: number | null,
  swap_total: number | null,
  swap_free: number | null,
  node_cgroup_id: Id,
  node_capacity: number,
  node_usage: number,
  node_inactive_file: number,
  node_working_set: number,
  node_available: number,
  node_formula: string,
  alloc_cgroup_id: Id | null,
  alloc_capacity: number | null,
  alloc_usage: number | null,
  alloc_inactive_file: number | null,
  alloc_working_set: number | null,
  alloc_available: number | null,
  alloc_formula: string | null,
  psi_some_avg10_x100: number | null,
  psi_some_avg60_x100: number | null,
  psi_some_avg300_x100: number | null,
  psi_some_total_us: number | null,
  psi_full_avg10_x100: number | null,
  psi_full_avg60_x100: number | null,
  psi_full_avg300_x100: number | null,
  psi_full_total_us: number | null,
  oom_kill_count: number | null,
  thresholds_id: Id,
  process_count: number,
  boot: Id | null,
];

interface ThresholdsRowDb {
  id: Id;
  hard_raw: string;
  hard_bytes: number;
  hard_source: string;
  hard_origin: string;
  hard_grace: string | null;
  soft_raw: string | null;
  soft_bytes: number | null;
  soft_source: string | null;
  soft_origin: string | null;
  soft_grace: string | null;
}

interface ProcRowDb {
  id: Id;
  pid: number;
  start_time: number;
  ppid: number;
  uid: number | null;
  comm_id: Id;
  cgroup_id: Id | null;
  unit_id: Id | null;
  owner_id: Id;
  cwd_id: Id | null;
  exe_id: Id | null;
  cmdline_id: Id | null;
  oom_score_adj: number | null;
  unknown: string | null;
  flags: string | null;
}


/** The parts of a ProcessSample that live in procs. */
type ProcAttrs = Pick<ProcessSample, 'pid' | 'startTime' | 'ppid' | 'uid' | 'comm' | 'cgroup' | 'unit' | 'owner' | 'cwd' | 'exe' | 'oomScoreAdj' | 'unknown' | 'flags'> & {
  ownerId: Id;
  /** the command line is read through the strings cache when a row needs it: it may be 100 KB, and most folds never do */
  cmdlineId: Id | null;
};

const SNAPSHOT_COLUMNS = 'id, taken_at, kind, trigger_id, capture_ms, cgroup_mode, mem_total, mem_free, mem_available, cached, shmem, slab, s_reclaimable, swap_total, swap_free, node_cgroup_id, node_capacity, node_usage, node_inactive_file, node_working_set, node_available, node_formula, alloc_cgroup_id, alloc_capacity, alloc_usage, alloc_inactive_file, alloc_working_set, alloc_available, alloc_formula, psi_some_avg10_x100, psi_some_avg60_x100, psi_some_avg300_x100, psi_some_total_us, psi_full_avg10_x100, psi_full_avg60_x100, psi_full_avg300_x100, psi_full_total_us, oom_kill_count, thresholds_id, process_count, boot';

/** One procs row (or owners row) over a range; seq numbers order samples as processRows would list them. */
interface IdAgg {
  id: Id;
  samples: number;
  firstAt: number;
  firstRss: number;
  /** ordinal of the snapshot it was first seen in (0: the range's first) */
  firstSnap: number;
  lastAt: number;
  lastRss: number;
  lastSeq: number;
  peakAt: number;
  peakRss: number;
  peakSeq: number;
  /** owners only: process count and swap at the peak */
  peakCount: number;
  peakSwap: number;
  /** around the lowest snapshot: RSS in it (-1: absent), the last and highest before it (-1: none), seen after */
  lowRss: number;
  preLastRss: number;
  preLastSeq: number;
  prePeakRss: number;
  post: boolean;
}

function newAgg(id: Id, takenAt: number, rss: number, seq: number, snap: number): IdAgg {
  return {
    id, samples: 1, firstAt: takenAt, firstRss: rss, firstSnap: snap, lastAt: takenAt, lastRss: rss, lastSeq: seq, peakAt: takenAt, peakRss: rss, peakSeq: seq,
    peakCount: 0, peakSwap: 0, lowRss: -1, preLastRss: -1, preLastSeq: -1, prePeakRss: -1, post: false,
  };
}

/** A later sample of the same id; true when it is the new peak (strictly higher: the earliest of equals stays). */
function addSample(a: IdAgg, takenAt: number, rss: number, seq: number): boolean {
  a.samples++;
  a.lastAt = takenAt;
  a.lastRss = rss;
  a.lastSeq = seq;
  if (rss <= a.peakRss) return false;
  a.peakAt = takenAt;
  a.peakRss = rss;
  a.peakSeq = seq;
  return true;
}

const NO_LOWEST: AroundLowest = { at: null, lastBefore: null, peakBefore: null, after: false };

/** Where a snapshot lies against the lowest one. */
const BEFORE = 0;
const AT = 1;
const AFTER = 2;

function addAround(a: IdAgg, rss: number, seq: number, phase: number): void {
  if (phase === BEFORE) {
    a.preLastRss = rss;
    a.preLastSeq = seq;
    if (rss > a.prePeakRss) a.prePeakRss = rss;
  } else if (phase === AT) a.lowRss = rss;
  else a.post = true;
}

/** Is `b`'s peak above `a`'s, or equal and earlier? */
function peaksAbove(b: IdAgg, a: IdAgg): boolean {
  return b.peakRss > a.peakRss || (b.peakRss === a.peakRss && b.peakSeq < a.peakSeq);
}

/** The samples of several rows of one series (a process whose cwd changed) around the lowest snapshot. */
function aroundOf(rows: IdAgg[]): AroundLowest {
  let at: number | null = null;
  let last: IdAgg | null = null;
  let peak: number | null = null;
  let after = false;
  for (const a of rows) {
    if (a.lowRss >= 0) at = a.lowRss;
    if (a.preLastSeq >= 0 && (last === null || a.preLastSeq > last.preLastSeq)) last = a;
    if (a.prePeakRss >= 0 && (peak === null || a.prePeakRss > peak)) peak = a.prePeakRss;
    after ||= a.post;
  }
  return { at, lastBefore: last === null ? null : last.preLastRss, peakBefore: peak, after };
}

/**
 * Running aggregates per id, first seen first. A call per snapshot rather than one loop over the range:
 * V8 optimizes a function called a thousand times long before it replaces a loop running once.
 */
class Fold {
  readonly order: IdAgg[] = [];
  private readonly byId = new Map<Id, IdAgg>();
  private seq = 0;

  /**
   * One snapshot's samples in listing order (`idx` permutes them when the blob is not in it); `snap` is the
   * snapshot's ordinal in the range, `phase` where it lies against the lowest snapshot.
   */
  add(takenAt: number, ids: number[], rss: number[], idx: number[] | null, counts: number[] | null, swap: number[] | null, snap: number, phase: number): void {
    for (let k = 0; k < ids.length; k++) {
      const i = idx === null ? k : idx[k]!;
      const id = ids[i]!;
      const r = rss[i]!;
      const seq = ++this.seq;
      let a = this.byId.get(id);
      let isPeak = true;
      if (a === undefined) {
        a = newAgg(id, takenAt, r, seq, snap);
        this.byId.set(id, a);
        this.order.push(a);
      } else isPeak = addSample(a, takenAt, r, seq);
      addAround(a, r, seq, phase);
      if (isPeak && counts !== null && swap !== null) {
        a.peakCount = counts[i]!;
        a.peakSwap = swap[i]!;
      }
    }
  }
}

/** processRows lists a snapshot by RSS descending (stable): null when the collector's order is that already. */
function rssOrder(rss: number[]): number[] | null {
  for (let i = 1; i < rss.length; i++) {
    if (rss[i]! > rss[i - 1]!) return Array.from({ length: rss.length }, (_, j) => j).sort((p, q) => rss[q]! - rss[p]! || p - q);
  }
  return null;
}

interface EventRowDb {
  id: Id;
  at: number;
  type: string;
  details: string;
  boot_id: string | null;
}

function eventFromRow(r: EventRowDb): StoredEvent {
  const details = JSON.parse(r.details) as StoredEvent['details'];
  // kills stored before memrec kept the whole report get its fields as not seen: one shape for every reader
  return { id: r.id, at: r.at, type: r.type, details: r.type === 'oom_kill' ? completeOomKill(details as OomKill) : details, bootId: r.boot_id } as StoredEvent;
}

/** `?, ?, ?` for an IN list. */
function marks(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

/**
 * Decoded rows by id, forgotten all at once when their weight passes `budget`: a report over 30 days may
 * meet thousands of 100 KB command lines, and must not keep them all (reports stay under 100 MiB).
 */
class BoundedCache<V> {
  private readonly map = new Map<Id, V>();
  private weight = 0;

  constructor(
    private readonly budget: number,
    private readonly weigh: (v: V) => number,
  ) {}

  get(id: Id): V | undefined {
    return this.map.get(id);
  }

  set(id: Id, v: V): void {
    const w = this.weigh(v);
    if (this.weight + w > this.budget) this.clear();
    this.map.set(id, v);
    this.weight += w;
  }

  clear(): void {
    this.map.clear();
    this.weight = 0;
  }
}

/** Characters of cached text (strings, and the strings a procs row holds) before a cache starts over. */
const TEXT_BUDGET = 4_000_000;
const len = (s: string | null): number => (s === null ? 0 : s.length);

/**
 * A read-through cache of one interned table: the row is read once per id and converted once. An id
 * without a row means the database lost a row that a snapshot references.
 */
function cachedRow<R, V>(cache: BoundedCache<V>, id: Id, table: string, read: (id: Id) => R | undefined, convert: (row: R) => V): V {
  let v = cache.get(id);
  if (v === undefined) {
    const row = read(id);
    if (row === undefined) throw new InputError(`${table} row ${id} is missing (corrupt database?)`);
    v = convert(row);
    cache.set(id, v);
  }
  return v;
}

export class SnapshotReader {
  private readonly strings = new BoundedCache<string>(TEXT_BUDGET, (v) => 64 + v.length);
  private readonly owners = new BoundedCache<{ owner: Owner; key: string | null }>(100_000, () => 1);
  private readonly thresholds = new BoundedCache<Thresholds>(10_000, () => 1);
  private readonly procs = new BoundedCache<ProcAttrs>(TEXT_BUDGET, (p) => 256 + len(p.comm) + len(p.cgroup) + len(p.cwd) + len(p.exe));
  private readonly bootIds = new BoundedCache<string>(10_000, () => 1);
  private readonly ownerStates = new BoundedCache<OwnerState>(100_000, () => 1);
  private bootStmt: Database.Statement | null = null;
  private stateStmt: Database.Statement | null = null;
  private readonly st;

  constructor(private readonly db: Database.Database) {
    this.st = {
      string: db.prepare('SELECT value FROM strings WHERE id = ?').pluck(),
      owner: db.prepare('SELECT * FROM owners WHERE id = ?'),
      thresholds: db.prepare('SELECT * FROM thresholds WHERE id = ?'),
      proc: db.prepare('SELECT * FROM procs WHERE id = ?'),
    };
  }

  /** The writer's orphan collection may delete ids; a reader in the same process forgets them. */
  clearCaches(): void {
    this.strings.clear();
    this.owners.clear();
    this.thresholds.clear();
    this.procs.clear();
    this.bootIds.clear();
    this.ownerStates.clear();
  }

  /** An owner_cgroups row, for the owner blobs of format 3 (prepared on first use, as boots: tests open older schemas). */
  readonly ownerState: OwnerStateLookup = (id) => {
    const v = this.ownerStates.get(id);
    if (v !== undefined) return v;
    this.stateStmt ??= this.db.prepare('SELECT owner_id, path_id, mask, peak_bytes, limit_bytes, high_bytes, failcnt, oom_kills, high_events, max_events, oom_events FROM owner_cgroups WHERE id = ?').raw();
    const st = this.stateStmt;
    return cachedRow(this.ownerStates, id, 'owner_cgroups', (i) => st.get(i) as OwnerStateRow | undefined, ownerStateFromRow);
  };

  private bootOf(id: Id | null): string | null {
    if (id === null) return null;
    // prepared on first use: a database opened with an older migration set (tests) has no boots table, nor boot ids
    this.bootStmt ??= this.db.prepare('SELECT boot_id FROM boots WHERE id = ?').pluck();
    const st = this.bootStmt;
    return cachedRow(this.bootIds, id, 'boots', (i) => st.get(i) as string | undefined, (v) => v);
  }

  private string(id: Id): string {
    return cachedRow(this.strings, id, 'strings', (i) => this.st.string.get(i) as string | undefined, (v) => v);
  }

  private stringOrNull(id: Id | null): string | null {
    return id === null ? null : this.string(id);
  }

  private owner(id: Id): { owner: Owner; key: string | null } {
    return cachedRow(this.owners, id, 'owners', (i) => this.st.owner.get(i) as OwnerRow | undefined, (row) => ({ owner: ownerFromRow(row), key: row.key }));
  }

  private thresholdsOf(id: Id): Thresholds {
    return cachedRow(this.thresholds, id, 'thresholds', (i) => this.st.thresholds.get(i) as ThresholdsRowDb | undefined, (r) => {
      const hard: Threshold = { raw: r.hard_raw, bytes: r.hard_bytes, source: r.hard_source as ThresholdSource, origin: r.hard_origin };
      if (r.hard_grace !== null) hard.gracePeriod = r.hard_grace;
      let soft: Threshold | null = null;
      if (r.soft_raw !== null) {
        soft = { raw: r.soft_raw, bytes: r.soft_bytes ?? 0, source: r.soft_source as ThresholdSource, origin: r.soft_origin ?? '' };
        if (r.soft_grace !== null) soft.gracePeriod = r.soft_grace;
      }
      return { hard, soft };
    });
  }

  private proc(id: Id): ProcAttrs {
    return cachedRow(this.procs, id, 'procs', (i) => this.st.proc.get(i) as ProcRowDb | undefined, (r) => {
      const v: ProcAttrs = {
        pid: r.pid,
        startTime: r.start_time,
        ppid: r.ppid,
        uid: r.uid,
        comm: this.string(r.comm_id),
        cgroup: this.stringOrNull(r.cgroup_id),
        unit: this.stringOrNull(r.unit_id),
        owner: this.owner(r.owner_id).owner,
        ownerId: r.owner_id,
        cwd: this.stringOrNull(r.cwd_id),
        exe: this.stringOrNull(r.exe_id),
        cmdlineId: r.cmdline_id,
        oomScoreAdj: r.oom_score_adj,
      };
      if (r.unknown !== null) v.unknown = JSON.parse(r.unknown) as UnknownFields;
      if (r.flags !== null) v.flags = JSON.parse(r.flags) as string[];
      return v;
    });
  }

  private signal(cgroupId: Id, capacity: number, usage: number, inactive: number, ws: number, avail: number, formula: string): KubeletSignal {
    return {
      cgroup: this.string(cgroupId),
      capacityBytes: capacity,
      usageBytes: usage,
      inactiveFileBytes: inactive,
      workingSetBytes: ws,
      availableBytes: avail,
      formula: formula as KubeletFormula,
    };
  }

  private snapshotFromRow(row: SnapshotRowDb): StoredSnapshot {
    const [id, taken_at, kind, trigger_id, capture_ms, cgroup_mode, mem_total, mem_free, mem_available, cached, shmem, slab, s_reclaimable, swap_total, swap_free, node_cgroup_id, node_capacity, node_usage, node_inactive_file, node_working_set, node_available, node_formula, alloc_cgroup_id, alloc_capacity, alloc_usage, alloc_inactive_file, alloc_working_set, alloc_available, alloc_formula, psi_some_avg10_x100, psi_some_avg60_x100, psi_some_avg300_x100, psi_some_total_us, psi_full_avg10_x100, psi_full_avg60_x100, psi_full_avg300_x100, psi_full_total_us, oom_kill_count, thresholds_id, process_count, boot] = row;
    return {
      id: id,
      takenAt: taken_at,
      bootId: this.bootOf(boot),
      kind: kind as SnapshotKind,
      trigger: this.stringOrNull(trigger_id),
      captureMs: capture_ms,
      cgroupMode: cgroup_mode as CgroupMode,
      meminfo: {
        memTotalBytes: mem_total,
        memFreeBytes: mem_free,
        memAvailableBytes: mem_available,
        cachedBytes: cached,
        shmemBytes: shmem,
        slabBytes: slab,
        sReclaimableBytes: s_reclaimable,
        swapTotalBytes: swap_total,
        swapFreeBytes: swap_free,
      },
      kubelet: this.signal(node_cgroup_id, node_capacity, node_usage, node_inactive_file, node_working_set, node_available, node_formula),
      allocatable:
        alloc_cgroup_id === null
          ? null
          : this.signal(alloc_cgroup_id, alloc_capacity ?? 0, alloc_usage ?? 0, alloc_inactive_file ?? 0, alloc_working_set ?? 0, alloc_available ?? 0, alloc_formula ?? ''),
      psi:
        psi_some_avg10_x100 === null
          ? null
          : {
              someAvg10: psi_some_avg10_x100 / 100,
              someAvg60: (psi_some_avg60_x100 ?? 0) / 100,
              someAvg300: (psi_some_avg300_x100 ?? 0) / 100,
              someTotalUs: psi_some_total_us ?? 0,
              fullAvg10: (psi_full_avg10_x100 ?? 0) / 100,
              fullAvg60: (psi_full_avg60_x100 ?? 0) / 100,
              fullAvg300: (psi_full_avg300_x100 ?? 0) / 100,
              fullTotalUs: psi_full_total_us ?? 0,
            },
      oomKillCount: oom_kill_count,
      thresholds: this.thresholdsOf(thresholds_id),
      processCount: process_count,
    };
  }

  snapshots(range: TimeRange, kinds?: readonly SnapshotKind[]): StoredSnapshot[] {
    return [...this.eachSnapshot(range, kinds)];
  }

  /** snapshots(), one at a time: a range of any length in the memory of one snapshot. */
  *eachSnapshot(range: TimeRange, kinds?: readonly SnapshotKind[]): Generator<StoredSnapshot> {
    const kindSql = kinds === undefined ? '' : ` AND kind IN (${marks(kinds.length)})`;
    const rows = this.db
      .prepare(`SELECT ${SNAPSHOT_COLUMNS} FROM snapshots WHERE taken_at BETWEEN ? AND ?${kindSql} ORDER BY taken_at, id`)
      .raw()
      .iterate(range.since, range.until, ...(kinds ?? [])) as IterableIterator<SnapshotRowDb>;
    for (const r of rows) yield this.snapshotFromRow(r);
  }

  /** The latest snapshot by time (then by id). */
  last(): StoredSnapshot | null {
    const r = this.db.prepare(`SELECT ${SNAPSHOT_COLUMNS} FROM snapshots ORDER BY taken_at DESC, id DESC LIMIT 1`).raw().get() as SnapshotRowDb | undefined;
    return r === undefined ? null : this.snapshotFromRow(r);
  }

  processRows(range: TimeRange, f: ProcessFilter = {}): ProcessRow[] {
    return [...this.eachProcessRow(range, f)];
  }

  /** processRows(), one row at a time: a snapshot's blob is decoded when its turn comes. */
  *eachProcessRow(range: TimeRange, f: ProcessFilter = {}): Generator<ProcessRow> {
    const where = ['taken_at BETWEEN ? AND ?'];
    const params: (string | number)[] = [range.since, range.until];
    if (f.kinds !== undefined) {
      where.push(`kind IN (${marks(f.kinds.length)})`);
      params.push(...f.kinds);
    }
    // the owner filters resolve to a set of owner ids, the pid filter to a set of procs rows
    const ownerWhere: string[] = [];
    const ownerParams: string[] = [];
    if (f.podUid !== undefined) {
      ownerWhere.push('pod_uid = ?');
      ownerParams.push(f.podUid);
    }
    if (f.ownerKinds !== undefined) {
      ownerWhere.push(`kind IN (${marks(f.ownerKinds.length)})`);
      ownerParams.push(...f.ownerKinds);
    }
    if (f.outsidePods === true) ownerWhere.push(`kind <> 'pod'`);
    const owners = ownerWhere.length === 0 ? null : new Set(this.db.prepare(`SELECT id FROM owners WHERE ${ownerWhere.join(' AND ')}`).pluck().all(...ownerParams) as Id[]);
    const pidProcs = f.pid === undefined ? null : new Set(this.db.prepare('SELECT id FROM procs WHERE pid = ?').pluck().all(f.pid) as Id[]);
    const matches = f.match === undefined ? null : this.procMatcher(f.match);
    const rows = this.db.prepare(`SELECT id, taken_at, kind, process_pack, boot FROM snapshots WHERE ${where.join(' AND ')} ORDER BY taken_at, id`).raw().iterate(...params) as IterableIterator<[Id, number, string, Buffer, Id | null]>;
    for (const [snapshotId, takenAt, kind, pack, boot] of rows) {
      const bootId = this.bootOf(boot);
      let kept = unpackSamples(pack);
      if (pidProcs !== null) kept = kept.filter((x) => pidProcs.has(x.procId));
      if (owners !== null) kept = kept.filter((x) => owners.has(this.proc(x.procId).ownerId));
      if (matches !== null) kept = kept.filter((x) => matches(x.procId));
      // the collector ranks by RSS already; a stable sort keeps its order for ties
      kept.sort((p, q) => q.rssBytes - p.rssBytes);
      if (f.topPerSnapshot !== undefined) kept.length = Math.min(kept.length, f.topPerSnapshot);
      for (const x of kept) {
        const a = this.proc(x.procId);
        const row: ProcessRow = {
          snapshotId,
          takenAt,
          snapshotKind: kind as SnapshotKind,
          bootId,
          pid: a.pid,
          startTime: a.startTime,
          ppid: a.ppid,
          uid: a.uid,
          comm: a.comm,
          state: x.state,
          rssBytes: x.rssBytes,
          rssAnonBytes: x.rssAnonBytes,
          rssFileBytes: x.rssFileBytes,
          rssShmemBytes: x.rssShmemBytes,
          swapBytes: x.swapBytes,
          vsizeBytes: x.vsizeBytes,
          peakRssBytes: x.peakRssBytes,
          cpuTicks: x.cpuTicks,
          cpuPercent: x.cpuPercent,
          threads: x.threads,
          oomScoreAdj: a.oomScoreAdj,
          cgroup: a.cgroup,
          unit: a.unit,
          owner: a.owner,
          cwd: a.cwd,
          exe: a.exe,
          cmdline: this.stringOrNull(a.cmdlineId),
        };
        if (a.unknown !== undefined) row.unknown = a.unknown;
        if (a.flags !== undefined) row.flags = a.flags;
        yield row;
      }
    }
  }

  /** A procs id test that asks `match` once per id. */
  private procMatcher(match: (p: ProcessAttributes) => boolean): (id: Id) => boolean {
    const known = new Map<Id, boolean>();
    return (id) => {
      let ok = known.get(id);
      if (ok === undefined) {
        ok = match(this.proc(id));
        known.set(id, ok);
      }
      return ok;
    };
  }

  /**
   * processRows(range) folded per process and ownerRows(range) per owner key, in one pass over the blobs:
   * only ids and sizes are decoded, attributes looked up once per procs row. Same order and ties as
   * folding the rows (the report tests compare both). Rows the options' tests refuse are left out after
   * the pass: the order and ties of the others do not depend on them.
   */
  peaks(range: TimeRange, opts: PeaksOptions = {}): RangePeaks {
    const procs = new Fold();
    const owners = new Fold();
    const ids: number[] = [];
    const rss: number[] = [];
    const counts: number[] = [];
    const swap: number[] = [];
    const counters: ScannedCounters = { pathIds: [], usage: [], peak: [], limit: [] };
    const cgroups = new Map<string, UnseenPeaks>();
    // per owners row id: its key's tracker, or null when the options leave the row out
    const trackers: Array<UnseenPeaks | null> = [];
    const matchOwner = opts.matchOwner;
    const low = opts.lowest ?? null;
    let snapshots = 0;
    const rows = this.db
      .prepare('SELECT id, taken_at, process_pack, owner_pack FROM snapshots WHERE taken_at BETWEEN ? AND ? ORDER BY taken_at, id')
      .raw()
      .iterate(range.since, range.until) as IterableIterator<[Id, number, Buffer, Buffer]>;
    for (const row of rows) {
      const takenAt = row[1];
      // rows come in (taken_at, id) order: before, at or after the lowest snapshot
      const phase = low === null ? AFTER : row[0] === low.id ? AT : takenAt < low.takenAt || (takenAt === low.takenAt && row[0] < low.id) ? BEFORE : AFTER;
      scanProcRss(row[2], ids, rss);
      procs.add(takenAt, ids, rss, rssOrder(rss), null, null, snapshots, phase);
      scanAggregates(row[3], ids, counts, rss, swap, counters, this.ownerState);
      owners.add(takenAt, ids, rss, null, counts, swap, snapshots, phase);
      snapshots++;
      for (let i = 0; i < ids.length; i++) {
        const pathId = counters.pathIds[i]!;
        if (pathId < 0) continue;
        // owners rows of one key share its tracker; found once per owners row (ids are small: an array), not per sample
        const id = ids[i]!;
        let t = trackers[id];
        if (t === undefined) {
          const o = this.owner(id);
          const key = o.key ?? '';
          t = matchOwner === undefined || matchOwner(o.owner, key) ? (cgroups.get(key) ?? new UnseenPeaks()) : null;
          if (t !== null) cgroups.set(key, t);
          trackers[id] = t;
        }
        if (t === null) continue;
        const u = counters.usage[i]!;
        const pk = counters.peak[i]!;
        const l = counters.limit[i]!;
        t.add(takenAt, pathId, u < 0 ? null : u, pk < 0 ? null : pk, l < 0 ? null : l);
      }
    }
    const seen = new Set<Owner>();
    const match = opts.match;
    const procOrder = procs.order.filter((a) => {
      const attrs = this.proc(a.id);
      seen.add(attrs.owner);
      return match === undefined || match(attrs);
    });
    const ownerOrder = owners.order.filter((a) => {
      const o = this.owner(a.id);
      seen.add(o.owner);
      return matchOwner === undefined || matchOwner(o.owner, o.key ?? '');
    });
    return { snapshots, processes: this.processPeaks(procOrder), owners: this.ownerPeaks(ownerOrder, cgroups), ownersSeen: [...seen] };
  }

  /** procs rows of one process (its cwd or cgroup changed) merged in first-seen order. */
  private processPeaks(order: IdAgg[]): ProcessPeak[] {
    const out = new Map<string, { p: ProcessPeak; peak: IdAgg; last: IdAgg; rows: IdAgg[] }>();
    for (const a of order) {
      const attrs = this.proc(a.id);
      const key = `${attrs.pid}@${attrs.startTime}`;
      let m = out.get(key);
      if (m === undefined) {
        m = {
          p: {
            pid: attrs.pid, startTime: attrs.startTime, peak: { takenAt: 0, rssBytes: 0, comm: '', exe: null, cmdline: null, owner: attrs.owner, cgroup: null },
            first: { takenAt: a.firstAt, rssBytes: a.firstRss }, last: { takenAt: 0, rssBytes: 0 }, lowest: NO_LOWEST, samples: 0, insidePods: false, cgroups: [], cwds: [], owners: [],
          },
          peak: a,
          last: a,
          rows: [],
        };
        out.set(key, m);
      } else {
        if (peaksAbove(a, m.peak)) m.peak = a;
        if (a.lastSeq > m.last.lastSeq) m.last = a;
      }
      m.rows.push(a);
      const p = m.p;
      p.samples += a.samples;
      if (attrs.owner.kind === 'pod') p.insidePods = true;
      if (!p.cgroups.includes(attrs.cgroup)) p.cgroups.push(attrs.cgroup);
      if (attrs.cwd !== null && !p.cwds.includes(attrs.cwd)) p.cwds.push(attrs.cwd);
      if (!p.owners.includes(attrs.owner)) p.owners.push(attrs.owner);
    }
    const result: ProcessPeak[] = [];
    for (const { p, peak, last, rows } of out.values()) {
      const at = this.proc(peak.id);
      // The command line is read when asked for: a month holds thousands of processes, some with 100 KB
      // command lines, and a report shows those of its top few only (reports stay under 100 MiB).
      const reader = this;
      const procId = peak.id;
      p.peak = {
        takenAt: peak.peakAt, rssBytes: peak.peakRss, comm: at.comm, exe: at.exe, owner: at.owner, cgroup: at.cgroup,
        get cmdline(): string | null {
          return reader.stringOrNull(reader.proc(procId).cmdlineId);
        },
      };
      p.last = { takenAt: last.lastAt, rssBytes: last.lastRss };
      p.lowest = aroundOf(rows);
      result.push(p);
    }
    return result;
  }

  /** owners rows with the same key merged in first-seen order. */
  private ownerPeaks(order: IdAgg[], cgroups: Map<string, UnseenPeaks>): OwnerPeak[] {
    const out = new Map<string, { p: OwnerPeak; peak: IdAgg; rows: IdAgg[] }>();
    for (const a of order) {
      const o = this.owner(a.id);
      const key = o.key ?? '';
      let m = out.get(key);
      if (m === undefined) {
        const c = cgroups.get(key);
        m = {
          p: {
            key, owner: o.owner, peakAt: 0, peakRssBytes: 0, processCountAtPeak: 0, swapBytesAtPeak: 0,
            first: { takenAt: a.firstAt, rssBytes: a.firstRss }, inFirstSnapshot: null, lowest: NO_LOWEST, samples: 0, owners: [],
            cgroup: typeof c?.cgroup === 'number' ? this.string(c.cgroup) : null, cgroupLimitBytes: c?.limitBytes ?? null, unseenPeak: c?.largest ?? null,
          },
          peak: a,
          rows: [],
        };
        out.set(key, m);
      } else if (peaksAbove(a, m.peak)) m.peak = a;
      m.rows.push(a);
      // a key is in a snapshot once: only one of its rows can start in the first
      if (a.firstSnap === 0) m.p.inFirstSnapshot = a.firstRss;
      m.p.samples += a.samples;
      m.p.owners.push(o.owner);
    }
    const result: OwnerPeak[] = [];
    for (const { p, peak, rows } of out.values()) {
      p.owner = this.owner(peak.id).owner;
      p.peakAt = peak.peakAt;
      p.peakRssBytes = peak.peakRss;
      p.processCountAtPeak = peak.peakCount;
      p.swapBytesAtPeak = peak.peakSwap;
      p.lowest = aroundOf(rows);
      result.push(p);
    }
    return result;
  }

  /** The distinct node cgroups of the range's snapshots. */
  nodeCgroups(range: TimeRange): string[] {
    const ids = this.db.prepare('SELECT DISTINCT node_cgroup_id FROM snapshots WHERE taken_at BETWEEN ? AND ?').pluck().all(range.since, range.until) as Id[];
    return ids.map((id) => this.string(id));
  }

  /** The lowest kubelet memory.available; among equals the first in (taken_at, id) order, as a scan would pick. */
  lowestSnapshot(range: TimeRange): StoredSnapshot | null {
    const r = this.db
      .prepare(`SELECT ${SNAPSHOT_COLUMNS} FROM snapshots WHERE taken_at BETWEEN ? AND ? ORDER BY node_available, taken_at, id LIMIT 1`)
      .raw()
      .get(range.since, range.until) as SnapshotRowDb | undefined;
    return r === undefined ? null : this.snapshotFromRow(r);
  }

  ownerRows(range: TimeRange): StoredOwnerRow[] {
    return [...this.eachOwnerRow(range)];
  }

  /** ownerRows(), one row at a time. */
  *eachOwnerRow(range: TimeRange): Generator<StoredOwnerRow> {
    const rows = this.db.prepare('SELECT id, taken_at, owner_pack FROM snapshots WHERE taken_at BETWEEN ? AND ? ORDER BY taken_at, id').raw().iterate(range.since, range.until);
    for (const [id, takenAt, pack] of rows as IterableIterator<[Id, number, Buffer]>) {
      for (const a of unpackAggregates(pack, this.ownerState)) {
        const o = this.owner(a.ownerId);
        const c = a.cgroup;
        const cgroup: OwnerCgroupCounters | null =
          c === null
            ? null
            : {
                path: this.string(c.pathId), usageBytes: c.usageBytes, peakBytes: c.peakBytes, limitBytes: c.limitBytes, highBytes: c.highBytes,
                failcnt: c.failcnt, oomKills: c.oomKills, highEvents: c.highEvents, maxEvents: c.maxEvents, oomEvents: c.oomEvents,
              };
        yield { snapshotId: id, takenAt, key: o.key ?? '', owner: o.owner, processCount: a.processCount, rssBytes: a.rssBytes, swapBytes: a.swapBytes, cgroup };
      }
    }
  }

  events(range: TimeRange, types?: readonly EventType[]): StoredEvent[] {
    return [...this.eachEvent(range, types)];
  }

  /** The latest event of these types by (at, id), or null. */
  lastEvent(types: readonly EventType[]): StoredEvent | null {
    const r = this.db
      .prepare(`SELECT id, at, type, details, boot_id FROM events WHERE type IN (${marks(types.length)}) ORDER BY at DESC, id DESC LIMIT 1`)
      .get(...types) as EventRowDb | undefined;
    return r === undefined ? null : eventFromRow(r);
  }

  /** events(), one at a time, at ascending (then id). */
  *eachEvent(range: TimeRange, types?: readonly EventType[]): Generator<StoredEvent> {
    const typeSql = types === undefined ? '' : ` AND type IN (${marks(types.length)})`;
    const rows = this.db
      .prepare(`SELECT id, at, type, details, boot_id FROM events WHERE at BETWEEN ? AND ?${typeSql} ORDER BY at, id`)
      .iterate(range.since, range.until, ...(types ?? [])) as IterableIterator<EventRowDb>;
    for (const r of rows) yield eventFromRow(r);
  }

  /**
   * Every boot recorded (by snapshots or events), the earliest first, with its first and last record. Each boot
   * is a few index lookups: the distinct ids are walked in the boot indexes, never the rows.
   */
  boots(): BootSpan[] {
    const spans = new Map<string, BootSpan>();
    const add = (bootId: string, first: number, last: number, snapshots: number, events: number): void => {
      const b = spans.get(bootId);
      if (b === undefined) spans.set(bootId, { bootId, firstAt: first, lastAt: last, snapshots, events });
      else {
        b.firstAt = Math.min(b.firstAt, first);
        b.lastAt = Math.max(b.lastAt, last);
        b.snapshots += snapshots;
        b.events += events;
      }
    };
    const snap = this.db.prepare('SELECT min(taken_at), max(taken_at), count(*) FROM snapshots WHERE boot = ?').raw();
    for (const [id, bootId] of this.db.prepare('SELECT id, boot_id FROM boots').raw().all() as [Id, string][]) {
      const [first, last, n] = snap.get(id) as [number | null, number | null, number];
      if (first !== null && last !== null) add(bootId, first, last, n, 0);
    }
    const next = this.db.prepare('SELECT boot_id FROM events WHERE boot_id > ? ORDER BY boot_id LIMIT 1').pluck();
    const ev = this.db.prepare('SELECT min(at), max(at), count(*) FROM events WHERE boot_id = ?').raw();
    for (let b = next.get('') as string | undefined; b !== undefined; b = next.get(b) as string | undefined) {
      const [first, last, n] = ev.get(b) as [number, number, number];
      add(b, first, last, 0, n);
    }
    const sorted = [...spans.values()].sort((x, y) => x.firstAt - y.firstAt || x.lastAt - y.lastAt);
    // a boot ends before the next one begins: a record dated later (a pstore file with a wrong time, a clock
    // stepped back) must not pull the next boot's rows into this one's range
    for (let i = 0; i + 1 < sorted.length; i++) sorted[i]!.lastAt = Math.max(sorted[i]!.firstAt, Math.min(sorted[i]!.lastAt, sorted[i + 1]!.firstAt - 1));
    return sorted;
  }

  /** The latest snapshot's time and boot, or null when there is none. */
  lastSnapshotAt(): { at: number; bootId: string | null } | null {
    const r = this.db.prepare('SELECT taken_at, boot FROM snapshots ORDER BY taken_at DESC, id DESC LIMIT 1').raw().get() as [number, Id | null] | undefined;
    return r === undefined ? null : { at: r[0], bootId: this.bootOf(r[1]) };
  }
}
