// Who owned a task an OOM report names: the collector answers from /proc while the task lives, from its last
// collect once it died, and from the memcg the kernel named when that says pod, service or session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Collector } from '../src/sources/collector.js';
import { resolveRoots } from '../src/sources/roots.js';
import { fixture } from './helpers/paths.js';

test('Collector.ownerOf: live cgroup, then the last collect, then the kernel-named memcg; a different comm is not the task', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'memrec-owners-'));
  try {
    cpSync(fixture('v1-cgroupfs'), dir, { recursive: true });
    const c = new Collector({ roots: resolveRoots({ hostRoot: dir }), top: 5, pageSize: 4096 });
    const cron = { kind: 'service', unit: 'cron.service', cgroup: '/system.slice/cron.service' };
    assert.deepEqual(c.ownerOf(4120, 'updatedb.mlocate', null), cron, 'live: its /proc cgroup');
    assert.equal(c.ownerOf(4120, 'bash', null), null, 'the pid now runs something else, and nothing else is known');
    // pid 4120 started 244810 s after boot (its stat's starttime, 24481000 ticks)
    assert.deepEqual(c.ownerOf(4120, 'updatedb.mlocate', null, 244_900_000_000), cron, 'killed after it started');
    assert.equal(c.ownerOf(4120, 'updatedb.mlocate', null, 240_000_000_000), null, 'killed before it started: a reused pid');

    c.collect(1_700_000_000_000 + 3 * 86_400_000);
    rmSync(path.join(dir, 'proc', '4120'), { recursive: true });
    assert.deepEqual(c.ownerOf(4120, 'updatedb.mlocate', null), cron, 'gone: what the last collect saw');
    assert.equal(c.ownerOf(4120, 'python3', null), null, 'a pid seen under another comm is not this task');
    assert.equal(c.ownerOf(4120, 'updatedb.mlocate', null, 240_000_000_000), null, 'seen, but started after the kill');

    const uid = '5d3c8f2e-7b1a-4c9d-8e6f-0a1b2c3d4e5f';
    assert.deepEqual(c.ownerOf(999_999, 'nginx', `/kubepods/besteffort/pod${uid}/0f32894de86edf3d3832702af794874ef8d400b4969acdea4976b12040756e0d`), {
      kind: 'pod', podUid: uid, qos: 'besteffort', containerId: '0f32894de86edf3d3832702af794874ef8d400b4969acdea4976b12040756e0d', runtime: 'unknown',
      namespace: 'shop', podName: 'checkout-7d9f8b6c5-x2x9k', container: null, containerType: null, cgroup: `/kubepods/besteffort/pod${uid}`,
    }, 'never seen: the memcg the kernel named, the pod named from /var/log/pods');
    assert.equal(c.ownerOf(999_999, 'nginx', '/memrec-test-1'), null, 'a memcg of no pod, service or session says nothing');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
