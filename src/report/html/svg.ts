// Server-side SVG charts for the HTML report: no script, no external resource, so the file opens
// offline and under a CSP that forbids everything but inline styles. The SVG has a viewBox and no
// fixed size: the page's CSS scales it to the column, so it never overflows a narrow window or paper.
// Series are reduced to the min and max of each pixel column, so a one-sample dip survives any
// range length and the file's size depends on the chart's width, not on the number of snapshots.
import { escapeHtml } from '../format/text.js';
import { timeTicks } from '../time-ticks.js';

export interface Series {
  name: string;
  color: string;
  dash?: string;
  width?: number;
  points: Array<[number, number]>;
}

export interface Band {
  start: number;
  end: number;
  label: string;
}

export interface Marker {
  at: number;
  label: string;
  /** its look (MARKER_STYLE) and the class of its group, `g.oom.node` or `g.oom.cgroup` */
  kind: MarkerKind;
}

/** How each kind of vertical marker is drawn: never like a threshold (horizontal, red/orange). */
export const MARKER_STYLE = {
  /** an OOM kill of the whole node (global, or the recorded node's own memory cgroup) */
  node: { stroke: '#111111', dash: '', symbol: '✖' },
  /** an OOM kill inside a cgroup with its own limit: the node still had memory */
  cgroup: { stroke: '#7b1fa2', dash: '5 3', symbol: '◆' },
} as const;
export type MarkerKind = keyof typeof MARKER_STYLE;

export interface Axes {
  /** viewBox size; the page scales it */
  width: number;
  height: number;
  x0: number;
  x1: number;
  zone: string;
}

/** Text size in viewBox units, and an estimate of one character's width, for spacing the labels. */
const FONT = 13;
const CHAR = FONT * 0.62;
const M = { left: 64, right: 14, top: 16, bottom: 26 };
const f = (n: number): string => (Math.round(n * 10) / 10).toString();
/** Bursts drawn with a tooltip each; past this many they are one shape. */
const MAX_BAND_TITLES = 40;

/** Largest and smallest of a long array without spreading it into arguments (stack overflow past ~100k). */
export function extent(values: Iterable<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

const UNITS: Array<[string, number]> = [
  ['Ti', 2 ** 40],
  ['Gi', 2 ** 30],
  ['Mi', 2 ** 20],
  ['Ki', 2 ** 10],
];

export interface Scale {
  lo: number;
  hi: number;
  ticks: number[];
  label: (v: number) => string;
}

/**
 * A byte axis from `lo` to `hi` widened to even steps of 1, 2, 2.5 or 5 times a power of ten of one
 * binary unit (0, 200Mi, 400Mi...; 0, 0.5Gi, 1Gi...), so the top tick sits just above the data.
 */
export function byteScale(lo: number, hi: number, maxTicks = 5): Scale {
  if (!(hi > lo)) hi = lo + 1024;
  const [suffix, unit] = UNITS.find(([, u]) => Math.max(Math.abs(lo), Math.abs(hi)) >= u) ?? ['Ki', 1024];
  const raw = (hi - lo) / maxTicks / unit;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const nice = [1, 2, 2.5, 5, 10].find((n) => n * mag >= raw * (1 - 1e-9)) ?? 10;
  const step = nice * mag * unit;
  const first = Math.floor(lo / step + 1e-9) * step;
  const last = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let v = first; v <= last + step / 2; v += step) ticks.push(v);
  const decimals = Math.max(0, -Math.floor(Math.log10(nice * mag) + 1e-9) + (nice === 2.5 ? 1 : 0));
  return { lo: first, hi: last, ticks, label: (v) => (Math.abs(v) < step / 1e6 ? '0' : `${(v / unit).toFixed(decimals)}${suffix}`) };
}

