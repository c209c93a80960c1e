import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  completeOomKill,
  OOM_STATS_KEPT,
  OOM_TASKS_KEPT,
  OomReportAssembler,
  parseKmsgDump,
  parseKmsgRecord,
  parseOomLine,
  withOwners,
  type KmsgRecord,
} from '../src/model/oom.js';
import { parseReportLine, parseRow } from '../src/model/oom-report.js';
import type { OomKill, Owner } from '../src/model/types.js';
import { describeKill, killDescription } from '../src/report/kills.js';
import { KmsgReader, readBootId } from '../src/sources/kmsg.js';
import { fixture } from './helpers/paths.js';
import { canUseMemoryCgroups, withCgroup } from './helpers/cgroup.js';

const FIXTURES = ['memcg-v1-6.18', 'global-5.15', 'memcg-v2-6.12-group', 'interleaved-6.18', 'cut-6.18', 'old-4.14', 'broken'];
const dump = (name: string): OomKill[] => parseKmsgDump(readFileSync(fixture('kmsg', `${name}.kmsg`), 'utf8'), 'fixture-boot');

for (const name of FIXTURES) {
  test(`kmsg fixture ${name}: kills as in ${name}.expected.json`, () => {
    const expected = JSON.parse(readFileSync(fixture('kmsg', `${name}.expected.json`), 'utf8')) as unknown;
    assert.deepEqual(dump(name), expected);
  });
}

test('the golden fixtures hold the kills they were made for', () => {
  const counts = Object.fromEntries(FIXTURES.map((n) => [n, dump(n).map((k) => `${k.comm}:${k.pid}`)]));
  assert.deepEqual(counts, {
    'memcg-v1-6.18': ['python3:9019'],
    'global-5.15': ['nginx:812', 'java:2140'],
    'memcg-v2-6.12-group': ['python:11342'],
    'interleaved-6.18': ['nginx:812', 'updatedb:5120'],
    'cut-6.18': ['python3:7001', 'python3:7042'],
    'old-4.14': ['stress:5637', 'cc1plus:6002', 'lonely:6100'],
    broken: [],
  });
});

test('a whole report, both table formats: invoker, counters, stats or Mem-Info, tasks largest first, victim and largest', () => {
  const [v1] = dump('memcg-v1-6.18');
  assert.deepEqual(v1!.invoker, { pid: 9019, comm: 'python3', gfpMask: '0xcc0(GFP_KERNEL)', order: 0, oomScoreAdj: 0 });
  assert.equal(v1!.memcgUsageBytes, 32768 * 1024);
  assert.equal(v1!.memcgLimitBytes, 32768 * 1024);
  assert.deepEqual(v1!.memcgCounters.map((c) => [c.name, c.limitBytes]), [['memory', 32768 * 1024], ['memory+swap', null], ['kmem', null]]);
  assert.equal(v1!.memcgStatsPath, '/memrec-probe-3296');
  assert.equal(v1!.memcgStats!['total_rss'], 33320960);
  assert.equal(v1!.memcgStats!['hierarchical_memsw_limit'], null, 'beyond 2^53: null, not a rounded number');
  assert.deepEqual(v1!.tasks[0], {
    pid: 9019, tgid: 9019, uid: 0, comm: 'python3', rssBytes: 9779 * 4096, rssAnonBytes: 8128 * 4096, rssFileBytes: 1651 * 4096,
    rssShmemBytes: 0, swapBytes: 0, totalVmBytes: 10566 * 4096, pgtablesBytes: 131072, oomScoreAdj: 0, owner: null,
  });
  assert.deepEqual(v1!.missing, []);

  const [g] = dump('global-5.15');
  assert.equal(g!.global, true);
  assert.deepEqual(g!.invoker, { pid: 4120, comm: 'updatedb', gfpMask: '0x1100cca(GFP_HIGHUSER_MOVABLE)', order: 0, oomScoreAdj: 0 });
  assert.equal(g!.memInfo!['active_anon'], 4601203 * 4096, 'the multi-line summary record, in bytes');
  assert.equal(g!.memInfo!['free'], 33852 * 4096);
  assert.equal(g!.memInfo!['ram'], 8388478 * 4096);
  assert.equal(g!.memInfo!['swap_total'], 0);
  assert.equal(g!.memcgUsageBytes, null);
  assert.equal(g!.tasksTotal, 10);
  assert.deepEqual(g!.tasks.map((t) => t.comm), ['updatedb', 'java', 'postgres', 'kubelet', 'containerd', 'systemd-journal', 'sshd', 'systemd-udevd', 'nginx', 'cron']);
  assert.equal(g!.tasks[0]!.rssAnonBytes, null, 'the older table has no rss_anon');
  assert.equal(g!.largest?.comm, 'updatedb');
  assert.equal(g!.largest?.rssBytes, 4587520 * 4096);
  assert.equal(g!.pid, 812);
  assert.equal(g!.oomScoreAdj, 1000);
  assert.equal(g!.taskMemcg, '/kubepods/besteffort/pod5e1c0a52-3b7c-4f61-9d0e-2f1a7c1d9e44/8f7d6c5b4a3928171605f4e3d2c1b0a998877665544332211009f8e7d6c5b4a3');

  const [old] = dump('old-4.14');
  assert.equal(old!.oomMemcg, '/docker/34186d9bd07706222bd427bb647ceed81e8e108eb653ff73c7137099fca1cab6', 'from `Task in ... limit of`');
  assert.equal(old!.memcgStats!['rss'], 197168 * 1024, 'inline key:NKB stats in bytes');
  assert.equal(old!.tasks[0]!.pgtablesBytes, (108 + 3) * 4096, 'nr_ptes + nr_pmds pages');
});

