// The HTML export opened in headless Chromium: no console errors, no request leaves the file, the
// charts are drawn from real data, the culprits are there, hostile strings stay text. At 800 and 1400 px
// and on A4 paper nothing overflows its box or the page, and words are not broken mid-word. A day
// recorded at 1 s stays a small file with its one-sample dip still drawn.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { killKind } from '../src/report/html/report.js';
import { byteScale } from '../src/report/html/svg.js';
import { timeTicks } from '../src/report/time-ticks.js';
import { canUseMemoryCgroups } from './helpers/cgroup.js';
import { inspectPage, printToPdf } from './helpers/chromium.js';
import { HOSTILE_CMDLINE, writeLongDb } from './helpers/long-db.js';
import { repoRoot } from './helpers/paths.js';
import { HOSTILE_ARG, recordTestDatabase, type RecordedDb } from './helpers/report-db.js';
import { runMain } from './helpers/run.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const skip = !canUseMemoryCgroups() && 'needs root and a writable cgroup v1 memory hierarchy';
let dir = '';
let db: RecordedDb;
const artifacts = path.join(repoRoot, 'artifacts');

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'memrec-html-'));
  mkdirSync(artifacts, { recursive: true });
  if (!skip) db = await recordTestDatabase(dir);
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Inspected {
  title: string;
  scripts: number;
  svgs: number;
  series: Array<{ name: string; points: number; w: number; h: number; bottom: number; stroke: string }>;
  layers: Array<{ name: string; points: number; w: number; h: number }>;
  zeroLines: number[];
  culpritRows: number;
  explanations: string[];
  bursts: number;
  ooms: { node: number; cgroup: number; strokes: string[]; titles: string[] };
  killItems: string[];
  hostileShown: boolean;
  images: number;
  events: number;
  text: string;
  meta: string;
  toc: string[];
  sections: string[];
  sectionIds: string[];
}

const EXPR = `(() => {
  const shape = (p) => { const b = p.getBBox(); return { name: p.dataset.series, points: (p.getAttribute('d').match(/[ML]/g) || []).length, w: b.width, h: b.height, bottom: b.y + b.height, stroke: p.getAttribute('stroke') }; };
  const first = document.querySelector('svg.chart');
  return {
    title: document.title,
    scripts: document.scripts.length,
    svgs: document.querySelectorAll('svg').length,
    series: [...first.querySelectorAll('path.series')].map(shape),
    layers: [...document.querySelectorAll('path.layer')].map(shape),
    zeroLines: [...first.querySelectorAll('line.zero')].map((l) => Number(l.getAttribute('y1'))),
    culpritRows: document.querySelectorAll('#culprits tbody tr.main').length,
    explanations: [...document.querySelectorAll('#culprits .expl')].map((e) => e.textContent),
    bursts: first.querySelectorAll('.burst').length,
    ooms: {
      node: first.querySelectorAll('g.oom.node').length,
      cgroup: first.querySelectorAll('g.oom.cgroup').length,
      strokes: [...document.querySelectorAll('g.oom line')].map((l) => l.getAttribute('stroke') + ' ' + (l.getAttribute('stroke-dasharray') || '')),
      titles: [...first.querySelectorAll('g.oom > title')].map((t) => t.textContent),
    },
    killItems: [...document.querySelectorAll('#oom-kills li')].map((li) => li.className + ' ' + li.textContent),
    hostileShown: document.body.textContent.includes(${JSON.stringify(HOSTILE_ARG)}),
    images: document.images.length,
    events: document.querySelectorAll('#events tbody tr').length,
    text: document.body.innerText,
    meta: document.querySelector('dl.meta').textContent,
    toc: [...document.querySelectorAll('nav.toc a')].map((a) => a.getAttribute('href')),
    sections: [...document.querySelectorAll('section > h2')].map((h) => h.textContent),
    sectionIds: [...document.querySelectorAll('section')].map((s) => '#' + s.id),
  };
})()`;

interface Layout {
  width: number;
  scrollWidth: number;
  /** elements whose box ends right of the viewport */
  outside: string[];
  /** boxes whose content is wider than the box */
  overflowing: string[];
  /** words of letters and digits split across two lines */
  broken: string[];
  charts: Array<{ w: number; parent: number }>;
}

