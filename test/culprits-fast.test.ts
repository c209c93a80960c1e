// culprits() reads the store's per-process and per-owner folds instead of every row; it must give exactly
// what culpritsFrom() computes from the rows (the export's path), on hand-made edge cases, on a generated
// database and on one the real recorder wrote.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateDatabase } from '../bench/store.js';
import type { Owner, ProcessSample, Snapshot } from '../src/model/types.js';
import { culprits, culpritsFrom, MAX_CWDS, type CulpritOptions } from '../src/report/culprits.js';
import type { TimeRange } from '../src/report/time.js';
import { MemrecError } from '../src/errors.js';
import { ownerState, packAggregates, scanAggregates, unpackAggregates, type OwnerState } from '../src/store/owner-pack.js';
import { packSamples, scanProcRss, unpackSamples } from '../src/store/process-pack.js';
import { Store } from '../src/store/store.js';
import { canUseMemoryCgroups } from './helpers/cgroup.js';
import { recordTestDatabase } from './helpers/report-db.js';
import { aggregate, counters, MiB, owners, processSample, snapshot } from './helpers/snapshots.js';

const ALL = { since: 0, until: Date.UTC(2100, 0, 1) };
const POD_UID = '8f3c2a1e-5b6d-4c7e-9f80-1a2b3c4d5e6f';
const t0 = 1_700_000_000_000;
const podCwd = (i: number): string => `/var/lib/kubelet/pods/${POD_UID}/volumes/kubernetes.io~empty-dir/d${i}`;

let dir = '';
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'memrec-culprits-fast-'));
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function slow(store: Store, range: TimeRange, o: CulpritOptions): ReturnType<typeof culprits> {
  return culpritsFrom(range, store.snapshots(range), store.processRows(range), store.ownerRows(range), o, store.events(range));
}

/** Every sort, every filter, the scope and --all: the fold and the rows must agree on each. */
const VARIANTS: Array<Omit<CulpritOptions, 'top'>> = [
  {},
  { sort: 'peak' },
  { sort: 'growth' },
  { sort: 'at-lowest' },
  { all: true },
  { selection: { comm: /^proc(50|60)/ } },
  { selection: { pid: 500 } },
  { selection: { pod: 'ci/build-runner-7d9f' } },
  { selection: { pod: '8f3c2a1e-5b6d-4c7e-9f80-1a2b3c4d5e6f' } },
  { selection: { ownerKinds: ['pod', 'user'] }, sort: 'peak' },
  { selection: { outsidePods: true } },
  { selection: { unit: 'updatedb' }, all: true },
];

function assertSame(store: Store, range: TimeRange, tops = [1, 3, 10, 100_000], variants = VARIANTS): void {
  for (const v of variants) {
    for (const top of tops) {
      const o = { ...v, top };
      assert.deepStrictEqual(culprits(store, range, o), slow(store, range, o), `range ${range.since}..${range.until}, ${JSON.stringify(o, (_, x: unknown) => (x instanceof RegExp ? String(x) : x))}`);
    }
  }
}

/**
 * Snapshot `i` of the edge cases: the grower walks cwds and moves cgroup, ties, unsorted collector order,
 * processes that start, end and skip the lowest snapshot. `node` is the recording's node cgroup.
 */
