import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { InputError, MemrecError } from '../src/errors.js';
import { completeOomKill } from '../src/model/oom.js';
import type { OomKill, RecorderEvent, Snapshot } from '../src/model/types.js';
import { loadMigrations } from '../src/store/migrations.js';
import { Store, type ProcessRow, type StoredSnapshot } from '../src/store/store.js';
import { owners, processSample, snapshot } from './helpers/snapshots.js';

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'memrec-store-'));
}

function withStore<T>(fn: (store: Store, dir: string) => T): T {
  const dir = tempDir();
  const store = Store.open(path.join(dir, 'memrec.db'));
  try {
    return fn(store, dir);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What snapshots() must return for a written snapshot. */
function stored(s: Snapshot, id: number): StoredSnapshot {
  const { processes: _p, owners: _o, ...rest } = s;
  return { ...rest, id };
}

/** What processRows() must return: RSS descending (stable), with the snapshot's fields. */
function rows(s: Snapshot, id: number): ProcessRow[] {
  return [...s.processes].sort((a, b) => b.rssBytes - a.rssBytes).map((p) => ({ ...p, snapshotId: id, takenAt: s.takenAt, snapshotKind: s.kind, bootId: s.bootId }));
}

const ALL = { since: 0, until: Number.MAX_SAFE_INTEGER };

test('a snapshot round-trips exactly: every owner kind, unknown fields, flags, nulls, a size that is not whole KiB', () => {
  withStore((store) => {
    const a = snapshot(1_000_000);
    const b = snapshot(2_000_000, { kind: 'burst', psi: false, allocatable: false, trigger: null });
    const ida = store.writeSnapshot(a);
    const idb = store.writeSnapshot(b);
    assert.notEqual(ida, idb);
    assert.deepStrictEqual(store.snapshots(ALL), [stored(a, ida), stored(b, idb)]);
    assert.deepStrictEqual(store.processRows(ALL), [...rows(a, ida), ...rows(b, idb)]);
    assert.deepStrictEqual(
      store.ownerRows(ALL),
      [a, b].flatMap((s, i) => s.owners.map((o) => ({ ...o, snapshotId: i === 0 ? ida : idb, takenAt: s.takenAt }))),
    );
    // the kinds the fixture must cover, so this test cannot silently stop covering one
    assert.deepStrictEqual(new Set(a.processes.map((p) => p.owner.kind)), new Set(['pod', 'service', 'user', 'kernel', 'other']));
    assert.ok(a.processes.some((p) => p.unknown !== undefined) && a.processes.some((p) => p.flags !== undefined));
  });
});

test('a process whose attributes change (updatedb walking a tree) keeps each cwd per snapshot', () => {
  withStore((store) => {
    const cwds = ['/var/lib/kubelet/pods/a', '/var/lib/kubelet/pods/b', '/var/lib/kubelet/pods/a'];
    cwds.forEach((cwd, i) => store.writeSnapshot(snapshot(1000 * (i + 1), { processes: [processSample(4242, 18_000 + i, owners.service, { cwd })] })));
    assert.deepStrictEqual(store.processRows(ALL).map((r) => [r.cwd, r.rssBytes / 1048576]), cwds.map((c, i) => [c, 18_000 + i]));
  });
});

test('time ranges are inclusive and kinds filter snapshots and processes', () => {
  withStore((store) => {
    const kinds = ['scheduled', 'burst', 'manual', 'oom'] as const;
    kinds.forEach((kind, i) => store.writeSnapshot(snapshot(1000 * (i + 1), { kind })));
    assert.deepStrictEqual(store.snapshots({ since: 2000, until: 3000 }).map((s) => s.kind), ['burst', 'manual']);
    assert.deepStrictEqual(store.snapshots(ALL, { kinds: ['oom', 'scheduled'] }).map((s) => s.takenAt), [1000, 4000]);
    assert.deepStrictEqual([...new Set(store.processRows(ALL, { kinds: ['burst'] }).map((r) => r.takenAt))], [2000]);
    assert.equal(store.processRows({ since: 1001, until: 1999 }).length, 0);
  });
});

test('process filters: pid, pod uid, owner kinds, outside pods, top per snapshot', () => {
  withStore((store) => {
    store.writeSnapshot(snapshot(1000));
    store.writeSnapshot(snapshot(2000));
    const pids = (f: Parameters<Store['processRows']>[1]): number[] => store.processRows(ALL, f).map((r) => r.pid);
    assert.deepStrictEqual(pids({ pid: 101 }), [101, 101]);
    assert.deepStrictEqual(pids({ podUid: owners.podContainer.podUid }), [100, 100]);
    assert.deepStrictEqual(pids({ ownerKinds: ['user', 'kernel'] }), [103, 104, 2, 103, 104, 2]);
    assert.deepStrictEqual(pids({ outsidePods: true, topPerSnapshot: 2 }), [4242, 103, 4242, 103]);
    assert.deepStrictEqual(pids({ topPerSnapshot: 1 }), [4242, 4242]);
    assert.deepStrictEqual(pids({ pid: 424242 }), []);
  });
});

const oom = (seq: number | null, bootId: string | null = 'boot-a'): RecorderEvent => {
  const details: OomKill = completeOomKill({
    bootId,
    kmsgSeq: seq,
    kmsgUsec: 123456789,
    pid: 4242,
    comm: 'updatedb.mlocat',
    uid: 0,
    constraint: 'CONSTRAINT_MEMCG',
    oomMemcg: '/memrec-test',
    taskMemcg: '/memrec-test',
    totalVmKb: 1000,
    anonRssKb: 900,
    fileRssKb: 10,
    shmemRssKb: 0,
    pgtablesKb: 4,
    oomScoreAdj: 0,
    global: false,
  });
  return { type: 'oom_kill', at: 5000 + (seq ?? 0), details };
};

test('events round-trip; an oom_kill is stored once per (boot id, kmsg seq); lastKmsgSeq per boot', () => {
  withStore((store) => {
    const start: RecorderEvent = { type: 'recorder_start', at: 1000, details: { version: '0.1.0', pid: 1 } };
    const burst: RecorderEvent = { type: 'burst_start', at: 2000, details: { reason: 'memory.available', values: { availableBytes: 5, psi: null } } };
    const ids = [store.writeEvent(start), store.writeEvent(burst), store.writeEvent(oom(538))];
    assert.ok(ids.every((id) => typeof id === 'number'));
    assert.equal(store.writeEvent(oom(538)), null, 'same boot and sequence: a duplicate');
    assert.equal(typeof store.writeEvent(oom(538, 'boot-b')), 'number', 'sequence numbers restart at boot');
    assert.equal(typeof store.writeEvent(oom(null)), 'number', 'without a sequence number nothing can be deduplicated');
    assert.equal(typeof store.writeEvent(oom(null)), 'number');
    store.writeEvent(oom(540));
    assert.equal(store.lastKmsgSeq('boot-a'), 540);
    assert.equal(store.lastKmsgSeq('boot-b'), 538);
    assert.equal(store.lastKmsgSeq('boot-c'), null);
    assert.deepStrictEqual(store.events({ since: 1000, until: 2000 }), [
      { ...start, id: ids[0], bootId: null },
      { ...burst, id: ids[1], bootId: null },
    ]);
    assert.deepStrictEqual(store.events(ALL, ['oom_kill']).find((e) => e.id === ids[2]), { ...oom(538), id: ids[2], bootId: 'boot-a' });
    assert.deepStrictEqual(store.events(ALL).map((e) => e.at), [1000, 2000, 5000, 5000, 5538, 5538, 5540], 'by time');
    assert.equal(store.events(ALL, ['oom_kill']).length, 5);
    assert.equal(store.stats().events, 7);
  });
});

test('stats: schema version, counts by kind, span, the last snapshot, file size', () => {
  withStore((store) => {
    const empty = store.stats();
    assert.deepStrictEqual({ ...empty, fileBytes: 0 }, { schemaVersion: loadMigrations().length, fileBytes: 0, snapshotsByKind: { scheduled: 0, burst: 0, manual: 0, oom: 0 }, firstAt: null, lastAt: null, last: null, events: 0 });
    store.writeSnapshot(snapshot(3000, { kind: 'burst' }));
    store.writeSnapshot(snapshot(1000));
    const last = snapshot(5000, { kind: 'oom', psi: false });
    const id = store.writeSnapshot(last);
    const s = store.stats();
    assert.deepStrictEqual(s.snapshotsByKind, { scheduled: 1, burst: 1, manual: 0, oom: 1 });
    assert.equal(s.firstAt, 1000);
    assert.equal(s.lastAt, 5000);
    assert.deepStrictEqual(s.last, stored(last, id));
    assert.ok(s.fileBytes > 0);
  });
});

test('file modes: a new directory is 0700, the database and its -wal/-shm are 0600; a world-readable database is fixed', () => {
  const dir = tempDir();
  try {
    const file = path.join(dir, 'state', 'memrec', 'memrec.db');
    const store = Store.open(file);
    store.writeSnapshot(snapshot(1000));
    assert.equal(statSync(path.dirname(file)).mode & 0o777, 0o700);
    assert.equal(statSync(path.join(dir, 'state')).mode & 0o777, 0o700);
    for (const f of [file, `${file}-wal`, `${file}-shm`]) assert.equal(statSync(f).mode & 0o777, 0o600, f);
    store.close();
    chmodSync(file, 0o644);
    Store.open(file).close();
    assert.equal(statSync(file).mode & 0o777, 0o640);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('missing, empty, garbage and non-memrec files are refused with one clear line', () => {
  const dir = tempDir();
  try {
    const missing = path.join(dir, 'nope.db');
    assert.throws(() => Store.open(missing, { readonly: true }), (e: unknown) => e instanceof InputError && e.message === `no database at ${missing} (run memrec record, or pass --db)`);
    assert.equal(existsSync(missing), false, 'a reader creates nothing');
    const garbage = path.join(dir, 'garbage.db');
    writeFileSync(garbage, Buffer.from('this is not sqlite, just some bytes '.repeat(200)));
    for (const readonly of [true, false]) {
      assert.throws(() => Store.open(garbage, { readonly }), (e: unknown) => e instanceof InputError && e.message === `${garbage} is not a SQLite database (expected a memrec database)`);
    }
    const empty = path.join(dir, 'empty.db');
    writeFileSync(empty, '');
    assert.throws(() => Store.open(empty, { readonly: true }), (e: unknown) => e instanceof InputError && /is empty: not a memrec database/.test(e.message));
    const other = path.join(dir, 'other.db');
    const db = new Database(other);
    db.exec('CREATE TABLE t (x)');
    db.close();
    assert.throws(() => Store.open(other), (e: unknown) => e instanceof InputError && /is a SQLite database but not a memrec database/.test(e.message));
    // a valid header with a corrupt body
    const corrupt = path.join(dir, 'corrupt.db');
    const good = Store.open(corrupt);
    good.writeSnapshot(snapshot(1000));
    good.close();
    const bytes = Buffer.alloc(100 * 1024, 0xa5);
    Buffer.from('SQLite format 3\0').copy(bytes);
    writeFileSync(corrupt, bytes);
    assert.throws(() => Store.open(corrupt, { readonly: true }), (e: unknown) => e instanceof InputError && e.message.startsWith(`${corrupt} is not a SQLite database or is corrupt`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a read-only store refuses to write with a clear error', () => {
  withStore((store, dir) => {
    store.writeSnapshot(snapshot(1000));
    const ro = Store.open(path.join(dir, 'memrec.db'), { readonly: true });
    try {
      assert.equal(ro.snapshots(ALL).length, 1);
      assert.throws(() => ro.writeSnapshot(snapshot(2000)), (e: unknown) => e instanceof MemrecError && /is open read-only/.test(e.message));
    } finally {
      ro.close();
    }
  });
});

test('a value that cannot be stored fails the whole snapshot and names the field and pid', () => {
  withStore((store) => {
    store.writeSnapshot(snapshot(1000));
    const bad = snapshot(2000, { processes: [processSample(77, 1, owners.kernel), processSample(78, 1, owners.kernel, { rssBytes: -1 })] });
    assert.throws(() => store.writeSnapshot(bad), (e: unknown) => e instanceof MemrecError && /rssBytes of pid 78/.test(e.message));
    assert.deepStrictEqual(store.snapshots(ALL).map((s) => s.takenAt), [1000]);
    // the rolled-back transaction left no cached ids behind: the same process writes fine now
    store.writeSnapshot(snapshot(3000, { processes: [processSample(77, 1, owners.kernel)] }));
    assert.deepStrictEqual(store.processRows({ since: 3000, until: 3000 }).map((r) => r.pid), [77]);
  });
});

test('exportRange writes a standalone database with only the range, openable by Store.open', () => {
  withStore((store, dir) => {
    const snaps = [snapshot(1000), snapshot(2000, { kind: 'burst' }), snapshot(3000, { processes: [processSample(9, 1, owners.other, { cmdline: 'only-in-3000' })] })];
    const ids = snaps.map((s) => store.writeSnapshot(s));
    store.writeEvent({ type: 'recorder_start', at: 500, details: { version: '0.1.0', pid: 1 } });
    const evId = store.writeEvent(oom(7));
    const out = path.join(dir, 'export', 'incident.db');
    store.exportRange({ since: 1000, until: 5100 }, out);
    const ex = Store.open(out, { readonly: true });
    try {
      assert.deepStrictEqual(ex.snapshots(ALL), snaps.map((s, i) => stored(s, ids[i] as number)));
      const r2 = { since: 2000, until: 3000 };
      const sub = path.join(dir, 'sub.db');
      store.exportRange(r2, sub);
      const exSub = Store.open(sub, { readonly: true });
      try {
        assert.deepStrictEqual(exSub.snapshots(ALL), store.snapshots(r2));
        assert.deepStrictEqual(exSub.processRows(ALL), store.processRows(r2));
        assert.deepStrictEqual(exSub.ownerRows(ALL), store.ownerRows(r2));
        assert.deepStrictEqual(exSub.events(ALL), []);
      } finally {
        exSub.close();
      }
      assert.deepStrictEqual(ex.events(ALL), [{ ...oom(7), id: evId, bootId: 'boot-a' }]);
      assert.equal(statSync(out).mode & 0o777, 0o600);
      // what only an excluded snapshot used is not in the export
      const raw = new Database(sub, { readonly: true });
      try {
        assert.equal(raw.prepare(`SELECT count(*) FROM strings WHERE value = 'only-in-3000'`).pluck().get(), 1);
      } finally {
        raw.close();
      }
      const early = path.join(dir, 'early.db');
      store.exportRange({ since: 0, until: 1500 }, early);
      const rawEarly = new Database(early, { readonly: true });
      try {
        assert.equal(rawEarly.prepare(`SELECT count(*) FROM strings WHERE value = 'only-in-3000'`).pluck().get(), 0);
        assert.equal(rawEarly.prepare('PRAGMA integrity_check').pluck().get(), 'ok');
      } finally {
        rawEarly.close();
      }
    } finally {
      ex.close();
    }
    assert.throws(() => store.exportRange(ALL, out), (e: unknown) => e instanceof InputError && e.message === `${out} already exists: export writes a new database`);
  });
});

test('a row that a snapshot references but the database lost is one clear InputError naming the table', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'memrec-lost-row-'));
  try {
    const file = path.join(dir, 'memrec.db');
    const w = Store.open(file);
    w.writeSnapshot(snapshot(1_700_000_000_000, { processes: [processSample(4242, 100, owners.service)] }));
    w.close();
    const raw = new Database(file);
    raw.pragma('foreign_keys = OFF');
    raw.prepare('DELETE FROM procs').run();
    raw.close();
    const r = Store.open(file, { readonly: true });
    try {
      assert.throws(
        () => r.processRows({ since: 0, until: 2_000_000_000_000 }),
        (err: unknown) => err instanceof InputError && /^procs row \d+ is missing \(corrupt database\?\)$/.test(err.message),
      );
    } finally {
      r.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
