// Snapshot -> rows. Strings, owners, thresholds and process attributes are looked up in small caches
// first, so a steady node writes one snapshot row and N sample rows per snapshot and nothing else.
import type Database from 'better-sqlite3';
import type { Owner, OwnerCgroupCounters, ProcessSample, RecorderEvent, Snapshot, Thresholds } from '../model/types.js';
import { ownerColumns } from './owner-columns.js';
import { ownerState, packAggregates, type OwnerState } from './owner-pack.js';
import { packSamples } from './process-pack.js';

/** Caches are dropped when they grow past this: a node with ever-changing cmdlines must not grow the recorder. */
const CACHE_LIMIT = 20_000;

type Id = number;

function boundedSet<K, V>(m: Map<K, V>, k: K, v: V): void {
  if (m.size >= CACHE_LIMIT) m.clear();
  m.set(k, v);
}

/** The attribute columns of a procs row, in table order after id. */
type ProcCols = [pid: number, startTime: number, ppid: number, uid: number | null, commId: Id, cgroupId: Id | null, unitId: Id | null, ownerId: Id, cwdId: Id | null, exeId: Id | null, cmdlineId: Id | null, oomScoreAdj: number | null, unknown: string | null, flags: string | null];

export class SnapshotWriter {
  private readonly strings = new Map<string, Id>();
  private readonly owners = new Map<string, Id>();
  private readonly thresholds = new Map<string, Id>();
  private readonly procs = new Map<string, Id>();
  private readonly boots = new Map<string, Id>();
  private readonly ownerStates = new Map<string, Id>();
  /**
   * Per owners row, its cgroup's peak and counts at the previous snapshot written: what changed then is written in the
   * blob rather than in a new owner_cgroups row. Only a choice of where values go: nothing reads it back, and after a
   * restart (an empty map) the first snapshot simply keeps them in the row.
   */
  private readonly lastCounters = new Map<Id, { peak: number | null; counts: string }>();
  private readonly st;

