// Kernel OOM reports from /dev/kmsg → OomKill. Pure: the kmsg source hands records in, one at a time;
// the page size of the kernel that wrote them is passed in.
import { parseReportLine, parseRow, type ReportLine, type TableRow } from './oom-report.js';
import type { OomInvoker, OomKill, OomMemcgCounter, OomReportPart, OomTask, Owner } from './types.js';

/** One /dev/kmsg record: `prio,seq,usec,flags[,...];message`, continuation lines (` KEY=value`) dropped. */
export interface KmsgRecord {
  /** syslog facility * 8 + level */
  prio: number;
  seq: number;
  /** µs since boot */
  usec: number;
  message: string;
  /** `caller=T123` (CONFIG_PRINTK_CALLER): who printed it; absent on most kernels */
  caller?: string;
}

/** Parse one record as read from /dev/kmsg. Null for anything that does not have the kmsg header. */
export function parseKmsgRecord(text: string): KmsgRecord | null {
  const semi = text.indexOf(';');
  if (semi < 0) return null;
  const head = text.slice(0, semi).split(',');
  if (head.length < 4) return null;
  const [prio, seq, usec] = head.map((h) => (/^\d+$/.test(h) ? Number(h) : NaN));
  if (!Number.isSafeInteger(prio) || !Number.isSafeInteger(seq) || !Number.isSafeInteger(usec)) return null;
  const nl = text.indexOf('\n', semi);
  const message = unescapeKmsg(nl < 0 ? text.slice(semi + 1) : text.slice(semi + 1, nl));
  const caller = head.slice(4).find((h) => h.startsWith('caller='));
  return caller === undefined ? { prio: prio!, seq: seq!, usec: usec!, message } : { prio: prio!, seq: seq!, usec: usec!, message, caller: caller.slice(7) };
}

const utf8 = new TextDecoder();

/**
 * kmsg escapes every byte below 0x20, from 0x7f up, and the backslash as \xNN (a tab in a comm shows as \x09,
 * `日` as \xe6\x97\xa5): a run of escapes is the bytes of UTF-8 text, decoded as such (invalid bytes as U+FFFD).
 */
function unescapeKmsg(s: string): string {
  if (!s.includes('\\x')) return s;
  return s.replace(/(?:\\x[0-9a-fA-F]{2})+/g, (run) => utf8.decode(Uint8Array.from(run.slice(2).split('\\x'), (h) => parseInt(h, 16))));
}

/** What one kernel line says about a kill; several lines make one OomKill. */
export type OomLine =
  | { kind: 'killed'; pid: number; comm: string; global: boolean | null; totalVmKb: number | null; anonRssKb: number | null; fileRssKb: number | null; shmemRssKb: number | null; uid: number | null; pgtablesKb: number | null; oomScoreAdj: number | null }
  | { kind: 'oom-kill'; pid: number; comm: string | null; uid: number | null; constraint: string | null; oomMemcg: string | null; taskMemcg: string | null; global: boolean }
  | { kind: 'kill-score'; pid: number; comm: string; global: boolean | null };

// a comm may hold any byte but NUL (a CR, U+2028 too): `.` must match them all (flag s)
const KILLED = /^(?:(Out of memory|Memory cgroup out of memory)(?: \([^)]*\))?: )?Killed process (\d+) \((.*)\) (total-vm:.*)$/s;
const KILL_SCORE = /^(?:(Out of memory|Memory cgroup out of memory)(?: \([^)]*\))?: )?Kill process (\d+) \((.*)\) score -?\d+ or sacrifice child$/s;

function kb(fields: string, name: string): number | null {
  return intOrNull(new RegExp(`(?:^|[ ,])${name}:(-?\\d+)(kB)?`).exec(fields)?.[1]);
}

/** An integer a double holds exactly, else null: a run of 400 digits is no pid or size the kernel printed. */
function intOrNull(v: string | undefined): number | null {
  const n = v !== undefined && /^-?\d+$/.test(v) ? Number(v) : NaN;
  return Number.isSafeInteger(n) ? n : null;
}

