// `memrec export`: the postmortem bundle. Everything the other reports answer, for one range, in one
// file: json (one document), ndjson (one record a line, tagged), csv (the process samples) or html.
import { culpritsFrom, type Culprits } from './culprits.js';
import { toEventRow, type EventRow } from './events.js';
import { QUERY_FIELDS, toQueryRow } from './query.js';
import type { OwnerRow, ProcessRow, ReportSource } from './source.js';
import { burstPeriods, oomMarks, toPoint, type Timeline } from './timeline.js';
import { isoUtc, type TimeRange } from './time.js';
import { ownerLabel } from '../model/attribution.js';
import type { OwnerKind } from '../model/types.js';
import { csvLines } from './format/csv.js';
import { ndjsonLines } from './format/ndjson.js';
import { safeJson } from './format/text.js';

export const EXPORT_FORMATS = ['html', 'json', 'ndjson', 'csv', 'sqlite'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface OwnerSeries {
  /** snapshot times, epoch ms, ascending */
  times: number[];
  /** the largest owners by peak, then one layer for all the others */
  owners: Array<{ key: string; owner: string; ownerKind: OwnerKind | 'others'; peakRssBytes: number; values: number[] }>;
}

export interface Bundle {
  generator: string;
  host: string | null;
  generatedAt: string;
  zone: string;
  since: string;
  until: string;
  /** the cgroup whose memory the recording called the node: `/`, or the `--memory-cgroup` it watched; null without snapshots */
  nodeCgroup: string | null;
  timeline: Timeline;
  culprits: Culprits;
  ownerSeries: OwnerSeries;
  events: EventRow[];
}

export interface BundleMeta {
  generator: string;
  host: string | null;
  generatedAt: number;
  zone: string;
  top: number;
  /** owners drawn separately in the per-owner chart */
  ownerLayers?: number;
}

export function ownerSeries(times: number[], rows: OwnerRow[], layers: number): OwnerSeries {
  const index = new Map(times.map((t, i) => [t, i]));
  const peaks = new Map<string, OwnerRow>();
  for (const r of rows) {
    const p = peaks.get(r.key);
    if (p === undefined || r.rssBytes > p.rssBytes) peaks.set(r.key, r);
  }
  const ranked = [...peaks.values()].sort((a, b) => b.rssBytes - a.rssBytes);
  const shown = ranked.slice(0, layers);
  const slot = new Map(shown.map((r, i) => [r.key, i]));
  const owners: OwnerSeries['owners'] = shown.map((r) => ({ key: r.key, owner: ownerLabel(r.owner), ownerKind: r.owner.kind, peakRssBytes: r.rssBytes, values: times.map(() => 0) }));
  const others = { key: 'others', owner: `all other owners (${Math.max(0, ranked.length - shown.length)})`, ownerKind: 'others' as const, peakRssBytes: 0, values: times.map(() => 0) };
  for (const r of rows) {
    const i = index.get(r.takenAt);
    if (i === undefined) continue;
    const s = slot.get(r.key);
    const target = s === undefined ? others : owners[s]!;
    target.values[i] = (target.values[i] ?? 0) + r.rssBytes;
  }
  // a loop, not Math.max(...values): a day of 1 s snapshots is more arguments than the stack holds
  for (const v of others.values) if (v > others.peakRssBytes) others.peakRssBytes = v;
  if (ranked.length > shown.length) owners.push(others);
  return { times, owners };
}

/** Read the range once and derive every part of the bundle; the process rows come back for csv/ndjson/json. */
export function buildBundle(store: ReportSource, range: TimeRange, meta: BundleMeta): { bundle: Bundle; processes: ProcessRow[] } {
  const snaps = store.snapshots(range);
  const procs = store.processRows(range);
  const owners = store.ownerRows(range);
  const evs = store.events(range).sort((a, b) => a.at - b.at || a.id - b.id);
  const times = snaps.map((s) => s.takenAt);
  const timeline: Timeline = {
    since: isoUtc(range.since),
    until: isoUtc(range.until),
    points: snaps.map(toPoint),
    bursts: burstPeriods(evs, snaps, range),
    oomKills: oomMarks(evs),
  };
  return {
    bundle: {
      generator: meta.generator,
      host: meta.host,
      generatedAt: isoUtc(meta.generatedAt),
      zone: meta.zone,
      since: isoUtc(range.since),
      until: isoUtc(range.until),
      nodeCgroup: snaps.length === 0 ? null : snaps[snaps.length - 1]!.kubelet.cgroup,
      timeline,
      culprits: culpritsFrom(range, snaps, procs, owners, meta.top, evs),
      ownerSeries: ownerSeries(times, owners, meta.ownerLayers ?? 6),
      events: evs.map(toEventRow),
    },
    processes: procs,
  };
}

/** One JSON document: the bundle plus every process sample, streamed. */
export function* bundleJson(b: Bundle, processes: ProcessRow[]): Generator<string> {
  const head = safeJson(b, 1);
  yield head.slice(0, -2) + ',\n "processes": [';
  let first = true;
  for (const p of processes) {
    yield (first ? '\n' : ',\n') + safeJson(toQueryRow(p));
    first = false;
  }
  yield '\n ]\n}\n';
}

/** One record a line, each tagged with `record`: meta, point, burst, oom_kill, culprit, owner, event, process. */
export function* bundleNdjson(b: Bundle, processes: ProcessRow[]): Generator<string> {
  yield safeJson({ record: 'meta', generator: b.generator, host: b.host, generatedAt: b.generatedAt, zone: b.zone, since: b.since, until: b.until, nodeCgroup: b.nodeCgroup }) + '\n';
  const tag = <T extends object>(record: string, rows: T[]): Array<{ record: string } & T> => rows.map((r) => ({ record, ...r }));
  yield* ndjsonLines(tag('point', b.timeline.points));
  yield* ndjsonLines(tag('burst', b.timeline.bursts));
  yield* ndjsonLines(tag('oom_kill', b.timeline.oomKills));
  yield* ndjsonLines(tag('culprit', b.culprits.processes));
  yield* ndjsonLines(tag('owner', b.culprits.owners));
  if (b.culprits.atLowest !== null) yield safeJson({ record: 'at_lowest', ...b.culprits.atLowest }) + '\n';
  yield* ndjsonLines(tag('event', b.events));
  for (const p of processes) yield safeJson({ record: 'process', ...toQueryRow(p) }) + '\n';
}

/** CSV holds one table: the process samples (the same columns as `memrec query --format csv`). */
export function bundleCsv(processes: ProcessRow[]): Generator<string> {
  return csvLines(QUERY_FIELDS, processes.map((p) => toQueryRow(p) as unknown as Record<string, unknown>));
}
