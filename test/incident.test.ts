// The incident end to end on the real kernel, with the same scenario as examples/incident.sh: memrec record
// watches a test node cgroup while a host service's updatedb grows with its cwd inside a pod's volume,
// amid ordinary noise: a service in the node that holds more than updatedb ever does, all along (a JVM),
// and a bigger process outside the node cgroup. culprits must name updatedb first, by what it added while
// memory.available fell, as the host service it is and not the pod; the HTML export shows it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runIncident, type Incident } from '../examples/incident/scenario.js';
import { verdict } from '../examples/incident/verdict.js';
import { Store } from '../src/store/store.js';
import { canUseMemoryCgroups, withCgroup } from './helpers/cgroup.js';
import { testIncidentOptions } from './helpers/report-db.js';
import { runMain } from './helpers/run.js';

const MiB = 1024 * 1024;

/**
 * The test incident with the noise that ranked updatedb third by peak RSS: a 240 MiB service that does not
 * grow and a 340 MiB process outside the node, both bigger than updatedb, which grows by 192 MiB.
 */
function noisyIncidentOptions(dir: string): ReturnType<typeof testIncidentOptions> {
  return { ...testIncidentOptions(dir), steadyMiB: 240, outsideMiB: 340, burstAt: '60%', walker: { growToBytes: 192 * MiB, stepBytes: 16 * MiB, stepMs: 60 } };
}

const skip = canUseMemoryCgroups() ? false : 'needs root and a writable cgroup v1 memory hierarchy';
let dir = '';
let inc: Incident;
let nodeCgroup = '';
let since = '';

