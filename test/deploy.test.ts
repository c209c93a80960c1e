// deploy/: the DaemonSet parses, validates against the Kubernetes API schemas (kubernetes-models, the
// OpenAPI schemas compiled to validators: types, formats, required fields; not unknown keys, which the
// field checks below cover) and keeps the invariants memrec relies on; the Dockerfile installs the tarball.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { PriorityClass } from 'kubernetes-models/scheduling.k8s.io/v1/PriorityClass';
import { memrecBin, repoRoot } from './helpers/paths.js';
import { runMain } from './helpers/run.js';
import { OPTIONS } from '../src/config/schema.js';
import { NODE_FLAGS } from '../src/service/unit.js';

// Kubernetes objects are checked field by field below
type Obj = Record<string, any>;

const file = path.join(repoRoot, 'deploy', 'kubernetes', 'memrec-daemonset.yaml');
const docs: Obj[] = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => {
  assert.deepEqual(d.errors, [], `${file}: ${d.errors.map((e) => e.message).join('; ')}`);
  return d.toJS() as Obj;
});
const byKind = (kind: string): Obj => {
  const found = docs.filter((d) => d['kind'] === kind);
  assert.equal(found.length, 1, `exactly one ${kind}`);
  return found[0]!;
};
const ds = byKind('DaemonSet');
const pod = ds['spec']['template']['spec'];
const containerNamed = (name: string): Obj => {
  const c = (pod['containers'] as Obj[]).find((x) => x['name'] === name);
  assert.ok(c, `a container ${name}`);
  return c;
};
const container = containerNamed('memrec');
const reader = containerNamed('reader');
const volume = (mountPath: string, c: Obj = container): { mount: Obj; volume: Obj } => {
  const mount = (c['volumeMounts'] as Obj[]).find((m) => m['mountPath'] === mountPath);
  assert.ok(mount, `a volume mounted at ${mountPath} in ${c['name']}`);
  const v = (pod['volumes'] as Obj[]).find((x) => x['name'] === mount['name']);
  assert.ok(v, `volume ${mount['name']}`);
  return { mount, volume: v };
};
const argAfter = (flag: string): string | undefined => {
  const args: string[] = container['args'];
  return args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined;
};

test('every object validates against the Kubernetes API schema', () => {
  const models = { Namespace, ServiceAccount, PriorityClass, ConfigMap, DaemonSet } as unknown as Record<string, new (o: Obj) => { validate(): void }>;
  assert.deepEqual(docs.map((d) => d['kind']).sort(), Object.keys(models).sort());
  for (const d of docs) assert.doesNotThrow(() => new models[d['kind']]!(d).validate(), `${d['kind']} ${d['metadata']['name']}`);
});

test('the schema check catches what it claims to: a quantity that is not one, a string where an integer goes', () => {
  const bad = structuredClone(ds);
  bad['spec']['template']['spec']['containers'][0]['resources']['limits']['memory'] = '160MB of RAM';
  assert.throws(() => new DaemonSet(bad).validate(), /memory must match format "quantity"/);
  const bad2 = structuredClone(ds);
  bad2['spec']['template']['spec']['containers'][0]['livenessProbe']['periodSeconds'] = '60';
  assert.throws(() => new DaemonSet(bad2).validate(), /periodSeconds must be integer/);
});

test('the namespace admits the pod: Pod Security level privileged (hostPID, hostPath, added capabilities)', () => {
  assert.equal(byKind('Namespace')['metadata']['labels']['pod-security.kubernetes.io/enforce'], 'privileged');
});

test('every object lives in the memrec namespace, and the ServiceAccount has no token', () => {
  const ns = byKind('Namespace')['metadata']['name'];
  for (const d of docs) if (!['Namespace', 'PriorityClass'].includes(d['kind'])) assert.equal(d['metadata']['namespace'], ns, d['kind']);
  assert.equal(byKind('ServiceAccount')['automountServiceAccountToken'], false);
  assert.equal(pod['automountServiceAccountToken'], false);
  assert.equal(pod['serviceAccountName'], byKind('ServiceAccount')['metadata']['name']);
});

