// The recorder's loop: scheduled snapshots (node-cron), the cheap watcher with its burst controller,
// OOM kills from /dev/kmsg, retention. Every snapshot is synchronous: a signal handler only runs
// between two of them, so stopping always finishes the one in flight.
import cron, { type ScheduledTask } from 'node-cron';
import type { Collected, RecorderEvent, Snapshot, SnapshotKind, Thresholds } from '../model/types.js';
import { OomReportAssembler, withOwners, type KmsgRecord, type OwnerLookup } from '../model/oom.js';
import { formatBytes } from '../model/quantity.js';
import type { RecordConfig } from '../config/schema.js';
import { BurstController, resolveBurstPolicy, type Reading } from './burst.js';
import type { Logger } from './log.js';

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
  /** null when the event was already stored (an OOM kill seen before a restart) */
  writeEvent(e: RecorderEvent): number | null;
  lastKmsgSeq(bootId: string): number | null;
  applyRetention(o: { retainMs: number; maxBytes: number; now: number }): { deletedSnapshots: number; deletedEvents: number };
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
  /** after each stored snapshot, e.g. the Prometheus textfile */
  afterSnapshot?(s: Snapshot, burst: boolean): void;
  log: Logger;
  now(): number;
  version: string;
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
    this.event({ type: 'recorder_start', at: this.d.now(), details: { version: this.d.version, pid: process.pid, config: { ...config } } }, false);
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
    this.event({ type: 'recorder_stop', at: this.d.now(), details: { reason, snapshots: total, failures: c.failures } }, false);
    this.d.log('info', 'recorder stopped', { reason, snapshots: total, failures: c.failures, skipped: c.skipped });
    this.kmsg?.close();
    this.d.store.close();
    this.resolveDone();
    return this.done;
  }

  /** One watcher tick: cheap reading → burst controller; OOM kills from kmsg; then schedule the next tick. */
  private tick = (): void => {
    if (this.stopping) return;
    const now = this.d.now();
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
      if (id === null) continue; // stored before a restart
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
      const id = this.d.store.writeSnapshot(s);
      this.counters.snapshots[kind]++;
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
      this.event({ type: 'snapshot_failed', at: this.d.now(), details: { error: `${kind}: ${message(err)}` } }, false);
      return null;
    } finally {
      this.inFlight = false;
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

  /** Store an event and log it (oom_kill and snapshot_failed log themselves). Null when stored before or failed. */
  private event(e: RecorderEvent, log = true): number | null {
    let id: number | null = null;
    try {
      id = this.d.store.writeEvent(e);
    } catch (err) {
      this.d.log('error', 'storing an event failed', { type: e.type, error: message(err) });
    }
    if (log) this.d.log('info', e.type.replace(/_/g, ' '), eventFields(e));
    return id;
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

function message(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}
