// The recorder's loop: scheduled snapshots (node-cron), the cheap watcher with its burst controller,
// OOM kills from /dev/kmsg, retention. Every snapshot is synchronous: a signal handler only runs
// between two of them, so stopping always finishes the one in flight.
import cron, { type ScheduledTask } from 'node-cron';
import type { Collected, RecorderEvent, Snapshot, SnapshotKind, Thresholds } from '../model/types.js';
import { OomReportAssembler, withOwners, type KmsgRecord, type OwnerLookup } from '../model/oom.js';
import type { BootSpan, EventMeta, PreviousRecording } from '../store/store.js';
import { formatBytes } from '../model/quantity.js';
import type { RecordConfig } from '../config/schema.js';
import { StoreWriteError } from '../errors.js';
import { BurstController, resolveBurstPolicy, type Reading } from './burst.js';
import type { Logger } from './log.js';
import { originBoot, saneTime } from './pstore-boot.js';
import { previousEnd } from './previous-end.js';
import { parsePstore } from '../model/pstore.js';
import type { PstoreFile } from '../model/pstore.js';

/** The cheap node files the watcher reads every tick. Unknown values are null. */
export interface WatchReading {
  availableBytes: number;
  capacityBytes: number;
  memAvailableBytes: number | null;
  oomKillCount: number | null;
  psiFullAvg10: number | null;
}

/** What the recorder needs of the store (Store satisfies it; tests may pass their own). */
export interface RecorderStore {
  writeSnapshot(s: Snapshot): number;
  /** null when the event was already stored (an OOM kill seen before a restart, a pstore record) */
  writeEvent(e: RecorderEvent, meta?: EventMeta): number | null;
  /** what the database says of the recording before this one */
  previousRecording(): PreviousRecording;
  boots(): BootSpan[];
  lastKmsgSeq(bootId: string): number | null;
  applyRetention(o: { retainMs: number; maxBytes: number; now: number }): { deletedSnapshots: number; deletedEvents: number };
  /** after a write failed for lack of room: checkpoint and truncate the WAL; with shrinkTo, delete the oldest data down to it */
  makeRoom(o: { retainMs: number; now: number; shrinkTo?: number }): { checkpointed: boolean; deletedSnapshots: number; error: string | null };
  /** bytes the data occupies */
  usedBytes(): number;
  /** room on the database's file system and its size (null: unknown), and the WAL's size */
  space(): { freeBytes: number | null; fsBytes: number | null; walBytes: number };
  close(): void;
}

export interface KmsgSource {
  drain(): KmsgRecord[];
  close(): void;
  /** the highest sequence number read so far (also of records skipped as stored before) */
  readonly lastSeq?: number | null;
  /** how often the kernel overwrote records before they were read (EPIPE) */
  readonly lost?: number;
}

export interface DaemonDeps {
  config: RecordConfig;
  store: RecorderStore;
  /** a full snapshot of the node */
  collect(now: number): Collected;
  watch(): WatchReading;
  /** thresholds in force before the first snapshot tells them */
  thresholds(capacityBytes: number): Thresholds;
  /** opened with the last stored seq of this boot; null when /dev/kmsg cannot be read */
  openKmsg(afterSeq: number | null): KmsgSource | null;
  bootId: string | null;
  /** epoch ms of boot, to date kmsg records; null: date them when read */
  bootTimeMs: number | null;
  /** bytes per page of the running kernel, for OOM task tables (default 4096) */
  pageSize?: number;
  /** the owner of a task named in an OOM report, asked when the report is read; absent: owners stay null */
  ownerOf?: OwnerLookup;
  /** the previous kernel's log records /sys/fs/pstore holds (empty without pstore) */
  readPstore?(): PstoreFile[];
  /** after each stored snapshot, e.g. the Prometheus textfile */
  afterSnapshot?(s: Snapshot, burst: boolean): void;
  log: Logger;
  now(): number;
  version: string;
  /** this process's boot and start time, stored in recorder_start so that `memrec status` can tell it from a reused pid */
  identity?: { bootId: string | null; pidStartTicks: number | null };
}

export interface RecorderCounters {
  snapshots: Record<SnapshotKind, number>;
  failures: number;
  /** snapshots not taken because another was in flight */
  skipped: number;
  oomKills: number;
}

