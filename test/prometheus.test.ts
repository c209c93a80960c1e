import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { escapeLabelValue, renderMetrics } from '../src/report/prometheus.js';
import { writeTextfile } from '../src/recorder/textfile.js';
import type { Snapshot } from '../src/model/types.js';
import { RecorderProcess, until } from './helpers/recorder.js';
import { requireTool } from './helpers/tools.js';

const Mi = 1024 ** 2;

/** A burst snapshot of the incident: updatedb outside kubepods, a pod, and a unit name that needs escaping. */
function snapshot(over: Partial<Snapshot> = {}): Snapshot {
  return {
    takenAt: Date.UTC(2024, 4, 2, 2, 17, 5, 250),
    bootId: null,
    captureMs: 84,
    cgroupMode: 'hybrid',
    meminfo: {
      memTotalBytes: 32 * 1024 * Mi, memFreeBytes: 200 * Mi, memAvailableBytes: 310 * Mi, cachedBytes: 900 * Mi,
      shmemBytes: 10 * Mi, slabBytes: 300 * Mi, sReclaimableBytes: 200 * Mi, swapTotalBytes: 0, swapFreeBytes: 0,
    },
    kubelet: {
      cgroup: '/', capacityBytes: 32 * 1024 * Mi, usageBytes: 31 * 1024 * Mi, inactiveFileBytes: 400 * Mi,
      workingSetBytes: 31 * 1024 * Mi - 400 * Mi, availableBytes: 1024 * Mi + 400 * Mi, formula: 'v1-usage-minus-total-inactive-file',
    },
    allocatable: {
      cgroup: '/kubepods', capacityBytes: 30 * 1024 * Mi, usageBytes: 4 * 1024 * Mi, inactiveFileBytes: 100 * Mi,
      workingSetBytes: 4 * 1024 * Mi - 100 * Mi, availableBytes: 26 * 1024 * Mi + 100 * Mi, formula: 'v1-usage-minus-total-inactive-file',
    },
    psi: null,
    oomKillCount: 3,
    thresholds: {
      hard: { raw: '500Mi', bytes: 500 * Mi, source: 'kubelet-config', origin: '/var/lib/kubelet/config.yaml evictionHard' },
      soft: { raw: '10%', bytes: 3277 * Mi, source: 'memrec-flag', origin: '--soft', gracePeriod: '1m30s' },
    },
    processCount: 1012,
    processes: [],
    owners: [
      { key: 'service:/system.slice/mlocate.service', owner: { kind: 'service', unit: 'mlocate.service', cgroup: '/system.slice/mlocate.service' }, processCount: 2, rssBytes: 18 * 1024 * Mi, swapBytes: 0, cgroup: null },
      // the same unit in a nested node's cgroup is another owner, and another series
      { key: 'service:/kind-node/system.slice/mlocate.service', owner: { kind: 'service', unit: 'mlocate.service', cgroup: '/kind-node/system.slice/mlocate.service' }, processCount: 1, rssBytes: 3 * Mi, swapBytes: 0, cgroup: null },
      {
        key: 'pod:0f2c4e1a-1111-2222-3333-444455556666',
        owner: { kind: 'pod', podUid: '0f2c4e1a-1111-2222-3333-444455556666', qos: 'burstable', containerId: null, runtime: 'containerd', namespace: 'ceph', podName: 'rook-ceph-osd-0', container: null, containerType: null, cgroup: null },
        processCount: 7, rssBytes: 2048 * Mi, swapBytes: 0, cgroup: null,
      },
      { key: 'user:session-4.scope', owner: { kind: 'user', unit: 'we"ird\\unit\nname.scope', userUid: 1000, session: '4', cgroup: null }, processCount: 3, rssBytes: 90 * Mi, swapBytes: 0, cgroup: null },
      { key: 'kernel', owner: { kind: 'kernel' }, processCount: 120, rssBytes: 0, swapBytes: 0, cgroup: null },
      { key: 'other:null', owner: { kind: 'other', cgroup: null }, processCount: 1, rssBytes: 1 * Mi, swapBytes: 0, cgroup: null },
    ],
    kind: 'burst',
    trigger: 'burst: memory.available 1.4Gi <= 3.2Gi',
    ...over,
  };
}

function promtool(text: string): { status: number | null; out: string } {
  requireTool('promtool');
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw new Error(`promtool not runnable (Debian package prometheus): ${r.error.message}`);
  return { status: r.status, out: r.stdout + r.stderr };
}

test('promtool accepts the rendered metrics without a lint complaint', () => {
  const text = renderMetrics(snapshot(), { burst: true });
  const r = promtool(text);
  assert.equal(r.out.trim(), '');
  assert.equal(r.status, 0);
});

test('promtool rejects a broken exposition, so the check above can fail', () => {
  const text = renderMetrics(snapshot(), { burst: true }).replace('# TYPE memrec_oom_kills_total counter', '# TYPE memrec_oom_kills_total gauge');
  assert.notEqual(promtool(text).status, 0);
});

