// --db given something that is not a sound memrec database: a text file, another program's SQLite (rollback
// journal and WAL), a directory, a FIFO, a device, an empty file, a memrec database with `events` dropped or
// with a damaged page. Every command refuses it in one line naming it (exit 2 for the wrong kind of file, 1
// for a damaged memrec database), prints no stack, writes nothing into it and leaves it byte for byte, mode
// for mode as it was, with no -wal or -shm left beside it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Store } from '../src/store/store.js';
import { fileState, mkfifo } from './helpers/files.js';
import { fixture } from './helpers/paths.js';
import { runCli } from './helpers/run.js';
import { snapshot } from './helpers/snapshots.js';

const dir = mkdtempSync(path.join(tmpdir(), 'memrec-dbinput-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const T0 = Date.UTC(2026, 10, 27, 2, 0, 0);
const RANGE = ['--since', `@${T0 / 1000 - 60}`, '--until', `@${T0 / 1000 + 3600}`, '--tz', 'UTC'];

/** A small memrec database: three snapshots and a few events, checkpointed into one file. */
function memrecDb(file: string): string {
  const s = Store.open(file);
  for (let i = 0; i < 3; i++) s.writeSnapshot(snapshot(T0 + i * 60_000));
  s.writeEvent({ type: 'recorder_start', at: T0 - 1000, details: { version: 'test', pid: 1 } });
  s.writeEvent({ type: 'burst_start', at: T0 + 1000, details: { reason: 'memory.available 1Gi <= 2Gi', values: {} } });
  s.close();
  return file;
}

/** Damage the b-tree root page of `table` (its page type byte), as a bad sector or a stray write would. */
function damageTable(file: string, table: string): void {
  const db = new Database(file);
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const root = db.prepare('SELECT rootpage FROM sqlite_schema WHERE name = ?').pluck().get(table) as number;
  db.close();
  const bytes = readFileSync(file);
  bytes[(root - 1) * pageSize] = 0x00;
  writeFileSync(file, bytes);
}

/** What lies beside the file (a directory: in it): a file refused at open gets no -wal or -shm left next to it. */
function beside(p: string): string[] {
  return lstatSync(p).isDirectory() ? readdirSync(p) : readdirSync(path.dirname(p)).filter((n) => n.startsWith(path.basename(p)));
}

interface Case {
  name: string;
  file: string;
  /** a sound memrec schema with damaged pages: a reader opens it (SQLite makes -wal and -shm as for any reader) before it meets the damage */
  readerOpens?: boolean;
  /** exit status and the one stderr line, for every command */
  code: number;
  line: RegExp;
}

function cases(): Case[] {
  const out: Case[] = [];
  const add = (name: string, file: string, code: number, line: RegExp): void => void out.push({ name, file, code, line });
  const text = path.join(dir, 'notes.txt');
  writeFileSync(text, 'not a database\n'.repeat(10));
  chmodSync(text, 0o644);
  add('a text file', text, 2, /notes\.txt is not a SQLite database \(expected a memrec database\)$/);
  for (const journal of ['DELETE', 'WAL']) {
    const other = path.join(dir, `other-${journal}.db`);
    const db = new Database(other);
    db.pragma(`journal_mode = ${journal}`);
    db.exec("CREATE TABLE t (x); INSERT INTO t VALUES ('someone else''s data')");
    db.close();
    chmodSync(other, 0o644);
    add(`another program's SQLite (${journal})`, other, 2, new RegExp(`other-${journal}\\.db is a SQLite database but not a memrec database \\(no schema_migrations table\\)$`));
  }
  const sub = path.join(dir, 'a-directory');
  mkdirSync(sub, { mode: 0o755 });
  add('a directory', sub, 2, /database .*a-directory: a directory, not a regular file \(expected a memrec database\)$/);
  const fifo = path.join(dir, 'a-fifo');
  mkfifo(fifo);
  add('a FIFO', fifo, 2, /database .*a-fifo: a FIFO, not a regular file \(expected a memrec database\)$/);
  add('a device', '/dev/null', 2, /^database \/dev\/null: a character device, not a regular file \(expected a memrec database\)$/);
  const noEvents = memrecDb(path.join(dir, 'no-events.db'));
  new Database(noEvents).exec('DROP TABLE events');
  chmodSync(noEvents, 0o644);
  add('memrec database with events dropped', noEvents, 1, /^database .*no-events\.db is damaged: memrec's table events is missing$/);
  const badPage = memrecDb(path.join(dir, 'bad-page.db'));
  damageTable(badPage, 'snapshots');
  damageTable(badPage, 'events');
  chmodSync(badPage, 0o644);
  add('memrec database with damaged pages', badPage, 1, /^database .*bad-page\.db is damaged: /);
  out.at(-1)!.readerOpens = true;
  // old mtimes, so that any write would show
  for (const c of out) if (!c.file.startsWith('/dev/')) utimesSync(c.file, new Date(T0), new Date(T0));
  return out;
}

const COMMANDS: Array<{ name: string; argv: (db: string) => string[] }> = [
  { name: 'snapshot', argv: (db) => ['snapshot', '--db', db, '--host-root', fixture('v1-cgroupfs')] },
  { name: 'query', argv: (db) => ['query', ...RANGE, '--db', db] },
  { name: 'culprits', argv: (db) => ['culprits', ...RANGE, '--db', db] },
  { name: 'timeline', argv: (db) => ['timeline', ...RANGE, '--db', db] },
  { name: 'events', argv: (db) => ['events', ...RANGE, '--db', db] },
  { name: 'status', argv: (db) => ['status', '--db', db] },
  { name: 'export', argv: (db) => ['export', ...RANGE, '--db', db, '--out', path.join(dir, `export-${path.basename(db)}.html`)] },
];

test('every command refuses every kind of bad --db in one line, and leaves the file exactly as it was', async (t) => {
  for (const c of cases()) {
    for (const cmd of COMMANDS) {
      await t.test(`${cmd.name} --db ${c.name}`, () => {
        const before = fileState(c.file);
        const besideBefore = beside(c.file);
        const r = runCli(cmd.argv(c.file), { timeoutMs: 20_000 });
        assert.equal(r.signal, null, 'ended by itself (no hang)');
        assert.equal(r.status, c.code, `exit status; stderr: ${r.stderr}`);
        const lines = r.stderr.split('\n').filter((l) => l !== '');
        assert.equal(lines.length, 1, `one line on stderr: ${r.stderr}`);
        assert.match(lines[0]!, c.line);
        assert.doesNotMatch(r.stderr, /\n\s+at |Error:/, 'no stack trace');
        assert.equal(r.stdout, '', 'no output, not even a partial one');
        assert.equal(fileState(c.file), before, 'bytes, mode, owner and mtime unchanged');
        const added = beside(c.file).filter((n) => !besideBefore.includes(n));
        if (c.readerOpens && cmd.name !== 'snapshot' && cmd.name !== 'export') {
          for (const n of added) assert.ok([`${path.basename(c.file)}-wal`, `${path.basename(c.file)}-shm`].includes(n), n);
          if (added.includes(`${path.basename(c.file)}-wal`)) assert.equal(statSync(`${c.file}-wal`).size, 0, 'nothing written');
        } else assert.deepEqual(added, [], 'nothing left beside it');
        assert.equal(existsSync(path.join(dir, `export-${path.basename(c.file)}.html`)), false, 'nothing exported');
      });
    }
  }
});

test('a damaged page outside what a reader reads: the reader answers, export (which checks every page) and the writer refuse', () => {
  const file = memrecDb(path.join(dir, 'events-damaged.db'));
  damageTable(file, 'events');
  const before = fileState(file);
  const q = runCli(['query', ...RANGE, '--db', file, '--format', 'csv']);
  assert.equal(q.status, 0, q.stderr);
  assert.equal(q.stdout.trim().split('\r\n').length, 1 + 3 * snapshot(0).processes.length);
  for (const argv of [['events', ...RANGE], ['status'], ['export', ...RANGE, '--out', path.join(dir, 'e.json')], ['snapshot', '--host-root', fixture('v1-cgroupfs')]]) {
    const r = runCli([...argv, '--db', file]);
    assert.equal(r.status, 1, `${argv[0]}: ${r.stderr}`);
    assert.match(r.stderr, /^database .*events-damaged\.db is damaged: .+\n$/);
  }
  assert.equal(fileState(file), before);
});

test('modes are tightened only on a file memrec created or a sound memrec database, -wal and -shm with it', () => {
  const file = memrecDb(path.join(dir, 'shared.db'));
  chmodSync(file, 0o644);
  const r = runCli(['snapshot', '--db', file, '--host-root', fixture('v1-cgroupfs')]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(statSync(file).mode & 0o777, 0o640, 'world bits gone, the group kept');
  for (const s of ['-wal', '-shm']) if (existsSync(file + s)) assert.equal(statSync(file + s).mode & 0o007, 0, `${s} not world-readable`);
  const fresh = path.join(dir, 'new', 'sub', 'fresh.db');
  const umask = process.umask(0);
  try {
    assert.equal(runCli(['snapshot', '--db', fresh, '--host-root', fixture('v1-cgroupfs')]).status, 0);
  } finally {
    process.umask(umask);
  }
  assert.equal(statSync(fresh).mode & 0o777, 0o600);
  assert.equal(statSync(path.dirname(fresh)).mode & 0o777, 0o700);
  // an empty file becomes a memrec database (memrec writes into it, so it is made private first)
  const empty = path.join(dir, 'empty.db');
  writeFileSync(empty, '');
  chmodSync(empty, 0o666);
  assert.equal(runCli(['snapshot', '--db', empty, '--host-root', fixture('v1-cgroupfs')]).status, 0);
  assert.equal(statSync(empty).mode & 0o777, 0o660);
  copyFileSync(empty, path.join(dir, 'copy.db'));
  assert.equal(runCli(['query', ...RANGE, '--db', path.join(dir, 'copy.db')]).status, 0);
});
