// Kernel OOM kill records from /dev/kmsg → OomKill. Pure: the kmsg source hands records in, one at a time.
import type { OomKill } from './types.js';

/** One /dev/kmsg record: `prio,seq,usec,flags[,...];message`, continuation lines (` KEY=value`) dropped. */
export interface KmsgRecord {
  /** syslog facility * 8 + level */
  prio: number;
  seq: number;
  /** µs since boot */
  usec: number;
  message: string;
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
  return { prio: prio!, seq: seq!, usec: usec!, message };
}

/** kmsg escapes non-printable bytes as \xNN (a tab in a comm shows as \x09). */
function unescapeKmsg(s: string): string {
  return s.includes('\\x') ? s.replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))) : s;
}

/** What one kernel line says about a kill; several lines make one OomKill. */
export type OomLine =
  | { kind: 'killed'; pid: number; comm: string; global: boolean | null; totalVmKb: number | null; anonRssKb: number | null; fileRssKb: number | null; shmemRssKb: number | null; uid: number | null; pgtablesKb: number | null; oomScoreAdj: number | null }
  | { kind: 'oom-kill'; pid: number; comm: string | null; uid: number | null; constraint: string | null; oomMemcg: string | null; taskMemcg: string | null; global: boolean }
  | { kind: 'kill-score'; pid: number; comm: string; global: boolean | null };

const KILLED = /^(?:(Out of memory|Memory cgroup out of memory)(?: \([^)]*\))?: )?Killed process (\d+) \((.*)\) (total-vm:.*)$/;
const KILL_SCORE = /^(?:(Out of memory|Memory cgroup out of memory)(?: \([^)]*\))?: )?Kill process (\d+) \((.*)\) score -?\d+ or sacrifice child$/;

function kb(fields: string, name: string): number | null {
  const m = new RegExp(`(?:^|[ ,])${name}:(-?\\d+)(kB)?`).exec(fields);
  return m ? Number(m[1]) : null;
}

function intOrNull(v: string | undefined): number | null {
  return v !== undefined && /^-?\d+$/.test(v) ? Number(v) : null;
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
  if (k) {
    const f = k[4]!;
    return {
      kind: 'killed',
      pid: Number(k[2]),
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
  if (s) return { kind: 'kill-score', pid: Number(s[2]), comm: s[3]!, global: s[1] === undefined ? null : s[1] === 'Out of memory' };
  return null;
}

type Pending = { line: Exclude<OomLine, { kind: 'killed' }>; record: KmsgRecord; drains: number };

/**
 * Joins the lines of one kill: `oom-kill:` (or the older `Kill process … score`) comes first, `Killed
 * process` last. A kill is emitted on its `Killed process` line; a first line whose partner never came
 * (older kernels, a lost record) is emitted after it survived one whole drain.
 */
export class OomJoiner {
  private pending: Pending[] = [];

  constructor(private readonly bootId: string | null) {}

  push(record: KmsgRecord): OomKill[] {
    const line = parseOomLine(record.message);
    if (line === null) return [];
    if (line.kind !== 'killed') {
      this.pending.push({ line, record, drains: 0 });
      return [];
    }
    const info = this.pending.find((p) => p.line.kind === 'oom-kill' && p.line.pid === line.pid)?.line;
    const score = this.pending.find((p) => p.line.kind === 'kill-score')?.line;
    // The `Killed` line closes this kill: its own first lines, and an older score line (whose victim may be a child), are used up.
    this.pending = this.pending.filter((p) => p.line.pid !== line.pid && p.line.kind !== 'kill-score');
    const memcg = info?.kind === 'oom-kill' ? info : null;
    return [
      {
        bootId: this.bootId,
        kmsgSeq: record.seq,
        kmsgUsec: record.usec,
        pid: line.pid,
        comm: line.comm,
        uid: line.uid ?? memcg?.uid ?? null,
        constraint: memcg?.constraint ?? null,
        oomMemcg: memcg?.oomMemcg ?? null,
        taskMemcg: memcg?.taskMemcg ?? null,
        totalVmKb: line.totalVmKb,
        anonRssKb: line.anonRssKb,
        fileRssKb: line.fileRssKb,
        shmemRssKb: line.shmemRssKb,
        pgtablesKb: line.pgtablesKb,
        oomScoreAdj: line.oomScoreAdj,
        global: line.global ?? memcg?.global ?? score?.global ?? null,
      },
    ];
  }

  /** Call after each drain: first lines left alone for a whole drain become kills of their own. */
  endOfDrain(): OomKill[] {
    const out: OomKill[] = [];
    const keep: Pending[] = [];
    for (const p of this.pending) {
      if (p.drains < 1) {
        p.drains++;
        keep.push(p);
        continue;
      }
      out.push(this.alone(p));
    }
    this.pending = keep;
    return out;
  }

  private alone({ line, record }: Pending): OomKill {
    const m = line.kind === 'oom-kill' ? line : null;
    return {
      bootId: this.bootId,
      kmsgSeq: record.seq,
      kmsgUsec: record.usec,
      pid: line.pid,
      comm: line.comm ?? '',
      uid: m?.uid ?? null,
      constraint: m?.constraint ?? null,
      oomMemcg: m?.oomMemcg ?? null,
      taskMemcg: m?.taskMemcg ?? null,
      totalVmKb: null,
      anonRssKb: null,
      fileRssKb: null,
      shmemRssKb: null,
      pgtablesKb: null,
      oomScoreAdj: null,
      global: line.global,
    };
  }
}

/** Parse a whole kmsg dump (one record per line, as `cat /dev/kmsg` prints) into kills: for fixtures and tests. */
export function parseKmsgDump(text: string, bootId: string | null): OomKill[] {
  const j = new OomJoiner(bootId);
  const out: OomKill[] = [];
  for (const raw of text.split('\n')) {
    if (raw.startsWith(' ')) continue; // continuation line (` SUBSYSTEM=...`)
    const r = parseKmsgRecord(raw);
    if (r) out.push(...j.push(r));
  }
  out.push(...j.endOfDrain(), ...j.endOfDrain());
  return out;
}
