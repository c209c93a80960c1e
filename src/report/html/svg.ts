// Server-side SVG charts for the HTML report: no script, no external resource, so the file opens
// offline and under a CSP that forbids everything but inline styles. Series are reduced to the
// min and max of each pixel column, so a one-sample dip survives any range length.
import { escapeHtml } from '../format/text.js';

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
}

export interface Axes {
  width: number;
  height: number;
  x0: number;
  x1: number;
  xLabel: (t: number) => string;
  yLabel: (v: number) => string;
}

const M = { left: 78, right: 16, top: 14, bottom: 30 };
const f = (n: number): string => (Math.round(n * 10) / 10).toString();

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

function scales(a: Axes, y0: number, y1: number): { x: (t: number) => number; y: (v: number) => number; pw: number; ph: number } {
  const pw = a.width - M.left - M.right;
  const ph = a.height - M.top - M.bottom;
  return {
    pw,
    ph,
    x: (t) => M.left + ((t - a.x0) / Math.max(1, a.x1 - a.x0)) * pw,
    y: (v) => M.top + ph - ((v - y0) / Math.max(1, y1 - y0)) * ph,
  };
}

function frame(a: Axes, y0: number, y1: number, title: string): string[] {
  const { x, y, pw } = scales(a, y0, y1);
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 ${a.width} ${a.height}" width="${a.width}" height="${a.height}" aria-label="${escapeHtml(title)}">`];
  out.push(`<rect x="${M.left}" y="${M.top}" width="${f(pw)}" height="${f(a.height - M.top - M.bottom)}" fill="#fff" stroke="#ccc"/>`);
  for (let i = 0; i <= 4; i++) {
    const v = y0 + ((y1 - y0) * i) / 4;
    out.push(`<line x1="${M.left}" x2="${f(M.left + pw)}" y1="${f(y(v))}" y2="${f(y(v))}" stroke="#eee"/>`);
    out.push(`<text x="${M.left - 6}" y="${f(y(v) + 4)}" text-anchor="end" class="ax">${escapeHtml(a.yLabel(v))}</text>`);
  }
  for (let i = 0; i <= 6; i++) {
    const t = a.x0 + ((a.x1 - a.x0) * i) / 6;
    out.push(`<text x="${f(x(t))}" y="${a.height - 10}" text-anchor="${i === 0 ? 'start' : i === 6 ? 'end' : 'middle'}" class="ax">${escapeHtml(a.xLabel(t))}</text>`);
  }
  return out;
}

function pathOf(segments: Array<Array<[number, number]>>, x: (t: number) => number, y: (v: number) => number): string {
  return segments
    .filter((s) => s.length > 0)
    .map((s) => (s.length === 1 ? [s[0]!, [s[0]![0], s[0]![1]] as [number, number]] : s).map((p, i) => `${i === 0 ? 'M' : 'L'}${f(x(p[0]))} ${f(y(p[1]))}`).join(''))
    .join('');
}

/** Lines over time, with shaded bands (bursts) and vertical markers (OOM kills). */
export function lineChart(a: Axes, series: Series[], bands: Band[], markers: Marker[], title: string): string {
  const all = series.flatMap((s) => s.points.map((p) => p[1]));
  const y0 = Math.min(0, ...all);
  const y1 = Math.max(1, ...all) * 1.05;
  const { x, y, pw } = scales(a, y0, y1);
  const out = frame(a, y0, y1, title);
  const top = M.top;
  const bottom = a.height - M.bottom;
  for (const b of bands) {
    const bx = x(Math.max(a.x0, b.start));
    const w = Math.max(2, x(Math.min(a.x1, b.end)) - bx);
    out.push(`<rect class="burst" x="${f(bx)}" y="${top}" width="${f(w)}" height="${bottom - top}" fill="#f5a623" fill-opacity="0.18"><title>${escapeHtml(b.label)}</title></rect>`);
  }
  if (y0 < 0) out.push(`<line x1="${M.left}" x2="${f(M.left + pw)}" y1="${f(y(0))}" y2="${f(y(0))}" stroke="#999"/>`);
  for (const s of series) {
    const d = pathOf(reduce(s.points, a.x0, a.x1, Math.ceil(pw)), x, y);
    if (d === '') continue;
    out.push(
      `<path class="series" data-series="${escapeHtml(s.name)}" d="${d}" fill="none" stroke="${s.color}" stroke-width="${s.width ?? 1.5}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}><title>${escapeHtml(s.name)}</title></path>`,
    );
  }
  for (const m of markers) {
    const mx = f(x(m.at));
    out.push(`<g class="oom"><line x1="${mx}" x2="${mx}" y1="${top}" y2="${bottom}" stroke="#d0021b" stroke-width="1.5"/><text x="${mx}" y="${top + 10}" class="mk">✖</text><title>${escapeHtml(m.label)}</title></g>`);
  }
  out.push('</svg>');
  return out.join('\n');
}

/** Stacked areas over time: one layer per series, in order, drawn bottom up. Points share their timestamps. */
export function stackedChart(a: Axes, times: number[], layers: Array<{ name: string; color: string; values: number[] }>, title: string): string {
  const totals = times.map((_, i) => layers.reduce((s, l) => s + (l.values[i] ?? 0), 0));
  const y1 = Math.max(1, ...totals) * 1.05;
  const { x, y, pw } = scales(a, 0, y1);
  const out = frame(a, 0, y1, title);
  // one sample per pixel column: the one with the largest total, so peaks stay visible
  const cols = Math.max(1, Math.ceil(pw));
  const pick: number[] = [];
  let lastCol = -1;
  times.forEach((t, i) => {
    const c = Math.floor(((t - a.x0) / Math.max(1, a.x1 - a.x0)) * cols);
    if (c !== lastCol) {
      pick.push(i);
      lastCol = c;
    } else if (totals[i]! > totals[pick[pick.length - 1]!]!) pick[pick.length - 1] = i;
  });
  const base = pick.map(() => 0);
  for (const l of layers) {
    const topVals = pick.map((i, k) => base[k]! + (l.values[i] ?? 0));
    if (pick.length === 0) break;
    const upper = pick.map((i, k) => `${k === 0 ? 'M' : 'L'}${f(x(times[i]!))} ${f(y(topVals[k]!))}`).join('');
    const lower = [...pick.keys()].reverse().map((k) => `L${f(x(times[pick[k]!]!))} ${f(y(base[k]!))}`).join('');
    out.push(`<path class="layer" data-series="${escapeHtml(l.name)}" d="${upper}${lower}Z" fill="${l.color}" fill-opacity="0.75" stroke="${l.color}"><title>${escapeHtml(l.name)}</title></path>`);
    topVals.forEach((v, k) => (base[k] = v));
  }
  out.push('</svg>');
  return out.join('\n');
}
