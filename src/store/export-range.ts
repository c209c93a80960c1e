// A standalone memrec database holding one time range: the destination is made by Store.open (same
// migrations, same modes), the source is attached and copied with plain INSERT ... SELECT.
import type Database from 'better-sqlite3';
import { deleteOrphans } from './orphans.js';
import { packedProcIds } from './process-pack.js';

export interface Range {
  since: number;
  until: number;
}

/** Copy `range` from `sourceFile` into the (fresh, migrated) destination connection. */
export function copyRange(dest: Database.Database, sourceFile: string, range: Range): void {
  dest.prepare('ATTACH DATABASE ? AS src').run(sourceFile);
  try {
    dest.transaction(() => {
      // the dimension tables are small: copy them whole, then drop what the range does not use
      for (const t of ['strings', 'owners', 'owner_cgroups', 'thresholds', 'boots']) dest.exec(`INSERT INTO main.${t} SELECT * FROM src.${t}`);
      dest.prepare('INSERT INTO main.snapshots SELECT * FROM src.snapshots WHERE taken_at BETWEEN ? AND ?').run(range.since, range.until);
      const procIds = new Set<number>();
      for (const pack of dest.prepare('SELECT process_pack FROM main.snapshots').pluck().iterate() as IterableIterator<Buffer>) for (const id of packedProcIds(pack)) procIds.add(id);
      dest.prepare('INSERT INTO main.procs SELECT * FROM src.procs WHERE id IN (SELECT value FROM json_each(?))').run(JSON.stringify([...procIds]));
      dest.prepare('INSERT INTO main.events SELECT * FROM src.events WHERE at BETWEEN ? AND ?').run(range.since, range.until);
      deleteOrphans(dest);
    })();
  } finally {
    dest.exec('DETACH DATABASE src');
  }
}
