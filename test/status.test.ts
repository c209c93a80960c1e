// `memrec status` for monitoring: exit 0 only while a recorder runs on this machine and stores snapshots on
// schedule; 1 with one line on stderr saying why not; 2 for usage. Liveness is the pid, its start time and
// the boot id, so a reused pid, a reboot or a copied database never read as running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { liveness, scheduleIntervalMs, STALE_MARGIN_MS, type StartInfo } from '../src/recorder/status.js';
import { ownIdentity, processIdentity } from '../src/sources/self.js';
import { Store } from '../src/store/store.js';
import { repoRoot } from './helpers/paths.js';
import { RecorderProcess, until } from './helpers/recorder.js';
import { runCli, runMain } from './helpers/run.js';
import { snapshot } from './helpers/snapshots.js';

const dir = mkdtempSync(path.join(tmpdir(), 'memrec-status-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const me = ownIdentity();

/** A database with one snapshot at `lastAt` and a recorder_start as `start` says. */
function database(name: string, lastAt: number | null, start?: { at: number; pid?: number; bootId?: string | null; pidStartTicks?: number | null; schedule?: string }, kind: 'scheduled' | 'manual' = 'scheduled'): string {
  const db = path.join(dir, `${name}.db`);
  const s = Store.open(db);
  try {
    if (start !== undefined) {
      s.writeEvent({
        type: 'recorder_start',
        at: start.at,
        details: { version: 'test', pid: start.pid ?? me.pid, bootId: start.bootId === undefined ? me.bootId : start.bootId, pidStartTicks: start.pidStartTicks === undefined ? me.startTicks : start.pidStartTicks, config: { schedule: start.schedule ?? '0 * * * * *' } },
      });
    }
    if (lastAt !== null) s.writeSnapshot(snapshot(lastAt, { kind }));
  } finally {
    s.close();
  }
  return db;
}

/** status of `db` at `now`: exit, stdout, stderr lines, and the JSON. */
async function status(db: string, now: number): Promise<{ code: number; stdout: string; err: string[]; json: Record<string, unknown> & { recorder: Record<string, unknown> } }> {
  const text = await runMain(['status', '--db', db], { now });
  const j = await runMain(['status', '--db', db, '--json'], { now });
  assert.equal(j.code, text.code, 'the same verdict with --json');
  return { code: text.code, stdout: text.stdout, err: text.stderr.split('\n').filter((l) => l !== ''), json: JSON.parse(j.stdout) as Record<string, unknown> & { recorder: Record<string, unknown> } };
}

test('our own identity: pid, start time and boot id are read from /proc', () => {
  assert.equal(me.pid, process.pid);
  assert.ok(me.startTicks !== null && me.startTicks > 0);
  assert.match(me.bootId ?? '', /^[0-9a-f-]{36}$/);
  assert.deepEqual(processIdentity(process.pid), me);
  assert.equal(processIdentity(2 ** 22 + 7), 'gone');
});

test('a database where only memrec snapshot ran: not recording, exit 1, one line saying so', async () => {
  const now = Date.now();
  const db = database('snapshot-only', now - 1000, undefined, 'manual');
  const r = await status(db, now);
  assert.equal(r.code, 1);
  assert.deepEqual(r.err, ['memrec status: not recording: no recorder has run on this database (its 1 snapshot was taken by memrec snapshot)']);
  assert.equal(r.json['status'], 'not-recording');
  assert.equal(r.json.recorder['state'], 'never-started');
});

test('a live recorder (this process, as recorded) with a fresh snapshot: recording, exit 0, nothing on stderr', async () => {
  const now = Date.now();
  const db = database('live', now - 20_000, { at: now - 60_000 });
  const r = await status(db, now);
  assert.equal(r.code, 0, r.err.join('\n'));
  assert.deepEqual(r.err, []);
  assert.match(r.stdout, /^status: +recording: pid \d+, last snapshot 20s ago \(stale after 2m30s: twice the 1m interval of schedule "0 \* \* \* \* \*" \+ 30s\)$/m);
  assert.match(r.stdout, /^recorder: +running, pid \d+, since .* \(pid, start time and boot id match\)$/m);
  assert.equal(r.json['status'], 'recording');
  assert.equal(r.json.recorder['identityChecked'], true);
  assert.equal(r.json['staleAfterMs'], 2 * 60_000 + STALE_MARGIN_MS);
});

test('stale: the recorder runs, but no snapshot for two scheduled intervals plus the margin', async () => {
  const now = Date.now();
  const limit = 2 * 60_000 + STALE_MARGIN_MS;
  assert.equal((await status(database('edge', now - limit, { at: now - 3_600_000 }), now)).code, 0, 'at the limit: still recording');
  const r = await status(database('stale', now - limit - 1000, { at: now - 3_600_000 }), now);
  assert.equal(r.code, 1);
  assert.deepEqual(r.err, [`memrec status: stale: the recorder (pid ${me.pid}) runs, but its last snapshot is 2m31s old (limit 2m30s: twice the 1m interval of schedule "0 * * * * *" + 30s)`]);
  assert.equal(r.json['status'], 'stale');
  // a recorder that has just started has the same time to store its first snapshot
  assert.equal((await status(database('fresh-start', now - 3_600_000, { at: now - 10_000 }), now)).code, 0);
  const none = await status(database('no-snapshot', now - 3_600_000, { at: now - limit - 5000 }), now);
  assert.match(none.err[0]!, /^memrec status: stale: the recorder \(pid \d+\) runs, but has stored no snapshot in the 2m35s since it started/);
});

test('the stale limit follows the schedule recorded in recorder_start', async () => {
  assert.equal(scheduleIntervalMs('0 * * * * *'), 60_000);
  assert.equal(scheduleIntervalMs('*/5 * * * * *'), 5000);
  assert.equal(scheduleIntervalMs('0 */10 * * * *'), 600_000);
  assert.equal(scheduleIntervalMs('0 0 2,3 * * *'), 23 * 3_600_000, 'irregular: its longest gap');
  assert.equal(scheduleIntervalMs('not a schedule'), null);
  const now = Date.now();
  // every 5 s: the limit is 2 × 5 s + 30 s
  assert.equal((await status(database('fast-ok', now - 39_000, { at: now - 600_000, schedule: '*/5 * * * * *' }), now)).code, 0);
  const fast = await status(database('fast-stale', now - 41_000, { at: now - 600_000, schedule: '*/5 * * * * *' }), now);
  assert.equal(fast.code, 1);
  assert.match(fast.err[0]!, /limit 40s: twice the 5s interval of schedule "\*\/5 \* \* \* \* \*" \+ 30s/);
  assert.equal(fast.json['staleAfterMs'], 40_000);
  // every 10 minutes: 15 minutes without a snapshot is still on schedule
  assert.equal((await status(database('slow', now - 15 * 60_000, { at: now - 3_600_000, schedule: '0 */10 * * * *' }), now)).code, 0);
});

test('not recording, each with its one line: stopped, killed, pid reused, another boot', async () => {
  const now = Date.now();
  const stopped = database('stopped', now - 5000, { at: now - 60_000 });
  const s = Store.open(stopped);
  s.writeEvent({ type: 'recorder_stop', at: now - 1000, details: { reason: 'SIGTERM', snapshots: 3, failures: 0 } });
  s.close();
  const cases: Array<[string, RegExp, string]> = [
    [stopped, new RegExp(`^memrec status: not recording: the recorder \\(pid ${me.pid}\\) stopped at .*Z \\(SIGTERM\\)$`), 'stopped'],
    [database('killed', now - 5000, { at: now - 60_000, pid: 2 ** 22 + 7 }), /^memrec status: not recording: the recorder \(pid 4194311, started .*Z\) ended without a stop event \(killed, crashed, or the machine went down\)$/, 'gone'],
    [database('reused', now - 5000, { at: now - 60_000, pidStartTicks: (me.startTicks ?? 0) + 1 }), new RegExp(`^memrec status: not recording: .* ended without a stop event \\(pid ${me.pid} is now another process, started at tick ${me.startTicks}, not ${(me.startTicks ?? 0) + 1}\\)$`), 'gone'],
    [database('copied', now - 5000, { at: now - 60_000, bootId: '00000000-0000-4000-8000-000000000000' }), /^memrec status: not recording: the recorder \(pid \d+, started .*\) ran in another boot \(boot id 00000000-0000-4000-8000-000000000000, now [0-9a-f-]{36}\): the machine rebooted since, or the database comes from another machine$/, 'other-boot'],
  ];
  for (const [db, re, state] of cases) {
    const r = await status(db, now);
    assert.equal(r.code, 1, state);
    assert.equal(r.err.length, 1, state);
    assert.match(r.err[0]!, re, state);
    assert.equal(r.json.recorder['state'], state);
    assert.equal(r.json['status'], 'not-recording');
  }
});

test('status --json: every time an ISO 8601 UTC string, and every field documented in the README', async () => {
  const now = Date.now();
  const db = database('json', now - 2000, { at: now - 60_000 });
  const s = Store.open(db);
  s.writeEvent({ type: 'burst_start', at: now - 4000, details: { reason: 'memory.available 1Mi <= 2Mi', values: {} } });
  s.close();
  const r = await status(db, now);
  const j = r.json as Record<string, unknown> & { recorder: Record<string, unknown>; burst: Record<string, unknown> };
  for (const [k, v] of [['checkedAt', j['checkedAt']], ['lastSnapshotAt', j['lastSnapshotAt']], ['recorder.startedAt', j.recorder['startedAt']], ['burst.since', j.burst['since']]] as const) {
    assert.match(String(v), ISO, k);
  }
  assert.deepEqual(j.burst, { active: true, since: new Date(now - 4000).toISOString(), reason: 'memory.available 1Mi <= 2Mi', lastEndedAt: null });
  // the README's status section names every field, top level and nested
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### memrec status'), readme.indexOf('### memrec config'));
  const fields = [...Object.keys(j), ...Object.keys(j.recorder), ...Object.keys(j.burst)];
  for (const f of new Set(fields)) assert.ok(section.includes(`\`${f}\``), `README's memrec status section does not document ${f}`);
});

test('a real recorder: recording while it runs; kill -9 reads as not recording at once, SIGTERM as stopped', async () => {
  const db = path.join(dir, 'real.db');
  const rec = new RecorderProcess(['--db', db, '--schedule', '*/2 * * * * *', '--top', '3', '--kmsg', path.join(dir, 'no-kmsg')]);
  try {
    await rec.waitFor(/msg="recorder started"/);
    await until('status 0', () => (runCli(['status', '--db', db]).status === 0 ? true : undefined));
    const j = JSON.parse(runCli(['status', '--db', db, '--json']).stdout) as { recorder: { pid: number; identityChecked: boolean; bootId: string } };
    assert.equal(j.recorder.pid, rec.pid);
    assert.equal(j.recorder.identityChecked, true);
    assert.equal(j.recorder.bootId, me.bootId);
    rec.child.kill('SIGKILL');
    await rec.exit();
    const r = runCli(['status', '--db', db]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`^memrec status: not recording: the recorder \\(pid ${rec.pid}, started .*\\) ended without a stop event`));
  } finally {
    await rec.stop('SIGKILL');
  }
  const again = new RecorderProcess(['--db', db, '--schedule', '*/2 * * * * *', '--top', '3', '--kmsg', path.join(dir, 'no-kmsg')]);
  try {
    await again.waitFor(/msg="recorder started"/);
    await until('status 0', () => (runCli(['status', '--db', db]).status === 0 ? true : undefined));
  } finally {
    await again.stop('SIGTERM');
  }
  const r = runCli(['status', '--db', db]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`^memrec status: not recording: the recorder \\(pid ${again.pid}\\) stopped at .* \\(SIGTERM\\)\n$`));
});

