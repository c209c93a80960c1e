import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { SnapshotKind } from '../src/model/types.js';
import { Store } from '../src/store/store.js';
import { RecorderProcess, withStore as readStore } from './helpers/recorder.js';
import { owners, processSample, snapshot } from './helpers/snapshots.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2025, 0, 31);
const ALL = { since: 0, until: Number.MAX_SAFE_INTEGER };

function withStore(fn: (store: Store, file: string) => void): void {
  const dir = mkdtempSync(path.join(tmpdir(), 'memrec-ret-'));
  const file = path.join(dir, 'memrec.db');
  const store = Store.open(file);
  try {
    fn(store, file);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One snapshot per kind per day, `days` days back; each with a process whose cmdline names its day. */
function fill(store: Store, days: number): void {
  for (let d = days; d >= 1; d--) {
    for (const [i, kind] of (['scheduled', 'manual', 'burst', 'oom'] as SnapshotKind[]).entries()) {
      const at = NOW - d * DAY + i * 1000;
      store.writeSnapshot(snapshot(at, { kind, processes: [processSample(1000 + d, 100, owners.service, { cmdline: `day ${d} ${kind}` }), processSample(1, 10, owners.kernel)] }));
    }
    store.writeEvent({ type: 'burst_start', at: NOW - d * DAY, details: { reason: `day ${d}`, values: {} } });
  }
}

/** The data's size, as retention measures it (pages in use). */
function dataBytes(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    const n = (p: string): number => db.pragma(p, { simple: true }) as number;
    return (n('page_count') - n('freelist_count')) * n('page_size');
  } finally {
    db.close();
  }
}

function count(file: string, sql: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).pluck().get() as number;
  } finally {
    db.close();
  }
}

test('by age: scheduled and manual go at the retention, burst, oom and events only at twice the retention', () => {
  withStore((store, file) => {
    fill(store, 10);
    const r = store.applyRetention({ retainMs: 3 * DAY + 1, maxBytes: 1 << 30, now: NOW });
    const left = store.snapshots(ALL);
    const days = (kind: SnapshotKind): number[] => left.filter((s) => s.kind === kind).map((s) => Math.round((NOW - s.takenAt) / DAY));
    assert.deepStrictEqual(days('scheduled'), [3, 2, 1]);
    assert.deepStrictEqual(days('manual'), [3, 2, 1]);
    assert.deepStrictEqual(days('burst'), [6, 5, 4, 3, 2, 1]);
    assert.deepStrictEqual(days('oom'), [6, 5, 4, 3, 2, 1]);
    assert.deepStrictEqual(store.events(ALL).map((e) => Math.round((NOW - e.at) / DAY)), [6, 5, 4, 3, 2, 1]);
    assert.equal(r.deletedSnapshots, 7 * 2 + 4 * 2);
    assert.equal(r.deletedEvents, 4);
    // what only deleted snapshots used is gone too
    assert.equal(count(file, `SELECT count(*) FROM strings WHERE value LIKE 'day 9 %'`), 0);
    assert.equal(count(file, `SELECT count(*) FROM strings WHERE value = 'day 3 scheduled'`), 1);
    assert.equal(count(file, 'SELECT count(*) FROM procs WHERE pid = 1009'), 0);
    assert.equal(count(file, 'PRAGMA integrity_check') as unknown, 'ok');
    // and everything left still reads back whole
    assert.equal(store.processRows(ALL).length, left.length * 2);
    assert.equal(store.ownerRows(ALL).length, left.length * snapshot(0).owners.length);
  });
});

