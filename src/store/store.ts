// The store: Snapshot and RecorderEvent in, the shared types out, one SQLite file. Synchronous
// (better-sqlite3): one transaction per snapshot, WAL so that reports read while the recorder writes.
import { existsSync, statfsSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { InputError, MemrecError, StoreWriteError } from '../errors.js';
import { shownPath } from '../fs/file-error.js';
import type { UnseenPeak } from '../model/unseen-peaks.js';
import type { EventType, Owner, OwnerAggregate, OwnerKind, ProcessSample, RecorderEvent, Snapshot, SnapshotKind } from '../model/types.js';
import { copyRange } from './export-range.js';
import { damageError, openDatabase, sqliteInputError, type OpenOptions } from './open-db.js';
import { applyRetention, checkpoint, fileBytes, usedBytes, type RetentionResult } from './retention.js';
import { SnapshotReader } from './snapshot-reader.js';
import { describeSnapshot, SnapshotWriter, type EventMeta } from './snapshot-writer.js';

export type { EventMeta } from './snapshot-writer.js';

export type { RetentionResult } from './retention.js';

/** epoch ms, both ends inclusive */
export interface TimeRange {
  since: number;
  until: number;
}

/** What a process filter may look at: the attributes a procs row holds (a ProcessRow has them too). */
export type ProcessAttributes = Pick<ProcessSample, 'pid' | 'startTime' | 'comm' | 'cgroup' | 'unit' | 'owner'>;

export interface ProcessFilter {
  kinds?: SnapshotKind[];
  pid?: number;
  podUid?: string;
  ownerKinds?: OwnerKind[];
  outsidePods?: boolean;
  /** any other test, asked once per procs row (a process's attributes while they did not change) */
  match?: (p: ProcessAttributes) => boolean;
  /** after the other filters, the N largest by RSS of each snapshot */
  topPerSnapshot?: number;
}

/** What peaks() folds: the lowest snapshot to measure against, and which processes and owners count. */
export interface PeaksOptions {
  /** the range's lowest snapshot (lowestSnapshot()); null or absent: no lowest point */
  lowest?: { id: number; takenAt: number } | null;
  /** asked once per procs row; rows it refuses are not folded */
  match?: (p: ProcessAttributes) => boolean;
  /** asked once per owners row */
  matchOwner?: (owner: Owner, key: string) => boolean;
}

export type ProcessRow = ProcessSample & { snapshotId: number; takenAt: number; snapshotKind: SnapshotKind; bootId: string | null };
export type StoredSnapshot = Omit<Snapshot, 'processes' | 'owners'> & { id: number };
export type OwnerRow = OwnerAggregate & { snapshotId: number; takenAt: number };
/** bootId: the boot the event belongs to; null for events stored before memrec kept it */
export type StoredEvent = RecorderEvent & { id: number; bootId: string | null };

/** One boot's recording: its first and last snapshot or event. */
export interface BootSpan {
  bootId: string;
  firstAt: number;
  lastAt: number;
  snapshots: number;
  events: number;
}

/** A sample's time and RSS. */
export interface RssAt {
  takenAt: number;
  rssBytes: number;
}

/** A series' samples around the range's lowest snapshot (the one with the lowest memory.available). */
export interface AroundLowest {
  /** RSS in the lowest snapshot; null when the series is not in it */
  at: number | null;
  /** the last sample before the lowest snapshot, and the highest; null when there is none before */
  lastBefore: number | null;
  peakBefore: number | null;
  /** seen in a snapshot after the lowest */
  after: boolean;
}

/**
 * One process (pid + start time) over a range, aggregated in one scan without a row per sample. The
 * peak is the earliest sample of the highest RSS; lists are distinct values, first seen first.
 */
export interface ProcessPeak {
  pid: number;
  startTime: number;
  peak: RssAt & Pick<ProcessSample, 'comm' | 'exe' | 'cmdline' | 'owner' | 'cgroup'>;
  first: RssAt;
  last: RssAt;
  lowest: AroundLowest;
  samples: number;
  insidePods: boolean;
  cgroups: (string | null)[];
  cwds: string[];
  /** every owner the process had (pod names come from them) */
  owners: Owner[];
}

/** One scan of a range for `culprits`. */
export interface RangePeaks {
  snapshots: number;
  processes: ProcessPeak[];
  owners: OwnerPeak[];
  /** every owner of the range's samples, also of those the options left out (pod names come from them) */
  ownersSeen: Owner[];
}

/** One owner key over a range: its peak total (the earliest of equals) and what was true then. */
export interface OwnerPeak {
  key: string;
  /** the owner at the peak */
  owner: Owner;
  peakAt: number;
  peakRssBytes: number;
  processCountAtPeak: number;
  swapBytesAtPeak: number;
  first: RssAt;
  /** RSS in the range's first snapshot; null when the owner had no process then */
  inFirstSnapshot: number | null;
  lowest: AroundLowest;
  samples: number;
  /** every owners row recorded under this key */
  owners: Owner[];
  /** the owner's own cgroup and its limit at its last sample with one; null when it has none */
  cgroup: string | null;
  cgroupLimitBytes: number | null;
  /** the largest rise of the cgroup's peak counter between two snapshots above what both saw */
  unseenPeak: UnseenPeak | null;
}

/** What the database says about the recording before this one: how it started, whether it stopped, its last snapshot. */
export interface PreviousRecording {
  /** the last recorder_start, with its boot (its row's, or its details' bootId) */
  start: { at: number; bootId: string | null; pid: number | null } | null;
  /** the last recorder_stop, when it came after that start */
  stop: { at: number } | null;
  lastSnapshot: { at: number; bootId: string | null } | null;
}

export interface StoreStats {
  schemaVersion: number;
  /** the database file plus its WAL */
  fileBytes: number;
  snapshotsByKind: Record<SnapshotKind, number>;
  firstAt: number | null;
  lastAt: number | null;
  last: StoredSnapshot | null;
  events: number;
}

export type StoreOpenOptions = OpenOptions;

export class Store {
  private writer: SnapshotWriter | null = null;
  private readonly reader: SnapshotReader;

  private constructor(
    readonly file: string,
    private readonly db: Database.Database,
    readonly readonly: boolean,
  ) {
    this.reader = new SnapshotReader(db);
  }

  /**
   * Write mode creates the parent directory (0700) and the file (0600; SQLite gives -wal and -shm the
   * same mode), verifies the schema history without writing, then migrates. Read-only mode works while
   * the recorder writes. A database from a newer memrec, or with an edited migration, is refused untouched.
   */
  static open(file: string, opts: StoreOpenOptions = {}): Store {
    return new Store(file, openDatabase(file, opts), opts.readonly ?? false);
  }

  private write(): SnapshotWriter {
    if (this.readonly) throw new MemrecError(`database ${this.file} is open read-only`);
    this.writer ??= new SnapshotWriter(this.db);
    return this.writer;
  }

  /** A failed transaction is rolled back; ids cached during it may name rows that were never committed. */
  private failed(e: unknown, what: string): unknown {
    this.writer?.clearCaches();
    if (e instanceof Database.SqliteError) {
      const file = shownPath(this.file);
      if (e.code === 'SQLITE_FULL') return new StoreWriteError(`database ${file} is full (disk full or size limit): ${what} was not stored; earlier snapshots are intact`, e.code);
      if (e.code.startsWith('SQLITE_READONLY')) return new MemrecError(`database ${file} is read-only: ${what} was not stored`);
      if (e.code.startsWith('SQLITE_IOERR')) return new StoreWriteError(`database ${file}: I/O error (${e.message}): ${what} was not stored`, e.code);
      return sqliteInputError(e, this.file);
    }
    return e;
  }

  /** A read: damage met on the way (SQLITE_CORRUPT) is said as "database <file> is damaged: ...". */
  private read<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw damageError(e, this.file);
    }
  }

  /** read(), for rows streamed one at a time: damage met while the output is being written says the same. */
  private *readEach<T>(rows: Generator<T>): Generator<T> {
    try {
      yield* rows;
    } catch (e) {
      throw damageError(e, this.file);
    }
  }

  /**
   * For a disk that is full or nearly: checkpoint the WAL into the database and truncate it (the WAL keeps
   * its size after a rollback, and on a small disk it never reaches the automatic checkpoint), then, if
   * `shrinkTo` is given, delete the oldest snapshots down to that many bytes of data in retention's order
   * (scheduled, manual, then burst and oom; events are kept) and hand the pages back. Never throws.
   */
  makeRoom(o: { retainMs: number; now: number; shrinkTo?: number }): { checkpointed: boolean; deletedSnapshots: number; error: string | null } {
    this.write();
    let checkpointed = false;
    let deletedSnapshots = 0;
    let error: string | null = null;
    try {
      checkpointed = checkpoint(this.db);
      if (o.shrinkTo !== undefined) {
        const r = applyRetention(this.db, this.file, { retainMs: o.retainMs, maxBytes: Math.min(o.shrinkTo, usedBytes(this.db)), now: o.now, keepEvents: true });
        deletedSnapshots = r.deletedSnapshots;
        checkpointed = checkpoint(this.db);
      }
    } catch (e) {
      error = (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
    } finally {
      this.writer?.clearCaches();
      this.reader.clearCaches();
    }
    return { checkpointed, deletedSnapshots, error };
  }

  /**
   * Room on the database's file system and the WAL's size now: a checkpoint copies the WAL into the
   * database and may need that much room, so the recorder checkpoints early when room runs short.
   */
  space(): { freeBytes: number | null; fsBytes: number | null; walBytes: number } {
    let freeBytes: number | null = null;
    let fsBytes: number | null = null;
    try {
      const fs = statfsSync(path.dirname(this.file));
      freeBytes = fs.bavail * fs.bsize;
      fsBytes = fs.blocks * fs.bsize;
    } catch {
      /* unknown */
    }
    let walBytes = 0;
    try {
      walBytes = statSync(`${this.file}-wal`).size;
    } catch {
      /* no WAL yet */
    }
    return { freeBytes, fsBytes, walBytes };
  }

  /** Bytes the data occupies (pages in use), what --max-db-size limits. */
  usedBytes(): number {
    return this.read(() => usedBytes(this.db));
  }

  /** One transaction: the snapshot, its processes and owner aggregates, all or nothing. Returns its id. */
  writeSnapshot(s: Snapshot): number {
    const w = this.write();
    try {
      return this.db.transaction(() => w.write(s))();
    } catch (e) {
      throw this.failed(e, describeSnapshot(s));
    }
  }

  /** null for an event stored before: an oom_kill of the same (bootId, kmsgSeq), or the same type and dedupe key. */
  writeEvent(e: RecorderEvent, meta: EventMeta = { bootId: null }): number | null {
    const w = this.write();
    try {
      return w.writeEvent(e, meta);
    } catch (err) {
      throw this.failed(err, `the ${e.type} event at ${new Date(e.at).toISOString()}`);
    }
  }

  /** Run `fn` in one transaction, for bulk loads (a generator writing a day of snapshots at once). */
  batch<T>(fn: () => T): T {
    this.write();
    try {
      return this.db.transaction(fn)();
    } catch (e) {
      throw this.failed(e, 'the batch');
    }
  }

  /** The highest kmsg sequence number of a stored oom_kill in this boot, so a restart skips older records. */
  lastKmsgSeq(bootId: string): number | null {
    return this.read(() => (this.db.prepare(`SELECT max(kmsg_seq) FROM events WHERE boot_id = ? AND type = 'oom_kill'`).pluck().get(bootId) as number | null) ?? null);
  }

  applyRetention(o: { retainMs: number; maxBytes: number; now: number }): RetentionResult {
    this.write();
    try {
      return applyRetention(this.db, this.file, o);
    } catch (e) {
      throw this.failed(e, 'retention');
    } finally {
      // orphan collection deleted rows; ids may be reused
      this.writer?.clearCaches();
      this.reader.clearCaches();
    }
  }

  snapshots(range: TimeRange, opts: { kinds?: SnapshotKind[] } = {}): StoredSnapshot[] {
    return this.read(() => this.reader.snapshots(range, opts.kinds));
  }

  /**
   * The each* readers are the same as their array twins, one row at a time: a report streams a range of any
   * length. Finish or break out of the loop before the next write or close (an open read holds the statement).
   */
  eachSnapshot(range: TimeRange, opts: { kinds?: SnapshotKind[] } = {}): Generator<StoredSnapshot> {
    return this.readEach(this.reader.eachSnapshot(range, opts.kinds));
  }

  eachProcessRow(range: TimeRange, filter: ProcessFilter = {}): Generator<ProcessRow> {
    return this.readEach(this.reader.eachProcessRow(range, filter));
  }

  eachOwnerRow(range: TimeRange): Generator<OwnerRow> {
    return this.readEach(this.reader.eachOwnerRow(range));
  }

  eachEvent(range: TimeRange, types?: EventType[]): Generator<StoredEvent> {
    return this.readEach(this.reader.eachEvent(range, types));
  }

  /** takenAt ascending, then RSS descending. */
  processRows(range: TimeRange, filter: ProcessFilter = {}): ProcessRow[] {
    return this.read(() => this.reader.processRows(range, filter));
  }

  /** takenAt ascending, then as the collector ordered them (largest RSS first). */
  ownerRows(range: TimeRange): OwnerRow[] {
    return this.read(() => this.reader.ownerRows(range));
  }

  /** Per process and per owner key in the range, first seen first: what `culprits` ranks, without a row per sample. */
  peaks(range: TimeRange, opts: PeaksOptions = {}): RangePeaks {
    return this.read(() => this.reader.peaks(range, opts));
  }

  /** The distinct node cgroups (the kubelet signal's, `--memory-cgroup`) of the snapshots in the range. */
  nodeCgroups(range: TimeRange): string[] {
    return this.read(() => this.reader.nodeCgroups(range));
  }

  /** The snapshot with the lowest kubelet memory.available in the range, the earliest of equals. */
  lowestSnapshot(range: TimeRange): StoredSnapshot | null {
    return this.read(() => this.reader.lowestSnapshot(range));
  }

  /** at ascending. */
  events(range: TimeRange, types?: EventType[]): StoredEvent[] {
    return this.read(() => this.reader.events(range, types));
  }

  /** The last recording's start, stop and snapshot, read before this recorder writes its own start. */
  previousRecording(): PreviousRecording {
    const start = this.reader.lastEvent(['recorder_start']);
    const stop = this.reader.lastEvent(['recorder_stop']);
    const d = start?.type === 'recorder_start' ? (start.details as { pid?: unknown; bootId?: unknown }) : null;
    const after = start !== null && stop !== null && (stop.at > start.at || (stop.at === start.at && stop.id > start.id));
    return {
      // the node's boot the event was stored under (details.bootId is the recorder process's own view, for status)
      start: start === null ? null : { at: start.at, bootId: start.bootId ?? (typeof d?.bootId === 'string' ? d.bootId : null), pid: typeof d?.pid === 'number' ? d.pid : null },
      stop: after ? { at: stop.at } : null,
      lastSnapshot: this.reader.lastSnapshotAt(),
    };
  }

  /** Every boot recorded, the earliest first (`--boot`). */
  boots(): BootSpan[] {
    return this.read(() => this.reader.boots());
  }

  /** The latest snapshot's time and boot. */
  lastSnapshotAt(): { at: number; bootId: string | null } | null {
    return this.read(() => this.reader.lastSnapshotAt());
  }

  /** The latest event of these types (by time, then id), or null. */
  lastEvent(types: EventType[]): StoredEvent | null {
    return this.read(() => this.reader.lastEvent(types));
  }

  stats(): StoreStats {
    return this.read(() => this.statsNow());
  }

  private statsNow(): StoreStats {
    const snapshotsByKind: Record<SnapshotKind, number> = { scheduled: 0, burst: 0, manual: 0, oom: 0 };
    for (const r of this.db.prepare('SELECT kind, count(*) AS n FROM snapshots GROUP BY kind').all() as { kind: SnapshotKind; n: number }[]) snapshotsByKind[r.kind] = r.n;
    const span = this.db.prepare('SELECT min(taken_at) AS first, max(taken_at) AS last FROM snapshots').get() as { first: number | null; last: number | null };
    return {
      schemaVersion: this.db.pragma('user_version', { simple: true }) as number,
      fileBytes: fileBytes(this.file),
      snapshotsByKind,
      firstAt: span.first,
      lastAt: span.last,
      last: this.reader.last(),
      events: this.db.prepare('SELECT count(*) FROM events').pluck().get() as number,
    };
  }

  /** Write a standalone memrec database holding only `range` (snapshots by takenAt, events by at) to a new file. */
  exportRange(range: TimeRange, file: string): void {
    if (existsSync(file) && statSync(file).size > 0) throw new InputError(`${file} already exists: export writes a new database`);
    const dest = Store.open(file);
    try {
      copyRange(dest.db, this.file, range);
    } catch (e) {
      throw dest.failed(e, `the export to ${file}`);
    } finally {
      dest.close();
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
