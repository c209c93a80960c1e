// Per-owner aggregates of one snapshot, packed into one blob: always read whole, and a table row per
// owner per snapshot would be most of the database (~20 bytes a row against ~6 packed).
// Layout: format byte, then per aggregate: owner id, process count, rss, swap (varints, sizes in KiB codes);
// since format 2 also the owner cgroup's counters: a presence mask, then the cgroup path's string id, usage,
// peak (as its difference to usage), limit, high, and the counts unless all are 0. The mask keeps an owner
// without a cgroup (kernel threads) at one byte, a null apart from a 0, and a v1 owner's counters at ~9 bytes.
// Format 1 blobs (memrec before cgroup counters) are still read; their counters are null.
import { MemrecError } from '../errors.js';
import type { OwnerCgroupCounters } from '../model/types.js';
import { checkFormat, scanUvarint, signedSizeFromCode, sizeFromCode, VarintReader, VarintWriter, type ScanCursor } from './encoding.js';

/** The layout written; OWNER_PACK_FORMATS are those read. */
export const OWNER_PACK_FORMAT = 2;
const OWNER_PACK_FORMATS = [1, 2] as const;

/** An owner cgroup's counters as packed: the path is a `strings` id. */
export type PackedCounters = Omit<OwnerCgroupCounters, 'path'> & { pathId: number };

export interface PackedAggregate {
  ownerId: number;
  processCount: number;
  rssBytes: number;
  swapBytes: number;
  cgroup: PackedCounters | null;
}

// Mask bits. The order keeps a v1 owner's usual mask (path, usage, peak, limit, failcnt, oom kills, zeros) in one
// byte. ZEROS: every known count (failcnt, oom kills, the three events) is 0 and none is written, the usual case.
const PATH = 1;
const USAGE = 2;
const PEAK = 4;
const LIMIT = 8;
const FAILCNT = 16;
const OOM_KILLS = 32;
const ZEROS = 64;
const HIGH = 128;
const HIGH_EVENTS = 256;
const MAX_EVENTS = 512;
const OOM_EVENTS = 1024;

const COUNTS = [
  ['failcnt', FAILCNT],
  ['oomKills', OOM_KILLS],
  ['highEvents', HIGH_EVENTS],
  ['maxEvents', MAX_EVENTS],
  ['oomEvents', OOM_EVENTS],
] as const;

export function packAggregates(aggs: readonly PackedAggregate[], what: string): Buffer {
  const w = new VarintWriter();
  w.uint(OWNER_PACK_FORMAT, 'format');
  for (const a of aggs) {
    w.uint(a.ownerId, `${what} owner id`);
    w.uint(a.processCount, `${what} processCount`);
    w.size(a.rssBytes, `${what} rssBytes`);
    w.size(a.swapBytes, `${what} swapBytes`);
    const c = a.cgroup;
    if (c === null) {
      w.uint(0, `${what} cgroup mask`);
      continue;
    }
    let mask = PATH;
    if (c.usageBytes !== null) mask |= USAGE;
    if (c.peakBytes !== null) mask |= PEAK;
    if (c.limitBytes !== null) mask |= LIMIT;
    if (c.highBytes !== null) mask |= HIGH;
    let allZero = true;
    for (const [k, bit] of COUNTS) {
      const v = c[k];
      if (v === null) continue;
      mask |= bit;
      if (v !== 0) allZero = false;
    }
    if (allZero && (mask & (FAILCNT | OOM_KILLS | HIGH_EVENTS | MAX_EVENTS | OOM_EVENTS)) !== 0) mask |= ZEROS;
    w.uint(mask, `${what} cgroup mask`);
    w.uint(c.pathId, `${what} cgroup path id`);
    if (c.usageBytes !== null) w.size(c.usageBytes, `${what} cgroup usageBytes`);
    // a peak is written as its difference to the usage (small for a steady cgroup), or whole without a usage
    if (c.peakBytes !== null) {
      if (c.usageBytes !== null) w.signedSize(c.peakBytes - c.usageBytes, `${what} cgroup peakBytes`);
      else w.size(c.peakBytes, `${what} cgroup peakBytes`);
    }
    if (c.limitBytes !== null) w.size(c.limitBytes, `${what} cgroup limitBytes`);
    if (c.highBytes !== null) w.size(c.highBytes, `${what} cgroup highBytes`);
    if (!allZero) for (const [k, bit] of COUNTS) if ((mask & bit) !== 0) w.uint(c[k]!, `${what} cgroup ${k}`);
  }
  return w.result();
}

