// The narrow view of the store that reports read: the store satisfies it, and tests can too.
import type { Owner, OwnerAggregate, OwnerKind, ProcessSample, RecorderEvent, EventType, Snapshot, SnapshotKind } from '../model/types.js';
import type { TimeRange } from './time.js';

/** A snapshot as stored, without its process and owner rows. */
export type SnapshotHeader = Pick<Snapshot, 'takenAt' | 'kind' | 'trigger' | 'meminfo' | 'kubelet' | 'allocatable' | 'thresholds' | 'processCount'> & {
  id: number;
};

export type ProcessRow = ProcessSample & { snapshotId: number; takenAt: number; snapshotKind: SnapshotKind };
export type OwnerRow = OwnerAggregate & { snapshotId: number; takenAt: number };
export type StoredEventRow = RecorderEvent & { id: number };

/** A sample's time and RSS. */
export interface RssAt {
  takenAt: number;
  rssBytes: number;
}

/** One process (pid + start time) over a range; lists hold distinct values, first seen first. */
export interface ProcessPeak {
  pid: number;
  startTime: number;
  /** the earliest sample of the highest RSS */
  peak: RssAt & Pick<ProcessSample, 'comm' | 'exe' | 'cmdline' | 'owner' | 'cgroup'>;
  first: RssAt;
  last: RssAt;
  samples: number;
  insidePods: boolean;
  cgroups: (string | null)[];
  cwds: string[];
  owners: Owner[];
}

export interface RangePeaks {
  snapshots: number;
  processes: ProcessPeak[];
  owners: OwnerPeak[];
}

/** One owner key over a range: its peak total (the earliest of equals). */
export interface OwnerPeak {
  key: string;
  owner: Owner;
  peakAt: number;
  peakRssBytes: number;
  processCountAtPeak: number;
  swapBytesAtPeak: number;
  samples: number;
  owners: Owner[];
}

export interface ProcessFilter {
  kinds?: SnapshotKind[];
  pid?: number;
  podUid?: string;
  ownerKinds?: OwnerKind[];
  outsidePods?: boolean;
  topPerSnapshot?: number;
}

export interface ReportSource {
  snapshots(range: TimeRange, opts?: { kinds?: SnapshotKind[] }): SnapshotHeader[];
  /** takenAt ascending, then RSS descending */
  processRows(range: TimeRange, filter?: ProcessFilter): ProcessRow[];
  ownerRows(range: TimeRange): OwnerRow[];
  /** processRows(range) folded per process and ownerRows(range) per owner key, first seen first, in one scan */
  peaks(range: TimeRange): RangePeaks;
  /** the lowest kubelet memory.available, the earliest of equals */
  lowestSnapshot(range: TimeRange): SnapshotHeader | null;
  events(range: TimeRange, types?: EventType[]): StoredEventRow[];
}