test('every required family is there with HELP and TYPE and the snapshot values', () => {
  const text = renderMetrics(snapshot(), { burst: true });
  for (const name of [
    'memrec_kubelet_memory_available_bytes', 'memrec_meminfo_memavailable_bytes', 'memrec_threshold_bytes',
    'memrec_burst_active', 'memrec_snapshot_timestamp_seconds', 'memrec_owner_rss_bytes', 'memrec_oom_kills_total',
  ]) {
    assert.match(text, new RegExp(`^# HELP ${name} \\S`, 'm'), name);
    assert.match(text, new RegExp(`^# TYPE ${name} (gauge|counter)$`, 'm'), name);
  }
  const lines = text.split('\n');
  const has = (line: string): void => assert.ok(lines.includes(line), `missing: ${line}\n${text}`);
  has(`memrec_kubelet_memory_available_bytes{signal="node",cgroup="/",formula="v1-usage-minus-total-inactive-file"} ${1424 * Mi}`);
  has(`memrec_kubelet_memory_available_bytes{signal="allocatable",cgroup="/kubepods",formula="v1-usage-minus-total-inactive-file"} ${26 * 1024 * Mi + 100 * Mi}`);
  has(`memrec_meminfo_memavailable_bytes ${310 * Mi}`);
  has(`memrec_threshold_bytes{type="hard",source="kubelet-config",value="500Mi"} ${500 * Mi}`);
  has(`memrec_threshold_bytes{type="soft",source="memrec-flag",value="10%"} ${3277 * Mi}`);
  has('memrec_burst_active 1');
  has('memrec_snapshot_timestamp_seconds{kind="burst"} 1714616225.25');
  has(`memrec_owner_rss_bytes{kind="service",owner="mlocate.service",cgroup="/system.slice/mlocate.service"} ${18 * 1024 * Mi}`);
  has(`memrec_owner_rss_bytes{kind="service",owner="mlocate.service",cgroup="/kind-node/system.slice/mlocate.service"} ${3 * Mi}`);
  has(`memrec_owner_rss_bytes{kind="pod",owner="0f2c4e1a-1111-2222-3333-444455556666",namespace="ceph",pod="rook-ceph-osd-0"} ${2048 * Mi}`);
  has('memrec_owner_rss_bytes{kind="user",owner="we\\"ird\\\\unit\\nname.scope"} ' + 90 * Mi);
  has('memrec_owner_rss_bytes{kind="other",owner="unknown"} ' + Mi);
  has('memrec_oom_kills_total 3');
});

test('unknown values are left out, never exported as 0', () => {
  const s = snapshot({ allocatable: null, oomKillCount: null });
  s.meminfo.memAvailableBytes = null;
  s.thresholds.soft = null;
  const text = renderMetrics(s, { burst: false });
  assert.doesNotMatch(text, /memrec_oom_kills_total/);
  assert.doesNotMatch(text, /memrec_meminfo_memavailable_bytes/);
  assert.doesNotMatch(text, /signal="allocatable"/);
  assert.doesNotMatch(text, /type="soft"/);
  assert.match(text, /^memrec_burst_active 0$/m);
  assert.equal(promtool(text).status, 0);
});

test('owner series are bounded to the top owners', () => {
  const text = renderMetrics(snapshot(), { burst: false, topOwners: 2 });
  assert.equal(text.split('\n').filter((l) => l.startsWith('memrec_owner_rss_bytes{')).length, 2);
});

test('label values escape backslash, quote and newline', () => {
  assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
});

test('writeTextfile replaces memrec.prom atomically with mode 0644 and leaves no temp file', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'memrec-textfile-'));
  const old = process.umask(0o077);
  try {
    writeFileSync(path.join(dir, 'memrec.prom'), 'old\n');
    const first = renderMetrics(snapshot(), { burst: true });
    const p = writeTextfile(dir, first);
    assert.equal(p, path.join(dir, 'memrec.prom'));
    assert.equal(readFileSync(p, 'utf8'), first);
    assert.equal(statSync(p).mode & 0o777, 0o644);
    assert.deepEqual(readdirSync(dir), ['memrec.prom']);
  } finally {
    process.umask(old);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writeTextfile names the directory when it cannot write', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'memrec-textfile-'));
  try {
    const missing = path.join(dir, 'nope');
    assert.throws(() => writeTextfile(missing, 'x 1\n'), (e: Error) => e.message === `--textfile-dir ${missing}/memrec.prom: directory ${missing} does not exist`);
    mkdirSync(path.join(dir, 'ro'));
    chmodSync(path.join(dir, 'ro'), 0o500);
    // root ignores directory modes; the ENOENT case above is the one that runs everywhere
    if (process.getuid?.() !== 0) assert.throws(() => writeTextfile(path.join(dir, 'ro'), 'x 1\n'), /EACCES/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('memrec record --textfile-dir writes memrec.prom after its snapshots, and promtool accepts it', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'memrec-textfile-rec-'));
  const cfg = path.join(dir, 'empty.yaml');
  writeFileSync(cfg, '');
  const rec = new RecorderProcess(['--db', path.join(dir, 'm.db'), '--config', cfg, '--textfile-dir', dir, '--kmsg', path.join(dir, 'no-kmsg')]);
  try {
    const file = path.join(dir, 'memrec.prom');
    // the recorder takes one snapshot at start; the textfile follows it
    const text = await until('memrec.prom', () => {
      try {
        return readFileSync(file, 'utf8');
      } catch {
        return undefined;
      }
    });
    assert.match(text, /^memrec_kubelet_memory_available_bytes\{/m);
    assert.match(text, /^memrec_snapshot_timestamp_seconds\{kind="scheduled"\} \d/m);
    const r = promtool(text);
    assert.equal(r.status, 0, r.out);
  } finally {
    await rec.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
