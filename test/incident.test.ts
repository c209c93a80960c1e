// The incident end to end on the real kernel, with the same scenario as examples/incident.sh: memrec record
// watches a test node cgroup while a host service's updatedb grows with its cwd inside a pod's volume.
// culprits must name updatedb first, as the host service it is and not the pod; the HTML export shows it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runIncident, type Incident } from '../examples/incident/scenario.js';
import { Store } from '../src/store/store.js';
import { canUseMemoryCgroups, withCgroup } from './helpers/cgroup.js';
import { testIncidentOptions } from './helpers/report-db.js';
import { runMain } from './helpers/run.js';

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
    inc = await runIncident(cg, testIncidentOptions(dir));
  }, 'memrec-incident');
  since = `@${Math.floor(inc.since / 1000)}`;
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Culprit {
  pid: number;
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

test('the recorder burst on its own: a burst_start below burst-at, burst snapshots with updatedb on top, a burst_end', { skip }, () => {
  const s = Store.open(inc.db, { readonly: true });
  try {
    const range = { since: inc.since, until: inc.until };
    const starts = s.events(range, ['burst_start']);
    assert.equal(starts.length, 1, JSON.stringify(starts));
    assert.match(starts[0]!.type === 'burst_start' ? starts[0]!.details.reason : '', /^memory\.available .* <= /);
    assert.equal(s.events(range, ['burst_end']).length, 1);
    const bursts = s.snapshots(range, { kinds: ['burst'] });
    assert.ok(bursts.length >= 5, `${bursts.length} burst snapshots`);
    assert.ok(bursts.every((b) => b.kubelet.cgroup === nodeCgroup && b.kubelet.capacityBytes === 1024 * 1024 * 1024));
    const top = s.processRows(range, { kinds: ['burst'], topPerSnapshot: 1 });
    const walkerTop = top.filter((r) => r.pid === inc.walkerPid);
    assert.ok(walkerTop.length >= bursts.length / 2, `updatedb on top in ${walkerTop.length} of ${bursts.length} burst snapshots`);
    assert.ok(walkerTop.every((r) => r.comm === 'updatedb' && r.cgroup === `${nodeCgroup}/system.slice/${inc.unit}`));
  } finally {
    s.close();
  }
});

test('memrec culprits names updatedb first: a host service, not the pod whose volume its cwd walked', { skip }, async () => {
  const r = await runMain(['culprits', '--since', since, '--top', '50', '--db', inc.db, '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const c = JSON.parse(r.stdout) as { processes: Culprit[]; owners: Array<{ ownerKey: string }> };
  const first = c.processes[0]!;
  assert.equal(first.pid, inc.walkerPid, `first is ${first.comm} (${first.pid}, ${first.cgroup})`);
  assert.equal(first.comm, 'updatedb');
  assert.equal(first.ownerKind, 'service');
  assert.equal(first.owner, `service ${inc.unit}`);
  assert.equal(first.cgroup, `${nodeCgroup}/system.slice/plocate-updatedb.service`);
  assert.equal(first.insidePods, false);
  assert.ok(first.peakRssBytes >= 480 * 1024 * 1024, `peak ${first.peakRssBytes}`);
  assert.ok(first.cwdCount > 5 && first.cwds.every((d) => d.startsWith(inc.volume)), JSON.stringify(first.cwds));
  assert.ok(first.cwds.some((d) => d.startsWith(path.join(inc.volume, 'shard-'))), 'it went down into the tree');
  assert.equal(
    first.explanation.split(':').slice(0, 2).join(':'),
    `cgroup ${nodeCgroup}/system.slice/plocate-updatedb.service: a host service (plocate-updatedb.service), not a pod, although its cwd was inside pod search/indexer-0's volume`,
  );
  assert.match(first.explanation, /no pod limit applied and eviction cannot remove it; its cwd changed \(\d+ directories seen\)/);
  // The pod is there too, below it, attributed by its own cgroup.
  const pod = c.processes.findIndex((p) => p.pid === inc.podAppPid);
  assert.ok(pod > 0, `pod app at #${pod}`);
  assert.equal(c.processes[pod]!.insidePods, true);
  assert.match(c.processes[pod]!.explanation, new RegExp(`container ${inc.containerIds[0]!.slice(0, 12)} of pod search/indexer-0 \\(burstable\\): inside kubepods`));
  // Owners of this whole machine are ranked too; of the node cgroup's two, the service comes first.
  const service = c.owners.findIndex((o) => o.ownerKey === `service:${inc.unit}`);
  const podOwner = c.owners.findIndex((o) => o.ownerKey === `pod:${inc.podUid}`);
  assert.ok(service >= 0 && podOwner > service, `service owner #${service}, pod owner #${podOwner}`);
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