/** CONSTRAINT_NONE is a whole-node OOM; the others name what limited the allocation. */
function constraintName(raw: string | undefined): string | null {
  switch (raw) {
    case undefined:
      return null;
    case 'CONSTRAINT_NONE':
      return 'global';
    case 'CONSTRAINT_MEMCG':
      return 'memcg';
    case 'CONSTRAINT_CPUSET':
      return 'cpuset';
    case 'CONSTRAINT_MEMORY_POLICY':
      return 'mempolicy';
    default:
      return raw.toLowerCase().replace(/^constraint_/, '');
  }
}

/** Classify one kernel message. Null for everything that is not one of the three OOM kill lines. */
export function parseOomLine(message: string): OomLine | null {
  const k = KILLED.exec(message);
  const killedPid = intOrNull(k?.[2]);
  if (k && killedPid !== null) {
    const f = k[4]!;
    return {
      kind: 'killed',
      pid: killedPid,
      comm: k[3]!,
      global: k[1] === undefined ? null : k[1] === 'Out of memory',
      totalVmKb: kb(f, 'total-vm'),
      anonRssKb: kb(f, 'anon-rss'),
      fileRssKb: kb(f, 'file-rss'),
      shmemRssKb: kb(f, 'shmem-rss'),
      uid: kb(f, 'UID'),
      pgtablesKb: kb(f, 'pgtables'),
      oomScoreAdj: kb(f, 'oom_score_adj'),
    };
  }
  if (message.startsWith('oom-kill:')) {
    // Keys by name: their set and order changed across kernel versions. `global_oom` is a bare word.
    const kv = new Map<string, string>();
    let globalWord = false;
    for (const part of message.slice('oom-kill:'.length).split(',')) {
      const eq = part.indexOf('=');
      if (eq < 0) {
        if (part.trim() === 'global_oom') globalWord = true;
        continue;
      }
      kv.set(part.slice(0, eq).trim(), part.slice(eq + 1));
    }
    const pid = intOrNull(kv.get('pid'));
    if (pid === null) return null;
    const oomMemcg = kv.get('oom_memcg') ?? null;
    return {
      kind: 'oom-kill',
      pid,
      comm: kv.get('task') ?? null,
      uid: intOrNull(kv.get('uid')),
      constraint: constraintName(kv.get('constraint')),
      oomMemcg,
      taskMemcg: kv.get('task_memcg') ?? null,
      global: globalWord || oomMemcg === null,
    };
  }
  const s = KILL_SCORE.exec(message);
  const scorePid = intOrNull(s?.[2]);
  if (s && scorePid !== null) return { kind: 'kill-score', pid: scorePid, comm: s[3]!, global: s[1] === undefined ? null : s[1] === 'Out of memory' };
  return null;
}

/** Tasks kept per kill: the largest by rss, plus the victim. A global OOM's table lists every task of the node. */
export const OOM_TASKS_KEPT = 20;
/** memory.stat keys kept (6.x prints about 40 on cgroup v1, 70 on v2). */
export const OOM_STATS_KEPT = 100;
/** memory.oom.group victims kept. */
export const OOM_GROUP_KEPT = 100;
/** A report still without its Killed line is given up (kept as cut short) once records this much newer (kmsg time) came. */
const STALE_USEC = 10_000_000;

type Line = OomLine | ReportLine;
type KilledLine = Extract<OomLine, { kind: 'killed' }>;

/** Report parts in the order the kernel prints them; a line of an earlier part starts the next report. */
const PHASE: Record<Line['kind'], number> = {
  invoked: 0, cpu: 1, 'task-in': 2, counter: 2, 'stats-header': 2, kv: 2, 'meminfo-header': 2, meminfo: 2,
  'tasks-header': 3, 'table-header': 3, row: 3, 'oom-kill': 4, 'kill-score': 4, killed: 5, group: 6, 'group-skip': 6,
};

