// Opening a database file safely. Nothing touches a file before memrec knows it is its own: it must be
// a regular file (a FIFO, device or directory is refused before SQLite or chmod sees it), start with
// SQLite's header, hold memrec's migration history and every table that history created, and pass
// `PRAGMA quick_check` (writers) — all checked on a read-only connection. Only then are its modes
// tightened and a writer opens it, sets its pragmas and migrates. A refused file keeps its bytes, mode,
// owner and mtime.
import { chmodSync, closeSync, mkdirSync, readSync, rmSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DamagedDatabaseError, InputError, MemrecError, StoreWriteError } from '../errors.js';
import { FileError, shownPath } from '../fs/file-error.js';
import { openRegular, statRegular } from '../fs/read.js';
import { createExclusive } from '../fs/write.js';
import { applyMigrations, checkSchema, loadMigrations, type Migration, type SchemaState } from './migrations.js';

export interface OpenOptions {
  readonly?: boolean;
  /**
   * `full` also runs `PRAGMA quick_check` for a reader (export does: it hands the data on). Writers always
   * run it. Readers otherwise check the file, the schema and the tables only: quick_check reads every
   * page (measured: ~45 ms warm, ~350 ms from disk for a 30-day database), and a damaged page a
   * reader meets is reported as damage anyway.
   */
  verify?: 'schema' | 'full';
  /** tests point this at an edited or extended copy */
  migrationsDir?: string;
}

const HEADER = 'SQLite format 3\0';

/** `database <file>: <why>` for a --db that is not a regular file or cannot be reached. */
function notUsable(file: string, err: FileError): InputError {
  return new InputError(`database ${shownPath(file)}: ${err.reason} (expected a memrec database)`);
}

/** True when the file is empty (memrec created it, or it is about to become a database); refuses what is not SQLite. */
function checkHeader(file: string): boolean {
  let fd: number;
  try {
    fd = openRegular(file).fd;
  } catch (e) {
    if (e instanceof FileError) throw notUsable(file, e);
    throw e;
  }
  try {
    const buf = Buffer.alloc(16);
    const n = readSync(fd, buf, 0, 16, 0);
    if (n === 0) return true;
    if (n < 16 || buf.toString('latin1') !== HEADER) throw new InputError(`${shownPath(file)} is not a SQLite database (expected a memrec database)`);
    return false;
  } finally {
    closeSync(fd);
  }
}

/** SQLite's codes for a damaged file. */
function isCorrupt(e: unknown): boolean {
  return e instanceof Database.SqliteError && e.code.startsWith('SQLITE_CORRUPT');
}

/** Damage met while reading (SQLITE_CORRUPT) as one line naming the file; anything else unchanged. */
export function damageError(e: unknown, file: string): unknown {
  return isCorrupt(e) ? new DamagedDatabaseError(shownPath(file), (e as Error).message) : e;
}

/** Map SQLite's codes for a broken file to one clear line. */
export function sqliteInputError(e: unknown, file: string): unknown {
  if (e instanceof Database.SqliteError) {
    const shown = shownPath(file);
    if (isCorrupt(e)) return damageError(e, file);
    if (e.code === 'SQLITE_NOTADB') return new InputError(`${shown} is not a SQLite database or is corrupt (${e.message})`);
    if (e.code.startsWith('SQLITE_CANTOPEN') || e.code.startsWith('SQLITE_PERM') || e.code === 'SQLITE_READONLY_CANTINIT') {
      return new InputError(`cannot open ${shown}: ${e.message} (a reader needs read access to the file, its -wal and -shm files, or write access to its directory)`);
    }
    if (e.code === 'SQLITE_READONLY_DIRECTORY') {
      // a WAL reader needs <file>-shm; without a running writer nobody has made it
      return new InputError(`cannot read ${shown}: no writer has it open and this user cannot create ${shown}-shm in ${shownPath(path.dirname(file))} (read it as the recorder's user, or while the recorder runs, or copy the file)`);
    }
    if (e.code.startsWith('SQLITE_BUSY')) return new MemrecError(`database ${shown} is locked by another process (${e.message})`);
    if (e.code === 'SQLITE_FULL' || e.code.startsWith('SQLITE_IOERR')) {
      // opening a WAL database makes its -shm file: on a full disk that fails
      const why = e.code === 'SQLITE_IOERR_SHMSIZE' || e.code === 'SQLITE_FULL' ? `no room on its file system (for ${shown}-shm or -wal)` : e.message;
      return new StoreWriteError(`cannot open database ${shown}: ${why} (${e.code})`, e.code);
    }
  }
  return e;
}

/** The tables a database at `version` has when its history is intact: the migrations replayed in memory. */
const expectedTablesCache = new Map<string, string[]>();
function expectedTables(known: Migration[], version: number): string[] {
  const key = `${known.map((m) => m.sha256).join(',')}@${version}`;
  let tables = expectedTablesCache.get(key);
  if (tables === undefined) {
    const mem = new Database(':memory:');
    try {
      applyMigrations(mem, known.slice(0, version), 0);
      tables = mem.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).pluck().all() as string[];
    } finally {
      mem.close();
    }
    expectedTablesCache.set(key, tables);
  }
  return tables;
}

