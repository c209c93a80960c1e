// Pod and container names from the runtimes' container configs: golden configs per runtime, the cache,
// whole-node trees (containerd, Docker via cri-dockerd), broken files, and the names stored and read back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { configCandidates, NodeNames, parseContainerConfig } from '../src/sources/container-names.js';
import { defaultMigrationsDir } from '../src/store/migrations.js';
import { ownerColumns } from '../src/store/owner-columns.js';
import { Store } from '../src/store/store.js';
import { queryProcessRows, toQueryRow } from '../src/report/query.js';
import { fixture } from './helpers/paths.js';
import { runMain } from './helpers/run.js';
import { owners, processSample, snapshot } from './helpers/snapshots.js';

const DAY = 86_400_000;
const CID = '25abdbf60c02d45d7e535735cc37ff53f9eacd2d67079773ccfdbb6b57b9dafd';
const SID = 'a9051ced106ad9704449c2a1845e2f550670527d35ca166b33ea7a0a31fff007';

function tmp(t: { after: (fn: () => void) => void }, prefix = 'memrec-names-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('runtime configs: each runtime as it writes them, golden, and broken ones give one reason', () => {
  const dir = fixture('runtime-configs');
  const expected = JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as Record<string, { format: 'oci' | 'docker'; info?: unknown; error?: string }>;
  const files = readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'expected.json');
  assert.deepEqual(files.sort(), Object.keys(expected).sort(), 'every config has its expectation');
  for (const [file, want] of Object.entries(expected)) {
    const text = readFileSync(path.join(dir, file), 'utf8');
    if (want.error !== undefined) {
      const re = new RegExp(want.error);
      assert.throws(() => parseContainerConfig(text, want.format), (e: unknown) => e instanceof Error && re.test(e.message), file);
    }
    else assert.deepEqual(parseContainerConfig(text, want.format), want.info, file);
  }
});

test('where each runtime keeps a config: containerd (plain, k3s/RKE2, MicroK8s), CRI-O (run and lib), Docker; all for a bare id', () => {
  const f = (r: Parameters<typeof configCandidates>[1]) => configCandidates(CID, r).map((c) => c.file);
  assert.deepEqual(f('containerd'), [
    `/run/containerd/io.containerd.runtime.v2.task/k8s.io/${CID}/config.json`,
    `/run/k3s/containerd/io.containerd.runtime.v2.task/k8s.io/${CID}/config.json`,
    `/var/snap/microk8s/common/run/containerd/io.containerd.runtime.v2.task/k8s.io/${CID}/config.json`,
  ]);
  assert.deepEqual(f('crio-conmon'), [`/run/containers/storage/overlay-containers/${CID}/userdata/config.json`, `/var/lib/containers/storage/overlay-containers/${CID}/userdata/config.json`]);
  assert.deepEqual(f('docker'), [`/var/lib/docker/containers/${CID}/config.v2.json`]);
  assert.equal(f('unknown').length, 6);
});

function placeConfig(root: string, hostFile: string, source: string): string {
  const file = path.join(root, hostFile);
  mkdirSync(path.dirname(file), { recursive: true });
  cpSync(source, file);
  return file;
}

