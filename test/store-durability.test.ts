// The store under real failures: a full file system, a reader in another process while the writer
// writes, and a writer killed with SIGKILL mid-write, many times.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemrecError } from '../src/errors.js';
import { Store } from '../src/store/store.js';
import { repoRoot } from './helpers/paths.js';
import { integrityCheck } from './helpers/recorder.js';
import { stagedBuild } from './helpers/staged.js';
import { withTmpfs } from './helpers/tmpfs.js';
import { snapshot } from './helpers/snapshots.js';

const ALL = { since: 0, until: Number.MAX_SAFE_INTEGER };
const writerJs = path.join(repoRoot, 'dist', 'test', 'helpers', 'store-writer.js');
const isRoot = process.getuid?.() === 0;

/** The snapshot the writer helper stores at `takenAt`, read back whole. */
function assertIntact(store: Store, id: number, takenAt: number): void {
  const [s] = store.snapshots({ since: takenAt, until: takenAt });
  assert.equal(s?.id, id, `snapshot ${id} at ${takenAt} is there`);
  const expected = snapshot(takenAt);
  assert.equal(store.processRows({ since: takenAt, until: takenAt }).length, expected.processes.length, `snapshot ${id}: every process`);
  assert.deepStrictEqual(
    store.ownerRows({ since: takenAt, until: takenAt }).map((o) => o.key),
    expected.owners.map((o) => o.key),
    `snapshot ${id}: every owner`,
  );
  assert.equal(s?.trigger, `writer ${takenAt}`);
}

test('a full disk (tiny tmpfs) rolls the snapshot back with a clear error; earlier snapshots stay intact', { skip: !isRoot && 'needs root to mount a tmpfs' }, async () => {
  await withTmpfs('1m', (mnt) => {
    const file = path.join(mnt, 'memrec.db');
    const store = Store.open(file);
    try {
      const committed: number[] = [];
      let error: unknown = null;
      for (let i = 0; i < 10_000 && error === null; i++) {
        // distinct cmdlines make every snapshot add strings and procs rows too
        const s = snapshot(1000 + i, { processes: snapshot(0).processes.map((p) => ({ ...p, cmdline: `${p.cmdline ?? ''} ${'x'.repeat(200)} ${i}` })) });
        try {
          committed.push(store.writeSnapshot(s));
        } catch (e) {
          error = e;
        }
      }
      assert.ok(error instanceof MemrecError, `a MemrecError, got ${String(error)}`);
      assert.match(error.message, /^database .*memrec\.db is full \(disk full or size limit\): the scheduled snapshot taken at .* was not stored; earlier snapshots are intact$/);
      assert.ok(committed.length > 0);
      assert.deepStrictEqual(store.snapshots(ALL).map((s) => s.id), committed);
      assert.equal(store.processRows(ALL).length, committed.length * snapshot(0).processes.length);
      // room again: the same store carries on, with no id cached from the rolled-back transaction
      assert.equal(spawnSync('mount', ['-o', 'remount,size=8m', mnt]).status, 0);
      const after = snapshot(999_999);
      const id = store.writeSnapshot(after);
      assert.deepStrictEqual(store.processRows({ since: 999_999, until: 999_999 }).map((r) => r.cmdline), [...after.processes].sort((a, b) => b.rssBytes - a.rssBytes).map((p) => p.cmdline));
      assert.equal(store.snapshots(ALL).length, committed.length + 1);
      assert.ok(id > 0);
    } finally {
      // an open database keeps the mount busy: closed also when an assertion failed
      store.close();
    }
    assert.equal(integrityCheck(file), 'ok');
  });
});

interface Writer {
  child: ReturnType<typeof spawn>;
  /** `id takenAt` of every snapshot the writer reported committed */
  lines: [number, number][];
  /** resolves when the writer is gone; rejects when it failed other than by the SIGKILL the test sent */
  exited: Promise<void>;
}

/** Start the writer helper; `lines` collects `id takenAt` of every committed snapshot. */
function startWriter(file: string, count: number, first: number): Writer {
  const child = spawn(process.execPath, [writerJs, file, String(count), String(first)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: [number, number][] = [];
  let buf = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    for (const l of parts) {
      const [id, at] = l.split(' ').map(Number);
      lines.push([id as number, at as number]);
    }
  });
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve, reject) =>
    child.on('exit', (code, signal) => (code === 0 || signal === 'SIGKILL' ? resolve() : reject(new Error(`writer failed (${code ?? signal}): ${err}`)))),
  );
  exited.catch(() => undefined); // observed here; whoever awaits it still gets the failure
  return { child, lines, exited };
}

