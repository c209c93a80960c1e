// `memrec timeline`: the kubelet's memory.available beside free's MemAvailable, against the thresholds,
// with burst periods and OOM kills: as rows (csv/json) or as a chart that fits the terminal.
import type { OomKill, RecorderEvent, SnapshotKind } from '../model/types.js';
import { killDescription, killList } from './kills.js';
import type { ReportSource, SnapshotHeader, StoredEventRow } from './source.js';
import { formatClock, formatLocal, isoUtc, type TimeRange } from './time.js';

export interface TimelinePoint {
  at: string;
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
  startMs: number;
  endMs: number;
  reason: string | null;
}

export interface OomMark {
  at: string;
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
export function burstPeriods(events: RecorderEvent[], snaps: SnapshotHeader[], range: TimeRange): BurstPeriod[] {
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

export function timeline(store: ReportSource, range: TimeRange): Timeline {
  const snaps = store.snapshots(range);
  const events = store.events(range, ['burst_start', 'burst_end', 'oom_kill']);
  return {
    since: isoUtc(range.since),
    until: isoUtc(range.until),
    points: snaps.map(toPoint),
    bursts: burstPeriods(events, snaps, range),
    oomKills: oomMarks(events),
  };
}

export interface ChartOptions {
  width: number;
  height: number;
  zone: string;
  formatBytes: (n: number) => string;
}

/**
 * The timeline as text lines: one column per time bucket, each holding the bucket's lowest value
 * (the worst moment must never be averaged away). ● kubelet memory.available, ○ free's MemAvailable,
 * ━ hard threshold, ┄ soft threshold; a marker row below with ▒ for bursts and ✖ for OOM kills.
 */
export function renderChart(t: Timeline, range: TimeRange, o: ChartOptions): string[] {
  const pts = t.points;
  if (pts.length === 0) return [`no snapshots between ${formatLocal(range.since, o.zone)} and ${formatLocal(range.until, o.zone)}\n`];
  const t0 = Math.min(range.since, pts[0]!.atMs);
  const t1 = Math.max(Math.min(range.until, pts[pts.length - 1]!.atMs), t0 + 1);
  const values: number[] = [];
  for (const p of pts) {
    values.push(p.kubeletAvailableBytes, p.hardThresholdBytes);
    if (p.memAvailableBytes !== null) values.push(p.memAvailableBytes);
    if (p.softThresholdBytes !== null) values.push(p.softThresholdBytes);
  }
  const lo = Math.min(0, ...values);
  const hi = Math.max(...values) * 1.05 || 1;
  const labels = [hi, (hi + lo) / 2, lo].map(o.formatBytes);
  const labelW = Math.max(...labels.map((l) => l.length));
  const W = Math.max(10, o.width - labelW - 3);
  const H = Math.max(4, o.height);
  const col = (ms: number): number => Math.min(W - 1, Math.max(0, Math.floor(((ms - t0) / (t1 - t0)) * (W - 1))));
  const row = (v: number): number => Math.min(H - 1, Math.max(0, Math.round(((hi - v) / (hi - lo)) * (H - 1))));
  const grid: string[][] = Array.from({ length: H }, () => Array.from({ length: W }, () => ' '));
  const minIn = (pick: (p: TimelinePoint) => number | null): Array<number | null> => {
    const out: Array<number | null> = Array.from({ length: W }, () => null);
    for (const p of pts) {
      const v = pick(p);
      if (v === null) continue;
      const c = col(p.atMs);
      const cur = out[c];
      out[c] = cur === null || cur === undefined ? v : Math.min(cur, v);
    }
    return out;
  };
  const plot = (vals: Array<number | null>, ch: string, onlyOnBlank = false): void =>
    vals.forEach((v, c) => {
      if (v === null) return;
      const cell = grid[row(v)]!;
      if (!onlyOnBlank || cell[c] === ' ') cell[c] = ch;
    });
  plot(minIn((p) => p.softThresholdBytes), '┄');
  plot(minIn((p) => p.hardThresholdBytes), '━');
  plot(minIn((p) => p.memAvailableBytes), '○');
  plot(minIn((p) => p.kubeletAvailableBytes), '●');
  const marks = Array.from({ length: W }, () => ' ');
  for (const b of t.bursts) for (let c = col(b.startMs); c <= col(b.endMs); c++) marks[c] = '▒';
  for (const k of t.oomKills) marks[col(k.atMs)] = '✖';
  const lines: string[] = [];
  grid.forEach((cells, r) => {
    const label = r === 0 ? labels[0]! : r === Math.floor((H - 1) / 2) ? labels[1]! : r === H - 1 ? labels[2]! : '';
    lines.push(`${label.padStart(labelW)} ┤${cells.join('').trimEnd()}\n`);
  });
  lines.push(`${' '.repeat(labelW)} └${'─'.repeat(W)}\n`);
  if (marks.some((m) => m !== ' ')) lines.push(`${' '.repeat(labelW)}  ${marks.join('').trimEnd()}\n`);
  // time axis: start, middle, end
  const sameDay = formatLocal(t0, o.zone).slice(0, 10) === formatLocal(t1, o.zone).slice(0, 10);
  const fmt = (ms: number): string => (sameDay ? formatClock(ms, o.zone).slice(0, 5) : formatLocal(ms, o.zone).slice(5, 16));
  const left = fmt(t0);
  const mid = fmt((t0 + t1) / 2);
  const right = fmt(t1);
  const axis = Array.from({ length: W }, () => ' ');
  const put = (s: string, at: number): void => [...s].forEach((ch, i) => at + i >= 0 && at + i < W && (axis[at + i] = ch));
  put(left, 0);
  if (W > left.length + mid.length + right.length + 4) put(mid, Math.floor(W / 2 - mid.length / 2));
  put(right, W - right.length);
  lines.push(`${' '.repeat(labelW)}  ${axis.join('').trimEnd()}\n`);
  const day = sameDay ? ` (${formatLocal(t0, o.zone).slice(0, 10)}, ${o.zone})` : ` (${o.zone})`;
  lines.push(`● kubelet memory.available  ○ free's MemAvailable  ━ hard threshold  ┄ soft threshold  ▒ burst  ✖ OOM kill${day}\n`);
  const low = pts.reduce((a, b) => (b.kubeletAvailableBytes < a.kubeletAvailableBytes ? b : a));
  lines.push(
    `lowest memory.available ${o.formatBytes(low.kubeletAvailableBytes)} at ${formatLocal(low.atMs, o.zone)} (hard threshold ${o.formatBytes(low.hardThresholdBytes)}` +
      `${low.memAvailableBytes === null ? '' : `, free's MemAvailable ${o.formatBytes(low.memAvailableBytes)}`}); ${t.bursts.length} burst period(s), ${t.oomKills.length} OOM kill(s)\n`,
  );
  lines.push(...killList(t.oomKills, o.zone, o.width));
  return lines;
}

