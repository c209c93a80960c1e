// `memrec memory` on the real kernel: the kubelet formula recomputed independently from the same
// files, and --memory-cgroup on real v1 memory cgroups with limits (and a real process named kubelet).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runMain } from './helpers/run.js';
import { canUseMemoryCgroups, MEMORY_ROOT, withCgroup } from './helpers/cgroup.js';
import { until } from './helpers/recorder.js';

const skip = canUseMemoryCgroups() ? false : 'needs root and a writable cgroup v1 memory hierarchy';

interface Formula {
  capacity: number;
  workingSet: number;
}

/** The kubelet formula straight from the files, without memrec's code: MemTotal − (usage − total_inactive_file). */
function independent(cgDir: string, limit: number | null): Formula {
  const memTotal = Number(/^MemTotal:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'))![1]) * 1024;
  const usage = Number(readFileSync(path.join(cgDir, 'memory.usage_in_bytes'), 'utf8'));
  const inactive = Number(/^total_inactive_file (\d+)$/m.exec(readFileSync(path.join(cgDir, 'memory.stat'), 'utf8'))![1]);
  return { capacity: limit === null ? memTotal : Math.min(limit, memTotal), workingSet: Math.max(0, usage - inactive) };
}

/**
 * Read the files, run memrec, read them again. Memory moves between reads, so memrec's working set must
 * lie between the two independent readings: the band is exactly what moved while memrec read. A change
 * that goes up and back down inside the window can escape the band, so a few rounds are allowed.
 */
async function agreeWithin(args: string[], cgDir: string, limit: number | null): Promise<{ j: any; band: [number, number] }> {
  let last = '';
  for (let round = 0; round < 40; round++) {
    const before = independent(cgDir, limit);
    const r = await runMain(['memory', '--json', ...args]);
    const after = independent(cgDir, limit);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.kubelet.capacityBytes, before.capacity);
    assert.equal(j.kubelet.availableBytes, j.kubelet.capacityBytes - j.kubelet.workingSetBytes);
    assert.equal(j.kubelet.workingSetBytes, Math.max(0, j.kubelet.usageBytes - j.kubelet.inactiveFileBytes));
    const lo = Math.min(before.workingSet, after.workingSet);
    const hi = Math.max(before.workingSet, after.workingSet);
    if (j.kubelet.workingSetBytes >= lo && j.kubelet.workingSetBytes <= hi) return { j, band: [lo, hi] };
    last = `memrec ${j.kubelet.workingSetBytes} outside [${lo}, ${hi}]`;
  }
  assert.fail(`memrec's working set never agreed with the files in 40 rounds: ${last}`);
}

test('memory --json on this host equals the kubelet formula computed from /proc/meminfo and the root memory cgroup', { skip }, async () => {
  const { j } = await agreeWithin([], MEMORY_ROOT, null);
  assert.equal(j.kubelet.cgroup, '/');
  assert.equal(j.kubelet.formula, 'v1-usage-minus-total-inactive-file');
  assert.equal(j.cgroupMode, 'hybrid');
  assert.equal(j.meminfo.memTotalBytes, j.kubelet.capacityBytes);
  // the root's own inactive_file is far smaller than the hierarchical one the kubelet uses
  const local = Number(/^inactive_file (\d+)$/m.exec(readFileSync(path.join(MEMORY_ROOT, 'memory.stat'), 'utf8'))![1]);
  assert.ok(j.kubelet.inactiveFileBytes > local, `total_inactive_file ${j.kubelet.inactiveFileBytes} should exceed the root's local ${local}`);
});

test('--memory-cgroup on a real cgroup with a limit: capacity is the limit, kubepods below it is the allocatable signal', { skip }, async () => {
  await withCgroup(async (cg) => {
    const limit = 256 * 2 ** 20;
    cg.setLimit(limit);
    cg.mkdir('kubepods');
    cg.setLimit(128 * 2 ** 20, 'kubepods');
    const hog = cg.spawnIn('', process.execPath, ['-e', 'const b = Buffer.alloc(48 << 20, 1); console.log("ready"); setInterval(() => b[0]++, 1000);']);
    await new Promise<void>((resolve, reject) => {
      hog.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      hog.on('exit', (code) => reject(new Error(`allocating process exited early (${code})`)));
    });
    const { j } = await agreeWithin(['--memory-cgroup', cg.path], cg.fsPath(), limit);
    assert.equal(j.kubelet.cgroup, cg.path);
    assert.equal(j.kubelet.capacityBytes, limit);
    assert.ok(j.kubelet.workingSetBytes >= 48 * 2 ** 20, `working set ${j.kubelet.workingSetBytes} should hold the 48 MiB buffer`);
    assert.ok(j.kubelet.availableBytes <= limit - 48 * 2 ** 20);
    assert.equal(j.allocatable.cgroup, `${cg.path}/kubepods`);
    assert.equal(j.allocatable.capacityBytes, 128 * 2 ** 20);
  });
});

test('a real process named kubelet inside --memory-cgroup gives the thresholds, percentages of that cgroup', { skip }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'memrec-fake-kubelet-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // comm is the basename of the path exec'd, so a symlink named kubelet to sh is a process called kubelet
  symlinkSync('/bin/sh', path.join(dir, 'kubelet'));
  await withCgroup(async (cg) => {
    const limit = 256 * 2 ** 20;
    cg.setLimit(limit);
    const child = cg.spawnIn('', path.join(dir, 'kubelet'), ['-c', 'sleep 30; :', 'kubelet', '--eviction-hard=memory.available<321Mi', '--eviction-soft', 'memory.available<20%']);
    const pid = child.pid!;
    await until('the fake kubelet to exec', () => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'kubelet' ? true : undefined;
      } catch {
        return undefined; // not there yet
      }
    }, 15_000, 20);
    const r = await runMain(['memory', '--json', '--memory-cgroup', cg.path]);
    assert.equal(r.code, 0, r.stderr);
    const th = JSON.parse(r.stdout).thresholds;
    assert.equal(th.kubeletPid, pid);
    assert.equal(th.hardRaw, '321Mi');
    assert.equal(th.hardBytes, 321 * 2 ** 20);
    assert.equal(th.source, 'kubelet-flag');
    assert.equal(th.hardOrigin, `kubelet pid ${pid} --eviction-hard`);
    assert.equal(th.softBytes, Math.trunc(limit * Math.fround(Math.fround(20) / 100)));
  });
});
