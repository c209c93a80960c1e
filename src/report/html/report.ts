// The postmortem as one HTML file: inline CSS and SVG only, a CSP that forbids scripts and remote
// loads, and every recorded string escaped (cmdlines and cwds are attacker-controlled). It reads at
// 800 px and on A4 paper as well as on a wide screen: charts scale to the column, long paths wrap at
// their separators, and nothing recorded can widen the page.
import { SORT_TEXT, type CulpritProcess } from '../culprits.js';
import type { OwnerKind } from '../../model/types.js';
import { ownerText } from '../format/owner-text.js';
import type { Bundle } from '../export.js';
import type { KillLine } from '../kills.js';
import { escapeHtml as h } from '../format/text.js';
import { formatLocal } from '../time.js';
import { MARKER_STYLE, extent, lineChart, stackedChart, type Axes, type Marker, type MarkerKind, type Series } from './svg.js';

export interface HtmlOptions {
  /** the page's title and heading; default "Memory postmortem of <host>" */
  title?: string;
  /** more lines for the header after host, range and time zone (e.g. an incident's id), as label and value */
  header?: Array<{ label: string; value: string }>;
}

/** One part of the page: the table of contents is built from the list, in its order. */
export interface Section {
  id: string;
  /** the heading, and the table of contents' entry unless `toc` is given */
  title: string;
  toc?: string;
  html: string;
  /** a chart: kept whole on one page when printed */
  chart?: boolean;
}

/** What every section needs to render: the bundle and how to show bytes and times. */
export interface Ctx {
  b: Bundle;
  bytes: (n: number) => string;
  /** a table's time: the clock only when the whole range is one day in the zone (the header has the date) */
  at: (iso: string) => string;
  oneDay: boolean;
  /** `--since … --until … --tz …`: the range as memrec's other commands take it */
  rangeArgs: string;
}

// Opaque fills: the stacked chart draws each layer over the one above it (see svg.ts).
const PALETTE = ['#6fa8dc', '#e06666', '#93c47d', '#b4a7d6', '#f6b26b', '#76d7c4', '#c9a27e', '#b7b7b7'];
/** Routine events kept in the table; the rest are counted (a day of flapping bursts is thousands). */
const MAX_ROUTINE_EVENTS = 200;
/** Characters of one command line shown (the json and sqlite exports keep them whole). */
const MAX_CMDLINE = 4000;
/** The chart's drawing size; the page scales it to the column. */
const CHART = { width: 960, height: 300 };

const CSS = `*{box-sizing:border-box}
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;padding:16px 24px 32px;color:#222;max-width:1400px}
h1{font-size:22px;margin:0 0 6px}h2{font-size:17px;margin:30px 0 8px;border-bottom:1px solid #ddd;padding-bottom:2px}
dl.meta{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:1px 12px;margin:0 0 10px;font-size:13px}
dl.meta dt{color:#777}dl.meta dd{margin:0}
nav.toc ol{display:flex;flex-wrap:wrap;gap:2px 18px;list-style:none;padding:0;margin:6px 0 0;font-size:13px}
.sum{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:10px;margin:14px 0}
.sum div{background:#f6f6f6;padding:8px 12px;border-radius:4px;min-width:0;overflow-wrap:anywhere}.sum b{display:block;font-size:18px}
figure{margin:0}svg.chart{display:block;width:100%;max-width:1100px;height:auto}
.ax{font-size:13px;fill:#555}.mk{font-size:13px}
.legend{display:flex;flex-wrap:wrap;gap:2px 16px;margin:4px 0;font-size:13px;padding:0;list-style:none}
.legend i{display:inline-block;width:20px;height:0;border-top:3px solid;vertical-align:middle;margin-right:5px}
.legend i.area{height:10px;border-top:0}
figcaption{font-size:12.5px;color:#555;margin-top:2px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid #eee;padding:4px 6px;text-align:left;vertical-align:top;overflow-wrap:break-word}
th{background:#f6f6f6;font-weight:600}
td.n{text-align:right;white-space:nowrap}td.t,td.k{white-space:nowrap}th.n{text-align:right}
th.n,th.t,th.k{width:1%;white-space:nowrap}
code{font:12px ui-monospace,monospace;unicode-bidi:isolate}
.w{overflow-wrap:anywhere}
tr.detail td{border-bottom:1px solid #ddd;padding-bottom:8px}
.expl{color:#444;font-size:12.5px;margin:0}
ul.kills{padding-left:0;list-style:none;margin:0;font-size:13px}ul.kills li{margin:0 0 6px;padding-left:1.2em;text-indent:-1.2em}
dl.more{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:1px 10px;margin:3px 0 0;font-size:12.5px}
dl.more dt{color:#777}dl.more dd{margin:0;min-width:0}
.host{background:#fff8ee}.pod{background:#f0f6ff}
details summary{cursor:pointer}.muted{color:#777}
@page{size:A4;margin:12mm}
@media print{body{padding:0;max-width:none;font-size:11.5px}svg.chart{max-width:none}
figure,.sum div,tr,tbody{break-inside:avoid}h2{break-after:avoid}section.chart{break-inside:avoid}
.host,.pod,th,.sum div{-webkit-print-color-adjust:exact;print-color-adjust:exact}}`;