/**
 * With every <details> open: every element's box inside the viewport, no horizontal scroll, no text wider
 * than its box, and no word of 2 to 20 letters or digits split over two lines (longer runs, hex ids, may
 * break where they must).
 */
const LAYOUT = `(() => {
  // the folded command lines and cwd lists opened, as a reader opens them
  for (const d of document.querySelectorAll('details')) d.open = true;
  const vw = document.documentElement.clientWidth;
  const name = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (typeof e.className === 'string' && e.className ? '.' + e.className.split(' ').join('.') : '') + ' ' + JSON.stringify((e.textContent || '').slice(0, 40));
  const outside = [...document.querySelectorAll('body, body *')].filter((e) => e.getBoundingClientRect().right > vw + 0.5).map(name);
  const overflowing = [...document.querySelectorAll('td, th, dd, dt, li, p, h1, h2, figcaption, summary, div, section, figure, table')]
    .filter((e) => e.getClientRects().length > 0 && e.scrollWidth > e.clientWidth + 1).map(name);
  const broken = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.parentElement.closest('svg') || n.parentElement.getClientRects().length === 0) continue;
    for (const m of n.data.matchAll(/(?<![\\p{L}\\p{N}])[\\p{L}\\p{N}]{2,20}(?![\\p{L}\\p{N}])/gu)) {
      const r = document.createRange();
      r.setStart(n, m.index);
      r.setEnd(n, m.index + m[0].length);
      const tops = new Set([...r.getClientRects()].filter((x) => x.width > 0).map((x) => Math.round(x.top)));
      if (tops.size > 1) broken.push(m[0] + ' in ' + name(n.parentElement));
    }
  }
  const charts = [...document.querySelectorAll('svg.chart')].map((s) => ({ w: s.getBoundingClientRect().width, parent: s.parentElement.getBoundingClientRect().width }));
  return { width: vw, scrollWidth: document.documentElement.scrollWidth, outside: outside.slice(0, 10), overflowing: overflowing.slice(0, 10), broken: broken.slice(0, 10), charts };
})()`;

/**
 * Lay the page out at `width`, assert it fits and return what EXPR reads from it; the screenshot goes to
 * artifacts/ for a person to look at.
 */
async function assertFits(file: string, width: number, shot: string): Promise<Inspected> {
  const page = await inspectPage<{ layout: Layout; page: Inspected }>(file, `({ layout: ${LAYOUT}, page: ${EXPR} })`, { width });
  writeFileSync(path.join(artifacts, shot), page.screenshot);
  copyFileSync(file, path.join(artifacts, shot.replace(/-\d+\.png$/, '.html')));
  assert.ok(page.screenshot.length > 10_000, 'a real screenshot');
  const l = page.value.layout;
  assert.deepEqual(page.errors, []);
  assert.deepEqual(page.requests, []);
  assert.deepEqual(l.outside, [], `${width} px: boxes past the right edge`);
  assert.deepEqual(l.overflowing, [], `${width} px: content wider than its box`);
  assert.ok(l.scrollWidth <= l.width, `${width} px: the page scrolls sideways (${l.scrollWidth} > ${l.width})`);
  assert.deepEqual(l.broken, [], `${width} px: words broken mid-word`);
  assert.ok(l.charts.length >= 2 && l.charts.every((c) => c.w > 0 && c.w <= c.parent + 0.5), `${width} px: charts scale to their column ${JSON.stringify(l.charts)}`);
  return page.value.page;
}

interface PrintLayout {
  figures: Array<{ h: number; breakInside: string }>;
  tbodies: string[];
  scrollWidth: number;
  width: number;
}