/** A kill older than this when read (recorded while memrec was down) is stored, but gets no snapshot of its own. */
const OOM_SNAPSHOT_MAX_AGE_MS = 60_000;
/**
 * While an OOM report is being read, kmsg is drained again after this long: the kernel prints a report in
 * one go (well under this), and a report is complete once a drain brings nothing more for it.
 */
const KMSG_SETTLE_MS = 50;
// Hourly: a run that deletes anything also sweeps orphaned strings by reading every snapshot's blobs
// (~0.8 s on a 30-day database, measured), during which the watcher waits. An hour of overshoot is
// under 1% of the default 14 days.
const RETENTION_EVERY_MS = 60 * 60_000;
/** Events not stored (a full disk) wait here and are written once there is room; beyond this, the oldest go. */
const MAX_PENDING_EVENTS = 1000;
/** A full disk frees at most this share of the data per episode, oldest scheduled snapshots first. */
const FULL_DISK_SHRINK = 0.9;
/** Room kept free on the database's file system, so that a checkpoint and the deletes that make room can still be written. */
const HEADROOM_MAX = 16 * 1024 * 1024;
const HEADROOM_SHARE = 0.1;

/** The database could not take a write for lack of room (or an I/O error): what happened since. */
interface FullDisk {
  since: number;
  /** whether this episode already deleted old data to make room (once per episode) */
  shrunk: boolean;
  /** snapshots lost in this episode (the first is stored as snapshot_failed at once, the count on recovery) */
  lost: number;
  /** when a snapshot last failed: with no event waiting to probe the disk, the watcher tries a snapshot every few seconds */
  lastTry: number;
}

function fullDisk(now: number): FullDisk {
  return { since: now, shrunk: false, lost: 0, lastTry: now };
}

/** How often the watcher tries a snapshot on a full disk when no event is waiting to try it. */
const FULL_DISK_RETRY_MS = 5000;

function isRoomError(err: unknown): boolean {
  return err instanceof StoreWriteError;
}

export class Recorder {
  readonly counters: RecorderCounters = { snapshots: { scheduled: 0, burst: 0, manual: 0, oom: 0 }, failures: 0, skipped: 0, oomKills: 0 };
  private readonly burst: BurstController;
  private readonly oom: OomReportAssembler;
  private kmsg: KmsgSource | null = null;
  private kmsgCaughtUp = false;
  private settleTimer: NodeJS.Timeout | null = null;
  private task: ScheduledTask | null = null;
  private watchTimer: NodeJS.Timeout | null = null;
  private retentionTimer: NodeJS.Timeout | null = null;
  private inFlight = false;
  private stopping = false;
  /** events that could not be stored yet, oldest first (recorder_start on a full disk, an OOM kill) */
  private pending: { e: RecorderEvent; meta: EventMeta }[] = [];
  private full: FullDisk | null = null;
  /** free bytes on the database's file system after the last snapshot, to see what one takes */
  private lastFree: number | null = null;
  private resolveDone!: () => void;
  /** settles once stop() has closed everything */
  readonly done = new Promise<void>((r) => (this.resolveDone = r));

  constructor(private readonly d: DaemonDeps) {
    const first = d.watch();
    this.burst = new BurstController(resolveBurstPolicy(d.config, d.thresholds(first.capacityBytes), first.capacityBytes));
    this.oom = new OomReportAssembler(d.bootId, d.pageSize);
  }

  get burstState() {
    return this.burst.state;
  }

