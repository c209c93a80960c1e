// The previous kernel's log as /sys/fs/pstore keeps it: a dump (`dmesg-ramoops-0`, `dmesg-efi-…`,
// `dmesg-erst-…`) opens with a header `Panic#1 Part1` (reason, dump count, part; Part1 holds the newest
// lines) and then kmsg lines in syslog form, `<4>[  105.480845][    C2] message` (the `[T123]`/`[C2]` caller
// only with CONFIG_PRINTK_CALLER, the time only with printk.time); `console-ramoops-0` is the console log,
// without the `<N>` prefix. Pure: the source hands the text in.
import { parseOomLine } from './oom.js';
import type { PstoreDetails } from './types.js';

/** One pstore file as read. */
export interface PstoreFile {
  name: string;
  text: string;
  /** the file's mtime: pstore sets it to when the kernel wrote the record; null when unknown */
  mtimeMs: number | null;
  sha256: string;
}

/** What a record says, before memrec knows its boot and time. */
export type PstoreRecord = Pick<PstoreDetails, 'reason' | 'header' | 'panic' | 'oomKills' | 'lines'>;

/** Only the kernel's own logs: dumps and the console (not pmsg, user space's, nor ftrace). */
export function isKernelLogName(name: string): boolean {
  return /^(dmesg|console)-[\w.-]+$/.test(name);
}

const HEADER = /^(\w+)#(\d+) Part(\d+)$/;
// `<4>`, then `[  105.480845]` (optional), then a caller `[    C2]`/`[ T3127]` (optional)
const LINE = /^(?:<\d{1,3}>)?(?:\[\s*(\d+)\.(\d+)\])?(?:\[\s*[CT]\d+\])?\s?(.*)$/;
const OOM = [
  / invoked oom-killer: /,
  /^(?:Out of memory|Memory cgroup out of memory)\b/,
  /^oom-kill:/,
  /\bKilled process \d+ /,
  /\bKill process \d+ .* or sacrifice child/,
  /^Tasks in \S+ are going to be killed due to memory\.oom\.group set/,
  /^oom_reaper: reaped process \d+/,
  /^memory: usage \d+kB, limit \d+kB/,
];
const PANIC = [
  /^Kernel panic - not syncing/,
  /^---\[ end Kernel panic/,
  /^BUG: /,
  /\bkernel BUG at /,
  /^Oops: |\bInternal error: Oops/,
  /^general protection fault/,
  /^Unable to handle kernel /,
  /^watchdog: BUG: soft lockup/,
  /hard LOCKUP/,
  /^INFO: task .* blocked for more than \d+ seconds/,
];
const MAX_LINES = 200;
const MAX_LINE_CHARS = 500;

/**
 * The OOM and panic lines of one pstore file, or null when it holds none (or is not a kernel log).
 * Lines keep their time (`[  105.480845] Kernel panic - not syncing: ...`) and lose the priority and caller.
 */
export function parsePstore(name: string, text: string): PstoreRecord | null {
  if (!isKernelLogName(name)) return null;
  let header: string | null = null;
  let reason: string | null = null;
  let panic: string | null = null;
  const oomKills: PstoreRecord['oomKills'] = [];
  const lines: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line === '') continue;
    const h = HEADER.exec(line);
    if (h) {
      // the first header names the record; a concatenated file may hold more parts
      if (header === null) {
        header = line;
        reason = h[1]!;
      }
      continue;
    }
    const m = LINE.exec(line)!;
    const message = m[3]!;
    const uptimeSec = m[1] === undefined ? null : Number(`${m[1]}.${m[2]}`);
    const isOom = OOM.some((re) => re.test(message));
    const isPanic = !isOom && PANIC.some((re) => re.test(message));
    if (!isOom && !isPanic) continue;
    if (panic === null && message.startsWith('Kernel panic - not syncing')) panic = message.slice(0, MAX_LINE_CHARS);
    const kill = isOom ? parseOomLine(message) : null;
    if (kill !== null && kill.kind !== 'oom-kill' && !oomKills.some((k) => k.pid === kill.pid)) oomKills.push({ pid: kill.pid, comm: kill.comm, uptimeSec });
    if (lines.length < MAX_LINES) {
      const shown = uptimeSec === null ? message : `[${m[1]!.padStart(5)}.${m[2]}] ${message}`;
      lines.push(shown.slice(0, MAX_LINE_CHARS));
    }
  }
  if (lines.length === 0) return null;
  return { reason, header, panic, oomKills, lines };
}