test('it sees the host: hostPID, the host root read-only at /host, --host-root /host, /dev/kmsg', () => {
  assert.equal(pod['hostPID'], true);
  const host = volume('/host');
  assert.equal(host.mount['readOnly'], true);
  assert.equal(host.volume['hostPath']['path'], '/');
  const args: string[] = container['args'];
  assert.equal(args[0], 'record');
  assert.equal(args[args.indexOf('--host-root') + 1], '/host');
  const kmsg = volume('/dev/kmsg');
  assert.equal(kmsg.volume['hostPath']['type'], 'CharDevice');
  assert.equal(kmsg.mount['readOnly'], true);
  const data = volume('/var/lib/memrec');
  assert.equal(data.volume['hostPath']['path'], '/var/lib/memrec');
  assert.notEqual(data.mount['readOnly'], true);
});

test('every flag in the container args is a memrec record option', () => {
  const known = new Set(OPTIONS.map((o) => `--${o.name}`));
  for (const a of (container['args'] as string[]).filter((x) => x.startsWith('--'))) assert.ok(known.has(a), `unknown flag ${a}`);
});

test('least privilege: drop ALL, add only SYS_PTRACE and SYSLOG, read-only root, no escalation', () => {
  const sc = container['securityContext'];
  assert.deepEqual(sc['capabilities']['drop'], ['ALL']);
  assert.deepEqual([...sc['capabilities']['add']].sort(), ['SYSLOG', 'SYS_PTRACE']);
  assert.equal(sc['readOnlyRootFilesystem'], true);
  assert.equal(sc['allowPrivilegeEscalation'], false);
  assert.notEqual(sc['privileged'], true);
  assert.equal(sc['seccompProfile']['type'], 'RuntimeDefault');
});

test('evicted last: Guaranteed QoS (requests = limits), a high priority class, every taint tolerated', () => {
  // Guaranteed needs every container, the reader too, with cpu and memory requests equal to limits
  for (const c of pod['containers'] as Obj[]) {
    const r = c['resources'];
    assert.deepEqual(Object.keys(r['limits']).sort(), ['cpu', 'memory'], c['name']);
    assert.deepEqual(r['requests'], r['limits'], c['name']);
  }
  const pc = byKind('PriorityClass');
  assert.equal(pod['priorityClassName'], pc['metadata']['name']);
  assert.ok(pc['value'] >= 1_000_000_000, 'the highest value a user-defined class may have');
  assert.deepEqual(pod['tolerations'], [{ operator: 'Exists' }]);
});