test('memory.oom.group: one kill of the group, the victim first and once, every member with its figures', () => {
  const kills = dump('memcg-v2-6.12-group');
  assert.equal(kills.length, 1);
  const k = kills[0]!;
  assert.match(k.group!.memcg, /cri-containerd-c44d2f7a9f1f.*\.scope$/);
  assert.deepEqual(k.group!.victims.map((v) => v.pid), [11342, 11310, 11320, 11341]);
  assert.equal(k.group!.victims[2]!.rssBytes, (5520 + 7720) * 1024);
  assert.equal(k.kmsgSeq, k.kmsgFirstSeq! + 96, 'the last group Killed line ends the report');
  assert.deepEqual(k.memcgCounters.map((c) => c.name), ['memory', 'swap']);
  assert.equal(Object.keys(k.memcgStats!).length, 59);
  assert.match(describeKill(k), /^killed the 4 tasks of \/kubepods\.slice\/.*\.scope \(memory\.oom\.group\), first python \(pid 11342, cgroup \/kubepods.*, oom_score_adj 992, 69.1Mi\); it was the largest task$/);
});

test('interleaved records are left out; the second report begins where the first ends', () => {
  const [a, b] = dump('interleaved-6.18');
  assert.equal(a!.tasksTotal, 3);
  assert.deepEqual(a!.missing, []);
  assert.equal(Object.keys(a!.memcgStats!).length, 14, 'stats around another CPU’s stack dump');
  assert.equal(a!.invoker?.pid, 5120, 'the kworker’s CPU line is not the invoker’s');
  assert.equal(a!.kmsgSeq! + 1, b!.kmsgFirstSeq);
  assert.equal(b!.pid, 5120);
  assert.deepEqual(b!.tasks.map((t) => t.comm), ['updatedb', 'sh']);
});

test('cut short: a report without its Killed line, one without its middle, one without a victim (dropped)', () => {
  const a = new OomReportAssembler('b');
  const kills: OomKill[] = [];
  for (const line of readFileSync(fixture('kmsg', 'cut-6.18.kmsg'), 'utf8').split('\n')) {
    const r = parseKmsgRecord(line);
    if (r) kills.push(...a.push(r));
  }
  kills.push(...a.endOfDrain(), ...a.endOfDrain());
  assert.deepEqual(kills.map((k) => k.missing), [['killed'], ['tasks']]);
  assert.equal(kills[0]!.anonRssKb, null, 'no Killed line: no kill-time figures');
  assert.equal(kills[0]!.tasks[0]!.pid, 7001, 'but its table row');
  assert.equal(kills[1]!.lostRecords, 23);
  assert.deepEqual(a.takeDropped(), [{ firstSeq: 3369, lastSeq: 3370, invoker: 'python3', lostRecords: 0 }]);
  assert.deepEqual(a.takeDropped(), []);
});

