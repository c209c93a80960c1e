import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ProcDetailsRaw } from '../src/model/process-raw.js';
import { attribute } from '../src/model/attribution.js';
import { ownerCgroupPath } from '../src/model/owner-cgroup.js';
import { aggregateOwners, buildProcesses, cpuHistory, cpuPercent, startTimeMs } from '../src/model/snapshot.js';
import type { ProcStatRaw } from '../src/model/types.js';
import { parsePodLogDir, PodDirectory } from '../src/sources/pods.js';

function stat(pid: number, rssPages: number, ticks = 0, startTimeTicks = 1000): ProcStatRaw {
  return { pid, comm: `p${pid}`, state: 'S', ppid: 1, flags: 0x400100, utimeTicks: ticks, stimeTicks: 0, numThreads: 1, startTimeTicks, vsizeBytes: 1 << 20, rssPages };
}

function details(s: ProcStatRaw, cgroup: string, argv: string[] = ['x']): ProcDetailsRaw {
  return {
    stat: s,
    status: { uid: 0, vmRssBytes: s.rssPages * 4096, vmHwmBytes: s.rssPages * 4096 * 2, rssAnonBytes: 0, rssFileBytes: 0, rssShmemBytes: 0, swapBytes: 0, kthread: null },
    cgroups: { memory: cgroup, systemd: cgroup },
    cwd: '/',
    exe: '/bin/x',
    argv,
    oomScoreAdj: 0,
    unknown: {},
  };
}

test('startTimeMs: boot time plus starttime ticks at 100 Hz', () => {
  assert.equal(startTimeMs(stat(1, 0, 0, 34899), 1_700_000_000), 1_700_000_348_990);
});

test('cpuPercent: ticks over elapsed time, same (pid, start time) only', () => {
  const before = cpuHistory([stat(10, 1, 100), stat(11, 1, 50, 2000)], 1_000_000);
  // 150 ticks = 1.5 s of CPU over 3 s = 50 %
  assert.equal(cpuPercent(stat(10, 1, 250), before, 1_003_000), 50);
  // two CPUs busy: over 100 %
  assert.equal(cpuPercent(stat(10, 1, 700), before, 1_003_000), 200);
  // a reused pid (other start time) is a new process: no previous sample
  assert.equal(cpuPercent(stat(11, 1, 80, 9999), before, 1_003_000), null);
  assert.equal(cpuPercent(stat(12, 1, 80), before, 1_003_000), null);
  assert.equal(cpuPercent(stat(10, 1, 250), null, 1_003_000), null);
  assert.equal(cpuPercent(stat(10, 1, 250), before, 1_000_000), null, 'no elapsed time');
});

test('buildProcesses: the top N by RSS, largest first, redacted, with owner and flags', () => {
  const uid = '0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';
  const all = [
    details(stat(5, 10), '/system.slice/a.service'),
    details(stat(6, 300), `/kubepods/burstable/pod${uid}/${'c'.repeat(64)}`, ['app', '--password=x']),
    details(stat(7, 200), '/system.slice/b.service'),
    details(stat(8, 200), '/system.slice/c.service'),
  ];
  all[2]!.cwd = `/var/lib/kubelet/pods/${uid}/volumes/x`;
  const out = buildProcesses(all, 3, {
    bootTimeSec: 1_700_000_000,
    pageSize: 4096,
    now: 1_700_000_100_000,
    previous: null,
    names: { pod: (u) => (u === uid ? { namespace: 'ns', name: 'web' } : null), container: () => null },
  });
  assert.deepEqual(
    out.map((p) => p.pid),
    [6, 7, 8],
  );
  assert.equal(out[0]!.rssBytes, 300 * 4096);
  assert.equal(out[0]!.cmdline, 'app --password=***');
  assert.deepEqual(out[0]!.owner, { kind: 'pod', podUid: uid, qos: 'burstable', containerId: 'c'.repeat(64), runtime: 'unknown', namespace: 'ns', podName: 'web', container: null, containerType: null, cgroup: `/kubepods/burstable/pod${uid}` });
  assert.deepEqual(out[1]!.flags, ['cwd-in-pod-volume-outside-kubepods']);
  assert.equal(out[2]!.flags, undefined);
  assert.equal(out[0]!.unknown, undefined);
});

