// A standalone memrec database holding one time range: the destination is made by Store.open (same
// migrations, same modes), the source is attached and copied with plain INSERT ... SELECT.
import type Database from 'better-sqlite3';
import { deleteOrphans } from './orphans.js';

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
      for (const t of ['strings', 'owners', 'thresholds']) dest.exec(`INSERT INTO main.${t} SELECT * FROM src.${t}`);
      dest.prepare('INSERT INTO main.snapshots SELECT * FROM src.snapshots WHERE taken_at BETWEEN ? AND ?').run(range.since, range.until);
      dest.exec('INSERT INTO main.samples SELECT x.* FROM main.snapshots s JOIN src.samples x ON x.snapshot_id = s.id');
      dest.exec('INSERT INTO main.procs SELECT * FROM src.procs WHERE id IN (SELECT proc_id FROM main.samples)');
      dest.prepare('INSERT INTO main.events SELECT * FROM src.events WHERE at BETWEEN ? AND ?').run(range.since, range.until);
      deleteOrphans(dest);
    })();
  } finally {
    dest.exec('DETACH DATABASE src');
  }
}
