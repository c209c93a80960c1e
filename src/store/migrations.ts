// Numbered SQL migrations, applied in order in one transaction and recorded with their sha256, so that a
// database from a newer memrec, or one whose history differs from the files shipped, is refused untouched.
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { readText, SMALL_FILE_MAX } from '../fs/read.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Database from 'better-sqlite3';
import { InputError, MemrecError } from '../errors.js';

export interface Migration {
  version: number;
  /** file name without `.sql`: `0001_initial` */
  name: string;
  sql: string;
  sha256: string;
}

/** Where the shipped migrations are: beside dist/ in the repository and in an installed package alike. */
export function defaultMigrationsDir(): string {
  return fileURLToPath(new URL('../../../migrations/', import.meta.url));
}

const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export function loadMigrations(dir: string = defaultMigrationsDir()): Migration[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.sql')).sort();
  } catch (e) {
    throw new MemrecError(`cannot read migrations directory ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const out: Migration[] = [];
  for (const n of names) {
    const m = FILE.exec(n);
    if (m === null) throw new MemrecError(`${path.join(dir, n)}: migration files are named NNNN_name.sql`);
    const version = Number(m[1]);
    if (version !== out.length + 1) throw new MemrecError(`${path.join(dir, n)}: expected migration number ${out.length + 1}, migrations are numbered without gaps`);
    const sql = readText(path.join(dir, n), { maxBytes: SMALL_FILE_MAX });
    out.push({ version, name: n.slice(0, -4), sql, sha256: createHash('sha256').update(sql).digest('hex') });
  }
  if (out.length === 0) throw new MemrecError(`no migrations in ${dir}`);
  return out;
}

/** What a database needs, decided by reading only. */
export type SchemaState =
  | { kind: 'fresh' }
  | { kind: 'current'; version: number }
  | { kind: 'behind'; version: number; pending: Migration[] };

const TABLE = 'schema_migrations';

/**
 * Compare the database's recorded history with the known migrations. Reads only; throws InputError
 * when the database must not be touched.
 */
export function checkSchema(db: Database.Database, file: string, known: Migration[]): SchemaState {
  const latest = known.length;
  const userVersion = db.pragma('user_version', { simple: true }) as number;
  if (userVersion > latest) {
    throw new InputError(`database ${file} has schema version ${userVersion}, this memrec knows up to ${latest}: it was written by a newer memrec; upgrade memrec to read it`);
  }
  const objects = db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table'`).pluck().all() as string[];
  if (!objects.includes(TABLE)) {
    if (objects.length === 0 && userVersion === 0) return { kind: 'fresh' };
    throw new InputError(`${file} is a SQLite database but not a memrec database (no ${TABLE} table)`);
  }
  const rows = db.prepare(`SELECT version, name, sha256 FROM ${TABLE} ORDER BY version`).all() as { version: number; name: string; sha256: string }[];
  for (const [i, row] of rows.entries()) {
    const m = known[row.version - 1];
    if (m === undefined) {
      throw new InputError(`database ${file} has migration ${row.name} that this memrec does not know: it was written by a newer memrec; upgrade memrec to read it`);
    }
    if (m.name !== row.name || m.sha256 !== row.sha256) {
      throw new InputError(
        `database ${file} recorded migration ${row.name} with sha256 ${row.sha256.slice(0, 12)}…, but this memrec's ${m.name}.sql has ${m.sha256.slice(0, 12)}…: ` +
          'a migration was edited after it was applied; refusing to touch the database',
      );
    }
    if (row.version !== i + 1) throw new InputError(`database ${file} has a gap in its migration history before ${row.name}`);
  }
  if (rows.length !== userVersion) {
    throw new InputError(`database ${file} says schema version ${userVersion} but records ${rows.length} migrations: refusing to touch it`);
  }
  if (rows.length === latest) return { kind: 'current', version: latest };
  return { kind: 'behind', version: rows.length, pending: known.slice(rows.length) };
}

/** Apply `pending` in one transaction: all or nothing. */
export function applyMigrations(db: Database.Database, pending: Migration[], now: number): void {
  db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS ${TABLE} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, sha256 TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`);
    const record = db.prepare(`INSERT INTO ${TABLE} (version, name, sha256, applied_at) VALUES (?, ?, ?, ?)`);
    for (const m of pending) {
      db.exec(m.sql);
      record.run(m.version, m.name, m.sha256, now);
      db.pragma(`user_version = ${m.version}`);
    }
  })();
}