function edgeSnapshot(i: number, node = '/'): Snapshot {
  const t = t0 + i * 60_000;
  const unnamedPod: Owner = { ...owners.podContainer, namespace: null, podName: null, container: null, containerType: null };
  const procs: ProcessSample[] = [
    // walks 30 directories: 22 plain, then pod volumes; moves from a service to another cgroup halfway
    processSample(500, 100 + (i % 7) * 10, i < 15 ? owners.service : owners.other, {
      cwd: i < 22 ? `/srv/walk/${i}` : podCwd(i),
      cgroup: i < 15 ? '/system.slice/updatedb.service' : '/memrec-test',
    }),
    // equal peaks in the same snapshots rank by first sight, and in the first snapshot the collector listed
    // 601 first although 600 was larger: processRows sorts each snapshot by RSS, so 600 was seen first
    processSample(601, i === 0 ? 300 : 400, i < 10 ? unnamedPod : owners.podContainer, { cwd: podCwd(0) }),
    processSample(600, i === 0 ? 350 : 400, owners.podContainer, { cwd: null }),
    // listed before larger ones: processRows sorts each snapshot by RSS
    processSample(700, 5, owners.kernel, { comm: 'kthreadd', cwd: '/', cmdline: null, exe: null }),
    processSample(701, 50 + i, owners.user),
  ];
  if (i % 4 === 0) procs.push(processSample(800 + i, 1, owners.userNoUid)); // short-lived processes
  // started inside the range, peaked and ended before the lowest snapshot (12)
  if (i >= 3 && i < 9) procs.push(processSample(900, 10 * i, owners.podCrio, { startTime: t0 + 2 * 60_000 }));
  // in the recorded top N before and after the lowest snapshot, but not in it
  if (i !== 12) procs.push(processSample(950, 70 + (i % 3), owners.service, { cgroup: '/memrec-test/system.slice/x.service', unit: 'x.service' }));
  const s = snapshot(t, { kind: i % 5 === 0 ? 'burst' : 'scheduled', processes: procs });
  s.kubelet = { ...s.kubelet, cgroup: node };
  // two snapshots hit the same lowest memory.available: the earlier one is "at lowest"
  s.kubelet = { ...s.kubelet, availableBytes: i === 12 || i === 20 ? 100 * MiB : (1000 + i) * MiB };
  // the service's cgroup spikes unseen between snapshots 6 and 7 (peak 200 → 600 MiB, usage ~150 both times), its
  // counter is reset at 20 (the unit restarted: a lower peak is no spike); the pod is limited; the session moves cgroup
  const svcPeak = i < 7 ? 200 : i < 20 ? 600 : 160 + i;
  const svc = counters('/system.slice/updatedb.service', 150, { peakBytes: svcPeak * MiB, usageBytes: (150 + (i % 3)) * MiB });
  const pod = counters(`/kubepods/burstable/pod${POD_UID}`, 790 + i, { peakBytes: (800 + i) * MiB, limitBytes: 1024 * MiB, failcnt: i });
  const session = counters(i < 15 ? '/user.slice/user-1000.slice/session-4.scope' : '/user.slice/user-1000.slice/session-5.scope', 60, { peakBytes: (i === 15 ? 900 : 70) * MiB });
  s.owners = [
    aggregate(`pod:${POD_UID}`, i < 10 ? unnamedPod : owners.podContainer, 2, 800, 0, pod),
    aggregate('service:/system.slice/updatedb.service', owners.service, 1, i < 15 ? 100 + i : 0, 0, svc),
    aggregate('kernel', owners.kernel, 1, 5),
    aggregate('user:/user.slice/user-1000.slice/session-4.scope', owners.user, 1, 50 + i, 0, session),
  ];
  return s;
}

test('culprits from the folds equals culprits from every row: cwds beyond the cap, cgroup moves, ties, unsorted snapshots, lowest ties', () => {
  const store = Store.open(path.join(dir, 'edge.db'));
  try {
    for (let i = 0; i < 30; i++) store.writeSnapshot(edgeSnapshot(i));
    // a second snapshot at the same instant as the 6th
    store.writeSnapshot({ ...edgeSnapshot(5), kind: 'manual' });
    assertSame(store, ALL);
    assertSame(store, { since: t0 + 5 * 60_000, until: t0 + 17 * 60_000 });
    assertSame(store, { since: t0 + 13 * 60_000, until: t0 + 13 * 60_000 });
    assertSame(store, { since: 0, until: 1 }); // empty

    // the cases are really there, so equality means something
    const c = culprits(store, ALL, 100);
    const walker = c.processes.find((p) => p.pid === 500)!;
    assert.equal(walker.cwdCount, 30);
    assert.equal(walker.cwds.length, MAX_CWDS + 5);
    assert.deepEqual(walker.cgroups, ['/system.slice/updatedb.service', '/memrec-test']);
    const svc = c.owners.find((o) => o.ownerKey === 'service:/system.slice/updatedb.service')!;
    assert.deepEqual(svc.unseenPeak, { peakBytes: 600 * MiB, after: new Date(t0 + 6 * 60_000).toISOString(), before: new Date(t0 + 7 * 60_000).toISOString(), seenBytes: 151 * MiB });
    assert.equal(svc.cgroup, '/system.slice/updatedb.service');
    assert.deepEqual(c.unseenPeaks.map((u) => [u.ownerKey, u.peakBytes]), [['service:/system.slice/updatedb.service', 600 * MiB]], 'the spikes of every owner');
    const pod = c.owners.find((o) => o.ownerKey === `pod:${POD_UID}`)!;
    assert.deepEqual([pod.unseenPeak, pod.cgroupLimitBytes], [null, 1024 * MiB], 'a peak that rises with the usage is seen');
    // a new cgroup path starts over: session-5's high first peak is not a rise
    assert.deepEqual(c.owners.find((o) => o.ownerKey === 'user:/user.slice/user-1000.slice/session-4.scope')!.unseenPeak, null);
    const tied = c.processes.filter((p) => p.peakRssBytes === 400 * MiB).map((p) => p.pid);
    assert.deepEqual(tied, [600, 601]);
    assert.equal(c.processes.find((p) => p.pid === 701)!.firstRssBytes, 50 * MiB);
    assert.equal(c.atLowest?.takenAt, new Date(t0 + 12 * 60_000).toISOString());
    assert.equal(c.snapshots, 31);
    // the contribution cases are really there too
    const ended = c.processes.find((p) => p.pid === 900)!;
    assert.deepEqual([ended.rssAtStartBytes, ended.rssAtLowestBytes, ended.contributionBytes], [0, 80 * MiB, 80 * MiB]);
    const skipped = c.processes.find((p) => p.pid === 950)!;
    assert.equal(skipped.rssAtLowestBytes, 72 * MiB); // its last sample before, at 11
  } finally {
    store.close();
  }
});

