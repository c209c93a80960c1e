// The lines of a kernel OOM report other than the kill lines (those are in oom.ts): the invoker, the memcg
// counters and stats, the Mem-Info summary, the task table. Pure: one message in, what it says out.
// Shapes follow mm/oom_kill.c (dump_header, dump_tasks, dump_task), mm/memcontrol.c
// (mem_cgroup_print_oom_meminfo, mem_cgroup_print_oom_group) and mm/show_mem.c, 4.x to 6.x.
import type { OomMemcgCounter } from './types.js';

export type ReportLine =
  | { kind: 'invoked'; comm: string; gfpMask: string | null; order: number | null; oomScoreAdj: number | null }
  /** dump_stack's first line, `CPU: 1 UID: 0 PID: 9019 Comm: python3 Not tainted ...`: the invoker's pid */
  | { kind: 'cpu'; pid: number; comm: string }
  /** kernels before 4.19: `Task in <task memcg> killed as a result of limit of <oom memcg>` */
  | { kind: 'task-in'; taskMemcg: string; oomMemcg: string }
  | { kind: 'counter'; counter: OomMemcgCounter }
  /** `Memory cgroup stats for <path>:`; before 4.19 the stats follow on the same line as `key:NKB` (bytes here) */
  | { kind: 'stats-header'; path: string; inline: Array<[string, number | null]> | null }
  /** `key value` lines of memory.stat (one a record on 6.x, all in one record on 5.x cgroup v2); null: too large to be exact */
  | { kind: 'kv'; entries: Array<[string, number | null]> }
  | { kind: 'meminfo-header' }
  /** Mem-Info summary counters, already in bytes */
  | { kind: 'meminfo'; entries: Array<[string, number]> }
  | { kind: 'tasks-header' }
  /** the columns after `[ pid ]`, up to but without `name` */
  | { kind: 'table-header'; columns: string[] }
  | { kind: 'row'; pid: number; rest: string }
  | { kind: 'group'; memcg: string }
  /** a memory.oom.group member that was already exiting */
  | { kind: 'group-skip'; pid: number };

/** Kernels print an unlimited page counter as PAGE_COUNTER_MAX pages: anything this large is "no limit". */
const UNLIMITED_KB = 2 ** 52;

// A comm or cgroup name may hold any byte but NUL and '/' (a CR, U+2028 too): `.` must match them all (flag s)
const INVOKED = /^(.+?) invoked oom-killer: (.*)$/s;
const CPU = /^CPU: \d+ (?:UID: \d+ )?PID: (\d+) Comm: (.*?) (?:Not tainted|Tainted:)/s;
const TASK_IN = /^Task in (\S+) killed as a result of limit of (\S+)$/;
const COUNTER = /^(memory|memory\+swap|swap|kmem): usage (\d+)kB, limit (\d+)kB, failcnt (\d+)$/;
const STATS = /^Memory cgroup stats for (.+?):(?: (.*))?$/s;
const KV = /^([a-z][a-z0-9_]*) (-?\d+)$/;
const ROW = /^\[\s*(\d+)\]\s(.*)$/s;
const TABLE_HEADER = /^\[\s*pid\s*\]\s+(.*)\sname$/s;
const GROUP = /^Tasks in (.+) are going to be killed due to memory\.oom\.group set$/s;
const SKIP = /: OOM victim (\d+) \(.*\) is already exiting\. Skip$/s;
/** Mem-Info lines after the summary, each one number: [pattern, key, unit in bytes (0: pages)] */
const MEMINFO_LINES: Array<[RegExp, string, number]> = [
  [/^(\d+) total pagecache pages$/, 'pagecache', 0],
  [/^(\d+) pages in swap cache$/, 'swapcache', 0],
  [/^Free swap\s+=\s+(\d+)kB$/, 'swap_free', 1024],
  [/^Total swap\s+=\s+(\d+)kB$/, 'swap_total', 1024],
  [/^(\d+) pages RAM$/, 'ram', 0],
  [/^(\d+) pages reserved$/, 'reserved', 0],
];