/** A report being read. */
interface Report {
  firstSeq: number;
  lastSeq: number;
  lastUsec: number;
  caller: string | null;
  phase: number;
  /** something of it came during the current drain */
  touched: boolean;
  lost: number;
  invoker: OomInvoker | null;
  cpu: boolean;
  taskIn: { taskMemcg: string; oomMemcg: string } | null;
  counters: OomMemcgCounter[];
  statsPath: string | null;
  stats: Map<string, number | null> | null;
  statsOmitted: number;
  /** the last line was the stats header or a stats line: `key value` lines belong to it */
  inStats: boolean;
  memInfoHeader: boolean;
  memInfo: Map<string, number> | null;
  tasksHeader: boolean;
  columns: string[] | null;
  rows: TableRow[];
  summary: Extract<OomLine, { kind: 'oom-kill' }> | null;
  score: Extract<OomLine, { kind: 'kill-score' }> | null;
  killed: { line: KilledLine; usec: number } | null;
  group: { memcg: string; victims: KilledLine[] } | null;
}

/** A report that named no victim (cut before its kill lines, or the kernel found nothing to kill). */
export interface DroppedReport {
  firstSeq: number;
  lastSeq: number;
  invoker: string | null;
  lostRecords: number;
}

/**
 * Reads OOM reports from kmsg records, one report at a time: the invoker, the memcg counters and stats or the
 * Mem-Info summary, the task table, `oom-kill:`, `Killed process`, and a memory.oom.group kill's victims.
 * Records of other origins may be interleaved (other CPUs; with caller ids they are told apart exactly).
 * A report is complete when a drain brought nothing more for it, or when the next one begins: the recorder
 * drains again shortly while `pending`, so a kill is stored within one short re-drain.
 */
export class OomReportAssembler {
  private open: Report | null = null;
  private lastSeq: number | null = null;
  private newestUsec = 0;
  private dropped: DroppedReport[] = [];

  constructor(
    private readonly bootId: string | null,
    /** bytes per page of the kernel that wrote the records (the task table and Mem-Info count pages) */
    private readonly pageSize = 4096,
  ) {}

  /** A report is being read: drain again soon, then call endOfDrain. */
  get pending(): boolean {
    return this.open !== null;
  }

  /** Kills completed by this record (the previous report, when this one begins another). */
  push(record: KmsgRecord): OomKill[] {
    const out: OomKill[] = [];
    const cur = this.open;
    // a gap in sequence numbers: records overwritten before they were read (counted below if inside a report)
    const gap = this.lastSeq !== null && record.seq > this.lastSeq + 1 ? record.seq - this.lastSeq - 1 : 0;
    this.lastSeq = record.seq;
    this.newestUsec = Math.max(this.newestUsec, record.usec);
    // What userspace writes to /dev/kmsg has a user facility: never part of a kernel report, whatever it says.
    let line: Line | null = record.prio >> 3 === 0 ? (parseOomLine(record.message) ?? parseReportLine(record.message, this.pageSize)) : null;
    let row: TableRow | null = null;
    if (line?.kind === 'row') {
      row = parseRow(line.pid, line.rest, cur !== null && cur.phase <= 3 ? cur.columns : null);
      if (row === null) line = null;
    }
    let where = line === null ? 'ignore' : this.place(cur, line);
    // with caller ids, a line printed by another task is not this report's (it may begin the next one)
    if (where === 'same' && cur?.caller != null && record.caller !== undefined && record.caller !== cur.caller) where = 'ignore';
    if (where === 'ignore') {
      // a report's lines can be far apart (stack traces, zone lists): anything keeps it open until its kill line
      if (cur !== null && cur.killed === null) {
        cur.touched = true;
        cur.lost += gap;
      }
      return out;
    }
    if (where === 'same') cur!.lost += gap;
    let r = cur;
    if (where === 'new' || r === null) {
      if (r !== null) this.finish(r, out);
      r = this.open = newReport(record);
    }
    this.apply(r, line!, row, record);
    return out;
  }

