// `memrec timeline`: the kubelet's memory.available beside free's MemAvailable, against the thresholds,
// with burst periods and OOM kills: as rows (csv/json) or as a chart that fits the terminal.
import { LazyArray } from './format/json.js';
import { mapRows } from './format/output.js';
import { cleanText, wrapLines } from './format/text.js';
import type { OomKill, RecorderEvent, SnapshotKind } from '../model/types.js';
import { killDescription, killList } from './kills.js';
import type { ProcessRow, ReportSource, SnapshotHeader, StoredEventRow } from './source.js';
import { formatClock, formatLocal, isoUtc, zoneOffsetMs, type TimeRange } from './time.js';

export interface TimelinePoint {
  at: string;
  /** `at` in epoch ms, for drawing and range arithmetic: never written (pointJson) */
  atMs: number;
  snapshotKind: SnapshotKind;
  kubeletAvailableBytes: number;
  memAvailableBytes: number | null;
  memFreeBytes: number;
  allocatableAvailableBytes: number | null;
  hardThresholdBytes: number;
  softThresholdBytes: number | null;
  capacityBytes: number;
}

export interface BurstPeriod {
  start: string;
  end: string;
  /** `start` and `end` in epoch ms, for drawing and range arithmetic: never written (burstJson) */
  startMs: number;
  endMs: number;
  reason: string | null;
}

export interface OomMark {
  at: string;
  /** `at` in epoch ms: never written (oomMarkJson) */
  atMs: number;
  pid: number;
  comm: string;
  anonRssBytes: number | null;
  global: boolean | null;
  taskMemcg: string | null;
  /** the kill in one line: victim and largest task (kills.ts) */
  description: string;
}

export interface Timeline {
  since: string;
  until: string;
  points: TimelinePoint[];
  bursts: BurstPeriod[];
  oomKills: OomMark[];
}

export const TIMELINE_FIELDS: readonly (keyof TimelinePoint)[] = [
  'at', 'snapshotKind', 'kubeletAvailableBytes', 'memAvailableBytes', 'memFreeBytes', 'allocatableAvailableBytes',
  'hardThresholdBytes', 'softThresholdBytes', 'capacityBytes',
];

export function toPoint(s: SnapshotHeader): TimelinePoint {
  return {
    at: isoUtc(s.takenAt),
    atMs: s.takenAt,
    snapshotKind: s.kind,
    kubeletAvailableBytes: s.kubelet.availableBytes,
    memAvailableBytes: s.meminfo.memAvailableBytes,
    memFreeBytes: s.meminfo.memFreeBytes,
    allocatableAvailableBytes: s.allocatable?.availableBytes ?? null,
    hardThresholdBytes: s.thresholds.hard.bytes,
    softThresholdBytes: s.thresholds.soft?.bytes ?? null,
    capacityBytes: s.kubelet.capacityBytes,
  };
}

/** Burst periods from burst_start/burst_end events; a start without an end lasts to its last burst snapshot or the range end. */
export function burstPeriods(events: RecorderEvent[], snaps: ReadonlyArray<Pick<SnapshotHeader, 'kind' | 'takenAt'>>, range: TimeRange): BurstPeriod[] {
  const out: BurstPeriod[] = [];
  let open: { at: number; reason: string | null } | null = null;
  const close = (end: number): void => {
    if (open === null) return;
    out.push({ start: isoUtc(open.at), end: isoUtc(end), startMs: open.at, endMs: end, reason: open.reason });
    open = null;
  };
  const bursts = snaps.filter((s) => s.kind === 'burst');
  const lastBurstAfter = (t: number): number => {
    let last = range.until;
    for (const s of bursts) if (s.takenAt >= t) last = s.takenAt;
    return last;
  };
  const sorted = events.filter((e) => e.type === 'burst_start' || e.type === 'burst_end').sort((a, b) => a.at - b.at);
  for (const e of sorted) {
    if (e.type === 'burst_start') {
      close(e.at);
      open = { at: e.at, reason: e.details.reason };
    } else if (e.type === 'burst_end') {
      // A burst that began before the range starts at the range start.
      if (open === null) open = { at: Math.max(range.since, e.at - e.details.durationMs), reason: null };
      close(e.at);
    }
  }
  if (open !== null) close(lastBurstAfter((open as { at: number }).at));
  if (out.length === 0 && bursts.length > 0) {
    // No events (older recorder, or the range cut them): runs of burst snapshots less than a minute apart.
    let start = bursts[0]!.takenAt;
    let prev = start;
    for (const s of bursts.slice(1)) {
      if (s.takenAt - prev > 60_000) {
        out.push({ start: isoUtc(start), end: isoUtc(prev), startMs: start, endMs: prev, reason: null });
        start = s.takenAt;
      }
      prev = s.takenAt;
    }
    out.push({ start: isoUtc(start), end: isoUtc(prev), startMs: start, endMs: prev, reason: null });
  }
  return out;
}

