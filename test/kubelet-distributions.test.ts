// Kubelets that are not a plain `kubelet` process, and nodes whose kubelet is not visible: k3s, RKE2,
// MicroK8s, EKS, AKS, GKE and kind fixture trees; the pieces that rebuild their command lines; the version
// that picks the cgroup v2 root formula.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { kubeletSignal } from '../src/model/kubelet-available.js';
import type { MemInfo, MemoryCgroupRaw } from '../src/model/types.js';
import { k3sGetArgs, parseKubeliteArgs } from '../src/sources/kubelet-args.js';
import { discoverThresholds } from '../src/sources/kubelet.js';
import { splitProcessArgs } from '../src/sources/kubelet-process.js';
import { dpkgVersion, goBuildInfo, parseKubeVersion, versionFromBuildInfo } from '../src/sources/kubelet-version.js';
import { resolveRoots } from '../src/sources/roots.js';
import { readExecStart, splitExecStart } from '../src/sources/systemd-unit.js';
import { fixture, KIND_NODE } from './helpers/paths.js';
import { runMain } from './helpers/run.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;

function copy(t: { after: (fn: () => void) => void }, tree: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'memrec-distro-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(fixture(tree), dir, { recursive: true, verbatimSymlinks: true });
  return dir;
}

const discover = (root: string, opts: { memoryCgroup?: string } = {}) => discoverThresholds(resolveRoots({ hostRoot: root }), 8 * GiB, {}, opts);

const trees: Array<{ tree: string; args?: string[] }> = [
  { tree: 'k3s' },
  { tree: 'k3s-legacy' },
  { tree: 'rke2' },
  { tree: 'microk8s' },
  { tree: 'eks' },
  { tree: 'aks' },
  { tree: 'gke' },
  { tree: 'v2-systemd-crio' },
  { tree: 'v2-kind-nested', args: ['--memory-cgroup', KIND_NODE] },
];

for (const { tree, args = [] } of trees) {
  test(`memory --json on ${tree} equals expected-memory.json`, async () => {
    const r = await runMain(['memory', '--json', '--host-root', fixture(tree), ...args]);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.stdout), JSON.parse(readFileSync(fixture(tree, 'expected-memory.json'), 'utf8')));
  });
}