  /** Call after each drain: a report that got nothing in this drain (or lacks its kill line for too long) is complete. */
  endOfDrain(): OomKill[] {
    const out: OomKill[] = [];
    const r = this.open;
    if (r === null) return out;
    const stale = r.killed === null && this.newestUsec - r.lastUsec > STALE_USEC;
    if (!r.touched || stale) {
      this.open = null;
      this.finish(r, out);
    } else r.touched = false;
    return out;
  }

  /** Reports that named no victim since the last call: the recorder logs them. */
  takeDropped(): DroppedReport[] {
    return this.dropped.splice(0);
  }

  private place(cur: Report | null, line: Line): 'same' | 'new' | 'ignore' {
    switch (line.kind) {
      case 'invoked':
        return 'new';
      case 'cpu':
        // every stack dump starts so: only the one right after `invoked oom-killer` is the invoker's
        return cur !== null && cur.phase === 0 && !cur.cpu ? 'same' : 'ignore';
      case 'kv':
        return cur?.inStats === true ? 'same' : 'ignore';
      case 'meminfo-header':
        // show_mem also follows page allocation failures: only inside a report is it the OOM's
        return cur !== null && cur.phase <= 2 && !cur.memInfoHeader ? 'same' : 'ignore';
      case 'meminfo':
        return cur !== null && cur.memInfoHeader && cur.phase === 2 ? 'same' : 'ignore';
      case 'group-skip':
        return cur?.group != null ? 'same' : 'ignore';
      case 'task-in':
      case 'counter':
      case 'stats-header':
        if (cur === null || cur.phase > 2) return 'new';
        if (line.kind === 'task-in' && cur.taskIn !== null) return 'new';
        if (line.kind === 'counter' && cur.counters.some((c) => c.name === line.counter.name)) return 'new';
        // kernels before 4.19 print one inline stats line per cgroup below the OOMing one
        if (line.kind === 'stats-header' && cur.statsPath !== null && line.inline === null) return 'new';
        return 'same';
      case 'tasks-header':
        return cur === null || cur.phase > 3 || cur.tasksHeader || cur.columns !== null ? 'new' : 'same';
      case 'table-header':
        return cur === null || cur.phase > 3 || cur.columns !== null || cur.rows.length > 0 ? 'new' : 'same';
      case 'row':
        return cur === null || cur.phase > 3 ? 'new' : 'same';
      case 'oom-kill':
      case 'kill-score':
        return cur === null || cur.phase >= 4 ? 'new' : 'same';
      case 'killed':
        // after `Tasks in ... memory.oom.group set`, each member's Killed line; otherwise a second kill
        return cur === null ? 'new' : cur.group !== null ? 'same' : cur.killed !== null ? 'new' : 'same';
      case 'group':
        return cur === null || cur.group !== null || cur.phase < 4 ? 'new' : 'same';
    }
  }