/**
 * A recorded string as HTML that may wrap after its separators (`/`, `-`, `_`, `=`, `,`, `:`, `&`)
 * and, when a piece is wider than the column, anywhere (class `w`): a 64-hex container id may break,
 * a word never has to.
 */
/**
 * An owner as the text commands name it: `service plocate-updatedb.service in /nested/node` when its cgroup
 * is not where such an owner usually lives (two units of one name are then told apart), `(outside the node)`
 * for a recording scoped to a node cgroup.
 */
function ownerCell(c: Ctx, label: string, kind: OwnerKind | 'others', ownerCgroup: string | null, cgroup: string | null): string {
  return wrapText(kind === 'others' ? label : ownerText(label, kind, ownerCgroup, cgroup, c.b.culprits.scope.nodeCgroups));
}

export function wrapText(s: string): string {
  return s
    .split(/(?<=[/_=,:&-])/)
    .map(h)
    .join('<wbr>');
}

const code = (s: string): string => `<code class="w">${wrapText(s)}</code>`;

/** Long command lines fold away; the text shown is capped so one hostile process cannot fill the file. */
function cmdline(s: string, pid: number, c: Ctx): string {
  if (s.length <= 160) return code(s);
  const shown = s.slice(0, MAX_CMDLINE);
  const rest = s.length - shown.length;
  return (
    `<details><summary><code class="w">${wrapText(s.slice(0, 120))}</code> … (${s.length} characters)</summary>${code(shown)}` +
    `${rest > 0 ? `<p class="muted">… ${rest} more characters; <code class="w">${wrapText(`memrec query ${c.rangeArgs} --pid ${pid} --format json`)}</code> shows them all.</p>` : ''}</details>`
  );
}

/**
 * Whether an OOM kill was the node's or a cgroup's own, told from the kernel's words (`global`, `constraint`,
 * `oom_memcg`): a kill inside a limited cgroup means the node still had memory.
 */
export function killKind(k: { global: boolean | null; oomMemcg: string | null; constraint?: string | null }, nodeCgroup: string | null): { kind: MarkerKind; text: string } {
  if (k.global === true || k.constraint === 'global') return { kind: 'node', text: 'node-level: the whole machine was out of memory' };
  if (k.oomMemcg !== null && nodeCgroup !== null && nodeCgroup !== '/' && k.oomMemcg === nodeCgroup) {
    return { kind: 'node', text: `node-level: the recorded node's memory cgroup ${k.oomMemcg} reached its limit` };
  }
  if (k.oomMemcg !== null) return { kind: 'cgroup', text: `inside cgroup ${k.oomMemcg}, which reached its own limit: the node was not out of memory` };
  if (k.global === false || k.constraint === 'memcg') return { kind: 'cgroup', text: 'inside a memory cgroup that reached its own limit' };
  return { kind: 'node', text: 'scope unknown: the kernel did not say whether the node or a cgroup ran out' };
}

/** The range's kills, oldest first, each with its kind. */
function kills(b: Bundle): Array<KillLine & { scope: { kind: MarkerKind; text: string } }> {
  return b.culprits.oomKills.map((k) => ({ ...k, scope: killKind(k, b.nodeCgroup) }));
}