export function oomMarks(events: StoredEventRow[]): OomMark[] {
  return events
    .filter((e): e is StoredEventRow & { type: 'oom_kill'; details: OomKill } => e.type === 'oom_kill')
    .map((e) => ({
      at: isoUtc(e.at),
      atMs: e.at,
      pid: e.details.pid,
      comm: e.details.comm,
      anonRssBytes: e.details.anonRssKb === null ? null : e.details.anonRssKb * 1024,
      global: e.details.global,
      taskMemcg: e.details.taskMemcg,
      description: killDescription(e.details),
    }));
}

/**
 * The points of a range (unless `keep` is false: then only) their times, the times of its burst snapshots,
 * and the node cgroup of its last snapshot, read one snapshot at a time.
 */
export function pointsOf(
  store: ReportSource,
  range: TimeRange,
  keep = true,
): { points: TimelinePoint[]; times: number[]; bursts: Array<Pick<SnapshotHeader, 'kind' | 'takenAt'>>; nodeCgroup: string | null } {
  const points: TimelinePoint[] = [];
  const times: number[] = [];
  const bursts: Array<Pick<SnapshotHeader, 'kind' | 'takenAt'>> = [];
  let nodeCgroup: string | null = null;
  for (const s of store.eachSnapshot(range)) {
    if (keep) points.push(toPoint(s));
    times.push(s.takenAt);
    if (s.kind === 'burst') bursts.push({ kind: s.kind, takenAt: s.takenAt });
    nodeCgroup = s.kubelet.cgroup;
  }
  return { points, times, bursts, nodeCgroup };
}

export function timeline(store: ReportSource, range: TimeRange): Timeline {
  const { points, bursts } = pointsOf(store, range);
  const events = store.events(range, ['burst_start', 'burst_end', 'oom_kill']);
  return {
    since: isoUtc(range.since),
    until: isoUtc(range.until),
    points,
    bursts: burstPeriods(events, bursts, range),
    oomKills: oomMarks(events),
  };
}

// ---- as JSON: every time its ISO string only (README, JSON fields); the epoch-ms copies stay in memory

export type TimelinePointJson = Omit<TimelinePoint, 'atMs'>;
export type BurstPeriodJson = Omit<BurstPeriod, 'startMs' | 'endMs'>;
export type OomMarkJson = Omit<OomMark, 'atMs'>;
export interface TimelineJson {
  since: string;
  until: string;
  points: LazyArray<TimelinePointJson>;
  bursts: BurstPeriodJson[];
  oomKills: OomMarkJson[];
}

export function pointJson({ atMs: _, ...p }: TimelinePoint): TimelinePointJson {
  return p;
}

export function burstJson({ startMs: _s, endMs: _e, ...b }: BurstPeriod): BurstPeriodJson {
  return b;
}

export function oomMarkJson({ atMs: _, ...k }: OomMark): OomMarkJson {
  return k;
}

