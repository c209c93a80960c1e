// A full disk, for real: small tmpfs mounts (always unmounted again, also when an assertion fails). The
// recorder keeps room for SQLite to make room; filled by someone else it loses snapshots, says so once, and
// resumes as soon as there is room; an event it could not store (recorder_start) is stored later.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statfsSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/load.js';
import type { Collected } from '../src/model/types.js';
import { Recorder } from '../src/recorder/daemon.js';
import type { Fields, Level } from '../src/recorder/log.js';
import { Store } from '../src/store/store.js';
import { fixture } from './helpers/paths.js';
import { integrityCheck, RecorderProcess, until, withStore } from './helpers/recorder.js';
import { runCli } from './helpers/run.js';
import { processSample, owners, snapshot } from './helpers/snapshots.js';
import { withTmpfs } from './helpers/tmpfs.js';

const isRoot = process.getuid?.() === 0;
const skip = !isRoot && 'needs root to mount a tmpfs';
const ALL = { since: 0, until: Number.MAX_SAFE_INTEGER };

/** Take every free byte of the file system with one file; returns its path. */
function fill(mnt: string): string {
  const f = path.join(mnt, 'filler');
  const fd = openSync(f, 'w');
  const chunk = Buffer.alloc(4096, 0x5a);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
  } finally {
    closeSync(fd);
  }
  assert.equal(statfsSync(mnt).bavail, 0, 'the file system is full');
  return f;
}

test('a recorder that fills its own small disk keeps room: it deletes the oldest snapshots and never fails a write', { skip }, async () => {
  await withTmpfs('8m', async (mnt) => {
    const db = path.join(mnt, 'memrec.db');
    const cfgFile = path.join(mnt, 'empty.yaml');
    writeFileSync(cfgFile, '');
    const cfg = loadConfig({ command: 'record', flags: { db, config: cfgFile }, env: {}, uid: 0 });
    const store = Store.open(db);
    const lines: Array<{ level: Level; msg: string; fields: Fields }> = [];
    let n = 0;
    const base = snapshot(0);
    // every snapshot has 200 processes with command lines never seen before: ~50 KiB of new rows each
    const collect = (now: number): Collected => {
      n++;
      const processes = Array.from({ length: 200 }, (_, i) => processSample(1000 + i, 10, owners.service, { cmdline: `/usr/bin/worker --job ${n}-${i} ${'x'.repeat(200)}` }));
      return { ...base, takenAt: now, processes };
    };
    const recorder = new Recorder({
      config: cfg.values,
      store,
      collect,
      watch: () => ({ availableBytes: 30 * 2 ** 30, capacityBytes: 32 * 2 ** 30, memAvailableBytes: null, oomKillCount: null, psiFullAvg10: null }),
      thresholds: () => base.thresholds,
      openKmsg: () => null,
      bootId: null,
      bootTimeMs: null,
      log: (level, msg, fields = {}) => void lines.push({ level, msg, fields }),
      now: () => 1_700_000_000_000 + n * 60_000,
      version: 'test',
    });
    try {
      const ids: number[] = [];
      // ~15 MB of snapshots through an 8 MiB file system
      for (let i = 0; i < 300; i++) {
        const id = recorder.snapshot('scheduled', 'test');
        assert.notEqual(id, null, `snapshot ${i + 1} stored; log: ${JSON.stringify(lines.slice(-8))}`);
        ids.push(id!);
      }
      assert.equal(recorder.counters.failures, 0);
      assert.ok(lines.some((l) => l.msg === 'disk nearly full: deleted the oldest snapshots to keep room'), 'it made room itself');
      const kept = store.snapshots(ALL).map((s) => s.id);
      assert.ok(kept.length < 300, `old snapshots went (${kept.length} kept)`);
      assert.deepEqual(kept, ids.slice(-kept.length), 'the newest are kept, in order');
      assert.ok(statfsSync(mnt).bavail > 0, 'the disk never stays full');
    } finally {
      store.close();
    }
    assert.equal(integrityCheck(db), 'ok');
  });
});

const emptyConfigDir = mkdtempSync(path.join(tmpdir(), 'memrec-full-cfg-'));
const emptyConfig = path.join(emptyConfigDir, 'empty.yaml');
writeFileSync(emptyConfig, '');
test.after(() => rmSync(emptyConfigDir, { recursive: true, force: true }));

/** memrec record on a fixture node (small, steady snapshots), one a second, no kernel log. */
function recorder(db: string, kmsg = path.join(emptyConfigDir, 'no-kmsg')): RecorderProcess {
  return new RecorderProcess(['--db', db, '--config', emptyConfig, '--host-root', fixture('v1-cgroupfs'), '--schedule', '* * * * * *', '--kmsg', kmsg]);
}