test('NodeNames reads a config once, keeps it while the id is seen, forgets it when gone, retries a missing one later', (t) => {
  const root = tmp(t);
  const [where] = configCandidates(CID, 'containerd');
  const file = placeConfig(root, where!.file, fixture('runtime-configs', 'containerd-container.json'));
  const names = new NodeNames(root);
  names.begin(1000);
  assert.equal(names.container(CID, 'containerd')?.name, 'checkout');
  assert.deepEqual(names.end(), []);
  // a container's name never changes: the file is not read again while the id is seen
  writeFileSync(file, '{"annotations": {"io.kubernetes.cri.container-name": "changed"}}');
  names.begin(2000);
  assert.equal(names.container(CID, 'containerd')?.name, 'checkout');
  names.end();
  // a round without it: the container is gone, its entry too
  names.begin(3000);
  names.end();
  assert.equal(names.size, 0);
  names.begin(4000);
  assert.equal(names.container(CID, 'containerd')?.name, 'changed');
  names.end();
  // a missing config is looked for again only after a while, not on every snapshot
  const other = 'b'.repeat(64);
  names.begin(5000);
  assert.equal(names.container(other, 'containerd'), null);
  names.end();
  placeConfig(root, configCandidates(other, 'containerd')[0]!.file, fixture('runtime-configs', 'containerd-sandbox.json'));
  names.begin(6000);
  assert.equal(names.container(other, 'containerd'), null, 'not retried 1 s later');
  names.end();
  names.begin(5000 + 61_000);
  assert.equal(names.container(other, 'containerd')?.type, 'sandbox');
  names.end();
  // ids that are not hex never become paths
  names.begin(70_000);
  assert.equal(names.container('../../etc', 'containerd'), null);
  assert.deepEqual(names.end(), []);
});

test('NodeNames: a truncated config, a FIFO and a huge file are one warning each, once per retry, and never hang', (t) => {
  const root = tmp(t);
  const ids = ['1'.repeat(64), '2'.repeat(64), '3'.repeat(64)];
  placeConfig(root, configCandidates(ids[0]!, 'crio')[0]!.file, fixture('runtime-configs', 'broken-truncated.json'));
  const fifo = path.join(root, configCandidates(ids[1]!, 'crio')[0]!.file);
  mkdirSync(path.dirname(fifo), { recursive: true });
  execFileSync('mkfifo', [fifo]);
  const huge = path.join(root, configCandidates(ids[2]!, 'crio')[0]!.file);
  mkdirSync(path.dirname(huge), { recursive: true });
  writeFileSync(huge, `{"annotations": {"x": "${'x'.repeat(5 * 2 ** 20)}"}}`);
  const names = new NodeNames(root);
  names.begin(0);
  for (const id of ids) assert.equal(names.container(id, 'crio'), null);
  const w = names.end();
  assert.equal(w.length, 3, w.join('\n'));
  assert.match(w[0]!, /^container 111111111111: \/run\/containers\/storage\/overlay-containers\/1{64}\/userdata\/config\.json: not JSON \(.*\); its name is unknown$/);
  assert.match(w[1]!, /^container 222222222222: \/run\/containers\/storage\/.*: not a regular file; its name is unknown$/);
  assert.match(w[2]!, /^container 333333333333: .*: larger than memrec reads; its name is unknown$/);
  names.begin(1000);
  for (const id of ids) names.container(id, 'crio');
  assert.deepEqual(names.end(), [], 'not warned again before the retry');
});

test('the v2 containerd tree: container names from the bundles, a pod without /var/log/pods still named, sandboxes as such', async () => {
  const dir = fixture('v2-systemd-containerd');
  const r = await runMain(['snapshot', '--json', '--no-store', '--host-root', dir], { now: 1_710_000_000_000 + 3 * DAY });
  assert.equal(r.stderr, '');
  const snap = JSON.parse(r.stdout) as { processes: Array<{ pid: number; owner: Record<string, unknown> }>; owners: Array<{ key: string; owner: Record<string, unknown>; label: string }> };
  const byPid = new Map(snap.processes.map((p) => [p.pid, p.owner]));
  assert.deepEqual(byPid.get(1560), { ...byPid.get(1560), namespace: 'default', podName: 'web-7d9f8b6c5-abcde', container: 'web', containerType: 'container' });
  assert.deepEqual(byPid.get(1520), { ...byPid.get(1520), namespace: 'default', podName: 'web-7d9f8b6c5-abcde', container: null, containerType: 'sandbox' });
  // batch/report has no /var/log/pods directory in this tree: its names come from containerd alone
  assert.deepEqual(byPid.get(1700), { ...byPid.get(1700), namespace: 'batch', podName: 'report-28374652-xk2p9', container: 'report', containerType: 'container' });
  const batch = snap.owners.find((o) => o.key === 'pod:7b7e9c1a-2d3f-4e5a-8b9c-0d1e2f3a4b5c')!;
  assert.equal(batch.label, 'pod batch/report-28374652-xk2p9 (guaranteed)', 'a pod aggregate names the pod, not one container');
  assert.equal(batch.owner.container, null);
  const text = await runMain(['snapshot', '--no-store', '--host-root', dir], { now: 1_710_000_000_000 + 3 * DAY, columns: 200 });
  assert.match(text.stdout, /^1700 +1000 +2\.79Gi .* pod batch\/report-28374652-xk2p9 \(guaranteed\), container report +python3/m);
  assert.match(text.stdout, /^1520 +65535 .* pod default\/web-7d9f8b6c5-abcde \(burstable\), sandbox +\/pause$/m);
});

