// Per-owner aggregates of one snapshot, packed into one blob: always read whole, and a table row per
// owner per snapshot would be most of the database (~20 bytes a row against ~6 packed).
// Layout: format byte, then per aggregate: owner id, process count, rss, swap (varints, sizes in KiB codes);
// since format 2 also the owner cgroup's counters: a presence mask, then the fields whose bit is set, in
// bit order (cgroup path string id, usage, peak, limit, high, failcnt, oom kills, high/max/oom events).
// A mask keeps an owner without a cgroup (kernel threads) at one byte and a null apart from a 0.
// Format 1 blobs (memrec before cgroup counters) are still read; their counters are null.
import { MemrecError } from '../errors.js';
import type { OwnerCgroupCounters } from '../model/types.js';
import { checkFormat, scanUvarint, sizeFromCode, VarintReader, VarintWriter, type ScanCursor } from './encoding.js';

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

type CounterField = Exclude<keyof PackedCounters, 'pathId'>;
/** Mask bit 0 is the path; bits 1.. are these, in this order. Sizes are stored as size codes, counts exactly. */
const FIELDS: readonly { key: CounterField; size: boolean }[] = [
  { key: 'usageBytes', size: true },
  { key: 'peakBytes', size: true },
  { key: 'limitBytes', size: true },
  { key: 'highBytes', size: true },
  { key: 'failcnt', size: false },
  { key: 'oomKills', size: false },
  { key: 'highEvents', size: false },
  { key: 'maxEvents', size: false },
  { key: 'oomEvents', size: false },
];

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
    let mask = 1;
    FIELDS.forEach((f, i) => {
      if (c[f.key] !== null) mask += 2 ** (i + 1);
    });
    w.uint(mask, `${what} cgroup mask`);
    w.uint(c.pathId, `${what} cgroup path id`);
    for (const f of FIELDS) {
      const v = c[f.key];
      if (v === null) continue;
      if (f.size) w.size(v, `${what} cgroup ${f.key}`);
      else w.uint(v, `${what} cgroup ${f.key}`);
    }
  }
  return w.result();
}

function readCounters(r: VarintReader): PackedCounters | null {
  const mask = r.uint();
  if (mask === 0) return null;
  if (mask % 2 === 0) throw new MemrecError('an owner aggregate blob has cgroup counters without a path (corrupt database?)');
  const c: PackedCounters = { pathId: r.uint(), usageBytes: null, peakBytes: null, limitBytes: null, highBytes: null, failcnt: null, oomKills: null, highEvents: null, maxEvents: null, oomEvents: null };
  FIELDS.forEach((f, i) => {
    if (Math.floor(mask / 2 ** (i + 1)) % 2 === 1) c[f.key] = f.size ? r.size() : r.uint();
  });
  return c;
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
 * Every aggregate into the arrays (emptied first), without an object each: culprits folds a day of them at
 * a cold start, so the varints are walked with a cursor.
 */
export function scanAggregates(buf: Buffer, ownerIds: number[], counts: number[], rss: number[], swap: number[], counters?: ScannedCounters): void {
  ownerIds.length = 0;
  counts.length = 0;
  rss.length = 0;
  swap.length = 0;
  if (counters !== undefined) for (const a of [counters.pathIds, counters.usage, counters.peak, counters.limit]) a.length = 0;
  const format = checkFormat(new VarintReader(buf.subarray(0, 1)), 'an owner aggregate blob', OWNER_PACK_FORMATS);
  const end = buf.length;
  const cur: ScanCursor = { pos: 1 };
  while (cur.pos < end) {
    ownerIds.push(scanUvarint(buf, cur));
    counts.push(scanUvarint(buf, cur));
    rss.push(sizeFromCode(scanUvarint(buf, cur)));
    swap.push(sizeFromCode(scanUvarint(buf, cur)));
    let pathId = -1;
    let usage = -1;
    let peak = -1;
    let limit = -1;
    if (format >= 2) {
      const mask = scanUvarint(buf, cur);
      if (mask !== 0) {
        pathId = scanUvarint(buf, cur);
        // bits 1-3 are usage, peak, limit (sizes); the rest are only skipped
        for (let bit = 1, m = Math.floor(mask / 2); m > 0; bit++, m = Math.floor(m / 2)) {
          if (m % 2 === 0) continue;
          const v = scanUvarint(buf, cur);
          if (bit === 1) usage = sizeFromCode(v);
          else if (bit === 2) peak = sizeFromCode(v);
          else if (bit === 3) limit = sizeFromCode(v);
        }
      }
    }
    if (counters !== undefined) {
      counters.pathIds.push(pathId);
      counters.usage.push(usage);
      counters.peak.push(peak);
      counters.limit.push(limit);
    }
  }
  if (cur.pos > end) throw new MemrecError('a packed snapshot blob ends early (corrupt database?)');
}

/** Owner ids and cgroup path string ids, for collecting unreferenced owners and strings. */
export function packedOwnerRefs(buf: Buffer): { ownerIds: number[]; stringIds: number[] } {
  const ownerIds: number[] = [];
  const stringIds: number[] = [];
  for (const a of unpackAggregates(buf)) {
    ownerIds.push(a.ownerId);
    if (a.cgroup !== null) stringIds.push(a.cgroup.pathId);
  }
  return { ownerIds, stringIds };
}