/** Printed: A4 pages, every chart on one page (kept whole, shorter than the page). */
async function assertPrints(file: string, pdfName: string): Promise<number> {
  // A4 is 210 mm wide; 12 mm margins leave 186 mm, 703 CSS px, and 273 mm (1032 px) of height
  const page = await inspectPage<PrintLayout>(
    file,
    `(() => ({ figures: [...document.querySelectorAll('section.chart')].map((f) => ({ h: f.getBoundingClientRect().height, breakInside: getComputedStyle(f).breakInside })),
      tbodies: [...new Set([...document.querySelectorAll('#culprits tbody')].map((t) => getComputedStyle(t).breakInside))],
      scrollWidth: document.documentElement.scrollWidth, width: document.documentElement.clientWidth }))()`,
    { width: 703, media: 'print' },
  );
  const v = page.value;
  assert.ok(v.figures.length >= 2);
  for (const f of v.figures) {
    assert.equal(f.breakInside, 'avoid', 'a chart section is never split across pages');
    assert.ok(f.h < 1032, `a chart section fits on one A4 page (${f.h} px)`);
  }
  assert.deepEqual(v.tbodies, ['avoid'], "a culprit's row and its explanation stay together");
  assert.ok(v.scrollWidth <= v.width, 'nothing wider than A4');
  const { pdf, errors, requests } = await printToPdf(file);
  writeFileSync(path.join(artifacts, pdfName), pdf);
  assert.deepEqual(errors, []);
  assert.deepEqual(requests, []);
  const text = pdf.toString('latin1');
  const boxes = [...text.matchAll(/\/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]/g)].map((m) => [Number(m[1]), Number(m[2])]);
  assert.ok(boxes.length > 0 && boxes.every(([w, h]) => Math.abs(w! - 595) < 2 && Math.abs(h! - 842) < 2), `A4 pages: ${JSON.stringify(boxes.slice(0, 3))}`);
  return (text.match(/\/Type\s*\/Page\b(?!s)/g) ?? []).length;
}

async function exportHtml(file: string, args: string[]): Promise<string> {
  const r = await runMain(['export', ...args, '--out', file, '--force']);
  assert.equal(r.code, 0, r.stderr);
  return readFileSync(file, 'utf8');
}

test('the HTML export renders in headless Chromium: charts drawn, culprits explained, nothing loaded or run', { skip, timeout: 180_000 }, async () => {
  const file = path.join(dir, 'postmortem.html');
  await exportHtml(file, ['--since', `@${Math.floor(db.since / 1000)}`, '--until', `@${Math.ceil(db.until / 1000)}`, '--db', db.file]);
  // errors and requests are asserted empty in assertFits: the page requested nothing
  const v = await assertFits(file, 1400, 'report-html-1400.png');
  assert.notEqual(v.title, 'pwned');
  assert.equal(v.scripts, 0);
  assert.equal(v.images, 0, 'the hostile <img> is text, not an element');
  assert.equal(v.hostileShown, true, 'the hostile argument is shown as text');
  // available memory and memory per owner; the incident fills the range, so no zoom on its lowest point
  assert.equal(v.svgs, 2);
  const kubelet = v.series.find((s) => s.name === 'kubelet memory.available');
  const hard = v.series.find((s) => s.name === 'hard threshold');
  assert.ok(kubelet && kubelet.points >= 10 && kubelet.w > 500, JSON.stringify(kubelet));
  assert.ok(hard && hard.w > 500, JSON.stringify(hard));
  assert.ok(v.series.some((s) => s.name === "free's MemAvailable" && s.points >= 2));
  assert.ok(v.layers.length >= 2 && v.layers.every((l) => l.points >= 4 && l.w > 500 && l.h > 0), JSON.stringify(v.layers));
  assert.equal(v.bursts, 1);
  // the test's kill is in a child cgroup with its own 96 MiB limit, not at the node's limit (kills of other
  // tests on this machine may be recorded too: the recorder reads the kernel log of the whole machine)
  const ours = db.oomKills.find((k) => k.oomMemcg === `${db.nodeCgroup}/oom`);
  assert.ok(ours, JSON.stringify(db.oomKills));
  assert.ok(v.ooms.cgroup >= 1 && v.ooms.node + v.ooms.cgroup <= db.oomKills.length, JSON.stringify(v.ooms));
  assert.ok(
    v.ooms.titles.some((t) => t.includes(`killed ${ours.comm} (pid ${ours.pid}`) && t.includes(`inside cgroup ${db.nodeCgroup}/oom, which reached its own limit`)),
    JSON.stringify(v.ooms.titles),
  );
  // the kills section: one line each, its kind spelled out
  assert.equal(v.killItems.length, db.oomKills.length);
  assert.ok(v.killItems.some((k) => k.startsWith('cgroup ') && k.includes('◆ inside a limited cgroup') && k.includes(`killed ${ours.comm} (pid ${ours.pid}`)), JSON.stringify(v.killItems));
  assert.match(v.text, new RegExp(`OOM kills\\s+${db.oomKills.length}\\s+\\d+ node-level, [1-9]\\d* inside limited cgroups`));
  assert.match(v.text, /OOM kills inside limited cgroups \(\d+\): \d\d:\d\d:\d\d/);
  // a kill's marker is never drawn like a threshold
  const thresholds = v.series.filter((s) => s.name.includes('threshold')).map((s) => s.stroke);
  assert.ok(v.ooms.strokes.every((s) => !thresholds.includes(s.split(' ')[0]!)), JSON.stringify({ thresholds, kills: v.ooms.strokes }));
  // the node's processes (the pod's app and sidecar, updatedb): culprits leave out what runs outside the node cgroup
  assert.ok(v.culpritRows >= 3, `${v.culpritRows} culprit rows`);
  assert.ok(v.explanations.some((e) => e.includes(`${db.growerUnit}: a host service`) && e.includes(`although its cwd was inside pod ${db.pod}'s volume`)));
  assert.ok(v.events >= 4);
  // header: host, zone, the memory cgroup the recording called the node
  assert.ok(v.meta.includes(`host${hostname()}`) && v.meta.includes('time zone') && v.meta.includes(db.nodeCgroup), v.meta);
  // the table of contents lists every section, each link leads to one
  assert.deepEqual(v.toc, v.sectionIds);
  assert.deepEqual(v.toc, ['#available', '#kills', '#owner-chart', '#culprits', '#owners', '#at-lowest', '#events']);
  await assertFits(file, 800, 'report-html-800.png');
  const pages = await assertPrints(file, 'report-html.pdf');
  assert.ok(pages >= 2, `${pages} pages`);
});