test('a burst left open by a recorder that died is not going on now', async () => {
  const now = Date.now();
  const live = database('burst-live', now - 1000, { at: now - 60_000 });
  const dead = database('burst-dead', now - 1000, { at: now - 60_000, pid: 2 ** 22 + 7 });
  for (const db of [live, dead]) {
    const s = Store.open(db);
    s.writeEvent({ type: 'burst_start', at: now - 4000, details: { reason: 'memory.available 1Mi <= 2Mi', values: {} } });
    s.close();
  }
  assert.match((await status(live, now)).stdout, /^burst: +ACTIVE for 4s \(memory\.available 1Mi <= 2Mi\)$/m);
  const d = await status(dead, now);
  assert.match(d.stdout, /^burst: +idle$/m);
  assert.equal((d.json['burst'] as { active: boolean }).active, false);
});

test('status on a missing database: one line, exit 2', async () => {
  const r = await runMain(['status', '--db', path.join(dir, 'nope.db')]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /no database at .*nope\.db/);
  assert.equal(existsSync(path.join(dir, 'nope.db')), false);
});

test('liveness: a reused pid, another boot, a gone process, a container boot id, a database without identity', () => {
  const start: StartInfo = { at: 1, pid: 4242, version: 'x', bootId: 'boot-a', pidStartTicks: 100, schedule: null };
  const recorder = ['/usr/bin/node', '--jitless', '/usr/lib/memrec/dist/src/cli/bin.js', 'record', '--db', '/var/lib/memrec/memrec.db'];
  const probe = (id: ReturnType<typeof processIdentity>, bootId = 'boot-a', args: string[] | null = recorder) => ({ bootId: () => bootId, identity: () => id, args: () => args });
  const alive = (startTicks: number) => ({ pid: 4242, startTicks, bootId: null });
  assert.equal(liveness(start, probe(alive(100))).state, 'running');
  const reused = liveness(start, probe(alive(555)));
  assert.equal(reused.state, 'gone');
  assert.match(reused.state === 'gone' ? reused.why : '', /pid 4242 is now another process, started at tick 555, not 100/);
  assert.equal(liveness(start, probe('gone')).state, 'gone');
  // another boot: the pid is somebody else's, or gone
  assert.equal(liveness(start, probe(alive(555), 'boot-b')).state, 'other-boot');
  assert.equal(liveness(start, probe('gone', 'boot-b')).state, 'other-boot');
  assert.equal(liveness(start, probe(alive(100), 'boot-b', ['/usr/sbin/sshd', '-D'])).state, 'other-boot', 'same pid and tick, but not a recorder');
  // systemd-nspawn shows its processes a boot id the unit's /proc view does not: same pid, tick, a recorder
  assert.deepEqual(liveness(start, probe(alive(100), 'boot-b')), { state: 'running', start, identityChecked: true });
  assert.equal(liveness(start, probe(alive(100), 'boot-b', ['memrec', 'record'])).state, 'running');
  assert.equal(liveness(start, probe(alive(100), 'boot-b', ['node', 'bin.js', 'status'])).state, 'other-boot', 'memrec, but not a recorder');
  // recorded by an earlier build: no start time nor boot id, the pid alone decides
  const old = liveness({ ...start, bootId: null, pidStartTicks: null }, probe(alive(9), 'boot-b'));
  assert.deepEqual([old.state, old.state === 'running' && old.identityChecked], ['running', false]);
});
