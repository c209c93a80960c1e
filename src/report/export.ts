// `memrec export`: the postmortem bundle. Everything the other reports answer, for one range, in one
// file: json (one document), ndjson (one record a line, tagged), csv (the process samples) or html.
import { culprits, culpritsJson, type Culprits } from './culprits.js';
import { toEventRow, type EventRow } from './events.js';
import { QUERY_FIELDS, toQueryRow } from './query.js';
import type { OwnerRow, ProcessRow, ReportSource } from './source.js';
import { burstJson, burstPeriods, oomMarkJson, oomMarks, pointJson, pointsOf, timelineJson, toPoint, type Timeline, type TimelinePoint } from './timeline.js';
import { isoUtc, type TimeRange } from './time.js';
import { ownerLabel } from '../model/attribution.js';
import type { OwnerKind } from '../model/types.js';
import { csvLines } from './format/csv.js';
import { jsonLines, LazyArray } from './format/json.js';
import { ndjsonLines } from './format/ndjson.js';
import { mapRows } from './format/output.js';
import { safeJson } from './format/text.js';

export const EXPORT_FORMATS = ['html', 'json', 'ndjson', 'csv', 'sqlite'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface OwnerSeries {
  /** snapshot times, epoch ms, ascending */
  times: number[];
  /** the largest owners by peak, then one layer for all the others */
  owners: Array<{ key: string; owner: string; ownerKind: OwnerKind | 'others'; ownerCgroup: string | null; peakRssBytes: number; values: number[] }>;
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
  /**
   * json and ndjson write the points as they read them: then bundle.timeline.points is left empty and the
   * points come back as an iterable over the store (a month is ~12 MB of points held; html needs them held)
   */
  streamPoints?: boolean;
}

/** `rows` is read twice (the peaks, then the values): an array, or an iterable that reads the store afresh. */
export function ownerSeries(times: number[], rows: Iterable<OwnerRow>, layers: number): OwnerSeries {
  const index = new Map(times.map((t, i) => [t, i]));
  const peaks = new Map<string, OwnerRow>();
  for (const r of rows) {
    const p = peaks.get(r.key);
    if (p === undefined || r.rssBytes > p.rssBytes) peaks.set(r.key, r);
  }
  const ranked = [...peaks.values()].sort((a, b) => b.rssBytes - a.rssBytes);
  const shown = ranked.slice(0, layers);
  const slot = new Map(shown.map((r, i) => [r.key, i]));
  const owners: OwnerSeries['owners'] = shown.map((r) => ({ key: r.key, owner: ownerLabel(r.owner), ownerKind: r.owner.kind, ownerCgroup: r.owner.kind === 'kernel' ? null : r.owner.cgroup, peakRssBytes: r.rssBytes, values: times.map(() => 0) }));
  const others = { key: 'others', owner: `all other owners (${Math.max(0, ranked.length - shown.length)})`, ownerKind: 'others' as const, ownerCgroup: null, peakRssBytes: 0, values: times.map(() => 0) };
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

/**
 * Every part of the bundle, each read from the store in the memory of its answer (a point per snapshot,
 * the culprits' folds, a value per owner layer and snapshot), never a row per process sample: the process
 * rows come back as an iterable that streams them from the store for csv/ndjson/json.
 */
export function buildBundle(
  store: ReportSource,
  range: TimeRange,
  meta: BundleMeta,
): { bundle: Bundle; points: Iterable<TimelinePoint>; processes: Iterable<ProcessRow> } {
  const stream = meta.streamPoints === true;
  const { points, times, bursts, nodeCgroup } = pointsOf(store, range, !stream);
  const evs = store.events(range);
  const timeline: Timeline = {
    since: isoUtc(range.since),
    until: isoUtc(range.until),
    points,
    bursts: burstPeriods(evs, bursts, range),
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
      nodeCgroup,
      timeline,
      culprits: culprits(store, range, meta.top),
      ownerSeries: ownerSeries(times, { [Symbol.iterator]: () => store.eachOwnerRow(range) }, meta.ownerLayers ?? 6),
      events: evs.map(toEventRow),
    },
    points: stream ? { [Symbol.iterator]: () => mapRows(store.eachSnapshot(range), toPoint) } : points,
    processes: { [Symbol.iterator]: () => store.eachProcessRow(range) },
  };
}

/**
 * One JSON document: the bundle plus every process sample, streamed. Every time as ISO 8601 UTC, as every JSON
 * time: `ownerSeries.times` converted, the timeline's and the kills' epoch-ms copies left out.
 */
export function bundleJson(b: Bundle, points: Iterable<TimelinePoint>, processes: Iterable<ProcessRow>): Generator<string> {
  // converted as they are written: a month of 1 s bursts is millions of times, never held twice
  const ownerTimes = { ...b.ownerSeries, times: new LazyArray(mapRows(b.ownerSeries.times, isoUtc)) };
  return jsonLines({ ...b, timeline: timelineJson({ ...b.timeline, points }), culprits: culpritsJson(b.culprits), ownerSeries: ownerTimes, processes: new LazyArray(mapRows(processes, toQueryRow), true) }, 1);
}

/** One record a line, each tagged with `record`: meta, point, burst, oom_kill, culprit, owner, event, process. */
export function* bundleNdjson(b: Bundle, points: Iterable<TimelinePoint>, processes: Iterable<ProcessRow>): Generator<string> {
  yield safeJson({ record: 'meta', generator: b.generator, host: b.host, generatedAt: b.generatedAt, zone: b.zone, since: b.since, until: b.until, nodeCgroup: b.nodeCgroup }) + '\n';
  const tag = <T extends object>(record: string, rows: Iterable<T>): Iterable<{ record: string } & T> => mapRows(rows, (r) => ({ record, ...r }));
  yield* ndjsonLines(tag('point', mapRows(points, pointJson)));
  yield* ndjsonLines(tag('burst', b.timeline.bursts.map(burstJson)));
  yield* ndjsonLines(tag('oom_kill', b.timeline.oomKills.map(oomMarkJson)));
  yield* ndjsonLines(tag('culprit', b.culprits.processes));
  yield* ndjsonLines(tag('owner', b.culprits.owners));
  if (b.culprits.atLowest !== null) yield safeJson({ record: 'at_lowest', ...b.culprits.atLowest }) + '\n';
  yield* ndjsonLines(tag('event', b.events));
  yield* ndjsonLines(tag('process', mapRows(processes, toQueryRow)));
}

/** CSV holds one table: the process samples (the same columns as `memrec query --format csv`). */
export function* bundleCsv(processes: Iterable<ProcessRow>): Generator<string> {
  const rows = function* (): Generator<Record<string, unknown>> {
    for (const p of processes) yield toQueryRow(p) as unknown as Record<string, unknown>;
  };
  yield* csvLines(QUERY_FIELDS, rows());
}