before(async () => {
  if (skip) return;
  dir = mkdtempSync(path.join(tmpdir(), 'memrec-incident-'));
  await withCgroup(async (cg) => {
    nodeCgroup = cg.path;
    inc = await runIncident(cg, noisyIncidentOptions(dir));
  }, 'memrec-incident');
  // to the millisecond: the noise started just before, and must not count as started inside the range
  since = `@${(inc.since / 1000).toFixed(3)}`;
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Culprit {
  rank: number;
  pid: number;
  contributionBytes: number;
  rssAtStartBytes: number;
  rssAtLowestBytes: number | null;
  comm: string;
  ownerKind: string;
  owner: string;
  cgroup: string | null;
  insidePods: boolean;
  cwds: string[];
  cwdCount: number;
  cwdPods: string[];
  explanation: string;
  peakRssBytes: number;
  ownerKey: string;
}

test('the recorder burst on its own: memory.available went below burst-at, burst snapshots with updatedb in them, a burst_end', { skip }, () => {
  const s = Store.open(inc.db, { readonly: true });
  try {
    const range = { since: inc.since, until: inc.until };
    // other tests on this machine cause OOM kills, which start bursts too: what must be there is this node's crossing
    const crossings = s.events(range, ['threshold_crossing']).map((e) => (e.type === 'threshold_crossing' ? `${e.details.threshold} ${e.details.direction}` : ''));
    assert.ok(crossings.includes('burst-at below'), JSON.stringify(crossings));
    const starts = s.events(range, ['burst_start']);
    assert.ok(starts.length >= 1 && s.events(range, ['burst_end']).length >= 1, JSON.stringify(starts));
    const bursts = s.snapshots(range, { kinds: ['burst'] });
    assert.ok(bursts.length >= 5, `${bursts.length} burst snapshots`);
    assert.ok(bursts.every((b) => b.kubelet.cgroup === nodeCgroup && b.kubelet.capacityBytes === 1024 * 1024 * 1024));
    // updatedb is recorded in the burst while memory.available is low, but never the largest: the steady
    // service and the outside process are larger
    const low = bursts.filter((b) => b.kubelet.availableBytes <= 0.6 * 1024 * 1024 * 1024);
    const walker = s.processRows(range, { kinds: ['burst'], pid: inc.walkerPid }).filter((r) => r.comm === 'updatedb');
    const lowWalker = walker.filter((r) => low.some((b) => b.id === r.snapshotId));
    assert.ok(low.length >= 3 && lowWalker.length >= low.length / 2, `updatedb in ${lowWalker.length} of ${low.length} burst snapshots below burst-at`);
    assert.ok(walker.every((r) => r.cgroup === `${nodeCgroup}/system.slice/${inc.unit}`));
    const peak = Math.max(...walker.map((r) => r.rssBytes));
    const steady = s.processRows(range, { pid: inc.steadyPid! });
    const outside = s.processRows(range, { pid: inc.outsidePid! });
    assert.ok(steady.length > 0 && steady.every((r) => r.rssBytes > peak), `the steady service holds more than updatedb's peak ${peak}`);
    assert.ok(outside.length > 0 && outside.every((r) => r.rssBytes > peak && !r.cgroup!.startsWith(nodeCgroup)), 'the outside process too, outside the node');
  } finally {
    s.close();
  }
});

test('memrec culprits names updatedb first by its contribution to the fall, not the bigger steady service or the process outside the node', { skip }, async () => {
  const r = await runMain(['culprits', '--since', since, '--top', '50', '--db', inc.db, '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const c = JSON.parse(r.stdout) as {
    sort: string;
    scope: { nodeCgroups: string[]; all: boolean; processesLeftOut: number; ownersLeftOut: number };
    processes: Culprit[];
    owners: Array<{ ownerKey: string; contributionBytes: number }>;
    atLowest: { processes: Array<{ pid: number }>; owners: Array<{ ownerKey: string }> };
  };
  assert.equal(c.sort, 'contribution');
  const first = c.processes[0]!;
  assert.equal(first.pid, inc.walkerPid, `first is ${first.comm} (${first.pid}, ${first.cgroup}): ${JSON.stringify(c.processes.slice(0, 3).map((p) => [p.pid, p.comm, p.contributionBytes]))}`);
  assert.equal(first.comm, 'updatedb');
  assert.equal(first.ownerKind, 'service');
  assert.equal(first.owner, `service ${inc.unit}`);
  assert.equal(first.ownerKey, `service:${nodeCgroup}/system.slice/${inc.unit}`);
  assert.equal(first.cgroup, `${nodeCgroup}/system.slice/plocate-updatedb.service`);
  assert.equal(first.insidePods, false);
  // it started inside the range: it counts from 0 up to what it held when memory.available was lowest
  assert.equal(first.rssAtStartBytes, 0);
  assert.ok(first.contributionBytes >= 150 * MiB && first.contributionBytes === first.rssAtLowestBytes, `contribution ${first.contributionBytes}`);
  assert.ok(first.cwdCount > 5 && first.cwds.every((d) => d.startsWith(inc.volume)), JSON.stringify(first.cwds));
  assert.ok(first.cwds.some((d) => d.startsWith(path.join(inc.volume, 'shard-'))), 'it went down into the tree');
  assert.equal(
    first.explanation.split(':').slice(0, 2).join(':'),
    `cgroup ${nodeCgroup}/system.slice/plocate-updatedb.service: a host service (plocate-updatedb.service), not a pod, although its cwd was inside pod search/indexer-0's volume`,
  );
  assert.match(first.explanation, /no pod limit applied and eviction cannot remove it; its cwd changed \(\d+ directories seen\)/);
  // The steady service is there, below it: bigger all along, it added nothing.
  const steady = c.processes.find((p) => p.pid === inc.steadyPid)!;
  assert.ok(steady.rank > 1 && steady.peakRssBytes > first.peakRssBytes, `steady #${steady.rank}, peak ${steady.peakRssBytes}`);
  assert.ok(Math.abs(steady.contributionBytes) < 16 * MiB, `steady contribution ${steady.contributionBytes}`);
  // The pod is there too, attributed by its own cgroup.
  const pod = c.processes.findIndex((p) => p.pid === inc.podAppPid);
  assert.ok(pod > 0, `pod app at #${pod}`);
  assert.equal(c.processes[pod]!.insidePods, true);
  assert.match(c.processes[pod]!.explanation, new RegExp(`container ${inc.containerIds[0]!.slice(0, 12)} of pod search/indexer-0 \\(burstable\\): inside kubepods`));
  // The process outside the node cgroup is not the node's: left out of every list, and counted.
  assert.deepEqual(c.scope.nodeCgroups, [nodeCgroup]);
  assert.ok(c.scope.processesLeftOut >= 1 && c.scope.ownersLeftOut >= 1, JSON.stringify(c.scope));
  assert.ok(!c.processes.some((p) => p.pid === inc.outsidePid) && !c.atLowest.processes.some((p) => p.pid === inc.outsidePid));
  assert.ok(c.processes.every((p) => p.cgroup!.startsWith(`${nodeCgroup}/`)), 'only the node\'s processes');
  assert.ok(c.atLowest.processes.length > 0 && c.atLowest.processes.every((p) => c.processes.some((q) => q.pid === p.pid)));
  // Owners by the same measure, over every process: the service first, the pod after it.
  assert.equal(c.owners[0]!.ownerKey, `service:${nodeCgroup}/system.slice/${inc.unit}`);
  const podOwner = c.owners.findIndex((o) => o.ownerKey === `pod:${inc.podUid}`);
  assert.ok(podOwner > 0, `pod owner #${podOwner}`);
});

test('culprits --all keeps the process outside the node, and --sort peak ranks as before: bigger, not guiltier', { skip }, async () => {
  const all = JSON.parse((await runMain(['culprits', '--since', since, '--top', '50', '--all', '--sort', 'peak', '--db', inc.db, '--format', 'json'])).stdout) as { processes: Culprit[]; scope: { all: boolean; processesLeftOut: number } };
  assert.equal(all.scope.all, true);
  assert.equal(all.scope.processesLeftOut, 0);
  const rank = (pid: number | null): number => all.processes.findIndex((p) => p.pid === pid);
  assert.ok(rank(inc.outsidePid) >= 0 && rank(inc.outsidePid) < rank(inc.walkerPid), `outside #${rank(inc.outsidePid)}, updatedb #${rank(inc.walkerPid)}`);
  assert.ok(rank(inc.steadyPid) < rank(inc.walkerPid));
});

test('culprits as text at 80 columns: updatedb on the first row, its owner whole, every line within 80', { skip }, async () => {
  const r = await runMain(['culprits', '--since', since, '--db', inc.db], { columns: 80, env: { NO_COLOR: '1' } });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.ok(lines.every((l) => [...l].length <= 80), lines.find((l) => [...l].length > 80));
  const header = lines.findIndex((l) => /^ *# +PID +COMM +CONTRIB/.test(l));
  assert.match(lines[header + 1]!, new RegExp(`^ *1 +${inc.walkerPid} +updatedb .* service plocate-updatedb\\.service$`));
  assert.match(r.stdout.replace(/\n +/g, ' '), /outside it left out \(--all keeps them\)/);
});

test("the example's closing words come from memrec's answer: updatedb first, and a steady service would be told as what it is", { skip }, () => {
  const mine = verdict(since, inc.db, inc.walkerPid);
  assert.match(mine, new RegExp(`^updatedb \\(pid ${inc.walkerPid}\\) is the first culprit: it added \\d+ MiB while memory\\.available fell\\.\nmemrec's explanation: cgroup ${nodeCgroup}/system\\.slice/plocate-updatedb\\.service: a host service`));
  const steady = verdict(since, inc.db, inc.steadyPid!);
  assert.match(steady, new RegExp(`^node \\(pid ${inc.steadyPid}\\) is culprit #\\d+, after updatedb \\(pid ${inc.walkerPid}, service plocate-updatedb\\.service\\): it added -?\\d+ MiB`));
});

test('memrec export --format html shows updatedb in the culprits table with its explanation', { skip }, async () => {
  const out = path.join(dir, 'incident.html');
  const r = await runMain(['export', '--since', since, '--out', out, '--format', 'html', '--db', inc.db]);
  assert.equal(r.code, 0, r.stderr);
  const html = readFileSync(out, 'utf8');
  const text = (fragment: string): string =>
    fragment.replace(/<wbr>/g, '').replace(/<[^>]+>/g, ' ').replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').replace(/\s+/g, ' ');
  const why = `a host service (plocate-updatedb.service), not a pod, although its cwd was inside pod search/indexer-0's volume`;
  // The summary names it as the top culprit and says why.
  assert.match(text(/<div class="sum">[\s\S]*?<\/p>/.exec(html)?.[0] ?? ''), /top culprit updatedb \d+Mi service plocate-updatedb\.service .*Why updatedb: cgroup \S+: a host service/);
  // The culprits table: its first process row is updatedb, the row under it the explanation and the cwds.
  const table = /<table id="culprits">[\s\S]*?<\/table>/.exec(html)?.[0] ?? '';
  const [row, expl] = [...table.matchAll(/<tr class="(?:main|detail)">[\s\S]*?<\/tr>/g)].map((m) => text(m[0]));
  assert.match(row ?? '', new RegExp(`^ 1 updatedb pid ${inc.walkerPid} \\d+Mi .* service plocate-updatedb\\.service no $`), row);
  assert.ok(expl?.includes(`cgroup ${nodeCgroup}/system.slice/plocate-updatedb.service: ${why}`), expl);
  assert.match(expl ?? '', / cwd \d+ directories /);
});
