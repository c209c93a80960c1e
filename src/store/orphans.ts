// After snapshots are deleted, the strings, owners, thresholds and process attributes only they used
// are deleted too, so retention bounds the whole file and not only the samples.
import type Database from 'better-sqlite3';
import { InputError } from '../errors.js';
import { ownerStateFromRow, packedOwnerRefs, type OwnerState } from './owner-pack.js';
import { packedProcIds } from './process-pack.js';

export interface OrphanCounts {
  procs: number;
  ownerCgroups: number;
  owners: number;
  thresholds: number;
  strings: number;
}

/** Run inside a transaction. `NOT IN` lists filter NULLs: one NULL would make every NOT IN unknown. */
export function deleteOrphans(db: Database.Database): OrphanCounts {
  // samples and aggregates are packed, so the ids they use are read out of the blobs
  const liveProcs = new Set<number>();
  const liveOwners = new Set<number>();
  // owner cgroup paths are strings referenced from inside the owner blobs
  const packedStrings = new Set<number>();
  // owner blobs of format 3 reference owner_cgroups rows, which name their owner and path; a blob is walked with its
  // rows' masks, so the (small) table is read first
  const states = new Map<number, OwnerState>();
  for (const [id, ...row] of db.prepare('SELECT id, owner_id, path_id, mask, peak_bytes, limit_bytes, high_bytes, failcnt, oom_kills, high_events, max_events, oom_events FROM owner_cgroups').raw().iterate() as IterableIterator<[number, number, number | null, number]>) {
    states.set(id, ownerStateFromRow(row));
  }
  const state = (id: number): OwnerState => {
    const s = states.get(id);
    if (s === undefined) throw new InputError(`owner_cgroups row ${id} is missing (corrupt database?)`);
    return s;
  };
  const liveStates = new Set<number>();
  for (const [p, o] of db.prepare('SELECT process_pack, owner_pack FROM snapshots').raw().iterate() as IterableIterator<[Buffer, Buffer]>) {
    for (const id of packedProcIds(p)) liveProcs.add(id);
    const refs = packedOwnerRefs(o, state);
    for (const id of refs.ownerIds) liveOwners.add(id);
    for (const id of refs.stringIds) packedStrings.add(id);
    for (const id of refs.stateIds) liveStates.add(id);
  }
  const procs = db.prepare('DELETE FROM procs WHERE id NOT IN (SELECT value FROM json_each(?))').run(JSON.stringify([...liveProcs])).changes;
  const ownerCgroups = db.prepare('DELETE FROM owner_cgroups WHERE id NOT IN (SELECT value FROM json_each(?))').run(JSON.stringify([...liveStates])).changes;
  for (const id of db.prepare('SELECT DISTINCT owner_id FROM procs UNION SELECT owner_id FROM owner_cgroups').pluck().all() as number[]) liveOwners.add(id);
  const owners = db.prepare('DELETE FROM owners WHERE id NOT IN (SELECT value FROM json_each(?))').run(JSON.stringify([...liveOwners])).changes;
  const thresholds = db.prepare('DELETE FROM thresholds WHERE id NOT IN (SELECT thresholds_id FROM snapshots)').run().changes;
  // a boot's events keep its id as text: only snapshots reference boots rows
  db.prepare('DELETE FROM boots WHERE id NOT IN (SELECT boot FROM snapshots WHERE boot IS NOT NULL)').run();
  const stringRefs = [
    ['procs', 'comm_id'],
    ['procs', 'cgroup_id'],
    ['procs', 'unit_id'],
    ['procs', 'cwd_id'],
    ['procs', 'exe_id'],
    ['procs', 'cmdline_id'],
    ['snapshots', 'trigger_id'],
    ['snapshots', 'node_cgroup_id'],
    ['snapshots', 'alloc_cgroup_id'],
    ['owner_cgroups', 'path_id'],
  ]
    .map(([t, c]) => `SELECT ${c} FROM ${t} WHERE ${c} IS NOT NULL`)
    .join(' UNION ');
  const strings = db.prepare(`DELETE FROM strings WHERE id NOT IN (${stringRefs}) AND id NOT IN (SELECT value FROM json_each(?))`).run(JSON.stringify([...packedStrings])).changes;
  return { procs, ownerCgroups, owners, thresholds, strings };
}
