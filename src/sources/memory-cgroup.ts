// The files of one memory cgroup (the root, kubepods, a nested node's cgroup).
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { ParseError } from '../errors.js';
import { FileError } from '../fs/file-error.js';
import { readTextIfExists, SMALL_FILE_MAX } from '../fs/read.js';
import type { CgroupMode, MemoryCgroupRaw } from '../model/types.js';
import type { Roots } from './roots.js';

// v1 prints "unlimited" as PAGE_COUNTER_MAX pages (9223372036854771712 with 4 KiB pages); anything this large is no limit
const V1_UNLIMITED_FROM = 2 ** 62;

/** Directory of a memory cgroup: v1/hybrid under the `memory` hierarchy, v2 under the unified root. */
export function memoryCgroupDir(roots: Roots, mode: CgroupMode, cgroupPath: string): string {
  const rel = path.posix.normalize(`/${cgroupPath}`);
  if (rel.split('/').includes('..')) throw new ParseError(cgroupPath, 'a cgroup path may not contain ".."');
  const base = mode === 'v2' ? path.join(roots.sysRoot, 'fs', 'cgroup') : path.join(roots.sysRoot, 'fs', 'cgroup', 'memory');
  return path.join(base, rel);
}

function readOptional(file: string): string | null {
  try {
    return readTextIfExists(file, { maxBytes: SMALL_FILE_MAX });
  } catch (err) {
    if (err instanceof FileError) throw new ParseError(file, err.reason);
    throw err;
  }
}

function parseNumberFile(file: string, text: string): number {
  const t = text.trim();
  // a run of digits beyond any double (more than 308) is no value the kernel wrote
  if (!/^\d+$/.test(t) || !Number.isFinite(Number(t))) throw new ParseError(file, 'expected a number', t);
  return Number(t);
}

/** memory.stat: `key value` lines. */
export function parseMemoryStat(text: string, file: string): Record<string, number> {
  const out: Record<string, number> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const m = /^(\w+) (\d+)$/.exec(line);
    if (!m || !Number.isFinite(Number(m[2]))) throw new ParseError(`${file}: line ${i + 1}`, 'expected "<key> <number>"', line);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

/**
 * Read one memory cgroup. `cgroupPath` is the path /proc/<pid>/cgroup shows (`/`, `/kubepods.slice`).
 * Usage and limit are null where the file does not exist (the v2 root has neither); a missing
 * memory.stat is a ParseError naming the file.
 */
export function readMemoryCgroup(roots: Roots, mode: CgroupMode, cgroupPath: string): MemoryCgroupRaw {
  const dir = memoryCgroupDir(roots, mode, cgroupPath);
  const cgPath = path.posix.normalize(`/${cgroupPath}`);
  const statFile = path.join(dir, 'memory.stat');
  const statText = readOptional(statFile);
  if (statText === null) {
    const why = existsSync(dir) ? 'missing (the kubelet formula needs it)' : `missing: no cgroup ${cgPath} (${dir} does not exist)`;
    throw new ParseError(statFile, why);
  }
  const stat = parseMemoryStat(statText, statFile);
  if (mode === 'v2') {
    const curFile = path.join(dir, 'memory.current');
    const maxFile = path.join(dir, 'memory.max');
    const cur = readOptional(curFile);
    const max = readOptional(maxFile);
    return {
      path: cgPath,
      version: 2,
      usageBytes: cur === null ? null : parseNumberFile(curFile, cur),
      limitBytes: max === null || max.trim() === 'max' ? null : parseNumberFile(maxFile, max),
      stat,
    };
  }
  const usageFile = path.join(dir, 'memory.usage_in_bytes');
  const limitFile = path.join(dir, 'memory.limit_in_bytes');
  const usage = readOptional(usageFile);
  const limit = readOptional(limitFile);
  const limitBytes = limit === null ? null : parseNumberFile(limitFile, limit);
  return {
    path: cgPath,
    version: 1,
    usageBytes: usage === null ? null : parseNumberFile(usageFile, usage),
    limitBytes: limitBytes === null || limitBytes >= V1_UNLIMITED_FROM ? null : limitBytes,
    stat,
  };
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The kubepods cgroup below `under` (default `/`): `kubepods` (cgroupfs driver) or `kubepods.slice`
 * (systemd driver), directly below it or below a `kubelet`/`kubelet.slice` cgroup root (kind and other
 * nested nodes run the kubelet with --cgroup-root=/kubelet). Null when there is none.
 */
export function findKubepodsCgroup(roots: Roots, mode: CgroupMode, under = '/'): string | null {
  const base = path.posix.normalize(`/${under}`);
  const candidates = ['kubepods', 'kubepods.slice', 'kubelet/kubepods', 'kubelet.slice/kubelet-kubepods.slice'];
  for (const c of candidates) {
    const cg = path.posix.join(base, c);
    if (isDir(memoryCgroupDir(roots, mode, cg))) return cg;
  }
  return null;
}
