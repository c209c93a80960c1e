// `memrec memory` on whole-node fixture trees: golden JSON per kind, broken trees, bad flags.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli, runMain } from './helpers/run.js';
import { fixture } from './helpers/paths.js';
import { detectCgroupMode } from '../src/sources/cgroup-mode.js';
import { resolveRoots } from '../src/sources/roots.js';

const kinds = ['v1-cgroupfs', 'v2-systemd-containerd', 'hybrid-systemd'] as const;

for (const kind of kinds) {
  test(`memory --json on ${kind} equals expected-memory.json`, async () => {
    const r = await runMain(['memory', '--json', '--host-root', fixture(kind)]);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
    const want: unknown = JSON.parse(readFileSync(fixture(kind, 'expected-memory.json'), 'utf8'));
    assert.deepEqual(JSON.parse(r.stdout), want);
  });
}

test('the golden files hold the kubelet formula computed by hand, not just what the code printed', () => {
  // v1: MemTotal 32779108 kB − (usage_in_bytes 24147656704 − total_inactive_file 1468006400)
  const v1 = JSON.parse(readFileSync(fixture('v1-cgroupfs', 'expected-memory.json'), 'utf8'));
  assert.equal(v1.kubelet.availableBytes, 32779108 * 1024 - (24147656704 - 1468006400));
  assert.equal(v1.allocatable.availableBytes, 32492064768 - (3521040384 - 409600000));
  assert.equal(v1.thresholds.hardBytes, 500 * 2 ** 20);
  assert.equal(v1.thresholds.softBytes, 1.5 * 2 ** 30);
  assert.equal(v1.psi, null);
  // v2 root: (anon 6012403712 + file 5872025600) − inactive_file 3758096384
  const v2 = JSON.parse(readFileSync(fixture('v2-systemd-containerd', 'expected-memory.json'), 'utf8'));
  assert.equal(v2.kubelet.availableBytes, 16365208 * 1024 - (6012403712 + 5872025600 - 3758096384));
  assert.equal(v2.allocatable.availableBytes, 15684231168 - (7516192768 - 2684354560));
  assert.equal(v2.thresholds.softRaw, '8%');
  const hy = JSON.parse(readFileSync(fixture('hybrid-systemd', 'expected-memory.json'), 'utf8'));
  assert.equal(hy.cgroupMode, 'hybrid');
  assert.equal(hy.kubelet.availableBytes, 8152856 * 1024 - (6174015488 - 1879048192));
  assert.equal(hy.thresholds.hardRaw, '750Mi');
  assert.equal(hy.thresholds.softRaw, '1Gi');
});

test('cgroup mode of each fixture tree is decided by its files', () => {
  assert.equal(detectCgroupMode(resolveRoots({ hostRoot: fixture('v1-cgroupfs') })), 'v1');
  assert.equal(detectCgroupMode(resolveRoots({ hostRoot: fixture('v2-systemd-containerd') })), 'v2');
  assert.equal(detectCgroupMode(resolveRoots({ hostRoot: fixture('hybrid-systemd') })), 'hybrid');
});