function header(b: Bundle, c: Ctx, o: HtmlOptions): string {
  const z = b.zone;
  const since = formatLocal(Date.parse(b.since), z);
  const until = formatLocal(Date.parse(b.until), z);
  const rows: Array<[string, string]> = [
    ['host', b.host === null ? 'unknown' : h(b.host)],
    ['range', `${h(since)} → ${h(c.oneDay ? until.slice(11) : until)}`],
    ['time zone', `${h(z)} (every time on this page)`],
  ];
  if (b.nodeCgroup !== null && b.nodeCgroup !== '/') rows.push(['node', `the memory cgroup ${code(b.nodeCgroup)} (recorded with --memory-cgroup)`]);
  const bursts = b.timeline.points.filter((p) => p.snapshotKind === 'burst').length;
  rows.push(['snapshots', `${b.culprits.snapshots}${bursts > 0 ? ` (${bursts} during bursts)` : ''}`]);
  for (const x of o.header ?? []) rows.push([h(x.label), wrapText(x.value)]);
  rows.push(['generated', `${h(formatLocal(Date.parse(b.generatedAt), z))} by ${h(b.generator)}`]);
  return `<dl class="meta">${rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

function summary(c: Ctx): string {
  const { b, bytes } = c;
  const low = b.culprits.atLowest;
  const top = b.culprits.processes[0];
  const cards: string[] = [];
  if (low !== null) {
    cards.push(`<div>lowest memory.available (kubelet)<b>${h(bytes(low.kubeletAvailableBytes))}</b>at ${h(c.at(low.takenAt))}</div>`);
    cards.push(`<div>free's MemAvailable then<b>${low.memAvailableBytes === null ? 'unknown' : h(bytes(low.memAvailableBytes))}</b>the view the kubelet does not use</div>`);
    cards.push(`<div>hard eviction threshold<b>${h(bytes(low.hardThresholdBytes))}</b>${low.softThresholdBytes === null ? 'no soft threshold' : `soft ${h(bytes(low.softThresholdBytes))}`}</div>`);
  }
  cards.push(`<div>burst periods<b>${b.timeline.bursts.length}</b>fast snapshots near the threshold</div>`);
  const ks = kills(b).map((x) => x.scope.kind);
  const node = ks.filter((k) => k === 'node').length;
  cards.push(`<div>OOM kills<b>${ks.length}</b>${ks.length === 0 ? 'none in this range' : `${node} node-level, ${ks.length - node} inside limited cgroups`}</div>`);
  if (top !== undefined) cards.push(`<div>top culprit<b><code>${h(top.comm)}</code> ${h(bytes(top.peakRssBytes))}</b>${wrapText(top.owner)}</div>`);
  const why = top === undefined ? '' : `<p class="expl w"><b>Why ${h(top.comm)}:</b> ${wrapText(top.explanation)}</p>`;
  return `<div class="sum">${cards.join('')}</div>${why}`;
}

function axesOf(c: Ctx): Axes {
  const t0 = Date.parse(c.b.since);
  return { ...CHART, x0: t0, x1: Math.max(Date.parse(c.b.until), t0 + 1), zone: c.b.zone };
}

function legend(items: Array<{ color: string; text: string; dash?: boolean; area?: boolean; symbol?: string }>): string {
  const li = items.map((x) => {
    const swatch = x.symbol !== undefined ? `<b style="color:${x.color}">${x.symbol}</b> ` : `<i class="${x.area ? 'area' : ''}" style="${x.area ? `background:${x.color}` : `border-top-color:${x.color}`}${x.dash ? ';border-top-style:dashed' : ''}"></i>`;
    return `<li>${swatch}${x.text}</li>`;
  });
  return `<ul class="legend">${li.join('')}</ul>`;
}

/** When the interesting part is a sliver of the range: the window around the lowest point, else null. */
function zoomWindow(b: Bundle): { x0: number; x1: number } | null {
  const low = b.culprits.atLowest;
  if (low === null) return null;
  const t0 = Date.parse(b.since);
  const t1 = Date.parse(b.until);
  const t = Date.parse(low.takenAt);
  const burst = b.timeline.bursts.find((x) => x.startMs <= t && t <= x.endMs);
  const [a, z] = burst === undefined ? [t, t] : [burst.startMs, burst.endMs];
  const pad = Math.max((z - a) / 4, 10_000, burst === undefined ? (t1 - t0) / 40 : 0);
  const x0 = Math.max(t0, a - pad);
  const x1 = Math.min(t1, z + pad);
  // a window already a quarter of the chart reads fine there; one with too few samples shows nothing new
  if (x1 - x0 > (t1 - t0) / 4) return null;
  if (b.timeline.points.filter((p) => p.atMs >= x0 && p.atMs <= x1).length < 3) return null;
  return { x0, x1 };
}

