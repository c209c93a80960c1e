// The postmortem as one HTML file: inline CSS and SVG only, a CSP that forbids scripts and remote
// loads, and every recorded string escaped (cmdlines and cwds are attacker-controlled).
import type { Bundle } from '../export.js';
import { escapeHtml as h } from '../format/text.js';
import { formatClock, formatLocal } from '../time.js';
import { lineChart, stackedChart, type Series } from './svg.js';

const PALETTE = ['#4a90e2', '#d0021b', '#7ed321', '#9013fe', '#f5a623', '#50e3c2', '#8b572a', '#9b9b9b'];

const CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1400px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border-bottom:1px solid #eee;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f6f6f6}td.n,td.t{text-align:right;white-space:nowrap}td.t{text-align:left}code{font:12px ui-monospace,monospace;word-break:break-all}
.expl{color:#444;font-size:12.5px}.host{background:#fff4e5}.pod{background:#eef6ff}.sum{display:flex;gap:28px;flex-wrap:wrap;margin:12px 0}
.sum div{background:#f6f6f6;padding:8px 12px;border-radius:4px}.sum b{display:block;font-size:18px}
.legend span{display:inline-block;margin-right:16px}.legend i{display:inline-block;width:18px;height:3px;vertical-align:middle;margin-right:5px}
.ax{font-size:11px;fill:#555}.mk{font-size:11px;fill:#d0021b}details summary{cursor:pointer}.muted{color:#777}`;

export function renderHtml(b: Bundle, formatBytes: (n: number) => string): string {
  const z = b.zone;
  const at = (iso: string): string => formatLocal(Date.parse(iso), z);
  const t0 = Date.parse(b.since);
  const t1 = Math.max(Date.parse(b.until), t0 + 1);
  const sameDay = formatLocal(t0, z).slice(0, 10) === formatLocal(t1, z).slice(0, 10);
  const xLabel = (t: number): string => (sameDay ? formatClock(t, z).slice(0, 5) : formatLocal(t, z).slice(5, 16));
  const axes = { width: 1200, height: 320, x0: t0, x1: t1, xLabel, yLabel: formatBytes };
  const pts = b.timeline.points;
  const c = b.culprits;
  const low = c.atLowest;
  const out: string[] = [];
  out.push(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>memrec postmortem${b.host === null ? '' : ` ${h(b.host)}`} ${h(at(b.since))} – ${h(at(b.until))}</title>
<style>${CSS}</style></head><body>
<h1>Memory postmortem${b.host === null ? '' : ` of ${h(b.host)}`}</h1>
<div class="muted">${h(at(b.since))} → ${h(at(b.until))} (${h(z)}) · ${c.snapshots} snapshots · ${h(b.generator)}, generated ${h(at(b.generatedAt))}</div>`);
  // long command lines fold away so the table stays readable; the full text is one click away
  const cmd = (s: string): string => (s.length <= 160 ? `<code>${h(s)}</code>` : `<details><summary><code>${h(s.slice(0, 120))}…</code></summary><code>${h(s)}</code></details>`);
  const top = c.processes[0];
  out.push('<div class="sum">');
  if (low !== null) {
    out.push(`<div>lowest memory.available (kubelet)<b>${h(formatBytes(low.kubeletAvailableBytes))}</b>${h(at(low.takenAt))}</div>`);
    out.push(`<div>free's MemAvailable then<b>${low.memAvailableBytes === null ? 'unknown' : h(formatBytes(low.memAvailableBytes))}</b>the view kubelet does not use</div>`);
    out.push(`<div>hard eviction threshold<b>${h(formatBytes(low.hardThresholdBytes))}</b>${low.softThresholdBytes === null ? 'no soft threshold' : `soft ${h(formatBytes(low.softThresholdBytes))}`}</div>`);
  }
  out.push(`<div>burst periods<b>${b.timeline.bursts.length}</b>OOM kills: ${b.timeline.oomKills.length}</div>`);
  if (top !== undefined) out.push(`<div>top culprit<b>${h(top.comm)} ${h(formatBytes(top.peakRssBytes))}</b>${h(top.owner)}</div>`);
  out.push('</div>');
  if (top !== undefined) out.push(`<p class="expl"><b>Why:</b> ${h(top.explanation)}</p>`);

  // Chart 1: the two views of available memory against the thresholds.
  const series: Series[] = [
    { name: 'kubelet memory.available', color: '#4a90e2', width: 2, points: pts.map((p) => [p.atMs, p.kubeletAvailableBytes]) },
    { name: "free's MemAvailable", color: '#7ed321', dash: '6 3', points: pts.filter((p) => p.memAvailableBytes !== null).map((p) => [p.atMs, p.memAvailableBytes!]) },
    { name: 'hard threshold', color: '#d0021b', points: pts.map((p) => [p.atMs, p.hardThresholdBytes]) },
    { name: 'soft threshold', color: '#f5a623', dash: '3 3', points: pts.filter((p) => p.softThresholdBytes !== null).map((p) => [p.atMs, p.softThresholdBytes!]) },
  ];
  out.push('<h2>Available memory: the kubelet\'s view, free\'s view, the thresholds</h2>');
  out.push(
    `<div class="legend">${series.map((s) => `<span><i style="background:${s.color}"></i>${h(s.name)}</span>`).join('')}<span><i style="background:#f5a623;opacity:.3;height:10px"></i>burst</span><span style="color:#d0021b">✖ OOM kill</span></div>`,
  );
  if (pts.length === 0) out.push('<p>No snapshots in this range.</p>');
  else
    out.push(
      lineChart(
        axes,
        series,
        b.timeline.bursts.map((x) => ({ start: x.startMs, end: x.endMs, label: `burst ${at(x.start)} – ${at(x.end)}${x.reason === null ? '' : `: ${x.reason}`}` })),
        b.timeline.oomKills.map((k) => ({ at: k.atMs, label: `OOM kill ${at(k.at)}: ${k.description}` })),
        'available memory over time',
      ),
    );

  // Chart 2: memory per owner, stacked.
  const os = b.ownerSeries;
  out.push('<h2>Memory per owner (RSS of every process, stacked)</h2>');
  out.push(`<div class="legend">${os.owners.map((o, i) => `<span><i style="background:${PALETTE[i % PALETTE.length]}"></i>${h(o.owner)} (peak ${h(formatBytes(o.peakRssBytes))})</span>`).join('')}</div>`);
  if (os.times.length === 0) out.push('<p>No snapshots in this range.</p>');
  else out.push(stackedChart(axes, os.times, os.owners.map((o, i) => ({ name: o.owner, color: PALETTE[i % PALETTE.length]!, values: o.values })), 'memory per owner over time'));

  // Culprits.
  out.push('<h2>Culprits: processes by peak RSS</h2>');
  if (c.processes.length === 0) out.push('<p>No process samples in this range.</p>');
  else {
    out.push('<table id="culprits"><thead><tr><th>#</th><th>pid</th><th>comm</th><th>peak RSS</th><th>peak at</th><th>growth</th><th>owner</th><th>in pods</th><th>cwds</th><th>command line</th></tr></thead><tbody>');
    for (const p of c.processes) {
      const cls = p.insidePods ? 'pod' : 'host';
      const cwds = p.cwds.length <= 1 ? `<code>${h(p.cwds[0] ?? '-')}</code>` : `<details><summary>${p.cwdCount} directories</summary>${p.cwds.map((d) => `<code>${h(d)}</code>`).join('<br>')}</details>`;
      out.push(
        `<tr class="${cls}"><td class="n">${p.rank}</td><td class="n">${p.pid}</td><td><code>${h(p.comm)}</code></td><td class="n">${h(formatBytes(p.peakRssBytes))}</td><td class="t">${h(at(p.peakAt))}</td>` +
          `<td class="n">${h(formatBytes(p.growthBytes))}</td><td>${h(p.owner)}</td><td>${p.insidePods ? 'yes' : 'no'}</td><td>${cwds}</td><td>${cmd(p.cmdline ?? `[${p.comm}]`)}</td></tr>`,
        `<tr class="${cls}"><td></td><td colspan="9" class="expl">${h(p.explanation)}</td></tr>`,
      );
    }
    out.push('</tbody></table>');
  }
  out.push('<h2>Owners by peak RSS</h2>');
  if (c.owners.length > 0) {
    out.push('<table id="owners"><thead><tr><th>#</th><th>owner</th><th>kind</th><th>peak RSS</th><th>peak at</th><th>processes</th></tr></thead><tbody>');
    for (const o of c.owners)
      out.push(`<tr><td class="n">${o.rank}</td><td>${h(o.owner)}</td><td>${h(o.ownerKind)}</td><td class="n">${h(formatBytes(o.peakRssBytes))}</td><td class="t">${h(at(o.peakAt))}</td><td class="n">${o.processCountAtPeak}</td></tr>`);
    out.push('</tbody></table>');
  }
  if (low !== null) {
    out.push(`<h2>When memory.available was lowest (${h(formatBytes(low.kubeletAvailableBytes))} at ${h(at(low.takenAt))})</h2>`);
    out.push('<table id="at-lowest"><thead><tr><th>pid</th><th>comm</th><th>RSS</th><th>owner</th><th>cgroup</th><th>cwd</th></tr></thead><tbody>');
    for (const p of low.processes)
      out.push(`<tr><td class="n">${p.pid}</td><td><code>${h(p.comm)}</code></td><td class="n">${h(formatBytes(p.rssBytes))}</td><td>${h(p.owner)}</td><td><code>${h(p.cgroup ?? '-')}</code></td><td><code>${h(p.cwd ?? '-')}</code></td></tr>`);
    out.push('</tbody></table>');
  }
  // Each kill in one line: the victim beside the largest task, so a victim chosen for its oom_score_adj shows.
  if (b.timeline.oomKills.length > 0) {
    out.push('<h2>OOM kills</h2>', '<ul id="oom-kills">', ...b.timeline.oomKills.map((k) => `<li>${h(at(k.at))}: ${h(k.description)}</li>`), '</ul>');
  }
  out.push('<h2>Events</h2>');
  if (b.events.length === 0) out.push('<p>No events in this range.</p>');
  else {
    out.push('<table id="events"><thead><tr><th>time</th><th>type</th><th>what</th></tr></thead><tbody>');
    for (const e of b.events) out.push(`<tr><td class="t">${h(at(e.at))}</td><td>${h(e.type)}</td><td>${h(e.summary)}</td></tr>`);
    out.push('</tbody></table>');
  }
  out.push(`<p class="muted">Times in ${h(z)}. Attribution is by cgroup, never by cwd. Secrets in command lines were redacted before they were stored.</p>\n</body></html>\n`);
  return out.join('\n');
}
