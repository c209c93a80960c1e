import type { Owner } from '../src/model/types.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { InputError } from '../src/errors.js';
import { defaultMigrationsDir, loadMigrations } from '../src/store/migrations.js';
import { Store } from '../src/store/store.js';
import { fixture as fixturePath } from './helpers/paths.js';
import { snapshot } from './helpers/snapshots.js';

const ALL = { since: 0, until: Number.MAX_SAFE_INTEGER };

interface Fixture {
  dir: string;
  file: string;
  /** a copy of the shipped migrations to edit or extend */
  migrations: string;
}

function fixture(fn: (f: Fixture) => void): void {
  const dir = mkdtempSync(path.join(tmpdir(), 'memrec-migr-'));
  const migrations = path.join(dir, 'migrations');
  cpSync(defaultMigrationsDir(), migrations, { recursive: true });
  const file = path.join(dir, 'memrec.db');
  const s = Store.open(file);
  s.writeSnapshot(snapshot(1000));
  s.close();
  try {
    fn({ dir, file, migrations });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function sha(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/**
 * Open must throw `message` and leave the file byte for byte as it was. A read-only SQLite connection
 * cannot delete the -wal it opened, so an empty one may remain; it must hold nothing.
 */
function refusedUntouched(file: string, message: RegExp, opts: { migrationsDir?: string } = {}): void {
  const before = sha(file);
  for (const readonly of [false, true]) {
    assert.throws(
      () => Store.open(file, { ...opts, readonly }),
      (e: unknown) => e instanceof InputError && message.test(e.message) && !e.message.includes('\n'),
    );
    assert.equal(sha(file), before, 'nothing was written');
    assert.equal(existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0, 0, 'no WAL content');
  }
}

function sql(file: string, statements: string): void {
  const db = new Database(file);
  db.exec(statements);
  db.close();
}

test('a fresh database records every migration with its sha256 and the schema version', () => {
  fixture(({ file }) => {
    const db = new Database(file, { readonly: true });
    const known = loadMigrations();
    assert.deepStrictEqual(
      db.prepare('SELECT version, name, sha256 FROM schema_migrations ORDER BY version').all(),
      known.map((m) => ({ version: m.version, name: m.name, sha256: createHash('sha256').update(readFileSync(path.join(defaultMigrationsDir(), `${m.name}.sql`))).digest('hex') })),
    );
    assert.equal(db.pragma('user_version', { simple: true }), known.length);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('auto_vacuum', { simple: true }), 2);
    assert.deepStrictEqual(
      (db.prepare(`SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).all() as { name: string; sql: string }[]).filter((t) => !/\)\s*STRICT/.test(t.sql)).map((t) => t.name),
      [],
      'every table is STRICT',
    );
    db.close();
  });
});

test('re-opening is idempotent: no migration runs twice and the data stays', () => {
  fixture(({ file }) => {
    for (let i = 0; i < 3; i++) Store.open(file).close();
    const db = new Database(file, { readonly: true });
    assert.equal(db.prepare('SELECT count(*) FROM schema_migrations').pluck().get(), loadMigrations().length);
    db.close();
    const s = Store.open(file, { readonly: true });
    assert.equal(s.snapshots(ALL).length, 1);
    s.close();
  });
});

test('an edited migration is refused and nothing is written', () => {
  fixture(({ file, migrations }) => {
    appendFileSync(path.join(migrations, '0001_initial.sql'), '\n-- an innocent-looking edit\n');
    refusedUntouched(file, /recorded migration 0001_initial with sha256 [0-9a-f]{12}…, but this memrec's 0001_initial\.sql has [0-9a-f]{12}…: a migration was edited after it was applied; refusing to touch the database/, { migrationsDir: migrations });
  });
});

test('a database from a newer memrec (higher user_version) is refused and nothing is written', () => {
  fixture(({ file }) => {
    sql(file, 'PRAGMA user_version = 70');
    refusedUntouched(file, new RegExp(`has schema version 70, this memrec knows up to ${loadMigrations().length}: it was written by a newer memrec; upgrade memrec to read it`));
  });
});

test('an unknown migration recorded in the database is refused and nothing is written', () => {
  fixture(({ file }) => {
    // as a newer memrec would leave it, but with user_version not (yet) raised
    const next = loadMigrations().length + 1;
    sql(file, `INSERT INTO schema_migrations VALUES (${next}, '${String(next).padStart(4, '0')}_future', '${'0'.repeat(64)}', 0)`);
    refusedUntouched(file, /has migration \d{4}_future that this memrec does not know: it was written by a newer memrec/);
  });
});

test('a newer migration is applied once on open for writing; a reader asks for that first', () => {
  fixture(({ file, migrations }) => {
    const known = loadMigrations();
    const n = known.length + 1;
    const name = `${String(n).padStart(4, '0')}_note`;
    writeFileSync(path.join(migrations, `${name}.sql`), 'CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL) STRICT;\n');
    assert.throws(
      () => Store.open(file, { readonly: true, migrationsDir: migrations }),
      (e: unknown) => e instanceof InputError && new RegExp(`has schema version ${n - 1}, this memrec needs ${n}: run any writing command \\(memrec record\\) once to upgrade it`).test(e.message),
    );
    Store.open(file, { migrationsDir: migrations }).close();
    Store.open(file, { migrationsDir: migrations }).close();
    const db = new Database(file, { readonly: true });
    assert.deepStrictEqual(db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').raw().all(), [...known.map((m) => [m.version, m.name]), [n, name]]);
    assert.equal(db.pragma('user_version', { simple: true }), n);
    db.close();
    // and the memrec that only knows the shipped ones now refuses it
    refusedUntouched(file, new RegExp(`schema version ${n}, this memrec knows up to ${n - 1}`));
  });
});

test('a failing migration leaves the database as it was (one transaction)', () => {
  fixture(({ file, migrations }) => {
    const n = loadMigrations().length;
    writeFileSync(path.join(migrations, `${String(n + 1).padStart(4, '0')}_broken.sql`), 'CREATE TABLE half (x INTEGER) STRICT;\nTHIS IS NOT SQL;\n');
    assert.throws(() => Store.open(file, { migrationsDir: migrations }));
    const db = new Database(file, { readonly: true });
    assert.equal(db.pragma('user_version', { simple: true }), n);
    assert.equal(db.prepare(`SELECT count(*) FROM sqlite_schema WHERE name = 'half'`).pluck().get(), 0);
    db.close();
  });
});

test('a schema 1 database with format 1 blobs (memrec 0.1.0) is upgraded in place; its rows read with the new fields null', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'memrec-v1db-'));
  try {
    const file = path.join(dir, 'memrec.db');
    const old = new Database(file);
    old.exec(readFileSync(fixturePath('db', 'schema1-format1.sql'), 'utf8'));
    old.close();
    assert.throws(() => Store.open(file, { readonly: true }), /has schema version 1, this memrec needs \d+: run any writing command/);
    const w = Store.open(file);
    const t0 = Date.UTC(2026, 10, 27, 2, 0, 0);
    // the rows 0.1.0 wrote: every process and owner of the helper's snapshot, with what 0.1.0 did not record as null
    const expected = snapshot(t0);
    const rows = w.processRows({ since: t0, until: t0 });
    assert.equal(rows.length, expected.processes.length);
    for (const r of rows) {
      const p = expected.processes.find((x) => x.pid === r.pid)!;
      assert.equal(r.rssBytes, p.rssBytes, `pid ${r.pid} rss`);
      assert.equal(r.cpuPercent, p.cpuPercent, `pid ${r.pid} cpu`);
      assert.equal(r.peakRssBytes, null, `pid ${r.pid}: format 1 has no peak RSS`);
    }
    const owners = w.ownerRows({ since: t0, until: t0 });
    // 0.1.0 kept no service or session cgroup: those owners keep the unit-name keys they were stored with
    const oldKey = (k: string, o: Owner): string => (o.kind === 'service' || o.kind === 'user' ? `${o.kind}:${o.unit}` : k);
    assert.deepStrictEqual(owners.map((o) => [o.key, o.rssBytes, o.cgroup]), expected.owners.map((o) => [oldKey(o.key, o.owner), o.rssBytes, null]));
    assert.deepStrictEqual(w.snapshots(ALL).map((s) => s.bootId), [null, null, null]);
    assert.deepStrictEqual(w.events(ALL).map((e) => [e.type, e.bootId]), [['recorder_start', null], ['oom_kill', 'b0a1c2d3-0000-4000-8000-000000000001']]);
    // a new snapshot beside them is format 2; both read together, and retention's orphan sweep reads both
    const next = snapshot(t0 + 10 * 60_000);
    w.writeSnapshot(next);
    const both = w.processRows(ALL);
    assert.equal(both.length, 4 * expected.processes.length);
    assert.deepStrictEqual(both.filter((r) => r.takenAt === next.takenAt).map((r) => r.peakRssBytes).sort(), next.processes.map((p) => p.peakRssBytes).sort());
    assert.deepStrictEqual(w.ownerRows({ since: next.takenAt, until: next.takenAt }).map((o) => o.cgroup), next.owners.map((o) => o.cgroup));
    assert.equal(w.peaks(ALL).snapshots, 4);
    const r = w.applyRetention({ retainMs: 5 * 60_000, maxBytes: 1 << 30, now: next.takenAt + 1 });
    assert.deepStrictEqual([r.deletedSnapshots, w.snapshots(ALL).length], [2, 2]); // the old scheduled ones go, the burst one is evidence
    assert.deepStrictEqual(w.ownerRows({ since: next.takenAt, until: next.takenAt }).map((o) => o.cgroup), next.owners.map((o) => o.cgroup), 'owner cgroup paths survive the string sweep');
    w.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
