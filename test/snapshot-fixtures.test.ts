// Golden snapshots of whole-node fixture trees: `memrec snapshot --json --host-root <tree>` against
// <tree>/expected-snapshot.json. MEMREC_UPDATE_GOLDEN=1 rewrites a golden that differs and fails that test
// (review the diff, then run again without it); an unchanged golden is compared as usual.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { Store } from '../src/store/store.js';
import path from 'node:path';
import { fixture, KIND_NODE } from './helpers/paths.js';
import { runMain } from './helpers/run.js';

const DAY = 86_400_000;

// tree, boot time (its proc/stat btime), stderr lines expected, extra flags
const trees: Array<{ tree: string; btime: number; warnings: RegExp[]; args?: string[] }> = [
  { tree: 'v1-cgroupfs', btime: 1_700_000_000, warnings: [] },
  { tree: 'v2-systemd-containerd', btime: 1_710_000_000, warnings: [] },
  { tree: 'hybrid-systemd', btime: 1_720_000_000, warnings: [] },
  { tree: 'v2-systemd-crio', btime: 1_718_000_000, warnings: [] },
  { tree: 'v2-kind-nested', btime: 1_719_000_000, warnings: [], args: ['--memory-cgroup', KIND_NODE] },
  {
    tree: 'broken/processes',
    btime: 1_700_000_000,
    warnings: [
      /warning: <tree>\/proc\/101\/stat: truncated: no utime field: .*; process skipped$/,
      // c.service's cgroup: the limit is a symlink (never followed), failcnt is not a number; both null, the rest read
      /warning: <tree>\/sys\/fs\/cgroup\/memory\/system.slice\/c.service\/memory.limit_in_bytes: a symbolic link, not a regular file$/,
      /warning: <tree>\/sys\/fs\/cgroup\/memory\/system.slice\/c.service\/memory.failcnt: expected a number: "twelve"$/,
    ],
  },
];

/** Machine paths out, volatile timing out: what remains must be the same on every host. */
function normalize(text: string, dir: string): string {
  return text.split(dir).join('<tree>');
}

const SECRETS = ['hunter2', 'secret', 'Sup3rS3cret', 'sk_live_51HxYzAbCdEfGhIjKlMn', 'abc'];

for (const { tree, btime, warnings, args = [] } of trees) {
  test(`snapshot of fixture tree ${tree} matches its golden`, async () => {
    const dir = fixture(tree);
    const now = btime * 1000 + 3 * DAY;
    const r = await runMain(['snapshot', '--json', '--no-store', '--host-root', dir, ...args], { now });
    assert.equal(r.code, 0, r.stderr);
    const stderr = normalize(r.stderr, dir).trim().split('\n').filter(Boolean);
    assert.equal(stderr.length, warnings.length, stderr.join('\n'));
    warnings.forEach((re, i) => assert.match(stderr[i]!, re));

    const snap = JSON.parse(normalize(r.stdout, dir)) as Record<string, unknown> & {
      captureMs: number;
      takenAt: string;
      processCount: number;
      processes: Array<{ pid: number; rssBytes: number; cmdline: string | null; startTime: string }>;
      owners: Array<{ processCount: number; rssBytes: number }>;
    };
    assert.ok(snap.captureMs >= 0);
    snap.captureMs = 0;
    assert.equal(snap.takenAt, new Date(now).toISOString());
    // invariants that hold whatever the golden says
    assert.equal(
      snap.owners.reduce((n, o) => n + o.processCount, 0),
      snap.processCount,
    );
    for (let i = 1; i < snap.processes.length; i++) assert.ok(snap.processes[i - 1]!.rssBytes >= snap.processes[i]!.rssBytes);
    for (const p of snap.processes) {
      assert.match(p.startTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, `pid ${p.pid} startTime`);
      const started = Date.parse(p.startTime);
      assert.ok(started >= btime * 1000 && started <= now, `pid ${p.pid} startTime ${p.startTime}`);
      for (const s of SECRETS) assert.ok(!(p.cmdline ?? '').split(/[\s=:@]/).includes(s), `pid ${p.pid} leaks ${s}: ${p.cmdline}`);
    }

    const goldenFile = path.join(dir, 'expected-snapshot.json');
    const actual = JSON.stringify(snap, null, 2) + '\n';
    const golden = existsSync(goldenFile) ? readFileSync(goldenFile, 'utf8') : null;
    if (process.env.MEMREC_UPDATE_GOLDEN === '1' && golden !== actual) {
      // never compare the file just written with itself: the run that writes a golden fails, the next one compares
      writeFileSync(goldenFile, actual);
      assert.fail(`${goldenFile} ${golden === null ? 'written' : 'rewritten'}: review it (git diff), then run the tests without MEMREC_UPDATE_GOLDEN`);
    }
    assert.ok(golden !== null, `${goldenFile} missing: run with MEMREC_UPDATE_GOLDEN=1 and review it`);
    assert.deepEqual(snap, JSON.parse(golden));
  });
}

