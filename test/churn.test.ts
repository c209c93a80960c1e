// Process churn during a burst, on the real kernel: hundreds of processes start and exit every second in a test
// cgroup while the recorder takes a snapshot every 100 ms. Processes vanish between the stat pass and the
// detail read, pids are reused: no snapshot may fail, log an error, or count a process twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { canUseMemoryCgroups, withCgroup } from './helpers/cgroup.js';
import { RecorderProcess, until, withStore } from './helpers/recorder.js';
import { requireTool } from './helpers/tools.js';

const skip = !canUseMemoryCgroups() && 'needs root and a writable cgroup v1 memory hierarchy';
const ALL = { since: 0, until: Number.MAX_SAFE_INTEGER };

// Forks children as fast as it can: most exit at once, one in four lives 100 ms (so that about a hundred are alive
// at any moment, many of them gone by the time their details are read); a few grandchildren too.
// Prints the number of children started each second.
const CHURNER = `
import os, time, sys
started = 0
t0 = time.time()
last = t0
while True:
    pid = os.fork()
    if pid == 0:
        if started % 4 == 0:
            time.sleep(0.1)
        if started % 50 == 0 and os.fork() == 0:
            os._exit(0)
        os._exit(0)
    started += 1
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass
    now = time.time()
    if now - last >= 1:
        print(started, flush=True)
        started = 0
        last = now
`;

test('hundreds of processes a second starting and exiting during a 100 ms burst: no failure, nobody counted twice', { skip }, async (t) => {
  requireTool('python3');
  const dir = mkdtempSync(path.join(tmpdir(), 'memrec-churn-'));
  const recorders: RecorderProcess[] = [];
  try {
    writeFileSync(path.join(dir, 'empty.yaml'), '');
    const db = path.join(dir, 'churn.db');
    let churnerPid = 0;
    await withCgroup(async (cg) => {
      const churner = cg.spawnIn('', 'python3', ['-c', CHURNER]);
      churnerPid = churner.pid!;
      let rates: number[] = [];
      churner.stdout!.on('data', (d: Buffer) => (rates = rates.concat(d.toString().split('\n').filter(Boolean).map(Number))));
      await until('the churner at full rate', () => (rates.length >= 1 ? true : undefined), 15_000);
      // burst-at 100%: always bursting; a snapshot every 100 ms, every process kept
      const rec = new RecorderProcess(['--db', db, '--config', path.join(dir, 'empty.yaml'), '--kmsg', '/dev/null', '--burst-at', '100%', '--burst-interval', '100ms', '--watch-interval', '100ms', '--top', '10000']);
      recorders.push(rec);
      await rec.waitFor(/msg="burst start"/);
      const before = rates.length;
      await until('30 burst snapshots', () => withStore(db, (s) => (s.stats().snapshotsByKind.burst >= 30 ? true : undefined)), 120_000, 200);
      assert.equal(churner.exitCode, null, 'the churner still runs');
      const during = rates.slice(before);
      t.diagnostic(`processes started per second during the burst: ${during.join(', ')}`);
      assert.ok(during.length >= 1 && Math.min(...during) >= 100, `at least 100 processes a second (${during.join(', ')})`);
      assert.deepEqual(await rec.stop('SIGTERM'), { code: 0, signal: null });
    });
    const rec = recorders[0]!;
    assert.doesNotMatch(rec.out, /level=error|snapshot failed|snapshot skipped|Error:|    at /, rec.out.split('\n').filter((l) => !/level=info/.test(l)).join('\n'));
    withStore(db, (s) => {
      assert.deepEqual(s.events(ALL, ['snapshot_failed']), []);
      const snaps = s.snapshots(ALL);
      const rows = s.processRows(ALL);
      const owners = s.ownerRows(ALL);
      let churned = 0;
      for (const snap of snaps) {
        const mine = rows.filter((r) => r.snapshotId === snap.id);
        const keys = mine.map((r) => `${r.pid}@${r.startTime}`);
        assert.equal(new Set(keys).size, keys.length, `snapshot ${snap.id} lists a process twice`);
        assert.equal(new Set(mine.map((r) => r.pid)).size, mine.length, `snapshot ${snap.id} lists a pid twice`);
        assert.equal(mine.length, snap.processCount, `snapshot ${snap.id}: every process kept (--top 10000)`);
        const counted = owners.filter((o) => o.snapshotId === snap.id).reduce((n, o) => n + o.processCount, 0);
        assert.equal(counted, snap.processCount, `snapshot ${snap.id}: owners count ${counted}, the snapshot ${snap.processCount}`);
        churned += mine.filter((r) => r.ppid === churnerPid).length;
      }
      t.diagnostic(`${snaps.length} snapshots, ${churned} churned children seen in them`);
      assert.ok(churned >= snaps.length, `the snapshots caught the churn (${churned} children in ${snaps.length} snapshots)`);
    });
  } finally {
    for (const r of recorders) await r.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