const rec = (seq: number, message: string, o: { prio?: number; usec?: number; caller?: string } = {}): KmsgRecord => ({
  prio: o.prio ?? 6,
  seq,
  usec: o.usec ?? seq * 10,
  message,
  ...(o.caller === undefined ? {} : { caller: o.caller }),
});
const INVOKED = 'x invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0';
const HEADER6 = '[  pid  ]   uid  tgid total_vm      rss rss_anon rss_file rss_shmem pgtables_bytes swapents oom_score_adj name';
const row6 = (pid: number, rss: number, adj: number, name: string): string => `[${String(pid).padStart(7)}]     0 ${pid}     1000 ${String(rss).padStart(8)}   ${rss}   0   0    4096   0   ${adj} ${name}`;
const SUMMARY = (pid: number, comm: string): string => `oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/m,task_memcg=/m/s,task=${comm},pid=${pid},uid=0`;
const KILLED = (pid: number, comm: string, adj = 0): string => `Memory cgroup out of memory: Killed process ${pid} (${comm}) total-vm:4000kB, anon-rss:400kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:16kB oom_score_adj:${adj}`;
const REPORT = (s: number, victim: number): KmsgRecord[] => [
  rec(s, INVOKED), rec(s + 1, 'memory: usage 1024kB, limit 1024kB, failcnt 3'), rec(s + 2, 'Tasks state (memory values in pages):'), rec(s + 3, HEADER6),
  rec(s + 4, row6(victim, 100, 1000, 'v')), rec(s + 5, row6(victim + 1, 900, 0, 'big one')), rec(s + 6, SUMMARY(victim, 'v')), rec(s + 7, KILLED(victim, 'v', 1000)),
];

/** Each drain is a list of records; the result is what came out after each drain's endOfDrain. */
function drains(batches: KmsgRecord[][]): { out: OomKill[][]; a: OomReportAssembler } {
  const a = new OomReportAssembler('b');
  return { out: batches.map((b) => [...b.flatMap((r) => a.push(r)), ...a.endOfDrain()]), a };
}

