import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { kubeletMemoryThresholds, type EvictionMaps, type Sourced } from '../src/model/thresholds.js';
import { discoverThresholds, kubeletFlags } from '../src/sources/kubelet.js';
import { resolveRoots } from '../src/sources/roots.js';
import { fixture } from './helpers/paths.js';

const cap = 8 * 2 ** 30;
const m = (entries: Record<string, string>, origin = 'cfg evictionHard'): Map<string, Sourced> =>
  new Map(Object.entries(entries).map(([k, v]) => [k, { value: v, source: 'kubelet-config', origin }]));

test('kubelet semantics: default only when evictionHard is unset; a map without memory.available means none', () => {
  const base: EvictionMaps = { hard: null, soft: null, grace: null, mergeDefaults: false, hardOrigin: 'kubelet default' };
  assert.deepEqual(kubeletMemoryThresholds(base, cap).hard, { raw: '100Mi', bytes: 104857600, source: 'kubelet-default', origin: 'kubelet default (evictionHard not set)' });
  const noMem = kubeletMemoryThresholds({ ...base, hard: m({ 'nodefs.available': '10%' }), hardOrigin: 'cfg evictionHard' }, cap);
  assert.equal(noMem.hard.bytes, 0);
  assert.equal(noMem.hard.source, 'kubelet-config');
  assert.match(noMem.hard.origin, /cfg evictionHard sets no memory.available: the kubelet has no hard memory threshold/);
  const merged = kubeletMemoryThresholds({ ...base, hard: m({ 'nodefs.available': '10%' }), mergeDefaults: true }, cap);
  assert.equal(merged.hard.bytes, 104857600);
  assert.equal(merged.hard.source, 'kubelet-default');
  const soft = kubeletMemoryThresholds({ ...base, soft: m({ 'memory.available': '10%' }, 's'), grace: m({ 'memory.available': '1m' }, 'g') }, cap).soft;
  assert.deepEqual(soft, { raw: '10%', bytes: Math.trunc(cap * Math.fround(Math.fround(10) / 100)), source: 'kubelet-config', origin: 's', gracePeriod: '1m' });
});

test('kubeletFlags reads --flag=v and --flag v, _ as -, repeats, and stops at --', () => {
  const f = kubeletFlags(['--eviction_hard', 'memory.available<1Gi', '--v=2', '--eviction-hard=nodefs.available<5%', '--config=/a', '--config', '/b', '--', '--eviction-soft=x']);
  assert.deepEqual(f.get('eviction-hard'), ['memory.available<1Gi', 'nodefs.available<5%']);
  assert.deepEqual(f.get('config'), ['/a', '/b']);
  assert.equal(f.get('eviction-soft'), undefined);
});

function tmpTree(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'memrec-kubelet-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function fakeKubelet(root: string, pid: number, argv: string[], opts: { cgroup?: string; cwd?: string } = {}): void {
  const d = path.join(root, 'proc', String(pid));
  mkdirSync(d, { recursive: true });
  writeFileSync(path.join(d, 'comm'), 'kubelet\n');
  writeFileSync(path.join(d, 'cmdline'), argv.join('\0') + '\0');
  writeFileSync(path.join(d, 'cgroup'), opts.cgroup ?? '0::/system.slice/kubelet.service\n');
  symlinkSync(opts.cwd ?? '/', path.join(d, 'cwd'));
}

