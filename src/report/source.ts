// The narrow view of the store that reports read. The row and peak types are the store's own (type-only
// imports: nothing of the store loads with them); ReportSource names the few read methods reports use.
import type { Store, StoredEvent, StoredSnapshot } from '../store/store.js';

export type { AroundLowest, OwnerPeak, OwnerRow, PeaksOptions, ProcessAttributes, ProcessFilter, ProcessPeak, ProcessRow, RangePeaks, RssAt } from '../store/store.js';

/** What reports read of a stored snapshot (its process and owner rows come separately). */
export type SnapshotHeader = Pick<StoredSnapshot, 'id' | 'takenAt' | 'bootId' | 'kind' | 'trigger' | 'meminfo' | 'kubelet' | 'allocatable' | 'thresholds' | 'processCount'>;
export type StoredEventRow = StoredEvent;

export type ReportSource = Pick<
  Store,
  'snapshots' | 'processRows' | 'ownerRows' | 'peaks' | 'lowestSnapshot' | 'nodeCgroups' | 'events' | 'boots' | 'eachSnapshot' | 'eachProcessRow' | 'eachOwnerRow' | 'eachEvent'
>;