  private apply(r: Report, line: Line, row: TableRow | null, rec: KmsgRecord): void {
    r.lastSeq = rec.seq;
    r.lastUsec = rec.usec;
    r.touched = true;
    r.phase = Math.max(r.phase, PHASE[line.kind]);
    r.inStats = (line.kind === 'stats-header' && line.inline === null) || (line.kind === 'kv' && r.inStats);
    switch (line.kind) {
      case 'invoked':
        r.invoker = { pid: null, comm: line.comm, gfpMask: line.gfpMask, order: line.order, oomScoreAdj: line.oomScoreAdj };
        break;
      case 'cpu':
        r.cpu = true;
        if (r.invoker !== null) r.invoker.pid = line.pid;
        break;
      case 'task-in':
        r.taskIn = { taskMemcg: line.taskMemcg, oomMemcg: line.oomMemcg };
        break;
      case 'counter':
        r.counters.push(line.counter);
        break;
      case 'stats-header':
        if (r.statsPath !== null) break;
        r.statsPath = line.path;
        r.stats = new Map();
        addCapped(r, line.inline ?? []);
        break;
      case 'kv':
        addCapped(r, line.entries);
        break;
      case 'meminfo-header':
        r.memInfoHeader = true;
        r.memInfo = new Map();
        break;
      case 'meminfo':
        for (const [k, v] of line.entries) if (r.memInfo!.size < OOM_STATS_KEPT) r.memInfo!.set(k, v);
        break;
      case 'tasks-header':
        r.tasksHeader = true;
        break;
      case 'table-header':
        r.columns = line.columns;
        break;
      case 'row':
        r.rows.push(row!);
        break;
      case 'oom-kill':
        r.summary = line;
        break;
      case 'kill-score':
        r.score = line;
        break;
      case 'killed':
        if (r.group !== null) r.group.victims.push(line);
        else r.killed = { line, usec: rec.usec };
        break;
      case 'group':
        r.group = { memcg: line.memcg, victims: [] };
        break;
      case 'group-skip':
        break;
    }
  }

  private finish(r: Report, out: OomKill[]): void {
    const k = this.build(r);
    if (k !== null) out.push(k);
    else this.dropped.push({ firstSeq: r.firstSeq, lastSeq: r.lastSeq, invoker: r.invoker?.comm ?? null, lostRecords: r.lost });
  }

  private build(r: Report): OomKill | null {
    const killed = r.killed?.line ?? null;
    const sum = r.summary;
    const score = r.score;
    const groupFirst = r.group?.victims[0] ?? null;
    const pid = killed?.pid ?? sum?.pid ?? score?.pid ?? groupFirst?.pid;
    if (pid === undefined) return null;
    const all = r.rows.map((row) => taskOfRow(row, this.pageSize));
    const victimTask = all.find((t) => t.pid === pid) ?? all.find((t) => t.tgid === pid) ?? null;
    const victimLine = killed ?? groupFirst;
    const global = victimLine?.global ?? sum?.global ?? score?.global ?? (r.counters.length > 0 || r.taskIn !== null ? false : r.memInfo !== null ? true : null);
    // largest rss first; the sort is stable, so equal rss keep the kernel's order
    const sorted = all.slice().sort((a, b) => (b.rssBytes ?? -1) - (a.rssBytes ?? -1));
    const tasks = sorted.slice(0, OOM_TASKS_KEPT);
    if (victimTask !== null && !tasks.includes(victimTask)) tasks.push(victimTask);
    const memory = r.counters.find((c) => c.name === 'memory') ?? null;
    const missing: OomReportPart[] = [];
    if (r.invoker === null) missing.push('invoker');
    if (global === false && r.counters.length === 0) missing.push('memcg');
    if (global === true && r.memInfo === null) missing.push('meminfo');
    if (!r.tasksHeader && r.columns === null && r.rows.length === 0) missing.push('tasks');
    if (sum === null && score === null) missing.push('summary');
    if (killed === null) missing.push('killed');
    let group: OomKill['group'] = null;
    if (r.group !== null) {
      const seen = new Set<number>();
      const victims: OomTask[] = [];
      for (const v of killed === null ? r.group.victims : [killed, ...r.group.victims]) {
        if (seen.has(v.pid)) continue;
        seen.add(v.pid);
        victims.push(taskOfKilled(v));
      }
      group = { memcg: r.group.memcg, victims: victims.slice(0, OOM_GROUP_KEPT), victimsOmitted: Math.max(0, victims.length - OOM_GROUP_KEPT) };
    }
    return {
      bootId: this.bootId,
      kmsgSeq: r.lastSeq,
      kmsgUsec: r.killed?.usec ?? r.lastUsec,
      pid,
      comm: victimLine?.comm ?? sum?.comm ?? score?.comm ?? victimTask?.comm ?? '',
      uid: victimLine?.uid ?? sum?.uid ?? victimTask?.uid ?? null,
      constraint: sum?.constraint ?? null,
      oomMemcg: sum?.oomMemcg ?? r.taskIn?.oomMemcg ?? null,
      taskMemcg: sum?.taskMemcg ?? r.taskIn?.taskMemcg ?? null,
      totalVmKb: victimLine?.totalVmKb ?? null,
      anonRssKb: victimLine?.anonRssKb ?? null,
      fileRssKb: victimLine?.fileRssKb ?? null,
      shmemRssKb: victimLine?.shmemRssKb ?? null,
      pgtablesKb: victimLine?.pgtablesKb ?? null,
      oomScoreAdj: victimLine?.oomScoreAdj ?? victimTask?.oomScoreAdj ?? null,
      global,
      kmsgFirstSeq: r.firstSeq,
      invoker: r.invoker,
      owner: null,
      memcgUsageBytes: memory?.usageBytes ?? null,
      memcgLimitBytes: memory?.limitBytes ?? null,
      memcgFailcnt: memory?.failcnt ?? null,
      memcgCounters: r.counters,
      memcgStatsPath: r.statsPath,
      memcgStats: r.stats === null ? null : Object.fromEntries(r.stats),
      memcgStatsOmitted: r.statsOmitted,
      memInfo: r.memInfo === null ? null : Object.fromEntries(r.memInfo),
      tasks,
      tasksTotal: r.tasksHeader || r.columns !== null || r.rows.length > 0 ? r.rows.length : null,
      tasksOmitted: all.length - tasks.length,
      largest: tasks[0] ?? null,
      group,
      missing,
      lostRecords: r.lost,
    };
  }
}