/**
 * The timeline as JSON writes it, for jsonLines. The points (an array, or export's iterable over the store) are
 * converted as they are written: a month of 1 s points is never held twice.
 */
export function timelineJson(t: Omit<Timeline, 'points'> & { points: Iterable<TimelinePoint> }): TimelineJson {
  return { since: t.since, until: t.until, points: new LazyArray(mapRows(t.points, pointJson)), bursts: t.bursts.map(burstJson), oomKills: t.oomKills.map(oomMarkJson) };
}

// ---- zooming into a long range

export const AROUND = ['burst', 'oom', 'lowest'] as const;
export type Around = (typeof AROUND)[number];

/**
 * The part of `range` around a burst (the one holding the lowest memory.available, else the first), the
 * first OOM kill, or the lowest memory.available: the event with a margin of half its length, at least 30 s
 * (a minute either side of an instant). Null when the range holds no such event.
 */
export function aroundRange(t: Timeline, range: TimeRange, what: Around): TimeRange | null {
  let from: number;
  let to: number;
  if (what === 'burst') {
    if (t.bursts.length === 0) return null;
    const low = lowestPoint(t.points);
    const b = t.bursts.find((x) => low !== null && x.startMs <= low.atMs && low.atMs <= x.endMs) ?? t.bursts[0]!;
    from = b.startMs;
    to = b.endMs;
  } else {
    const at = what === 'oom' ? t.oomKills[0]?.atMs : lowestPoint(t.points)?.atMs;
    if (at === undefined) return null;
    from = at - 30_000;
    to = at + 30_000;
  }
  const margin = Math.max(30_000, (to - from) / 2);
  return { since: Math.max(range.since, from - margin), until: Math.min(range.until, to + margin) };
}

/** The timeline restricted to `r` (its points, the bursts and kills that touch it). */
export function within(t: Timeline, r: TimeRange): Timeline {
  return {
    since: isoUtc(r.since),
    until: isoUtc(r.until),
    points: t.points.filter((p) => p.atMs >= r.since && p.atMs <= r.until),
    bursts: t.bursts.filter((b) => b.endMs >= r.since && b.startMs <= r.until),
    oomKills: t.oomKills.filter((k) => k.atMs >= r.since && k.atMs <= r.until),
  };
}

function lowestPoint(pts: readonly TimelinePoint[]): TimelinePoint | null {
  let low: TimelinePoint | null = null;
  for (const p of pts) if (low === null || p.kubeletAvailableBytes < low.kubeletAvailableBytes) low = p;
  return low;
}

// ---- one process (or the processes a comm matches) over time

export interface ProcessPoint {
  at: string;
  /** `at` in epoch ms: never written (processSeriesJson) */
  atMs: number;
  /** RSS summed over the matching processes of the snapshot */
  rssBytes: number;
  processes: number;
}

export interface ProcessSeries {
  /** `updatedb (pid 48213)`, `processes matching /^updatedb/` */
  label: string;
  points: ProcessPoint[];
}

/** A process's recorded RSS per snapshot (only snapshots where it was among the recorded top N). */
export function processSeries(rows: readonly ProcessRow[], label: string): ProcessSeries {
  const bySnap = new Map<number, ProcessPoint>();
  for (const r of rows) {
    let p = bySnap.get(r.snapshotId);
    if (p === undefined) {
      p = { at: isoUtc(r.takenAt), atMs: r.takenAt, rssBytes: 0, processes: 0 };
      bySnap.set(r.snapshotId, p);
    }
    p.rssBytes += r.rssBytes;
    p.processes++;
  }
  return { label, points: [...bySnap.values()] };
}

export interface ProcessSeriesJson {
  label: string;
  points: Array<Omit<ProcessPoint, 'atMs'>>;
}

export function processSeriesJson(s: ProcessSeries): ProcessSeriesJson {
  return { label: s.label, points: s.points.map(({ atMs: _, ...p }) => p) };
}

// ---- the chart

