// The recorder on the real kernel: a growing process in a limited memory cgroup, a real OOM kill,
// and kill -9 in the middle of a burst. Needs root and a writable cgroup v1 memory hierarchy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Store } from '../src/store/store.js';
import { canUseMemoryCgroups, withCgroup } from './helpers/cgroup.js';
import { writeMarker } from './helpers/kmsg.js';
import { RecorderProcess, until, withStore } from './helpers/recorder.js';
import { requireTool } from './helpers/tools.js';

const skip = !canUseMemoryCgroups() && 'needs root and a writable cgroup v1 memory hierarchy';
const Mi = 1024 * 1024;
const WATCH_INTERVAL = 1000;
const BURST_INTERVAL = 1000;
const ALL = { since: 0, until: Number.MAX_SAFE_INTEGER };

const dir = mkdtempSync(path.join(tmpdir(), 'memrec-recorder-'));
const emptyConfig = path.join(dir, 'empty.yaml');
writeFileSync(emptyConfig, '');
test.after(() => rmSync(dir, { recursive: true, force: true }));

const recorders: RecorderProcess[] = [];
test.afterEach(async () => {
  for (const r of recorders.splice(0)) await r.stop('SIGKILL');
});

function record(db: string, args: string[]): RecorderProcess {
  const r = new RecorderProcess(['--db', db, '--config', emptyConfig, ...args]);
  recorders.push(r);
  return r;
}


// Grows by 20 MiB every 100 ms to 400 MiB, reporting (epoch ms) when its cgroup's memory.available,
// computed as the kubelet does, first reaches burst-at; holds, frees everything, then sleeps.
const GROWER = `
import sys, time, json
cg, cap, burst_at = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def available():
    usage = int(open(cg + '/memory.usage_in_bytes').read())
    stat = dict(l.split() for l in open(cg + '/memory.stat'))
    return cap - max(0, usage - int(stat['total_inactive_file']))
chunks = []
crossed = False
for i in range(20):
    chunks.append(b'\\x01' * (20 << 20))
    if not crossed and available() <= burst_at:
        crossed = True
        print(json.dumps({'event': 'crossed', 't': int(time.time() * 1000), 'available': available()}), flush=True)
    time.sleep(0.1)
print(json.dumps({'event': 'peak', 't': int(time.time() * 1000)}), flush=True)
time.sleep(1.5)
del chunks
print(json.dumps({'event': 'freed', 't': int(time.time() * 1000), 'available': available()}), flush=True)
time.sleep(60)
`;