function readCounters(r: VarintReader): PackedCounters | null {
  const mask = r.uint();
  if (mask === 0) return null;
  if ((mask & PATH) === 0) throw new MemrecError('an owner aggregate blob has cgroup counters without a path (corrupt database?)');
  const pathId = r.uint();
  const usageBytes = (mask & USAGE) !== 0 ? r.size() : null;
  const peakBytes = (mask & PEAK) === 0 ? null : usageBytes !== null ? usageBytes + r.signedSize() : r.size();
  const limitBytes = (mask & LIMIT) !== 0 ? r.size() : null;
  const highBytes = (mask & HIGH) !== 0 ? r.size() : null;
  // the counts: 0 when ZEROS says all known ones are, else written in bit order
  const z = (mask & ZEROS) !== 0;
  const failcnt = (mask & FAILCNT) === 0 ? null : z ? 0 : r.uint();
  const oomKills = (mask & OOM_KILLS) === 0 ? null : z ? 0 : r.uint();
  const highEvents = (mask & HIGH_EVENTS) === 0 ? null : z ? 0 : r.uint();
  const maxEvents = (mask & MAX_EVENTS) === 0 ? null : z ? 0 : r.uint();
  const oomEvents = (mask & OOM_EVENTS) === 0 ? null : z ? 0 : r.uint();
  return { pathId, usageBytes, peakBytes, limitBytes, highBytes, failcnt, oomKills, highEvents, maxEvents, oomEvents };
}

export function unpackAggregates(buf: Buffer): PackedAggregate[] {
  const r = new VarintReader(buf);
  const format = checkFormat(r, 'an owner aggregate blob', OWNER_PACK_FORMATS);
  const out: PackedAggregate[] = [];
  while (!r.done) {
    const ownerId = r.uint();
    const processCount = r.uint();
    const rssBytes = r.size();
    const swapBytes = r.size();
    out.push({ ownerId, processCount, rssBytes, swapBytes, cgroup: format >= 2 ? readCounters(r) : null });
  }
  return out;
}

/** What culprits needs of the counters, one array slot per aggregate, -1 for unknown. */
export interface ScannedCounters {
  pathIds: number[];
  usage: number[];
  peak: number[];
  limit: number[];
}

/**
 * Every aggregate into the arrays (replacing what they held), without an object each: culprits folds a day of them at
 * a cold start, so the varints are walked with a cursor.
 */
export function scanAggregates(buf: Buffer, ownerIds: number[], counts: number[], rss: number[], swap: number[], counters?: ScannedCounters): void {
  const format = checkFormat(new VarintReader(buf.subarray(0, 1)), 'an owner aggregate blob', OWNER_PACK_FORMATS);
  const end = buf.length;
  const cur: ScanCursor = { pos: 1 };
  // written by index and cut to length at the end: the arrays keep their storage from one snapshot to the next
  let n = 0;
  while (cur.pos < end) {
    ownerIds[n] = scanUvarint(buf, cur);
    counts[n] = scanUvarint(buf, cur);
    rss[n] = sizeFromCode(scanUvarint(buf, cur));
    swap[n] = sizeFromCode(scanUvarint(buf, cur));
    let pathId = -1;
    let usage = -1;
    let peak = -1;
    let limit = -1;
    if (format >= 2) {
      const mask = scanUvarint(buf, cur);
      if (mask !== 0) {
        pathId = scanUvarint(buf, cur);
        if ((mask & USAGE) !== 0) usage = sizeFromCode(scanUvarint(buf, cur));
        if ((mask & PEAK) !== 0) peak = usage >= 0 ? usage + signedSizeFromCode(scanUvarint(buf, cur)) : sizeFromCode(scanUvarint(buf, cur));
        if ((mask & LIMIT) !== 0) limit = sizeFromCode(scanUvarint(buf, cur));
        // the rest is skipped: one varint for high and each count written (none when ZEROS says all are 0)
        let skip = (mask & HIGH) !== 0 ? 1 : 0;
        if ((mask & ZEROS) === 0) for (let bit = FAILCNT; bit <= OOM_EVENTS; bit *= 2) if (bit !== ZEROS && bit !== HIGH && (mask & bit) !== 0) skip++;
        while (skip > 0 && cur.pos <= end) if ((buf[cur.pos++] ?? 0) < 128) skip--;
      }
    }
    if (counters !== undefined) {
      counters.pathIds[n] = pathId;
      counters.usage[n] = usage;
      counters.peak[n] = peak;
      counters.limit[n] = limit;
    }
    n++;
  }
  ownerIds.length = n;
  counts.length = n;
  rss.length = n;
  swap.length = n;
  if (counters !== undefined) {
    counters.pathIds.length = n;
    counters.usage.length = n;
    counters.peak.length = n;
    counters.limit.length = n;
  }
  if (cur.pos > end) throw new MemrecError('a packed snapshot blob ends early (corrupt database?)');
}

/** Owner ids and cgroup path string ids, for collecting unreferenced owners and strings (a cursor scan: retention reads every blob). */
export function packedOwnerRefs(buf: Buffer): { ownerIds: number[]; stringIds: number[] } {
  const ownerIds: number[] = [];
  const sc: ScannedCounters = { pathIds: [], usage: [], peak: [], limit: [] };
  scanAggregates(buf, ownerIds, [], [], [], sc);
  return { ownerIds, stringIds: sc.pathIds.filter((id) => id >= 0) };
}