test('no kubelet process: kubeadm-flags.env and config.yaml give the same thresholds as the running kubelet', (t) => {
  const root = tmpTree(t);
  cpSync(fixture('hybrid-systemd'), root, { recursive: true, verbatimSymlinks: true });
  rmSync(path.join(root, 'proc', '1034'), { recursive: true });
  const d = discoverThresholds(resolveRoots({ hostRoot: root }), cap);
  assert.equal(d.kubeletPid, null);
  assert.equal(d.thresholds.hard.raw, '750Mi');
  assert.equal(d.thresholds.hard.source, 'kubelet-flag');
  assert.equal(d.thresholds.hard.origin, '/var/lib/kubelet/kubeadm-flags.env KUBELET_KUBEADM_ARGS --eviction-hard');
  assert.equal(d.thresholds.soft?.raw, '1Gi');
  assert.equal(d.thresholds.soft?.origin, '/var/lib/kubelet/config.yaml evictionSoft');
  assert.match(d.warnings.join('\n'), /no kubelet process under .*; thresholds from kubeadm's files/);
});

test('a config without evictionHard, drop-ins merged key by key in lexical order, flag beats both', (t) => {
  const root = tmpTree(t);
  mkdirSync(path.join(root, 'etc/k/conf.d/sub'), { recursive: true });
  writeFileSync(path.join(root, 'etc/k/config.yaml'), 'kind: KubeletConfiguration\nevictionSoft:\n  memory.available: 2Gi\n');
  writeFileSync(path.join(root, 'etc/k/conf.d/20-b.conf'), 'evictionHard:\n  nodefs.available: 5%\n');
  writeFileSync(path.join(root, 'etc/k/conf.d/10-a.conf'), '{"evictionHard": {"memory.available": "300Mi"}}');
  writeFileSync(path.join(root, 'etc/k/conf.d/sub/30-c.conf'), 'evictionSoft:\n  memory.available: 3Gi\n');
  writeFileSync(path.join(root, 'etc/k/conf.d/99-z.yaml'), 'evictionHard: {memory.available: 9Gi}\n');
  // relative --config resolves against the kubelet's cwd
  fakeKubelet(root, 77, ['/usr/bin/kubelet', '--config=config.yaml', '--config-dir', '/etc/k/conf.d'], { cwd: '/etc/k' });
  let d = discoverThresholds(resolveRoots({ hostRoot: root }), cap);
  assert.deepEqual(d.warnings, []);
  assert.equal(d.thresholds.hard.raw, '300Mi');
  assert.equal(d.thresholds.hard.origin, '/etc/k/conf.d/10-a.conf evictionHard');
  assert.equal(d.thresholds.soft?.raw, '3Gi');
  assert.equal(d.thresholds.soft?.origin, '/etc/k/conf.d/sub/30-c.conf evictionSoft');

  fakeKubelet(root, 78, ['/usr/bin/kubelet', '--config=/etc/k/config.yaml', '--eviction-hard=memory.available<1Gi', '--eviction-soft=nodefs.available<20%'], { cgroup: '0::/nested/node2/kubelet\n' });
  d = discoverThresholds(resolveRoots({ hostRoot: root }), cap, {}, { memoryCgroup: '/nested/node2' });
  assert.equal(d.kubeletPid, 78);
  assert.deepEqual(d.warnings, []);
  assert.equal(d.thresholds.hard.raw, '1Gi');
  // the soft flag replaces the whole map: no memory.available soft threshold any more
  assert.equal(d.thresholds.soft, null);

  d = discoverThresholds(resolveRoots({ hostRoot: root }), cap);
  assert.equal(d.kubeletPid, 77);
  assert.match(d.warnings.join('\n'), /several kubelet processes \(pids 77, 78\); using 77; pass --memory-cgroup/);
});

test('memrec overrides win and carry their source; a bad override names its origin', (t) => {
  const roots = resolveRoots({ hostRoot: fixture('v1-cgroupfs') });
  const d = discoverThresholds(roots, cap, { hard: '10%', soft: '2Gi', origin: '/etc/memrec/config.yaml thresholds', source: 'memrec-config' });
  assert.deepEqual(d.thresholds.hard, { raw: '10%', bytes: Math.trunc(cap * Math.fround(0.1)), source: 'memrec-config', origin: '/etc/memrec/config.yaml thresholds (hard)' });
  assert.equal(d.thresholds.soft?.origin, '/etc/memrec/config.yaml thresholds (soft)');
  assert.equal(d.thresholds.soft?.gracePeriod, undefined);
  assert.equal(discoverThresholds(roots, cap, { hard: '1Gi' }).thresholds.hard.origin, 'memrec --hard');
  assert.throws(() => discoverThresholds(roots, cap, { soft: 'lots', origin: '/etc/memrec/config.yaml' }), /^InputError: \/etc\/memrec\/config.yaml \(soft\): "lots": not a quantity/);
  void t;
});
