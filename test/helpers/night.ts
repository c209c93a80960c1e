// A night on a node recorded with --memory-cgroup /node-1, written through the store as the recorder would:
// the incident with its ordinary noise. Inside the node: a JVM big all night (billing-jvm.service, 240 MiB,
// never growing), a pod, and updatedb (plocate-updatedb.service) growing from 01:15 to 1.6 GiB at the lowest
// memory.available (01:21:30), gone at 01:22. Outside the node cgroup: a 340 MiB process and the host's own
// plocate-updatedb.service (the same unit name, another owner). A burst 01:20-01:22 and an OOM kill at 01:21:45.
import { attribute, ownerKey } from '../../src/model/attribution.js';
import { completeOomKill } from '../../src/model/oom.js';
import { aggregateOwners } from '../../src/model/snapshot.js';
import type { Owner, ProcessSample, RecorderEvent, Snapshot } from '../../src/model/types.js';
import { Store } from '../../src/store/store.js';
import { MiB, processSample, snapshot } from './snapshots.js';

export const NODE = '/node-1';
export const T0 = Date.UTC(2026, 10, 27, 1, 0, 0);
export const LOWEST = Date.UTC(2026, 10, 27, 1, 21, 30);
export const BURST = { start: Date.UTC(2026, 10, 27, 1, 20, 0), end: Date.UTC(2026, 10, 27, 1, 22, 0) };
export const OOM_AT = Date.UTC(2026, 10, 27, 1, 21, 45);
export const END = Date.UTC(2026, 10, 27, 1, 30, 0);
export const POD_UID = '5d3c8f2e-1111-4222-8333-944455556666';
export const PIDS = { jvm: 300, pod: 310, outside: 400, updatedb: 500, hostUpdatedb: 600 } as const;
const CID = 'c'.repeat(64);
const GiB = 1024 * MiB;

function proc(pid: number, rssMiB: number, cgroup: string, comm: string, extra: Partial<ProcessSample> = {}): ProcessSample {
  const owner: Owner = attribute(cgroup, cgroup, false);
  if (owner.kind === 'pod') Object.assign(owner, { namespace: 'search', podName: 'indexer-0' });
  return processSample(pid, rssMiB, owner, { cgroup, unit: owner.kind === 'service' ? owner.unit : null, comm, cmdline: `/usr/bin/${comm}`, startTime: T0 - 3_600_000, ...extra });
}

/** updatedb's RSS at `t`: 0 before 01:15, then growing to 1.6 GiB at the lowest point, gone after 01:22. */
function updatedbMiB(t: number): number | null {
  const start = Date.UTC(2026, 10, 27, 1, 15, 0);
  if (t < start || t > BURST.end) return null;
  return Math.round(Math.min(1, (t - start) / (LOWEST - start)) * 1600) + 10;
}

export function nightSnapshot(t: number, kind: Snapshot['kind']): Snapshot {
  const u = updatedbMiB(t);
  const processes = [
    proc(PIDS.jvm, 240, `${NODE}/system.slice/billing-jvm.service`, 'java'),
    proc(PIDS.pod, 64, `${NODE}/kubepods/burstable/pod${POD_UID}/${CID}`, 'indexer'),
    proc(PIDS.outside, 340, '/system.slice/batch.service', 'batch'),
    proc(PIDS.hostUpdatedb, 50, '/system.slice/plocate-updatedb.service', 'updatedb'),
  ];
  if (u !== null) {
    processes.push(
      proc(PIDS.updatedb, u, `${NODE}/system.slice/plocate-updatedb.service`, 'updatedb', {
        startTime: Date.UTC(2026, 10, 27, 1, 15, 0),
        cwd: `/var/lib/kubelet/pods/${POD_UID}/volumes/kubernetes.io~empty-dir/data/shard-${Math.floor((t / 1000) % 40)}`,
      }),
    );
  }
  processes.sort((a, b) => b.rssBytes - a.rssBytes);
  const s = snapshot(t, { kind, processes, trigger: kind === 'burst' ? 'burst: memory.available low' : 'schedule' });
  const inNode = processes.filter((p) => p.cgroup!.startsWith(`${NODE}/`)).reduce((n, p) => n + p.rssBytes, 0);
  const capacity = 4 * GiB;
  // the lowest point is exact: everything else is a little above what the processes add up to
  const ws = inNode + (t === LOWEST ? 100 * MiB : 80 * MiB);
  s.kubelet = { cgroup: NODE, capacityBytes: capacity, usageBytes: ws + 200 * MiB, inactiveFileBytes: 200 * MiB, workingSetBytes: ws, availableBytes: capacity - ws, formula: 'v1-usage-minus-total-inactive-file' };
  s.meminfo = { ...s.meminfo, memTotalBytes: 24 * GiB, memAvailableBytes: 20 * GiB - inNode };
  s.allocatable = null;
  s.thresholds = { hard: { raw: '10%', bytes: Math.round(0.1 * capacity), source: 'memrec-flag', origin: 'memrec --hard' }, soft: null };
  s.processCount = processes.length;
  s.owners = aggregateOwners(processes.map((p) => ({ owner: p.owner, rssBytes: p.rssBytes, swapBytes: 0 })));
  return s;
}

/** The night, written to `file`: a snapshot every 30 s, every second in the burst, and the events. */
export function writeNight(file: string): void {
  const store = Store.open(file);
  try {
    store.batch(() => {
      for (let t = T0; t <= END; t += 30_000) if (t < BURST.start || t > BURST.end) store.writeSnapshot(nightSnapshot(t, 'scheduled'));
      for (let t = BURST.start; t <= BURST.end; t += 1000) store.writeSnapshot(nightSnapshot(t, t === OOM_AT + 1000 ? 'oom' : 'burst'));
      const events: RecorderEvent[] = [
        { type: 'recorder_start', at: T0 - 1000, details: { version: '0.1.0', pid: 99 } },
        { type: 'threshold_crossing', at: BURST.start - 200, details: { signal: 'memory.available', threshold: 'burst-at', direction: 'below', valueBytes: 23423 * MiB, thresholdBytes: 24 * GiB } },
        { type: 'burst_start', at: BURST.start, details: { reason: 'memory.available 3Gi <= 3Gi', values: {} } },
        {
          type: 'oom_kill',
          at: OOM_AT,
          // a kill as recorders before the whole report was kept stored it: the rest reads as not seen
          details: completeOomKill({ bootId: 'b', kmsgSeq: 1, kmsgUsec: 1, pid: 700, comm: 'hog', uid: 0, constraint: 'CONSTRAINT_MEMCG', oomMemcg: `${NODE}/oom`, taskMemcg: `${NODE}/oom`, totalVmKb: 1, anonRssKb: 98304, fileRssKb: 0, shmemRssKb: 0, pgtablesKb: 1, oomScoreAdj: 0, global: false }),
        },
        { type: 'burst_end', at: BURST.end, details: { reason: 'recovered', durationMs: BURST.end - BURST.start, snapshots: 121, values: {} } },
      ];
      for (const e of events) store.writeEvent(e);
    });
  } finally {
    store.close();
  }
}

/** Owner keys of the two plocate-updatedb.service owners: one unit name, two cgroups. */
export const UPDATEDB_KEYS = {
  node: ownerKey(attribute(`${NODE}/system.slice/plocate-updatedb.service`, null, false)),
  host: ownerKey(attribute('/system.slice/plocate-updatedb.service', null, false)),
};