const scenarios: Array<{ name: string; batches: KmsgRecord[][]; expect: (out: OomKill[][], a: OomReportAssembler) => void }> = [
  {
    name: 'a whole report in one drain is stored after the next drain brings nothing for it',
    batches: [REPORT(100, 50), []],
    expect: (out, a) => {
      assert.deepEqual(out.map((o) => o.length), [0, 1]);
      assert.equal(a.pending, false);
      assert.deepEqual([out[1]![0]!.kmsgFirstSeq, out[1]![0]!.kmsgSeq], [100, 107]);
    },
  },
  {
    name: 'a drain boundary in the middle of the table: still one whole report',
    batches: [REPORT(100, 50).slice(0, 5), REPORT(100, 50).slice(5), []],
    expect: (out) => {
      assert.deepEqual(out.map((o) => o.length), [0, 0, 1]);
      assert.deepEqual(out[2]![0]!.tasks.map((t) => t.comm), ['big one', 'v']);
      assert.deepEqual(out[2]![0]!.missing, []);
    },
  },
  {
    name: 'memory.oom.group lines arriving one drain after the Killed line join the same kill',
    batches: [REPORT(100, 50), [rec(108, 'Tasks in /m/s are going to be killed due to memory.oom.group set'), rec(109, KILLED(51, 'big one')), rec(110, KILLED(50, 'v', 1000))], []],
    expect: (out) => {
      assert.deepEqual(out.map((o) => o.length), [0, 0, 1]);
      assert.deepEqual(out[2]![0]!.group?.victims.map((v) => v.pid), [50, 51]);
      assert.equal(out[2]![0]!.kmsgSeq, 110);
    },
  },
  {
    name: 'the next report begins: the previous one is complete at once',
    batches: [[...REPORT(100, 50), ...REPORT(108, 60)], []],
    expect: (out) => assert.deepEqual(out.map((o) => o.map((k) => k.pid)), [[50], [60]]),
  },
  {
    name: 'rate-limited kills (the kernel printed only the Killed lines) are two kills',
    batches: [[rec(5, KILLED(1, 'a')), rec(6, KILLED(2, 'b'))], []],
    expect: (out) => {
      assert.deepEqual(out.flat().map((k) => k.pid), [1, 2]);
      assert.deepEqual(out[1]![0]!.missing, ['invoker', 'memcg', 'tasks', 'summary']);
    },
  },
  {
    name: 'lines written to /dev/kmsg by userspace (facility user) are never a kill',
    batches: [[rec(5, KILLED(1, 'systemd'), { prio: 12 }), rec(6, INVOKED, { prio: 14 })], []],
    expect: (out, a) => {
      assert.deepEqual(out.flat(), []);
      assert.deepEqual(a.takeDropped(), []);
    },
  },
  {
    name: 'with caller ids, a line of the report’s shape printed by another task is left out',
    batches: [[
      rec(1, INVOKED, { caller: 'T7' }), rec(2, 'Tasks state (memory values in pages):', { caller: 'T7' }), rec(3, HEADER6, { caller: 'T7' }),
      rec(4, row6(9, 10, 0, 'x'), { caller: 'T7' }), rec(5, row6(99, 99999, 0, 'intruder'), { caller: 'C1' }),
      rec(6, SUMMARY(9, 'x'), { caller: 'T7' }), rec(7, KILLED(9, 'x'), { caller: 'T7' }),
      rec(8, KILLED(12, 'next'), { caller: 'T12' }),
    ], []],
    expect: (out) => {
      const [k, next] = out.flat();
      assert.deepEqual(k!.tasks.map((t) => t.comm), ['x']);
      assert.equal(next!.pid, 12, 'a kill line of another task begins a new report');
    },
  },
  {
    name: 'a report that never gets its kill line is given up once records 10 s newer arrive',
    batches: [[rec(1, INVOKED, { usec: 1_000_000 }), rec(2, 'Tasks state (memory values in pages):', { usec: 1_000_010 }), rec(3, SUMMARY(4, 'x'), { usec: 1_000_020 })], [rec(9, 'eth0: link up', { usec: 11_500_000 })]],
    expect: (out) => {
      assert.deepEqual(out.map((o) => o.length), [0, 1]);
      assert.deepEqual(out[1]![0]!.missing, ['memcg', 'killed']);
    },
  },
  {
    name: 'a Mem-Info of a page allocation failure outside any report opens none',
    batches: [[rec(1, 'kworker: page allocation failure: order:4, mode:0x40cc0(GFP_KERNEL|__GFP_COMP)'), rec(2, 'Mem-Info:'), rec(3, 'active_anon:1 inactive_anon:2'), rec(4, 'cache 0')], []],
    expect: (out, a) => {
      assert.deepEqual(out.flat(), []);
      assert.equal(a.pending, false);
    },
  },
];

for (const s of scenarios) {
  test(`assembler: ${s.name}`, () => {
    const { out, a } = drains(s.batches);
    s.expect(out, a);
  });
}

test('a 1000-task global table: the largest OOM_TASKS_KEPT plus the victim are kept, and how many were left out', () => {
  const recs = [rec(1, INVOKED), rec(2, 'Tasks state (memory values in pages):'), rec(3, HEADER6)];
  const pages = (i: number): number => (i * 7919) % 100_000;
  for (let i = 0; i < 1000; i++) recs.push(rec(4 + i, row6(1000 + i, pages(i), i === 500 ? 1000 : 0, `t${i}`)));
  recs.push(rec(1004, KILLED(1500, 't500', 1000)));
  const { out } = drains([recs, []]);
  const k = out[1]![0]!;
  assert.equal(k.tasksTotal, 1000);
  assert.equal(k.tasks.length, OOM_TASKS_KEPT + 1);
  assert.equal(k.tasksOmitted, 1000 - OOM_TASKS_KEPT - 1);
  assert.equal(k.tasks[OOM_TASKS_KEPT]!.pid, 1500, 'the victim, after the largest');
  const rss = k.tasks.slice(0, OOM_TASKS_KEPT).map((t) => t.rssBytes!);
  assert.deepEqual(rss, rss.slice().sort((x, y) => y - x));
  assert.equal(rss[0], Math.max(...Array.from({ length: 1000 }, (_, i) => pages(i))) * 4096);
  assert.equal(k.largest, k.tasks[0]);
});