/** Pixel-column min/max of a series, breaking the line where samples are missing for long. */
export function reduce(points: Array<[number, number]>, x0: number, x1: number, columns: number): Array<Array<[number, number]>> {
  if (points.length === 0) return [];
  const gaps = points.slice(1).map((p, i) => p[0] - points[i]![0]).sort((a, b) => a - b);
  const typical = gaps[Math.floor(gaps.length / 2)] ?? 60_000;
  // A recorder that was down leaves a hole, not a straight line across it.
  const maxGap = Math.max(typical * 5, 150_000);
  const segments: Array<Array<[number, number]>> = [];
  let seg: Array<[number, number]> = [];
  let bucket = -1;
  let lo: [number, number] | null = null;
  let hi: [number, number] | null = null;
  const flush = (): void => {
    if (lo === null || hi === null) return;
    if (lo === hi) seg.push(lo);
    else if (lo[0] <= hi[0]) seg.push(lo, hi);
    else seg.push(hi, lo);
    lo = hi = null;
  };
  let prevT = -Infinity;
  for (const p of points) {
    if (p[0] - prevT > maxGap && seg.length + (lo ? 1 : 0) > 0) {
      flush();
      segments.push(seg);
      seg = [];
    }
    prevT = p[0];
    const b = Math.floor(((p[0] - x0) / Math.max(1, x1 - x0)) * columns);
    if (b !== bucket) {
      flush();
      bucket = b;
    }
    if (lo === null || p[1] < lo[1]) lo = p;
    if (hi === null || p[1] > hi[1]) hi = p;
  }
  flush();
  if (seg.length > 0) segments.push(seg);
  return segments;
}

interface Plot {
  x: (t: number) => number;
  y: (v: number) => number;
  pw: number;
  ph: number;
  top: number;
  bottom: number;
}

function plotOf(a: Axes, s: Scale): Plot {
  const pw = a.width - M.left - M.right;
  const ph = a.height - M.top - M.bottom;
  return {
    pw,
    ph,
    top: M.top,
    bottom: M.top + ph,
    x: (t) => M.left + ((t - a.x0) / Math.max(1, a.x1 - a.x0)) * pw,
    y: (v) => M.top + ph - ((v - s.lo) / Math.max(1, s.hi - s.lo)) * ph,
  };
}

function frame(a: Axes, s: Scale, title: string): string[] {
  const p = plotOf(a, s);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 ${a.width} ${a.height}" preserveAspectRatio="xMinYMin meet" aria-label="${escapeHtml(title)}">`,
    `<rect x="${M.left}" y="${M.top}" width="${f(p.pw)}" height="${f(p.ph)}" fill="#fff" stroke="#ccc"/>`,
  ];
  for (const v of s.ticks) {
    const y = f(p.y(v));
    out.push(`<line x1="${M.left}" x2="${f(M.left + p.pw)}" y1="${y}" y2="${y}" stroke="#eee"/>`);
    out.push(`<text x="${M.left - 6}" y="${f(p.y(v) + FONT * 0.35)}" text-anchor="end" class="ax">${escapeHtml(s.label(v))}</text>`);
  }
  const t = timeTicks(a.x0, a.x1, a.zone, p.pw, CHAR);
  let freeFrom = M.left;
  t.ticks.forEach((tick, i) => {
    const x = p.x(tick);
    out.push(`<line x1="${f(x)}" x2="${f(x)}" y1="${f(p.bottom)}" y2="${f(p.bottom + 4)}" stroke="#999"/>`);
    // a label kept inside the frame (the first and last may be moved in) and never over the previous one
    const label = t.labels[i]!;
    const half = (label.length * CHAR) / 2;
    const lx = Math.min(Math.max(x, M.left + half), a.width - M.right - half);
    if (lx - half < freeFrom) return;
    freeFrom = lx + half + CHAR;
    out.push(`<text x="${f(lx)}" y="${a.height - 6}" text-anchor="middle" class="ax">${escapeHtml(label)}</text>`);
  });
  return out;
}

