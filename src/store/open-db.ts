// Opening a database file safely: private file modes, a header check, the schema verified before
// anything is written, then the pragmas that make it a recorder's database.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { InputError, MemrecError } from '../errors.js';
import { applyMigrations, checkSchema, loadMigrations } from './migrations.js';

export interface OpenOptions {
  readonly?: boolean;
  /** tests point this at an edited or extended copy */
  migrationsDir?: string;
}

const HEADER = 'SQLite format 3\0';

/** Refuse a file that is not SQLite before SQLite sees it (it would report "file is not a database" late). */
function checkHeader(file: string): void {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new InputError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  try {
    const buf = Buffer.alloc(16);
    const n = readSync(fd, buf, 0, 16, 0);
    if (n === 0) return;
    if (n < 16 || buf.toString('latin1') !== HEADER) throw new InputError(`${file} is not a SQLite database (expected a memrec database)`);
  } finally {
    closeSync(fd);
  }
}

/** Map SQLite's codes for a broken file to one clear line. */
export function sqliteInputError(e: unknown, file: string): unknown {
  if (e instanceof Database.SqliteError) {
    if (e.code === 'SQLITE_NOTADB' || e.code.startsWith('SQLITE_CORRUPT')) return new InputError(`${file} is not a SQLite database or is corrupt (${e.message})`);
    if (e.code.startsWith('SQLITE_CANTOPEN') || e.code.startsWith('SQLITE_PERM') || e.code === 'SQLITE_READONLY_CANTINIT') {
      return new InputError(`cannot open ${file}: ${e.message} (a reader needs read access to the file, its -wal and -shm files, or write access to its directory)`);
    }
    if (e.code === 'SQLITE_READONLY_DIRECTORY') {
      // a WAL reader needs <file>-shm; without a running writer nobody has made it
      return new InputError(`cannot read ${file}: no writer has it open and this user cannot create ${file}-shm in ${path.dirname(file)} (read it as the recorder's user, or while the recorder runs, or copy the file)`);
    }
    if (e.code.startsWith('SQLITE_BUSY')) return new MemrecError(`database ${file} is locked by another process (${e.message})`);
  }
  return e;
}

function ensureFile(file: string): void {
  const dir = path.dirname(file);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!existsSync(file)) {
    writeFileSync(file, '', { mode: 0o600, flag: 'a' });
    return;
  }
  // not world-readable, whoever created it; SQLite gives -wal and -shm the same mode
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o007) !== 0) chmodSync(file, mode & ~0o007);
}

export function openDatabase(file: string, opts: OpenOptions = {}): Database.Database {
  const readonly = opts.readonly ?? false;
  const known = loadMigrations(opts.migrationsDir);
  if (readonly) {
    if (!existsSync(file)) throw new InputError(`no database at ${file} (run memrec record, or pass --db)`);
  } else {
    ensureFile(file);
  }
  checkHeader(file);
  let db: Database.Database;
  try {
    db = new Database(file, { readonly, fileMustExist: readonly, timeout: 5000 });
  } catch (e) {
    throw sqliteInputError(e, file);
  }
  try {
    const state = checkSchema(db, file, known);
    if (readonly) {
      if (state.kind === 'fresh') throw new InputError(`${file} is empty: not a memrec database (run memrec record, or pass --db)`);
      if (state.kind === 'behind') {
        throw new InputError(`database ${file} has schema version ${state.version}, this memrec needs ${known.length}: run any writing command (memrec record) once to upgrade it`);
      }
      db.pragma('cache_size = -8192');
      return db;
    }
    // before any table exists: lets retention hand freed pages back to the file system
    if (state.kind === 'fresh') {
      // a snapshot row is ~1.5 KiB (its packed processes and owners): 4 KiB pages would hold two and waste a third.
      // page_size first: auto_vacuum fixes the page size once set
      db.pragma('page_size = 16384');
      db.pragma('auto_vacuum = INCREMENTAL');
    }
    db.pragma('journal_mode = WAL');
    // FULL, not NORMAL: NORMAL under WAL survives a killed process but may lose the last commits when the
    // node itself dies (the OOM night this tool exists for); FULL costs one fsync per snapshot.
    db.pragma('synchronous = FULL');
    // the recorder's RSS target is < 64 MiB: 1 MiB (64 pages) holds a snapshot's write path; the OS caches the rest
    db.pragma('cache_size = -1024');
    // after a big retention delete the WAL shrinks back instead of staying at its high-water mark
    db.pragma('journal_size_limit = 16777216');
    db.pragma('temp_store = MEMORY');
    db.pragma('foreign_keys = OFF');
    if (state.kind !== 'current') applyMigrations(db, state.kind === 'fresh' ? known : state.pending, Date.now());
    return db;
  } catch (e) {
    db.close();
    throw sqliteInputError(e, file);
  }
}
