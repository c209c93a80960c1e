// Per-owner aggregates of one snapshot, packed into one blob: always read whole, and a table row per
// owner per snapshot would be most of the database (~20 bytes a row against ~6 packed).
// Layout: format byte, then per aggregate: owner id, process count, rss, swap (varints, sizes in KiB codes).
import { checkFormat, PACK_FORMAT, VarintReader, VarintWriter } from './encoding.js';

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

/** Owner ids only, for collecting unreferenced owners. */
export function packedOwnerIds(buf: Buffer): number[] {
  return unpackAggregates(buf).map((a) => a.ownerId);
}
