// A day recorded at 1 s, written through the real Store: the worst case for the reports' size and
// layout. Hundreds of bursts, dozens of owners coming and going, node-level and cgroup OOM kills, a
// single-sample dip below zero, and processes carrying hostile strings (a 100 KB command line, bidi
// overrides, markup). Deterministic: the same arguments write the same database.
import type { OomKill, Owner, OwnerAggregate, ProcessSample, RecorderEvent } from '../../src/model/types.js';
import { completeOomKill } from '../../src/model/oom.js';
import { Store } from '../../src/store/store.js';
import { MiB, processSample, snapshot } from './snapshots.js';

const GiB = 1024 * MiB;

/** Right-to-left override, pop, and an isolate: what a process can put in its name to reorder a page. */
export const RLO = '\u202e';
export const HOSTILE_COMM = `${RLO}gpj.exe<b>`;
/** 100 KB of command line: markup, a bidi override, no spaces for long stretches. */
export const HOSTILE_CMDLINE =
  `/usr/bin/python3 -c <script>document.title="pwned"</script> ${RLO}evil.sh --token=<redacted> ` + 'A'.repeat(40_000) + ' ' + '/x'.repeat(30_000);
export const LONG_CWD = '/var/lib/kubelet/pods/' + '0'.repeat(8) + '/volumes/' + 'very-long-directory-name-'.repeat(12) + '/deeper';

export interface LongDb {
  file: string;
  since: number;
  until: number;
  snapshots: number;
  bursts: number;
  /** the kills stored, node-level (global) and in limited cgroups */
  nodeKills: number;
  cgroupKills: number;
  /** the one snapshot whose memory.available dips below zero */
  dipAt: number;
  dipBytes: number;
  owners: number;
}

/** A small deterministic generator (mulberry32), so the day is the same on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function ownerNo(i: number): { owner: Owner; cgroup: string; key: string } {
  if (i % 3 === 0) {
    const uid = `${String(i).padStart(8, '0')}-1111-2222-3333-444455556666`;
    const containerId = `${i}`.padStart(64, 'c');
    const owner: Owner = {
      kind: 'pod', podUid: uid, qos: 'burstable', containerId, runtime: 'containerd', namespace: 'a-rather-long-namespace-for-batch-jobs',
      podName: `nightly-reindex-worker-with-a-long-name-${i}-7d9f8b6c4-x2k9q`, container: 'reindexer-with-a-long-container-name', containerType: 'container',
      cgroup: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${uid.replace(/-/g, '_')}.slice`,
    };
    return { owner, cgroup: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${uid.replace(/-/g, '_')}.slice/cri-containerd-${containerId}.scope`, key: `pod:${uid}` };
  }
  const unit = `job-${i}-${'x'.repeat(i % 7)}.service`;
  const cgroup = `/system.slice/${unit}`;
  return { owner: { kind: 'service', unit, cgroup }, cgroup, key: `service:${cgroup}` };
}

/**
 * Write a day (`seconds` snapshots 1 s apart, default 86 400) starting at `since`. Every snapshot holds
 * 12 processes of the owners alive then (60 owners over the day, each for a few hours).
 */
