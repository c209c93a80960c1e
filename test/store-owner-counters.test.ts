// Owner cgroup counters are stored split (schema 4, owner blob format 3): what did not change (path, limit, high,
// a peak and event counts that stay) once in an owner_cgroups row, what moves in each snapshot's blob. Every value
// must read back exactly whichever way it was stored; every blob must decode alone after a restart, a rollback,
// retention and an export; and databases written before (format 2 blobs) must read as they did.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { OwnerAggregate, OwnerCgroupCounters, Snapshot } from '../src/model/types.js';
import { Store } from '../src/store/store.js';
import { fixture } from './helpers/paths.js';
import { aggregate, counters, MiB, owners, snapshot } from './helpers/snapshots.js';

const ALL = { since: 0, until: Number.MAX_SAFE_INTEGER };
const MINUTE = 60_000;
const t0 = Date.UTC(2026, 10, 30, 2, 0, 0);

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(path.join(tmpdir(), 'memrec-owner-counters-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function sql<T>(file: string, query: string, ...params: unknown[]): T {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(query).pluck().get(...params) as T;
  } finally {
    db.close();
  }
}

const SVC = '/system.slice/updatedb.service';
const POD = '/kubepods/burstable/pod8f3c2a1e-5b6d-4c7e-9f80-1a2b3c4d5e6f';
const POD_MOVED = '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod8f3c2a1e_5b6d_4c7e_9f80_1a2b3c4d5e6f.slice';

/**
 * The owners of snapshot i of a sequence: usage moves every time (not always whole KiB); the service's peak stays,
 * then grows for three snapshots in a row, then stays again, and its failcnt moves late; the pod keeps hitting its
 * limit (max events every snapshot), its limit is raised once and its cgroup moves once; one owner has a peak but no
 * usage and one only a path; the kernel has no cgroup.
 */
function ownersAt(i: number): OwnerAggregate[] {
  const svcPeak = i < 3 ? 500 * MiB : i < 6 ? 500 * MiB + i * 4096 : 520 * MiB + 1;
  const svc = counters(SVC, 100 + i, { usageBytes: (100 + i) * MiB + (i % 2) * 123, peakBytes: svcPeak, limitBytes: 20_480 * MiB, failcnt: i < 6 ? 0 : i, oomKills: 1 });
  const pod: OwnerCgroupCounters = {
    path: i < 5 ? POD : POD_MOVED,
    usageBytes: 1300 * MiB - i * 4096,
    peakBytes: 2048 * MiB,
    limitBytes: i < 4 ? 2048 * MiB : 4096 * MiB,
    highBytes: 1536 * MiB,
    failcnt: null,
    oomKills: 2,
    highEvents: 0,
    maxEvents: 1000 + i,
    oomEvents: 2,
  };
  const none = { usageBytes: null, peakBytes: null, limitBytes: null, highBytes: null, failcnt: null, oomKills: null, highEvents: null, maxEvents: null, oomEvents: null };
  return [
    aggregate(`service:${SVC}`, owners.service, 2, 18_000 + i, 0, svc),
    aggregate('pod:8f3c2a1e-5b6d-4c7e-9f80-1a2b3c4d5e6f', { ...owners.podContainer, containerId: null, runtime: null, container: null, containerType: null }, 12, 1200, i * 4096, pod),
    aggregate('other:/memrec-test', owners.other, 1, 10, 0, { ...none, path: '/memrec-test', peakBytes: (i < 4 ? 64 : 64 + i) * MiB }),
    aggregate('user:/user.slice/user-1000.slice/session-4.scope', owners.user, 1, 100, 0, { ...none, path: '/user.slice/user-1000.slice/session-4.scope' }),
    aggregate('kernel', owners.kernel, 200, 0, 0, null),
  ];
}

function snap(i: number, kind: Snapshot['kind'] = 'scheduled'): Snapshot {
  return { ...snapshot(t0 + i * MINUTE, { kind }), owners: ownersAt(i) };
}