/** Wait until the writer reported `n` commits; fails if it exits first or the deadline passes. */
async function commits(w: Writer, n: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (w.lines.length < n) {
    if (w.child.exitCode !== null || w.child.signalCode !== null) throw new Error(`the writer exited after ${w.lines.length} of ${n} commits`);
    if (Date.now() > deadline) throw new Error(`the writer reported ${w.lines.length} of ${n} commits within ${timeoutMs} ms`);
    await sleep(5);
  }
}

test('a reader in another process sees whole snapshots while the writer writes (WAL)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'memrec-rw-'));
  try {
    const file = path.join(dir, 'memrec.db');
    Store.open(file).close();
    const n = 200;
    const w = startWriter(file, n, 1_000_000);
    let done = false;
    const exited = w.exited.finally(() => (done = true));
    exited.catch(() => undefined);
    const seen = new Set<number>();
    let last = 0;
    const deadline = Date.now() + 60_000;
    const reader = Store.open(file, { readonly: true });
    try {
      while (!done) {
        if (Date.now() > deadline) {
          w.child.kill('SIGKILL');
          assert.fail(`the writer did not finish ${n} snapshots within 60 s (${last} seen)`);
        }
        const snaps = reader.snapshots(ALL);
        assert.ok(snaps.length >= last, 'counts never go back');
        last = snaps.length;
        seen.add(snaps.length);
        // atomic: a visible snapshot has all its rows
        const rows = reader.processRows(ALL);
        assert.ok(rows.length >= snaps.length * snapshot(0).processes.length);
        assert.equal(rows.filter((r) => r.snapshotId === snaps.at(-1)?.id).length, snaps.length === 0 ? 0 : snapshot(0).processes.length);
        await sleep(5);
      }
      await exited;
      assert.equal(reader.snapshots(ALL).length, n);
    } finally {
      reader.close();
    }
    const partial = [...seen].filter((c) => c > 0 && c < n);
    assert.ok(partial.length >= 2, `the reader ran while the writer wrote (saw counts ${[...seen].join(',')})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('kill -9 mid-write, many times: integrity ok and every committed snapshot intact; the next writer carries on', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'memrec-kill-'));
  try {
    const file = path.join(dir, 'state', 'memrec.db');
    mkdirSync(path.dirname(file));
    const committed: [number, number][] = [];
    const runs = 12;
    for (let run = 0; run < runs; run++) {
      const w = startWriter(file, 1_000_000, (run + 1) * 1_000_000_000);
      // wait for a few commits, then kill at a random moment of the loop
      await commits(w, 3);
      await sleep(Math.floor(Math.random() * 60));
      w.child.kill('SIGKILL');
      await w.exited;
      committed.push(...w.lines);
      assert.equal(integrityCheck(file), 'ok', `after kill ${run + 1}`);
    }
    const store = Store.open(file, { readonly: true });
    try {
      for (const [id, at] of committed) assertIntact(store, id, at);
      // at most the one snapshot per run whose line was not yet printed may exist beyond those reported
      const total = store.snapshots(ALL).length;
      assert.ok(total >= committed.length && total <= committed.length + runs, `${total} snapshots, ${committed.length} reported`);
    } finally {
      store.close();
    }
    // and a clean run afterwards works normally
    const w = startWriter(file, 5, 99_000_000_000);
    await commits(w, 5);
    await w.exited;
    assert.equal(w.lines.length, 5);
    const s = Store.open(file, { readonly: true });
    for (const [id, at] of w.lines) assertIntact(s, id, at);
    s.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a non-root user who can read the files reads while the recorder runs, and gets one clear line otherwise', { skip: !isRoot && 'needs root to run as nobody' }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'memrec-nobody-'));
  try {
    chmodSync(dir, 0o755);
    const file = path.join(dir, 'memrec.db');
    // the staged build: the checkout itself may be where nobody cannot enter
    const staged = stagedBuild();
    const asNobody = (): string => {
      const r = spawnSync('runuser', ['-u', 'nobody', '--', staged.node, staged.dist('test', 'helpers', 'store-reader.js'), file], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.stderr, '', 'the reader ran as nobody');
      return r.stdout.trim();
    };
    const store = Store.open(file);
    store.writeSnapshot(snapshot(1000));
    // an admin grants read access (memrec itself never makes the files world-readable)
    for (const f of [file, `${file}-wal`, `${file}-shm`]) chmodSync(f, 0o644);
    assert.equal(asNobody(), 'snapshots 1');
    store.close();
    assert.equal(asNobody(), `error cannot read ${file}: no writer has it open and this user cannot create ${file}-shm in ${dir} (read it as the recorder's user, or while the recorder runs, or copy the file)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