test('the goldens hold the formulas and thresholds worked out by hand from each tree', () => {
  const g = (tree: string) => JSON.parse(readFileSync(fixture(tree, 'expected-memory.json'), 'utf8'));
  // kubelet 1.28 on v2 (dpkg): (MemTotal − MemFree) − inactive_file
  const crio = g('v2-systemd-crio');
  assert.equal(crio.kubelet.formula, 'v2-memtotal-minus-memfree-minus-inactive-file');
  assert.equal(crio.kubelet.availableBytes, 8139868 * 1024 - ((8139868 - 1310720) * 1024 - 1476395008));
  assert.deepEqual([crio.kubeletInfo.version, crio.kubeletInfo.versionSource], ['1.28.6-1.1', '/var/lib/dpkg/status (package kubelet)']);
  assert.equal(crio.thresholds.hardBytes, 200 * MiB);
  // k3s 1.27 (build info): the old formula too, and no hard memory threshold (k3s' default flag)
  const legacy = g('k3s-legacy');
  assert.equal(legacy.kubelet.formula, 'v2-memtotal-minus-memfree-minus-inactive-file');
  assert.equal(legacy.kubelet.usageBytes, (8129764 - 1402112) * 1024);
  assert.equal(legacy.thresholds.hardBytes, 0);
  assert.match(legacy.thresholds.hardOrigin, /^k3s pid 812: k3s' default kubelet flag eviction-hard sets no memory\.available/);
  // k3s 1.30: anon + file; the command line's kubelet-arg beats config.yaml's and the drop-in's
  const k3s = g('k3s');
  assert.equal(k3s.kubelet.formula, 'v2-anon-plus-file-minus-inactive-file');
  assert.equal(k3s.kubelet.usageBytes, 3221225472 + 2796552192);
  assert.deepEqual([k3s.thresholds.hardRaw, k3s.thresholds.hardOrigin], ['500Mi', 'k3s pid 812: /etc/systemd/system/k3s.service ExecStart --kubelet-arg eviction-hard']);
  assert.deepEqual([k3s.thresholds.softRaw, k3s.thresholds.softGracePeriod], ['1Gi', '1m30s']);
  assert.deepEqual(k3s.kubeletInfo, { pid: 812, host: 'k3s', distribution: 'k3s', version: 'v1.30.4', versionSource: 'k3s binary, Go build info (module k8s.io/kubernetes)' });
  // MicroK8s: the later of two --eviction-hard lines wins key by key
  const mk = g('microk8s');
  assert.deepEqual([mk.thresholds.hardRaw, mk.thresholds.softRaw, mk.thresholds.softGracePeriod], ['512Mi', '1Gi', '2m']);
  assert.deepEqual([mk.kubeletInfo.host, mk.kubeletInfo.version], ['kubelite', 'v1.29.4']);
  // RKE2: a kubelet process; nothing sets memory.available: the kubelet default
  const rke2 = g('rke2');
  assert.deepEqual([rke2.thresholds.hardRaw, rke2.thresholds.source, rke2.kubeletInfo.pid, rke2.kubeletInfo.distribution, rke2.kubeletInfo.version], ['100Mi', 'kubelet-default', 1291, 'RKE2', 'v1.29.6-rke2r1']);
  // kind: the node's cgroup, its kubepods below kubelet.slice, no hard memory threshold, its own config file
  const kind = g('v2-kind-nested');
  assert.equal(kind.kubelet.cgroup, KIND_NODE);
  assert.equal(kind.kubelet.availableBytes, 32651948 * 1024 - (3758096384 - 805306368));
  assert.equal(kind.allocatable.cgroup, `${KIND_NODE}/kubelet.slice/kubelet-kubepods.slice`);
  assert.equal(kind.thresholds.hardBytes, 0);
  assert.deepEqual([kind.kubeletInfo.pid, kind.kubeletInfo.distribution, kind.kubeletInfo.version], [3120, 'kind', 'v1.29.2']);
  assert.equal(g('eks').thresholds.hardOrigin, '/etc/kubernetes/kubelet/kubelet-config.json evictionHard');
  assert.equal(g('aks').thresholds.hardOrigin, 'kubelet pid 2410 (AKS) --eviction-hard');
  assert.equal(g('gke').kubeletInfo.distribution, 'GKE');
});

test('k3s without its process visible: the unit and config files stand in, with a warning', (t) => {
  const root = copy(t, 'k3s');
  rmSync(path.join(root, 'proc/812'), { recursive: true });
  const d = discover(root);
  assert.equal(d.kubeletPid, null);
  assert.deepEqual([d.thresholds.hard.raw, d.thresholds.hard.origin], ['500Mi', 'k3s (no process): /etc/systemd/system/k3s.service ExecStart --kubelet-arg eviction-hard']);
  assert.equal(d.thresholds.soft?.gracePeriod, '1m30s');
  assert.match(d.warnings.join('\n'), /no kubelet process under .*; thresholds from k3s's files/);
});

test('k3s showing its flags (no title set): both --kubelet-arg forms; K3S_CONFIG_FILE moves the config', (t) => {
  const root = copy(t, 'k3s');
  const argv = ['/usr/local/bin/k3s', 'server', '--kubelet-arg=eviction-hard=memory.available<600Mi', '--kubelet-arg', 'eviction-soft=memory.available<2Gi'];
  writeFileSync(path.join(root, 'proc/812/cmdline'), argv.join('\0') + '\0');
  writeFileSync(path.join(root, 'proc/812/environ'), 'K3S_CONFIG_FILE=/etc/k3s-alt.yaml\0K3S_TOKEN=secret\0');
  writeFileSync(path.join(root, 'etc/k3s-alt.yaml'), 'kubelet-arg: ["eviction-soft-grace-period=memory.available=45s"]\n');
  const d = discover(root);
  assert.deepEqual([d.thresholds.hard.raw, d.thresholds.hard.origin], ['600Mi', 'k3s pid 812 --kubelet-arg eviction-hard']);
  assert.equal(d.thresholds.soft?.raw, '2Gi');
  // config.yaml is not read: its 1m30s grace period is not there; the alternative file's is
  assert.equal(d.thresholds.soft?.gracePeriod, '45s');
  assert.deepEqual(d.warnings, []);
});

test('old k3s: eviction-hard+= keeps k3s default flag and adds memory.available; a unit drop-in replaces ExecStart', (t) => {
  const root = copy(t, 'k3s-legacy');
  mkdirSync(path.join(root, 'etc/systemd/system/k3s.service.d'));
  writeFileSync(path.join(root, 'etc/systemd/system/k3s.service.d/10-memory.conf'), "[Service]\nExecStart=\nExecStart=/usr/local/bin/k3s server '--kubelet-arg=eviction-hard+=memory.available<750Mi'\n");
  const d = discover(root);
  assert.deepEqual([d.thresholds.hard.raw, d.thresholds.hard.origin], ['750Mi', 'k3s pid 812: /etc/systemd/system/k3s.service.d/10-memory.conf ExecStart --kubelet-arg eviction-hard']);
  assert.equal(d.thresholds.soft, null, 'the drop-in replaced the unit ExecStart and its eviction-soft');
});

test('broken/k3s-bad-kubelet-arg: one warning per bad file or value, naming it; good values used', async () => {
  const r = await runMain(['memory', '--json', '--host-root', fixture('broken', 'k3s-bad-kubelet-arg')]);
  assert.equal(r.code, 0);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 3, r.stderr);
  assert.match(lines[0]!, /^memrec memory: warning: k3s config \/etc\/rancher\/k3s\/config\.yaml: kubelet-arg \{"eviction-soft":"1Gi"\}: expected a string like "eviction-hard=memory\.available<500Mi"; ignored$/);
  assert.match(lines[1]!, /^memrec memory: warning: k3s config \/etc\/rancher\/k3s\/config\.yaml\.d\/10-broken\.yaml: not YAML \(line 2: Flow sequence[^)]*\); ignored$/);
  assert.match(lines[2]!, /^memrec memory: warning: k3s pid 812: \/etc\/rancher\/k3s\/config\.yaml kubelet-arg eviction-hard: "lots": not a quantity/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  const j = JSON.parse(r.stdout);
  assert.deepEqual([j.thresholds.hardRaw, j.thresholds.source, j.thresholds.softRaw], ['100Mi', 'kubelet-default', '1Gi']);
});

test("k3s' GetArgs: a plain key replaces the default and repeats accumulate; += appends, -= prepends; sorted by key", () => {
  const defaults = new Map([['eviction-hard', { value: 'imagefs.available<5%', origin: 'default' }], ['v', { value: '0', origin: 'default' }]]);
  const out = (extra: string[]) => k3sGetArgs(defaults, extra.map((value, i) => ({ value, origin: `x${i}` }))).map((a) => `${a.key}=${a.value}@${a.origin}`);
  assert.deepEqual(out(['eviction-hard=memory.available<1Gi', 'eviction-hard=nodefs.available<9%']), ['eviction-hard=memory.available<1Gi@x0', 'eviction-hard=nodefs.available<9%@x1', 'v=0@default']);
  assert.deepEqual(out(['eviction-hard+=memory.available<1Gi']), ['eviction-hard=imagefs.available<5%@default', 'eviction-hard=memory.available<1Gi@x0', 'v=0@default']);
  assert.deepEqual(out(['--eviction-hard-=memory.available<1Gi', 'config']), ['config=true@x1', 'eviction-hard=memory.available<1Gi@x0', 'eviction-hard=imagefs.available<5%@default', 'v=0@default']);
});

test('systemd ExecStart: continuations, quotes, escapes, $VAR words and ${VAR} in place, prefixes', (t) => {
  const env = new Map([['FLAGS', '--a=1  --b=2'], ['DIR', '/opt/x']]);
  assert.deepEqual(splitExecStart(`-/usr/bin/kubelet 'a b' "c\\"d" e\\ f $FLAGS --dir=\${DIR}/y '$FLAGS'`, env), ['/usr/bin/kubelet', 'a b', 'c"d', 'e f', '--a=1', '--b=2', '--dir=/opt/x/y', '$FLAGS']);
  assert.deepEqual(splitExecStart('/bin/true $UNSET x'), ['/bin/true', 'x']);
  const root = copy(t, 'k3s');
  const exec = readExecStart(root, 'k3s.service');
  assert.deepEqual(exec?.argv, ['/usr/local/bin/k3s', 'server', '--write-kubeconfig-mode', '0644', '--kubelet-arg', 'eviction-hard=memory.available<500Mi', '--kubelet-arg=eviction-soft=memory.available<1Gi']);
  assert.equal(readExecStart(root, 'nope.service'), null);
  assert.equal(readExecStart(root, '../../etc/passwd'), null);
});

test('a process title over argv (k3s, RKE2) is split; a real argv is kept', () => {
  assert.deepEqual(splitProcessArgs('/usr/local/bin/k3s server' + '\0'.repeat(30)), ['/usr/local/bin/k3s', 'server']);
  assert.deepEqual(splitProcessArgs('/usr/bin/kubelet\0--config=/a b\0'), ['/usr/bin/kubelet', '--config=/a b']);
});

test("kubelite's args file: quotes removed, split on spaces, ${VAR} and $VAR expanded, comments and blanks skipped", () => {
  const env = new Map([['SNAP_DATA', '/var/snap/microk8s/6364'], ['SNAP_COMMON', '/var/snap/microk8s/common']]);
  const text = '# comment\n\n  --kubeconfig=${SNAP_DATA}/credentials/kubelet.config  \n--eviction-hard="memory.available<100Mi,nodefs.available<1Gi"\n--root-dir=$SNAP_COMMON/var/lib/kubelet --v=2\n--x=$UNSET\n';
  assert.deepEqual(parseKubeliteArgs(text, env), ['--kubeconfig=/var/snap/microk8s/6364/credentials/kubelet.config', '--eviction-hard=memory.available<100Mi,nodefs.available<1Gi', '--root-dir=/var/snap/microk8s/common/var/lib/kubelet', '--v=2', '--x=']);
});

test('MicroK8s without kubelite visible: the current args file through the snap link, SNAP_DATA from its place', (t) => {
  const root = copy(t, 'microk8s');
  rmSync(path.join(root, 'proc/1402'), { recursive: true });
  const d = discover(root);
  assert.deepEqual([d.thresholds.hard.raw, d.thresholds.hard.origin], ['512Mi', 'MicroK8s (no kubelite process): /var/snap/microk8s/current/args/kubelet --eviction-hard']);
  assert.equal(d.kubelet.distribution, 'MicroK8s');
});

test('RKE2 without its kubelet visible: drop-in directory and kubelet-arg of /etc/rancher/rke2/config.yaml', (t) => {
  const root = copy(t, 'rke2');
  rmSync(path.join(root, 'proc/1291'), { recursive: true });
  rmSync(path.join(root, 'proc/1088'), { recursive: true });
  const d = discover(root);
  assert.equal(d.kubelet.distribution, 'RKE2');
  assert.deepEqual([d.thresholds.hard.raw, d.thresholds.soft?.raw, d.thresholds.soft?.origin], ['100Mi', '1Gi', 'RKE2 (no kubelet process): /etc/rancher/rke2/config.yaml kubelet-arg eviction-soft']);
});

test("EKS without the kubelet visible: its config files stand in; AL2023's config.json with drop-ins comes first", (t) => {
  const root = copy(t, 'eks');
  rmSync(path.join(root, 'proc/3344'), { recursive: true });
  let d = discover(root);
  assert.deepEqual([d.thresholds.hard.raw, d.thresholds.hard.origin, d.kubelet.distribution], ['100Mi', '/etc/kubernetes/kubelet/kubelet-config.json evictionHard', 'EKS']);
  assert.match(d.warnings.join('\n'), /thresholds from EKS's files/);
  // AL2023: nodeadm's config.json and a drop-in of the user's
  mkdirSync(path.join(root, 'etc/kubernetes/kubelet/config.json.d'));
  writeFileSync(path.join(root, 'etc/kubernetes/kubelet/config.json'), '{"kind": "KubeletConfiguration", "evictionHard": {"memory.available": "100Mi", "nodefs.available": "10%"}}\n');
  writeFileSync(path.join(root, 'etc/kubernetes/kubelet/config.json.d/40-nodeadm.conf'), '{"apiVersion": "kubelet.config.k8s.io/v1beta1", "kind": "KubeletConfiguration", "maxPods": 17}\n');
  writeFileSync(path.join(root, 'etc/kubernetes/kubelet/config.json.d/90-memory.conf'), '{"evictionHard": {"memory.available": "300Mi"}}\n');
  d = discover(root);
  assert.deepEqual([d.thresholds.hard.raw, d.thresholds.hard.origin], ['300Mi', '/etc/kubernetes/kubelet/config.json.d/90-memory.conf evictionHard']);
});

test('AKS without the kubelet: KUBELET_FLAGS of /etc/default/kubelet; without that either, the documented default', (t) => {
  const root = copy(t, 'aks');
  rmSync(path.join(root, 'proc/2410'), { recursive: true });
  let d = discover(root);
  assert.deepEqual([d.thresholds.hard.raw, d.thresholds.hard.origin], ['750Mi', '/etc/default/kubelet KUBELET_FLAGS --eviction-hard']);
  rmSync(path.join(root, 'etc/default/kubelet'));
  d = discover(root);
  assert.equal(d.thresholds.hard.raw, '100Mi');
  assert.match(d.thresholds.hard.origin, /^AKS default for Kubernetes ≥ 1\.29 \(AKS docs, node resource reservations\); kubelet version unknown, assumed ≥ 1\.29; no kubelet process under .* and no kubelet files$/);
  // a kubelet version on the node says which default: 750Mi before 1.29
  mkdirSync(path.join(root, 'var/lib/dpkg'), { recursive: true });
  writeFileSync(path.join(root, 'var/lib/dpkg/status'), 'Package: kubelet\nStatus: install ok installed\nVersion: 1.27.9-1.1\n');
  d = discover(root);
  assert.deepEqual([d.thresholds.hard.raw, d.kubelet.version?.text], ['750Mi', '1.27.9-1.1']);
  assert.match(d.thresholds.hard.origin, /^AKS default before Kubernetes 1\.29/);
});

test('GKE without kubelet or config: the documented 100Mi, said so; a plain host stays the kubelet default', (t) => {
  const root = copy(t, 'gke');
  rmSync(path.join(root, 'proc/1650'), { recursive: true });
  rmSync(path.join(root, 'home/kubernetes/kubelet-config.yaml'));
  mkdirSync(path.join(root, 'home/kubernetes/bin'), { recursive: true });
  const d = discover(root);
  assert.deepEqual([d.thresholds.hard.raw, d.kubelet.distribution], ['100Mi', 'GKE']);
  assert.match(d.thresholds.hard.origin, /^GKE default \(GKE docs: 100 MiB reserved for kubelet eviction\); no kubelet process under /);
  assert.deepEqual(d.warnings, []);
});

test('kind: --memory-cgroup picks the node and its kubelet; its config is read in its own root, not the host decoy', async () => {
  const root = fixture('v2-kind-nested');
  const d = discover(root, { memoryCgroup: KIND_NODE });
  assert.equal(d.kubeletPid, 3120);
  assert.deepEqual(d.warnings, []);
  assert.equal(d.thresholds.hard.bytes, 0);
  assert.match(d.thresholds.hard.origin, /^\/var\/lib\/kubelet\/config\.yaml in kubelet pid 3120's root evictionHard sets no memory\.available/);
  const other = discover(root, { memoryCgroup: KIND_NODE.replace('f3a9c1e0', '2b7d9e4f').replace(/[0-9a-f]{56}\.scope$/, '1a3c5e7b9d0f2a4c6e8b0d1f3a5c7e9b1d3f5a7c9e0b2d4f6a8c0e1f.scope') });
  assert.equal(other.kubeletPid, 3390);
  const all = discover(root);
  assert.match(all.warnings.join('\n'), /several kubelet processes \(pids 3120, 3390\); using 3120; pass --memory-cgroup to choose the node/);
  const text = await runMain(['memory', '--host-root', root, '--memory-cgroup', KIND_NODE], { columns: 80 });
  // the long nested kubepods path goes to the note, wrapped at a /, not into the label
  assert.match(text.stdout, /^allocatable\s+29\.5Gi\s+cgroup \/system\.slice\//m);
  const piped = await runMain(['memory', '--host-root', root, '--memory-cgroup', KIND_NODE]);
  assert.match(piped.stdout, new RegExp(`^allocatable\\s+29\\.5Gi\\s+cgroup ${KIND_NODE.replace(/\./g, '\\.')}/kubelet\\.slice/kubelet-kubepods\\.slice: capacity 31\\.1Gi − working set 1\\.66Gi$`, 'm'));
  assert.ok(text.stdout.split('\n').every((l) => [...l].length <= 80));
});

test('a cgroup v2 root with memory.current (a node in its own cgroup namespace) is read as runc reads it', () => {
  const meminfo = { memTotalBytes: 8 * GiB, memFreeBytes: 2 * GiB } as MemInfo;
  const raw: MemoryCgroupRaw = { path: '/', version: 2, usageBytes: 3 * GiB, limitBytes: null, stat: { anon: GiB, file: GiB, inactive_file: 512 * MiB } };
  const s = kubeletSignal(raw, meminfo, { isRoot: true, legacyV2Root: true });
  assert.deepEqual([s.formula, s.usageBytes, s.workingSetBytes, s.capacityBytes], ['v2-current-minus-inactive-file', 3 * GiB, 2.5 * GiB, 8 * GiB]);
  const real: MemoryCgroupRaw = { ...raw, usageBytes: null };
  assert.deepEqual([kubeletSignal(real, meminfo, { isRoot: true }).formula, kubeletSignal(real, meminfo, { isRoot: true }).usageBytes], ['v2-anon-plus-file-minus-inactive-file', 2 * GiB]);
  assert.deepEqual([kubeletSignal(real, meminfo, { isRoot: true, legacyV2Root: true }).formula, kubeletSignal(real, meminfo, { isRoot: true, legacyV2Root: true }).usageBytes], ['v2-memtotal-minus-memfree-minus-inactive-file', 6 * GiB]);
});

test('kubelet versions: the forms packagers write, dpkg installed only, Go build info of a real binary and of k3s', () => {
  assert.deepEqual(parseKubeVersion('v1.29.3', 's'), { major: 1, minor: 29, patch: 3, text: 'v1.29.3', source: 's' });
  for (const v of ['1.28.6-1.1', 'v1.30.2+k3s1', 'v1.29.6-rke2r1', '1.27.9-00']) assert.ok(parseKubeVersion(v, 's'), v);
  assert.equal(parseKubeVersion('v1beta1', 's'), null);
  assert.equal(dpkgVersion('Package: kubelet\nStatus: deinstall ok config-files\nVersion: 1.22.0-00\n\nPackage: kubelet\nStatus: install ok installed\nVersion: 1.30.2-1.1\n', 'kubelet'), '1.30.2-1.1');
  assert.equal(dpkgVersion('Package: kubeadm\nStatus: install ok installed\nVersion: 1.30.2-1.1\n', 'kubelet'), null);
  // this machine's promtool is a Go binary: its build info is found through the ELF section headers
  const promtool = goBuildInfo('/usr/bin/promtool');
  if (promtool !== null) {
    assert.match(promtool.goVersion, /^go1\.\d+/);
    assert.ok(promtool.lines.includes('path\tgithub.com/prometheus/prometheus/cmd/promtool'), promtool.lines.join('\n'));
    // built with -trimpath: Go records no -ldflags then, so no version comes from them
    assert.equal(versionFromBuildInfo(promtool.lines, 'promtool'), null);
  }
  const k3s = goBuildInfo(fixture('k3s', 'var/lib/rancher/k3s/data/5c4a6e1a8a2b3f17b9c1d8e3f0a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9/bin/k3s'));
  assert.equal(k3s?.goVersion, 'go1.22.5');
  assert.equal(versionFromBuildInfo(k3s!.lines, 'k3s')?.text, 'v1.30.4');
  assert.equal(versionFromBuildInfo(["build\t-ldflags=\"-X 'k8s.io/component-base/version.gitVersion=v1.31.1' -s -w\""], 'kubelet')?.text, 'v1.31.1');
  assert.equal(goBuildInfo(fixture('k3s', 'etc/systemd/system/k3s.service')), null, 'not an ELF');
});