test('a grower in a 512M cgroup: burst snapshots from the watcher tick after the crossing, the grower on top, the burst ends exit-after once it freed', { skip }, async (t) => {
  await withCgroup(async (cg) => {
    const limit = 512 * Mi;
    const burstAt = 250 * Mi;
    cg.setLimit(limit);
    const db = path.join(dir, 'grow.db');
    const rec = record(db, ['--memory-cgroup', cg.path, '--burst-at', '250Mi', '--burst-hysteresis', '20Mi', '--burst-exit-after', '2s', '--hard', '10Mi', '--burst-psi', '100', '--top', '20',
      '--watch-interval', `${WATCH_INTERVAL}ms`, '--burst-interval', `${BURST_INTERVAL}ms`]);
    await rec.waitFor(/msg="recorder started"/);
    await until('the start snapshot', () => withStore(db, (s) => (s.stats().snapshotsByKind.scheduled > 0 ? true : undefined)));

    requireTool('python3');
    const grower = cg.spawnIn('', 'python3', ['-c', GROWER, cg.fsPath(), String(limit), String(burstAt)]);
    let growerOut = '';
    grower.stdout!.on('data', (d: Buffer) => (growerOut += d.toString()));
    const said = (event: string) => growerOut.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; t: number }).find((e) => e.event === event);
    const crossed = await until('the grower crossing burst-at', () => said('crossed'), 20_000);
    const peak = await until('the grower at its peak', () => said('peak'), 20_000);
    await until('the grower freeing its memory', () => said('freed'), 20_000);
    // the burst that covers the grower's peak ends after it; another test's OOM kill elsewhere on the node
    // (the oom_kill counter is the node's) may start and end bursts of its own meanwhile
    const end = await until('the burst_end after the peak', () => withStore(db, (s) => s.events(ALL, ['burst_end']).find((e) => e.at >= peak.t)), 15_000);
    await rec.stop('SIGTERM');

    await withStore(db, (s) => {
      const starts = s.events(ALL, ['burst_start']).filter((e) => e.at <= end.at);
      const start = starts.at(-1);
      assert.ok(start?.type === 'burst_start', 'a burst started before it ended');
      const mine = starts.filter((e) => e.type === 'burst_start' && /memory\.available/.test(e.details.reason));
      assert.ok(mine.length <= 1, JSON.stringify(starts));
      if (mine.length === 0) {
        // a burst for another reason was going on when the grower crossed burst-at: no start of its own
        assert.ok(start.at <= crossed.t && start.type === 'burst_start' && !/memory\.available/.test(start.details.reason), JSON.stringify(starts));
      } else {
        const m = mine[0]!;
        assert.ok(m.type === 'burst_start');
        assert.match(m.details.reason, /memory\.available .* <= 250Mi/);
        assert.ok((m.details.values['availableBytes'] ?? Infinity) <= burstAt);
      }

      const bursts = s.snapshots({ since: start.at, until: end.at }, { kinds: ['burst'] });
      assert.ok(bursts.length >= 3, `only ${bursts.length} burst snapshots`);
      // No bound in wall time: the machine may be loaded. How late the recorder's own timer ran is in its
      // stored times (burst snapshots are due every burst interval). The crossing is seen at the first
      // watcher tick after it, at most a watch interval later, plus that lateness.
      const gaps = bursts.slice(1).map((b, i) => b.takenAt - bursts[i]!.takenAt);
      const late = Math.max(0, ...gaps.map((g) => g - BURST_INTERVAL));
      const first = bursts.find((b) => b.kubelet.availableBytes <= burstAt);
      assert.ok(first !== undefined, 'a burst snapshot saw memory.available at or below burst-at');
      t.diagnostic(`first snapshot at burst-at ${first.takenAt - crossed.t} ms after the grower saw the crossing; timer late by up to ${late} ms; ${bursts.length} burst snapshots`);
      assert.ok(first.takenAt <= crossed.t + Math.max(WATCH_INTERVAL, BURST_INTERVAL) + late, `first snapshot at burst-at ${first.takenAt - crossed.t} ms after the crossing: more than an interval and the timer's lateness (${late} ms)`);
      if (mine[0] !== undefined) {
        // taken at the tick that started the burst: a later one would come a whole burst interval after it
        assert.ok(mine[0].at <= first.takenAt && first.takenAt - mine[0].at < BURST_INTERVAL, `first burst snapshot ${first.takenAt - mine[0].at} ms after burst_start`);
      }
      assert.equal(first.kubelet.cgroup, cg.path);
      assert.equal(first.kubelet.capacityBytes, limit);

      // While the grower held its memory (it sleeps 1.5 s at its peak before it frees: at least that long) it
      // was among the top processes kept, first of its cgroup. Other tests' processes may be larger.
      const held = s.processRows({ since: crossed.t, until: peak.t + 1500 }, { kinds: ['burst'] });
      const snaps = new Set(held.map((r) => r.snapshotId));
      assert.ok(snaps.size >= 1);
      for (const id of snaps) {
        const row = held.find((r) => r.snapshotId === id && r.cgroup === cg.path);
        assert.ok(row !== undefined, `snapshot ${id} kept no process of ${cg.path}`);
        assert.equal(row.pid, grower.pid, `largest process of the cgroup at ${row.takenAt} is ${row.comm} (${row.pid})`);
        assert.equal(row.comm, 'python3');
      }

      // exit-after (2 s) counts from the last snapshot that still saw memory.available within the hysteresis of burst-at
      const lastLow = bursts.filter((b) => b.kubelet.availableBytes <= burstAt + 20 * Mi).at(-1)!;
      assert.ok(end.at >= lastLow.takenAt + 2000, `the burst ended ${end.at - lastLow.takenAt} ms after memory.available was last low: sooner than exit-after`);
      assert.ok(end.type === 'burst_end' && end.details.snapshots >= bursts.length - 1);
      const next = s.events({ since: end.at, until: Number.MAX_SAFE_INTEGER }, ['burst_start'])[0];
      assert.equal(s.snapshots({ since: end.at + 1, until: next?.at ?? Number.MAX_SAFE_INTEGER }, { kinds: ['burst'] }).length, 0, 'no burst snapshot after the end');
    });
  });
});

