// The shapes every layer shares. Sources produce the raw types, model derives the rest,
// store persists Snapshot and RecorderEvent, report reads them back. No I/O here.

/** All sizes are bytes, all times UTC epoch milliseconds unless a name says otherwise. */

export type CgroupMode = 'v1' | 'hybrid' | 'v2';

/** /proc/meminfo, converted to bytes. A field the kernel did not print is null (unknown), never 0. */
export interface MemInfo {
  memTotalBytes: number;
  memFreeBytes: number;
  memAvailableBytes: number | null;
  cachedBytes: number | null;
  shmemBytes: number | null;
  slabBytes: number | null;
  sReclaimableBytes: number | null;
  swapTotalBytes: number | null;
  swapFreeBytes: number | null;
}

/** /proc/pressure/memory. The whole value is null when the file is absent (no PSI): unknown, not 0. */
export interface Psi {
  someAvg10: number;
  someAvg60: number;
  someAvg300: number;
  someTotalUs: number;
  fullAvg10: number;
  fullAvg60: number;
  fullAvg300: number;
  fullTotalUs: number;
}

/** The files of one memory cgroup, as read. `path` is the cgroup path (`/`, `/kubepods`), not a filesystem path. */
export interface MemoryCgroupRaw {
  path: string;
  version: 1 | 2;
  /** memory.usage_in_bytes (v1) or memory.current (v2); null where the file does not exist (v2 root). */
  usageBytes: number | null;
  /** memory.limit_in_bytes (v1) or memory.max (v2); null when unlimited ("max" or the v1 page-rounded max). */
  limitBytes: number | null;
  /** memory.stat, key → value, as printed. */
  stat: Record<string, number>;
}

/** Which formula produced a KubeletSignal: the kubelet's choice depends on cgroup mode and runc version. */
export type KubeletFormula =
  /** v1/hybrid: memory.usage_in_bytes − total_inactive_file */
  | 'v1-usage-minus-total-inactive-file'
  /** v2 root (runc >= 1.1.9, kubelet >= 1.29): (anon + file) − inactive_file of memory.stat */
  | 'v2-anon-plus-file-minus-inactive-file'
  /** v2 root, older runc (kubelet < 1.29): (MemTotal − MemFree) − inactive_file of memory.stat */
  | 'v2-memtotal-minus-memfree-minus-inactive-file'
  /** v2 non-root cgroup: memory.current − inactive_file */
  | 'v2-current-minus-inactive-file';

/** memory.available exactly as the kubelet's eviction manager computes it. May be negative. */
export interface KubeletSignal {
  /** cgroup path the signal was computed on (`/` for the node signal). */
  cgroup: string;
  capacityBytes: number;
  usageBytes: number;
  inactiveFileBytes: number;
  workingSetBytes: number;
  availableBytes: number;
  formula: KubeletFormula;
}

export type ThresholdSource =
  | 'memrec-flag'
  | 'memrec-config'
  | 'kubelet-flag'
  | 'kubelet-config'
  | 'kubelet-default';

/** One eviction threshold for memory.available. */
export interface Threshold {
  /** as written: `500Mi`, `10%` */
  raw: string;
  /** resolved against capacity */
  bytes: number;
  source: ThresholdSource;
  /** where exactly, for humans: `kubelet pid 812 --eviction-hard`, `/var/lib/kubelet/config.yaml evictionHard` */
  origin: string;
  /** soft thresholds only: evictionSoftGracePeriod, as written (`1m30s`) */
  gracePeriod?: string;
}

export interface Thresholds {
  hard: Threshold;
  soft: Threshold | null;
}

export type Qos = 'guaranteed' | 'burstable' | 'besteffort';
export type ContainerRuntime = 'containerd' | 'crio' | 'crio-conmon' | 'docker' | 'unknown';
/** What the runtime says a pod's container is: one of its containers, or the sandbox (pause) that holds the pod's namespaces. */
export type ContainerType = 'container' | 'sandbox';