test('Docker via cri-dockerd on the cgroupfs driver: a bare container id is looked up in every runtime, found in config.v2.json labels', async (t) => {
  const root = tmp(t);
  cpSync(fixture('v1-cgroupfs'), root, { recursive: true, verbatimSymlinks: true });
  rmSync(path.join(root, 'var/log/pods'), { recursive: true });
  const checkout = '25abdbf60c02d45d7e535735cc37ff53f9eacd2d67079773ccfdbb6b57b9dafd';
  placeConfig(root, `/var/lib/docker/containers/${checkout}/config.v2.json`, fixture('runtime-configs', 'docker-container.config.v2.json'));
  placeConfig(root, `/var/lib/docker/containers/${SID}/config.v2.json`, fixture('runtime-configs', 'docker-sandbox.config.v2.json'));
  const r = await runMain(['snapshot', '--json', '--no-store', '--host-root', root], { now: 1_700_000_000_000 + 3 * DAY });
  assert.equal(r.stderr, '');
  const snap = JSON.parse(r.stdout) as { processes: Array<{ pid: number; owner: Record<string, unknown> }> };
  const owner = (pid: number) => snap.processes.find((p) => p.pid === pid)!.owner;
  assert.deepEqual(owner(2140), { ...owner(2140), runtime: 'unknown', namespace: 'shop', podName: 'checkout-7d9f8b6c5-x2x9k', container: 'checkout', containerType: 'container' });
  assert.deepEqual(owner(2101), { ...owner(2101), namespace: 'shop', podName: 'checkout-7d9f8b6c5-x2x9k', container: null, containerType: 'sandbox' });
  // no config and no /var/log/pods: the UID is all there is
  assert.deepEqual(owner(2310), { ...owner(2310), namespace: null, podName: null, container: null, containerType: null });
});

test('a truncated config or one without names: a warning naming the file, the pod still named from /var/log/pods', async (t) => {
  const root = tmp(t);
  cpSync(fixture('v2-systemd-containerd'), root, { recursive: true, verbatimSymlinks: true });
  const bundles = path.join(root, 'run/containerd/io.containerd.runtime.v2.task/k8s.io');
  const web = 'e967de5a9ebd65066d16d971d2745648dc0731e94813dac6a8f1b017866a7f6e';
  const etcd = '37d985ad6b596b29a6a803d0419e7a1e57ca54b8a7bd3d5ba1f59b4f62576df4';
  const text = readFileSync(path.join(bundles, web, 'config.json'), 'utf8');
  writeFileSync(path.join(bundles, web, 'config.json'), text.slice(0, text.length / 2));
  cpSync(fixture('runtime-configs', 'containerd-1.3-container.json'), path.join(bundles, etcd, 'config.json'));
  const r = await runMain(['snapshot', '--json', '--no-store', '--host-root', root], { now: 1_710_000_000_000 + 3 * DAY });
  assert.equal(r.code, 0);
  assert.match(r.stderr, new RegExp(`^memrec snapshot: warning: container e967de5a9ebd: /run/containerd/io\\.containerd\\.runtime\\.v2\\.task/k8s\\.io/${web}/config\\.json: not JSON \\([^\\n]*\\); its name is unknown\\n$`));
  const snap = JSON.parse(r.stdout) as { processes: Array<{ pid: number; owner: Record<string, unknown> }> };
  const owner = (pid: number) => snap.processes.find((p) => p.pid === pid)!.owner;
  assert.deepEqual(owner(1560), { ...owner(1560), namespace: 'default', podName: 'web-7d9f8b6c5-abcde', container: null, containerType: null });
  assert.deepEqual(owner(1610), { ...owner(1610), namespace: 'kube-system', podName: 'etcd-node1', container: null, containerType: 'container' });
});