export function writeLongDb(file: string, opts: { since?: number; seconds?: number } = {}): LongDb {
  const since = opts.since ?? Date.UTC(2026, 10, 27, 0, 0, 0);
  const seconds = opts.seconds ?? 86_400;
  const rnd = random(7);
  const store = Store.open(file);
  const ownerCount = 60;
  const life = (seconds / ownerCount) * 8; // each owner lives for 8 slots: ~8 alive at a time
  const burstEvery = Math.max(60, Math.floor(seconds / 300));
  const dipIndex = Math.floor(seconds * 0.61);
  const capacity = 32 * GiB;
  let bursts = 0;
  let nodeKills = 0;
  let cgroupKills = 0;
  let dipBytes = 0;
  const events: RecorderEvent[] = [];
  // kills as a memrec that kept only the kill lines stored them (no task table): the report's other parts unseen
  const kill = (at: number, pid: number, comm: string, global: boolean, memcg: string | null): OomKill =>
    completeOomKill({
      bootId: 'long-day', kmsgSeq: events.length + 1, kmsgUsec: at * 1000, pid, comm, uid: 0, constraint: global ? 'global' : 'memcg', oomMemcg: memcg,
      taskMemcg: memcg, totalVmKb: 4_000_000, anonRssKb: 3_000_000, fileRssKb: 1000, shmemRssKb: 0, pgtablesKb: 6000, oomScoreAdj: global ? 0 : 1000, global,
    });
  try {
    const chunk = 3600;
    for (let from = 0; from < seconds; from += chunk) {
      store.batch(() => {
        for (let i = from; i < Math.min(seconds, from + chunk); i++) {
          const at = since + i * 1000;
          // a burst every `burstEvery` seconds lasting a third of it, memory.available dipping in it
          const phase = i % burstEvery;
          const inBurst = phase < burstEvery / 3;
          if (phase === 0) {
            bursts++;
            events.push({ type: 'burst_start', at, details: { reason: 'memory.available 1.9Gi <= 2Gi', values: {} } });
            events.push({ type: 'threshold_crossing', at, details: { signal: 'memory.available', threshold: 'burst-at', direction: 'below', valueBytes: Math.round(1.9 * GiB), thresholdBytes: 2 * GiB } });
          }
          if (phase === Math.floor(burstEvery / 3)) {
            events.push({ type: 'burst_end', at, details: { reason: 'recovered', durationMs: (burstEvery / 3) * 1000, snapshots: Math.floor(burstEvery / 3), values: {} } });
          }
          let available = Math.round(6 * GiB + Math.sin(i / 3000) * 1.5 * GiB - (inBurst ? Math.sin((phase / (burstEvery / 3)) * Math.PI) * 4.5 * GiB : 0) + rnd() * 64 * MiB);
          if (i === dipIndex) {
            available = -100 * MiB;
            dipBytes = available;
          }
          const procs: ProcessSample[] = [];
          const aggregates: OwnerAggregate[] = [];
          for (let o = 0; o < ownerCount; o++) {
            const start = (o / ownerCount) * seconds - life / 2;
            if (i < start || i > start + life) continue;
            const { owner, cgroup, key } = ownerNo(o);
            const rss = Math.round(200 + 1800 * Math.sin(((i - start) / life) * Math.PI) * ((o % 5) + 1) / 5);
            procs.push(processSample(1000 + o, rss, owner, { comm: `worker-${o}`, cgroup, unit: owner.kind === 'service' ? owner.unit : null, cmdline: `/usr/local/bin/worker --shard=${o} --config=/etc/worker/${o}.yaml`, cwd: `/srv/work/${o}` }));
            aggregates.push({ key, owner, processCount: 1, rssBytes: rss * MiB, swapBytes: 0, cgroup: null });
          }
          const hostileOwner: Owner = { kind: 'other', cgroup: `/${RLO}evil/<script>` };
          // the hostile process grows until the dip (so culprits, ranked by what grew as memory fell, lists it first)
          const hostileMiB = 100 + Math.round(2000 * Math.min(1, i / dipIndex)) + (i % 100);
          procs.push(processSample(666, hostileMiB, hostileOwner, { comm: HOSTILE_COMM, cgroup: `/${RLO}evil/<script>`, unit: null, cmdline: HOSTILE_CMDLINE, cwd: LONG_CWD }));
          aggregates.push({ key: `other:/${RLO}evil/<script>`, owner: hostileOwner, processCount: 1, rssBytes: hostileMiB * MiB, swapBytes: 0, cgroup: null });
          const base = snapshot(at, { kind: inBurst ? 'burst' : 'scheduled', processes: procs });
          const workingSet = capacity - available;
          store.writeSnapshot({
            ...base,
            meminfo: { ...base.meminfo, memAvailableBytes: Math.max(50 * MiB, available - 3 * GiB) },
            kubelet: { ...base.kubelet, capacityBytes: capacity, usageBytes: workingSet + GiB, workingSetBytes: workingSet, availableBytes: available },
            owners: aggregates,
            processCount: procs.length,
          });
          // kills: a node-level one every few hours, a pod's own limit more often
          if (i > 0 && i % Math.floor(seconds / 4) === 0) {
            nodeKills++;
            events.push({ type: 'oom_kill', at: at + 200, details: kill(at, 2000 + i, 'java', true, null) });
          }
          if (i > 0 && i % Math.floor(seconds / 11) === 0) {
            cgroupKills++;
            const { cgroup } = ownerNo(3 * (i % 20));
            events.push({ type: 'oom_kill', at: at + 300, details: kill(at, 3000 + i, 'reindex', false, cgroup) });
          }
        }
      });
    }
    store.batch(() => {
      for (const e of events) store.writeEvent(e);
    });
  } finally {
    store.close();
  }
  return { file, since, until: since + (seconds - 1) * 1000, snapshots: seconds, bursts, nodeKills, cgroupKills, dipAt: since + dipIndex * 1000, dipBytes, owners: ownerCount + 1 };
}