/** The available-memory chart over [x0, x1] with its legend and caption. */
function availableFigure(c: Ctx, x0: number, x1: number, title: string): string {
  const { b, bytes } = c;
  const all = b.timeline.points;
  // one sample either side of the window, so the lines reach its edges
  const first = Math.max(0, all.findIndex((p) => p.atMs >= x0) - 1);
  const after = all.findIndex((p) => p.atMs > x1);
  const pts = all.slice(first, after === -1 ? all.length : after + 1);
  const series: Series[] = [
    { name: 'kubelet memory.available', color: '#1f6fd1', width: 2, points: pts.map((p) => [p.atMs, p.kubeletAvailableBytes]) },
    { name: "free's MemAvailable", color: '#2e9d3a', dash: '6 3', points: pts.filter((p) => p.memAvailableBytes !== null).map((p) => [p.atMs, p.memAvailableBytes!]) },
    { name: 'hard threshold', color: '#d0021b', points: pts.map((p) => [p.atMs, p.hardThresholdBytes]) },
    { name: 'soft threshold', color: '#f5a623', dash: '3 3', points: pts.filter((p) => p.softThresholdBytes !== null).map((p) => [p.atMs, p.softThresholdBytes!]) },
  ];
  // free's MemAvailable above the node's capacity counts memory outside the recorded node (a memory
  // cgroup recording) or is a value the kernel cannot mean: it would flatten everything else to the floor.
  const [, capacity] = extent(pts.map((p) => p.capacityBytes));
  const [availLo, availHi] = extent(series[1]!.points.map((p) => p[1]));
  const clipped = availHi > capacity;
  const ks = kills(b).filter((x) => x.atMs >= x0 && x.atMs <= x1);
  const markers: Marker[] = ks.map((x) => ({ at: x.atMs, kind: x.scope.kind, label: `OOM kill ${c.at(x.at)}, ${x.scope.text}. ${x.description}` }));
  const bursts = b.timeline.bursts.filter((x) => x.endMs >= x0 && x.startMs <= x1);
  const items: Parameters<typeof legend>[0] = series
    .filter((s) => s.points.length > 0)
    .map((s) => ({ color: s.color, text: h(s.name) + (clipped && s.name === "free's MemAvailable" ? ' (clipped, see below)' : ''), dash: s.dash !== undefined }));
  if (bursts.length > 0) items.push({ color: '#fbe3bd', text: 'burst', area: true });
  for (const kind of ['node', 'cgroup'] as const) {
    if (!markers.some((m) => m.kind === kind)) continue;
    items.push({ color: MARKER_STYLE[kind].stroke, symbol: MARKER_STYLE[kind].symbol, text: kind === 'node' ? 'OOM kill, node out of memory' : 'OOM kill inside a limited cgroup' });
  }
  const chart = lineChart(
    { ...CHART, x0, x1: Math.max(x1, x0 + 1), zone: b.zone },
    series,
    bursts.map((x) => ({ start: x.startMs, end: x.endMs, label: `burst ${c.at(x.start)} – ${c.at(x.end)}${x.reason === null ? '' : `: ${x.reason}`}` })),
    markers,
    title,
    clipped ? { clipAbove: capacity } : {},
  );
  const notes: string[] = [];
  const day = formatLocal(x0, b.zone).slice(0, 10);
  if (day === formatLocal(x1, b.zone).slice(0, 10)) notes.push(`${h(day)}, ${h(b.zone)}.`);
  // on paper there are no tooltips: the kills' times and kinds are written out
  for (const kind of ['node', 'cgroup'] as const) {
    const times = ks.filter((x) => x.scope.kind === kind).map((x) => c.at(x.at));
    if (times.length === 0) continue;
    const list = times.slice(0, 5).join(', ') + (times.length > 5 ? ` and ${times.length - 5} more` : '');
    notes.push(`${kind === 'node' ? 'Node-level OOM kills' : 'OOM kills inside limited cgroups'} (${times.length}): ${h(list)}.`);
  }
  if (clipped) {
    notes.push(
      `free's MemAvailable (${h(bytes(availLo))} to ${h(bytes(availHi))}) is above the node's capacity of ${h(bytes(capacity))}` +
        `${b.nodeCgroup !== null && b.nodeCgroup !== '/' ? `: it is the whole machine's, the node is the memory cgroup ${code(b.nodeCgroup)}` : ''}; where it is, it is drawn at the top edge.`,
    );
  }
  return `${legend(items)}<figure>${chart}${notes.length > 0 ? `<figcaption>${notes.join(' ')}</figcaption>` : ''}</figure>`;
}