  constructor(private readonly db: Database.Database) {
    this.st = {
      findString: db.prepare('SELECT id FROM strings WHERE value = ?').pluck(),
      addString: db.prepare('INSERT INTO strings (value) VALUES (?)'),
      findOwner: db.prepare('SELECT id FROM owners WHERE ident = ?').pluck(),
      addOwner: db.prepare(
        `INSERT INTO owners (ident, key, kind, pod_uid, qos, container_id, runtime, namespace, pod_name, container, container_type, unit, user_uid, session, cgroup)
         VALUES (@ident, @key, @kind, @pod_uid, @qos, @container_id, @runtime, @namespace, @pod_name, @container, @container_type, @unit, @user_uid, @session, @cgroup)`,
      ),
      findOwnerStates: db
        .prepare(
          `SELECT id FROM owner_cgroups WHERE owner_id = ? AND path_id IS ? AND mask = ? AND peak_bytes IS ? AND limit_bytes IS ? AND high_bytes IS ?
             AND failcnt IS ? AND oom_kills IS ? AND high_events IS ? AND max_events IS ? AND oom_events IS ? ORDER BY id LIMIT 1`,
        )
        .pluck(),
      addOwnerState: db.prepare(
        `INSERT INTO owner_cgroups (owner_id, path_id, mask, peak_bytes, limit_bytes, high_bytes, failcnt, oom_kills, high_events, max_events, oom_events)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      findBoot: db.prepare('SELECT id FROM boots WHERE boot_id = ?').pluck(),
      addBoot: db.prepare('INSERT INTO boots (boot_id) VALUES (?)'),
      findThresholds: db.prepare('SELECT id FROM thresholds WHERE ident = ?').pluck(),
      addThresholds: db.prepare(
        `INSERT INTO thresholds (ident, hard_raw, hard_bytes, hard_source, hard_origin, hard_grace, soft_raw, soft_bytes, soft_source, soft_origin, soft_grace)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      findProcs: db
        .prepare(
          `SELECT pid, start_time, ppid, uid, comm_id, cgroup_id, unit_id, owner_id, cwd_id, exe_id, cmdline_id, oom_score_adj, unknown, flags, id
           FROM procs WHERE pid = ? AND start_time = ?`,
        )
        .raw(),
      addProc: db.prepare(
        `INSERT INTO procs (pid, start_time, ppid, uid, comm_id, cgroup_id, unit_id, owner_id, cwd_id, exe_id, cmdline_id, oom_score_adj, unknown, flags)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      addSnapshot: db.prepare(
        `INSERT INTO snapshots (taken_at, kind, trigger_id, capture_ms, cgroup_mode,
           mem_total, mem_free, mem_available, cached, shmem, slab, s_reclaimable, swap_total, swap_free,
           node_cgroup_id, node_capacity, node_usage, node_inactive_file, node_working_set, node_available, node_formula,
           alloc_cgroup_id, alloc_capacity, alloc_usage, alloc_inactive_file, alloc_working_set, alloc_available, alloc_formula,
           psi_some_avg10_x100, psi_some_avg60_x100, psi_some_avg300_x100, psi_some_total_us, psi_full_avg10_x100, psi_full_avg60_x100, psi_full_avg300_x100, psi_full_total_us,
           oom_kill_count, thresholds_id, process_count, process_pack, owner_pack, boot)
         VALUES (${Array.from({ length: 42 }, () => '?').join(', ')})`,
      ),
      addEvent: db.prepare('INSERT INTO events (at, type, details, boot_id, kmsg_seq, dedupe_key) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING'),
    };
  }

  /** After a rollback or an orphan collection the cached ids may name rows that no longer exist. */
  clearCaches(): void {
    this.strings.clear();
    this.owners.clear();
    this.thresholds.clear();
    this.procs.clear();
    this.boots.clear();
    this.ownerStates.clear();
  }

  stringId(v: string): Id {
    let id = this.strings.get(v);
    if (id === undefined) {
      id = (this.st.findString.get(v) as Id | undefined) ?? Number(this.st.addString.run(v).lastInsertRowid);
      boundedSet(this.strings, v, id);
    }
    return id;
  }

  private stringIdOrNull(v: string | null): Id | null {
    return v === null ? null : this.stringId(v);
  }

  ownerId(owner: Owner, key: string | null): Id {
    const cols = ownerColumns(owner, key);
    let id = this.owners.get(cols.ident);
    if (id === undefined) {
      id = (this.st.findOwner.get(cols.ident) as Id | undefined) ?? Number(this.st.addOwner.run(cols).lastInsertRowid);
      boundedSet(this.owners, cols.ident, id);
    }
    return id;
  }

  /** The owner_cgroups row holding what `state` keeps. */
  private ownerStateId(st: OwnerState): Id {
    const cols = [st.ownerId, st.pathId, st.mask, st.peakBytes, st.limitBytes, st.highBytes, st.failcnt, st.oomKills, st.highEvents, st.maxEvents, st.oomEvents] as const;
    const ident = JSON.stringify(cols);
    let id = this.ownerStates.get(ident);
    if (id === undefined) {
      id = (this.st.findOwnerStates.get(...cols) as Id | undefined) ?? Number(this.st.addOwnerState.run(...cols).lastInsertRowid);
      boundedSet(this.ownerStates, ident, id);
    }
    return id;
  }

  /** Which of an owner cgroup's peak and counts changed since the previous snapshot (see lastCounters). */
  private moving(ownerId: Id, c: OwnerCgroupCounters | null): { peak: boolean; counts: boolean } {
    if (c === null) {
      this.lastCounters.delete(ownerId);
      return { peak: false, counts: false };
    }
    const counts = `${c.failcnt},${c.oomKills},${c.highEvents},${c.maxEvents},${c.oomEvents}`;
    const last = this.lastCounters.get(ownerId);
    if (last === undefined) boundedSet(this.lastCounters, ownerId, { peak: c.peakBytes, counts });
    else {
      const moved = { peak: last.peak !== c.peakBytes, counts: last.counts !== counts };
      last.peak = c.peakBytes;
      last.counts = counts;
      return moved;
    }
    return { peak: false, counts: false };
  }

  private bootRef(bootId: string | null): Id | null {
    if (bootId === null) return null;
    let id = this.boots.get(bootId);
    if (id === undefined) {
      id = (this.st.findBoot.get(bootId) as Id | undefined) ?? Number(this.st.addBoot.run(bootId).lastInsertRowid);
      boundedSet(this.boots, bootId, id);
    }
    return id;
  }

  private thresholdsId(t: Thresholds): Id {
    const s = t.soft;
    const cols = [t.hard.raw, t.hard.bytes, t.hard.source, t.hard.origin, t.hard.gracePeriod ?? null, s?.raw ?? null, s?.bytes ?? null, s?.source ?? null, s?.origin ?? null, s?.gracePeriod ?? null] as const;
    const ident = JSON.stringify(cols);
    let id = this.thresholds.get(ident);
    if (id === undefined) {
      id = (this.st.findThresholds.get(ident) as Id | undefined) ?? Number(this.st.addThresholds.run(ident, ...cols).lastInsertRowid);
      boundedSet(this.thresholds, ident, id);
    }
    return id;
  }

  private procId(p: ProcessSample): Id {
    const cols: ProcCols = [
      p.pid,
      p.startTime,
      p.ppid,
      p.uid,
      this.stringId(p.comm),
      this.stringIdOrNull(p.cgroup),
      this.stringIdOrNull(p.unit),
      this.ownerId(p.owner, null),
      this.stringIdOrNull(p.cwd),
      this.stringIdOrNull(p.exe),
      this.stringIdOrNull(p.cmdline),
      p.oomScoreAdj,
      p.unknown === undefined ? null : JSON.stringify(p.unknown),
      p.flags === undefined ? null : JSON.stringify(p.flags),
    ];
    const ident = JSON.stringify(cols);
    let id = this.procs.get(ident);
    if (id === undefined) {
      for (const row of this.st.findProcs.all(p.pid, p.startTime) as unknown[][]) {
        if (JSON.stringify(row.slice(0, 14)) === ident) id = row[14] as Id;
      }
      id ??= Number(this.st.addProc.run(...cols).lastInsertRowid);
      boundedSet(this.procs, ident, id);
    }
    return id;
  }

  /** Insert one snapshot; the caller holds the transaction. */
  write(s: Snapshot): Id {
    const m = s.meminfo;
    const k = s.kubelet;
    const a = s.allocatable;
    const psi = s.psi;
    const at = describeSnapshot(s);
    const samples = s.processes.map((p) => ({ ...p, procId: this.procId(p) }));
    const aggregates = s.owners.map((o) => {
      const c = o.cgroup;
      const ownerId = this.ownerId(o.owner, o.key);
      const cgroup = c === null ? null : { ...c, pathId: this.stringId(c.path) };
      const state = ownerState(ownerId, cgroup, this.moving(ownerId, c));
      return { ownerId, processCount: o.processCount, rssBytes: o.rssBytes, swapBytes: o.swapBytes, cgroup, state, stateId: this.ownerStateId(state) };
    });
    const snapshotId = Number(
      this.st.addSnapshot.run(
        s.takenAt,
        s.kind,
        this.stringIdOrNull(s.trigger),
        s.captureMs,
        s.cgroupMode,
        m.memTotalBytes,
        m.memFreeBytes,
        m.memAvailableBytes,
        m.cachedBytes,
        m.shmemBytes,
        m.slabBytes,
        m.sReclaimableBytes,
        m.swapTotalBytes,
        m.swapFreeBytes,
        this.stringId(k.cgroup),
        k.capacityBytes,
        k.usageBytes,
        k.inactiveFileBytes,
        k.workingSetBytes,
        k.availableBytes,
        k.formula,
        a === null ? null : this.stringId(a.cgroup),
        a?.capacityBytes ?? null,
        a?.usageBytes ?? null,
        a?.inactiveFileBytes ?? null,
        a?.workingSetBytes ?? null,
        a?.availableBytes ?? null,
        a?.formula ?? null,
        x100(psi?.someAvg10),
        x100(psi?.someAvg60),
        x100(psi?.someAvg300),
        psi?.someTotalUs ?? null,
        x100(psi?.fullAvg10),
        x100(psi?.fullAvg60),
        x100(psi?.fullAvg300),
        psi?.fullTotalUs ?? null,
        s.oomKillCount,
        this.thresholdsId(s.thresholds),
        s.processCount,
        packSamples(samples, (field, i) => `${field} of pid ${s.processes[i]?.pid} in ${at}`),
        packAggregates(aggregates, `an owner aggregate of ${at}`),
        this.bootRef(s.bootId),
      ).lastInsertRowid,
    );
    return snapshotId;
  }

  /**
   * Insert one event; null when it was stored before: an oom_kill of the same boot id and kmsg sequence, or
   * an event of the same type and dedupe key. An oom_kill's own boot id wins over `meta.bootId`.
   */
  writeEvent(e: RecorderEvent, meta: EventMeta): Id | null {
    const kmsg = e.type === 'oom_kill' ? e.details : null;
    const r = this.st.addEvent.run(e.at, e.type, JSON.stringify(e.details), kmsg?.bootId ?? meta.bootId, kmsg?.kmsgSeq ?? null, meta.dedupeKey ?? null);
    return r.changes === 0 ? null : Number(r.lastInsertRowid);
  }
}

/** What an event row holds beside the event: the boot it belongs to, and what makes it the same event again. */
export interface EventMeta {
  /** the boot the event belongs to (the recorder's, or the previous one for a pstore record); null when unknown */
  bootId: string | null;
  /** events of one type with the same key are stored once (a pstore file's name and content hash) */
  dedupeKey?: string;
}

/** PSI averages are printed with two decimals: × 100 they are exact integers. */
function x100(v: number | undefined): number | null {
  return v === undefined ? null : Math.round(v * 100);
}

/** A value that SQLite cannot bind is a bug in the caller; say which snapshot. */
export function describeSnapshot(s: Snapshot): string {
  return `the ${s.kind} snapshot taken at ${Number.isFinite(s.takenAt) ? new Date(s.takenAt).toISOString() : String(s.takenAt)}`;
}
