// `memrec events`: what the recorder saw happen, one line each.
import type { EventType, RecorderEvent } from '../model/types.js';
import { killDescription } from './kills.js';
import type { ReportSource, StoredEventRow } from './source.js';
import { isoUtc, type TimeRange } from './time.js';

export const EVENT_TYPES: readonly EventType[] = ['recorder_start', 'recorder_stop', 'burst_start', 'burst_end', 'threshold_crossing', 'oom_kill', 'snapshot_failed'];

export interface EventRow {
  id: number;
  at: string;
  type: EventType;
  /** one line for humans; `details` holds the data */
  summary: string;
  details: RecorderEvent['details'];
}

export const EVENT_FIELDS: readonly (keyof EventRow)[] = ['id', 'at', 'type', 'summary', 'details'];

const mib = (n: number | null | undefined): string => (n === null || n === undefined ? '?' : `${Math.round(n / 1048576)}Mi`);

export function summarize(e: RecorderEvent): string {
  switch (e.type) {
    case 'recorder_start':
      return `memrec ${e.details.version} started, pid ${e.details.pid}`;
    case 'recorder_stop':
      return `stopped (${e.details.reason}) after ${e.details.snapshots} snapshots, ${e.details.failures} failures`;
    case 'burst_start':
      return `burst started: ${e.details.reason}`;
    case 'burst_end':
      return `burst ended after ${Math.round(e.details.durationMs / 1000)} s, ${e.details.snapshots} snapshots: ${e.details.reason}`;
    case 'threshold_crossing':
      return `${e.details.signal} went ${e.details.direction} the ${e.details.threshold} threshold: ${mib(e.details.valueBytes)} vs ${mib(e.details.thresholdBytes)}`;
    case 'oom_kill':
      return killDescription(e.details);
    case 'snapshot_failed':
      return `snapshot failed: ${e.details.error}`;
  }
}

export function toEventRow(e: StoredEventRow): EventRow {
  // The stored row's id and type/at/details are the event; no other keys leak into JSON.
  return { id: e.id, at: isoUtc(e.at), type: e.type, summary: summarize(e), details: e.details };
}

export function events(store: ReportSource, range: TimeRange, types?: EventType[]): EventRow[] {
  return store.events(range, types).sort((a, b) => a.at - b.at || a.id - b.id).map(toEventRow);
}
