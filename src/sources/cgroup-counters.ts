// The kernel's own counters of one memory cgroup, read without resetting anything (other tools read them
// too): the high-water mark sees a spike between two snapshots, the failure and OOM counts what the limit did.
// cgroup v1: memory.usage_in_bytes, max_usage_in_bytes, failcnt, oom_control (`oom_kill`), limit_in_bytes.
// cgroup v2: memory.current, memory.peak (5.19+), memory.events (`high max oom oom_kill`), memory.max, memory.high.
import { FileError } from '../fs/file-error.js';
import { readTextIfExists } from '../fs/read.js';
import path from 'node:path';
import { ParseError } from '../errors.js';
import type { CgroupMode, OwnerCgroupCounters } from '../model/types.js';
// memory.events and memory.oom_control are `key value` lines like memory.stat
import { memoryCgroupDir, parseMemoryStat } from './memory-cgroup.js';
import type { Roots } from './roots.js';

// v1 prints "unlimited" as PAGE_COUNTER_MAX pages (9223372036854771712 with 4 KiB pages)
const V1_UNLIMITED_FROM = 2 ** 62;
/** Limits change rarely (a pod's never, a unit's on daemon-reload): re-read after this. */
const LIMIT_TTL_MS = 60_000;
/** Every counter file is a line or a few; a larger file is not one. */
const MAX_FILE_BYTES = 4096;

/** A byte count, or null for v2's `max` (no limit). */
export function parseCgroupBytes(text: string, file: string): number | null {
  const t = text.trim();
  if (t === 'max') return null;
  if (!/^\d+$/.test(t)) throw new ParseError(file, 'expected a number of bytes or "max"', t);
  const n = Number(t);
  return n >= V1_UNLIMITED_FROM ? null : n;
}

function parseCount(text: string, file: string): number {
  const t = text.trim();
  if (!/^\d+$/.test(t)) throw new ParseError(file, 'expected a number', t);
  return Number(t);
}

interface Limits {
  limitBytes: number | null;
  highBytes: number | null;
  until: number;
}

/** A cgroup's counter files, joined once: the reads run every snapshot, for every owner. */
interface Files {
  usage: string;
  peak: string;
  limit: string;
  high: string;
  /** v2 memory.events, v1 memory.oom_control */
  events: string;
  failcnt: string;
}

/** Reads owner cgroups' counters with one reused buffer; keeps each cgroup's limits for a minute. */
export class CgroupCounterReader {
  private limits = new Map<string, Limits>();
  private files = new Map<string, Files | null>();
  private seen = new Set<string>();
  /** malformed files met since the last take: one line each */
  private problems: string[] = [];

  constructor(
    private readonly roots: Roots,
    private readonly mode: CgroupMode,
  ) {}

  /** The warnings of the reads since the last call. */
  takeWarnings(): string[] {
    const w = this.problems;
    this.problems = [];
    return w;
  }

  /** Forget limits of cgroups not read since the last call (they went away), so the cache stays the node's size. */
  endCollect(): void {
    for (const k of this.limits.keys()) if (!this.seen.has(k)) this.limits.delete(k);
    for (const k of this.files.keys()) if (!this.seen.has(k)) this.files.delete(k);
    this.seen = new Set();
  }

  /** Contents of a small file; null when it does not exist. Never follows a final symlink, never blocks on a FIFO. */
  private read(file: string): string | null {
    try {
      return readTextIfExists(file, { maxBytes: MAX_FILE_BYTES, noFollow: true });
    } catch (err) {
      if (err instanceof FileError && err.code === 'ENOTDIR') return null;
      this.problems.push(err instanceof Error ? err.message : String(err));
      return null;
    }
  }

  /** A file parsed; null when absent or malformed (a malformed one is a warning naming it and its line). */
  private value<T>(file: string, parse: (text: string, file: string) => T): T | null {
    const text = this.read(file);
    if (text === null) return null;
    try {
      return parse(text, file);
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      this.problems.push(err.message);
      return null;
    }
  }

  /** The counter files of a cgroup, or null for a path outside this hierarchy (`..` from another cgroup namespace). */
  private filesOf(cgroupPath: string): Files | null {
    let f = this.files.get(cgroupPath);
    if (f !== undefined) return f;
    try {
      const dir = memoryCgroupDir(this.roots, this.mode, cgroupPath);
      const at = (name: string): string => path.join(dir, name);
      f =
        this.mode === 'v2'
          ? { usage: at('memory.current'), peak: at('memory.peak'), limit: at('memory.max'), high: at('memory.high'), events: at('memory.events'), failcnt: '' }
          : { usage: at('memory.usage_in_bytes'), peak: at('memory.max_usage_in_bytes'), limit: at('memory.limit_in_bytes'), high: '', events: at('memory.oom_control'), failcnt: at('memory.failcnt') };
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      f = null;
    }
    this.files.set(cgroupPath, f);
    return f;
  }

  /**
   * The counters of the memory cgroup at `cgroupPath` (as /proc/<pid>/cgroup shows it), or null when the
   * cgroup does not exist (it went away, or the path is not in this hierarchy).
   */
  counters(cgroupPath: string, now: number): OwnerCgroupCounters | null {
    const f = this.filesOf(cgroupPath);
    this.seen.add(cgroupPath);
    if (f === null) return null;
    const v2 = this.mode === 'v2';
    const usageBytes = this.value(f.usage, parseCount);
    // the usage file is in every memory cgroup but the v2 root: without it there is no such cgroup here
    if (usageBytes === null) return null;
    let limits = this.limits.get(cgroupPath);
    if (limits === undefined || limits.until <= now || limits.until > now + LIMIT_TTL_MS) {
      limits = {
        limitBytes: this.value(f.limit, parseCgroupBytes),
        highBytes: v2 ? this.value(f.high, parseCgroupBytes) : null,
        until: now + LIMIT_TTL_MS,
      };
      this.limits.set(cgroupPath, limits);
    }
    let c: Omit<OwnerCgroupCounters, 'path' | 'usageBytes' | 'limitBytes' | 'highBytes'>;
    if (v2) {
      const ev = this.value(f.events, parseMemoryStat);
      c = {
        peakBytes: this.value(f.peak, parseCount),
        failcnt: null,
        oomKills: ev?.['oom_kill'] ?? null,
        highEvents: ev?.['high'] ?? null,
        maxEvents: ev?.['max'] ?? null,
        oomEvents: ev?.['oom'] ?? null,
      };
    } else {
      const oom = this.value(f.events, parseMemoryStat);
      c = {
        peakBytes: this.value(f.peak, parseCount),
        failcnt: this.value(f.failcnt, parseCount),
        oomKills: oom?.['oom_kill'] ?? null,
        highEvents: null,
        maxEvents: null,
        oomEvents: null,
      };
    }
    return {
      path: cgroupPath,
      usageBytes,
      peakBytes: c.peakBytes,
      limitBytes: limits.limitBytes,
      highBytes: limits.highBytes,
      failcnt: c.failcnt,
      oomKills: c.oomKills,
      highEvents: c.highEvents,
      maxEvents: c.maxEvents,
      oomEvents: c.oomEvents,
    };
  }
}