const MiB = (q: string): number => {
  const m = /^(\d+)(Mi|Gi)$/.exec(q);
  assert.ok(m, `quantity ${q}`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
};

test("the recorder's memory limit holds its measured working set with the probe twice over (BENCHMARKS.md, Container)", () => {
  const bench = readFileSync(path.join(repoRoot, 'BENCHMARKS.md'), 'utf8');
  const probe = /^ {2}probe +peak: charge ([\d.]+) MiB, working set ([\d.]+) MiB/m.exec(bench);
  assert.ok(probe, 'BENCHMARKS.md has the container bench output');
  const limit = MiB(container['resources']['limits']['memory']);
  assert.ok(limit >= 2 * Number(probe[2]), `limit ${limit} Mi vs working set ${probe[2]} MiB`);
  assert.ok(limit >= Number(probe[1]), `limit ${limit} Mi vs charge ${probe[1]} MiB`);
});

test('the probes run `memrec status` on the recorder\'s database with the recorder\'s node and flags', () => {
  const db = argAfter('--db');
  assert.equal(db, '/var/lib/memrec/memrec.db');
  for (const kind of ['startupProbe', 'livenessProbe']) {
    const cmd: string[] = container[kind]['exec']['command'];
    assert.deepEqual(cmd, [...(container['command'] as string[]), 'status', '--db', db], kind);
    assert.deepEqual(cmd.slice(1, 1 + NODE_FLAGS.length), [...NODE_FLAGS], kind);
  }
});

test('probe timing: no restart before the recorder can be stale, room for a slow start, patience with a slow probe', () => {
  const live = container['livenessProbe'];
  const start = container['startupProbe'];
  // status turns stale only after two scheduled intervals (2 min at the default schedule): probing faster is useless
  assert.ok(live['periodSeconds'] >= 60);
  // a probe slowed by the node's thrashing must fail repeatedly before the recorder is killed
  assert.ok(live['failureThreshold'] >= 3);
  assert.ok(live['timeoutSeconds'] >= 10 && start['timeoutSeconds'] >= 10);
  assert.ok(start['periodSeconds'] * start['failureThreshold'] >= 300, 'five minutes to open, migrate and take the first snapshot');
  assert.equal(live['initialDelaySeconds'] ?? 0, 0, 'the startup probe already waits for the start');
});

test('the probe command answers 0 while the recorder records and 1 once it has stopped', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'memrec-probe-'));
  const db = path.join(dir, 'memrec.db');
  const probe = () => {
    const cmd: string[] = container['livenessProbe']['exec']['command'];
    // the image's node and bin.js are this machine's node and this build
    const args = cmd.slice(1).map((a) => (a.endsWith('/bin.js') ? memrecBin : a === '/var/lib/memrec/memrec.db' ? db : a));
    return spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 60_000 });
  };
  const cfg = path.join(dir, 'empty.yaml');
  writeFileSync(cfg, '');
  const rec = spawn(process.execPath, [memrecBin, 'record', '--db', db, '--config', cfg], { stdio: 'ignore' });
  const exited = new Promise((ok) => rec.once('exit', ok));
  try {
    const deadline = Date.now() + 60_000;
    let r = probe();
    while (r.status !== 0 && Date.now() < deadline) {
      await new Promise((ok) => setTimeout(ok, 250));
      r = probe();
    }
    assert.equal(r.status, 0, r.stdout + r.stderr);
    rec.kill('SIGTERM');
    await exited;
    const after = probe();
    assert.equal(after.status, 1, `a stopped recorder must fail the probe at once:\n${after.stdout}${after.stderr}`);
  } finally {
    rec.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('metrics flow without editing: --textfile-dir is the conventional node_exporter directory, a writable hostPath', () => {
  const dir = argAfter('--textfile-dir');
  assert.equal(dir, '/var/lib/node_exporter/textfile_collector');
  const v = volume(dir!);
  assert.deepEqual(v.volume['hostPath'], { path: dir, type: 'DirectoryOrCreate' });
  assert.notEqual(v.mount['readOnly'], true);
});

test('report commands run in the reader: the default container for exec, the database read-only, no capability', () => {
  assert.equal(ds['spec']['template']['metadata']['annotations']['kubectl.kubernetes.io/default-container'], 'reader');
  assert.equal(reader['image'], container['image']);
  const data = volume('/var/lib/memrec', reader);
  assert.equal(data.mount['readOnly'], true);
  assert.equal(data.volume['hostPath']['path'], '/var/lib/memrec');
  const sc = reader['securityContext'];
  assert.deepEqual(sc['capabilities'], { drop: ['ALL'] });
  assert.equal(sc['readOnlyRootFilesystem'], true);
  assert.equal(sc['allowPrivilegeEscalation'], false);
  assert.equal(volume('/tmp', reader).volume['emptyDir']['sizeLimit'], '256Mi');
  // its own limit, separate from the recorder's
  assert.notEqual(reader['resources'], container['resources']);
});

test("README's kubectl line reaches the memrec pod of one named node, in the reader", () => {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const ns = byKind('Namespace')['metadata']['name'];
  const [key, value] = Object.entries(ds['spec']['template']['metadata']['labels'] as Record<string, string>)[0]!;
  const line = `kubectl -n ${ns} exec "$(kubectl -n ${ns} get pod -l ${key}=${value} --field-selector spec.nodeName=node-7 -o name)" -c reader -- memrec culprits --since 02:00`;
  assert.ok(readme.includes(line), `README has: ${line}`);
  assert.ok(readFileSync(file, 'utf8').includes(line.replace('node-7', 'NODE').replace(' -c reader', '')), 'the manifest header has it too');
});

test("the ConfigMap's memrec.yaml is accepted by memrec's own config loader", async () => {
  const cm = byKind('ConfigMap');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'memrec-deploy-'));
  try {
    const f = path.join(dir, 'memrec.yaml');
    writeFileSync(f, cm['data']['memrec.yaml']);
    const mount = volume('/etc/memrec');
    assert.equal(mount.volume['configMap']['name'], cm['metadata']['name']);
    const args: string[] = container['args'];
    assert.equal(args[args.indexOf('--config') + 1], '/etc/memrec/memrec.yaml');
    const r = await runMain(['config', '--config', f, '--json']);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the Dockerfile builds from node:20-slim and installs the npm tarball globally', () => {
  const df = readFileSync(path.join(repoRoot, 'deploy', 'Dockerfile'), 'utf8');
  assert.match(df, /^FROM node:20-slim AS build$/m);
  assert.match(df, /^FROM node:20-slim$/m);
  assert.match(df, /npm install -g .*memrec-\*\.tgz/);
  const image = container['image'] as string;
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  assert.equal(image, `memrec:${pkg.version}`, 'the image tag the README tells people to build');
});