test('buildProcesses: a kernel thread has owner kernel and no cmdline', () => {
  const k = details({ ...stat(2, 0), flags: 0x208040 }, '/', []);
  k.argv = null;
  const [p] = buildProcesses([k], 1, { bootTimeSec: 0, pageSize: 4096, now: 0, previous: null });
  assert.deepEqual(p!.owner, { kind: 'kernel' });
  assert.equal(p!.cmdline, null);
});

test('aggregateOwners: every process per owner, pods at pod level, largest first; the largest process names the owner cgroup', () => {
  const uid = '0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';
  const pod = (c: string) => ({ kind: 'pod', podUid: uid, qos: 'burstable', containerId: c, runtime: 'containerd', namespace: null, podName: null, container: `c-${c}`, containerType: 'container', cgroup: `/kubepods/burstable/pod${uid}` }) as const;
  const read: string[] = [];
  const counters = (path: string) => {
    read.push(path);
    return path === '/gone' ? null : { path, usageBytes: 1, peakBytes: 2, limitBytes: null, highBytes: null, failcnt: 0, oomKills: 0, highEvents: null, maxEvents: null, oomEvents: null };
  };
  const agg = aggregateOwners(
    [
      { owner: pod('a'), rssBytes: 100, swapBytes: 1, ownerCgroup: `/kubepods/burstable/pod${uid}` },
      { owner: pod('b'), rssBytes: 150, swapBytes: null, ownerCgroup: `/elsewhere/kubepods/burstable/pod${uid}` },
      { owner: { kind: 'service', unit: 'x.service', cgroup: '/system.slice/x.service' }, rssBytes: 200, swapBytes: 0, ownerCgroup: '/gone' },
      // the same unit under another parent: another owner
      { owner: { kind: 'service', unit: 'x.service', cgroup: '/node-2/system.slice/x.service' }, rssBytes: 20, swapBytes: 0 },
      { owner: { kind: 'kernel' }, rssBytes: 0, swapBytes: null, ownerCgroup: null },
      { owner: { kind: 'kernel' }, rssBytes: 0, swapBytes: null },
      { owner: { kind: 'user', unit: 'session-1.scope', userUid: 0, session: 'session-1.scope', cgroup: null }, rssBytes: 7, swapBytes: 0 },
    ],
    counters,
  );
  assert.deepEqual(agg, [
    { key: `pod:${uid}`, owner: { ...pod('a'), containerId: null, runtime: null, container: null, containerType: null }, processCount: 2, rssBytes: 250, swapBytes: 1, cgroup: counters(`/elsewhere/kubepods/burstable/pod${uid}`) },
    { key: 'service:/system.slice/x.service', owner: { kind: 'service', unit: 'x.service', cgroup: '/system.slice/x.service' }, processCount: 1, rssBytes: 200, swapBytes: 0, cgroup: null },
    { key: 'service:/node-2/system.slice/x.service', owner: { kind: 'service', unit: 'x.service', cgroup: '/node-2/system.slice/x.service' }, processCount: 1, rssBytes: 20, swapBytes: 0, cgroup: null },
    { key: 'user:session-1.scope', owner: { kind: 'user', unit: 'session-1.scope', userUid: 0, session: 'session-1.scope', cgroup: null }, processCount: 1, rssBytes: 7, swapBytes: 0, cgroup: null },
    { key: 'kernel', owner: { kind: 'kernel' }, processCount: 2, rssBytes: 0, swapBytes: 0, cgroup: null },
  ]);
  // one read per owner with a cgroup, none for the others
  assert.deepEqual(read.slice(0, 2).sort(), [`/elsewhere/kubepods/burstable/pod${uid}`, '/gone']);
  assert.deepEqual(aggregateOwners([]), []);
  // without a reader the counters stay unknown
  assert.equal(aggregateOwners([{ owner: pod('a'), rssBytes: 1, swapBytes: 0, ownerCgroup: '/x' }])[0]!.cgroup, null);
});