  start(): void {
    const { config, log } = this.d;
    const startAt = this.d.now();
    // before this start is stored: the last recorder_start in the database is the previous recording's
    let prev: PreviousRecording | null = null;
    try {
      prev = this.d.store.previousRecording();
    } catch (err) {
      log('error', 'reading the previous recording failed', { error: message(err) });
    }
    const ended = prev === null ? null : previousEnd(prev, startAt, this.d.bootId, this.d.bootTimeMs);
    if (ended !== null) this.event(ended, false);
    this.event({ type: 'recorder_start', at: startAt, details: { version: this.d.version, pid: process.pid, ...this.d.identity, config: { ...config } } }, false);
    if (ended !== null) log('warn', ended.type.replace(/_/g, ' '), previousEndFields(ended));
    this.storePstore();
    const p = this.burst.getPolicy();
    log('info', 'recorder started', {
      db: config.db, schedule: config.schedule, 'burst-at': formatBytes(p.burstAtBytes), hard: formatBytes(p.hardBytes),
      soft: p.softBytes === null ? null : formatBytes(p.softBytes), capacity: formatBytes(p.capacityBytes), pid: process.pid,
    });

    const afterSeq = this.d.bootId === null ? null : this.d.store.lastKmsgSeq(this.d.bootId);
    this.kmsg = this.d.openKmsg(afterSeq);

    this.snapshot('scheduled', 'start');
    this.retention();
    this.retentionTimer = setInterval(() => this.retention(), RETENTION_EVERY_MS);
    this.task = cron.schedule(config.schedule, () => void this.snapshot('scheduled', 'schedule'), { name: 'memrec-schedule', noOverlap: true });
    this.tick();
  }

  /** Finish what is in flight, write recorder_stop, close the database. Safe to call twice. */
  async stop(reason: string): Promise<void> {
    if (this.stopping) return this.done;
    this.stopping = true;
    if (this.watchTimer) clearTimeout(this.watchTimer);
    if (this.settleTimer) clearTimeout(this.settleTimer);
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    if (this.task) await this.task.destroy();
    const c = this.counters;
    const total = c.snapshots.scheduled + c.snapshots.burst + c.snapshots.manual + c.snapshots.oom;
    this.flushPending();
    this.event({ type: 'recorder_stop', at: this.d.now(), details: { reason, snapshots: total, failures: c.failures } }, false);
    if (this.pending.length > 0) this.d.log('error', 'events not stored: the database has no room', { events: this.pending.length, types: [...new Set(this.pending.map((p) => p.e.type))].join(',') });
    this.d.log('info', 'recorder stopped', { reason, snapshots: total, failures: c.failures, skipped: c.skipped });
    this.kmsg?.close();
    this.d.store.close();
    this.resolveDone();
    return this.done;
  }

  /** One watcher tick: cheap reading → burst controller; OOM kills from kmsg; then schedule the next tick. */
  private tick = (): void => {
    if (this.stopping) return;
    // a full disk: every tick tries again, so recording resumes within a tick of room coming back
    const now = this.d.now();
    if (this.pending.length > 0 && this.flushPending() && this.full !== null) this.recovered(true);
    else if (this.full !== null && this.pending.length === 0 && now - this.full.lastTry >= FULL_DISK_RETRY_MS) this.snapshot('scheduled', 'database was full: trying again');
    try {
      const w = this.d.watch();
      const r: Reading = { at: now, availableBytes: w.availableBytes, memAvailableBytes: w.memAvailableBytes, oomKillCount: w.oomKillCount, psiFullAvg10: w.psiFullAvg10 };
      const o = this.burst.observe(r);
      for (const e of o.events) this.event(e);
      if (o.snapshotDue && o.trigger !== null) {
        this.burst.snapshotTaken(now);
        this.snapshot('burst', o.trigger);
      }
    } catch (err) {
      this.d.log('error', 'watcher reading failed', { error: message(err) });
    }
    this.readKmsg();
    if (this.stopping) return;
    const due = this.burst.nextDueAt();
    const wait = due === null ? this.d.config.watchInterval : Math.min(this.d.config.watchInterval, Math.max(0, due - this.d.now()));
    this.watchTimer = setTimeout(this.tick, wait);
  };