/** Who a process belongs to, decided from its cgroup path only (never from its cwd). */
export type Owner =
  | {
      kind: 'pod';
      podUid: string;
      qos: Qos;
      /** null for the pod-level cgroup itself (e.g. a process in pod<uid> but in no container) */
      containerId: string | null;
      runtime: ContainerRuntime | null;
      /** from the runtime's container config, else /var/log/pods/<namespace>_<name>_<uid>/; null when neither says */
      namespace: string | null;
      podName: string | null;
      /** the container's name in its pod (`checkout`), from the runtime's container config; null for the sandbox or unknown */
      container: string | null;
      /** `sandbox` for the pause container; null when the runtime's config was not found (or for a pod-level aggregate) */
      containerType: ContainerType | null;
      /** the pod's cgroup (`/kubepods/burstable/pod<uid>`); null in recordings older than this field */
      cgroup: string | null;
    }
  /** `cgroup`: the unit's cgroup (`/system.slice/cron.service`); null in recordings older than this field */
  | { kind: 'service'; unit: string; cgroup: string | null }
  | { kind: 'user'; unit: string; userUid: number | null; session: string | null; cgroup: string | null }
  | { kind: 'kernel' }
  | { kind: 'other'; cgroup: string | null };

export type OwnerKind = Owner['kind'];

/** Fields of a process that could not be read, with the reason (`EACCES`, `ESRCH`, ...). */
export type UnknownFields = Partial<Record<'uid' | 'status' | 'cgroup' | 'cwd' | 'exe' | 'cmdline' | 'oomScoreAdj', string>>;

/** /proc/<pid>/stat, the cheap file every process is ranked by. */
export interface ProcStatRaw {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  /** kernel flags field; PF_KTHREAD = 0x00200000 marks kernel threads */
  flags: number;
  utimeTicks: number;
  stimeTicks: number;
  numThreads: number;
  /** since boot, in clock ticks */
  startTimeTicks: number;
  vsizeBytes: number;
  rssPages: number;
}

/** One process as recorded. Identity is (pid, startTime): a reused pid is a new process. */
export interface ProcessSample {
  pid: number;
  /** epoch ms, from boot time + starttime ticks */
  startTime: number;
  ppid: number;
  uid: number | null;
  comm: string;
  state: string;
  rssBytes: number;
  rssAnonBytes: number | null;
  rssFileBytes: number | null;
  rssShmemBytes: number | null;
  swapBytes: number | null;
  vsizeBytes: number;
  /** VmHWM of status: the highest RSS since the process started; null when not read (or not printed) */
  peakRssBytes: number | null;
  /** utime + stime, ticks */
  cpuTicks: number;
  /** over the interval since the previous snapshot of the same process; null on first sight */
  cpuPercent: number | null;
  threads: number;
  oomScoreAdj: number | null;
  /** memory controller path (v1 `memory` line, v2 `0::` line) */
  cgroup: string | null;
  /** systemd unit from the cgroup (v1 name=systemd line or v2 path), when there is one */
  unit: string | null;
  owner: Owner;
  cwd: string | null;
  exe: string | null;
  /** full command line, arguments joined by spaces, secrets redacted; null for kernel threads or unreadable */
  cmdline: string | null;
  unknown?: UnknownFields;
  /** notes for humans, e.g. 'cwd-in-pod-volume-outside-kubepods' */
  flags?: string[];
}

/**
 * The kernel's own counters of an owner's memory cgroup (the pod-level cgroup of a pod, a service's, a
 * session scope's), read without resetting them. The peak and the event counts see what happened between
 * two snapshots. A counter this cgroup version or kernel does not offer is null, never 0.
 */
export interface OwnerCgroupCounters {
  /** the cgroup path, as /proc/<pid>/cgroup shows it */
  path: string;
  /** memory.usage_in_bytes (v1), memory.current (v2) */
  usageBytes: number | null;
  /** the high-water mark since the cgroup was made: memory.max_usage_in_bytes (v1), memory.peak (v2, kernel 5.19+) */
  peakBytes: number | null;
  /** memory.limit_in_bytes (v1), memory.max (v2); null when unlimited */
  limitBytes: number | null;
  /** memory.high (v2); null when "max", and on v1 */
  highBytes: number | null;
  /** memory.failcnt (v1): how often usage hit the limit */
  failcnt: number | null;
  /** the `oom_kill` count of memory.oom_control (v1, kernel 4.13+) or memory.events (v2) */
  oomKills: number | null;
  /** memory.events (v2): `high` (throttled over memory.high), `max` (usage hit memory.max), `oom` (allocation failed at max) */
  highEvents: number | null;
  maxEvents: number | null;
  oomEvents: number | null;
}

/** Every process counted per owner, so that nothing outside the top N is invisible. */
export interface OwnerAggregate {
  /** stable key: `pod:<uid>`, `service:<cgroup>`, `user:<cgroup>`, `kernel`, `other:<cgroup>` (ownerKey) */
  key: string;
  owner: Owner;
  processCount: number;
  rssBytes: number;
  swapBytes: number;
  /** the owner's own memory cgroup's counters; null when it has none (kernel threads, a unit whose memory accounting stops at its slice) or it could not be read */
  cgroup: OwnerCgroupCounters | null;
}

