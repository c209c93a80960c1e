// Collected-looking snapshots built from the shared types, for store and report tests: the shapes a
// collector produces on a kubeadm node (pods of every QoS, services, a user session, kernel threads).
import type { Owner, OwnerAggregate, OwnerCgroupCounters, ProcessSample, Snapshot, SnapshotKind } from '../../src/model/types.js';

export const MiB = 1024 * 1024;

export const owners = {
  podContainer: {
    kind: 'pod',
    podUid: '8f3c2a1e-5b6d-4c7e-9f80-1a2b3c4d5e6f',
    qos: 'burstable',
    containerId: 'a'.repeat(64),
    runtime: 'containerd',
    namespace: 'ci',
    podName: 'build-runner-7d9f',
    container: 'runner',
    containerType: 'container',
    cgroup: '/kubepods/burstable/pod8f3c2a1e-5b6d-4c7e-9f80-1a2b3c4d5e6f',
  },
  // cgroup null: an owner as recordings before the owner's cgroup was kept stored it
  podLevel: { kind: 'pod', podUid: '0123456789abcdef0123456789abcdef', qos: 'guaranteed', containerId: null, runtime: null, namespace: null, podName: null, container: null, containerType: null, cgroup: null },
  podCrio: {
    kind: 'pod',
    podUid: '11111111-2222-3333-4444-555555555555',
    qos: 'besteffort',
    containerId: 'b'.repeat(64),
    runtime: 'crio-conmon',
    namespace: 'default',
    podName: 'web',
    container: null,
    containerType: 'sandbox',
    cgroup: '/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod11111111_2222_3333_4444_555555555555.slice',
  },
  service: { kind: 'service', unit: 'updatedb.service', cgroup: '/system.slice/updatedb.service' },
  user: { kind: 'user', unit: 'session-4.scope', userUid: 1000, session: '4', cgroup: '/user.slice/user-1000.slice/session-4.scope' },
  userNoUid: { kind: 'user', unit: 'user@0.service', userUid: null, session: null, cgroup: null },
  kernel: { kind: 'kernel' },
  other: { kind: 'other', cgroup: '/memrec-test' },
  otherNull: { kind: 'other', cgroup: null },
} satisfies Record<string, Owner>;

export function processSample(pid: number, rssMiB: number, owner: Owner, extra: Partial<ProcessSample> = {}): ProcessSample {
  return {
    pid,
    startTime: 1_700_000_000_000 + pid * 10,
    ppid: 1,
    uid: 0,
    comm: `proc${pid}`,
    state: 'S',
    rssBytes: rssMiB * MiB,
    rssAnonBytes: rssMiB * MiB - 4096,
    rssFileBytes: 4096,
    rssShmemBytes: 0,
    swapBytes: 0,
    vsizeBytes: rssMiB * MiB * 3,
    peakRssBytes: rssMiB * MiB * 2,
    cpuTicks: pid * 7,
    cpuPercent: 1.25,
    threads: 4,
    oomScoreAdj: 0,
    cgroup: '/system.slice/updatedb.service',
    unit: 'updatedb.service',
    owner,
    cwd: '/',
    exe: '/usr/bin/updatedb.mlocate',
    cmdline: `/usr/bin/updatedb.mlocate --pid ${pid}`,
    ...extra,
  };
}

export function aggregate(key: string, owner: Owner, processCount: number, rssMiB: number, swapBytes = 0, cgroup: OwnerCgroupCounters | null = null): OwnerAggregate {
  return { key, owner, processCount, rssBytes: rssMiB * MiB, swapBytes, cgroup };
}

/** An owner cgroup's counters: every field known (v1 style) unless `extra` nulls some. */
export function counters(path: string, usageMiB: number, extra: Partial<OwnerCgroupCounters> = {}): OwnerCgroupCounters {
  return {
    path,
    usageBytes: usageMiB * MiB,
    peakBytes: usageMiB * MiB * 2,
    limitBytes: null,
    highBytes: null,
    failcnt: 0,
    oomKills: 0,
    highEvents: null,
    maxEvents: null,
    oomEvents: null,
    ...extra,
  };
}

export const BOOT_ID = '6f1b9a0e-3c2d-4e5f-8a7b-1c2d3e4f5a6b';

