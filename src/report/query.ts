// `memrec query`: the recorded process samples in a range, newest last, as flat rows with stable names.
import { ownerKey, ownerLabel } from '../model/attribution.js';
import type { ContainerType, OwnerKind, SnapshotKind } from '../model/types.js';
import { looksLikePodUid, podUidOf, processSelected, type ProcessSelection } from './select.js';
import type { ProcessFilter, ProcessRow, ReportSource } from './source.js';
import { isoUtc, type TimeRange } from './time.js';

export interface QueryOptions extends ProcessSelection {
  /** the N largest processes of each snapshot */
  top?: number;
  kinds?: SnapshotKind[];
}

/** One process in one snapshot. Field names are documented in the README and stable. */
export interface QueryRow {
  takenAt: string;
  snapshotId: number;
  snapshotKind: SnapshotKind;
  pid: number;
  ppid: number;
  startTime: string;
  uid: number | null;
  comm: string;
  state: string;
  rssBytes: number;
  rssAnonBytes: number | null;
  rssFileBytes: number | null;
  rssShmemBytes: number | null;
  swapBytes: number | null;
  vsizeBytes: number;
  cpuPercent: number | null;
  threads: number;
  oomScoreAdj: number | null;
  owner: string;
  ownerKind: OwnerKind;
  ownerKey: string;
  podUid: string | null;
  podNamespace: string | null;
  podName: string | null;
  /** the container's name in its pod, from the runtime's container config */
  container: string | null;
  /** `container` or `sandbox` (the pause container); null when the runtime's config was not found */
  containerType: ContainerType | null;
  cgroup: string | null;
  unit: string | null;
  cwd: string | null;
  exe: string | null;
  cmdline: string | null;
  flags: string[];
  /** VmHWM: the highest RSS the process had since it started; null when not recorded */
  peakRssBytes: number | null;
  /** the boot the snapshot was taken in */
  bootId: string | null;
}

export const QUERY_FIELDS: readonly (keyof QueryRow)[] = [
  'takenAt', 'snapshotId', 'snapshotKind', 'pid', 'ppid', 'startTime', 'uid', 'comm', 'state', 'rssBytes', 'rssAnonBytes',
  'rssFileBytes', 'rssShmemBytes', 'swapBytes', 'vsizeBytes', 'cpuPercent', 'threads', 'oomScoreAdj', 'owner', 'ownerKind',
  'ownerKey', 'podUid', 'podNamespace', 'podName', 'container', 'containerType', 'cgroup', 'unit', 'cwd', 'exe', 'cmdline', 'flags',
  // at the end, so the csv columns before them keep their positions
  'peakRssBytes', 'bootId',
];

/** A peak this far above RSS is the process having been much bigger: worth a column. */
export const PEAK_MIN_SHARE = 0.25;
export const PEAK_MIN_BYTES = 16 * 1024 * 1024;

/** Does the process's peak RSS (VmHWM) say more than its RSS: at least 25% and 16 MiB above it? */
export function peakSaysMore(rssBytes: number, peakRssBytes: number | null): boolean {
  return peakRssBytes !== null && peakRssBytes - rssBytes >= Math.max(PEAK_MIN_BYTES, rssBytes * PEAK_MIN_SHARE);
}

export function toQueryRow(r: ProcessRow): QueryRow {
  const o = r.owner;
  return {
    takenAt: isoUtc(r.takenAt),
    snapshotId: r.snapshotId,
    snapshotKind: r.snapshotKind,
    pid: r.pid,
    ppid: r.ppid,
    startTime: isoUtc(r.startTime),
    uid: r.uid,
    comm: r.comm,
    state: r.state,
    rssBytes: r.rssBytes,
    rssAnonBytes: r.rssAnonBytes,
    rssFileBytes: r.rssFileBytes,
    rssShmemBytes: r.rssShmemBytes,
    swapBytes: r.swapBytes,
    vsizeBytes: r.vsizeBytes,
    cpuPercent: r.cpuPercent,
    threads: r.threads,
    oomScoreAdj: r.oomScoreAdj,
    owner: ownerLabel(o),
    ownerKind: o.kind,
    ownerKey: ownerKey(o),
    podUid: o.kind === 'pod' ? o.podUid : null,
    podNamespace: o.kind === 'pod' ? o.namespace : null,
    podName: o.kind === 'pod' ? o.podName : null,
    container: o.kind === 'pod' ? o.container : null,
    containerType: o.kind === 'pod' ? o.containerType : null,
    cgroup: r.cgroup,
    unit: r.unit,
    cwd: r.cwd,
    exe: r.exe,
    cmdline: r.cmdline,
    flags: r.flags ?? [],
    peakRssBytes: r.peakRssBytes,
    bootId: r.bootId,
  };
}

/** The store's rows for the range and filter, streamed: pid, pod UID and owner kinds narrow the read, the selection decides. */
export function* queryRows(store: ReportSource, range: TimeRange, q: QueryOptions): Generator<ProcessRow> {
  const filter: ProcessFilter = { match: (p) => processSelected(p, q) };
  if (q.kinds !== undefined) filter.kinds = q.kinds;
  if (q.pid !== undefined) filter.pid = q.pid;
  if (q.ownerKinds !== undefined) filter.ownerKinds = q.ownerKinds;
  if (q.outsidePods) filter.outsidePods = true;
  if (q.pod !== undefined && looksLikePodUid(q.pod)) filter.podUid = podUidOf(q.pod);
  if (q.top !== undefined) filter.topPerSnapshot = q.top;
  yield* store.eachProcessRow(range, filter);
}

/** queryRows() as an array, for callers that need them all at once. */
export function queryProcessRows(store: ReportSource, range: TimeRange, q: QueryOptions): ProcessRow[] {
  return [...queryRows(store, range, q)];
}