test('by size: oldest scheduled first, then manual, then burst/oom, events last; the file shrinks', () => {
  withStore((store, file) => {
    fill(store, 60);
    // bigger snapshots so that size, not the fixed pages of the schema, dominates
    for (let i = 0; i < 300; i++) store.writeSnapshot(snapshot(NOW - 70 * DAY + i, { kind: 'scheduled', processes: Array.from({ length: 200 }, (_, k) => processSample(5000 + k, 1 + k, owners.other, { cmdline: `filler ${i} ${k}` })) }));
    const before = dataBytes(file);
    const kinds = (): Record<SnapshotKind, number> => store.stats().snapshotsByKind;

    // 1: a limit that deleting scheduled snapshots alone can meet
    const r1 = store.applyRetention({ retainMs: 365 * DAY, maxBytes: Math.floor(before * 0.5), now: NOW });
    assert.ok(r1.deletedSnapshots > 0 && kinds().scheduled < 360, JSON.stringify(kinds()));
    assert.ok(dataBytes(file) <= before * 0.5, `${dataBytes(file)} <= ${before * 0.5}`);
    assert.deepStrictEqual([kinds().manual, kinds().burst, kinds().oom], [60, 60, 60], 'only scheduled snapshots went');
    const scheduled = store.snapshots(ALL, { kinds: ['scheduled'] }).map((s) => s.takenAt);
    // the 300 fillers are the oldest scheduled snapshots (70 days back): some of them went, no daily one did
    assert.equal(scheduled.filter((t) => t > NOW - 61 * DAY).length, 60, 'newer scheduled snapshots kept');
    assert.ok(r1.fileBytesAfter < r1.fileBytesBefore, `${r1.fileBytesAfter} < ${r1.fileBytesBefore}: space is handed back`);

    // 2: a limit below what burst/oom alone take: scheduled and manual are gone before any burst
    const r2 = store.applyRetention({ retainMs: 365 * DAY, maxBytes: 1, now: NOW });
    assert.ok(r2.deletedSnapshots > 0);
    const k = kinds();
    assert.deepStrictEqual([k.scheduled, k.manual, k.burst, k.oom], [0, 0, 0, 0]);
    assert.equal(store.stats().events, 0, 'events go last, when nothing else is left');
    assert.equal(count(file, 'PRAGMA integrity_check') as unknown, 'ok');
    // the store keeps working after being emptied
    store.writeSnapshot(snapshot(NOW));
    assert.equal(store.processRows(ALL).length, snapshot(NOW).processes.length);
  });
});

test('by size, evidence survives while scheduled snapshots can pay', () => {
  withStore((store, file) => {
    fill(store, 30);
    for (let i = 0; i < 200; i++) store.writeSnapshot(snapshot(NOW - 40 * DAY + i * 60_000, { kind: 'scheduled', processes: Array.from({ length: 100 }, (_, k) => processSample(5000 + k, 1 + k, owners.other, { cmdline: `filler ${i} ${k}` })) }));
    const total = dataBytes(file);
    store.applyRetention({ retainMs: 365 * DAY, maxBytes: Math.floor(total * 0.7), now: NOW });
    const k = store.stats().snapshotsByKind;
    assert.ok(k.scheduled < 230, `some scheduled snapshots went (${k.scheduled} left)`);
    assert.deepStrictEqual([k.burst, k.oom, store.stats().events], [30, 30, 30]);
  });
});

test('at the cutoff: a snapshot exactly retain old is kept, a millisecond older goes; evidence and events likewise at twice retain', () => {
  withStore((store) => {
    const retainMs = 3 * 3_600_000;
    const cutoff = NOW - retainMs;
    const evidenceCutoff = NOW - 2 * retainMs;
    const at = (base: number, kind: SnapshotKind): void => {
      for (const d of [-1, 0, 1]) store.writeSnapshot(snapshot(base + d, { kind, trigger: `${kind} ${d}` }));
    };
    at(cutoff, 'scheduled');
    at(cutoff, 'manual');
    at(evidenceCutoff, 'burst');
    at(evidenceCutoff, 'oom');
    for (const d of [-1, 0, 1]) store.writeEvent({ type: 'burst_start', at: evidenceCutoff + d, details: { reason: `event ${d}`, values: {} } });
    // a burst snapshot at the plain cutoff is evidence: kept
    store.writeSnapshot(snapshot(cutoff - 1, { kind: 'burst', trigger: 'burst at cutoff -1' }));
    const r = store.applyRetention({ retainMs, maxBytes: 1 << 30, now: NOW });
    const kept = store.snapshots(ALL).map((s) => s.trigger).sort();
    assert.deepStrictEqual(kept, ['burst 0', 'burst 1', 'burst at cutoff -1', 'manual 0', 'manual 1', 'oom 0', 'oom 1', 'scheduled 0', 'scheduled 1']);
    assert.deepStrictEqual(store.events(ALL).map((e) => (e.type === 'burst_start' ? e.details.reason : e.type)), ['event 0', 'event 1']);
    assert.deepStrictEqual([r.deletedSnapshots, r.deletedEvents], [4, 1]);
  });
});

