// The collector on the real kernel: real processes in real cgroup v1 trees, cross-checked against ps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { Collector } from '../src/sources/collector.js';
import { ProcessVanished, ProcFs } from '../src/sources/procfs.js';
import { resolveRoots } from '../src/sources/roots.js';
import type { Collected, ProcessSample } from '../src/model/types.js';
import { canUseMemoryCgroups, withCgroup } from './helpers/cgroup.js';
import { until } from './helpers/recorder.js';
import { runMain } from './helpers/run.js';
import { stagedBuild } from './helpers/staged.js';
import { requireTool } from './helpers/tools.js';
import path from 'node:path';
import os from 'node:os';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';

/** /proc/<pid>/comm, or undefined while it cannot be read. */
function commOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

const live = canUseMemoryCgroups();
const roots = resolveRoots({});

/** A node process holding `mb` MiB of touched memory, so it ranks high by RSS; prints "ready" once it does. */
const HOLD = (mb: number): string[] => ['-e', `const b = Buffer.alloc(${mb} * 1048576, 1); console.log('ready'); setInterval(() => b[0]++, 1e6)`];

async function ready(child: ChildProcess): Promise<void> {
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  assert.match(chunk.toString(), /ready/);
}

function byPid(c: Collected, pid: number): ProcessSample | undefined {
  return c.processes.find((p) => p.pid === pid);
}

test('attribution on the real kernel: a pod container cgroup and a service cgroup, the container named by its bundle', { skip: !live && 'needs root and the cgroup v1 memory hierarchy' }, async (t) => {
  await withCgroup(async (cg) => {
    const uid = randomUUID();
    const cid = randomBytes(32).toString('hex');
    // the host's files (containerd's bundle of this container) under a host root of its own; /proc and /sys real
    const hostRoot = mkdtempSync(path.join(os.tmpdir(), 'memrec-live-root-'));
    t.after(() => rmSync(hostRoot, { recursive: true, force: true }));
    const bundle = path.join(hostRoot, 'run/containerd/io.containerd.runtime.v2.task/k8s.io', cid);
    mkdirSync(bundle, { recursive: true });
    const annotations = { 'io.kubernetes.cri.container-type': 'container', 'io.kubernetes.cri.container-name': 'holder', 'io.kubernetes.cri.sandbox-name': 'live-0', 'io.kubernetes.cri.sandbox-namespace': 'memrec-test', 'io.kubernetes.cri.sandbox-uid': uid };
    writeFileSync(path.join(bundle, 'config.json'), JSON.stringify({ ociVersion: '1.1.0', process: { args: [process.execPath] }, annotations }));
    const podCg = cg.mkdir(`kubepods/burstable/pod${uid}/${cid}`);
    const svcCg = cg.mkdir('system.slice/memrec-test.service');
    const podProc = cg.spawnIn(`kubepods/burstable/pod${uid}/${cid}`, process.execPath, HOLD(150));
    const svcProc = cg.spawnIn('system.slice/memrec-test.service', process.execPath, HOLD(120));
    const sleeper = cg.spawnIn('system.slice/memrec-test.service', 'sleep', ['600']);
    await Promise.all([ready(podProc), ready(svcProc), cg.waitForPid(sleeper.pid!, 'system.slice/memrec-test.service')]);

    const c = new Collector({ roots: resolveRoots({ hostRoot, procRoot: '/proc', sysRoot: '/sys' }), top: 50 }).collect();
    const pod = byPid(c, podProc.pid!);
    const svc = byPid(c, svcProc.pid!);
    assert.ok(pod && svc, 'both holders are in the top 50 by RSS');
    assert.equal(pod.cgroup, podCg);
    assert.deepEqual(pod.owner, { kind: 'pod', podUid: uid, qos: 'burstable', containerId: cid, runtime: 'unknown', namespace: 'memrec-test', podName: 'live-0', container: 'holder', containerType: 'container', cgroup: podCg.slice(0, -cid.length - 1) });
    assert.ok(pod.rssBytes >= 150 * 1048576, `pod RSS ${pod.rssBytes}`);
    assert.equal(svc.cgroup, svcCg);
    assert.deepEqual(svc.owner, { kind: 'service', unit: 'memrec-test.service', cgroup: svcCg });
    assert.equal(pod.cmdline?.startsWith(process.execPath), true);
    // the sleeper is far outside the top 50 of a busy machine or not; either way its owner counts it
    const svcAgg = c.owners.find((o) => o.key === `service:${svcCg}`);
    assert.equal(svcAgg?.processCount, 2);
    assert.ok(svcAgg!.rssBytes >= svc.rssBytes);
    const podAgg = c.owners.find((o) => o.key === `pod:${uid}`);
    assert.equal(podAgg?.processCount, 1);
    assert.deepEqual([podAgg?.owner.kind === 'pod' && podAgg.owner.podName, podAgg?.owner.kind === 'pod' && podAgg.owner.container], ['live-0', null]);
    assert.equal(
      c.owners.reduce((n, o) => n + o.processCount, 0),
      c.processCount,
    );
  });
});