export type SnapshotKind = 'scheduled' | 'burst' | 'manual' | 'oom';

/** What one collection of the node produces; the recorder adds kind and trigger. */
export interface Collected {
  takenAt: number;
  /** /proc/sys/kernel/random/boot_id of the boot the snapshot was taken in; null when unreadable (a tree without it) */
  bootId: string | null;
  /** wall time the collection took, ms */
  captureMs: number;
  cgroupMode: CgroupMode;
  meminfo: MemInfo;
  /** the node signal (or the --memory-cgroup signal) */
  kubelet: KubeletSignal;
  /** the same formula on the kubepods cgroup, capacity = its limit; null when there is no kubepods cgroup */
  allocatable: KubeletSignal | null;
  psi: Psi | null;
  oomKillCount: number | null;
  thresholds: Thresholds;
  /** number of processes seen */
  processCount: number;
  /** top N by RSS */
  processes: ProcessSample[];
  /** all processes, per owner, largest RSS first */
  owners: OwnerAggregate[];
}

export interface Snapshot extends Collected {
  kind: SnapshotKind;
  /** why it was taken: `schedule`, `burst: memory.available 412Mi <= 600Mi`, `oom_kill pid 4242` */
  trigger: string | null;
}

/**
 * One task of an OOM report: a row of the kernel's task table (`Tasks state (memory values in pages)`), or a
 * victim of a memory.oom.group kill (from its `Killed process` line). Sizes in bytes; null where the kernel's
 * line has no such column (rss_anon/rss_file/rss_shmem before 6.x; swap and page tables on a Killed line).
 */
export interface OomTask {
  pid: number;
  /** the process (the table shows the thread holding the mm) */
  tgid: number | null;
  uid: number | null;
  comm: string;
  rssBytes: number | null;
  rssAnonBytes: number | null;
  rssFileBytes: number | null;
  rssShmemBytes: number | null;
  swapBytes: number | null;
  totalVmBytes: number | null;
  pgtablesBytes: number | null;
  oomScoreAdj: number | null;
  /** as in snapshot JSON, resolved by the recorder from the pid when it read the report; null when unknown */
  owner: Owner | null;
}

/** The task whose allocation failed: `<comm> invoked oom-killer: gfp_mask=..., order=N, oom_score_adj=M`. */
export interface OomInvoker {
  /** from the `CPU: .. PID: .. Comm: ..` line that follows; null when it was not seen */
  pid: number | null;
  comm: string;
  gfpMask: string | null;
  order: number | null;
  oomScoreAdj: number | null;
}

/** One page counter of the OOMing memcg: `memory: usage NkB, limit NkB, failcnt N` and its siblings. */
export interface OomMemcgCounter {
  name: 'memory' | 'memory+swap' | 'swap' | 'kmem';
  usageBytes: number;
  /** null when unlimited (the kernel prints its page-counter maximum) */
  limitBytes: number | null;
  failcnt: number;
}

/** Parts of a report that can be missing: rate-limited by the kernel, cut by lost records, or not printed. */
export type OomReportPart = 'invoker' | 'memcg' | 'meminfo' | 'tasks' | 'summary' | 'killed';