function newReport(rec: KmsgRecord): Report {
  return {
    firstSeq: rec.seq, lastSeq: rec.seq, lastUsec: rec.usec, caller: rec.caller ?? null, phase: 0, touched: true, lost: 0,
    invoker: null, cpu: false, taskIn: null, counters: [], statsPath: null, stats: null, statsOmitted: 0, inStats: false,
    memInfoHeader: false, memInfo: null, tasksHeader: false, columns: null, rows: [], summary: null, score: null, killed: null, group: null,
  };
}

function addCapped(r: Report, entries: Array<[string, number | null]>): void {
  for (const [k, v] of entries) {
    if (r.stats!.size < OOM_STATS_KEPT || r.stats!.has(k)) r.stats!.set(k, v);
    else r.statsOmitted++;
  }
}

function taskOfRow(row: TableRow, pageSize: number): OomTask {
  const v = row.values;
  const pages = (name: string): number | null => {
    const n = v.get(name);
    return n === undefined ? null : n * pageSize;
  };
  const ptes = v.get('nr_ptes');
  return {
    pid: row.pid,
    tgid: v.get('tgid') ?? null,
    uid: v.get('uid') ?? null,
    comm: row.name,
    rssBytes: pages('rss'),
    rssAnonBytes: pages('rss_anon'),
    rssFileBytes: pages('rss_file'),
    rssShmemBytes: pages('rss_shmem'),
    swapBytes: pages('swapents'),
    totalVmBytes: pages('total_vm'),
    // before 4.15 the table counted page-table pages (nr_ptes, nr_pmds) instead of bytes
    pgtablesBytes: v.get('pgtables_bytes') ?? (ptes === undefined ? null : (ptes + (v.get('nr_pmds') ?? 0)) * pageSize),
    oomScoreAdj: v.get('oom_score_adj') ?? null,
    owner: null,
  };
}

function taskOfKilled(l: KilledLine): OomTask {
  const b = (kb: number | null): number | null => (kb === null ? null : kb * 1024);
  return {
    pid: l.pid,
    tgid: null,
    uid: l.uid,
    comm: l.comm,
    rssBytes: l.anonRssKb === null || l.fileRssKb === null ? null : (l.anonRssKb + l.fileRssKb + (l.shmemRssKb ?? 0)) * 1024,
    rssAnonBytes: b(l.anonRssKb),
    rssFileBytes: b(l.fileRssKb),
    rssShmemBytes: b(l.shmemRssKb),
    swapBytes: null,
    totalVmBytes: b(l.totalVmKb),
    pgtablesBytes: b(l.pgtablesKb),
    oomScoreAdj: l.oomScoreAdj,
    owner: null,
  };
}

