// Pure parsers for the per-process files of /proc: text in, typed values out, ParseError naming file and line.
import { ParseError } from '../errors.js';
import type { ProcStatRaw } from '../model/types.js';
import type { ProcCgroups, ProcStatusRaw } from '../model/process-raw.js';

function num(file: string, text: string, field: string, value: string | undefined): number {
  // A truncated file ends early: name the field that is missing rather than returning NaN.
  if (value === undefined || value === '' || !/^-?\d+$/.test(value)) {
    throw new ParseError(file, value === undefined ? `truncated: no ${field} field` : `${field} is not a number (${JSON.stringify(value)})`, text.trimEnd());
  }
  return Number(value);
}

/**
 * /proc/<pid>/stat. comm sits between the first '(' and the LAST ')': it may itself contain spaces and ')'
 * (`(sd-pam) x)`), so splitting on spaces is wrong.
 */
export function parseStat(text: string, file = 'stat'): ProcStatRaw {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new ParseError(file, 'expected "pid (comm) state ..."', text.trimEnd());
  const pid = num(file, text, 'pid', text.slice(0, open).trim());
  const comm = text.slice(open + 1, close);
  // rest[k - 3] is field k of proc(5): field 3 is state.
  const rest = text.slice(close + 2).trimEnd().split(' ');
  const f = (k: number): string | undefined => rest[k - 3];
  const state = f(3);
  if (state === undefined || state === '' || !/^[A-Za-z]$/.test(state)) {
    throw new ParseError(file, state === undefined || state === '' ? 'truncated: no state field' : `state is not a letter (${JSON.stringify(state)})`, text.trimEnd());
  }
  return {
    pid,
    comm,
    state,
    ppid: num(file, text, 'ppid', f(4)),
    flags: num(file, text, 'flags', f(9)),
    utimeTicks: num(file, text, 'utime', f(14)),
    stimeTicks: num(file, text, 'stime', f(15)),
    numThreads: num(file, text, 'num_threads', f(20)),
    startTimeTicks: num(file, text, 'starttime', f(22)),
    vsizeBytes: num(file, text, 'vsize', f(23)),
    rssPages: num(file, text, 'rss', f(24)),
  };
}

function kb(file: string, line: string, value: string): number {
  const m = /^(\d+)\s*kB$/.exec(value);
  if (!m) throw new ParseError(file, 'expected "<n> kB"', line);
  return Number(m[1]) * 1024;
}

/** /proc/<pid>/status: uid and the memory lines. Absent lines are null (older kernels lack RssAnon etc.). */
export function parseStatus(text: string, file = 'status'): ProcStatusRaw {
  const out: ProcStatusRaw = { uid: null, vmRssBytes: null, rssAnonBytes: null, rssFileBytes: null, rssShmemBytes: null, swapBytes: null, kthread: null };
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
    switch (key) {
      case 'Uid': {
        const first = value.split(/\s+/)[0];
        if (first === undefined || !/^\d+$/.test(first)) throw new ParseError(file, 'expected "Uid: <real> <effective> <saved> <fs>"', line);
        out.uid = Number(first);
        break;
      }
      case 'VmRSS':
        out.vmRssBytes = kb(file, line, value);
        break;
      case 'RssAnon':
        out.rssAnonBytes = kb(file, line, value);
        break;
      case 'RssFile':
        out.rssFileBytes = kb(file, line, value);
        break;
      case 'RssShmem':
        out.rssShmemBytes = kb(file, line, value);
        break;
      case 'VmSwap':
        out.swapBytes = kb(file, line, value);
        break;
      case 'Kthread':
        out.kthread = value === '1';
        break;
    }
  }
  return out;
}

/**
 * /proc/<pid>/cgroup. v1: one `id:controllers:path` line per hierarchy (memory, name=systemd);
 * v2: a single `0::path`; hybrid: both. Paths may contain ':' (`...slice:cri-containerd:<id>`),
 * so only the first two colons separate fields. Malformed lines are skipped while a usable line
 * exists; a file with none throws, naming the first bad line.
 */
export function parseCgroupFile(text: string, file = 'cgroup'): ProcCgroups {
  let memory: string | null = null;
  let systemd: string | null = null;
  let unified: string | null = null;
  let bad: string | null = null;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const a = line.indexOf(':');
    const b = a < 0 ? -1 : line.indexOf(':', a + 1);
    const id = a < 0 ? '' : line.slice(0, a);
    const path = b < 0 ? '' : line.slice(b + 1);
    if (b < 0 || !/^\d+$/.test(id) || !path.startsWith('/')) {
      bad ??= line;
      continue;
    }
    const controllers = line.slice(a + 1, b);
    if (id === '0' && controllers === '') unified = path;
    else if (controllers.split(',').includes('memory')) memory = path;
    else if (controllers === 'name=systemd') systemd = path;
  }
  const out: ProcCgroups = { memory: memory ?? unified, systemd: systemd ?? unified };
  if (out.memory === null && out.systemd === null && bad !== null) {
    throw new ParseError(file, 'expected "<id>:<controllers>:/<path>" lines', bad);
  }
  return out;
}

/** /proc/<pid>/cmdline: NUL-separated arguments, usually NUL-terminated. A process may rewrite it without NULs. */
export function splitCmdline(text: string): string[] {
  if (text === '') return [];
  const parts = text.split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** /proc/<pid>/oom_score_adj: one integer from -1000 to 1000. */
export function parseOomScoreAdj(text: string, file = 'oom_score_adj'): number {
  const t = text.trim();
  if (!/^-?\d+$/.test(t)) throw new ParseError(file, 'expected an integer from -1000 to 1000', t);
  return Number(t);
}

/** /proc/stat `btime`: boot time in epoch seconds. */
export function parseBootTime(text: string, file = 'stat'): number {
  const m = /^btime\s+(\d+)\s*$/m.exec(text);
  if (!m) throw new ParseError(file, 'no "btime <seconds>" line');
  return Number(m[1]);
}