/** An SVG path through points, dropping the middle of runs that are flat at the drawn resolution. */
function pathOf(segments: Array<Array<[number, number]>>, x: (t: number) => number, y: (v: number) => number): string {
  const parts: string[] = [];
  for (const s of segments) {
    if (s.length === 0) continue;
    const pts = (s.length === 1 ? [s[0]!, s[0]!] : s).map((p) => [f(x(p[0])), f(y(p[1]))] as const);
    pts.forEach(([px, py], i) => {
      const prev = pts[i - 1];
      const next = pts[i + 1];
      if (prev !== undefined && next !== undefined && prev[1] === py && next[1] === py) return;
      parts.push(`${i === 0 ? 'M' : 'L'}${px} ${py}`);
    });
  }
  return parts.join('');
}

/** Bands closer together than a pixel become one, so a day of short bursts stays a few hundred shapes. */
function mergeBands(bands: Band[], x: (t: number) => number): Array<{ x0: number; x1: number; labels: string[] }> {
  const out: Array<{ x0: number; x1: number; labels: string[] }> = [];
  for (const b of [...bands].sort((p, q) => p.start - q.start)) {
    const x0 = x(b.start);
    const x1 = x(b.end);
    const last = out[out.length - 1];
    if (last !== undefined && x0 - last.x1 < 1) {
      last.x1 = Math.max(last.x1, x1);
      last.labels.push(b.label);
    } else out.push({ x0, x1, labels: [b.label] });
  }
  return out;
}

function summaryTitle(labels: string[], what: string): string {
  if (labels.length === 1) return labels[0]!;
  const shown = labels.slice(0, 5);
  return `${labels.length} ${what}:\n${shown.join('\n')}${labels.length > shown.length ? `\n… ${labels.length - shown.length} more` : ''}`;
}

export interface LineChartOptions {
  /** values above this are drawn at the top edge (a series on another scale, see the caption) */
  clipAbove?: number;
}

/** Lines over time, with shaded bands (bursts) and vertical markers (OOM kills). */
export function lineChart(a: Axes, series: Series[], bands: Band[], markers: Marker[], title: string, o: LineChartOptions = {}): string {
  const clip = o.clipAbove ?? Infinity;
  const [lo, hi] = extent(
    (function* () {
      for (const s of series) for (const p of s.points) if (p[1] <= clip) yield p[1];
    })(),
  );
  const s = byteScale(Math.min(0, lo === Infinity ? 0 : lo), Math.max(hi === -Infinity ? 1 : hi, 1));
  const p = plotOf(a, s);
  const out = frame(a, s, title);
  const x = (t: number): number => Math.min(M.left + p.pw, Math.max(M.left, p.x(t)));
  const y = (v: number): number => (v > s.hi ? p.top : p.y(v));
  const merged = mergeBands(bands, x);
  if (merged.length <= MAX_BAND_TITLES) {
    for (const b of merged) {
      out.push(
        `<rect class="burst" x="${f(b.x0)}" y="${p.top}" width="${f(Math.max(2, b.x1 - b.x0))}" height="${f(p.ph)}" fill="#f5a623" fill-opacity="0.18"><title>${escapeHtml(summaryTitle(b.labels, 'bursts'))}</title></rect>`,
      );
    }
  } else {
    // hundreds of bursts: one shape, a tooltip each would be most of the file
    const d = merged.map((b) => `M${f(b.x0)} ${p.top}h${f(Math.max(1, b.x1 - b.x0))}v${f(p.ph)}h${f(-Math.max(1, b.x1 - b.x0))}Z`).join('');
    out.push(`<path class="burst" d="${d}" fill="#f5a623" fill-opacity="0.18"><title>${bands.length} bursts (the events table lists them)</title></path>`);
  }
  if (s.lo < 0) out.push(`<line class="zero" x1="${M.left}" x2="${f(M.left + p.pw)}" y1="${f(p.y(0))}" y2="${f(p.y(0))}" stroke="#999"/>`);
  for (const sr of series) {
    const d = pathOf(reduce(sr.points, a.x0, a.x1, Math.ceil(p.pw)), x, y);
    if (d === '') continue;
    out.push(
      `<path class="series" data-series="${escapeHtml(sr.name)}" d="${d}" fill="none" stroke="${sr.color}" stroke-width="${sr.width ?? 1.5}"${sr.dash ? ` stroke-dasharray="${sr.dash}"` : ''}><title>${escapeHtml(sr.name)}</title></path>`,
    );
  }
  // one marker per pixel column and kind, its tooltip listing what it stands for
  const columns = new Map<string, { at: number; kind: MarkerKind; labels: string[] }>();
  for (const m of [...markers].sort((q, r) => q.at - r.at)) {
    const key = `${m.kind} ${Math.round(x(m.at))}`;
    const c = columns.get(key);
    if (c === undefined) columns.set(key, { at: m.at, kind: m.kind, labels: [m.label] });
    else c.labels.push(m.label);
  }
  for (const m of columns.values()) {
    const st = MARKER_STYLE[m.kind];
    const mx = f(x(m.at));
    out.push(
      `<g class="oom ${m.kind}"><line x1="${mx}" x2="${mx}" y1="${p.top}" y2="${f(p.bottom)}" stroke="${st.stroke}" stroke-width="1.5"${st.dash ? ` stroke-dasharray="${st.dash}"` : ''}/>` +
        `<text x="${mx}" y="${p.top + FONT * 0.4}" text-anchor="middle" class="mk" fill="${st.stroke}">${st.symbol}</text><title>${escapeHtml(summaryTitle(m.labels, 'OOM kills'))}</title></g>`,
    );
  }
  out.push('</svg>');
  return out.join('\n');
}

