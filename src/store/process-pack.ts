// The kept processes of one snapshot, packed into one blob in the collector's order. The attributes
// that rarely change live in `procs` and are referenced by id; what changes every sample is here.
// Layout: format byte, then per process: proc id, state, rss, rss anon?, rss file?, rss shmem?, swap?,
// vsize, cpu ticks, cpuPercent × 100?, threads, and since format 2 the peak rss (VmHWM) as its signed difference
// to rss, mostly 0 or small: a byte instead of three (varints; ? = nullable, 0 meaning null). Format 1 blobs (memrec before peak RSS) are still read; their peak RSS is null.
import { MemrecError } from '../errors.js';
import type { ProcessSample } from '../model/types.js';
import { checkFormat, scanUvarint, sizeFromCode, VarintReader, VarintWriter, type ScanCursor } from './encoding.js';

/** The layout written; PROCESS_PACK_FORMATS are those read. */
export const PROCESS_PACK_FORMAT = 2;
const PROCESS_PACK_FORMATS = [1, 2] as const;

/** The per-sample fields of a process (the rest is interned in `procs` and referenced by procId). cpuPercent is kept to two decimals. */
export type PackedSample = { procId: number } & Pick<
  ProcessSample,
  'state' | 'rssBytes' | 'rssAnonBytes' | 'rssFileBytes' | 'rssShmemBytes' | 'swapBytes' | 'vsizeBytes' | 'cpuTicks' | 'cpuPercent' | 'threads' | 'peakRssBytes'
>;

export function packSamples(samples: readonly PackedSample[], what: (field: string, i: number) => string): Buffer {
  const w = new VarintWriter();
  w.uint(PROCESS_PACK_FORMAT, 'format');
  for (const [i, s] of samples.entries()) {
    w.uint(s.procId, what('proc id', i));
    w.text(s.state, what('state', i));
    w.size(s.rssBytes, what('rssBytes', i));
    w.optSize(s.rssAnonBytes, what('rssAnonBytes', i));
    w.optSize(s.rssFileBytes, what('rssFileBytes', i));
    w.optSize(s.rssShmemBytes, what('rssShmemBytes', i));
    w.optSize(s.swapBytes, what('swapBytes', i));
    w.size(s.vsizeBytes, what('vsizeBytes', i));
    w.uint(s.cpuTicks, what('cpuTicks', i));
    w.optUint(s.cpuPercent === null ? null : Math.round(s.cpuPercent * 100), what('cpuPercent', i));
    w.uint(s.threads, what('threads', i));
    w.optSignedSize(s.peakRssBytes === null ? null : s.peakRssBytes - s.rssBytes, what('peakRssBytes', i));
  }
  return w.result();
}

export function unpackSamples(buf: Buffer): PackedSample[] {
  const r = new VarintReader(buf);
  const format = checkFormat(r, 'a process blob', PROCESS_PACK_FORMATS);
  const out: PackedSample[] = [];
  while (!r.done) {
    const procId = r.uint();
    const state = r.text();
    const rssBytes = r.size();
    const rssAnonBytes = r.optSize();
    const rssFileBytes = r.optSize();
    const rssShmemBytes = r.optSize();
    const swapBytes = r.optSize();
    const vsizeBytes = r.size();
    const cpuTicks = r.uint();
    const pct = r.optUint();
    const threads = r.uint();
    const peakDelta = format >= 2 ? r.optSignedSize() : null;
    const peakRssBytes = peakDelta === null ? null : rssBytes + peakDelta;
    out.push({ procId, state, rssBytes, rssAnonBytes, rssFileBytes, rssShmemBytes, swapBytes, vsizeBytes, cpuTicks, cpuPercent: pct === null ? null : pct / 100, threads, peakRssBytes });
  }
  return out;
}

/**
 * Only proc id and RSS of each sample, into `procIds` and `rss` (emptied first): culprits over a day scans
 * every sample once at a cold start, so the varints are walked with a cursor and the other fields skipped.
 */
export function scanProcRss(buf: Buffer, procIds: number[], rss: number[]): void {
  procIds.length = 0;
  rss.length = 0;
  const format = checkFormat(new VarintReader(buf.subarray(0, 1)), 'a process blob', PROCESS_PACK_FORMATS);
  // after rss: anon, file, shmem, swap, vsize, cpu ticks, cpu %, threads, and (format 2) the peak
  const skip = format >= 2 ? 9 : 8;
  const end = buf.length;
  const cur: ScanCursor = { pos: 1 };
  while (cur.pos < end) {
    procIds.push(scanUvarint(buf, cur));
    const stateLength = scanUvarint(buf, cur); // state: its length, then its bytes (read before adding: `cur.pos += scan()` would add to the old pos)
    cur.pos += stateLength;
    rss.push(sizeFromCode(scanUvarint(buf, cur)));
    for (let k = skip; k > 0 && cur.pos <= end; ) if ((buf[cur.pos++] ?? 0) < 128) k--;
    if (cur.pos > end) throw new MemrecError('a packed snapshot blob ends early (corrupt database?)');
  }
}

export function packedProcIds(buf: Buffer): number[] {
  return unpackSamples(buf).map((s) => s.procId);
}