/**
 * Everything that can be said without writing: memrec's schema history (checkSchema), every table it
 * created, and with `quickCheck` every page. Throws InputError (not memrec's, newer) or DamagedDatabaseError.
 */
function validate(db: Database.Database, file: string, known: Migration[], quickCheck: boolean): SchemaState {
  try {
    const state = checkSchema(db, file, known);
    if (state.kind === 'fresh') return state;
    const have = new Set(db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table'`).pluck().all() as string[]);
    const missing = expectedTables(known, state.version).filter((t) => !have.has(t));
    if (missing.length > 0) throw new DamagedDatabaseError(shownPath(file), `memrec's table${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing`);
    if (quickCheck) {
      // a small page cache: quick_check reads every page once, and with SQLite's default cache it added ~15 MiB to
      // export's peak (a 30-day HTML export went over the 100 MiB report target; BENCHMARKS.md, Report memory)
      db.pragma('cache_size = -256');
      const rows = db.prepare('PRAGMA quick_check').pluck().all() as string[];
      if (rows.length !== 1 || rows[0] !== 'ok') {
        // one problem a line, after a "*** in database main ***" heading
        const problems = rows.flatMap((r) => r.split('\n')).filter((l) => l !== '' && !l.startsWith('*** in database'));
        const n = problems.length;
        throw new DamagedDatabaseError(shownPath(file), `quick_check found ${n >= 100 ? 'at least ' : ''}${n} problem${n === 1 ? '' : 's'}: ${problems.slice(0, 2).join('; ')}${n > 2 ? '; …' : ''}`);
      }
    }
    return state;
  } catch (e) {
    throw sqliteInputError(e, file);
  }
}

/** Create the file (0600) and its directory (0700) if missing. True when memrec created the file. */
function createFile(file: string): boolean {
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    // false: made meanwhile, and then checked like any existing file
    return createExclusive(file, 0o600);
  } catch (e) {
    throw notUsable(file, FileError.fromErrno(file, e, 'cannot create'));
  }
}

/** Not world-readable, whoever made it: the database and the -wal and -shm SQLite made beside it (with its mode). */
function tightenModes(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    let st;
    try {
      st = statRegular(f);
    } catch {
      continue; // not a regular file: SQLite will refuse it, memrec does not touch it
    }
    if (st !== null && (st.mode & 0o007) !== 0) chmodSync(f, st.mode & 0o770);
  }
}

/**
 * A read-only connection to a WAL database makes its -wal and -shm if they are missing, and leaves them.
 * When the file is then refused, the empty -wal and the -shm that this check made are removed again.
 */
function sidecarsBefore(file: string): () => void {
  const had = [`${file}-wal`, `${file}-shm`].map((f) => statRegularOrNull(f) !== null);
  return () => {
    const wal = statRegularOrNull(`${file}-wal`);
    if (had[0] || had[1] || wal === null || wal.size !== 0) return;
    rmSync(`${file}-wal`, { force: true });
    rmSync(`${file}-shm`, { force: true });
  };
}

function statRegularOrNull(f: string): ReturnType<typeof statRegular> {
  try {
    return statRegular(f);
  } catch {
    return null;
  }
}

function openSqlite(file: string, readonly: boolean): Database.Database {
  try {
    return new Database(file, { readonly, fileMustExist: true, timeout: 5000 });
  } catch (e) {
    throw sqliteInputError(e, file);
  }
}

export function openDatabase(file: string, opts: OpenOptions = {}): Database.Database {
  const readonly = opts.readonly ?? false;
  const known = loadMigrations(opts.migrationsDir);
  let st;
  try {
    st = statRegular(file);
  } catch (e) {
    if (e instanceof FileError) throw notUsable(file, e);
    throw e;
  }
  if (st === null) {
    if (readonly) throw new InputError(`no database at ${shownPath(file)} (run memrec record, or pass --db)`);
    createFile(file);
  }
  const empty = checkHeader(file);

  const undoSidecars = sidecarsBefore(file);
  if (readonly) {
    const db = openSqlite(file, true);
    try {
      const state = validate(db, file, known, opts.verify === 'full');
      if (state.kind === 'fresh') throw new InputError(`${shownPath(file)} is empty: not a memrec database (run memrec record, or pass --db)`);
      if (state.kind === 'behind') {
        throw new InputError(`database ${shownPath(file)} has schema version ${state.version}, this memrec needs ${known.length}: run any writing command (memrec record) once to upgrade it`);
      }
      // 2 MiB: reports scan each snapshot once and keep decoded strings themselves; measured no slower than 8 MiB,
      // and a report must stay under 100 MiB RSS (BENCHMARKS.md, Report memory)
      db.pragma('cache_size = -2048');
      return db;
    } catch (e) {
      db.close();
      undoSidecars();
      throw e;
    }
  }

  // A writer checks on a read-only connection first: a refused or damaged file is never written.
  if (!empty) {
    const check = openSqlite(file, true);
    try {
      validate(check, file, known, true);
    } catch (e) {
      check.close();
      undoSidecars();
      throw e;
    }
    check.close();
  }
  tightenModes(file);
  const db = openSqlite(file, false);
  try {
    const state = checkSchema(db, file, known);
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
    // journal_mode = WAL made -wal and -shm with the file's mode, which is private by now
    return db;
  } catch (e) {
    db.close();
    throw sqliteInputError(e, file);
  }
}
