// A recorded database for the report tests, made on the real kernel: the real collector snapshots
// a test cgroup holding a kubepods pod and a system.slice service that grows while its cwd walks a
// pod's volume directory; a real memcg OOM kill is read back from /dev/kmsg. Nothing is hand-written
// but the recorder's own decisions (burst start/end, which the recorder will make itself later).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { Collector } from '../../src/sources/collector.js';
import { KmsgReader, readBootId } from '../../src/sources/kmsg.js';
import { resolveRoots } from '../../src/sources/roots.js';
import { OomJoiner } from '../../src/model/oom.js';
import { Store } from '../../src/store/store.js';
import type { OomKill, SnapshotKind } from '../../src/model/types.js';
import { withCgroup } from './cgroup.js';

export interface RecordedDb {
  file: string;
  since: number;
  until: number;
  podUid: string;
  growerPid: number;
  growerUnit: string;
  /** the pod volume directory the grower's cwd walks */
  volume: string;
  oomKills: OomKill[];
  snapshots: number;
}

const MiB = 1024 * 1024;

/** Grows by 24 MiB every 60 ms up to 240 MiB, chdir-ing into the next directory each step, like updatedb. */
const GROWER = `
const dirs = process.argv.slice(1); const keep = []; let i = 0;
const t = setInterval(() => {
  if (keep.length < 10) { const b = Buffer.alloc(${24 * MiB}, 1); keep.push(b); }
  process.chdir(dirs[i++ % dirs.length]);
}, 60);
process.on('SIGTERM', () => { clearInterval(t); process.exit(0); });
`;

/** An argument a hostile process could carry: the HTML report must show it, never run or load it. */
export const HOSTILE_ARG = '--name=<script>document.title="pwned"</script><img src="http://198.51.100.7/x.png">';

/** Holds 48 MiB: the pod's process. */
const POD_APP = `const b = Buffer.alloc(${48 * MiB}, 2); setInterval(() => b[0]++, 1000);`;

/** Allocates until the memcg limit kills it. */
const HOG = `const keep = []; setInterval(() => { keep.push(Buffer.alloc(${16 * MiB}, 3)); }, 10);`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function recordTestDatabase(dir: string): Promise<RecordedDb> {
  const file = path.join(dir, 'memrec.db');
  const podUid = randomUUID();
  const containerId = randomBytes(32).toString('hex');
  const volume = path.join(dir, 'var/lib/kubelet/pods', podUid, 'volumes/kubernetes.io~empty-dir/scratch');
  const walk = Array.from({ length: 6 }, (_, i) => path.join(volume, `dir${i}`));
  for (const d of walk) mkdirSync(d, { recursive: true });
  const unit = `memrec-test-updatedb-${randomBytes(3).toString('hex')}.service`;

  return withCgroup(async (cg) => {
    const podCg = `kubepods/burstable/pod${podUid}/${containerId}`;
    cg.mkdir(podCg);
    cg.mkdir(`system.slice/${unit}`);
    cg.mkdir('oom');
    cg.setLimit(96 * MiB, 'oom');
    const podApp = cg.spawnIn(podCg, process.execPath, ['-e', POD_APP, '--', HOSTILE_ARG], { cwd: dir });
    const bootId = readBootId('/proc');
    const kmsg = new KmsgReader('/dev/kmsg');
    kmsg.drain(); // only kills from now on
    const joiner = new OomJoiner(bootId);
    const store = Store.open(file);
    const collector = new Collector({ roots: resolveRoots({}), top: 15 });
    const since = Date.now();
    let snapshots = 0;
    const snap = (kind: SnapshotKind, trigger: string): void => {
      const c = collector.collect(Date.now());
      store.writeSnapshot({ ...c, kind, trigger });
      snapshots++;
    };
    let grower;
    const oomKills: OomKill[] = [];
    try {
      store.writeEvent({ type: 'recorder_start', at: Date.now(), details: { version: 'test', pid: process.pid } });
      await cg.waitForPid(podApp.pid!, podCg);
      await sleep(300);
      snap('scheduled', 'schedule');
      grower = cg.spawnIn(`system.slice/${unit}`, process.execPath, ['-e', GROWER, ...walk], { cwd: walk[0]! });
      await cg.waitForPid(grower.pid!, `system.slice/${unit}`);
      await sleep(150);
      snap('scheduled', 'schedule');
      store.writeEvent({ type: 'burst_start', at: Date.now(), details: { reason: 'test: memory growing', values: {} } });
      const burstStart = Date.now();
      for (let i = 0; i < 8; i++) {
        await sleep(100);
        snap('burst', 'burst: test');
      }
      // A real memcg OOM kill, read back the way the recorder's watcher reads it.
      const hog = cg.spawnIn('oom', process.execPath, ['-e', HOG]);
      await new Promise<void>((resolve) => hog.on('exit', () => resolve()));
      for (let tries = 0; tries < 50 && oomKills.length === 0; tries++) {
        for (const r of kmsg.drain()) oomKills.push(...joiner.push(r));
        if (oomKills.length === 0) await sleep(20);
      }
      for (const k of oomKills) store.writeEvent({ type: 'oom_kill', at: Date.now(), details: k });
      snap('oom', `oom_kill pid ${oomKills[0]?.pid ?? '?'}`);
      await sleep(100);
      snap('burst', 'burst: test');
      store.writeEvent({ type: 'burst_end', at: Date.now(), details: { reason: 'test: done', durationMs: Date.now() - burstStart, snapshots: 10, values: {} } });
      await sleep(50);
      snap('scheduled', 'schedule');
      store.writeEvent({ type: 'recorder_stop', at: Date.now(), details: { reason: 'test', snapshots, failures: 0 } });
      return { file, since, until: Date.now(), podUid, growerPid: grower.pid!, growerUnit: unit, volume, oomKills, snapshots };
    } finally {
      kmsg.close();
      store.close();
    }
  });
}