test('the text view shows both signals, the formula, thresholds with source and distance', async () => {
  const r = await runMain(['memory', '--host-root', fixture('v1-cgroupfs')]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^memory\.available \(kubelet\)\s+10\.1Gi\s+capacity 31\.3Gi − working set 21\.1Gi$/m);
  assert.match(r.stdout, /^MemAvailable \(free\)\s+1\.81Gi\s+the kubelet sees 8\.33Gi more: it does not count what the kernel holds for itself \(slab 5\.55Gi, 4\.38Gi of it unreclaimable\), free does; eviction goes by the kubelet's view, the OOM killer by free's$/m);
  assert.match(r.stdout, /memory\.usage_in_bytes − total_inactive_file/);
  assert.match(r.stdout, /^hard threshold\s+500Mi\s+9\.65Gi above \(kubelet pid 1187 --eviction-hard\)$/m);
  assert.match(r.stdout, /^soft threshold\s+1\.5Gi\s+8\.64Gi above \(kubelet pid 1187 --eviction-soft, grace 2m\)$/m);
  assert.match(r.stdout, /^allocatable\s+27\.4Gi\s+cgroup \/kubepods: capacity 30\.3Gi − working set 2\.9Gi$/m);
  assert.match(r.stdout, /^PSI memory some avg10\s+unknown/m);
  // the incident node: free is at the hard threshold, the kubelet far above it
  assert.match(r.stdout, /^warning\s+free's MemAvailable \(1\.81Gi\) is at the hard eviction threshold \(500Mi\) while the kubelet's memory\.available is 10\.1Gi: the kernel's OOM killer will act before the kubelet evicts anything$/m);
});

test('--hard/--soft override the kubelet, and a threshold above available shows BELOW', async () => {
  const r = await runMain(['memory', '--json', '--host-root', fixture('hybrid-systemd'), '--hard', '5Gi', '--soft', '50%']);
  assert.equal(r.code, 0);
  const j = JSON.parse(r.stdout);
  assert.equal(j.thresholds.hardBytes, 5 * 2 ** 30);
  assert.equal(j.thresholds.source, 'memrec-flag');
  assert.equal(j.thresholds.hardOrigin, 'memrec --hard');
  assert.equal(j.thresholds.hardDistanceBytes, j.kubelet.availableBytes - 5 * 2 ** 30);
  assert.equal(j.thresholds.softBytes, Math.trunc(j.kubelet.capacityBytes * Math.fround(0.5)));
  const t = await runMain(['memory', '--host-root', fixture('hybrid-systemd'), '--hard', '5Gi']);
  assert.match(t.stdout, /^hard threshold\s+5Gi\s+BELOW by 1\.22Gi \(memrec --hard\)$/m);
});

test('--memory-cgroup on a fixture computes the signal on that cgroup with capacity = its limit', async () => {
  const r = await runMain(['memory', '--json', '--host-root', fixture('v2-systemd-containerd'), '--memory-cgroup', '/kubepods.slice']);
  assert.equal(r.code, 0);
  const j = JSON.parse(r.stdout);
  assert.equal(j.kubelet.cgroup, '/kubepods.slice');
  assert.equal(j.kubelet.capacityBytes, 15684231168);
  assert.equal(j.kubelet.formula, 'v2-current-minus-inactive-file');
  assert.equal(j.allocatable, null);
});

const broken: Array<{ dir: string; code: number; stderr: RegExp; check?: (j: any) => void }> = [
  { dir: 'missing-memory-stat', code: 1, stderr: /broken\/missing-memory-stat\/sys\/fs\/cgroup\/memory\/memory\.stat: missing/ },
  { dir: 'truncated-meminfo', code: 1, stderr: /truncated-meminfo\/proc\/meminfo: line 3: expected "Name: <n> kB".*"MemAvai"/ },
  { dir: 'psi-garbage', code: 1, stderr: /psi-garbage\/proc\/pressure\/memory: expected "some\|full/ },
  {
    dir: 'garbage-threshold',
    code: 0,
    stderr: /warning: kubelet pid 2001 --eviction-soft: "memory.available": expected signal<value[^\n]*\n[^\n]*warning: kubelet pid 2001 --eviction-hard: "5XB": not a quantity/,
    check: (j) => {
      assert.equal(j.thresholds.hardRaw, '100Mi');
      assert.equal(j.thresholds.source, 'kubelet-default');
      assert.equal(j.thresholds.softRaw, '1Gi');
      assert.equal(j.thresholds.warnings.length, 2);
    },
  },
  {
    dir: 'kubelet-config-not-yaml',
    code: 0,
    stderr: /^memrec memory: warning: kubelet config \/var\/lib\/kubelet\/config\.yaml: not YAML or JSON \(line 6: [^\n]*\); ignored\n$/,
    check: (j) => assert.equal(j.thresholds.source, 'kubelet-default'),
  },
  {
    dir: 'no-psi-no-oom-kill',
    code: 0,
    // no kubelet and no kubeadm files is an ordinary host: said in the origin, not warned about
    stderr: /^$/,
    check: (j) => {
      assert.match(j.thresholds.hardOrigin, /^kubelet default; no kubelet process under /);
      assert.equal(j.psi, null);
      assert.equal(j.oomKillCount, null);
      assert.equal(j.meminfo.swapTotalBytes, null);
      assert.deepEqual(j.warnings, []);
    },
  },
  {
    dir: 'implausible-meminfo',
    code: 0,
    stderr: /^$/,
    check: (j) => {
      // the raw values stay in JSON, flagged; neither is a free-memory figure anyone should read
      assert.ok(j.meminfo.memAvailableBytes > 15 * j.meminfo.memTotalBytes - 1);
      assert.deepEqual(
        j.warnings.map((w: { code: string }) => w.code),
        ['implausible-memavailable', 'implausible-inactive-file'],
      );
      assert.match(j.warnings[0].message, /MemAvailable 235Gi is 15x MemTotal \(15\.6Gi\): a kernel accounting error, not free memory$/);
      assert.match(j.warnings[1].message, /inactive_file 233Gi of cgroup \/ is 15x its capacity/);
    },
  },
];

test('broken/implausible-meminfo as text: the impossible values are unknown, not free memory, and warned about', async () => {
  const r = await runMain(['memory', '--host-root', fixture('broken', 'implausible-meminfo')]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^memory\.available \(kubelet\)\s+unknown\s+implausible: inactive_file exceeds the cgroup/m);
  assert.match(r.stdout, /^MemAvailable \(free\)\s+unknown\s+implausible: 235Gi, above MemTotal/m);
  assert.doesNotMatch(r.stdout, /the kubelet sees/);
  assert.doesNotMatch(r.stdout, /OOM killer will act/);
  assert.equal(r.stdout.match(/^warning /gm)?.length, 2);
});

test('memory as text wraps its notes to the terminal: every line within 80 columns, words whole', async () => {
  for (const kind of kinds) {
    const r = await runMain(['memory', '--host-root', fixture(kind)], { columns: 80 });
    const lines = r.stdout.trimEnd().split('\n');
    assert.ok(lines.every((l) => [...l].length <= 80), lines.find((l) => [...l].length > 80));
    // the formula is whole once the wrapped lines are joined
    assert.match(r.stdout.replace(/\n +/g, ' '), /formula +cgroup v[12][^:]*: .* of (?:the root )?memory\.stat/);
  }
  // not a terminal: one line per row
  const piped = await runMain(['memory', '--host-root', fixture('v1-cgroupfs')]);
  assert.ok(piped.stdout.split('\n').some((l) => l.length > 100));
});

for (const b of broken) {
  test(`broken/${b.dir}: ${b.code === 0 ? 'unknowns and warnings' : 'one clear line'}, no stack trace`, async () => {
    const r = await runMain(['memory', '--json', '--host-root', fixture('broken', b.dir)]);
    assert.equal(r.code, b.code, r.stderr);
    assert.match(r.stderr, b.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    if (b.code !== 0) assert.equal(r.stderr.trim().split('\n').length, 1);
    if (b.check) b.check(JSON.parse(r.stdout));
  });
}

test('bad flags and roots exit 2 with one line naming the input', async (t) => {
  const empty = mkdtempSync(path.join(os.tmpdir(), 'memrec-empty-'));
  t.after(() => rmSync(empty, { recursive: true, force: true }));
  const v1 = fixture('v1-cgroupfs');
  const cases: Array<[string[], RegExp]> = [
    [['--hard', '5XB', '--host-root', v1], /^memrec memory: --hard "5XB": expected a positive quantity/],
    [['--soft', '0', '--host-root', v1], /^memrec memory: --soft "0": expected a positive quantity/],
    [['--frobnicate'], /^memrec memory: Unknown option '--frobnicate'/],
    [['--host-root', empty], /^memrec memory: --host-root ".*": no proc\/meminfo under it/],
    [['--host-root', path.join(empty, 'nope')], /^memrec memory: --host-root ".*nope": no such directory/],
    [['--host-root', v1, '--proc-root', empty], /^memrec memory: --proc-root ".*": no meminfo in it/],
    [['--host-root', v1, '--sys-root', empty], /^memrec memory: --sys-root ".*": no fs\/cgroup in it/],
    [['--host-root', v1, '--memory-cgroup', 'kubepods'], /^memrec memory: --memory-cgroup "kubepods": expected a cgroup path/],
    [['--host-root', v1, '--memory-cgroup', '/no/such'], /^memrec memory: --memory-cgroup "\/no\/such": no such memory cgroup/],
  ];
  for (const [args, re] of cases) {
    const r = await runMain(['memory', ...args]);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, re, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, args.join(' '));
  }
});

test('the built binary runs memory on a fixture tree, and --help documents the flags', () => {
  const r = runCli(['memory', '--json', '--host-root', fixture('hybrid-systemd')]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).kubelet.availableBytes, 4053557248);
  const h = runCli(['memory', '--help']);
  assert.equal(h.status, 0);
  for (const flag of ['--json', '--host-root', '--proc-root', '--sys-root', '--memory-cgroup', '--hard', '--soft']) assert.match(h.stdout, new RegExp(flag));
});