/** A kernel OOM kill, from its whole report in /dev/kmsg. Missing parts stay null (or empty). */
export interface OomKill {
  /** /proc/sys/kernel/random/boot_id: kmsg sequence numbers restart at every boot */
  bootId: string | null;
  /** kmsg sequence number of the report's last record; with boot id it makes a kill unique across restarts */
  kmsgSeq: number | null;
  /** kmsg timestamp of the kill (its `Killed process` line), µs since boot */
  kmsgUsec: number | null;
  /** the victim */
  pid: number;
  comm: string;
  uid: number | null;
  /** 'global' for a whole-node OOM, else the memcg */
  constraint: string | null;
  oomMemcg: string | null;
  taskMemcg: string | null;
  totalVmKb: number | null;
  anonRssKb: number | null;
  fileRssKb: number | null;
  shmemRssKb: number | null;
  pgtablesKb: number | null;
  oomScoreAdj: number | null;
  /** 'Out of memory' (global) vs 'Memory cgroup out of memory' */
  global: boolean | null;
  /** kmsg sequence number of the report's first record */
  kmsgFirstSeq: number | null;
  invoker: OomInvoker | null;
  /** the victim's owner, resolved by the recorder when it read the report */
  owner: Owner | null;
  /** the OOMing memcg's `memory:` counter (memcg OOMs only) */
  memcgUsageBytes: number | null;
  /** null also when unlimited */
  memcgLimitBytes: number | null;
  memcgFailcnt: number | null;
  memcgCounters: OomMemcgCounter[];
  /** `Memory cgroup stats for <path>:` and its memory.stat keys as printed (at most OOM_STATS_KEPT; null: beyond 2^53) */
  memcgStatsPath: string | null;
  memcgStats: Record<string, number | null> | null;
  memcgStatsOmitted: number;
  /** a global OOM's Mem-Info summary in bytes: active_anon, ..., free, plus pagecache, swapcache, swap_free, swap_total, ram, reserved */
  memInfo: Record<string, number> | null;
  /** the task table, largest rss first: the largest OOM_TASKS_KEPT plus the victim */
  tasks: OomTask[];
  /** rows in the kernel's table; null when the report had none */
  tasksTotal: number | null;
  /** rows left out of `tasks` */
  tasksOmitted: number;
  /** the task with the largest rss (tasks[0]); null without a table */
  largest: OomTask | null;
  /** memory.oom.group: every task of `memcg` was killed; the victim comes first (at most OOM_GROUP_KEPT) */
  group: { memcg: string; victims: OomTask[]; victimsOmitted: number } | null;
  /** report parts not seen */
  missing: OomReportPart[];
  /** kmsg records lost inside the report (sequence gaps: the ring buffer overwrote them before memrec read them) */
  lostRecords: number;
}

/** How the recording before this one ended, told by the recorder at its start. Times are ISO 8601 UTC. */
export interface PreviousEndDetails {
  /** the boot the previous recorder ran in; null when it was not recorded */
  previousBootId: string | null;
  /** this boot */
  bootId: string | null;
  previousPid: number | null;
  previousStartAt: string;
  /** the last snapshot stored before this start; null when there is none */
  lastSnapshotAt: string | null;
  /** ms from the last snapshot (or the previous start, without one) to this start: the time nothing was recorded */
  gapMs: number;
}

/** A record of the previous kernel's log that /sys/fs/pstore kept (a panic, an oops, or a console log). */
export interface PstoreDetails {
  /** pstore file name: `dmesg-ramoops-0`, `dmesg-efi-172…`, `console-ramoops-0` */
  file: string;
  /** the dump reason of the header (`Panic`, `Oops`, `OOM`, `Emergency`, ...); null for a console log */
  reason: string | null;
  /** `Panic#1 Part1` as the header says it; null without one */
  header: string | null;
  /** the boot the record came from (the previous recorded boot); null when memrec did not record it */
  bootId: string | null;
  /** the file's time (when the kernel wrote the record), ISO 8601 UTC; null when it has none */
  writtenAt: string | null;
  /** the `Kernel panic - not syncing: ...` message, when there is one */
  panic: string | null;
  /** OOM kills the record tells of: pid, comm, seconds since that boot */
  oomKills: { pid: number; comm: string; uptimeSec: number | null }[];
  /** the OOM and panic lines, in order, without their priority prefix (at most 200) */
  lines: string[];
  sha256: string;
}

export type RecorderEvent =
  | {
      type: 'recorder_start';
      at: number;
      /** bootId and pidStartTicks (field 22 of /proc/<pid>/stat) identify the recorder process beyond its pid; absent in databases recorded by earlier builds */
      details: { version: string; pid: number; bootId?: string | null; pidStartTicks?: number | null; config?: Record<string, unknown> };
    }
  /** the previous recorder was killed or crashed: same boot, no recorder_stop */
  | { type: 'unclean_stop'; at: number; details: PreviousEndDetails }
  /** the node rebooted since the previous recording; cleanStop false: no recorder_stop, the node went down */
  | { type: 'reboot'; at: number; details: PreviousEndDetails & { cleanStop: boolean; bootedAt: string | null } }
  | { type: 'pstore'; at: number; details: PstoreDetails }
  | { type: 'recorder_stop'; at: number; details: { reason: string; snapshots: number; failures: number } }
  | { type: 'burst_start'; at: number; details: { reason: string; values: Record<string, number | null> } }
  | { type: 'burst_end'; at: number; details: { reason: string; durationMs: number; snapshots: number; values: Record<string, number | null> } }
  | { type: 'threshold_crossing'; at: number; details: { signal: string; threshold: 'hard' | 'soft' | 'burst-at'; direction: 'below' | 'above'; valueBytes: number; thresholdBytes: number } }
  | { type: 'oom_kill'; at: number; details: OomKill }
  | { type: 'snapshot_failed'; at: number; details: { error: string } };

export type EventType = RecorderEvent['type'];