test('a day recorded at 1 s: a small file, every dip drawn, kills told apart, hostile strings inert, at 800 and 1400 px', { timeout: 300_000 }, async () => {
  const long = writeLongDb(path.join(dir, 'day.db'));
  const dayFile = path.join(dir, 'day.html');
  const range = ['--since', '2026-11-27', '--until', '2026-11-27 23:59:59', '--tz', 'UTC', '--db', long.file];
  const day = await exportHtml(dayFile, range);
  const hour = await exportHtml(path.join(dir, 'hour.html'), ['--since', '2026-11-27 14:00', '--until', '2026-11-27 14:59:59', '--tz', 'UTC', '--db', long.file]);
  // the charts hold at most two points a pixel column: 24 times the samples is not 24 times the file
  const dayBytes = Buffer.byteLength(day);
  const hourBytes = Buffer.byteLength(hour);
  assert.ok(dayBytes < 400 * 1024, `a day at 1 s is ${dayBytes} bytes`);
  assert.ok(dayBytes < 2 * hourBytes, `a day (${dayBytes} bytes) vs an hour (${hourBytes} bytes)`);
  // the 100 KB command line is shown in part, escaped
  assert.ok(!day.includes('A'.repeat(5000)) && day.includes('A'.repeat(1000)));
  assert.ok(HOSTILE_CMDLINE.length > 100_000);

  const v = await assertFits(dayFile, 1400, 'report-html-day-1400.png');
  assert.equal(v.scripts, 0);
  assert.notEqual(v.title, 'pwned');
  assert.ok(!/[\u202a-\u202e\u2066-\u2069]/.test(v.text), 'no bidi control reaches the page: a name cannot display reversed');
  assert.ok(v.text.includes('\\u202egpj.exe<b>'), 'the hostile comm is shown with its override escaped');
  // the single sample at -100Mi survives thinning 86 400 samples to the chart's width
  const kubelet = v.series.find((s) => s.name === 'kubelet memory.available')!;
  assert.equal(v.zeroLines.length, 1, 'a negative value puts a zero line on the chart');
  assert.ok(kubelet.bottom > v.zeroLines[0]! + 1, `the dip to ${long.dipBytes / MiB}Mi goes below the zero line: ${JSON.stringify({ kubelet, zero: v.zeroLines })}`);
  assert.ok(kubelet.points <= 2 * 1000, `${kubelet.points} points for ${long.snapshots} samples`);
  assert.deepEqual({ node: v.ooms.node, cgroup: v.ooms.cgroup }, { node: long.nodeKills, cgroup: long.cgroupKills });
  assert.ok(v.text.includes(`${long.nodeKills} node-level, ${long.cgroupKills} inside limited cgroups`));
  assert.deepEqual(
    {
      node: v.killItems.filter((k) => k.startsWith('node ') && k.includes('✖ node-level: global OOM: killed java')).length,
      cgroup: v.killItems.filter((k) => k.startsWith('cgroup ') && k.includes('◆ inside a limited cgroup: OOM in /kubepods.slice/')).length,
    },
    { node: long.nodeKills, cgroup: long.cgroupKills },
  );
  assert.equal(v.bursts, 1, `${long.bursts} bursts are one shape`);
  assert.match(v.text, /of the \d+ burst and threshold events, the first 200 are/);
  assert.ok(v.sections.some((s) => s.startsWith('Zoom on the lowest point: 14:3')), JSON.stringify(v.sections));
  assert.deepEqual(v.toc, v.sectionIds);

  await assertFits(dayFile, 800, 'report-html-day-800.png');
  await assertPrints(dayFile, 'report-html-day.pdf');
});

