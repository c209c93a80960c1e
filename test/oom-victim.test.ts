// The question people ask of an OOM kill, on the real kernel: was the victim the cause? In a memory cgroup
// with a limit, a best-effort pod's process at oom_score_adj 1000 holds a little memory while a host service at
// adj 0 grows until the kernel kills: the victim is the pod's, the largest task is the service. The recorder
// must store one event naming both, with their owners, and every report must say it in one line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { OomKill } from '../src/model/types.js';
import type { Store } from '../src/store/store.js';
import { canUseMemoryCgroups, withCgroup } from './helpers/cgroup.js';
import { RecorderProcess, until, withStore } from './helpers/recorder.js';
import { writeMarker } from './helpers/kmsg.js';
import { runCli } from './helpers/run.js';
import { requireTool } from './helpers/tools.js';

const Mi = 1024 * 1024;
const ALL = { since: 0, until: Number.MAX_SAFE_INTEGER };
const POD_UID = '3f1e7c2a-9b4d-4e5f-8a6b-1c2d3e4f5a6b';
const CONTAINER = 'b7e4d1c0a9f8e7d6c5b4a3928170f6e5d4c3b2a1908f7e6d5c4b3a2918070605';
// The pod's process: raises its own oom_score_adj to 1000 (as the kubelet sets it for best-effort pods), holds 32Mi.
const VICTIM = `import time
open('/proc/self/oom_score_adj', 'w').write('1000')
held = b'\\x01' * (32 << 20)
print('ready', flush=True)
time.sleep(600)`;
// The service: grows by 4Mi every 50 ms to 160Mi, then holds it.
const GROWER = `import time
chunks = []
while len(chunks) * 4 < 160:
    chunks.append(b'\\x01' * (4 << 20))
    time.sleep(0.05)
print('grown', flush=True)
time.sleep(600)`;

/** python3's real binary: symlinks to it named nginx and updatedb give the processes those comms. */
function realPython(): string {
  requireTool('python3');
  return realpathSync(execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8', timeout: 30_000 }).trim());
}

const skip = !canUseMemoryCgroups() ? 'needs root and a writable cgroup v1 memory hierarchy' : !existsSync('/dev/kmsg') ? 'needs /dev/kmsg' : false;

function printed(child: ChildProcess, word: string, timeoutMs = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`pid ${child.pid} did not print "${word}" within ${timeoutMs} ms (got "${out}")`)), timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(word)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`pid ${child.pid} exited (${code ?? sig}) before printing "${word}"`));
    });
  });
}