test('culprits of a recording of a node cgroup: the fold equals the rows with the scope, and --all', () => {
  const store = Store.open(path.join(dir, 'scoped.db'));
  try {
    for (let i = 0; i < 30; i++) store.writeSnapshot(edgeSnapshot(i, '/memrec-test'));
    assertSame(store, ALL);
    assertSame(store, { since: t0 + 5 * 60_000, until: t0 + 17 * 60_000 }, [3, 100]);
    const c = culprits(store, ALL, 100);
    assert.deepEqual(c.scope.nodeCgroups, ['/memrec-test']);
    // inside: the grower (after it moved into /memrec-test) and x.service's process
    assert.deepEqual(c.processes.map((p) => p.pid).sort(), [500, 950]);
    assert.ok(c.scope.processesLeftOut >= 5, JSON.stringify(c.scope));
    assert.ok(c.owners.every((o) => o.ownerCgroup?.startsWith('/memrec-test')), JSON.stringify(c.owners.map((o) => o.ownerKey)));
    assert.ok(c.atLowest!.processes.every((p) => p.cgroup?.startsWith('/memrec-test/')));
    const all = culprits(store, ALL, { top: 100, all: true });
    assert.equal(all.scope.processesLeftOut, 0);
    assert.ok(all.processes.length > c.processes.length + 4);
  } finally {
    store.close();
  }
});

test('culprits from the folds equals culprits from every row on a generated database', () => {
  const file = path.join(dir, 'gen.db');
  const now = Date.UTC(2025, 0, 31, 6, 0, 0);
  generateDatabase(file, { days: 1, perMinute: 1, processes: 300, top: 30, now });
  const store = Store.open(file, { readonly: true });
  try {
    assertSame(store, { since: now - 86_400_000, until: now }, [10, 100_000], VARIANTS.slice(0, 5));
    assertSame(store, { since: now - 3_600_000, until: now }, [10]);
  } finally {
    store.close();
  }
});

const skip = canUseMemoryCgroups() ? false : 'needs root and a writable cgroup v1 memory hierarchy';

test('culprits from the folds equals culprits from every row on a database the real recorder wrote', { skip }, async () => {
  const rec = await recordTestDatabase(mkdtempSync(path.join(dir, 'rec-')));
  const store = Store.open(rec.file, { readonly: true });
  try {
    assertSame(store, ALL);
    assertSame(store, { since: rec.since, until: rec.until });
    assert.ok(culprits(store, ALL, 10).processes.length > 0);
  } finally {
    store.close();
  }
});