test('memrec record applies --retain and --max-db-size to a database that holds more: old and oversized gone at start, evidence kept', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'memrec-ret-rec-'));
  const rec: RecorderProcess[] = [];
  try {
    const file = path.join(dir, 'memrec.db');
    const cfg = path.join(dir, 'empty.yaml');
    writeFileSync(cfg, '');
    const now = Date.now();
    const MIN = 60_000;
    const store = Store.open(file);
    try {
      // by age (retain 1h): scheduled 2 h old goes, 50 min old stays unless size needs it; burst and events 3 h old go, 90 min old stay
      store.writeSnapshot(snapshot(now - 120 * MIN, { kind: 'scheduled', trigger: 'old scheduled' }));
      store.writeSnapshot(snapshot(now - 180 * MIN, { kind: 'burst', trigger: 'old burst' }));
      store.writeSnapshot(snapshot(now - 90 * MIN, { kind: 'burst', trigger: 'kept burst' }));
      store.writeSnapshot(snapshot(now - 90 * MIN + 1000, { kind: 'oom', trigger: 'kept oom' }));
      store.writeEvent({ type: 'burst_start', at: now - 180 * MIN, details: { reason: 'old event', values: {} } });
      store.writeEvent({ type: 'burst_start', at: now - 90 * MIN, details: { reason: 'kept event', values: {} } });
      // by size (1 MiB): about 4 MiB of recent scheduled snapshots, the oldest of them must go
      for (let i = 0; i < 100; i++) {
        const processes = Array.from({ length: 200 }, (_, k) => processSample(5000 + k, 1 + k, owners.other, { cmdline: `filler ${i} ${k} ${'x'.repeat(100)}` }));
        store.writeSnapshot(snapshot(now - 50 * MIN + i * 1000, { kind: 'scheduled', trigger: `filler ${i}`, processes }));
      }
    } finally {
      store.close();
    }
    assert.ok(dataBytes(file) > 3 * 1024 * 1024, `prefilled ${dataBytes(file)} bytes`);
    // a schedule that does not fire during the test: only the start snapshot is added
    const r = new RecorderProcess(['--db', file, '--config', cfg, '--kmsg', '/dev/null', '--retain', '1h', '--max-db-size', '1Mi', '--schedule', '0 0 0 1 1 *', '--burst-at', '1Mi', '--burst-psi', '100']);
    rec.push(r);
    const line = await r.waitFor(/msg=retention /, 60_000);
    assert.deepEqual(await r.stop('SIGTERM'), { code: 0, signal: null });
    const used = dataBytes(file);
    // the stop event after retention adds a row: at most a few pages
    assert.ok(used <= 1024 * 1024 + 4 * 4096, `${used} bytes after retention with --max-db-size 1Mi (${line})`);
    assert.equal(count(file, 'PRAGMA integrity_check') as unknown, 'ok');
    readStore(file, (s) => {
      const triggers = s.snapshots(ALL).map((x) => x.trigger ?? '');
      assert.ok(!triggers.includes('old scheduled') && !triggers.includes('old burst'), 'older than retain (twice for a burst) is gone');
      assert.ok(triggers.includes('kept burst') && triggers.includes('kept oom'), 'evidence within twice retain stays while scheduled snapshots can pay');
      const fillers = triggers.filter((t) => t.startsWith('filler '));
      assert.ok(fillers.length > 0 && fillers.length < 100, `${fillers.length} of 100 fillers left`);
      // the oldest went first: what is left is the newest run of them
      const left = fillers.map((t) => Number(t.split(' ')[1])).sort((a, b) => a - b);
      assert.deepStrictEqual(left, Array.from({ length: left.length }, (_, i) => 100 - left.length + i));
      assert.ok(triggers.includes('start'), "the recorder's own start snapshot is kept");
      assert.deepStrictEqual(s.events(ALL, ['burst_start']).map((e) => (e.type === 'burst_start' ? e.details.reason : '')), ['kept event']);
    });
    assert.match(line, /deleted-snapshots=\d+ deleted-events=1/);
  } finally {
    for (const r of rec) await r.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
