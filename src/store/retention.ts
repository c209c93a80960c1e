// Retention: by age, then by size. Scheduled snapshots go first, manual next; burst and oom snapshots
// and events are the evidence and go last (by age only at twice the retention, by size only when
// nothing else is left). Store decides nothing about when this runs: the recorder calls it.
import { statSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { deleteOrphans } from './orphans.js';

export interface RetentionOptions {
  retainMs: number;
  maxBytes: number;
  now: number;
  /** by size, delete snapshots only, never events (making room on a full disk: events are small and say what happened) */
  keepEvents?: boolean;
}

export interface RetentionResult {
  deletedSnapshots: number;
  deletedEvents: number;
  fileBytesBefore: number;
  fileBytesAfter: number;
}

/** Deletes run in chunks so the WAL and the writer's lock stay small. */
const CHUNK = 2000;
/** Pages handed back per incremental_vacuum step (8 MiB at 4 KiB pages). */
const VACUUM_STEP = 2048;

export function fileBytes(file: string): number {
  const size = (f: string): number => {
    try {
      return statSync(f).size;
    } catch {
      return 0;
    }
  };
  return size(file) + size(`${file}-wal`);
}

/**
 * Bytes the data occupies, not counting free pages: what the file shrinks to once reclaimed. This is
 * what --max-db-size limits; the WAL adds at most journal_size_limit (16 MiB) between checkpoints.
 */
export function usedBytes(db: Database.Database): number {
  const pages = db.pragma('page_count', { simple: true }) as number;
  const free = db.pragma('freelist_count', { simple: true }) as number;
  return (pages - free) * (db.pragma('page_size', { simple: true }) as number);
}

function deleteSnapshots(db: Database.Database, ids: number[]): void {
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = JSON.stringify(ids.slice(i, i + CHUNK));
    db.prepare('DELETE FROM snapshots WHERE id IN (SELECT value FROM json_each(?))').run(chunk);
  }
}

const SCHEDULED = `kind = 'scheduled'`;
const MANUAL = `kind = 'manual'`;
const EVIDENCE = `kind IN ('burst', 'oom')`;

export function applyRetention(db: Database.Database, file: string, o: RetentionOptions): RetentionResult {
  const fileBytesBefore = fileBytes(file);
  let deletedSnapshots = 0;
  let deletedEvents = 0;
  const idsWhere = (where: string, ...params: number[]): number[] =>
    db.prepare(`SELECT id FROM snapshots WHERE ${where} ORDER BY taken_at, id`).pluck().all(...params) as number[];

  // by age
  const cutoff = o.now - o.retainMs;
  const evidenceCutoff = o.now - 2 * o.retainMs;
  let ids = idsWhere(`(${SCHEDULED} OR ${MANUAL}) AND taken_at < ?`, cutoff).concat(idsWhere(`${EVIDENCE} AND taken_at < ?`, evidenceCutoff));
  deleteSnapshots(db, ids);
  deletedSnapshots += ids.length;
  deletedEvents += db.prepare('DELETE FROM events WHERE at < ?').run(evidenceCutoff).changes;
  const collect = (): void => {
    db.transaction(() => deleteOrphans(db))();
  };
  if (deletedSnapshots > 0) collect();

  // by size: estimate how many of the oldest of a class to delete from the average snapshot size, repeat until under
  for (const where of [SCHEDULED, MANUAL, EVIDENCE]) {
    for (let round = 0; round < 20 && usedBytes(db) > o.maxBytes; round++) {
      const total = db.prepare('SELECT count(*) FROM snapshots').pluck().get() as number;
      const candidates = idsWhere(where);
      if (candidates.length === 0) break;
      const perSnapshot = usedBytes(db) / Math.max(1, total);
      const n = Math.min(candidates.length, Math.max(1, Math.ceil(((usedBytes(db) - o.maxBytes) / perSnapshot) * 1.1)));
      ids = candidates.slice(0, n);
      deleteSnapshots(db, ids);
      deletedSnapshots += ids.length;
      collect();
    }
  }
  for (let round = 0; !o.keepEvents && round < 20 && usedBytes(db) > o.maxBytes; round++) {
    const total = db.prepare('SELECT count(*) FROM events').pluck().get() as number;
    if (total === 0) break;
    const n = Math.max(1, Math.ceil(total / 4));
    deletedEvents += db.prepare('DELETE FROM events WHERE id IN (SELECT id FROM events ORDER BY at, id LIMIT ?)').run(n).changes;
  }

  if (deletedSnapshots > 0 || deletedEvents > 0) reclaim(db);
  return { deletedSnapshots, deletedEvents, fileBytesBefore, fileBytesAfter: fileBytes(file) };
}

/**
 * Hand free pages back to the file system. incremental_vacuum runs in short steps, each its own
 * transaction, so the recorder's next snapshot never waits long; WAL readers are not blocked at all.
 */
function reclaim(db: Database.Database): void {
  const autoVacuum = db.pragma('auto_vacuum', { simple: true }) as number;
  if (autoVacuum === 2) {
    for (let i = 0; i < 10_000 && (db.pragma('freelist_count', { simple: true }) as number) > 0; i++) db.pragma(`incremental_vacuum(${VACUUM_STEP})`);
  } else {
    // a database made without auto_vacuum: a full VACUUM only when a quarter of it is free
    const free = db.pragma('freelist_count', { simple: true }) as number;
    if (free * 4 > (db.pragma('page_count', { simple: true }) as number)) db.exec('VACUUM');
  }
  // the file shrinks when the WAL is checkpointed. TRUNCATE waits (busy_timeout at most) for readers
  // to move past old pages but never blocks them; if one stays, the next checkpoint finishes the job
  checkpoint(db);
}

/** Copy the WAL into the database and truncate it to 0 bytes. False when a reader kept it from finishing. */
export function checkpoint(db: Database.Database): boolean {
  const [r] = db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number; log: number; checkpointed: number }>;
  return r !== undefined && r.busy === 0;
}