test('a real OOM kill: the adj-1000 pod process is the victim, the growing service the largest task; one event, across a restart', { skip }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'memrec-oom-victim-'));
  const recorders: RecorderProcess[] = [];
  try {
    // the host root names the pod: /var/log/pods/<namespace>_<name>_<uid>/
    mkdirSync(path.join(dir, 'host', 'var', 'log', 'pods', `shop_web-1_${POD_UID}`), { recursive: true });
    // the processes' comm is their program's file name
    const python = realPython();
    symlinkSync(python, path.join(dir, 'nginx'));
    symlinkSync(python, path.join(dir, 'updatedb'));
    writeFileSync(path.join(dir, 'empty.yaml'), '');
    const db = path.join(dir, 'oom.db');
    await withCgroup(async (cg) => {
      const podCgroup = cg.mkdir(`kubepods/besteffort/pod${POD_UID}/${CONTAINER}`);
      const svcCgroup = cg.mkdir('system.slice/updatedb.service');
      cg.setLimit(192 * Mi);
      const args = ['--db', db, '--config', path.join(dir, 'empty.yaml'), '--host-root', path.join(dir, 'host'), '--proc-root', '/proc', '--sys-root', '/sys',
        '--memory-cgroup', cg.path, '--hard', '1Mi', '--burst-at', '1Mi', '--burst-psi', '100'];
      const rec = new RecorderProcess(args);
      recorders.push(rec);
      await rec.waitFor(/msg="kernel log read"/);

      const victim = cg.spawnIn(podCgroup.slice(cg.path.length + 1), path.join(dir, 'nginx'), ['-c', VICTIM]);
      await printed(victim, 'ready');
      const killed = new Promise<NodeJS.Signals | null>((resolve) => victim.on('exit', (_c, sig) => resolve(sig)));
      const grower = cg.spawnIn(svcCgroup.slice(cg.path.length + 1), path.join(dir, 'updatedb'), ['-c', GROWER]);
      const grown = printed(grower, 'grown', 30_000);
      assert.equal(await killed, 'SIGKILL');
      await grown; // the service outlived the kill and reached its size: no second OOM in this cgroup

      // other tests kill in their own cgroups meanwhile: only this cgroup's kills count
      const mine = (s: Store): OomKill[] => s.events(ALL, ['oom_kill']).flatMap((e) => (e.type === 'oom_kill' && e.details.oomMemcg === cg.path ? [e.details] : []));
      const k = await until('the oom_kill event of the test cgroup', () => withStore(db, (s) => mine(s)[0]), 20_000);
      assert.equal(k.pid, victim.pid);
      assert.equal(k.comm, 'nginx');
      assert.equal(k.oomScoreAdj, 1000);
      assert.equal(k.taskMemcg, podCgroup);
      assert.deepEqual(k.owner, { kind: 'pod', podUid: POD_UID, qos: 'besteffort', containerId: CONTAINER, runtime: 'unknown', namespace: 'shop', podName: 'web-1', container: null, containerType: null, cgroup: podCgroup.slice(0, -CONTAINER.length - 1) });
      assert.equal(k.invoker?.comm, 'updatedb', 'the growing service asked for the page');
      assert.equal(k.invoker?.pid, grower.pid);
      assert.equal(k.memcgLimitBytes, 192 * Mi);
      assert.deepEqual(k.missing, []);
      assert.equal(k.largest?.pid, grower.pid);
      assert.equal(k.largest?.comm, 'updatedb');
      assert.equal(k.largest?.oomScoreAdj, 0);
      assert.deepEqual(k.largest?.owner, { kind: 'service', unit: 'updatedb.service', cgroup: svcCgroup });
      assert.ok((k.largest?.rssBytes ?? 0) > 100 * Mi, `largest rss ${k.largest?.rssBytes}`);
      assert.deepEqual(k.tasks[0], k.largest);
      const v = k.tasks.find((t) => t.pid === victim.pid);
      assert.ok(v !== undefined && v.rssBytes! > 32 * Mi && v.rssBytes! < k.largest!.rssBytes!, 'the victim held less than the largest');
      assert.deepEqual(v.owner, k.owner);
      await rec.waitFor(new RegExp(`msg="oom kill" pid=${victim.pid} comm=nginx .*oom-score-adj=1000 largest=updatedb largest-pid=${grower.pid} `));

      // The one line, as `memrec events` prints it (piped: never cut).
      const text = runCli(['events', '--since', '1h', '--type', 'oom_kill', '--db', db]);
      assert.equal(text.status, 0, text.stderr);
      const line = text.stdout.split('\n').find((l) => l.includes(`(pid ${victim.pid},`));
      assert.ok(line !== undefined, text.stdout);
      assert.match(
        line,
        new RegExp(`OOM in ${cg.path}: killed nginx \\(pid ${victim.pid}, pod shop/web-1, best-effort, oom_score_adj 1000, \\d+(\\.\\d+)?Mi\\); the largest task was updatedb \\(pid ${grower.pid}, host service updatedb\\.service, 1\\d\\d(\\.\\d+)?Mi\\)$`),
      );
      const culprits = runCli(['culprits', '--since', '1h', '--db', db, '--format', 'json']);
      assert.equal(culprits.status, 0, culprits.stderr);
      const listed = (JSON.parse(culprits.stdout) as { oomKills: Array<{ pid: number; victimWasLargest: boolean; largest: { pid: number; owner: string } }> }).oomKills.find((x) => x.pid === victim.pid);
      assert.deepEqual([listed?.victimWasLargest, listed?.largest.pid, listed?.largest.owner], [false, grower.pid, 'service updatedb.service']);

      // Restart: the kill is in the ring buffer still, and must not be stored again.
      assert.deepEqual(await rec.stop('SIGTERM'), { code: 0, signal: null });
      const marker = writeMarker();
      const again = new RecorderProcess(args);
      recorders.push(again);
      const read = await again.waitFor(/msg="kernel log read"/);
      const upTo = Number(/last-seq=(\d+)/.exec(read)?.[1]);
      assert.ok(upTo >= marker, `the restarted recorder read past the marker (${upTo} >= ${marker})`);
      assert.deepEqual(await again.stop('SIGTERM'), { code: 0, signal: null });
      assert.doesNotMatch(again.out, new RegExp(`oom kill" pid=${victim.pid} `));
      withStore(db, (s) => assert.equal(mine(s).length, 1));
    });
  } finally {
    for (const r of recorders) await r.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