  private readKmsg(): void {
    if (this.kmsg === null) return;
    let records: KmsgRecord[];
    try {
      records = this.kmsg.drain();
    } catch (err) {
      this.d.log('error', 'reading kmsg failed; OOM kills are no longer captured', { error: message(err) });
      this.kmsg.close();
      this.kmsg = null;
      return;
    }
    const kills = records.flatMap((r) => this.oom.push(r));
    kills.push(...this.oom.endOfDrain());
    for (const r of this.oom.takeDropped()) this.d.log('warn', 'OOM report without a victim', { invoker: r.invoker, 'first-seq': r.firstSeq, 'last-seq': r.lastSeq, 'lost-records': r.lostRecords });
    let fresh: { pid: number; comm: string } | null = null;
    const now = this.d.now();
    for (const found of kills) {
      // owners now, while the tasks live and the collector's records of them are fresh
      const k = this.d.ownerOf === undefined ? found : withOwners(found, this.d.ownerOf);
      const at = this.d.bootTimeMs !== null && k.kmsgUsec !== null ? this.d.bootTimeMs + Math.round(k.kmsgUsec / 1000) : now;
      const id = this.event({ type: 'oom_kill', at, details: k }, false);
      if (id === null) continue; // stored before a restart ('queued': new, stored once there is room)
      this.counters.oomKills++;
      this.d.log('warn', 'oom kill', {
        pid: k.pid, comm: k.comm, uid: k.uid, constraint: k.constraint, memcg: k.oomMemcg, 'anon-rss': k.anonRssKb === null ? null : formatBytes(k.anonRssKb * 1024),
        'oom-score-adj': k.oomScoreAdj, largest: k.largest?.comm ?? null, 'largest-pid': k.largest?.pid ?? null, group: k.group?.memcg, seq: k.kmsgSeq,
      });
      if (now - at <= OOM_SNAPSHOT_MAX_AGE_MS) fresh = k;
    }
    if (fresh !== null) this.snapshot('oom', `oom_kill pid ${fresh.pid} (${fresh.comm})`);
    if (!this.kmsgCaughtUp && !this.oom.pending) {
      // once: everything the kernel had logged at start is read and every report in it stored
      this.kmsgCaughtUp = true;
      this.d.log('info', 'kernel log read', { 'last-seq': this.kmsg?.lastSeq ?? null, overruns: this.kmsg?.lost ?? null });
    }
    if (this.oom.pending && this.settleTimer === null && !this.stopping) {
      this.settleTimer = setTimeout(() => {
        this.settleTimer = null;
        if (!this.stopping) this.readKmsg();
      }, KMSG_SETTLE_MS);
    }
  }

  /** Take and store one snapshot. Never throws: a failure is logged, counted and stored as an event. */
  snapshot(kind: SnapshotKind, trigger: string): number | null {
    if (this.stopping) return null;
    if (this.inFlight) {
      this.counters.skipped++;
      this.d.log('warn', 'snapshot skipped: another is in flight', { kind, trigger, skipped: this.counters.skipped });
      return null;
    }
    this.inFlight = true;
    try {
      const c = this.d.collect(this.d.now());
      const s: Snapshot = { ...c, kind, trigger };
      const id = this.withRoom(() => this.d.store.writeSnapshot(s), true);
      if (this.full !== null) this.recovered(false);
      this.keepHeadroom();
      this.counters.snapshots[kind]++;
      // written after the commit returned: a line here is a snapshot that survives a crash (README, crash safety)
      this.d.log('debug', 'snapshot stored', { id, kind, at: new Date(s.takenAt).toISOString() });
      // The snapshot read the thresholds in force: a kubelet restarted with new flags moves burst-at too.
      this.burst.setPolicy(resolveBurstPolicy(this.d.config, c.thresholds, c.kubelet.capacityBytes));
      if (this.d.afterSnapshot) {
        try {
          this.d.afterSnapshot(s, this.burst.state.mode === 'burst');
        } catch (err) {
          this.d.log('warn', 'after-snapshot hook failed', { error: message(err) });
        }
      }
      return id;
    } catch (err) {
      this.counters.failures++;
      this.d.log('error', 'snapshot failed', { kind, trigger, error: message(err), failures: this.counters.failures });
      if (isRoomError(err)) {
        // one snapshot_failed per full-disk episode, not one a second through a burst; recovered() adds the count
        const full = (this.full ??= fullDisk(this.d.now()));
        full.lastTry = this.d.now();
        if (++full.lost > 1) return null;
      }
      this.event({ type: 'snapshot_failed', at: this.d.now(), details: { error: `${kind}: ${message(err)}` } }, false);
      return null;
    } finally {
      this.inFlight = false;
    }
  }

