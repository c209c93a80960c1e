// The answers the morning after, read as an SRE reads them: culprits, query, timeline, events and export on a
// night recorded with --memory-cgroup (test/helpers/night.ts), at 80 and 200 columns and as JSON.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { terminalColumns } from '../src/cli/io.js';
import { cutOwner } from '../src/report/format/owner-text.js';
import { visibleColumns } from '../src/report/format/table.js';
import { renderChart, timeTicks } from '../src/report/timeline.js';
import { BURST, END, LOWEST, NODE, OOM_AT, PIDS, POD_UID, T0, UPDATEDB_KEYS, writeNight } from './helpers/night.js';
import { runMain } from './helpers/run.js';

let dir = '';
let db = '';
const SINCE = `@${T0 / 1000}`;
const UNTIL = `@${END / 1000}`;
const MiB = 1024 * 1024;

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'memrec-answers-'));
  db = path.join(dir, 'night.db');
  writeNight(db);
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const run = (args: string[], columns?: number) => runMain([...args, '--db', db], { env: { TZ: 'UTC', NO_COLOR: '1' }, now: END + 3_600_000, ...(columns === undefined ? {} : { columns }) });
const range = ['--since', SINCE, '--until', UNTIL];

interface Culprit {
  rank: number;
  pid: number;
  comm: string;
  contributionBytes: number;
  rssAtStartBytes: number;
  rssAtLowestBytes: number | null;
  peakRssBytes: number;
  growthBytes: number;
  ownerKey: string;
  ownerCgroup: string | null;
}
interface Culprits {
  sort: string;
  scope: { nodeCgroups: string[]; all: boolean; processesLeftOut: number; ownersLeftOut: number };
  processes: Culprit[];
  owners: Array<{ ownerKey: string; ownerCgroup: string | null; contributionBytes: number; peakRssBytes: number }>;
  atLowest: { takenAt: string; processes: Array<{ pid: number }>; owners: Array<{ ownerKey: string }> };
}
const culprits = async (...args: string[]): Promise<Culprits> => {
  const r = await run(['culprits', ...range, '--format', 'json', ...args]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Culprits;
};
const pids = (c: Culprits): number[] => c.processes.map((p) => p.pid);

test('culprits ranks who grew while memory.available fell, within the node; the big steady JVM and the outside process are not first', async () => {
  const c = await culprits();
  assert.equal(c.sort, 'contribution');
  assert.equal(c.atLowest.takenAt, new Date(LOWEST).toISOString());
  const [first] = c.processes;
  assert.equal(first!.pid, PIDS.updatedb);
  // started inside the range: from 0 to its RSS at the lowest point
  assert.deepEqual([first!.rssAtStartBytes, first!.rssAtLowestBytes, first!.contributionBytes], [0, 1610 * MiB, 1610 * MiB]);
  const jvm = c.processes.find((p) => p.pid === PIDS.jvm)!;
  assert.deepEqual([jvm.contributionBytes, jvm.rssAtLowestBytes, jvm.peakRssBytes], [0, 240 * MiB, 240 * MiB]);
  // outside the node: left out of every list, and counted
  assert.deepEqual(c.scope, { nodeCgroups: [NODE], all: false, processesLeftOut: 2, ownersLeftOut: 2 });
  assert.deepEqual(pids(c).sort(), [PIDS.jvm, PIDS.pod, PIDS.updatedb].sort());
  assert.ok(c.atLowest.processes.every((p) => p.pid !== PIDS.outside && p.pid !== PIDS.hostUpdatedb));
  // owners by the same measure, over every process; the node's plocate-updatedb.service is its own owner
  assert.equal(c.owners[0]!.ownerKey, UPDATEDB_KEYS.node);
  assert.equal(c.owners[0]!.ownerCgroup, `${NODE}/system.slice/plocate-updatedb.service`);
  assert.ok(!c.owners.some((o) => o.ownerKey === UPDATEDB_KEYS.host));
});

test('culprits --all keeps the machine; the two plocate-updatedb.service are two owners, keyed by their cgroups', async () => {
  const c = await culprits('--all', '--top', '50');
  assert.deepEqual(c.scope, { nodeCgroups: [NODE], all: true, processesLeftOut: 0, ownersLeftOut: 0 });
  assert.ok(pids(c).includes(PIDS.outside) && pids(c).includes(PIDS.hostUpdatedb));
  const keys = c.owners.map((o) => o.ownerKey);
  assert.ok(keys.includes(UPDATEDB_KEYS.node) && keys.includes(UPDATEDB_KEYS.host) && UPDATEDB_KEYS.node !== UPDATEDB_KEYS.host, keys.join(' '));
  assert.equal(pids(c)[0], PIDS.updatedb);
});

test('culprits --sort peak|growth|at-lowest rank by those, largest first; the contribution stays in the rows', async () => {
  for (const [sort, key] of [['peak', 'peakRssBytes'], ['growth', 'growthBytes'], ['at-lowest', 'rssAtLowestBytes']] as const) {
    const c = await culprits('--sort', sort, '--all');
    assert.equal(c.sort, sort);
    const values = c.processes.map((p) => p[key] ?? -1);
    assert.deepEqual(values, [...values].sort((a, b) => b - a), sort);
    assert.ok(c.processes.every((p) => typeof p.contributionBytes === 'number'));
  }
  const peak = await culprits('--sort', 'peak', '--all');
  // bigger is not guiltier: by peak the JVM and the outside process come before the pod, as before
  assert.ok(pids(peak).indexOf(PIDS.outside) < pids(peak).indexOf(PIDS.pod));
});

test("culprits takes query's filters: --unit, --comm, --pid, --pod, --owner, --outside-pods", async () => {
  assert.deepEqual(pids(await culprits('--unit', 'plocate-updatedb')), [PIDS.updatedb]);
  assert.deepEqual(pids(await culprits('--unit', 'plocate-updatedb.service', '--all')).sort(), [PIDS.updatedb, PIDS.hostUpdatedb].sort());
  const java = await culprits('--comm', '^jav');
  assert.deepEqual(pids(java), [PIDS.jvm]);
  // owners are then those of the processes that passed
  assert.deepEqual(java.owners.map((o) => o.ownerKey), [`service:${NODE}/system.slice/billing-jvm.service`]);
  assert.deepEqual(pids(await culprits('--pid', String(PIDS.pod))), [PIDS.pod]);
  const pod = await culprits('--pod', 'search/indexer-0');
  assert.deepEqual(pids(pod), [PIDS.pod]);
  assert.deepEqual(pod.owners.map((o) => o.ownerKey), [`pod:${POD_UID}`]);
  assert.deepEqual(pids(await culprits('--pod', POD_UID)), [PIDS.pod]);
  assert.deepEqual(pids(await culprits('--owner', 'pod')), [PIDS.pod]);
  assert.ok(!pids(await culprits('--outside-pods')).includes(PIDS.pod));
  for (const [args, re] of [
    [['--sort', 'size'], /--sort "size": expected one of contribution, peak, growth, at-lowest/],
    [['--unit', '/system.slice/x'], /--unit "\/system.slice\/x": expected a systemd unit name/],
    [['--comm', '('], /--comm "\(": not a valid regular expression/],
    [['--owner', 'pods'], /--owner "pods": expected one of pod, service/],
  ] as Array<[string[], RegExp]>) {
    const r = await run(['culprits', ...range, ...args]);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
});

test('culprits as text: at 80 columns every line fits and OWNER is whole; times without the date, the day and zone said once', async () => {
  const r = await run(['culprits', ...range], 80);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.ok(lines.every((l) => [...l].length <= 80), lines.find((l) => [...l].length > 80));
  assert.equal(lines[0], 'Culprits 2026-11-27 01:00:00 → 01:30:00 (UTC), 177 snapshots');
  assert.match(r.stdout.replace(/\n +/g, ' '), /memory.available was lowest at 01:21:30: /);
  assert.match(r.stdout.replace(/\n +/g, ' '), new RegExp(`Node cgroup ${NODE}: 2 processes and 2 owners outside it left out \\(--all keeps them\\)\\.`));
  const header = lines.findIndex((l) => /^ *# +PID +COMM +CONTRIB/.test(l));
  assert.match(lines[header + 1]!, new RegExp(`^ *1 +${PIDS.updatedb} +updatedb +1\\.57Gi .*service plocate-updatedb\\.service$`));
  // table rows show the clock only (the OOM kills listed after the tables keep their full time)
  assert.ok(!lines.some((l) => /2026-11-27 01:/.test(l) && !l.startsWith('Culprits') && !l.startsWith('✖')), 'rows show the clock only');
  assert.match(r.stdout, /\nOOM kills in this range\n✖ 2026-11-27 01:21:45 OOM in \/node-1\/oom: killed hog/);
  // wide: every column, the cwds too
  const wide = await run(['culprits', ...range, '--all'], 200);
  const wl = wide.stdout.trimEnd().split('\n');
  assert.ok(wl.every((l) => [...l].length <= 200));
  assert.match(wl.find((l) => /# +PID/.test(l))!, /CONTRIB +AT LOWEST +PEAK +PEAK AT +GROWTH +OWNER +CWDS/);
  // with --all, what is outside the node says so
  assert.ok(wl.some((l) => /batch +.*service batch\.service \(outside the node\)/.test(l)), wide.stdout);
});

test('query as a table: at 200 columns OWNER says where a nested owner is, with no CGROUP column repeating it; TIME says its day and zone', async () => {
  const r = await run(['query', ...range, '--top', '3'], 200);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^TIME \(11-27 UTC\) +KIND +PID +COMM +RSS +(?:PEAK +)?OWNER +CWD +CMDLINE$/);
  assert.ok(!lines[0]!.includes('CGROUP'));
  assert.ok(lines.some((l) => / updatedb +1\.57Gi +(?:[\d.]+[KMG]i +)?service plocate-updatedb\.service in \/node-1 /.test(l)), lines.join('\n'));
  const ownerWidth = lines[0]!.indexOf('CWD') - lines[0]!.indexOf('OWNER');
  assert.ok(ownerWidth < 60, `OWNER takes ${ownerWidth} columns`);
  assert.ok(lines.every((l) => [...l].length <= 200));
  // at 80 the least useful columns go before OWNER is cut to nothing
  const narrow = await run(['query', ...range, '--top', '3'], 80);
  const nl = narrow.stdout.trimEnd().split('\n');
  assert.ok(nl.every((l) => [...l].length <= 80));
  // cut in the middle: both the unit and where it is stay readable
  assert.match(nl.find((l) => / updatedb /.test(l))!, /service ploc.*… in \/node-1 /);
});

test('timeline: the scale spans memory.available and the threshold, the machine-wide MemAvailable is left off and said so', async () => {
  const r = await run(['timeline', ...range], 80);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.ok(lines.every((l) => [...l].length <= 80), lines.find((l) => [...l].length > 80));
  // y labels: from above the highest memory.available down to below the hard threshold, not 0..MemTotal
  const labels = lines.map((l) => /^ *([\d.]+[KMG]i|\d+B) ┤/.exec(l)?.[1]).filter((x): x is string => x !== undefined);
  assert.ok(labels.length >= 3, labels.join(','));
  assert.ok(labels[0]!.endsWith('Gi') && Number.parseFloat(labels[0]!) < 4.5, `top ${labels[0]}`);
  assert.ok(!labels.includes('0B'));
  assert.ok(r.stdout.includes('●') && r.stdout.includes('━') && r.stdout.includes('▒') && r.stdout.includes('✖'));
  assert.ok(!lines.filter((l) => l.includes('┤')).some((l) => l.includes('○')));
  assert.match(r.stdout.replace(/\n/g, ' '), /○ free's MemAvailable \(.*\) is the machine's, far from this node's memory\.available: not drawn on this scale/);
  // time labels at even steps of the clock
  const axis = lines[lines.findIndex((l) => l.includes('└')) + 1]!;
  const times = axis.trim().split(/ +/);
  assert.ok(times.length >= 4 && times.every((t) => /^01:[0-5][05]$|^01:30$/.test(t)), axis);
});

test('timeline --around burst|oom|lowest zooms in, with seconds; --pid draws the process under the chart', async () => {
  const zoomed = async (what: string): Promise<{ json: { since: string; until: string; around: { what: string } }; chart: string }> => {
    const j = await run(['timeline', ...range, '--around', what, '--format', 'json']);
    const c = await run(['timeline', ...range, '--around', what, '--pid', String(PIDS.updatedb)], 100);
    assert.equal(c.code, 0, c.stderr);
    return { json: JSON.parse(j.stdout), chart: c.stdout };
  };
  const burst = await zoomed('burst');
  assert.equal(burst.json.around.what, 'burst');
  assert.ok(Date.parse(burst.json.since) <= BURST.start && Date.parse(burst.json.since) >= BURST.start - 120_000);
  assert.ok(Date.parse(burst.json.until) >= BURST.end && Date.parse(burst.json.until) <= BURST.end + 120_000);
  const oom = await zoomed('oom');
  assert.ok(Date.parse(oom.json.since) < OOM_AT && Date.parse(oom.json.until) > OOM_AT && Date.parse(oom.json.until) - Date.parse(oom.json.since) <= 3 * 60_000);
  const axis = oom.chart.split('\n')[oom.chart.split('\n').findIndex((l) => l.includes('└')) + 1]!;
  assert.ok(axis.trim().split(/ +/).every((t) => /^01:2\d:\d\d$/.test(t)), `seconds on a short range: ${axis}`);
  assert.match(oom.chart, /RSS of updatedb \(pid 500\)/);
  assert.ok(oom.chart.includes('■'));
  const low = await zoomed('lowest');
  assert.ok(Date.parse(low.json.since) < LOWEST && Date.parse(low.json.until) > LOWEST);
  // nothing to zoom into: one line, status 1
  const none = await run(['timeline', '--since', SINCE, '--until', `@${(T0 + 600_000) / 1000}`, '--around', 'oom']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /^memrec timeline: --around oom: no OOM kill between 2026-11-27 01:00:00 and 2026-11-27 01:10:00 \(UTC\)\n$/);
  const bad = await run(['timeline', ...range, '--around', 'peak']);
  assert.equal(bad.code, 2);
  // --comm: the summed RSS of the processes it matches; json and csv carry it
  const j = JSON.parse((await run(['timeline', ...range, '--comm', '^updatedb$', '--all', '--format', 'json'].filter((a) => a !== '--all'))).stdout) as { process: { label: string; points: Array<{ rssBytes: number; processes: number }> } };
  assert.equal(j.process.label, 'processes matching /^updatedb$/');
  assert.ok(j.process.points.some((p) => p.processes === 2), 'the node\'s updatedb and the host\'s');
  const csv = (await run(['timeline', ...range, '--pid', String(PIDS.jvm), '--format', 'csv'])).stdout.split('\r\n');
  assert.ok(csv[0]!.endsWith(',processRssBytes'));
  assert.ok(csv[1]!.endsWith(`,${240 * MiB}`));
});

test('timeline: a process label from recorded comms is escaped like every recorded string', () => {
  const t = { since: '', until: '', points: [], bursts: [], oomKills: [] };
  const pts = [0, 1, 2].map((i) => ({ at: '', atMs: T0 + i * 60_000, snapshotKind: 'scheduled' as const, kubeletAvailableBytes: 3e9 - i * 1e8, memAvailableBytes: 3e9, memFreeBytes: 1e9, allocatableAvailableBytes: null, hardThresholdBytes: 1e8, softThresholdBytes: null, capacityBytes: 4e9 }));
  const lines = renderChart({ ...t, points: pts }, { since: T0, until: T0 + 120_000 }, {
    width: 80, height: 6, zone: 'UTC', formatBytes: (n) => `${Math.round(n / 1e6)}M`,
    process: { label: 'evil\u001b[2J\u202e (pid 9)', points: pts.map((p) => ({ at: '', atMs: p.atMs, rssBytes: 1e8, processes: 1 })) },
  });
  const text = lines.join('');
  assert.ok(!/[\u001b\u202e]/.test(text), text);
  assert.match(text, /RSS of evil\\x1b\[2J\\u202e \(pid 9\)/);
});

test('timeline ticks: even steps of the wall clock, seconds below a minute, the day when the range spans several', () => {
  const at = (s: string): number => Date.parse(s);
  const short = timeTicks(at('2026-11-27T01:21:07Z'), at('2026-11-27T01:22:55Z'), 70, 'UTC');
  assert.ok(short.step < 60_000 && short.ticks.every((t) => t.at % short.step === 0 && /^01:2[12]:\d\d$/.test(t.label)), JSON.stringify(short));
  const hours = timeTicks(at('2026-11-27T00:00:00Z'), at('2026-11-27T08:00:00Z'), 70, 'Europe/Berlin');
  assert.ok(hours.ticks.every((t) => /^\d\d:00$/.test(t.label)), JSON.stringify(hours.ticks));
  const days = timeTicks(at('2026-11-25T00:00:00Z'), at('2026-11-27T08:00:00Z'), 70, 'UTC');
  assert.ok(days.ticks.every((t) => /^11-2\d( \d\d:00)?$/.test(t.label)), JSON.stringify(days.ticks));
  assert.ok(days.ticks.length * (days.ticks[0]!.label.length + 2) <= 70);
});

test('timeline on a whole-machine recording: MemAvailable shares the scale, and ◉ shows where both lines meet', async () => {
  const { Store } = await import('../src/store/store.js');
  const { snapshot } = await import('./helpers/snapshots.js');
  const file = path.join(dir, 'machine.db');
  const store = Store.open(file);
  try {
    for (let i = 0; i < 30; i++) {
      const s = snapshot(T0 + i * 60_000);
      const avail = (3000 - i * 40) * MiB;
      s.kubelet = { ...s.kubelet, availableBytes: avail };
      s.meminfo = { ...s.meminfo, memAvailableBytes: i < 15 ? avail : avail - 400 * MiB };
      store.writeSnapshot(s);
    }
  } finally {
    store.close();
  }
  const r = await runMain(['timeline', '--since', SINCE, '--until', UNTIL, '--db', file], { env: { TZ: 'UTC' }, columns: 80, now: END });
  assert.ok(r.stdout.includes('◉') && r.stdout.includes('○') && r.stdout.includes('●'), r.stdout);
  assert.match(r.stdout, /◉ both/);
  assert.doesNotMatch(r.stdout, /not drawn on this scale/);
});

test('a terminal reporting 0 columns gets 80; COLUMNS wins; not a terminal: no width', () => {
  assert.equal(terminalColumns(true, 0, {}), 80);
  assert.equal(terminalColumns(true, undefined, {}), 80);
  assert.equal(terminalColumns(true, 132, {}), 132);
  assert.equal(terminalColumns(true, 0, { COLUMNS: '100' }), 100);
  assert.equal(terminalColumns(true, 200, { COLUMNS: '80' }), 80);
  assert.equal(terminalColumns(true, 120, { COLUMNS: 'wide' }), 120);
  assert.equal(terminalColumns(true, 120, { COLUMNS: '0' }), 120);
  assert.equal(terminalColumns(false, 120, { COLUMNS: '80' }), undefined);
});

test('a table at its narrowest drops the droppable columns, highest dropOrder first, and keeps the rest', () => {
  // natural widths, minWidths, dropOrders
  // narrowest: 2 + 8 + 30 + 9 + 8 and four gaps of 2 = 65
  assert.deepEqual(visibleColumns([2, 10, 40, 9, 8], [undefined, 8, 30, undefined, undefined], [undefined, undefined, undefined, 1, 2], 65), [0, 1, 2, 3, 4]);
  assert.deepEqual(visibleColumns([2, 10, 40, 9, 8], [undefined, 8, 30, undefined, undefined], [undefined, undefined, undefined, 1, 2], 60), [0, 1, 2, 3]);
  assert.deepEqual(visibleColumns([2, 10, 40, 9, 8], [undefined, 8, 30, undefined, undefined], [undefined, undefined, undefined, 1, 2], 50), [0, 1, 2]);
  assert.deepEqual(visibleColumns([2, 10, 40, 9, 8], [undefined, 8, 30, undefined, undefined], [undefined, undefined, undefined, 1, 2], undefined), [0, 1, 2, 3, 4]);
});

test('an owner cut to its column keeps its name and cuts where it sits; a name too long is cut in the middle', () => {
  const nested = 'service plocate-updatedb.service in /memrec-test-12178-230668-d146c846';
  assert.equal(cutOwner(nested, 80), nested, 'fits: whole');
  assert.equal(cutOwner(nested, 50), 'service plocate-updatedb.service in /memrec…46c846');
  assert.equal([...cutOwner(nested, 50)].length, 50);
  // two units of one name under two parents stay told apart by name and place
  assert.notEqual(cutOwner(nested, 46), cutOwner(nested.replace('12178-230668-d146c846', '7060-263613-526f8014'), 46));
  // not enough room for a place: the whole text cut in the middle
  assert.equal(cutOwner(nested, 36), 'service plocate-up…8-230668-d146c846');
  assert.equal(cutOwner('other /process_api/1b9558a16792a0c3f04dd51d953dea43', 36), 'other /process_api…3f04dd51d953dea43');
});

test('events: sizes as everywhere else (22.9Gi, not 23423Mi), the table says its zone', async () => {
  const r = await run(['events', ...range], 120);
  assert.match(r.stdout, /^TIME \(11-27 UTC\) +TYPE +WHAT/);
  assert.match(r.stdout, /memory\.available went below the burst-at threshold: 22\.9Gi vs 24Gi/);
  assert.match(r.stdout, /killed hog \(pid 700, .*, 96Mi\)/);
  assert.doesNotMatch(r.stdout, /23423Mi/);
});

test('export --out - writes to standard output (text formats streamed, sqlite whole), and no file named -', async () => {
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const j = await run(['export', ...range, '--format', 'json', '--out', '-']);
    assert.equal(j.code, 0, j.stderr);
    const doc = JSON.parse(j.stdout) as { culprits: { processes: Array<{ pid: number }> }; processes: unknown[] };
    assert.equal(doc.culprits.processes[0]!.pid, PIDS.updatedb);
    assert.ok(doc.processes.length > 100);
    assert.match(j.stderr, /^memrec export: wrote json \([\d.]+[KM]i\) to standard output for 2026-11-27 01:00:00 → 2026-11-27 01:30:00 \(UTC\)\n$/);
    const h = await run(['export', ...range, '--out', '-']);
    assert.match(h.stdout, /^<!DOCTYPE html>/);
    const q = await runMain(['export', ...range, '--format', 'sqlite', '--out', '-', '--db', db], { env: { TZ: 'UTC' }, now: END });
    assert.equal(q.code, 0, q.stderr);
    assert.ok(q.stdout.startsWith('SQLite format 3\u0000'));
    const { existsSync } = await import('node:fs');
    assert.ok(!existsSync(path.join(dir, '-')));
  } finally {
    process.chdir(cwd);
  }
});
