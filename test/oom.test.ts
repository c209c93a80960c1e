import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OomJoiner, parseKmsgDump, parseKmsgRecord, parseOomLine } from '../src/model/oom.js';
import { KmsgReader, readBootId } from '../src/sources/kmsg.js';
import { fixture } from './helpers/paths.js';
import { canUseMemoryCgroups, withCgroup } from './helpers/cgroup.js';

for (const name of ['memcg-v1-6.18', 'global-5.15', 'old-4.14', 'broken']) {
  test(`kmsg fixture ${name}: kills as in ${name}.expected.json`, () => {
    const kills = parseKmsgDump(readFileSync(fixture('kmsg', `${name}.kmsg`), 'utf8'), 'fixture-boot');
    const expected = JSON.parse(readFileSync(fixture('kmsg', `${name}.expected.json`), 'utf8')) as unknown;
    assert.deepEqual(kills, expected);
  });
}

test('the golden fixtures are not empty where kills happened', () => {
  assert.equal(parseKmsgDump(readFileSync(fixture('kmsg', 'memcg-v1-6.18.kmsg'), 'utf8'), null).length, 1);
  assert.equal(parseKmsgDump(readFileSync(fixture('kmsg', 'global-5.15.kmsg'), 'utf8'), null).length, 2);
});

test('kmsg record header: prio, seq, usec; continuation lines dropped; \\x escapes decoded', () => {
  assert.deepEqual(parseKmsgRecord('6,197,139408,-;acpi PNP0A08:00: _OSC\n SUBSYSTEM=acpi\n'), { prio: 6, seq: 197, usec: 139408, message: 'acpi PNP0A08:00: _OSC' });
  assert.deepEqual(parseKmsgRecord('6,90,91489,-,caller=T1;rcu: \\x09RCU'), { prio: 6, seq: 90, usec: 91489, message: 'rcu: \tRCU' });
  for (const bad of ['', 'no header', '6,1;x', 'a,b,c,-;x', '6,1,2;x', '6,-1,2,-;x']) assert.equal(parseKmsgRecord(bad), null, bad);
});

test('oom-kill lines are parsed by key, whatever their order, and a missing pid refuses the line', () => {
  const l = parseOomLine('oom-kill:task=x,pid=7,uid=3,constraint=CONSTRAINT_CPUSET,extra=1,task_memcg=/a');
  assert.deepEqual(l, { kind: 'oom-kill', pid: 7, comm: 'x', uid: 3, constraint: 'cpuset', oomMemcg: null, taskMemcg: '/a', global: true });
  assert.equal(parseOomLine('oom-kill:constraint=CONSTRAINT_NONE,task=x,uid=0'), null);
  assert.equal(parseOomLine('oom_reaper: reaped process 412330 (updatedb), now anon-rss:0kB'), null);
});

test('a comm with spaces and parentheses is kept whole', () => {
  const l = parseOomLine('Out of memory: Killed process 42 (Web Content (x)) total-vm:10kB, anon-rss:5kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:4kB oom_score_adj:100');
  assert.equal(l?.kind, 'killed');
  assert.equal(l?.comm, 'Web Content (x)');
  assert.equal(l?.kind === 'killed' ? l.oomScoreAdj : undefined, 100);
});

test('the joiner: a first line waits one drain for its Killed line, then stands alone', () => {
  const j = new OomJoiner('b');
  const first = parseKmsgRecord('6,10,100,-;oom-kill:constraint=CONSTRAINT_MEMCG,oom_memcg=/m,task_memcg=/m,task=a,pid=5,uid=0')!;
  assert.deepEqual(j.push(first), []);
  assert.deepEqual(j.endOfDrain(), [], 'the Killed line may arrive on the next drain');
  const killed = j.push(parseKmsgRecord('3,11,101,-;Memory cgroup out of memory: Killed process 5 (a) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:1kB oom_score_adj:0')!);
  assert.equal(killed.length, 1);
  assert.equal(killed[0]?.oomMemcg, '/m');
  assert.equal(killed[0]?.kmsgSeq, 11);
  assert.deepEqual(j.endOfDrain(), [], 'nothing left over once joined');

  j.push(first);
  j.endOfDrain();
  const alone = j.endOfDrain();
  assert.equal(alone.length, 1);
  assert.equal(alone[0]?.pid, 5);
  assert.equal(alone[0]?.kmsgSeq, 10);
});

test('KmsgReader on a file of records: skips seq <= afterSeq, reads appended records on the next drain', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'memrec-kmsg-'));
  try {
    const f = path.join(dir, 'kmsg');
    writeFileSync(f, readFileSync(fixture('kmsg', 'memcg-v1-6.18.kmsg')));
    const r = new KmsgReader(f, 424);
    const recs = r.drain();
    assert.deepEqual(recs.map((x) => x.seq), [425, 426]);
    assert.deepEqual(r.drain(), []);
    appendFileSync(f, '6,427,486325400,-;hello\n6,428,486325');
    assert.deepEqual(r.drain().map((x) => x.seq), [427], 'a half-written record waits');
    appendFileSync(f, '401,-;world\n');
    assert.deepEqual(r.drain().map((x) => x.message), ['world']);
    r.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('boot id is read from <proc>/sys/kernel/random/boot_id, null when absent', () => {
  assert.equal(readBootId('/nonexistent'), null);
  if (existsSync('/proc/sys/kernel/random/boot_id')) assert.match(readBootId('/proc') ?? '', /^[0-9a-f-]{36}$/);
});

test('real /dev/kmsg: a drain returns at once (non-blocking) and an OOM kill in a test cgroup is read once', { skip: !canUseMemoryCgroups() || !existsSync('/dev/kmsg') }, async () => {
  const reader = new KmsgReader('/dev/kmsg');
  try {
    const before = reader.drain();
    assert.ok(before.length > 0, 'the ring buffer has the boot messages');
    assert.deepEqual(reader.drain(), [], 'drained: EAGAIN, no block');
    const joiner = new OomJoiner(readBootId('/proc'));
    await withCgroup(async (cg) => {
      cg.setLimit(48 * 1024 * 1024);
      const child = cg.spawnIn('', process.execPath, ['-e', 'const a=[]; for(;;) a.push(Buffer.alloc(4<<20, 1))']);
      const exit = await new Promise<string | null>((resolve) => child.on('exit', (_c, sig) => resolve(sig)));
      assert.equal(exit, 'SIGKILL');
      const kills = [];
      for (let i = 0; i < 50 && kills.length === 0; i++) {
        for (const rec of reader.drain()) kills.push(...joiner.push(rec));
        if (kills.length === 0) await new Promise((r) => setTimeout(r, 20));
      }
      kills.push(...joiner.endOfDrain(), ...joiner.endOfDrain());
      assert.equal(kills.length, 1, JSON.stringify(kills));
      assert.equal(kills[0]?.pid, child.pid);
      assert.equal(kills[0]?.comm, 'node');
      assert.equal(kills[0]?.oomMemcg, cg.path);
      assert.equal(kills[0]?.global, false);
      assert.ok((kills[0]?.anonRssKb ?? 0) > 0);
    });
  } finally {
    reader.close();
  }
});
