import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Store } from '../src/store/store.js';
import { runCli, runMain } from './helpers/run.js';

const dir = mkdtempSync(path.join(tmpdir(), 'memrec-status-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('memrec snapshot stores a manual snapshot unless --no-store; status counts it', async () => {
  const db = path.join(dir, 'a.db');
  const none = runCli(['snapshot', '--db', db, '--no-store', '--top', '1']);
  assert.equal(none.status, 0, none.stderr);
  assert.equal(existsSync(db), false, '--no-store writes nothing');
  const r = runCli(['snapshot', '--db', db, '--top', '2']);
  assert.equal(r.status, 0, r.stderr);

  const s = await runMain(['status', '--db', db, '--json']);
  assert.equal(s.code, 0, s.stderr);
  const st = JSON.parse(s.stdout) as { snapshotsByKind: Record<string, number>; recorder: { state: string }; burst: { active: boolean }; thresholds: { hard: { bytes: number } } | null; lastSnapshotKind: string };
  assert.deepEqual(st.snapshotsByKind, { scheduled: 0, burst: 0, manual: 1, oom: 0 });
  assert.equal(st.lastSnapshotKind, 'manual');
  assert.equal(st.recorder.state, 'never-started');
  assert.equal(st.burst.active, false);
  assert.ok((st.thresholds?.hard.bytes ?? 0) > 0);

  const stale = await runMain(['status', '--db', db], { now: Date.now() + 4 * 60_000 });
  assert.equal(stale.code, 1, 'a last snapshot older than 3 minutes is a failure for monitoring');
  assert.match(stale.stdout, /^last snapshot: +4m ago/m);
});

test('status: burst and recorder state come from the last events; a dead recorder ends its burst', async () => {
  const db = path.join(dir, 'b.db');
  assert.equal(runCli(['snapshot', '--db', db, '--top', '1']).status, 0);
  const now = Date.now();
  const store = Store.open(db);
  store.writeEvent({ type: 'recorder_start', at: now - 5000, details: { version: 'test', pid: process.pid } });
  store.writeEvent({ type: 'burst_start', at: now - 4000, details: { reason: 'memory.available 1Mi <= 2Mi', values: {} } });
  store.close();
  const live = await runMain(['status', '--db', db], { now });
  assert.match(live.stdout, new RegExp(`^recorder: +running, pid ${process.pid}`, 'm'));
  assert.match(live.stdout, /^burst: +ACTIVE for 4s \(memory\.available 1Mi <= 2Mi\)$/m);

  const s2 = Store.open(db);
  s2.writeEvent({ type: 'recorder_start', at: now - 1000, details: { version: 'test', pid: 2 ** 22 + 1 } });
  s2.close();
  const dead = await runMain(['status', '--db', db, '--json'], { now });
  const st = JSON.parse(dead.stdout) as { recorder: { state: string }; burst: { active: boolean } };
  assert.equal(st.recorder.state, 'crashed');
  assert.equal(st.burst.active, false);

  const s3 = Store.open(db);
  s3.writeEvent({ type: 'recorder_stop', at: now - 500, details: { reason: 'SIGTERM', snapshots: 3, failures: 0 } });
  s3.close();
  const stopped = await runMain(['status', '--db', db], { now });
  assert.match(stopped.stdout, /^recorder: +stopped at .* \(SIGTERM\)$/m);
});

test('status on a missing database: one line, exit 2', async () => {
  const r = await runMain(['status', '--db', path.join(dir, 'nope.db')]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /no database at .*nope\.db/);
});
