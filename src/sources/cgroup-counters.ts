// The kernel's own counters of one memory cgroup, read without resetting anything (other tools read them
// too): the high-water mark sees a spike between two snapshots, the failure and OOM counts what the limit did.
// cgroup v1: memory.usage_in_bytes, max_usage_in_bytes, failcnt, oom_control (`oom_kill`), limit_in_bytes.
// cgroup v2: memory.current, memory.peak (5.19+), memory.events (`high max oom oom_kill`), memory.max, memory.high.
import { closeSync, constants, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { ParseError } from '../errors.js';
import type { CgroupMode, OwnerCgroupCounters } from '../model/types.js';
import { memoryCgroupDir } from './memory-cgroup.js';
import type { Roots } from './roots.js';

// v1 prints "unlimited" as PAGE_COUNTER_MAX pages (9223372036854771712 with 4 KiB pages)
const V1_UNLIMITED_FROM = 2 ** 62;
/** Limits change rarely (a pod's never, a unit's on daemon-reload): re-read after this. */
const LIMIT_TTL_MS = 60_000;
/** Every counter file is a line or a few; a larger file is not one. */
const MAX_FILE_BYTES = 4096;

/** `key value` lines (memory.events, memory.oom_control). */
export function parseKeyedCounters(text: string, file: string): Record<string, number> {
  const out: Record<string, number> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const m = /^(\w+) (\d+)$/.exec(line);
    if (!m) throw new ParseError(`${file}: line ${i + 1}`, 'expected "<key> <number>"', line);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

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

/** Reads owner cgroups' counters with one reused buffer; keeps each cgroup's limits for a minute. */
export class CgroupCounterReader {
  private readonly buf = Buffer.allocUnsafe(MAX_FILE_BYTES);
  private limits = new Map<string, Limits>();
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
    this.seen = new Set();
  }

  /** Contents of a small file; null when it does not exist. Never follows a final symlink, never blocks on a FIFO. */
  private read(file: string): string | null {
    let fd: number;
    try {
      fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      this.problems.push(`${file}: cannot read (${code ?? String(err)})`);
      return null;
    }
    try {
      const n = readSync(fd, this.buf, 0, MAX_FILE_BYTES, null);
      if (n === MAX_FILE_BYTES) {
        this.problems.push(`${file}: larger than ${MAX_FILE_BYTES} bytes, not a cgroup counter file`);
        return null;
      }
      return this.buf.toString('latin1', 0, n);
    } catch (err) {
      this.problems.push(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
      return null;
    } finally {
      closeSync(fd);
    }
  }

  /** A file parsed; null when absent or malformed (a malformed one is a warning naming it and its line). */
  private value<T>(dir: string, name: string, parse: (text: string, file: string) => T): T | null {
    const file = path.join(dir, name);
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

  /**
   * The counters of the memory cgroup at `cgroupPath` (as /proc/<pid>/cgroup shows it), or null when the
   * cgroup does not exist (it went away, or the path is not in this hierarchy).
   */
  counters(cgroupPath: string, now: number): OwnerCgroupCounters | null {
    let dir: string;
    try {
      dir = memoryCgroupDir(this.roots, this.mode, cgroupPath);
    } catch (err) {
      if (err instanceof ParseError) return null; // `..` in a path from another cgroup namespace
      throw err;
    }
    const v2 = this.mode === 'v2';
    const usageBytes = this.value(dir, v2 ? 'memory.current' : 'memory.usage_in_bytes', parseCount);
    // the usage file is in every memory cgroup but the v2 root: without it there is no such cgroup here
    if (usageBytes === null) return null;
    this.seen.add(cgroupPath);
    let limits = this.limits.get(cgroupPath);
    if (limits === undefined || limits.until <= now || limits.until > now + LIMIT_TTL_MS) {
      limits = {
        limitBytes: this.value(dir, v2 ? 'memory.max' : 'memory.limit_in_bytes', parseCgroupBytes),
        highBytes: v2 ? this.value(dir, 'memory.high', parseCgroupBytes) : null,
        until: now + LIMIT_TTL_MS,
      };
      this.limits.set(cgroupPath, limits);
    }
    let c: Omit<OwnerCgroupCounters, 'path' | 'usageBytes' | 'limitBytes' | 'highBytes'>;
    if (v2) {
      const ev = this.value(dir, 'memory.events', parseKeyedCounters);
      c = {
        peakBytes: this.value(dir, 'memory.peak', parseCount),
        failcnt: null,
        oomKills: ev?.['oom_kill'] ?? null,
        highEvents: ev?.['high'] ?? null,
        maxEvents: ev?.['max'] ?? null,
        oomEvents: ev?.['oom'] ?? null,
      };
    } else {
      const oom = this.value(dir, 'memory.oom_control', parseKeyedCounters);
      c = {
        peakBytes: this.value(dir, 'memory.max_usage_in_bytes', parseCount),
        failcnt: this.value(dir, 'memory.failcnt', parseCount),
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