test('the stats block is capped at OOM_STATS_KEPT keys, the rest counted', () => {
  const recs = [rec(1, INVOKED), rec(2, 'Memory cgroup stats for /m:')];
  for (let i = 0; i < 130; i++) recs.push(rec(3 + i, `key_${i} ${i}`));
  recs.push(rec(200, KILLED(5, 'x')));
  const k = drains([recs, []]).out[1]![0]!;
  assert.equal(Object.keys(k.memcgStats!).length, OOM_STATS_KEPT);
  assert.equal(k.memcgStatsOmitted, 30);
  assert.equal(k.lostRecords, 200 - 133, 'the sequence gap before the Killed line');
});

test('table rows: columns from the header, a comm with spaces or digits, known layouts without a header', () => {
  const cols = ['uid', 'tgid', 'total_vm', 'rss', 'pgtables_bytes', 'swapents', 'oom_score_adj'];
  assert.deepEqual(parseRow(42, '    0    42    10566     9779   131072        0          -997 Web Content', cols)?.name, 'Web Content');
  assert.deepEqual(parseRow(42, '    0    42    10566     9779   131072        0             0 7z 2', cols)?.name, '7z 2');
  assert.equal(parseRow(42, '    0    42    10566     9779   131072        0             0 123', null)?.values.get('oom_score_adj'), 0, 'a number-only name is the name');
  assert.equal(parseRow(42, '    0    42    10566     9779 x', cols), null, 'too few numbers');
  assert.equal(parseRow(42, '  1 2 3 4 5 6 7 8 name', null), null, '8 numbers: no known layout');
  assert.deepEqual(parseReportLine(HEADER6, 4096), { kind: 'table-header', columns: HEADER6.slice(12, -5).trim().split(/\s+/) });
  assert.deepEqual(parseReportLine('CPU 11/KVM invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=830', 4096), { kind: 'invoked', comm: 'CPU 11/KVM', gfpMask: '0xcc0(GFP_KERNEL)', order: 0, oomScoreAdj: 830 });
  assert.deepEqual(parseReportLine('CPU: 60 PID: 70888 Comm: CPU 11/KVM Not tainted 5.3.18-150300.59.101-default #1 SLE15-SP3', 4096), { kind: 'cpu', pid: 70888, comm: 'CPU 11/KVM' });
  assert.deepEqual(parseReportLine('anon 98140160\nfile 3153920', 4096), { kind: 'kv', entries: [['anon', 98140160], ['file', 3153920]] });
  assert.equal(parseReportLine('eth0: link up 1000', 4096), null);
});

test('owners: the victim asked with its task memcg, tasks with the OOMing memcg, group members with the group; each pid once', () => {
  const [k] = dump('interleaved-6.18');
  const asked: string[] = [];
  const pod: Owner = { kind: 'pod', podUid: '0c4e8e0f-57a4-4b44-9a7e-0d1d4b7f3a21', qos: 'besteffort', containerId: '0f32894de86e', runtime: 'containerd', namespace: 'shop', podName: 'web-1', container: null, containerType: null, cgroup: null };
  const svc: Owner = { kind: 'service', unit: 'plocate-updatedb.service', cgroup: '/memrec-incident-4c1d/system.slice/plocate-updatedb.service' };
  const owned = withOwners(k!, (pid, comm, memcg) => {
    asked.push(`${pid} ${comm} ${memcg}`);
    return pid === 812 ? pod : pid === 5120 ? svc : null;
  });
  assert.deepEqual(asked, [`812 nginx ${k!.taskMemcg}`, '5120 updatedb /memrec-incident-4c1d', '5101 sh /memrec-incident-4c1d']);
  assert.deepEqual(owned.owner, pod);
  assert.deepEqual(owned.largest?.owner, svc);
  assert.equal(owned.tasks[2]!.owner, null);
  assert.equal(k!.owner, null, 'the parsed kill is not changed');
  assert.equal(
    describeKill(owned),
    'killed nginx (pid 812, pod shop/web-1, best-effort, oom_score_adj 1000, 4Mi); the largest task was updatedb (pid 5120, host service plocate-updatedb.service, 1011Mi)',
  );
  assert.equal(killDescription(owned).split(': ')[0], 'OOM in /memrec-incident-4c1d');
});