  /** The previous kernel's OOM and panic lines from pstore, as events of the boot they came from, once. */
  private storePstore(): void {
    if (this.d.readPstore === undefined) return;
    try {
      const files = this.d.readPstore();
      if (files.length === 0) return;
      const boots = this.d.store.boots();
      for (const f of files) {
        const rec = parsePstore(f.name, f.text);
        if (rec === null) continue;
        const origin = originBoot(boots, this.d.bootId, f.mtimeMs);
        const writtenAt = saneTime(f.mtimeMs);
        // when the record was written, else just after the last record of its boot, else now
        const at = writtenAt ?? origin?.lastAt ?? this.d.now();
        const details = { file: f.name, ...rec, bootId: origin?.bootId ?? null, writtenAt: writtenAt === null ? null : new Date(writtenAt).toISOString(), sha256: f.sha256 };
        const id = this.event({ type: 'pstore', at, details }, false, { bootId: origin?.bootId ?? null, dedupeKey: f.sha256 });
        if (id !== null) this.d.log('warn', 'pstore record', { file: f.name, header: rec.header, boot: origin?.bootId ?? null, panic: rec.panic, 'oom-kills': rec.oomKills.length });
      }
    } catch (err) {
      this.d.log('error', 'reading pstore failed', { error: message(err) });
    }
  }

  private retention(): void {
    try {
      const r = this.d.store.applyRetention({ retainMs: this.d.config.retain, maxBytes: this.d.config.maxDbSize, now: this.d.now() });
      if (r.deletedSnapshots > 0 || r.deletedEvents > 0) this.d.log('info', 'retention', { 'deleted-snapshots': r.deletedSnapshots, 'deleted-events': r.deletedEvents });
    } catch (err) {
      this.d.log('error', 'retention failed', { error: message(err) });
    }
  }

  /**
   * Store an event and log it (oom_kill and snapshot_failed log themselves). Its id; null when it was stored
   * before (an OOM kill seen before a restart); 'queued' when it waits to be stored (a full disk).
   */
  private event(e: RecorderEvent, log = true, meta: EventMeta = { bootId: this.d.bootId }): number | null | 'queued' {
    let id: number | null | 'queued' = 'queued';
    if (this.pending.length > 0) this.queue(e, meta); // keep the order: it is written after the ones waiting
    else {
      try {
        id = this.withRoom(() => this.d.store.writeEvent(e, meta), false);
      } catch (err) {
        this.d.log('error', 'storing an event failed; kept to store later', { type: e.type, error: message(err) });
        if (isRoomError(err)) this.full ??= fullDisk(this.d.now());
        this.queue(e, meta);
      }
    }
    if (log) this.d.log('info', e.type.replace(/_/g, ' '), eventFields(e));
    return id;
  }

  private queue(e: RecorderEvent, meta: EventMeta): void {
    this.pending.push({ e, meta });
    if (this.pending.length > MAX_PENDING_EVENTS) {
      // a very long outage: lose a snapshot_failed before anything else, else the oldest
      const i = this.pending.findIndex((x) => x.e.type === 'snapshot_failed');
      this.pending.splice(i >= 0 ? i : 0, 1);
    }
  }

  /** Write the events waiting, oldest first; stops at the first that still fails. True when none is left. */
  private flushPending(): boolean {
    while (this.pending.length > 0) {
      try {
        const { e, meta } = this.pending[0]!;
        this.withRoom(() => this.d.store.writeEvent(e, meta), false);
      } catch {
        return false;
      }
      this.pending.shift();
    }
    return true;
  }

  /**
   * Run a write; when it fails for lack of room, checkpoint and truncate the WAL (after a rollback it keeps
   * its size, and on a small disk it never reaches the automatic checkpoint) and try again. A snapshot may
   * then, once per full-disk episode, delete the oldest data (retention's order: scheduled snapshots first,
   * evidence last) down to FULL_DISK_SHRINK of it, and try a last time.
   */
  private withRoom<T>(write: () => T, mayShrink: boolean): T {
    try {
      return write();
    } catch (err) {
      if (!isRoomError(err)) throw err;
      this.d.store.makeRoom({ retainMs: this.d.config.retain, now: this.d.now() });
      try {
        return write();
      } catch (err2) {
        if (!isRoomError(err2) || !mayShrink) throw err2;
        const full = (this.full ??= fullDisk(this.d.now()));
        if (full.shrunk) throw err2;
        full.shrunk = true;
        let shrinkTo: number;
        try {
          shrinkTo = Math.floor(this.d.store.usedBytes() * FULL_DISK_SHRINK);
        } catch {
          throw err2;
        }
        const r = this.d.store.makeRoom({ retainMs: this.d.config.retain, now: this.d.now(), shrinkTo });
        this.d.log('warn', 'database full: deleted the oldest snapshots to make room', { 'deleted-snapshots': r.deletedSnapshots, error: r.error });
        return write();
      }
    }
  }