test('a real OOM kill is stored once as an oom_kill event with pid and comm, with an oom snapshot, also after a restart', { skip }, async () => {
  await withCgroup(async (cg) => {
    const db = path.join(dir, 'oom.db');
    const args = ['--burst-psi', '100', '--burst-at', '1Mi', '--hard', '1Mi'];
    const rec = record(db, args);
    await rec.waitFor(/msg="recorder started"/);
    cg.setLimit(64 * Mi);
    const victim = cg.spawnIn('', process.execPath, ['-e', 'const a = []; for (;;) a.push(Buffer.alloc(4 << 20, 1))']);
    const sig = await new Promise<string | null>((resolve) => victim.on('exit', (_c, s) => resolve(s)));
    assert.equal(sig, 'SIGKILL');
    const mine = (s: Store) => s.events(ALL, ['oom_kill']).filter((e) => e.type === 'oom_kill' && e.details.pid === victim.pid);
    const ev = await until('the oom_kill event', () => withStore(db, (s) => mine(s)[0]), 10_000);
    assert.ok(ev.type === 'oom_kill');
    assert.equal(ev.details.comm, 'node');
    assert.equal(ev.details.oomMemcg, cg.path);
    assert.ok((ev.details.anonRssKb ?? 0) > 32 * 1024);
    await rec.waitFor(new RegExp(`msg="oom kill" pid=${victim.pid} comm=node`));
    const oomSnap = await until('the oom snapshot', () => withStore(db, (s) => s.snapshots(ALL, { kinds: ['oom'] }).find((x) => x.trigger === `oom_kill pid ${victim.pid} (node)`)));
    assert.ok(Math.abs(oomSnap.takenAt - ev.at) < 5000);
    assert.deepEqual(await rec.stop('SIGTERM'), { code: 0, signal: null });

    // a line of our own in the kernel log after the kill: the restarted recorder must have read past it
    const marker = writeMarker();
    const again = record(db, args);
    // logged once the restarted recorder has read the kernel log up to its start and stored what was new in it
    const read = await again.waitFor(/msg="kernel log read"/);
    const upTo = Number(/last-seq=(\d+)/.exec(read)?.[1]);
    assert.ok(upTo >= marker, `the restarted recorder read the kernel log past the marker (${upTo} >= ${marker})`);
    assert.deepEqual(await again.stop('SIGTERM'), { code: 0, signal: null });
    assert.doesNotMatch(again.out, new RegExp(`oom kill" pid=${victim.pid} `), 'the restarted recorder skips the stored kill');
    withStore(db, (s) => assert.equal(mine(s).length, 1));
  });
});

test('kill -9 in the middle of a burst, 10 times: integrity ok, every committed snapshot intact, the next start carries on', { skip }, async () => {
  const db = path.join(dir, 'kill9.db');
  // burst-at 100%: memory.available is always at or below capacity, so the recorder is always bursting.
  const args = ['--burst-at', '100%', '--burst-interval', '100ms', '--watch-interval', '100ms', '--top', '30'];
  let before = 0;
  for (let i = 0; i < 10; i++) {
    const rec = record(db, args);
    await rec.waitFor(/msg="burst start"/);
    const target = before + 3;
    await until('burst snapshots', () => withStore(db, (s) => (s.stats().snapshotsByKind.burst >= target ? true : undefined)), 10_000, 20);
    // Kill at a varying point of the snapshot cycle.
    await new Promise((r) => setTimeout(r, 17 * i));
    const exit = await rec.stop('SIGKILL');
    assert.equal(exit.signal, 'SIGKILL');

    const raw = new Database(db, { readonly: true });
    try {
      assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok');
      assert.deepEqual(raw.pragma('foreign_key_check'), []);
    } finally {
      raw.close();
    }
    before = withStore(db, (s) => {
      const snaps = s.snapshots(ALL);
      const rows = s.processRows(ALL);
      const perSnap = new Map<number, number>();
      for (const r of rows) perSnap.set(r.snapshotId, (perSnap.get(r.snapshotId) ?? 0) + 1);
      const owners = new Map<number, number>();
      for (const o of s.ownerRows(ALL)) owners.set(o.snapshotId, (owners.get(o.snapshotId) ?? 0) + 1);
      for (const snap of snaps) {
        const n = perSnap.get(snap.id) ?? 0;
        assert.ok(n >= 1 && n <= 30, `snapshot ${snap.id} has ${n} process rows`);
        assert.ok((owners.get(snap.id) ?? 0) >= 1, `snapshot ${snap.id} has no owner rows`);
        assert.ok(Number.isFinite(snap.kubelet.availableBytes) && snap.processCount >= n);
      }
      return s.stats().snapshotsByKind.burst;
    });
  }
  const last = record(db, args);
  await last.waitFor(/msg="burst start"/);
  await until('a burst snapshot after the last kill', () => withStore(db, (s) => (s.stats().snapshotsByKind.burst > before ? true : undefined)));
  assert.deepEqual(await last.stop('SIGTERM'), { code: 0, signal: null });
  withStore(db, (s) => {
    const life = s.events(ALL, ['recorder_start', 'recorder_stop']);
    assert.equal(life.filter((e) => e.type === 'recorder_start').length, 11);
    assert.equal(life[life.length - 1]?.type, 'recorder_stop', 'the clean stop was recorded');
    // each kill was told at the next start, with the last snapshot before it
    const ends = s.events(ALL, ['unclean_stop', 'reboot']);
    assert.deepEqual(ends.map((e) => e.type), Array.from({ length: 10 }, () => 'unclean_stop'));
    for (const e of ends) if (e.type === 'unclean_stop') assert.ok(e.details.lastSnapshotAt !== null && Date.parse(e.details.lastSnapshotAt) < e.at && e.details.gapMs >= 0);
  });
});

test('a bad flag or config value stops memrec record at start with one line and exit 2', async () => {
  const r = record(path.join(dir, 'bad.db'), ['--burst-interval', 'often']);
  assert.deepEqual(await r.exit(), { code: 2, signal: null });
  assert.equal(r.out, 'memrec record: --burst-interval "often": expected a duration like 500ms, 1s, 10m, 1h30m or 14d (each unit once, largest first; at most 36500d), at least 100ms\n');
});
