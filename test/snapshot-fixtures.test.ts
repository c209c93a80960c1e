// Golden snapshots of whole-node fixture trees: `memrec snapshot --json --host-root <tree>` against
// <tree>/expected-snapshot.json. MEMREC_UPDATE_GOLDEN=1 rewrites the goldens (review the diff!).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
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
      takenAt: number;
      processCount: number;
      processes: Array<{ pid: number; rssBytes: number; cmdline: string | null; startTime: number }>;
      owners: Array<{ processCount: number; rssBytes: number }>;
    };
    assert.ok(snap.captureMs >= 0);
    snap.captureMs = 0;
    assert.equal(snap.takenAt, now);
    // invariants that hold whatever the golden says
    assert.equal(
      snap.owners.reduce((n, o) => n + o.processCount, 0),
      snap.processCount,
    );
    for (let i = 1; i < snap.processes.length; i++) assert.ok(snap.processes[i - 1]!.rssBytes >= snap.processes[i]!.rssBytes);
    for (const p of snap.processes) {
      assert.ok(p.startTime >= btime * 1000 && p.startTime <= now, `pid ${p.pid} startTime`);
      for (const s of SECRETS) assert.ok(!(p.cmdline ?? '').split(/[\s=:@]/).includes(s), `pid ${p.pid} leaks ${s}: ${p.cmdline}`);
    }

    const goldenFile = path.join(dir, 'expected-snapshot.json');
    const actual = JSON.stringify(snap, null, 2) + '\n';
    if (process.env.MEMREC_UPDATE_GOLDEN === '1') writeFileSync(goldenFile, actual);
    assert.ok(existsSync(goldenFile), `${goldenFile} missing: run with MEMREC_UPDATE_GOLDEN=1 and review it`);
    assert.deepEqual(snap, JSON.parse(readFileSync(goldenFile, 'utf8')));
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
