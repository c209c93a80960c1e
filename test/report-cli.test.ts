// The report commands end to end on a database the real collector recorded on this kernel.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { canUseMemoryCgroups } from './helpers/cgroup.js';
import { memrecBin } from './helpers/paths.js';
import { recordTestDatabase, type RecordedDb } from './helpers/report-db.js';
import { memrecEnv, runCli, runMain } from './helpers/run.js';

const skip = canUseMemoryCgroups() ? false : 'needs root and a writable cgroup v1 memory hierarchy';
let dir = '';
let db: RecordedDb;
let since = '';

before(async () => {
  if (skip) return;
  dir = mkdtempSync(path.join(tmpdir(), 'memrec-report-'));
  db = await recordTestDatabase(dir);
  since = `@${Math.floor(db.since / 1000)}`;
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const run = (args: string[], columns?: number) => runMain([...args, '--db', db.file], columns === undefined ? {} : { columns });
const json = async (args: string[]): Promise<unknown> => {
  const r = await run([...args, '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
};

interface Row {
  [k: string]: unknown;
  pid: number;
  cgroup: string | null;
  snapshotKind: string;
}

test('query --format json: rows of every snapshot, newest last, with the documented fields', { skip }, async () => {
  const rows = (await json(['query', '--since', since])) as Row[];
  for (const f of ['takenAt', 'snapshotKind', 'pid', 'comm', 'rssBytes', 'owner', 'cgroup', 'cwd', 'exe', 'cmdline']) assert.ok(f in rows[0]!, f);
  const times = rows.map((r) => Date.parse(r['takenAt'] as string));
  assert.deepEqual(times, [...times].sort((a, b) => a - b));
  // Before its exec the grower is the shell that moves itself into the service's cgroup: a sample may
  // catch it there, rightly recorded with the shell's comm and its parent's cgroup. Judge it after the exec.
  const grower = rows.filter((r) => r.pid === db.growerPid && r['comm'] === 'updatedb');
  assert.ok(grower.length >= 8, `grower in ${grower.length} snapshots`);
  assert.ok(grower.every((r) => r.cgroup!.endsWith(`/system.slice/${db.growerUnit}`) && r['ownerKind'] === 'service'));
  assert.ok(new Set(grower.map((r) => r['cwd'])).size > 1, 'its cwd changed');
  assert.deepEqual(new Set(rows.map((r) => r.snapshotKind)), new Set(['scheduled', 'burst', 'oom']));
});

test('query filters: --top, --pod UID, --outside-pods, --owner, --kind, --pid, --comm', { skip }, async () => {
  const top1 = (await json(['query', '--since', since, '--top', '1'])) as Row[];
  assert.equal(new Set(top1.map((r) => r['snapshotId'])).size, top1.length);
  const pod = (await json(['query', '--since', since, '--pod', db.podUid])) as Row[];
  assert.ok(pod.length >= db.snapshots - 1 && pod.every((r) => r['podUid'] === db.podUid), `pod rows ${pod.length}`);
  const outside = (await json(['query', '--since', since, '--outside-pods'])) as Row[];
  assert.ok(outside.length > 0 && outside.every((r) => r['ownerKind'] !== 'pod'));
  const services = (await json(['query', '--since', since, '--owner', 'service'])) as Row[];
  assert.ok(services.some((r) => r.pid === db.growerPid) && services.every((r) => r['ownerKind'] === 'service'));
  const bursts = (await json(['query', '--since', since, '--kind', 'burst'])) as Row[];
  assert.ok(bursts.length > 0 && bursts.every((r) => r.snapshotKind === 'burst'));
  const one = (await json(['query', '--since', since, '--pid', String(db.growerPid)])) as Row[];
  assert.ok(one.length > 0 && one.every((r) => r.pid === db.growerPid));
  const comm = (await json(['query', '--since', since, '--comm', '^nod.$', '--top', '2'])) as Row[];
  assert.ok(comm.length > 0 && comm.every((r) => r['comm'] === 'node'));
});

test('query refusals exit 2 with one line: bad regex, bad owner, bad time, bad format', { skip }, async () => {
  for (const [args, re] of [
    [['--comm', '(unclosed'], /--comm "\(unclosed": not a valid regular expression/],
    [['--owner', 'pods'], /--owner "pods": expected one of pod, service, user, kernel, other/],
    [['--format', 'xml'], /--format "xml": expected one of table, json, ndjson, csv/],
    [['--top', '-3'], /--top/],
  ] as Array<[string[], RegExp]>) {
    const r = await run(['query', '--since', since, ...args]);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
  const r = await run(['query', '--since', 'last tuesday']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--since "last tuesday": not a time; expected now, today/);
});

test('query formats: csv is RFC 4180 with a header, ndjson one row a line, table fits 80 columns', { skip }, async () => {
  const csv = await run(['query', '--since', since, '--format', 'csv']);
  const lines = csv.stdout.split('\r\n');
  assert.ok(lines[0]!.startsWith('takenAt,snapshotId,snapshotKind,pid,'));
  assert.equal(lines.at(-1), '');
  const nd = await run(['query', '--since', since, '--format', 'ndjson']);
  const rows = nd.stdout.trim().split('\n').map((l) => JSON.parse(l) as Row);
  assert.equal(rows.length, lines.length - 2);
  const table = await runMain(['query', '--since', since, '--db', db.file], { columns: 80, env: { NO_COLOR: '1' } });
  const tl = table.stdout.trimEnd().split('\n');
  assert.equal(tl.length, rows.length + 1);
  assert.ok(tl.every((l) => [...l].length <= 80), tl.find((l) => [...l].length > 80));
  assert.ok(tl.some((l) => l.endsWith('…')), 'long cells are cut with …');
  assert.ok(!table.stdout.includes('\u001b'), 'no color with NO_COLOR');
  const piped = await run(['query', '--since', since]);
  assert.ok(!piped.stdout.includes('\u001b') && !piped.stdout.includes('…'), 'not a terminal: no color, nothing cut');
  const tty = await run(['query', '--since', since], 80);
  assert.ok(tty.stdout.startsWith('\u001b[1mTIME'), 'a bold header on a terminal');
});

test('culprits: the growing host service comes before the pod and is explained as a service despite its cwd', { skip }, async () => {
  const c = (await json(['culprits', '--since', since, '--top', '50'])) as {
    processes: Array<Row & { insidePods: boolean; cwds: string[]; explanation: string; peakRssBytes: number; peakAt: string; exe: string }>;
    owners: Array<{ ownerKey: string; peakRssBytes: number }>;
    atLowest: { processes: unknown[]; kubeletAvailableBytes: number } | null;
  };
  const g = c.processes.findIndex((p) => p.pid === db.growerPid);
  const pod = c.processes.findIndex((p) => p['podUid'] === db.podUid || (p['ownerKey'] as string) === `pod:${db.podUid}`);
  assert.ok(g >= 0 && pod >= 0 && g < pod, `grower #${g}, pod #${pod}`);
  const gp = c.processes[g]!;
  assert.equal(gp.insidePods, false);
  assert.ok(gp.peakRssBytes >= 200 * 1024 * 1024, `peak ${gp.peakRssBytes}`);
  assert.ok(gp.cwds.length > 1 && gp.cwds.every((d) => d.startsWith(db.volume)));
  assert.match(gp.explanation, new RegExp(`^cgroup /memrec-test-[0-9a-f-]+/system\\.slice/${db.growerUnit.replace(/\./g, '\\.')}: a host service \\(.*\\), not a pod, although its cwd was inside pod ${db.pod}'s volume`));
  assert.equal(c.processes[pod]!.insidePods, true);
  assert.match(c.processes[pod]!.explanation, /inside kubepods/);
  for (const f of ['pid', 'comm', 'exe', 'peakRssBytes', 'peakAt', 'owner', 'insidePods', 'cwds', 'explanation']) assert.ok(f in gp, f);
  assert.ok(c.owners.some((o) => o.ownerKey === `service:${db.nodeCgroup}/system.slice/${db.growerUnit}`));
  assert.ok(c.atLowest !== null && c.atLowest.processes.length > 0);
  const text = await run(['culprits', '--since', since, '--top', '50'], 100);
  assert.match(text.stdout.replace(/\n {4}/g, ' '), /although its cwd was inside pod/);
  assert.match(text.stdout, /memory.available was lowest at /);
  assert.match(text.stdout, /Largest processes when memory.available was lowest/);
});

test('timeline: json has every snapshot, the burst and the OOM kill; the chart fits its width', { skip }, async () => {
  const t = (await json(['timeline', '--since', since])) as { points: unknown[]; bursts: unknown[]; oomKills: Array<{ pid: number }> };
  assert.equal(t.points.length, db.snapshots);
  assert.equal(t.bursts.length, 1);
  assert.deepEqual(t.oomKills.map((k) => k.pid), db.oomKills.map((k) => k.pid));
  for (const width of [60, 100, 200]) {
    const r = await run(['timeline', '--since', since], width);
    const lines = r.stdout.trimEnd().split('\n');
    const chart = lines.slice(0, lines.findIndex((l) => l.startsWith('● kubelet'))); // the legend and summary lines may wrap
    assert.ok(chart.every((l) => [...l].length <= width), `width ${width}`);
    assert.ok(r.stdout.includes('●') && r.stdout.includes('━') && r.stdout.includes('▒'));
    if (db.oomKills.length > 0) assert.ok(r.stdout.includes('✖'));
  }
  const csv = await run(['timeline', '--since', since, '--format', 'csv']);
  assert.equal(csv.stdout.trim().split('\r\n').length, db.snapshots + 1);
});

test('events: recorder start/stop, burst start/end and the real OOM kill, with at, type and details', { skip }, async () => {
  const ev = (await json(['events', '--since', since])) as Array<{ at: string; type: string; details: Record<string, unknown> }>;
  const types = ev.map((e) => e.type);
  assert.deepEqual(types.filter((t) => t !== 'oom_kill' && t !== 'threshold_crossing'), ['recorder_start', 'burst_start', 'burst_end', 'recorder_stop']);
  // The recorder marks memory.available going below burst-at (just before the burst starts) and back above it.
  const crossings = ev.filter((e) => e.type === 'threshold_crossing').map((e) => `${e.details['threshold'] as string} ${e.details['direction'] as string}`);
  assert.deepEqual(crossings, ['burst-at below', 'burst-at above']);
  assert.ok(types.indexOf('threshold_crossing') < types.indexOf('burst_start'));
  assert.equal(types.filter((t) => t === 'oom_kill').length, db.oomKills.length);
  assert.ok(ev.every((e) => typeof e.at === 'string' && !Number.isNaN(Date.parse(e.at)) && typeof e.details === 'object'));
  const only = (await json(['events', '--since', since, '--type', 'burst_start,burst_end'])) as unknown[];
  assert.equal(only.length, 2);
});

test('export: 0600, no overwrite without --force, every format readable; sqlite holds only the range', { skip }, async () => {
  const html = path.join(dir, 'night.html');
  let r = await run(['export', '--since', since, '--out', html]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(statSync(html).mode & 0o777, 0o600);
  assert.match(readFileSync(html, 'utf8'), /^<!DOCTYPE html>/);
  r = await run(['export', '--since', since, '--out', html]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /night\.html: already exists; pass --force/);
  writeFileSync(html, 'old');
  r = await run(['export', '--since', since, '--out', html, '--force']);
  assert.equal(r.code, 0);
  assert.notEqual(readFileSync(html, 'utf8'), 'old');
  assert.equal(statSync(html).mode & 0o777, 0o600);

  const j = path.join(dir, 'night.json');
  assert.equal((await run(['export', '--since', since, '--out', j])).code, 0);
  const doc = JSON.parse(readFileSync(j, 'utf8')) as { culprits: { processes: Row[] }; processes: Row[]; events: unknown[] };
  assert.equal(doc.culprits.processes[0]!.pid !== undefined, true);
  assert.ok(doc.processes.some((p) => p.pid === db.growerPid));

  const nd = path.join(dir, 'night.ndjson');
  assert.equal((await run(['export', '--since', since, '--out', nd])).code, 0);
  const recs = readFileSync(nd, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { record: string }).record);
  assert.equal(recs[0], 'meta');
  for (const k of ['point', 'burst', 'culprit', 'owner', 'event', 'process']) assert.ok(recs.includes(k), k);

  const csv = path.join(dir, 'night.csv');
  assert.equal((await run(['export', '--since', since, '--out', csv])).code, 0);
  assert.ok(readFileSync(csv, 'utf8').startsWith('takenAt,'));

  // sqlite: only the second half of the range, and memrec reads it back
  const mid = Math.floor((db.since + db.until) / 2 / 1000);
  const sq = path.join(dir, 'half.db');
  assert.equal((await run(['export', '--since', `@${mid}`, '--out', sq])).code, 0);
  assert.equal(statSync(sq).mode & 0o777, 0o600);
  const all = (await json(['timeline', '--since', since])) as { points: Array<{ at: string }> };
  const back = await runMain(['timeline', '--since', since, '--db', sq, '--format', 'json']);
  const half = JSON.parse(back.stdout) as { points: Array<{ at: string }> };
  assert.ok(half.points.length > 0 && half.points.length < all.points.length, `${half.points.length} of ${all.points.length} points`);
  assert.deepEqual(half.points.map((p) => p.at), all.points.map((p) => p.at).filter((t) => Date.parse(t) >= mid * 1000));
  assert.ok(!existsSync(path.join(dir, 'nothing.html')));
  r = await run(['export', '--since', since, '--out', path.join(dir, 'no/such/dir/x.html')]);
  assert.equal(r.code, 2);
});

test('`memrec query | head -1` ends quietly with exit 0', { skip }, () => {
  const r = spawnSync('/bin/sh', ['-c', `"${process.execPath}" "${memrecBin}" query --since ${since} --db "${db.file}" --format ndjson | head -1; echo "status=$?"`], { encoding: 'utf8', env: memrecEnv() });
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /^\{.*\}\nstatus=0\n$/);
  // and the node process itself exits 0 on EPIPE (pipefail-style check)
  const r2 = spawnSync('/bin/bash', ['-c', `set -o pipefail; "${process.execPath}" "${memrecBin}" query --since ${since} --db "${db.file}" --format ndjson | head -c 10 >/dev/null`], { encoding: 'utf8', env: memrecEnv() });
  assert.equal(r2.status, 0, r2.stderr);
});

test('a missing database is one line, exit 2', async () => {
  const r = await runMain(['query', '--since', '1h', '--db', '/nonexistent/memrec.db']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^memrec query: no database at \/nonexistent\/memrec\.db/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  const c = runCli(['culprits', '--since', '2h', '--until', '3h', '--db', '/nonexistent/x.db']);
  assert.equal(c.status, 2);
  assert.match(c.stderr, /--since "2h" .* is after --until "3h"/);
});