test('a young process moved to another cgroup is seen in its new cgroup at the next collect', { skip: !live && 'needs root and the cgroup v1 memory hierarchy' }, async () => {
  await withCgroup(async (cg) => {
    cg.mkdir('system.slice/a.service');
    cg.mkdir('system.slice/b.service');
    const p = cg.spawnIn('system.slice/a.service', 'sleep', ['600']);
    await cg.waitForPid(p.pid!, 'system.slice/a.service');
    const collector = new Collector({ roots, top: 0 });
    const count = (c: Collected, unit: string) => c.owners.find((o) => o.key === `service:${cg.path}/system.slice/${unit}`)?.processCount ?? 0;
    const first = collector.collect();
    assert.equal(count(first, 'a.service'), 1);
    cg.movePid(p.pid!, 'system.slice/b.service');
    const second = collector.collect();
    assert.equal(count(second, 'a.service'), 0);
    assert.equal(count(second, 'b.service'), 1);
  });
});

test('the cgroup cache: kept within its TTL (proof it is used), re-read after it', { skip: !live && 'needs root and the cgroup v1 memory hierarchy' }, async () => {
  await withCgroup(async (cg) => {
    cg.mkdir('system.slice/a.service');
    cg.mkdir('system.slice/b.service');
    const p = cg.spawnIn('system.slice/a.service', 'sleep', ['600']);
    await cg.waitForPid(p.pid!, 'system.slice/a.service');
    const count = (c: Collected, unit: string) => c.owners.find((o) => o.key === `service:${cg.path}/system.slice/${unit}`)?.processCount ?? 0;
    const t0 = Date.now();
    const cached = new Collector({ roots, top: 0, cache: { minAgeMs: 0, ttlMs: 3_600_000 } });
    const fresh = new Collector({ roots, top: 0, cache: { minAgeMs: 0, ttlMs: 0 } });
    cached.collect(t0);
    fresh.collect(t0);
    cg.movePid(p.pid!, 'system.slice/b.service');
    assert.equal(count(cached.collect(t0 + 1000), 'a.service'), 1, 'within the TTL the cached cgroup is used');
    assert.equal(count(fresh.collect(t0 + 1000), 'b.service'), 1, 'with TTL 0 it is read again');
    // past the TTL (clock passed in) the cached collector re-validates too
    assert.equal(count(cached.collect(t0 + 3_600_000 + 16_000 + 1), 'b.service'), 1);
  });
});

test('processes agree with ps: pid, ppid, uid, RSS and cmdline', async (t) => {
  const children: ChildProcess[] = [];
  try {
    for (let i = 0; i < 40; i++) children.push(spawn('sleep', [`${600 + i}`], { stdio: 'ignore' }));
    // until each has exec'd sleep (before that /proc shows node's command line)
    await until('the sleeps to exec', () => (children.every((c) => commOf(c.pid!) === 'sleep') ? true : undefined), 15_000, 20);
    const c = new Collector({ roots, top: 100_000 }).collect();
    requireTool('ps');
    const ps = spawnSync('ps', ['-eo', 'pid=,ppid=,ruid=,rss=,etimes=,args=', '-ww'], { encoding: 'utf8' });
    assert.equal(ps.status, 0);
    const rows = new Map<number, { ppid: number; uid: number; rssKb: number; ageSec: number; args: string }>();
    for (const line of ps.stdout.split('\n')) {
      const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s(.*)$/.exec(line);
      if (m) rows.set(Number(m[1]), { ppid: Number(m[2]), uid: Number(m[3]), rssKb: Number(m[4]), ageSec: Number(m[5]), args: m[6]! });
    }
    let compared = 0;
    for (const p of c.processes) {
      const r = rows.get(p.pid);
      // Other tests start and stop processes meanwhile: compare ours and the settled ones (a pid reused or a
      // process re-parented between the two reads is not a disagreement).
      if (!r || (r.ageSec < 30 && !children.some((ch) => ch.pid === p.pid))) continue;
      compared++;
      assert.equal(p.ppid, r.ppid, `pid ${p.pid} ppid`);
      if (p.uid !== null) assert.equal(p.uid, r.uid, `pid ${p.pid} uid`);
      // RSS moves in running processes; our idle sleeps must agree to the KiB
      const ours = children.some((ch) => ch.pid === p.pid);
      const tolerance = ours ? 0 : Math.max(2 * 1048576, r.rssKb * 1024 * 0.2);
      assert.ok(Math.abs(p.rssBytes - r.rssKb * 1024) <= tolerance, `pid ${p.pid} RSS ${p.rssBytes} vs ps ${r.rssKb} KiB`);
      if (p.owner.kind === 'kernel') assert.equal(p.cmdline, null);
      // ps trims the padding of rewritten titles (`npm exec ...      `)
      // ps shows unprintable bytes as '?': compare printable command lines
      else if (p.cmdline !== null && !p.cmdline.includes('***') && /^[\x20-\x7e]*$/.test(p.cmdline)) {
        assert.equal(p.cmdline.trimEnd(), r.args.trimEnd(), `pid ${p.pid} cmdline`);
      }
    }
    t.diagnostic(`${compared} processes compared with ps`);
    assert.ok(compared >= 40, `only ${compared} compared`);
    for (const ch of children) {
      const p = byPid(c, ch.pid!);
      assert.ok(p, `sleep ${ch.pid} seen`);
      assert.equal(p.cmdline, rows.get(ch.pid!)?.args);
      assert.equal(p.ppid, process.pid);
    }
  } finally {
    for (const ch of children) ch.kill('SIGKILL');
  }
});

