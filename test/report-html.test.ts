// The HTML export opened in headless Chromium: no console errors, no request leaves the file, the
// charts are drawn from real data, the culprits are there, hostile command lines stay text.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { canUseMemoryCgroups } from './helpers/cgroup.js';
import { haveChromium, inspectPage } from './helpers/chromium.js';
import { repoRoot } from './helpers/paths.js';
import { HOSTILE_ARG, recordTestDatabase, type RecordedDb } from './helpers/report-db.js';
import { runMain } from './helpers/run.js';

const skip = !canUseMemoryCgroups() ? 'needs root and a writable cgroup v1 memory hierarchy' : !haveChromium() ? 'needs /usr/bin/chromium' : false;
let dir = '';
let db: RecordedDb;

before(async () => {
  if (skip) return;
  dir = mkdtempSync(path.join(tmpdir(), 'memrec-html-'));
  db = await recordTestDatabase(dir);
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Inspected {
  title: string;
  scripts: number;
  svgs: number;
  series: Array<{ name: string; points: number; w: number; h: number }>;
  layers: Array<{ name: string; points: number; w: number; h: number }>;
  culpritRows: number;
  explanations: string[];
  bursts: number;
  ooms: number;
  hostileShown: boolean;
  images: number;
  events: number;
}

const EXPR = `(() => {
  const shape = (p) => { const b = p.getBBox(); return { name: p.dataset.series, points: (p.getAttribute('d').match(/[ML]/g) || []).length, w: b.width, h: b.height }; };
  return {
    title: document.title,
    scripts: document.scripts.length,
    svgs: document.querySelectorAll('svg').length,
    series: [...document.querySelectorAll('path.series')].map(shape),
    layers: [...document.querySelectorAll('path.layer')].map(shape),
    culpritRows: document.querySelectorAll('#culprits tbody tr').length,
    explanations: [...document.querySelectorAll('#culprits td.expl')].map((td) => td.textContent),
    bursts: document.querySelectorAll('rect.burst').length,
    ooms: document.querySelectorAll('g.oom').length,
    hostileShown: document.body.textContent.includes(${JSON.stringify(HOSTILE_ARG)}),
    images: document.images.length,
    events: document.querySelectorAll('#events tbody tr').length,
  };
})()`;

test('the HTML export renders in headless Chromium: charts drawn, culprits explained, nothing loaded or run', { skip, timeout: 120_000 }, async () => {
  const file = path.join(dir, 'postmortem.html');
  const r = await runMain(['export', '--since', `@${Math.floor(db.since / 1000)}`, '--out', file, '--db', db.file]);
  assert.equal(r.code, 0, r.stderr);
  const page = await inspectPage<Inspected>(file, EXPR);
  const artifacts = path.join(repoRoot, 'artifacts');
  mkdirSync(artifacts, { recursive: true });
  writeFileSync(path.join(artifacts, 'report-html.png'), page.screenshot);
  assert.deepEqual(page.errors, []);
  assert.deepEqual(page.requests, [], 'the page requested nothing');
  const v = page.value;
  assert.notEqual(v.title, 'pwned');
  assert.equal(v.scripts, 0);
  assert.equal(v.images, 0, 'the hostile <img> is text, not an element');
  assert.equal(v.hostileShown, true, 'the hostile argument is shown as text');
  assert.equal(v.svgs, 2);
  const kubelet = v.series.find((s) => s.name === 'kubelet memory.available');
  const hard = v.series.find((s) => s.name === 'hard threshold');
  assert.ok(kubelet && kubelet.points >= db.snapshots - 1 && kubelet.w > 500, JSON.stringify(kubelet));
  assert.ok(hard && hard.w > 500, JSON.stringify(hard));
  assert.ok(v.series.some((s) => s.name === "free's MemAvailable" && s.points > 5));
  assert.ok(v.layers.length >= 2 && v.layers.every((l) => l.points >= 4 && l.w > 500 && l.h > 0), JSON.stringify(v.layers));
  assert.equal(v.bursts, 1);
  assert.equal(v.ooms, db.oomKills.length);
  assert.ok(v.culpritRows >= 4);
  assert.ok(v.explanations.some((e) => e.includes(`${db.growerUnit}: a host service`) && e.includes(`although its cwd was inside pod ${db.pod}'s volume`)));
  assert.ok(v.events >= 4);
  assert.ok(page.screenshot.length > 10_000, 'a real screenshot');
});