test('the incident tree: updatedb is the top process, owned by cron.service, flagged for its cwd in a pod volume', async () => {
  const r = await runMain(['snapshot', '--json', '--no-store', '--top', '1', '--host-root', fixture('v1-cgroupfs')], { now: 1_700_000_000_000 + 3 * DAY });
  const snap = JSON.parse(r.stdout) as { processes: Array<Record<string, unknown>>; owners: Array<{ key: string; processCount: number }> };
  assert.equal(snap.processes.length, 1);
  const top = snap.processes[0]!;
  assert.equal(top.pid, 4120);
  assert.equal(top.comm, 'updatedb.mlocate');
  assert.deepEqual(top.owner, { kind: 'service', unit: 'cron.service', cgroup: '/system.slice/cron.service' });
  assert.deepEqual(top.flags, ['cwd-in-pod-volume-outside-kubepods']);
  assert.match(String(top.cwd), /^\/var\/lib\/kubelet\/pods\/5d3c8f2e-/);
  // owners still count every process, not only the top one
  assert.deepEqual(snap.owners[0], { ...snap.owners[0], key: 'service:/system.slice/cron.service', processCount: 6 });
  assert.equal(snap.owners.reduce((n, o) => n + o.processCount, 0), 23);
});

test('a snapshot of a tree of files stores nothing unless --db names a database; its text says host and time', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'memrec-snapshot-store-'));
  try {
    const env = { MEMREC_DB: path.join(dir, 'evidence.db') };
    const now = Date.UTC(2026, 10, 27, 2, 41, 7);
    // the default database (the recorder's evidence) is left alone: fixture data must not go in there
    const r = await runMain(['snapshot', '--top', '1', '--host-root', fixture('v1-cgroupfs')], { env: { ...env, TZ: 'UTC' }, now });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!existsSync(env.MEMREC_DB), 'nothing was stored');
    assert.match(r.stderr, /^memrec snapshot: not stored: .*v1-cgroupfs\/proc is not this running kernel's \/proc \(a tree of files\?\); pass --db FILE to store it\n$/);
    assert.equal(r.stdout.split('\n')[0], 'Snapshot of node-7 at 2026-11-27 02:41:07 (UTC)');
    // --proc-root alone is just as much a tree
    const p = await runMain(['snapshot', '--json', '--top', '1', '--proc-root', fixture('v1-cgroupfs', 'proc'), '--sys-root', fixture('v1-cgroupfs', 'sys')], { env, now });
    assert.equal(p.code, 0, p.stderr);
    assert.ok(!existsSync(env.MEMREC_DB));
    assert.equal((JSON.parse(p.stdout) as { host: string }).host, 'node-7');
    // named: stored, as asked
    const named = path.join(dir, 'fixture.db');
    const s = await runMain(['snapshot', '--top', '1', '--host-root', fixture('v1-cgroupfs'), '--db', named], { env, now });
    assert.equal(s.code, 0, s.stderr);
    assert.equal(s.stderr, '');
    const st = Store.open(named, { readonly: true });
    try {
      assert.equal(st.snapshots({ since: now, until: now }).length, 1);
    } finally {
      st.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a snapshot of this running node is stored in the default database', { skip: process.platform !== 'linux' && 'needs /proc' }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'memrec-snapshot-live-'));
  try {
    const db = path.join(dir, 'evidence.db');
    const r = await runMain(['snapshot', '--top', '1'], { env: { MEMREC_DB: db } });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(db));
    assert.match(r.stdout.split('\n')[0]!, new RegExp(`^Snapshot of ${hostname().replace(/\./g, '\\.')} at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d \\(`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