function availableSection(c: Ctx): Section {
  const title = "Available memory: the kubelet's view, free's view, the thresholds";
  if (c.b.timeline.points.length === 0) return { id: 'available', title, toc: 'Available memory', html: '<p>No snapshots in this range.</p>' };
  const { x0, x1 } = axesOf(c);
  return { id: 'available', title, toc: 'Available memory', chart: true, html: availableFigure(c, x0, x1, 'available memory over time') };
}

function zoomSection(c: Ctx): Section | null {
  const w = zoomWindow(c.b);
  if (w === null) return null;
  const from = formatLocal(w.x0, c.b.zone);
  const to = formatLocal(w.x1, c.b.zone);
  // the date once: the window is minutes long
  const range = c.oneDay || from.slice(0, 10) !== to.slice(0, 10) ? `${c.at(new Date(w.x0).toISOString())} – ${c.at(new Date(w.x1).toISOString())}` : `${from} – ${to.slice(11)}`;
  return { id: 'zoom', title: `Zoom on the lowest point: ${range}`, toc: 'Zoom on the lowest point', chart: true, html: availableFigure(c, w.x0, w.x1, `available memory ${range}`) };
}

function ownerChartSection(c: Ctx): Section {
  const os = c.b.ownerSeries;
  const title = 'Memory per owner (RSS of every process, stacked)';
  if (os.times.length === 0) return { id: 'owner-chart', title, toc: 'Memory per owner', html: '<p>No snapshots in this range.</p>' };
  const layers = os.owners.map((o, i) => ({ name: o.owner, color: PALETTE[i % PALETTE.length]!, values: o.values }));
  const items = os.owners.map((o, i) => ({ color: PALETTE[i % PALETTE.length]!, area: true, text: `${ownerCell(c, o.owner, o.ownerKind, o.ownerCgroup, null)} (peak ${h(c.bytes(o.peakRssBytes))})` }));
  return { id: 'owner-chart', title, toc: 'Memory per owner', chart: true, html: `${legend(items)}<figure>${stackedChart(axesOf(c), os.times, layers, 'memory per owner over time')}</figure>` };
}

/** The culprits table's columns, in order; the explanation, command line and cwds go in a row below. */
const CULPRIT_COLUMNS: Array<{ head: string; cls?: string; cell: (p: CulpritProcess, c: Ctx) => string }> = [
  { head: '#', cls: 'n', cell: (p) => String(p.rank) },
  { head: 'process', cls: 'k', cell: (p) => `<code>${h(p.comm)}</code><br><span class="muted">pid ${p.pid}</span>` },
  { head: 'contribution', cls: 'n', cell: (p, c) => h(c.bytes(p.contributionBytes)) },
  { head: 'at lowest', cls: 'n', cell: (p, c) => (p.rssAtLowestBytes === null ? '-' : h(c.bytes(p.rssAtLowestBytes))) },
  { head: 'peak RSS', cls: 'n', cell: (p, c) => h(c.bytes(p.peakRssBytes)) },
  { head: 'growth', cls: 'n', cell: (p, c) => h(c.bytes(p.growthBytes)) },
  { head: 'peak at', cls: 't', cell: (p, c) => h(c.at(p.peakAt)) },
  { head: 'owner', cls: 'w', cell: (p, c) => ownerCell(c, p.owner, p.ownerKind, p.ownerCgroup, p.cgroup) },
  { head: 'in pods', cls: 'k', cell: (p) => (p.insidePods ? 'yes' : 'no') },
];

