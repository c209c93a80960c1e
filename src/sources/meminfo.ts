// /proc/meminfo: the node's memory as `free` sees it.
import path from 'node:path';
import { ParseError } from '../errors.js';
import { FileError } from '../fs/file-error.js';
import { readText, SMALL_FILE_MAX } from '../fs/read.js';
import type { MemInfo } from '../model/types.js';
import type { Roots } from './roots.js';

// `Name:   value kB`; counts (HugePages_*) have no unit
const LINE = /^([A-Za-z0-9_()]+):\s+(\d+)(?:\s+kB)?$/;

/** Parse /proc/meminfo text. MemTotal and MemFree are required; any other field absent is null (unknown). */
export function parseMeminfo(text: string, file: string): MemInfo {
  const kb = new Map<string, number>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const m = LINE.exec(line.trim());
    // (a run of digits beyond any double is no value the kernel wrote)
    if (!m || !Number.isFinite(Number(m[2]) * 1024)) throw new ParseError(`${file}: line ${i + 1}`, 'expected "Name: <n> kB" (truncated or not a meminfo file?)', line);
    kb.set(m[1]!, Number(m[2]));
  }
  const bytes = (k: string): number | null => {
    const v = kb.get(k);
    return v === undefined ? null : v * 1024;
  };
  const required = (k: string): number => {
    const v = bytes(k);
    if (v === null) throw new ParseError(file, `no ${k} line (truncated or not a meminfo file?)`);
    return v;
  };
  return {
    memTotalBytes: required('MemTotal'),
    memFreeBytes: required('MemFree'),
    memAvailableBytes: bytes('MemAvailable'),
    cachedBytes: bytes('Cached'),
    shmemBytes: bytes('Shmem'),
    slabBytes: bytes('Slab'),
    sReclaimableBytes: bytes('SReclaimable'),
    swapTotalBytes: bytes('SwapTotal'),
    swapFreeBytes: bytes('SwapFree'),
  };
}

export function readMeminfo(roots: Roots): MemInfo {
  const file = path.join(roots.procRoot, 'meminfo');
  let text: string;
  try {
    text = readText(file, { maxBytes: SMALL_FILE_MAX });
  } catch (err) {
    if (err instanceof FileError) throw new ParseError(file, err.reason);
    throw err;
  }
  return parseMeminfo(text, file);
}
