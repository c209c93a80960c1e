// The report commands stream a range from the store instead of holding it (so that every command stays
// under 100 MiB on any range: bench report-memory measures that). Streaming must not change what they
// print: a 100 KB command line is cut to the terminal in a table, and whole in csv, json and ndjson.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { culprits, culpritsFrom } from '../src/report/culprits.js';
import { jsonDocument, jsonLines, LazyArray } from '../src/report/format/json.js';
import { PIPED_COLUMN_WIDTH } from '../src/report/format/table.js';
import { renderChart, type Timeline, type TimelinePoint } from '../src/report/timeline.js';
import { formatBytes } from '../src/model/quantity.js';
import { cleanText, safeJson } from '../src/model/text.js';
import { Store } from '../src/store/store.js';
import { runMain } from './helpers/run.js';
import { owners, processSample, snapshot } from './helpers/snapshots.js';

const dir = mkdtempSync(path.join(tmpdir(), 'memrec-stream-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const T0 = Date.UTC(2026, 10, 28, 2, 0, 0);
const since = `@${T0 / 1000 - 1}`;
const until = `@${T0 / 1000 + 3600}`;

/** 100 KB of arguments, with a control character and a bidi override inside, distinct per `salt`. */
function longCmdline(salt: number): string {
  const parts = [`/usr/bin/java -Dsalt=${salt} -cp`];
  for (let i = 0; parts.join(' ').length < 100_000; i++) parts.push(`/opt/lib/part-${salt}-${i}.jar`);
  return (parts.join(' ').slice(0, 99_990) + ' \u001b[2J \u202e!').slice(0, 100_000);
}

const JAVA = longCmdline(0);
const CWD = '/srv/' + 'deep/'.repeat(1000);

// 12 snapshots a minute apart: the java process in each, and 60 other processes with distinct 100 KB
// command lines over them (6 MB of text: more than the reader's caches keep, so they are read again)
const db = path.join(dir, 'long.db');
const jobs: string[] = [];
{
  const s = Store.open(db);
  for (let i = 0; i < 12; i++) {
    const procs = [
      processSample(7000, 6000, owners.service, { comm: 'java', cmdline: JAVA, cwd: CWD, startTime: T0 - 86_400_000 }),
      processSample(100, 900 - i, owners.podContainer),
      processSample(2, 0, owners.kernel, { comm: 'kthreadd', cmdline: null, exe: null, rssAnonBytes: 0 }),
    ];
    for (let j = 0; j < 5; j++) {
      const n = i * 5 + j;
      jobs[n] = longCmdline(n + 1);
      procs.push(processSample(8000 + n, 3000 + j, owners.service, { comm: 'rsync', cmdline: jobs[n]!, startTime: T0 + n }));
    }
    s.writeSnapshot(snapshot(T0 + i * 60_000, { processes: procs }));
  }
  s.close();
}

const run = (args: string[], columns?: number) => runMain([...args, '--db', db, '--since', since, '--until', until], { env: { TZ: 'UTC' }, now: T0 + 3_600_000, ...(columns === undefined ? {} : { columns }) });
const chars = (s: string): number => [...s].length;

test('query table on a terminal: the 100 KB command line is cut to the width, escaped, and every line fits', async () => {
  for (const columns of [80, 200]) {
    const r = await run(['query', '--pid', '7000'], columns);
    assert.equal(r.code, 0, r.stderr);
    // the header is bold on a terminal: its escapes take no columns
    const lines = r.stdout.replace(/\u001b\[[01]m/g, '').split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 13, 'the header and 12 rows');
    for (const l of lines) assert.ok(chars(l) <= columns, `${chars(l)} > ${columns}: ${l.slice(0, 120)}`);
    for (const l of lines.slice(1)) {
      assert.match(l, /…$/, 'cut with …');
      // at 80 columns the cwd column is left out and the command line gets the rest; at 200 both are cut,
      // the cwd in the middle (its end tells paths apart)
      assert.match(l, columns === 80 ? /  service updatedb\.service  \/usr\/bin\/java -[^ ]*…$/ : /  \/srv\/deep\/deep[^ ]*…[^ ]*deep\/  \/usr\/bin\/java .*…$/);
    }
  }
});

test('query table piped: every cell whole, escaped; a long cell pads nobody else', async () => {
  const r = await run(['query']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  const java = lines.filter((l) => / java /.test(l));
  assert.equal(java.length, 12);
  const cleaned = cleanText(JAVA);
  for (const l of java) {
    assert.ok(l.endsWith(cleaned), 'the command line whole, with its ESC escaped');
    assert.ok(l.includes(CWD), 'the cwd whole');
  }
  const rsync = lines.filter((l) => / rsync /.test(l));
  assert.equal(rsync.length, 60);
  for (const [i, j] of jobs.entries()) assert.equal(rsync.filter((l) => l.endsWith(cleanText(j))).length, 1, `job ${i}'s command line whole`);
  // the 5,000-character cwd of java pads no other row's CWD column beyond the piped width
  const pod = lines.filter((l) => /proc100 /.test(l));
  assert.equal(pod.length, 12);
  for (const l of pod) assert.ok(l.length < 2 * PIPED_COLUMN_WIDTH + 400, `${l.length} characters`);
  assert.doesNotMatch(r.stdout, /\u001b/, 'no raw ESC');
});

test('query csv, json and ndjson: every 100 KB command line whole, in the stored bytes', async () => {
  const csv = await run(['query', '--format', 'csv']);
  assert.equal(csv.code, 0, csv.stderr);
  // whole, its control and bidi characters escaped as in every text output (a CSV row stays one line)
  assert.equal(csv.stdout.split(cleanText(JAVA)).length - 1, 12, 'java whole in 12 csv rows');
  for (const j of jobs) assert.equal(csv.stdout.split(cleanText(j)).length - 1, 1, 'each job whole once');
  const json = JSON.parse((await run(['query', '--format', 'json'])).stdout) as Array<{ pid: number; cmdline: string | null; cwd: string | null }>;
  assert.equal(json.length, 12 * 8);
  assert.ok(json.filter((r) => r.pid === 7000).every((r) => r.cmdline === JAVA && r.cwd === CWD));
  assert.deepEqual(json.filter((r) => r.pid >= 8000).map((r) => r.cmdline).sort(), [...jobs].sort());
  const nd = (await run(['query', '--format', 'ndjson'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { cmdline: string | null });
  assert.deepEqual(nd, json);
});

test('culprits: the command line is read for the ranked processes, and whole', async () => {
  const s = Store.open(db, { readonly: true });
  try {
    const range = { since: T0 - 1000, until: T0 + 3_600_000 };
    const fast = culprits(s, range, 100);
    assert.deepEqual(JSON.parse(JSON.stringify(fast)), JSON.parse(JSON.stringify(culpritsFrom(range, s.snapshots(range), s.processRows(range), s.ownerRows(range), 100))));
    assert.equal(fast.processes.find((p) => p.pid === 7000)?.cmdline, JAVA);
    assert.deepEqual(fast.processes.filter((p) => p.pid >= 8000).map((p) => p.cmdline).sort(), [...jobs].sort());
  } finally {
    s.close();
  }
});

test('export json, ndjson and csv stream the samples whole; json parses to the same bundle as before', async () => {
  for (const format of ['json', 'ndjson', 'csv']) {
    const out = path.join(dir, `e.${format}`);
    const r = await run(['export', '--out', out, '--force']);
    assert.equal(r.code, 0, r.stderr);
    const text = readFileSync(out, 'utf8');
    // in every sample, and in json and ndjson also among the culprits and at the lowest moment
    assert.equal(text.split(JAVA.slice(0, 50_000)).length - 1, format === 'csv' ? 12 : 12 + 2, `${format}: java whole`);
    if (format === 'json') {
      const b = JSON.parse(text) as { timeline: { points: unknown[] }; processes: Array<{ cmdline: string }>; culprits: { processes: unknown[] } };
      assert.equal(b.timeline.points.length, 12);
      assert.equal(b.processes.length, 12 * 8);
      assert.equal(b.processes.filter((p) => p.cmdline === JAVA).length, 12);
    }
    if (format === 'ndjson') {
      const recs = text.trim().split('\n').map((l) => JSON.parse(l) as { record: string });
      assert.equal(recs.filter((x) => x.record === 'point').length, 12);
      assert.equal(recs.filter((x) => x.record === 'process').length, 12 * 8);
    }
  }
});

test('jsonLines writes exactly what safeJson writes (control and bidi characters as \\u escapes), reading LazyArrays as it goes', () => {
  const values: unknown[] = [
    { a: 1, b: [1, 2, { c: [] }], d: {}, e: null, f: undefined, g: 'x\n"y"\u2028', h: [[1, [2]], []], i: true },
    { points: [], nested: { deeper: { list: [{ x: 1 }, { y: [1, 2] }] } } },
    [],
    {},
    [1, { a: undefined }, null],
  ];
  for (const v of values) {
    for (const space of [1, 2]) assert.equal([...jsonLines(v, space)].join(''), safeJson(v, space) + '\n', JSON.stringify(v));
  }
  const t = { since: 'a', until: 'b', points: [{ at: 'x', n: 1 }, { at: 'y', n: 2 }], bursts: [], oomKills: [{ pid: 1 }] };
  assert.equal([...jsonLines({ ...t, points: new LazyArray(t.points) })].join(''), jsonDocument(t));
  assert.equal([...jsonLines({ rows: new LazyArray([{ a: 1 }, { b: [2] }], true) }, 1)].join(''), '{\n "rows": [\n  {"a":1},\n  {"b":[2]}\n ]\n}\n');
});


test('the chart draws a month of 1 s points (more than an argument list holds) with its lowest point and scale', () => {
  const MiB = 2 ** 20;
  const n = 300_000;
  const t0 = Date.UTC(2026, 10, 1);
  const points: TimelinePoint[] = Array.from({ length: n }, (_, i) => ({
    at: new Date(t0 + i * 1000).toISOString(), atMs: t0 + i * 1000, snapshotKind: 'burst',
    kubeletAvailableBytes: (i === 123_456 ? 50 : 2000 + (i % 1000)) * MiB,
    memAvailableBytes: i % 13 === 0 ? null : (2100 + (i % 500)) * MiB,
    memFreeBytes: 100 * MiB, allocatableAvailableBytes: null,
    hardThresholdBytes: 100 * MiB, softThresholdBytes: null, capacityBytes: 8192 * MiB,
  }));
  const t: Timeline = { since: 'x', until: 'y', points, bursts: [], oomKills: [] };
  const lines = renderChart(t, { since: t0, until: t0 + n * 1000 }, { width: 100, height: 16, zone: 'UTC', formatBytes });
  const text = lines.join('');
  assert.match(text, /lowest memory\.available 50Mi at 2026-11-02 10:17:36/);
  assert.ok(lines.every((l) => [...l].length <= 101), 'every line fits 100 columns');
});