/** What ownerRows() must return for written snapshots. */
function expectedRows(written: Array<{ s: Snapshot; id: number }>): unknown[] {
  return written.flatMap(({ s, id }) => s.owners.map((o) => ({ ...o, snapshotId: id, takenAt: s.takenAt })));
}

test('owner counters round-trip exactly, changed and unchanged between snapshots; what stays is stored once', () => {
  withDir((dir) => {
    const file = path.join(dir, 'memrec.db');
    const store = Store.open(file);
    const written: Array<{ s: Snapshot; id: number }> = [];
    for (let i = 0; i < 3; i++) written.push({ s: snap(i), id: store.writeSnapshot(snap(i)) });
    // three snapshots where only usage and the pod's max events moved: the pod's counts went to its blob, one row each
    assert.equal(sql<number>(file, 'SELECT count(*) FROM owner_cgroups'), 5 + 1);
    for (let i = 3; i < 10; i++) written.push({ s: snap(i), id: store.writeSnapshot(snap(i)) });
    assert.deepStrictEqual(store.ownerRows(ALL), expectedRows(written));
    // the fold culprits reads (a scan of the same blobs) sees the same limits and peaks
    const peaks = store.peaks(ALL);
    const pod = peaks.owners.find((o) => o.key.startsWith('pod:'))!;
    assert.deepStrictEqual([pod.cgroupLimitBytes, pod.cgroup], [4096 * MiB, POD_MOVED]);
    store.close();
    // a pod at its limit (max events every snapshot) does not cost a row per snapshot: its first, the one that leaves
    // the counts to the blob, and one for each real change (the limit, the path)
    const podOwner = sql<number>(file, `SELECT id FROM owners WHERE key = 'pod:8f3c2a1e-5b6d-4c7e-9f80-1a2b3c4d5e6f'`);
    assert.equal(sql<number>(file, 'SELECT count(*) FROM owner_cgroups WHERE owner_id = ?', podOwner), 4);
    assert.ok(sql<number>(file, 'SELECT count(*) FROM owner_cgroups') < 20);
    // the blobs are format 3 and carry no path, limit or high: a few bytes per owner
    assert.deepStrictEqual(sql<number>(file, 'SELECT count(*) FROM snapshots WHERE substr(owner_pack, 1, 1) = x\'03\''), 10);
    assert.ok(sql<number>(file, 'SELECT max(length(owner_pack)) FROM snapshots') < 5 * 12);
  });
});

test('a restart and a rolled-back write between snapshots: every snapshot still reads exactly', () => {
  withDir((dir) => {
    const file = path.join(dir, 'memrec.db');
    const written: Array<{ s: Snapshot; id: number }> = [];
    let store = Store.open(file);
    for (let i = 0; i < 5; i++) written.push({ s: snap(i), id: store.writeSnapshot(snap(i)) });
    store.close();
    // a new recorder knows nothing of the previous snapshot: its first one stands alone
    store = Store.open(file);
    written.push({ s: snap(5), id: store.writeSnapshot(snap(5)) });
    // a write that rolls back after new owner_cgroups rows were made: the ids cached for them name no row afterwards
    // (or the next rows made), so the same counters written again must make their rows again
    const raised: Snapshot = { ...snap(6), owners: ownersAt(6).map((o) => (o.cgroup === null ? o : { ...o, cgroup: { ...o.cgroup, limitBytes: 12_345 * MiB } })) };
    assert.throws(
      () =>
        store.batch(() => {
          store.writeSnapshot(raised);
          throw new Error('power cut');
        }),
      /power cut/,
    );
    assert.equal(sql<number>(file, 'SELECT count(*) FROM owner_cgroups WHERE limit_bytes = ?', 12_345 * MiB), 0);
    written.push({ s: raised, id: store.writeSnapshot(raised) });
    written.push({ s: snap(7), id: store.writeSnapshot(snap(7)) });
    written.push({ s: snap(8), id: store.writeSnapshot(snap(8)) });
    assert.deepStrictEqual(store.ownerRows(ALL), expectedRows(written));
    store.close();
    const ro = Store.open(file, { readonly: true });
    assert.deepStrictEqual(ro.ownerRows(ALL), expectedRows(written));
    ro.close();
  });
});

