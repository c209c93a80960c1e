// Per-owner aggregates of one snapshot, packed into one blob: they are always read whole, and a table
// row per owner per snapshot would be most of the database (~20 bytes a row against ~6 packed).
// Layout: for each aggregate, in order: varint owner id, varint process count, size rss, size swap.
import { VarintReader, VarintWriter } from './encoding.js';

export interface PackedAggregate {
  ownerId: number;
  processCount: number;
  rssBytes: number;
  swapBytes: number;
}

export function packAggregates(aggs: readonly PackedAggregate[], what: string): Buffer {
  const w = new VarintWriter();
  for (const a of aggs) {
    w.uint(a.ownerId);
    w.uint(a.processCount, `${what} processCount`);
    w.size(a.rssBytes, `${what} rssBytes`);
    w.size(a.swapBytes, `${what} swapBytes`);
  }
  return w.result();
}

export function unpackAggregates(buf: Uint8Array): PackedAggregate[] {
  const r = new VarintReader(buf);
  const out: PackedAggregate[] = [];
  while (!r.done) out.push({ ownerId: r.uint(), processCount: r.uint(), rssBytes: r.size(), swapBytes: r.size() });
  return out;
}

/** Owner ids only, for collecting unreferenced owners. */
export function* packedOwnerIds(buf: Uint8Array): Generator<number> {
  const r = new VarintReader(buf);
  while (!r.done) {
    yield r.uint();
    r.uint();
    r.uint();
    r.uint();
  }
}
