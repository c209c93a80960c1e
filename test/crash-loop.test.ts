// The crash loop, on the real kernel: a recorder bursting over a test cgroup that a grower keeps near its
// limit is killed with SIGKILL 50 times, at varying points of its snapshot cycle (in the very tick it logged a
// commit, or up to 150 ms later). After every kill the database passes integrity_check and holds every
// snapshot the recorder had acknowledged (logged as stored, after its commit returned); the next start carries on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { canUseMemoryCgroups, withCgroup } from './helpers/cgroup.js';
import { RecorderProcess, until, withStore } from './helpers/recorder.js';
import { requireTool } from './helpers/tools.js';

const skip = !canUseMemoryCgroups() && 'needs root and a writable cgroup v1 memory hierarchy';
const ALL = { since: 0, until: Number.MAX_SAFE_INTEGER };
const Mi = 1024 * 1024;
const ROUNDS = 50;

// Holds 150 MiB in a 256 MiB cgroup: memory.available stays below burst-at (200Mi) for as long as it runs.
const GROWER = `
import time
held = [b'\\x01' * (10 << 20) for _ in range(15)]
print('grown', flush=True)
time.sleep(3600)
`;

const STORED = /level=debug msg="snapshot stored" id=(\d+) /g;

test(`kill -9 of a bursting recorder, ${ROUNDS} times: integrity ok and every acknowledged snapshot kept each time`, { skip, timeout: 900_000 }, async (t) => {
  requireTool('python3');
  const dir = mkdtempSync(path.join(tmpdir(), 'memrec-crash-'));
  const recorders: RecorderProcess[] = [];
  try {
    const db = path.join(dir, 'crash.db');
    writeFileSync(path.join(dir, 'empty.yaml'), '');
    await withCgroup(async (cg) => {
      cg.setLimit(256 * Mi);
      const grower = cg.spawnIn('', 'python3', ['-c', GROWER]);
      let said = '';
      grower.stdout!.on('data', (d: Buffer) => (said += d.toString()));
      await until('the grower to hold its memory', () => (said.includes('grown') ? true : undefined), 30_000);
      const args = ['--db', db, '--config', path.join(dir, 'empty.yaml'), '--kmsg', '/dev/null', '--memory-cgroup', cg.path, '--burst-at', '200Mi', '--hard', '10Mi', '--burst-psi', '100',
        '--burst-interval', '100ms', '--watch-interval', '100ms', '--top', '30', '--debug'];
      const acknowledged: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const r = new RecorderProcess(args);
        recorders.push(r);
        // kill in the very tick the Nth commit is logged, or a varying moment after it
        const after = 1 + (round % 4);
        const delay = round % 2 === 0 ? 0 : (round * 37) % 150;
        const killed = new Promise<void>((resolve, reject) => {
          let done = false;
          const onData = (): void => {
            if (done || [...r.out.matchAll(STORED)].length < after) return;
            done = true;
            if (delay === 0) r.child.kill('SIGKILL');
            else setTimeout(() => r.child.kill('SIGKILL'), delay);
            resolve();
          };
          r.child.stdout!.on('data', onData);
          r.child.stderr!.on('data', onData);
          const timer = setTimeout(() => !done && reject(new Error(`round ${round + 1}: ${after} snapshots not logged as stored within 30 s:\n${r.out}`)), 30_000);
          void r.exit().then(() => {
            clearTimeout(timer);
            if (!done) reject(new Error(`round ${round + 1}: the recorder exited by itself:\n${r.out}`));
          });
        });
        await killed;
        assert.equal((await r.exit()).signal, 'SIGKILL');
        const ids = [...r.out.matchAll(STORED)].map((m) => Number(m[1]));
        acknowledged.push(...ids);
        const raw = new Database(db, { readonly: true });
        try {
          assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok', `after kill ${round + 1}`);
          assert.deepEqual(raw.pragma('foreign_key_check'), [], `after kill ${round + 1}`);
          const stored = new Set(raw.prepare('SELECT id FROM snapshots').pluck().all() as number[]);
          const lost = acknowledged.filter((id) => !stored.has(id));
          assert.deepEqual(lost, [], `after kill ${round + 1} (${delay} ms after commit ${after}): acknowledged snapshots gone`);
        } finally {
          raw.close();
        }
      }
      t.diagnostic(`${acknowledged.length} snapshots acknowledged over ${ROUNDS} kills, all kept`);
      // every acknowledged snapshot is a burst snapshot of the test cgroup, whole
      withStore(db, (s) => {
        const bursts = new Map(s.snapshots(ALL, { kinds: ['burst'] }).map((x) => [x.id, x]));
        for (const id of acknowledged.filter((i) => bursts.has(i))) assert.equal(bursts.get(id)!.kubelet.cgroup, cg.path);
        assert.ok(bursts.size >= ROUNDS, `${bursts.size} burst snapshots`);
      });
      // and a clean start afterwards records on
      const last = new RecorderProcess(args);
      recorders.push(last);
      await last.waitFor(/msg="snapshot stored"/);
      assert.deepEqual(await last.stop('SIGTERM'), { code: 0, signal: null });
      withStore(db, (s) => {
        assert.equal(s.events(ALL, ['recorder_start']).length, ROUNDS + 1);
        assert.equal(s.events(ALL, ['recorder_stop']).length, 1, 'only the clean stop was recorded');
      });
    });
  } finally {
    for (const r of recorders) await r.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