test('retention deletes the snapshot that first stored a value: the later ones still read it; rows no snapshot uses go', () => {
  withDir((dir) => {
    const file = path.join(dir, 'memrec.db');
    const store = Store.open(file);
    const written: Array<{ s: Snapshot; id: number }> = [];
    for (let i = 0; i < 10; i++) written.push({ s: snap(i), id: store.writeSnapshot(snap(i)) });
    const before = sql<number>(file, 'SELECT count(*) FROM owner_cgroups');
    // the first six go: they made the rows of the old limit and of the pod's first cgroup path
    const r = store.applyRetention({ retainMs: 4 * MINUTE, maxBytes: 1 << 30, now: t0 + 9 * MINUTE + 30_000 });
    assert.equal(r.deletedSnapshots, 6);
    const kept = written.slice(6);
    assert.deepStrictEqual(store.ownerRows(ALL), expectedRows(kept));
    assert.ok(sql<number>(file, 'SELECT count(*) FROM owner_cgroups') < before);
    assert.equal(sql<number>(file, 'SELECT count(*) FROM owner_cgroups WHERE limit_bytes = ?', 2048 * MiB), 0, 'the old limit is not referenced any more');
    assert.equal(sql<number>(file, 'SELECT count(*) FROM strings WHERE value = ?', POD), 0, 'nor the old path');
    assert.equal(sql<number>(file, 'SELECT count(*) FROM strings WHERE value = ?', POD_MOVED), 1);
    // an export of a range that starts after the snapshot that made its rows stands alone too
    const out = path.join(dir, 'tail.db');
    store.exportRange({ since: t0 + 7 * MINUTE, until: t0 + 9 * MINUTE }, out);
    const ex = Store.open(out, { readonly: true });
    assert.deepStrictEqual(ex.ownerRows(ALL), expectedRows(written.slice(7)));
    ex.close();
    // and the writer continues after retention collected rows (its caches were cleared)
    written.push({ s: snap(10), id: store.writeSnapshot(snap(10)) });
    assert.deepStrictEqual(store.ownerRows(ALL), expectedRows([...kept, written[10]!]));
    store.close();
  });
});

test('a schema 3 database with format 2 owner blobs is upgraded in place and reads as it did, beside format 3', () => {
  withDir((dir) => {
    const file = path.join(dir, 'memrec.db');
    const old = new Database(file);
    old.exec(readFileSync(fixture('db', 'schema3-format2.sql'), 'utf8'));
    old.close();
    assert.equal(sql<number>(file, 'SELECT count(*) FROM snapshots WHERE substr(owner_pack, 1, 1) = x\'02\''), 2);
    assert.throws(() => Store.open(file, { readonly: true }), /has schema version 3, this memrec needs \d+: run any writing command/);
    const w = Store.open(file);
    // the rows that memrec wrote: test/helpers/snapshots.ts's snapshot() at t0 and a minute later, counters and all
    const oldSnaps = [snapshot(t0), snapshot(t0 + MINUTE, { kind: 'burst' })];
    const oldIds = w.snapshots(ALL).map((s) => s.id);
    const oldRows = expectedRows(oldSnaps.map((s, i) => ({ s, id: oldIds[i]! })));
    assert.deepStrictEqual(w.ownerRows(ALL), oldRows);
    // new snapshots beside them are format 3; both read together, in the fold too
    const next = [snap(5), snap(6)].map((s) => ({ ...s, takenAt: s.takenAt + 10 * MINUTE }));
    const newRows = expectedRows(next.map((s) => ({ s, id: w.writeSnapshot(s) })));
    assert.deepStrictEqual(w.ownerRows(ALL), [...oldRows, ...newRows]);
    assert.equal(w.peaks(ALL).snapshots, 4);
    // retention's orphan sweep reads both formats: the old scheduled snapshot goes, the burst one is evidence
    const r = w.applyRetention({ retainMs: 15.5 * MINUTE, maxBytes: 1 << 30, now: next[1]!.takenAt });
    assert.equal(r.deletedSnapshots, 1);
    assert.deepStrictEqual(w.ownerRows(ALL), [...(oldRows.slice(oldSnaps[0]!.owners.length)), ...newRows], 'format 2 paths and owners survive the sweep');
    w.close();
  });
});