/**
 * Who owned a task of an OOM report: the recorder's answer (live /proc, its own records, the memcg the kernel
 * named), null if unknown. `atUsec` is the kill's kmsg time (µs since boot): a process started later is another.
 */
export type OwnerLookup = (pid: number, comm: string, memcg: string | null, atUsec: number | null) => Owner | null;

/**
 * The kill with every owner filled in by `lookup`: the victim (hint: its task memcg), the kept tasks (hint: the
 * OOMing memcg, for a memcg OOM) and the group's victims (hint: the group's memcg). Each pid is asked once.
 */
export function withOwners(k: OomKill, lookup: OwnerLookup): OomKill {
  const asked = new Map<number, Owner | null>();
  const ask = (pid: number, comm: string, memcg: string | null): Owner | null => {
    if (!asked.has(pid)) asked.set(pid, lookup(pid, comm, memcg, k.kmsgUsec));
    return asked.get(pid)!;
  };
  const owner = ask(k.pid, k.comm, k.taskMemcg);
  const domain = k.global === false ? k.oomMemcg : null;
  const tasks = k.tasks.map((t) => ({ ...t, owner: ask(t.pid, t.comm, domain) }));
  const group = k.group === null ? null : { ...k.group, victims: k.group.victims.map((v) => ({ ...v, owner: ask(v.pid, v.comm, k.group!.memcg) })) };
  return { ...k, owner, tasks, largest: tasks[0] ?? null, group };
}

/** Parse a whole kmsg dump (one record per line, as `cat /dev/kmsg` prints) into kills: for fixtures and tests. */
export function parseKmsgDump(text: string, bootId: string | null, pageSize = 4096): OomKill[] {
  const a = new OomReportAssembler(bootId, pageSize);
  const out: OomKill[] = [];
  for (const raw of text.split('\n')) {
    if (raw.startsWith(' ')) continue; // continuation line (` SUBSYSTEM=...`)
    const r = parseKmsgRecord(raw);
    if (r) out.push(...a.push(r));
  }
  out.push(...a.endOfDrain(), ...a.endOfDrain());
  return out;
}

/**
 * An oom_kill event as stored by a memrec that kept only the kill lines (or by a test), with the report's
 * fields added as not seen, so that every oom_kill has the same shape.
 */
export function completeOomKill(d: Omit<OomKill, Exclude<keyof OomKill, LegacyKey>> & Partial<OomKill>): OomKill {
  if (Array.isArray(d.tasks) && Array.isArray(d.missing)) return d as OomKill;
  const missing: OomReportPart[] = ['invoker'];
  if (d.global === false) missing.push('memcg');
  if (d.global === true) missing.push('meminfo');
  missing.push('tasks');
  return {
    kmsgFirstSeq: null, invoker: null, owner: null, memcgUsageBytes: null, memcgLimitBytes: null, memcgFailcnt: null, memcgCounters: [],
    memcgStatsPath: null, memcgStats: null, memcgStatsOmitted: 0, memInfo: null, tasks: [], tasksTotal: null, tasksOmitted: 0,
    largest: null, group: null, missing, lostRecords: 0,
    ...d,
  };
}

/** The fields every oom_kill has had since memrec first stored kills. */
type LegacyKey =
  | 'bootId' | 'kmsgSeq' | 'kmsgUsec' | 'pid' | 'comm' | 'uid' | 'constraint' | 'oomMemcg' | 'taskMemcg' | 'totalVmKb' | 'anonRssKb'
  | 'fileRssKb' | 'shmemRssKb' | 'pgtablesKb' | 'oomScoreAdj' | 'global';