test('describeKill on the incident: a best-effort pod killed while a host service held 17.5Gi', () => {
  const [g] = dump('global-5.15');
  const owners = new Map<number, Owner>([
    [812, { kind: 'pod', podUid: '5e1c0a52-3b7c-4f61-9d0e-2f1a7c1d9e44', qos: 'besteffort', containerId: '8f7d6c5b4a39', runtime: 'docker', namespace: 'shop', podName: 'web-1', container: null, containerType: null, cgroup: null }],
    [4120, { kind: 'service', unit: 'plocate-updatedb.service', cgroup: '/system.slice/plocate-updatedb.service' }],
  ]);
  const k = withOwners(g!, (pid) => owners.get(pid) ?? null);
  assert.equal(killDescription(k), 'global OOM: killed nginx (pid 812, pod shop/web-1, best-effort, oom_score_adj 1000, 4Mi); the largest task was updatedb (pid 4120, host service plocate-updatedb.service, 17.5Gi)');
});

test('describeKill: the victim that was the largest, an unknown owner, no task list, control characters escaped', () => {
  const [, b] = dump('interleaved-6.18');
  assert.equal(describeKill(b!), 'killed updatedb (pid 5120, cgroup /memrec-incident-4c1d/system.slice/plocate-updatedb.service, oom_score_adj 0, 1015Mi); it was the largest task');
  const [, java] = dump('global-5.15');
  assert.match(describeKill(java!), /^killed java \(pid 2140, cgroup \/kubepods\/burstable\/pod1b2c3d4e.*, oom_score_adj 969, 1\.02Gi\); the report had no task list$/);
  const [g] = dump('global-5.15');
  const evil = { ...g!, comm: 'ngi\x1b[2Jnx', largest: { ...g!.largest!, oomScoreAdj: -997, owner: null } };
  assert.equal(
    describeKill(evil),
    'killed ngi\\x1b[2Jnx (pid 812, cgroup /kubepods/besteffort/pod5e1c0a52-3b7c-4f61-9d0e-2f1a7c1d9e44/8f7d6c5b4a3928171605f4e3d2c1b0a998877665544332211009f8e7d6c5b4a3, oom_score_adj 1000, 4Mi); the largest task was updatedb (pid 4120, owner unknown, oom_score_adj -997, 17.5Gi)',
  );
});

test('an oom_kill stored before the whole report was kept reads back with the report fields as not seen', () => {
  const old = { bootId: 'b', kmsgSeq: 1, kmsgUsec: 2, pid: 3, comm: 'c', uid: 0, constraint: 'memcg', oomMemcg: '/m', taskMemcg: '/m', totalVmKb: 1, anonRssKb: 1, fileRssKb: 0, shmemRssKb: 0, pgtablesKb: 1, oomScoreAdj: 0, global: false };
  const k = completeOomKill(old);
  assert.deepEqual(k.tasks, []);
  assert.equal(k.invoker, null);
  assert.equal(k.largest, null);
  assert.deepEqual(k.missing, ['invoker', 'memcg', 'tasks']);
  assert.equal(completeOomKill(k), k, 'a whole one is returned as is');
  assert.equal(describeKill(k), 'killed c (pid 3, cgroup /m, oom_score_adj 0, 1Ki); the report had no task list');
});

test('kmsg escapes the bytes of a UTF-8 comm one by one: decoded back to its characters, bad bytes as U+FFFD', () => {
  // the kernel writes every byte >= 0x7f as \\xNN: a comm `日本` and U+202E arrive as their UTF-8 bytes
  assert.equal(parseKmsgRecord('3,7,8,-;Killed process 5 (\\xe6\\x97\\xa5\\xe6\\x9c\\xac\\xe2\\x80\\xaex) total-vm:1kB')?.message, 'Killed process 5 (日本\u202ex) total-vm:1kB');
  assert.equal(parseKmsgRecord('3,7,8,-;a \\xff\\x41 \\x5c')?.message, 'a \ufffdA \\');
  assert.equal(parseOomLine(parseKmsgRecord('3,7,8,-;Killed process 5 (\\xc3\\xa9t\\xc3\\xa9) total-vm:1kB')!.message)?.comm, 'été');
});