test('the inline blob scans read what the full decoders read, and refuse a cut blob', () => {
  const samples = [
    { procId: 1, state: 'S', rssBytes: 5 * 1024 ** 3, rssAnonBytes: null, rssFileBytes: 4096, rssShmemBytes: 0, swapBytes: null, vsizeBytes: 2 ** 40, cpuTicks: 123_456_789, cpuPercent: 12.34, threads: 300, peakRssBytes: 6 * 1024 ** 3 },
    { procId: 300_000, state: 'D', rssBytes: 10 * MiB + 123, rssAnonBytes: 1, rssFileBytes: null, rssShmemBytes: null, swapBytes: 7, vsizeBytes: 0, cpuTicks: 0, cpuPercent: null, threads: 1, peakRssBytes: null },
    { procId: 7, state: 'Zé', rssBytes: 0, rssAnonBytes: 0, rssFileBytes: 0, rssShmemBytes: 0, swapBytes: 0, vsizeBytes: 1, cpuTicks: 1, cpuPercent: 0, threads: 0, peakRssBytes: 0 },
  ];
  const pack = packSamples(samples, (f) => f);
  const ids: number[] = [9];
  const rss: number[] = [9];
  scanProcRss(pack, ids, rss);
  assert.deepEqual(ids, unpackSamples(pack).map((x) => x.procId));
  assert.deepEqual(rss, samples.map((x) => x.rssBytes));
  const none = { usageBytes: null, peakBytes: null, limitBytes: null, highBytes: null, failcnt: null, oomKills: null, highEvents: null, maxEvents: null, oomEvents: null };
  const aggs = [
    { ownerId: 3, processCount: 1000, rssBytes: 60 * 1024 ** 3, swapBytes: 0, cgroup: null },
    { ownerId: 200_000, processCount: 1, rssBytes: 4097, swapBytes: 5 * MiB, cgroup: { ...none, pathId: 70_000, usageBytes: 3 * MiB, peakBytes: 9 * MiB + 1, limitBytes: 16 * MiB, failcnt: 0, oomKills: 2 } },
    { ownerId: 5, processCount: 2, rssBytes: 0, swapBytes: 0, cgroup: { ...none, pathId: 1, peakBytes: 0, highBytes: 8 * MiB, highEvents: 12, maxEvents: 0, oomEvents: 1 } },
    { ownerId: 6, processCount: 2, rssBytes: 0, swapBytes: 0, cgroup: { ...none, pathId: 2 } },
  ];
  // format 3: each aggregate references an owner_cgroups row; the second's peak and the third's counts are in the blob
  const states = new Map<number, OwnerState>();
  const lookup = (id: number): OwnerState => states.get(id) ?? assert.fail(`no state ${id}`);
  const stated = aggs.map((a, i) => {
    const state = ownerState(a.ownerId, a.cgroup, { peak: i === 1, counts: i === 2 });
    states.set(100 + i * 70, state);
    return { ...a, state, stateId: 100 + i * 70 };
  });
  const apack = packAggregates(stated, 'test');
  const [oi, oc, or, os] = [[], [], [], []] as number[][];
  const orNull = (v: number | null | undefined): number => v ?? -1;
  // the format 2 blob memrec wrote before owner_cgroups (the same aggregates and one more), frozen: it must read as it did
  const v2 = Buffer.from('0203e8078080803c0000c09a0c01834080503ff0a20480308680800c808002000205020000850f01008080010c000106020000010207041000e70e0380208120', 'hex');
  const aggs2 = [...aggs, { ownerId: 7, processCount: 4, rssBytes: 8192, swapBytes: 0, cgroup: { ...none, pathId: 3, usageBytes: 2 * MiB, peakBytes: MiB, limitBytes: null, oomKills: 0, highEvents: 0, maxEvents: 0, oomEvents: 0 } }];
  for (const [blob, expected, states] of [[apack, aggs, lookup], [v2, aggs2, undefined]] as const) {
    const sc = { pathIds: [9], usage: [9], peak: [9], limit: [9] };
    scanAggregates(blob, oi!, oc!, or!, os!, sc, states);
    assert.deepEqual(unpackAggregates(blob, states), expected);
    assert.deepEqual(unpackAggregates(blob, states), oi!.map((ownerId, i) => ({ ownerId, processCount: oc![i], rssBytes: or![i], swapBytes: os![i], cgroup: expected[i]!.cgroup })));
    assert.deepEqual(sc, {
      pathIds: expected.map((a) => orNull(a.cgroup?.pathId)),
      usage: expected.map((a) => orNull(a.cgroup?.usageBytes)),
      peak: expected.map((a) => orNull(a.cgroup?.peakBytes)),
      limit: expected.map((a) => orNull(a.cgroup?.limitBytes)),
    });
  }
  assert.throws(() => unpackAggregates(apack), /pack format 3 needs the owner_cgroups table/);
  assert.throws(() => packAggregates([{ ...stated[1]!, state: stated[2]!.state }], 'test'), /owner_cgroups row 170 does not match its counters/);
  // a cut blob: where the full decoder throws, so does the scan; at a record boundary both read the prefix
  let cutsRefused = 0;
  for (let cut = 1; cut < pack.length; cut++) {
    const part = pack.subarray(0, cut);
    let full: number[] | null = null;
    try {
      full = unpackSamples(part).map((x) => x.procId);
    } catch {
      cutsRefused++;
      assert.throws(() => scanProcRss(part, ids, rss), MemrecError, `process blob cut at ${cut}`);
    }
    if (full !== null) {
      scanProcRss(part, ids, rss);
      assert.deepEqual(ids, full);
    }
  }
  assert.ok(cutsRefused > pack.length / 2);
  for (let cut = 1; cut < apack.length; cut++) {
    const part = apack.subarray(0, cut);
    let full: number[] | null = null;
    try {
      full = unpackAggregates(part, lookup).map((x) => x.ownerId);
    } catch {
      assert.throws(() => scanAggregates(part, oi!, oc!, or!, os!, undefined, lookup), MemrecError, `owner blob cut at ${cut}`);
    }
    if (full !== null) {
      scanAggregates(part, oi!, oc!, or!, os!, undefined, lookup);
      assert.deepEqual(oi, full);
    }
  }
  assert.throws(() => scanProcRss(Buffer.from([3, 1]), ids, rss), /pack format 3, this memrec reads 1 and 2/);
  assert.throws(() => scanAggregates(Buffer.from([4, 1]), oi!, oc!, or!, os!), /pack format 4, this memrec reads 1, 2 and 3/);
});
