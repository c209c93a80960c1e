// What reading one OOM report costs the recorder: a global OOM's report lists every task of the node, so its
// size grows with the node. Records are built in the 6.x shape (as /dev/kmsg hands them, one string each),
// then parsed and assembled as the recorder does; the stored event's size is that of its JSON.
import { OomReportAssembler, parseKmsgRecord } from '../src/model/oom.js';

const HEADER = '[  pid  ]   uid  tgid total_vm      rss rss_anon rss_file rss_shmem pgtables_bytes swapents oom_score_adj name';

/** The records of one global OOM report with `tasks` rows, as read from /dev/kmsg. */
export function globalReport(tasks: number, firstSeq = 1): string[] {
  const lines = [
    'updatedb invoked oom-killer: gfp_mask=0x140dca(GFP_HIGHUSER_MOVABLE|__GFP_COMP|__GFP_ZERO), order=0, oom_score_adj=0',
    'CPU: 3 UID: 0 PID: 4120 Comm: updatedb Not tainted 6.18.44 #1 PREEMPT(none)',
    'Call Trace:',
    ...Array.from({ length: 16 }, (_, i) => ` frame_${i}+0x4a/0x63`),
    'Mem-Info:',
    'active_anon:4601203 inactive_anon:12044 isolated_anon:0\\x0a active_file:210 inactive_file:166 isolated_file:0\\x0a free:33852 free_pcp:62 free_cma:0',
    ...Array.from({ length: 12 }, (_, i) => `Node 0 zone${i} free:15360kB min:32kB low:44kB high:56kB`),
    '8388478 pages RAM',
    'Tasks state (memory values in pages):',
    HEADER,
  ];
  for (let i = 0; i < tasks; i++) {
    const pid = 1000 + i;
    const rss = (i * 7919) % 50_000;
    lines.push(`[${String(pid).padStart(7)}] ${String(i % 3 === 0 ? 0 : 1000).padStart(5)} ${String(pid).padStart(5)} ${String(rss * 3).padStart(8)} ${String(rss).padStart(8)} ${String(rss - (rss >> 3)).padStart(8)} ${String(rss >> 3).padStart(8)} ${'0'.padStart(9)} ${'65536'.padStart(8)} ${'0'.padStart(8)}         ${String(i % 7 === 0 ? 1000 : 0).padStart(5)} worker-${i}`);
  }
  lines.push('oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/kubepods/besteffort/pod1/c1,task=worker-7,pid=1007,uid=1000');
  lines.push('Out of memory: Killed process 1007 (worker-7) total-vm:10340kB, anon-rss:1240kB, file-rss:2856kB, shmem-rss:0kB, UID:1000 pgtables:60kB oom_score_adj:1000');
  return lines.map((m, i) => `${m.startsWith('oom-kill') || m.startsWith('Out of') ? 3 : 6},${firstSeq + i},${1_000_000 + i},-;${m}`);
}

export interface OomBench {
  tasks: number;
  records: number;
  /** CPU per report (parse + assemble), ms, median of the runs */
  msPerReport: number;
  usPerTask: number;
  /** the stored event's details as JSON */
  eventBytes: number;
}

export function benchOom(o: { tasks: number; runs?: number }): OomBench {
  const runs = o.runs ?? 15;
  const records = globalReport(o.tasks);
  const times: number[] = [];
  let bytes = 0;
  for (let r = 0; r < runs; r++) {
    const a = new OomReportAssembler('bench', 4096);
    const t0 = process.cpuUsage();
    for (const text of records) a.push(parseKmsgRecord(text)!);
    a.endOfDrain();
    const [kill] = a.endOfDrain();
    const t = process.cpuUsage(t0);
    times.push((t.user + t.system) / 1000);
    if (kill === undefined) throw new Error('the bench report gave no kill');
    bytes = JSON.stringify(kill).length;
  }
  times.sort((x, y) => x - y);
  const ms = times[Math.floor(times.length / 2)]!;
  return { tasks: o.tasks, records: records.length, msPerReport: Math.round(ms * 100) / 100, usPerTask: Math.round((ms * 1000 * 100) / o.tasks) / 100, eventBytes: bytes };
}