export interface ChartOptions {
  width: number;
  height: number;
  zone: string;
  formatBytes: (n: number) => string;
  /** drawn in a panel of its own under memory.available */
  process?: ProcessSeries | null;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const STEPS = [1, 2, 5, 10, 15, 30].map((n) => n * SECOND).concat([1, 2, 5, 10, 15, 30].map((n) => n * MINUTE), [1, 2, 3, 6, 12].map((n) => n * HOUR), [1, 2, 7, 14, 28].map((n) => n * DAY));

/**
 * Time axis ticks at even steps of the zone's wall clock (every 10 s, 5 min, 2 h, ...), as many as fit:
 * HH:MM:SS below a minute's step, HH:MM below a day's (with the day when the range spans several), else MM-DD.
 */
export function timeTicks(t0: number, t1: number, columns: number, zone: string): { step: number; ticks: Array<{ at: number; label: string }> } {
  const days = formatLocal(t0, zone).slice(0, 10) !== formatLocal(t1, zone).slice(0, 10);
  const label = (at: number, step: number): string =>
    step < MINUTE ? formatClock(at, zone) : step >= DAY ? formatLocal(at, zone).slice(5, 10) : days ? formatLocal(at, zone).slice(5, 16) : formatClock(at, zone).slice(0, 5);
  for (const step of STEPS) {
    const width = label(t0, step).length + 2;
    const off = zoneOffsetMs(zone, t0);
    const first = Math.ceil((t0 + off) / step) * step - off;
    // too many to fit: the next, longer step (without formatting thousands of labels)
    if ((Math.floor((t1 - first) / step) + 1) * width > columns && step !== STEPS[STEPS.length - 1]) continue;
    const ticks: Array<{ at: number; label: string }> = [];
    for (let at = first; at <= t1; at += step) ticks.push({ at, label: label(at, step) });
    if (ticks.length * width <= columns || step === STEPS[STEPS.length - 1]) return { step, ticks };
  }
  return { step: DAY, ticks: [] };
}

/** Words wrapped into lines of at most `width` (the legend and the summary must fit 80 columns). */
function wrapWords(items: string[], width: number, sep = '  '): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const it of items) {
    if (cur !== '' && [...cur].length + sep.length + [...it].length > width) {
      lines.push(cur + '\n');
      cur = it;
    } else cur = cur === '' ? it : cur + sep + it;
  }
  if (cur !== '') lines.push(cur + '\n');
  return lines;
}

interface Scale {
  lo: number;
  hi: number;
}

/** The lowest and highest of a series, added one value at a time (a month of points is no argument list). */
class Extent {
  n = 0;
  min = Infinity;
  max = -Infinity;
  add(v: number | null): this {
    if (v !== null) {
      this.n++;
      if (v < this.min) this.min = v;
      if (v > this.max) this.max = v;
    }
    return this;
  }
  merge(e: Extent): this {
    if (e.n > 0) this.add(e.min).add(e.max);
    return this;
  }
}

/** A scale over the values, 5% of room either side, not below 0 when the values are not. */
function scaleOf(values: Extent): Scale {
  let lo = values.min;
  let hi = values.max;
  const span = hi - lo || Math.max(Math.abs(hi) * 0.1, 1024 * 1024);
  const min = lo;
  lo -= span * 0.05;
  hi += span * 0.05;
  if (min >= 0 && lo < 0) lo = 0;
  return { lo, hi };
}

/**
 * The timeline as text lines: one column per time bucket, each holding the bucket's lowest value
 * (the worst moment must never be averaged away). ● kubelet memory.available, ○ free's MemAvailable,
 * ◉ both in one cell, ━ hard threshold, ┄ soft threshold; a marker row below with ▒ for bursts and ✖ for
 * OOM kills. The scale spans memory.available and the thresholds; free's MemAvailable shares it when it
 * is near them, else it is left off and the chart says so (a node cgroup's chart under a machine's free memory).
 */