test('random counters, each field changing or not at random, with restarts: every snapshot reads back exactly', () => {
  withDir((dir) => {
    const file = path.join(dir, 'memrec.db');
    // mulberry32, seeded: the same sequence every run
    let a = 7;
    const rand = (): number => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = Math.imul(a ^ (a >>> 15), a | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const maybe = (p: number): boolean => rand() < p;
    // a size: whole pages mostly, sometimes bytes, sometimes unknown
    const size = (): number | null => (maybe(0.1) ? null : maybe(0.8) ? Math.floor(rand() * 2 ** 20) * 4096 : Math.floor(rand() * 2 ** 40));
    const count = (): number | null => (maybe(0.1) ? null : maybe(0.6) ? 0 : Math.floor(rand() * 1e6));
    const paths = ['/a.slice/x.service', '/b.slice/y.service', '/kubepods/pod1'];
    const keys = ['service:/a.slice/x.service', 'service:/b.slice/y.service', 'other:/kubepods/pod1'];
    let cur: Array<OwnerCgroupCounters | null> = paths.map((p) => ({ path: p, usageBytes: size(), peakBytes: size(), limitBytes: size(), highBytes: size(), failcnt: count(), oomKills: count(), highEvents: count(), maxEvents: count(), oomEvents: count() }));
    const written: Array<{ s: Snapshot; id: number }> = [];
    let store = Store.open(file);
    for (let i = 0; i < 80; i++) {
      cur = cur.map((c, k) => {
        if (maybe(0.05)) return c === null ? { path: paths[k]!, usageBytes: size(), peakBytes: size(), limitBytes: size(), highBytes: size(), failcnt: count(), oomKills: count(), highEvents: count(), maxEvents: count(), oomEvents: count() } : null;
        if (c === null) return null;
        const n = { ...c, usageBytes: size() };
        if (maybe(0.3)) n.peakBytes = size();
        if (maybe(0.05)) n.limitBytes = size();
        if (maybe(0.05)) n.highBytes = size();
        for (const f of ['failcnt', 'oomKills', 'highEvents', 'maxEvents', 'oomEvents'] as const) if (maybe(0.15)) n[f] = count();
        if (maybe(0.03)) n.path = `${paths[k]}/moved-${i}`;
        return n;
      });
      const s: Snapshot = { ...snapshot(t0 + i * MINUTE), owners: cur.map((c, k) => aggregate(keys[k]!, { kind: 'other', cgroup: paths[k]! }, 1 + k, 10 + i, maybe(0.5) ? 0 : 4096 * i, c)) };
      written.push({ s, id: store.writeSnapshot(s) });
      if (maybe(0.1)) {
        store.close();
        store = Store.open(file);
      }
    }
    assert.deepStrictEqual(store.ownerRows(ALL), expectedRows(written));
    // what the fold reads: each owner's limit at its last snapshot with a cgroup
    const peaks = store.peaks(ALL);
    for (const [k, key] of keys.entries()) {
      const last = [...written].reverse().find(({ s }) => s.owners[k]!.cgroup !== null);
      const o = peaks.owners.find((x) => x.key === key)!;
      if (last !== undefined) assert.equal(o.cgroupLimitBytes, last.s.owners[k]!.cgroup!.limitBytes, key);
    }
    store.close();
  });
});
