// Peaks between snapshots on the real kernel: a process in a limited cgroup v1 spikes and exits between two
// snapshots; neither snapshot sees it, but the cgroup's memory.max_usage_in_bytes does, and culprits says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Store } from '../src/store/store.js';
import { canUseMemoryCgroups, withCgroup } from './helpers/cgroup.js';
import { runMain } from './helpers/run.js';

const MiB = 1024 * 1024;
/** Touches every page of 96 MiB, says so, and exits: the spike lives for milliseconds. */
const SPIKE = `const b = Buffer.alloc(${96 * MiB}, 1); process.stdout.write('peak ' + b.length + '\\n');`;

interface OwnerJson {
  key: string;
  cgroup: { path: string; usageBytes: number | null; peakBytes: number | null; limitBytes: number | null; failcnt: number | null; oomKills: number | null } | null;
}

test('a spike between two snapshots is reported from the owner cgroup memory.max_usage_in_bytes, with its limit', { skip: !canUseMemoryCgroups() && 'needs root and a writable cgroup v1 memory hierarchy' }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'memrec-spike-'));
  try {
    await withCgroup(async (cg) => {
      const unit = `memrec-spike-${randomBytes(3).toString('hex')}.service`;
      const sub = `system.slice/${unit}`;
      const cgroupPath = cg.mkdir(sub);
      cg.setLimit(256 * MiB, sub);
      const anchor = cg.spawnIn(sub, 'sleep', ['600']);
      await cg.waitForPid(anchor.pid!, sub);
      const db = path.join(dir, 'memrec.db');
      const snap = async (): Promise<{ at: number; owner: OwnerJson; explanation?: string }> => {
        const r = await runMain(['snapshot', '--json', '--db', db, '--top', '100000']);
        assert.equal(r.code, 0, r.stderr);
        const s = JSON.parse(r.stdout) as { takenAt: string; owners: OwnerJson[] };
        const owner = s.owners.find((o) => o.key.startsWith('service:') && o.key.endsWith(`/${unit}`));
        assert.ok(owner, `the snapshot has the owner of ${unit}`);
        return { at: Date.parse(s.takenAt), owner };
      };
      const before = await snap();
      assert.equal(before.owner.cgroup?.path, cgroupPath);
      assert.equal(before.owner.cgroup?.limitBytes, 256 * MiB);
      assert.ok(before.owner.cgroup!.peakBytes! < 64 * MiB, `nothing big ran yet: peak ${before.owner.cgroup!.peakBytes}`);

      const spiker = cg.spawnIn(sub, process.execPath, ['-e', SPIKE]);
      let said = '';
      spiker.stdout!.on('data', (d: Buffer) => (said += d.toString()));
      const code = await new Promise<number | null>((resolve) => spiker.on('exit', resolve));
      assert.equal(code, 0);
      assert.match(said, /^peak \d+/);
      // the cgroup's own high-water mark kept it, though its usage went back down
      const file = (name: string): number => Number(readFileSync(path.join(cg.fsPath(sub), name), 'utf8'));
      assert.ok(file('memory.max_usage_in_bytes') >= 96 * MiB);

      const after = await snap();
      const c = after.owner.cgroup!;
      assert.ok(c.peakBytes! >= 96 * MiB, `peak ${c.peakBytes}`);
      assert.ok(c.usageBytes! < 64 * MiB, `usage back down: ${c.usageBytes}`);
      assert.equal(c.failcnt, 0);
      assert.equal(c.oomKills, 0);
      // each `memrec snapshot --db` is a new process, as a restarted recorder: the second snapshot's peak moved and
      // its path and limit did not; both read back from the database exactly as they were collected
      const store = Store.open(db, { readonly: true });
      try {
        const stored = store.ownerRows({ since: before.at, until: after.at }).filter((r) => r.key === before.owner.key);
        assert.deepEqual(stored.map((r) => r.cgroup), [before.owner.cgroup, after.owner.cgroup]);
      } finally {
        store.close();
      }

      const range = ['--since', `@${(before.at - 1000) / 1000}`, '--until', `@${(after.at + 1000) / 1000}`, '--db', db];
      const json = await runMain(['culprits', ...range, '--format', 'json', '--top', '10000']);
      assert.equal(json.code, 0, json.stderr);
      const cul = JSON.parse(json.stdout) as {
        owners: Array<{ ownerKey: string; cgroup: string | null; cgroupLimitBytes: number | null; unseenPeak: { peakBytes: number; after: string; before: string; seenBytes: number } | null }>;
        processes: Array<{ pid: number; explanation: string }>;
        unseenPeaks: Array<Record<string, unknown>>;
      };
      const o = cul.owners.find((x) => x.ownerKey.startsWith('service:') && x.ownerKey.endsWith(`/${unit}`))!;
      assert.equal(o.cgroup, cgroupPath);
      assert.equal(o.cgroupLimitBytes, 256 * MiB);
      assert.ok(o.unseenPeak, 'the spike is reported');
      assert.equal(o.unseenPeak.peakBytes, c.peakBytes);
      assert.deepEqual([o.unseenPeak.after, o.unseenPeak.before], [new Date(before.at).toISOString(), new Date(after.at).toISOString()]);
      assert.ok(o.unseenPeak.seenBytes < 64 * MiB);
      assert.deepEqual(cul.unseenPeaks.find((u) => u.ownerKey === o.ownerKey), { owner: `service ${unit}`, ownerKind: 'service', ownerKey: o.ownerKey, cgroup: cgroupPath, cgroupLimitBytes: 256 * MiB, ...o.unseenPeak });
      // the anchor's explanation names its cgroup's own limit instead of "no pod limit applied"
      const sleeper = cul.processes.find((p) => p.pid === anchor.pid)!;
      assert.match(sleeper.explanation, /a host service \(memrec-spike-\w+\.service\), not a pod: limited to 256Mi by its cgroup and eviction cannot remove it/);

      const text = await runMain(['culprits', ...range, '--top', '10000', '--tz', 'UTC'], { columns: 200 });
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /^Peaks between snapshots \(the owner cgroups' own high-water marks rose above what any snapshot saw\)$/m);
      assert.match(text.stdout, new RegExp(`^  service ${unit.replace('.', '\\.')}: peaked at \\d+(\\.\\d+)?Mi between ([\\d-]+ )?[\\d:]+ and ([\\d-]+ )?[\\d:]+ \\(the snapshots saw at most [\\d.]+[KM]i\\); cgroup`, 'm'));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