test('a comm or memcg with CR or U+2028 (any byte but NUL and /) does not hide a line of the report', () => {
  const odd = 'a\rb\u2028c d';
  const killed = parseOomLine(`Out of memory: Killed process 7 (${odd}) total-vm:1kB, anon-rss:2kB`);
  assert.deepEqual([killed?.kind, killed?.pid, killed?.comm, killed?.kind === 'killed' ? killed.anonRssKb : null], ['killed', 7, odd, 2]);
  assert.equal(parseReportLine(`${odd} invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0`, 4096)?.kind, 'invoked');
  assert.deepEqual(parseReportLine(`CPU: 1 UID: 0 PID: 9 Comm: ${odd} Not tainted 6.18.44 #1`, 4096), { kind: 'cpu', pid: 9, comm: odd });
  assert.deepEqual(parseReportLine(`[   9019]     0  9019    10566     9779     8128     1651         0   131072        0             0 ${odd}`, 4096), { kind: 'row', pid: 9019, rest: `    0  9019    10566     9779     8128     1651         0   131072        0             0 ${odd}` });
  assert.deepEqual(parseReportLine(`Memory cgroup stats for /x ${odd}:`, 4096), { kind: 'stats-header', path: `/x ${odd}`, inline: null });
});

test('kmsg record header: prio, seq, usec, caller; continuation lines dropped; \\x escapes decoded', () => {
  assert.deepEqual(parseKmsgRecord('6,197,139408,-;acpi PNP0A08:00: _OSC\n SUBSYSTEM=acpi\n'), { prio: 6, seq: 197, usec: 139408, message: 'acpi PNP0A08:00: _OSC' });
  assert.deepEqual(parseKmsgRecord('6,90,91489,-,caller=T1;rcu: \\x09RCU'), { prio: 6, seq: 90, usec: 91489, message: 'rcu: \tRCU', caller: 'T1' });
  assert.equal(parseKmsgRecord('4,5,6,-;active_anon:1 inactive_anon:2\\x0a free:3')?.message, 'active_anon:1 inactive_anon:2\n free:3');
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

test('KmsgReader on a file of records: skips seq <= afterSeq, reads appended records on the next drain, knows the last seq', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'memrec-kmsg-'));
  try {
    const f = path.join(dir, 'kmsg');
    writeFileSync(f, readFileSync(fixture('kmsg', 'memcg-v1-6.18.kmsg')));
    const r = new KmsgReader(f, 424);
    const recs = r.drain();
    assert.deepEqual(recs.map((x) => x.seq), [425, 426]);
    assert.equal(r.lastSeq, 426);
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

test('real /dev/kmsg: a drain returns at once (non-blocking) and an OOM kill in a test cgroup is read once, whole', { skip: !canUseMemoryCgroups() ? 'needs root and a writable cgroup v1 memory hierarchy' : !existsSync('/dev/kmsg') && 'needs /dev/kmsg' }, async () => {
  const reader = new KmsgReader('/dev/kmsg');
  try {
    const before = reader.drain();
    assert.ok(before.length > 0, 'the ring buffer has the boot messages');
    assert.deepEqual(reader.drain(), [], 'drained: EAGAIN, no block');
    const assembler = new OomReportAssembler(readBootId('/proc'));
    await withCgroup(async (cg) => {
      cg.setLimit(48 * 1024 * 1024);
      const child = cg.spawnIn('', process.execPath, ['-e', 'const a=[]; for(;;) a.push(Buffer.alloc(4<<20, 1))']);
      const exit = await new Promise<string | null>((resolve) => child.on('exit', (_c, sig) => resolve(sig)));
      assert.equal(exit, 'SIGKILL');
      // other tests kill in their own cgroups meanwhile: only this cgroup's report counts
      const mine: OomKill[] = [];
      const deadline = Date.now() + 10_000;
      while (mine.length === 0 && Date.now() < deadline) {
        const kills = [...reader.drain().flatMap((r) => assembler.push(r)), ...assembler.endOfDrain()];
        mine.push(...kills.filter((k) => k.oomMemcg === cg.path));
        if (mine.length === 0) await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(mine.length, 1, JSON.stringify(mine));
      const k = mine[0]!;
      assert.equal(k.pid, child.pid);
      assert.equal(k.comm, 'node');
      assert.equal(k.global, false);
      assert.ok((k.anonRssKb ?? 0) > 0);
      assert.deepEqual(k.missing, []);
      assert.equal(k.memcgLimitBytes, 48 * 1024 * 1024);
      assert.equal(k.memcgStatsPath, cg.path);
      assert.equal(k.largest?.pid, child.pid);
      assert.ok(k.tasks.every((t) => t.rssAnonBytes !== null), 'this kernel prints the 6.x table');
    });
  } finally {
    reader.close();
  }
});