test('a process that exits between the stat pass and the detail read is skipped silently', async () => {
  const child = spawn('sleep', ['600'], { stdio: 'ignore' });
  await until('the sleep to exec', () => (commOf(child.pid!) === 'sleep' ? true : undefined), 15_000, 20);
  const proc = new ProcFs('/proc');
  const stat = proc.readStat(child.pid!);
  assert.ok(stat);
  child.kill('SIGKILL');
  await once(child, 'exit');
  assert.equal(proc.readStat(child.pid!), null, 'gone from /proc once reaped');
  assert.throws(() => proc.readDetails(stat, { kernelThread: false }), ProcessVanished);
});

test('fields a non-root reader may not see are null with EACCES, never "" or 0', { skip: process.getuid?.() !== 0 && 'needs root to run as nobody' }, () => {
  // Run the collector as nobody (from the staged build: the checkout may be where nobody cannot enter):
  // root's processes keep cwd and exe from it.
  const staged = stagedBuild();
  const script = `
    import { Collector } from ${JSON.stringify(staged.dist('src/sources/collector.js'))};
    import { resolveRoots } from ${JSON.stringify(staged.dist('src/sources/roots.js'))};
    const c = new Collector({ roots: resolveRoots({}), top: 100000 }).collect();
    const p = c.processes.find((p) => p.pid === 1);
    console.log(JSON.stringify({ p, n: c.processCount }));
  `;
  const r = spawnSync(staged.node, ['--input-type=module', '-e', script], { uid: 65534, gid: 65534, encoding: 'utf8', cwd: '/' });
  assert.equal(r.status, 0, r.stderr);
  const { p, n } = JSON.parse(r.stdout) as { p: ProcessSample; n: number };
  assert.ok(n > 10);
  assert.equal(p.uid, 0);
  assert.equal(p.cwd, null);
  assert.equal(p.exe, null);
  assert.equal(p.unknown?.cwd, 'EACCES');
  assert.equal(p.unknown?.exe, 'EACCES');
  assert.notEqual(p.cmdline, '');
});

test('memrec snapshot: --top abc and an unknown flag exit 2 with one line', async () => {
  for (const args of [['--top', 'abc'], ['--top=-1'], ['--frobnicate'], ['--host-root', '/nonexistent-memrec']]) {
    const r = await runMain(['snapshot', ...args]);
    assert.equal(r.code, 2, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^memrec snapshot: /);
    assert.equal(r.stdout, '');
  }
  const r = await runMain(['snapshot', '--top', 'abc']);
  assert.match(r.stderr, /--top "abc": expected a whole number/);
});

test('memrec snapshot on this machine: JSON with the documented process fields', async () => {
  const r = await runMain(['snapshot', '--json', '--no-store', '--top', '3']);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as { processes: Array<Record<string, unknown>>; owners: unknown[]; processCount: number; kubelet: { availableBytes: number } };
  assert.equal(s.processes.length, 3);
  for (const key of ['pid', 'ppid', 'uid', 'comm', 'startTime', 'rssBytes', 'cgroup', 'owner', 'cwd', 'exe', 'cmdline']) {
    assert.ok(key in s.processes[0]!, key);
  }
  assert.ok(s.processCount > 3);
  assert.equal(typeof s.kubelet.availableBytes, 'number');
});