/** A full snapshot: every owner kind, unknown fields and flags, null PSI when asked. */
export function snapshot(takenAt: number, opts: { kind?: SnapshotKind; psi?: boolean; allocatable?: boolean; processes?: ProcessSample[]; trigger?: string | null; bootId?: string | null } = {}): Snapshot {
  const processes = opts.processes ?? [
    processSample(4242, 18_000, owners.service, { cwd: '/var/lib/kubelet/pods/8f3c2a1e/volumes/kubernetes.io~csi/ceph/mount', flags: ['cwd-in-pod-volume-outside-kubepods'] }),
    processSample(100, 900, owners.podContainer, { cgroup: '/kubepods/burstable/pod8f3c2a1e-5b6d-4c7e-9f80-1a2b3c4d5e6f/' + 'a'.repeat(64), unit: null, cpuPercent: null }),
    processSample(101, 300, owners.podLevel, { uid: null, unknown: { uid: 'EACCES', cwd: 'EACCES' }, cwd: null, exe: null }),
    processSample(102, 200, owners.podCrio, { rssAnonBytes: null, rssFileBytes: null, rssShmemBytes: null, swapBytes: null, oomScoreAdj: 1000 }),
    processSample(103, 100, owners.user, { uid: 1000, cpuPercent: 99.99 }),
    processSample(104, 50, owners.userNoUid),
    processSample(2, 0, owners.kernel, { comm: 'kthreadd', cmdline: null, exe: null, cgroup: '/', unit: null, rssAnonBytes: 0, vsizeBytes: 0, cpuPercent: 0 }),
    processSample(105, 10, owners.other, { rssBytes: 10 * MiB + 123, state: 'D' }),
    processSample(106, 5, owners.otherNull, { cgroup: null, unknown: { cgroup: 'ESRCH' }, peakRssBytes: null }),
  ];
  return {
    takenAt,
    bootId: opts.bootId === undefined ? BOOT_ID : opts.bootId,
    captureMs: 41.5,
    cgroupMode: 'hybrid',
    meminfo: {
      memTotalBytes: 32 * 1024 * MiB,
      memFreeBytes: 1024 * MiB,
      memAvailableBytes: 2048 * MiB,
      cachedBytes: 4096 * MiB,
      shmemBytes: null,
      slabBytes: 512 * MiB,
      sReclaimableBytes: 300 * MiB,
      swapTotalBytes: 0,
      swapFreeBytes: 0,
    },
    kubelet: {
      cgroup: '/',
      capacityBytes: 32 * 1024 * MiB,
      usageBytes: 30 * 1024 * MiB,
      inactiveFileBytes: 1024 * MiB,
      workingSetBytes: 29 * 1024 * MiB,
      availableBytes: 3 * 1024 * MiB,
      formula: 'v1-usage-minus-total-inactive-file',
    },
    allocatable:
      opts.allocatable === false
        ? null
        : {
            cgroup: '/kubepods',
            capacityBytes: 30 * 1024 * MiB,
            usageBytes: 2 * 1024 * MiB,
            inactiveFileBytes: 100 * MiB,
            workingSetBytes: 2 * 1024 * MiB - 100 * MiB,
            availableBytes: -5 * MiB,
            formula: 'v1-usage-minus-total-inactive-file',
          },
    psi:
      opts.psi === false
        ? null
        : { someAvg10: 1.5, someAvg60: 0.75, someAvg300: 0.12, someTotalUs: 123456789, fullAvg10: 0.5, fullAvg60: 0.25, fullAvg300: 0, fullTotalUs: 98765 },
    oomKillCount: 3,
    thresholds: {
      hard: { raw: '500Mi', bytes: 500 * MiB, source: 'kubelet-config', origin: '/var/lib/kubelet/config.yaml evictionHard' },
      soft: { raw: '10%', bytes: 3276 * MiB, source: 'kubelet-flag', origin: 'kubelet pid 812 --eviction-soft', gracePeriod: '1m30s' },
    },
    processCount: 1017,
    processes,
    owners: [
      aggregate('service:/system.slice/updatedb.service', owners.service, 2, 18_000, 0, counters('/system.slice/updatedb.service', 18_100, { limitBytes: 20_480 * MiB, failcnt: 3, oomKills: 1 })),
      aggregate('pod:8f3c2a1e-5b6d-4c7e-9f80-1a2b3c4d5e6f', { ...owners.podContainer, containerId: null, runtime: null, container: null, containerType: null }, 12, 1200, 4096,
        counters('/kubepods/burstable/pod8f3c2a1e-5b6d-4c7e-9f80-1a2b3c4d5e6f', 1300, { peakBytes: 1300 * MiB + 123, limitBytes: 2048 * MiB, highBytes: 1536 * MiB, failcnt: null, oomKills: 0, highEvents: 7, maxEvents: 0, oomEvents: 0 })),
      aggregate('pod:0123456789abcdef0123456789abcdef', owners.podLevel, 1, 300, 0, counters('/kubepods/pod0123456789abcdef0123456789abcdef', 310, { peakBytes: null, failcnt: null, oomKills: null })),
      aggregate('pod:11111111-2222-3333-4444-555555555555', owners.podCrio, 3, 200),
      aggregate('user:/user.slice/user-1000.slice/session-4.scope', owners.user, 5, 100),
      aggregate('user:user@0.service', owners.userNoUid, 2, 50),
      aggregate('kernel', owners.kernel, 900, 0),
      aggregate('other:/memrec-test', owners.other, 1, 10),
      aggregate('other:', owners.otherNull, 1, 5, 12345),
    ],
    kind: opts.kind ?? 'scheduled',
    trigger: opts.trigger === undefined ? 'schedule' : opts.trigger,
  };
}
