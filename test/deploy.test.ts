// deploy/: the DaemonSet parses and keeps the invariants memrec relies on; the Dockerfile installs the tarball.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from './helpers/paths.js';
import { runMain } from './helpers/run.js';
import { OPTIONS } from '../src/config/schema.js';

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
const container = pod['containers'][0];
const volume = (mountPath: string): { mount: Obj; volume: Obj } => {
  const mount = (container['volumeMounts'] as Obj[]).find((m) => m['mountPath'] === mountPath);
  assert.ok(mount, `a volume mounted at ${mountPath}`);
  const v = (pod['volumes'] as Obj[]).find((x) => x['name'] === mount['name']);
  assert.ok(v, `volume ${mount['name']}`);
  return { mount, volume: v };
};

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
  const r = container['resources'];
  assert.ok(r['limits']['memory'], 'a memory limit');
  assert.deepEqual(r['requests'], r['limits']);
  const pc = byKind('PriorityClass');
  assert.equal(pod['priorityClassName'], pc['metadata']['name']);
  assert.ok(pc['value'] >= 1_000_000_000, 'the highest value a user-defined class may have');
  assert.deepEqual(pod['tolerations'], [{ operator: 'Exists' }]);
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