function culpritsSection(c: Ctx): Section {
  const ps = c.b.culprits.processes;
  const title = 'Culprits: who ate the memory';
  if (ps.length === 0) return { id: 'culprits', title, toc: 'Culprits', html: '<p>No process samples in this range.</p>' };
  const cols = CULPRIT_COLUMNS;
  // one tbody per process: its row and the row below it stay together on paper
  const out = [`<table id="culprits"><thead><tr>${cols.map((k) => `<th${k.cls !== undefined && k.cls !== 'w' ? ` class="${k.cls}"` : ''}>${h(k.head)}</th>`).join('')}</tr></thead>`];
  for (const p of ps) {
    const cls = p.insidePods ? 'pod' : 'host';
    const cwds = p.cwds.length <= 1 ? code(p.cwds[0] ?? '-') : `<details><summary>${p.cwdCount} directories</summary>${p.cwds.map(code).join('<br>')}</details>`;
    const more = [`<dt>command</dt><dd>${cmdline(p.cmdline ?? `[${p.comm}]`, p.pid, c)}</dd>`, `<dt>cwd</dt><dd>${cwds}</dd>`];
    if (p.cgroups.length > 1) more.push(`<dt>cgroups</dt><dd>${p.cgroups.map((g) => code(g ?? 'unknown')).join('<br>')}</dd>`);
    out.push(
      `<tbody class="${cls}"><tr class="main">${cols.map((k) => `<td${k.cls ? ` class="${k.cls}"` : ''}>${k.cell(p, c)}</td>`).join('')}</tr>`,
      `<tr class="detail"><td></td><td colspan="${cols.length - 1}"><p class="expl w">${wrapText(p.explanation)}</p><dl class="more">${more.join('')}</dl></td></tr></tbody>`,
    );
  }
  out.push('</table>');
  out.unshift(`<p>Ranked by ${h(SORT_TEXT[c.b.culprits.sort])}.</p>`);
  return { id: 'culprits', title, toc: 'Culprits', html: out.join('\n') };
}

function ownersSection(c: Ctx): Section {
  const os = c.b.culprits.owners;
  const title = 'Owners (every process counted), ranked the same way';
  if (os.length === 0) return { id: 'owners', title, toc: 'Owners', html: '<p>No owners in this range.</p>' };
  const rows = os.map(
    (o) =>
      `<tr><td class="n">${o.rank}</td><td class="w">${ownerCell(c, o.owner, o.ownerKind, o.ownerCgroup, null)}</td><td class="k">${h(o.ownerKind)}</td>` +
      `<td class="n">${h(c.bytes(o.contributionBytes))}</td><td class="n">${o.rssAtLowestBytes === null ? '-' : h(c.bytes(o.rssAtLowestBytes))}</td>` +
      `<td class="n">${h(c.bytes(o.peakRssBytes))}</td><td class="t">${h(c.at(o.peakAt))}</td><td class="n">${o.processCountAtPeak}</td></tr>`,
  );
  return {
    id: 'owners',
    title,
    toc: 'Owners',
    html:
      '<table id="owners"><thead><tr><th class="n">#</th><th>owner</th><th class="k">kind</th><th class="n">contribution</th><th class="n">at lowest</th>' +
      `<th class="n">peak RSS</th><th class="t">peak at</th><th class="n">processes</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`,
  };
}

function atLowestSection(c: Ctx): Section | null {
  const low = c.b.culprits.atLowest;
  if (low === null) return null;
  const rows = low.processes.map(
    (p) =>
      `<tr><td class="n">${p.pid}</td><td class="k"><code>${h(p.comm)}</code></td><td class="n">${h(c.bytes(p.rssBytes))}</td>` +
      `<td class="w">${ownerCell(c, p.owner, p.ownerKind, null, p.cgroup)}<dl class="more"><dt>cgroup</dt><dd>${code(p.cgroup ?? '-')}</dd><dt>cwd</dt><dd>${code(p.cwd ?? '-')}</dd></dl></td></tr>`,
  );
  return {
    id: 'at-lowest',
    title: `When memory.available was lowest (${c.bytes(low.kubeletAvailableBytes)} at ${c.at(low.takenAt)})`,
    toc: 'Biggest at the lowest point',
    html: `<table id="at-lowest"><thead><tr><th class="n">pid</th><th class="k">comm</th><th class="n">RSS</th><th>owner, cgroup and cwd</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`,
  };
}

/** Kills listed one a line; a crash-looping container can be killed thousands of times a night. */
const MAX_KILLS = 200;

