// `memrec events`: what the recorder saw happen, one line each.
import { formatBytes } from '../model/quantity.js';
import type { EventType, RecorderEvent } from '../model/types.js';
import { killDescription } from './kills.js';
import type { ReportSource, StoredEventRow } from './source.js';
import { isoUtc, type TimeRange } from './time.js';

export const EVENT_TYPES: readonly EventType[] = [
  'recorder_start', 'recorder_stop', 'unclean_stop', 'reboot', 'burst_start', 'burst_end', 'threshold_crossing', 'oom_kill', 'pstore', 'snapshot_failed',
];

export interface EventRow {
  id: number;
  at: string;
  type: EventType;
  /** the boot the event belongs to; null for events stored before memrec kept it */
  bootId: string | null;
  /** one line for humans; `details` holds the data */
  summary: string;
  details: RecorderEvent['details'];
}

export const EVENT_FIELDS: readonly (keyof EventRow)[] = ['id', 'at', 'type', 'summary', 'details', 'bootId'];

/** `1 h 02 min`, `3 min 04 s`, `850 ms`: a gap for humans. */
export function formatGap(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${String(m % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

const shortBoot = (id: string | null): string => (id === null ? 'an unrecorded boot' : id.slice(0, 8));

// one way to write sizes everywhere: 22.9Gi here as in every table, not 23423Mi
const size = (n: number | null | undefined): string => (n === null || n === undefined ? '?' : formatBytes(n));

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
      return `${e.details.signal} went ${e.details.direction} the ${e.details.threshold} threshold: ${size(e.details.valueBytes)} vs ${size(e.details.thresholdBytes)}`;
    case 'oom_kill':
      return killDescription(e.details);
    case 'snapshot_failed':
      return `snapshot failed: ${e.details.error}`;
    case 'unclean_stop': {
      const d = e.details;
      return `the previous recorder${d.previousPid === null ? '' : ` (pid ${d.previousPid})`} ended without a stop: it was killed or crashed; ` +
        `${d.lastSnapshotAt === null ? 'no snapshot' : `last snapshot ${d.lastSnapshotAt}`}, ${formatGap(d.gapMs)} unrecorded`;
    }
    case 'reboot': {
      const d = e.details;
      const how = d.cleanStop ? 'after a clean recorder stop' : 'with no recorder stop: the node went down';
      return `the node rebooted (boot ${shortBoot(d.previousBootId)} → ${shortBoot(d.bootId)}${d.bootedAt === null ? '' : `, up since ${d.bootedAt}`}) ${how}; ` +
        `${d.lastSnapshotAt === null ? 'no snapshot' : `last snapshot ${d.lastSnapshotAt}`}, ${formatGap(d.gapMs)} unrecorded`;
    }
    case 'pstore': {
      const d = e.details;
      const kills = d.oomKills.length === 0 ? '' : `${d.oomKills.length} OOM kill${d.oomKills.length === 1 ? '' : 's'} (${d.oomKills.map((k) => `${k.comm} pid ${k.pid}`).join(', ')})`;
      const first = (d.lines[0] ?? '').replace(/^\[\s*[\d.]+\] /, '');
      const what = d.panic !== null ? `${kills === '' ? '' : `${kills}, then `}${d.panic}` : kills !== '' ? kills : first;
      return `the previous kernel's log in pstore ${d.file}${d.header === null ? '' : ` (${d.header})`} of ${d.bootId === null ? 'a boot memrec did not record' : `boot ${shortBoot(d.bootId)}`}: ${what}`;
    }
  }
}

export function toEventRow(e: StoredEventRow): EventRow {
  // The stored row's id and type/at/details are the event; no other keys leak into JSON.
  return { id: e.id, at: isoUtc(e.at), type: e.type, bootId: e.bootId, summary: summarize(e), details: e.details };
}

export function events(store: ReportSource, range: TimeRange, types?: EventType[]): EventRow[] {
  return [...eventRows(store, range, types)];
}

/** events(), streamed (the store reads them in (at, id) order). */
export function* eventRows(store: ReportSource, range: TimeRange, types?: EventType[]): Generator<EventRow> {
  for (const e of store.eachEvent(range, types)) yield toEventRow(e);
}