function keyed(rest: string): Map<string, string> {
  const kv = new Map<string, string>();
  for (const part of rest.split(', ')) {
    const eq = part.indexOf('=');
    if (eq > 0) kv.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return kv;
}

/** An integer a double holds exactly, else null: a run of 400 digits is no pid or count the kernel printed. */
function int(v: string | undefined): number | null {
  return v !== undefined && /^-?\d+$/.test(v) ? exact(Number(v)) : null;
}

/** Classify one kernel message (a record may hold several lines). Null: not a report line of this file's kinds. */
export function parseReportLine(message: string, pageSize: number): ReportLine | null {
  const c0 = message.charCodeAt(0);
  // '[' starts the table's header and rows: by far the most frequent report line, tested first.
  if (c0 === 0x5b) {
    const h = TABLE_HEADER.exec(message);
    if (h) return { kind: 'table-header', columns: h[1]!.trim().split(/\s+/) };
    const r = ROW.exec(message);
    const pid = int(r?.[1]);
    return r && pid !== null ? { kind: 'row', pid, rest: r[2]! } : null;
  }
  const inv = INVOKED.exec(message);
  if (inv) {
    const kv = keyed(inv[2]!);
    return { kind: 'invoked', comm: inv[1]!, gfpMask: kv.get('gfp_mask') ?? null, order: int(kv.get('order')), oomScoreAdj: int(kv.get('oom_score_adj')) };
  }
  const cpu = CPU.exec(message);
  const cpuPid = int(cpu?.[1]);
  if (cpu && cpuPid !== null) return { kind: 'cpu', pid: cpuPid, comm: cpu[2]! };
  const ctr = COUNTER.exec(message);
  const [usageKb, limitKb, failcnt] = [int(ctr?.[2]), int(ctr?.[3]), int(ctr?.[4])];
  if (ctr && usageKb !== null && failcnt !== null) {
    return {
      kind: 'counter',
      counter: { name: ctr[1] as OomMemcgCounter['name'], usageBytes: usageKb * 1024, limitBytes: limitKb === null || limitKb >= UNLIMITED_KB ? null : limitKb * 1024, failcnt },
    };
  }
  const st = STATS.exec(message);
  if (st) {
    const rest = st[2]?.trim() ?? '';
    if (rest === '') return { kind: 'stats-header', path: st[1]!, inline: null };
    const pairs = [...rest.matchAll(/(\w+):(\d+)KB/g)].map((m): [string, number | null] => [m[1]!, exact(Number(m[2]) * 1024)]);
    if (pairs.length > 0) return { kind: 'stats-header', path: st[1]!, inline: pairs };
    // 5.x cgroup v2: the stats in the same record, one per line
    const entries = kvEntries(rest);
    return { kind: 'stats-header', path: st[1]!, inline: entries };
  }
  if (message === 'Mem-Info:') return { kind: 'meminfo-header' };
  if (message.startsWith('active_anon:')) {
    return { kind: 'meminfo', entries: [...message.matchAll(/(\w+):(\d+)/g)].flatMap((m): Array<[string, number]> => (int(m[2]) === null ? [] : [[m[1]!, int(m[2])! * pageSize]])) };
  }
  if (message === 'Tasks state (memory values in pages):') return { kind: 'tasks-header' };
  const g = GROUP.exec(message);
  if (g) return { kind: 'group', memcg: g[1]! };
  const ti = TASK_IN.exec(message);
  if (ti) return { kind: 'task-in', taskMemcg: ti[1]!, oomMemcg: ti[2]! };
  const sk = SKIP.exec(message);
  const skPid = int(sk?.[1]);
  if (sk && skPid !== null) return { kind: 'group-skip', pid: skPid };
  for (const [re, key, unit] of MEMINFO_LINES) {
    const m = re.exec(message);
    const n = int(m?.[1]);
    if (m && n !== null) return { kind: 'meminfo', entries: [[key, n * (unit === 0 ? pageSize : unit)]] };
  }
  const entries = kvEntries(message);
  return entries === null ? null : { kind: 'kv', entries };
}

/** Every line `key value`, else null. */
function kvEntries(text: string): Array<[string, number | null]> | null {
  const out: Array<[string, number | null]> = [];
  for (const line of text.split('\n')) {
    const m = KV.exec(line.trim());
    if (!m) return null;
    out.push([m[1]!, exact(Number(m[2]))]);
  }
  return out.length > 0 ? out : null;
}

/** A value a double cannot hold exactly (an unlimited v1 limit, 2^63 - 4096) is null, not a rounded lie. */
function exact(n: number): number | null {
  return Number.isSafeInteger(n) ? n : null;
}

/** A task table row's numbers by column name, and the task's name (the rest of the line; it may hold spaces). */
export interface TableRow {
  pid: number;
  values: Map<string, number>;
  name: string;
}

/**
 * The column layouts kernels have printed, for rows whose header was lost: 4.15 to 6.x before rss_anon
 * (pgtables_bytes), and 6.x. Older layouts (nr_ptes nr_pmds) differ in count and are not guessed.
 */
const KNOWN_LAYOUTS = new Map<number, string[]>([
  [7, ['uid', 'tgid', 'total_vm', 'rss', 'pgtables_bytes', 'swapents', 'oom_score_adj']],
  [10, ['uid', 'tgid', 'total_vm', 'rss', 'rss_anon', 'rss_file', 'rss_shmem', 'pgtables_bytes', 'swapents', 'oom_score_adj']],
]);

const NUMBER = /\s*(-?\d+)/y;

/** Parse a row's text after `[ pid ]` with the table's columns (or a known layout when null). Null if it does not fit. */
export function parseRow(pid: number, rest: string, columns: string[] | null): TableRow | null {
  const values = new Map<string, number>();
  const nums: number[] = [];
  let pos = 0;
  const want = columns?.length ?? null;
  while (want === null || nums.length < want) {
    NUMBER.lastIndex = pos;
    const m = NUMBER.exec(rest);
    // a number must be followed by a space: a name made of digits stays the name
    if (!m || rest.charCodeAt(NUMBER.lastIndex) !== 0x20) break;
    // a number no double holds exactly is no count of pages the kernel printed: the row does not fit
    if (!Number.isSafeInteger(Number(m[1]))) return null;
    nums.push(Number(m[1]));
    pos = NUMBER.lastIndex;
  }
  const cols = columns ?? KNOWN_LAYOUTS.get(nums.length) ?? null;
  if (cols === null || nums.length !== cols.length || rest.charCodeAt(pos) !== 0x20) return null;
  cols.forEach((c, i) => values.set(c, nums[i]!));
  return { pid, values, name: rest.slice(pos + 1) };
}