test('stored and read back: query rows carry container and containerType; a database from before the columns keeps its owner rows', (t) => {
  const dir = tmp(t);
  // the migrations a memrec before this one shipped: those sorted before *_owner_container.sql
  const all = readdirSync(defaultMigrationsDir()).filter((f) => f.endsWith('.sql')).sort();
  const mine = all.findIndex((f) => f.endsWith('_owner_container.sql'));
  assert.ok(mine > 0);
  const old = path.join(dir, 'migrations-old');
  mkdirSync(old);
  for (const f of all.slice(0, mine)) cpSync(path.join(defaultMigrationsDir(), f), path.join(old, f));
  const file = path.join(dir, 'memrec.db');
  Store.open(file, { migrationsDir: old }).close();
  // an owner row as that memrec wrote it: no container columns
  const legacy = { ...owners.podContainer, container: null, containerType: null };
  const c = ownerColumns(legacy, null);
  const raw = new Database(file);
  raw.prepare('INSERT INTO owners (ident, key, kind, pod_uid, qos, container_id, runtime, namespace, pod_name, unit, user_uid, session, cgroup) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
    c.ident, c.key, c.kind, c.pod_uid, c.qos, c.container_id, c.runtime, c.namespace, c.pod_name, c.unit, c.user_uid, c.session, c.cgroup,
  );
  const legacyId = raw.prepare('SELECT id FROM owners').pluck().get();
  raw.close();
  const s = Store.open(file);
  s.writeSnapshot(snapshot(2000, { processes: [processSample(100, 60, owners.podContainer), processSample(101, 5, legacy), processSample(102, 1, owners.podCrio)] }));
  s.close();
  const db = new Database(file, { readonly: true });
  assert.deepEqual(db.prepare('SELECT container, container_type FROM owners WHERE id = ?').raw().get(legacyId), [null, null]);
  assert.equal(db.prepare('SELECT count(*) FROM owners WHERE ident = ?').pluck().get(c.ident), 1, 'the old row is found again, not duplicated');
  db.close();
  const ro = Store.open(file, { readonly: true });
  const rows = queryProcessRows(ro, { since: 0, until: 10_000 }, {}).map(toQueryRow);
  ro.close();
  const of = (pid: number) => rows.find((r) => r.pid === pid)!;
  assert.deepEqual([of(100).container, of(100).containerType, of(100).owner], ['runner', 'container', 'pod ci/build-runner-7d9f (burstable), container runner']);
  assert.deepEqual([of(101).podName, of(101).container, of(101).containerType], ['build-runner-7d9f', null, null]);
  assert.deepEqual([of(102).container, of(102).containerType, of(102).owner], [null, 'sandbox', 'pod default/web (besteffort), sandbox']);
});

test('at 80 columns the long pod-and-container owner gives way so the command line stays visible', async () => {
  const r = await runMain(['snapshot', '--no-store', '--top', '3', '--host-root', fixture('v2-systemd-crio')], { now: 1_718_000_000_000 + 3 * DAY, columns: 80 });
  const rows = r.stdout.split('\n').slice(r.stdout.split('\n').findIndex((l) => l.startsWith('Top ')) + 1).slice(0, 4);
  for (const l of rows) assert.ok(l.length <= 80, l);
  assert.match(rows[0]!, /OWNER +COMMAND$/);
  assert.match(rows[1]!, /^1822 .* pod shop\/cart-5f7b9\S*…  java -XX:MaxRAM\S*…$/);
});