test('byte axes step evenly and end just above the data', () => {
  const owners = byteScale(0, 892 * MiB);
  assert.deepEqual(owners.ticks.map(owners.label), ['0', '200Mi', '400Mi', '600Mi', '800Mi', '1000Mi']);
  const node = byteScale(-100 * MiB, 7.7 * GiB);
  assert.equal(node.lo, -2 * GiB);
  assert.equal(node.hi, 8 * GiB);
  assert.deepEqual(node.ticks.map(node.label), ['-2Gi', '0', '2Gi', '4Gi', '6Gi', '8Gi']);
  const small = byteScale(0, 1.1 * GiB);
  assert.deepEqual(small.ticks.map(small.label), ['0', '0.25Gi', '0.50Gi', '0.75Gi', '1.00Gi', '1.25Gi']);
});

test('time ticks fall on even wall-clock steps of the zone, with seconds only when the step needs them', () => {
  // 14 s of an incident, 880 px wide: every 2 s, with seconds
  const short = timeTicks(Date.UTC(2026, 11, 1, 1, 17, 28, 370), Date.UTC(2026, 11, 1, 1, 17, 42), 'UTC', 880, 8);
  assert.equal(short.labels[0], '01:17:30');
  assert.ok(short.ticks.every((t) => t % short.step === 0));
  // a day in Berlin across the autumn DST change: labels on even hours of the wall clock
  const since = Date.UTC(2026, 9, 24, 22, 0, 0); // 2026-10-25 00:00 CEST
  const day = timeTicks(since, since + 25 * 3600_000 - 1, 'Europe/Berlin', 880, 8);
  assert.equal(day.labels[0], '00:00');
  assert.ok(day.labels.every((l) => /^\d\d:00$/.test(l) && Number(l.slice(0, 2)) % (day.step / 3600_000) === 0), day.labels.join(' '));
  // several days: dates in the labels
  const week = timeTicks(since, since + 6 * 86_400_000, 'Europe/Berlin', 880, 8);
  assert.ok(week.labels.every((l) => /^\d\d-\d\d/.test(l)), week.labels.join(' '));
});

test('an OOM kill is told node-level or inside a limited cgroup from the kernel line', () => {
  assert.equal(killKind({ global: true, constraint: 'global', oomMemcg: null }, '/').kind, 'node');
  assert.equal(killKind({ global: false, constraint: 'memcg', oomMemcg: '/kubepods/burstable/pod1' }, '/').kind, 'cgroup');
  // a recording with --memory-cgroup /node: that cgroup reaching its limit is the node running out
  assert.equal(killKind({ global: false, constraint: 'memcg', oomMemcg: '/node' }, '/node').kind, 'node');
  assert.equal(killKind({ global: false, constraint: 'memcg', oomMemcg: '/node/oom' }, '/node').kind, 'cgroup');
  assert.match(killKind({ global: null, constraint: null, oomMemcg: null }, '/').text, /unknown/);
});