  /**
   * SQLite on a full disk can do nothing, not even the checkpoint or the deletes that would make room:
   * a checkpoint needs room for what the WAL holds, a delete needs room in the WAL. So memrec keeps
   * headroom on the database's file system (10% of it, at most 16 MiB; at least four times what the last
   * snapshot took, and twice the WAL): when less is free it checkpoints, and if that is not enough it
   * deletes its oldest snapshots as retention does at --max-db-size (scheduled first, burst and oom last;
   * events stay).
   */
  private keepHeadroom(): void {
    try {
      let sp = this.d.store.space();
      if (sp.freeBytes === null || sp.fsBytes === null) return;
      const took = this.lastFree === null ? 0 : Math.max(0, this.lastFree - sp.freeBytes);
      this.lastFree = sp.freeBytes;
      const floor = Math.max(Math.min(HEADROOM_MAX, Math.floor(sp.fsBytes * HEADROOM_SHARE)), 4 * took);
      if (sp.freeBytes >= Math.max(floor, 2 * sp.walBytes)) return;
      if (sp.walBytes > 0) {
        this.d.store.makeRoom({ retainMs: this.d.config.retain, now: this.d.now() });
        sp = this.d.store.space();
        if (sp.freeBytes === null || sp.freeBytes >= floor) return;
      }
      const used = this.d.store.usedBytes();
      // to half again the headroom, so that it is not done again at the very next snapshot
      const r = this.d.store.makeRoom({ retainMs: this.d.config.retain, now: this.d.now(), shrinkTo: Math.max(0, used - (1.5 * floor - sp.freeBytes)) });
      this.lastFree = this.d.store.space().freeBytes;
      if (r.deletedSnapshots > 0 || r.error !== null) {
        this.d.log(r.error === null ? 'info' : 'warn', 'disk nearly full: deleted the oldest snapshots to keep room', { 'deleted-snapshots': r.deletedSnapshots, free: formatBytes(sp.freeBytes), kept: formatBytes(floor), error: r.error });
      }
    } catch {
      /* best effort: the next write says what is wrong */
    }
  }

  /** The database took a write again after a full-disk episode: say so, store what was lost, and (unless a snapshot was just stored) take one now. */
  private recovered(snapshotNow: boolean): void {
    const full = this.full;
    if (full === null) return;
    this.full = null;
    const now = this.d.now();
    this.d.log('info', 'database writable again', { 'full-for': `${Math.round((now - full.since) / 1000)}s`, 'snapshots-lost': full.lost });
    if (full.lost > 1) {
      this.event({ type: 'snapshot_failed', at: now, details: { error: `${full.lost} snapshots not stored from ${new Date(full.since).toISOString()}: the database had no room` } }, false);
    }
    if (snapshotNow && !this.inFlight) this.snapshot('scheduled', 'database writable again');
  }
}

function eventFields(e: RecorderEvent): Record<string, string | number | null> {
  switch (e.type) {
    case 'burst_start':
      return { reason: e.details.reason };
    case 'burst_end':
      return { reason: e.details.reason, duration: `${Math.round(e.details.durationMs / 1000)}s`, snapshots: e.details.snapshots };
    case 'threshold_crossing':
      return { signal: e.details.signal, threshold: e.details.threshold, direction: e.details.direction, value: formatBytes(e.details.valueBytes), limit: formatBytes(e.details.thresholdBytes) };
    default:
      return {};
  }
}

function previousEndFields(e: RecorderEvent): Record<string, string | number | boolean | null> {
  if (e.type !== 'unclean_stop' && e.type !== 'reboot') return {};
  const d = e.details;
  return {
    'previous-pid': d.previousPid,
    'previous-boot': d.previousBootId,
    'last-snapshot': d.lastSnapshotAt,
    gap: formatGapMs(d.gapMs),
    ...(e.type === 'reboot' ? { 'clean-stop': e.details.cleanStop } : {}),
  };
}

function formatGapMs(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${Math.round(ms / 1000)}s`;
}

function message(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}
