// The narrow view of the store that reports read: the store satisfies it, and tests can too.
import type { OwnerAggregate, OwnerKind, ProcessSample, RecorderEvent, EventType, Snapshot, SnapshotKind } from '../model/types.js';
import type { TimeRange } from './time.js';

/** A snapshot as stored, without its process and owner rows. */
export type SnapshotHeader = Pick<Snapshot, 'takenAt' | 'kind' | 'trigger' | 'meminfo' | 'kubelet' | 'allocatable' | 'thresholds' | 'processCount'> & {
  id: number;
};

export type ProcessRow = ProcessSample & { snapshotId: number; takenAt: number; snapshotKind: SnapshotKind };
export type OwnerRow = OwnerAggregate & { snapshotId: number; takenAt: number };
export type StoredEventRow = RecorderEvent & { id: number };

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
  events(range: TimeRange, types?: EventType[]): StoredEventRow[];
}