/** Stacked areas over time: one layer per series, in order, drawn bottom up. Points share their timestamps. */
export function stackedChart(a: Axes, times: number[], layers: Array<{ name: string; color: string; values: number[] }>, title: string): string {
  const totals = times.map((_, i) => layers.reduce((sum, l) => sum + (l.values[i] ?? 0), 0));
  const s = byteScale(0, Math.max(1, extent(totals)[1]));
  const p = plotOf(a, s);
  const out = frame(a, s, title);
  // one sample per pixel column: the one with the largest total, so peaks stay visible
  const cols = Math.max(1, Math.ceil(p.pw));
  const pick: number[] = [];
  let lastCol = -1;
  times.forEach((t, i) => {
    const c = Math.floor(((t - a.x0) / Math.max(1, a.x1 - a.x0)) * cols);
    if (c !== lastCol) {
      pick.push(i);
      lastCol = c;
    } else if (totals[i]! > totals[pick[pick.length - 1]!]!) pick[pick.length - 1] = i;
  });
  if (pick.length === 0) return [...out, '</svg>'].join('\n');
  // Each layer is drawn as the area from the baseline up to its cumulative top, the tallest first: the
  // next one covers its lower part, so every path needs its upper edge only (half the bytes).
  const cumulative: number[][] = [];
  const base = pick.map(() => 0);
  for (const l of layers) {
    pick.forEach((i, k) => (base[k] = base[k]! + (l.values[i] ?? 0)));
    cumulative.push([...base]);
  }
  const xFirst = f(p.x(times[pick[0]!]!));
  const xLast = f(p.x(times[pick[pick.length - 1]!]!));
  const paths: string[] = [];
  layers.forEach((l, li) => {
    const tops = cumulative[li]!;
    const edge = pathOf([pick.map((i, k) => [times[i]!, tops[k]!] as [number, number])], p.x, p.y);
    paths.push(`<path class="layer" data-series="${escapeHtml(l.name)}" d="${edge}L${xLast} ${f(p.bottom)}L${xFirst} ${f(p.bottom)}Z" fill="${l.color}" stroke="${l.color}" stroke-width="0.5"><title>${escapeHtml(l.name)}</title></path>`);
  });
  out.push(...paths.reverse());
  out.push('</svg>');
  return out.join('\n');
}