export function renderChart(t: Timeline, range: TimeRange, o: ChartOptions): string[] {
  const width = Math.max(40, o.width);
  const pts = t.points;
  if (pts.length === 0) return [`no snapshots between ${formatLocal(range.since, o.zone)} and ${formatLocal(range.until, o.zone)} (${o.zone})\n`];
  const t0 = Math.min(range.since, pts[0]!.atMs);
  const t1 = Math.max(Math.min(range.until, pts[pts.length - 1]!.atMs), t0 + 1);
  const kubelet = new Extent();
  const free = new Extent();
  for (const p of pts) {
    kubelet.add(p.kubeletAvailableBytes).add(p.hardThresholdBytes).add(p.softThresholdBytes);
    free.add(p.memAvailableBytes);
  }
  const own = scaleOf(kubelet);
  const both = scaleOf(new Extent().merge(kubelet).merge(free));
  // MemAvailable shares the scale unless that would squash memory.available into a few rows
  const clipFree = free.n > 0 && both.hi - both.lo > 3 * (own.hi - own.lo);
  const scale = clipFree ? own : both;
  const H = Math.max(4, o.height);
  const labelsAt = (sc: Scale, rows: number): string[] =>
    Array.from({ length: rows }, (_, r) => (r === 0 || r === rows - 1 || (rows >= 8 && r % 4 === 0 && r < rows - 2) ? o.formatBytes(sc.hi - ((sc.hi - sc.lo) * r) / (rows - 1)) : ''));
  const labels = labelsAt(scale, H);
  const proc = o.process ?? null;
  const PH = Math.max(3, Math.round(H / 2));
  const procScale: Scale | null = proc === null || proc.points.length === 0 ? null : { lo: 0, hi: proc.points.reduce((m, p) => Math.max(m, p.rssBytes), 0) * 1.05 || 1 };
  const procLabels = procScale === null ? [] : labelsAt(procScale, PH);
  const labelW = Math.max(...labels.map((l) => l.length), ...procLabels.map((l) => l.length));
  const W = Math.max(10, width - labelW - 3);
  const col = (ms: number): number => Math.min(W - 1, Math.max(0, Math.floor(((ms - t0) / (t1 - t0)) * (W - 1))));
  const rowOf = (sc: Scale, rows: number) => (v: number): number | null => {
    const r = Math.round(((sc.hi - v) / (sc.hi - sc.lo)) * (rows - 1));
    return r < 0 || r > rows - 1 ? null : r;
  };
  const row = rowOf(scale, H);
  const grid: string[][] = Array.from({ length: H }, () => Array.from({ length: W }, () => ' '));
  const bucket = (series: Array<{ atMs: number; v: number | null }>, pick: (a: number, b: number) => number): Array<number | null> => {
    const out: Array<number | null> = Array.from({ length: W }, () => null);
    for (const p of series) {
      if (p.v === null) continue;
      const c = col(p.atMs);
      const cur = out[c];
      out[c] = cur === null || cur === undefined ? p.v : pick(cur, p.v);
    }
    return out;
  };
  const lowest = (pick: (p: TimelinePoint) => number | null): Array<number | null> => bucket(pts.map((p) => ({ atMs: p.atMs, v: pick(p) })), Math.min);
  const plot = (vals: Array<number | null>, ch: string): void =>
    vals.forEach((v, c) => {
      const r = v === null ? null : row(v);
      if (r === null) return;
      const cell = grid[r]!;
      cell[c] = (ch === '●' && cell[c] === '○') || (ch === '○' && cell[c] === '●') ? '◉' : ch;
    });
  plot(lowest((p) => p.softThresholdBytes), '┄');
  plot(lowest((p) => p.hardThresholdBytes), '━');
  if (!clipFree) plot(lowest((p) => p.memAvailableBytes), '○');
  plot(lowest((p) => p.kubeletAvailableBytes), '●');
  const pad = (l: string): string => l.padStart(labelW);
  const lines: string[] = [];
  grid.forEach((cells, r) => lines.push(`${pad(labels[r]!)} ┤${cells.join('').trimEnd()}\n`));
  const marks = Array.from({ length: W }, () => ' ');
  for (const b of t.bursts) for (let c = col(Math.max(t0, b.startMs)); c <= col(Math.min(t1, b.endMs)); c++) marks[c] = '▒';
  for (const k of t.oomKills) marks[col(k.atMs)] = '✖';
  if (marks.some((m) => m !== ' ')) lines.push(`${pad('')}  ${marks.join('').trimEnd()}\n`);
  if (proc !== null) {
    lines.push(`${pad('')}  RSS of ${cleanText(proc.label)}${procScale === null ? ': not among the recorded processes in this range' : ''}\n`);
    if (procScale !== null) {
      const prow = rowOf(procScale, PH);
      const pgrid: string[][] = Array.from({ length: PH }, () => Array.from({ length: W }, () => ' '));
      // the largest of a slice: a spike is never averaged away either
      bucket(proc.points.map((p) => ({ atMs: p.atMs, v: p.rssBytes })), Math.max).forEach((v, c) => {
        const r = v === null ? null : prow(v);
        if (r !== null) pgrid[r]![c] = '■';
      });
      pgrid.forEach((cells, r) => lines.push(`${pad(procLabels[r]!)} ┤${cells.join('').trimEnd()}\n`));
    }
  }
  // time axis: ticks at even steps of the wall clock, labels where they fit
  const { ticks } = timeTicks(t0, t1, W, o.zone);
  const axis = Array.from({ length: W }, () => '─');
  const text = Array.from({ length: W }, () => ' ');
  let free0 = 0;
  for (const tk of ticks) {
    const c = col(tk.at);
    axis[c] = '┬';
    const start = Math.min(Math.max(0, c - Math.floor(tk.label.length / 2)), W - tk.label.length);
    if (start < free0) continue;
    [...tk.label].forEach((ch, i) => (text[start + i] = ch));
    free0 = start + tk.label.length + 1;
  }
  lines.push(`${pad('')} └${axis.join('')}\n`);
  lines.push(`${pad('')}  ${text.join('').trimEnd()}\n`);
  const sameDay = formatLocal(t0, o.zone).slice(0, 10) === formatLocal(t1, o.zone).slice(0, 10);
  const drawn = new Set(grid.flat());
  const legend = ['● kubelet memory.available'];
  if (drawn.has('○') || drawn.has('◉')) legend.push("○ free's MemAvailable");
  if (drawn.has('◉')) legend.push('◉ both');
  legend.push('━ hard threshold');
  if (pts.some((p) => p.softThresholdBytes !== null)) legend.push('┄ soft threshold');
  if (t.bursts.length > 0) legend.push('▒ burst');
  if (t.oomKills.length > 0) legend.push('✖ OOM kill');
  if (proc !== null) legend.push(`■ RSS of ${cleanText(proc.label)}`);
  legend.push(sameDay ? `(${formatLocal(t0, o.zone).slice(0, 10)}, ${o.zone})` : `(${o.zone})`);
  lines.push(...wrapWords(legend, width));
  const low = lowestPoint(pts)!;
  const summary = [
    `lowest memory.available ${o.formatBytes(low.kubeletAvailableBytes)} at ${formatLocal(low.atMs, o.zone)}`,
    `(hard threshold ${o.formatBytes(low.hardThresholdBytes)}${low.memAvailableBytes === null ? '' : `, free's MemAvailable ${o.formatBytes(low.memAvailableBytes)}`});`,
    `${t.bursts.length} burst period(s), ${t.oomKills.length} OOM kill(s).`,
  ];
  if (clipFree) {
    summary.push(
      `○ free's MemAvailable (${o.formatBytes(free.min)} to ${o.formatBytes(free.max)}) is the machine's, far from this node's memory.available: not drawn on this scale.`,
    );
  }
  lines.push(...wrapLines(summary.join(' '), width).map((l) => `${l}\n`));
  lines.push(...killList(t.oomKills, o.zone, width));
  return lines;
}