test('filled by another process: snapshots fail and are counted, recording resumes once there is room, nothing stored before is lost', { skip }, async () => {
  await withTmpfs('4m', async (mnt) => {
    const db = path.join(mnt, 'memrec.db');
    const rec = recorder(db);
    try {
      await rec.waitFor(/msg="recorder started"/);
      await until('three snapshots', () => withStore(db, (s) => (s.snapshots(ALL).length >= 3 ? true : undefined)));
      const before = withStore(db, (s) => s.snapshots(ALL).map((x) => x.id));
      const filler = fill(mnt);
      await rec.waitFor(/msg="snapshot failed".*is full/, 20_000);
      // and it stays down while the disk is full: wait for a second failure
      await until('a second failure', () => (rec.out.match(/msg="snapshot failed"/g)?.length ?? 0) >= 2 || undefined, 20_000);
      const freedAt = Date.now();
      rmSync(filler);
      await rec.waitFor(/msg="database writable again" .*snapshots-lost=\d+/, 20_000);
      const after = await until('a snapshot taken after the room came back', () => withStore(db, (s) => s.snapshots({ since: freedAt, until: Number.MAX_SAFE_INTEGER })[0]), 20_000);
      assert.ok(after.takenAt >= freedAt);
      const ids = withStore(db, (s) => s.snapshots(ALL).map((x) => x.id));
      for (const id of before) assert.ok(ids.includes(id), `snapshot ${id} from before the full disk is kept`);
      const failed = withStore(db, (s) => s.events(ALL, ['snapshot_failed']));
      assert.ok(failed.length >= 1 && failed.length <= 2, `one snapshot_failed when it happened, one with the count on recovery: ${failed.length}`);
      assert.match((failed[0]!.details as { error: string }).error, /is full \(disk full or size limit\)/);
      const st = runCli(['status', '--db', db]);
      assert.equal(st.status, 0, st.stdout + st.stderr);
      assert.match(st.stdout, /^recorder: +running, pid \d+/m);
    } finally {
      await rec.stop();
    }
    assert.equal(integrityCheck(db), 'ok');
  });
});

test('started on a full disk: it waits for room to open the database, or stores recorder_start later; status never says "never started" once there is room', { skip }, async () => {
  await withTmpfs('4m', async (mnt) => {
    const db = path.join(mnt, 'memrec.db');
    // a database recorded before, stopped cleanly
    const first = recorder(db);
    await first.waitFor(/msg="recorder started"/);
    await until('a snapshot', () => withStore(db, (s) => (s.snapshots(ALL).length >= 1 ? true : undefined)));
    await first.stop();

    // 1. a reader holds the database open, so its -shm exists: the recorder opens it, recorder_start cannot be stored
    const reader = Store.open(db, { readonly: true });
    let filler = fill(mnt);
    // and the kernel killed a process meanwhile: evidence that must not be lost either
    const kmsg = path.join(emptyConfigDir, 'kmsg');
    writeFileSync(kmsg, readFileSync(fixture('kmsg', 'memcg-v1-6.18.kmsg')));
    const second = recorder(db, kmsg);
    try {
      await second.waitFor(/msg="storing an event failed; kept to store later" type=recorder_start/, 20_000);
      await second.waitFor(/msg="oom kill" pid=9019/, 20_000);
      assert.equal(reader.events(ALL, ['recorder_start']).length, 1, 'only the first run is stored yet');
      assert.equal(reader.events(ALL, ['oom_kill']).length, 0);
      rmSync(filler);
      await second.waitFor(/msg="database writable again"/, 20_000);
      await until('the second recorder_start', () => (reader.events(ALL, ['recorder_start']).length === 2 ? true : undefined), 20_000);
      await until('the OOM kill', () => (reader.events(ALL, ['oom_kill']).length === 1 ? true : undefined), 20_000);
      const st = runCli(['status', '--db', db]);
      assert.match(st.stdout, new RegExp(`^recorder: +running, pid ${second.pid},`, 'm'), st.stdout + st.stderr);
    } finally {
      reader.close();
      await second.stop();
    }

    // 2. nothing holds it: no room even for its -shm; the recorder waits, then starts
    for (const s of ['-wal', '-shm']) rmSync(db + s, { force: true });
    filler = fill(mnt);
    const third = recorder(db);
    try {
      await third.waitFor(/msg="cannot open the database; waiting for room" .*no room on its file system/, 20_000);
      assert.equal(third.child.exitCode, null, 'still running');
      rmSync(filler);
      await third.waitFor(/msg="recorder started"/, 20_000);
      await until('the third recorder_start', () => withStore(db, (s) => (s.events(ALL, ['recorder_start']).length === 3 ? true : undefined)), 20_000);
      const st = runCli(['status', '--db', db]);
      assert.match(st.stdout, new RegExp(`^recorder: +running, pid ${third.pid},`, 'm'), st.stdout + st.stderr);
    } finally {
      await third.stop();
    }
    assert.ok(existsSync(db));
    assert.equal(integrityCheck(db), 'ok');
  });
});