test('ownerCgroupPath: the pod-level cgroup, the unit, the session scope; null where the memory path does not reach it', () => {
  const uid = '5d3c8f2e-7b1a-4c9d-8e6f-0a1b2c3d4e5f';
  const podOwner = (memory: string) => attribute(memory, memory, false);
  const cases: Array<[string | null, string | null, string | null]> = [
    // memory path, systemd path, expected owner cgroup
    [`/kubepods/burstable/pod${uid}/25abdbf60c02`, null, `/kubepods/burstable/pod${uid}`],
    [`/kubepods/pod${uid}/e34c05e44b7b`, null, `/kubepods/pod${uid}`],
    [`/kind-node/kubelet/kubepods/besteffort/pod${uid}/39e963f0`, null, `/kind-node/kubelet/kubepods/besteffort/pod${uid}`],
    [`/kubepods/burstable/pod${uid}`, null, `/kubepods/burstable/pod${uid}`],
    [`/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${uid.replace(/-/g, '_')}.slice/cri-containerd-a0e7.scope`, null, `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${uid.replace(/-/g, '_')}.slice`],
    [`/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-pod${uid.replace(/-/g, '_')}.slice:cri-containerd:abc123`, null, `/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-pod${uid.replace(/-/g, '_')}.slice`],
    ['/system.slice/cron.service', null, '/system.slice/cron.service'],
    ['/a.slice/system.slice/plocate-updatedb.service', null, '/a.slice/system.slice/plocate-updatedb.service'],
    ['/user.slice/user-1000.slice/session-3.scope', null, '/user.slice/user-1000.slice/session-3.scope'],
    ['/user.slice/user-1000.slice/user@1000.service/app.slice/x.service', null, '/user.slice/user-1000.slice/user@1000.service'],
    // v1 without memory accounting below the slice: the owner is from the systemd path, the memory path does not reach its cgroup
    ['/user.slice', '/user.slice/user-1000.slice/session-3.scope', null],
    ['/', '/system.slice/cron.service', null],
    ['/memrec-test-ab12', null, '/memrec-test-ab12'],
    ['/', null, null],
    [null, null, null],
  ];
  for (const [memory, systemd, want] of cases) {
    const owner = systemd === null ? podOwner(memory!) : attribute(memory, systemd, false);
    assert.equal(ownerCgroupPath(memory === null ? { kind: 'other', cgroup: null } : owner, memory), want, `${memory} / ${systemd}`);
  }
  assert.equal(ownerCgroupPath({ kind: 'kernel' }, '/'), null);
});

test('parsePodLogDir: <namespace>_<name>_<uid>, nothing else', () => {
  assert.deepEqual(parsePodLogDir('kube-system_etcd-node1_6c1e8d4f0b2a49e7a3d5c8b1f0e2d4a6'), { namespace: 'kube-system', name: 'etcd-node1', uid: '6c1e8d4f0b2a49e7a3d5c8b1f0e2d4a6' });
  assert.deepEqual(parsePodLogDir('default_web-7d9_0F1E2D3C-4B5A-6978-8A9B-0C1D2E3F4A5B'), { namespace: 'default', name: 'web-7d9', uid: '0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b' });
  assert.equal(parsePodLogDir('default_web'), null);
  assert.equal(parsePodLogDir('a_b_c_0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b'), null);
  assert.equal(parsePodLogDir('default_web_notauid'), null);
});

test('PodDirectory: re-reads /var/log/pods when its mtime changes, and only then', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'memrec-pods-'));
  try {
    const pods = new PodDirectory(root);
    pods.refresh();
    assert.equal(pods.lookup('0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b'), null, 'no directory: nothing known');
    const dir = path.join(root, 'var/log/pods');
    mkdirSync(path.join(dir, 'default_web_0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b'), { recursive: true });
    utimesSync(dir, 1000, 1000);
    pods.refresh();
    assert.deepEqual(pods.lookup('0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b'), { namespace: 'default', name: 'web' });
    // a new pod with the mtime forced back: the cache holds (proves it is a cache)
    mkdirSync(path.join(dir, 'kube-system_dns_1f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b'));
    utimesSync(dir, 1000, 1000);
    pods.refresh();
    assert.equal(pods.lookup('1f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b'), null);
    utimesSync(dir, 2000, 2000);
    pods.refresh();
    assert.deepEqual(pods.lookup('1f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b'), { namespace: 'kube-system', name: 'dns' });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
