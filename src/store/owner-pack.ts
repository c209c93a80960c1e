// Per-owner aggregates of one snapshot, packed into one blob: always read whole, and a table row per
// owner per snapshot would be most of the database (~20 bytes a row against ~6 packed).
// Layout: format byte, then per aggregate: owner id, process count, rss, swap (varints, sizes in KiB codes).
import { MemrecError } from '../errors.js';
import { checkFormat, PACK_FORMAT, scanUvarint, sizeFromCode, VarintReader, VarintWriter, type ScanCursor } from './encoding.js';

export interface PackedAggregate {
  ownerId: number;
  processCount: number;
  rssBytes: number;
  swapBytes: number;
}

export function packAggregates(aggs: readonly PackedAggregate[], what: string): Buffer {
  const w = new VarintWriter();
  w.uint(PACK_FORMAT, 'format');
  for (const a of aggs) {
    w.uint(a.ownerId, `${what} owner id`);
    w.uint(a.processCount, `${what} processCount`);
    w.size(a.rssBytes, `${what} rssBytes`);
    w.size(a.swapBytes, `${what} swapBytes`);
  }
  return w.result();
}

export function unpackAggregates(buf: Buffer): PackedAggregate[] {
  const r = new VarintReader(buf);
  checkFormat(r, 'an owner aggregate blob');
  const out: PackedAggregate[] = [];
  while (!r.done) out.push({ ownerId: r.uint(), processCount: r.uint(), rssBytes: r.size(), swapBytes: r.size() });
  return out;
}

/**
 * Every aggregate into the four arrays (emptied first), without an object each: culprits folds a day of
 * them at a cold start, so the varints are walked with a cursor.
 */
export function scanAggregates(buf: Buffer, ownerIds: number[], counts: number[], rss: number[], swap: number[]): void {
  ownerIds.length = 0;
  counts.length = 0;
  rss.length = 0;
  swap.length = 0;
  checkFormat(new VarintReader(buf.subarray(0, 1)), 'an owner aggregate blob');
  const end = buf.length;
  const cur: ScanCursor = { pos: 1 };
  let field = 0;
  while (cur.pos < end) {
    const v = scanUvarint(buf, cur);
    if (field === 0) ownerIds.push(v);
    else if (field === 1) counts.push(v);
    else if (field === 2) rss.push(sizeFromCode(v));
    else swap.push(sizeFromCode(v));
    field = (field + 1) % 4;
  }
  if (cur.pos > end || field !== 0) throw new MemrecError('a packed snapshot blob ends early (corrupt database?)');
}

/** Owner ids only, for collecting unreferenced owners. */
export function packedOwnerIds(buf: Buffer): number[] {
  return unpackAggregates(buf).map((a) => a.ownerId);
}