function killsSection(c: Ctx): Section | null {
  const ks = kills(c.b);
  if (ks.length === 0) return null;
  const shown = ks.slice(0, MAX_KILLS);
  const items = shown.map((k) => {
    const st = MARKER_STYLE[k.scope.kind];
    const kind = k.scope.kind === 'node' ? 'node-level' : 'inside a limited cgroup';
    // each kill in one line: the victim beside the largest task, so a victim chosen for its oom_score_adj shows
    return `<li class="${k.scope.kind}"><span class="t">${h(c.at(k.at))}</span> <b style="color:${st.stroke}">${st.symbol} ${kind}</b>: ${wrapText(k.description)}</li>`;
  });
  const more =
    ks.length > shown.length ? `<p class="muted">The first ${MAX_KILLS} of ${ks.length}; <code class="w">${wrapText(`memrec events ${c.rangeArgs} --type oom_kill`)}</code> lists them all.</p>` : '';
  return { id: 'kills', title: 'OOM kills', html: `<ul id="oom-kills" class="kills w">${items.join('\n')}</ul>${more}` };
}

const ROUTINE = new Set(['burst_start', 'burst_end', 'threshold_crossing']);

function eventsSection(c: Ctx): Section {
  const evs = c.b.events;
  const title = 'Events';
  if (evs.length === 0) return { id: 'events', title, html: '<p>No events in this range.</p>' };
  let routine = 0;
  const shown = evs.filter((e) => !ROUTINE.has(e.type) || ++routine <= MAX_ROUTINE_EVENTS);
  const rows = shown.map((e) => `<tr><td class="t">${h(c.at(e.at))}</td><td class="k">${h(e.type)}</td><td class="w">${wrapText(e.summary)}</td></tr>`);
  const left = evs.length - shown.length;
  const note =
    left > 0
      ? `<p class="muted">Every OOM kill, recorder start and stop and failure is listed; of the ${routine} burst and threshold events, the first ${MAX_ROUTINE_EVENTS} are. <code class="w">${wrapText(`memrec events ${c.rangeArgs}`)}</code> lists them all.</p>`
      : '';
  return { id: 'events', title, html: `<table id="events"><thead><tr><th class="t">time</th><th class="k">type</th><th>what</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>${note}` };
}

/** The page's sections in order; add one here and it is rendered and listed in the table of contents. */
export function htmlSections(c: Ctx): Section[] {
  const all: Array<Section | null> = [availableSection(c), zoomSection(c), killsSection(c), ownerChartSection(c), culpritsSection(c), ownersSection(c), atLowestSection(c), eventsSection(c)];
  return all.filter((s): s is Section => s !== null);
}

/** The whole page for a bundle: the one entry point of every command that writes the HTML postmortem. */
export function renderHtml(b: Bundle, formatBytes: (n: number) => string, o: HtmlOptions = {}): string {
  const z = b.zone;
  const oneDay = formatLocal(Date.parse(b.since), z).slice(0, 10) === formatLocal(Date.parse(b.until), z).slice(0, 10);
  const rangeArgs = `--since '${formatLocal(Date.parse(b.since), z)}' --until '${formatLocal(Date.parse(b.until), z)}' --tz ${z}`;
  const c: Ctx = { b, bytes: formatBytes, oneDay, rangeArgs, at: (iso) => formatLocal(Date.parse(iso), z).slice(oneDay ? 11 : 0) };
  const title = o.title ?? `Memory postmortem${b.host === null ? '' : ` of ${b.host}`}`;
  const sections = htmlSections(c);
  const toc = `<nav class="toc" aria-label="contents"><ol>${sections.map((s) => `<li><a href="#${s.id}">${h(s.toc ?? s.title)}</a></li>`).join('')}</ol></nav>`;
  const body = sections.map((s) => `<section id="${s.id}"${s.chart ? ' class="chart"' : ''}>\n<h2>${h(s.title)}</h2>\n${s.html}\n</section>`);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${h(title)} ${h(formatLocal(Date.parse(b.since), z))}</title>
<style>${CSS}</style></head><body>
<header>
<h1>${wrapText(title)}</h1>
${header(b, c, o)}
${toc}
</header>
${summary(c)}
${body.join('\n')}
<p class="muted">Attribution is by cgroup, never by cwd. Secrets in command lines were redacted before they were stored.</p>
</body></html>
`;
}
