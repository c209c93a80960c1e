// Per-owner aggregates of one snapshot, packed into one blob: always read whole, and a table row per
// owner per snapshot would be most of the database (~20 bytes a row against ~6 packed).
// Format 3 (written): per aggregate the id of an `owner_cgroups` row, which holds the owner, its cgroup's path and
// the counters that did not change (limits, high, peak and event counts while they stay), then only what moves:
// process count, rss, swap, the cgroup's usage, and the peak or the counts while they change (packAggregates).
// A state row is referenced by id like a `strings` row: every blob decodes alone with the tables, nothing is
// carried from one snapshot to the next, and retention keeps a row while any blob references it.
// Format 2 (read): owner id, process count, rss, swap (varints, sizes in KiB codes), then the owner cgroup's
// counters: a presence mask, the cgroup path's string id, usage, peak (as its difference to usage), limit, high,
// and the counts unless all are 0. Format 1 (memrec before cgroup counters): no counters, read as null.
import { MemrecError } from '../errors.js';
import type { OwnerCgroupCounters } from '../model/types.js';
import { checkFormat, scanUvarint, signedSizeFromCode, sizeFromCode, VarintReader, VarintWriter, type ScanCursor } from './encoding.js';

/** The layout written; OWNER_PACK_FORMATS are those read. */
export const OWNER_PACK_FORMAT = 3;
const OWNER_PACK_FORMATS = [1, 2, 3] as const;

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
// owner_cgroups masks only (format 3): the blob carries the peak, the known counts
const PEAK_INLINE = 2048;
const COUNTS_INLINE = 4096;

const COUNTS = [
  ['failcnt', FAILCNT],
  ['oomKills', OOM_KILLS],
  ['highEvents', HIGH_EVENTS],
  ['maxEvents', MAX_EVENTS],
  ['oomEvents', OOM_EVENTS],
] as const;

/**
 * An `owner_cgroups` row: an owner, its cgroup's path and the counters that did not change, so that a snapshot's blob
 * carries only what moves. `mask` says which counters the cgroup has (PATH ... OOM_EVENTS) and which of them the blob
 * carries (PEAK_INLINE, COUNTS_INLINE: they changed at the last snapshot); the row holds the others' values.
 * pathId null (mask 0): an owner without a cgroup (kernel threads).
 */
export interface OwnerState extends Omit<OwnerCgroupCounters, 'path' | 'usageBytes'> {
  ownerId: number;
  pathId: number | null;
  mask: number;
}

/** An owner_cgroups row as read raw: owner_id, path_id, mask, peak_bytes, limit_bytes, high_bytes, failcnt, oom_kills, high_events, max_events, oom_events. */
export type OwnerStateRow = [ownerId: number, pathId: number | null, mask: number, ...values: Array<number | null>];

export function ownerStateFromRow(r: OwnerStateRow): OwnerState {
  const [ownerId, pathId, mask, peakBytes, limitBytes, highBytes, failcnt, oomKills, highEvents, maxEvents, oomEvents] = r;
  return { ownerId, pathId, mask, peakBytes: peakBytes ?? null, limitBytes: limitBytes ?? null, highBytes: highBytes ?? null, failcnt: failcnt ?? null, oomKills: oomKills ?? null, highEvents: highEvents ?? null, maxEvents: maxEvents ?? null, oomEvents: oomEvents ?? null };
}

/** An `owner_cgroups` id to its row; throws when the row is missing. */
export type OwnerStateLookup = (id: number) => OwnerState;

/**
 * The state row an aggregate references: the counters known, with the peak and the counts left to the blob when
 * `inline` says they change (whatever is decided here, every value round-trips: this only chooses where it is kept).
 */
export function ownerState(ownerId: number, c: PackedCounters | null, inline: { peak: boolean; counts: boolean }): OwnerState {
  const s: OwnerState = { ownerId, pathId: null, mask: 0, peakBytes: null, limitBytes: null, highBytes: null, failcnt: null, oomKills: null, highEvents: null, maxEvents: null, oomEvents: null };
  if (c === null) return s;
  s.pathId = c.pathId;
  let mask = PATH;
  if (c.usageBytes !== null) mask |= USAGE;
  if (c.peakBytes !== null) {
    mask |= PEAK;
    if (inline.peak) mask |= PEAK_INLINE;
    else s.peakBytes = c.peakBytes;
  }
  if (c.limitBytes !== null) mask |= LIMIT;
  if (c.highBytes !== null) mask |= HIGH;
  s.limitBytes = c.limitBytes;
  s.highBytes = c.highBytes;
  let anyCount = false;
  for (const [k, bit] of COUNTS) {
    if (c[k] === null) continue;
    mask |= bit;
    anyCount = true;
    if (!inline.counts) s[k] = c[k];
  }
  if (anyCount && inline.counts) mask |= COUNTS_INLINE;
  s.mask = mask;
  return s;
}

const STATE_FIELDS = ['ownerId', 'pathId', 'mask', 'peakBytes', 'limitBytes', 'highBytes', 'failcnt', 'oomKills', 'highEvents', 'maxEvents', 'oomEvents'] as const;

export function sameState(a: OwnerState, b: OwnerState): boolean {
  for (const k of STATE_FIELDS) if (a[k] !== b[k]) return false;
  return true;
}

/** One aggregate as format 3 writes it: the counters that move, beside the id of the state row that holds the rest. */
export interface StatedAggregate extends PackedAggregate {
  stateId: number;
  state: OwnerState;
}

/**
 * Format 3. Per aggregate: the `owner_cgroups` id (which gives the owner, the cgroup path, the limits and what else
 * is constant), process count × 2 + (swap is not 0), rss, swap unless 0, then what the state row leaves to the
 * blob: usage, the peak when PEAK_INLINE (as its difference to usage), the known counts when COUNTS_INLINE.
 */
export function packAggregates(aggs: readonly StatedAggregate[], what: string): Buffer {
  const w = new VarintWriter();
  w.uint(OWNER_PACK_FORMAT, 'format');
  for (const a of aggs) {
    const s = a.state;
    const c = a.cgroup;
    // what the row keeps is not written again: a row that differs from the counters would lose them
    if (!sameState(s, ownerState(a.ownerId, c, { peak: (s.mask & PEAK_INLINE) !== 0, counts: (s.mask & COUNTS_INLINE) !== 0 }))) {
      throw new MemrecError(`cannot store ${what}: its owner_cgroups row ${a.stateId} does not match its counters`);
    }
    w.uint(a.stateId, `${what} owner state id`);
    if (!Number.isSafeInteger(a.processCount) || a.processCount < 0) throw new MemrecError(`cannot store ${what} processCount: expected a non-negative integer, got ${a.processCount}`);
    w.uint(a.processCount * 2 + (a.swapBytes !== 0 ? 1 : 0), `${what} processCount`);
    w.size(a.rssBytes, `${what} rssBytes`);
    if (a.swapBytes !== 0) w.size(a.swapBytes, `${what} swapBytes`);
    if (c === null) continue;
    const m = s.mask;
    if ((m & USAGE) !== 0) w.size(c.usageBytes!, `${what} cgroup usageBytes`);
    if ((m & PEAK_INLINE) !== 0) {
      if (c.usageBytes !== null) w.signedSize(c.peakBytes! - c.usageBytes, `${what} cgroup peakBytes`);
      else w.size(c.peakBytes!, `${what} cgroup peakBytes`);
    }
    if ((m & COUNTS_INLINE) !== 0) for (const [k, bit] of COUNTS) if ((m & bit) !== 0) w.uint(c[k]!, `${what} cgroup ${k}`);
  }
  return w.result();
}

/** The counters of an aggregate: the state row's, with usage, peak and counts from the blob where the row leaves them to it. */
function countersOf(s: OwnerState, r: VarintReader): PackedCounters | null {
  if (s.pathId === null) return null;
  const m = s.mask;
  const usageBytes = (m & USAGE) !== 0 ? r.size() : null;
  const peakBytes = (m & PEAK) === 0 ? null : (m & PEAK_INLINE) === 0 ? s.peakBytes : usageBytes !== null ? usageBytes + r.signedSize() : r.size();
  const inline = (m & COUNTS_INLINE) !== 0;
  const count = (bit: number, v: number | null): number | null => ((m & bit) === 0 ? null : inline ? r.uint() : v);
  return {
    pathId: s.pathId,
    usageBytes,
    peakBytes,
    limitBytes: s.limitBytes,
    highBytes: s.highBytes,
    failcnt: count(FAILCNT, s.failcnt),
    oomKills: count(OOM_KILLS, s.oomKills),
    highEvents: count(HIGH_EVENTS, s.highEvents),
    maxEvents: count(MAX_EVENTS, s.maxEvents),
    oomEvents: count(OOM_EVENTS, s.oomEvents),
  };
}

function needStates(states: OwnerStateLookup | undefined): OwnerStateLookup {
  if (states === undefined) throw new MemrecError('an owner aggregate blob of pack format 3 needs the owner_cgroups table to be read');
  return states;
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

export function unpackAggregates(buf: Buffer, states?: OwnerStateLookup): PackedAggregate[] {
  const r = new VarintReader(buf);
  const format = checkFormat(r, 'an owner aggregate blob', OWNER_PACK_FORMATS);
  const out: PackedAggregate[] = [];
  if (format === 3) {
    const lookup = needStates(states);
    while (!r.done) {
      const s = lookup(r.uint());
      const pc = r.uint();
      const rssBytes = r.size();
      const swapBytes = pc % 2 === 1 ? r.size() : 0;
      out.push({ ownerId: s.ownerId, processCount: Math.floor(pc / 2), rssBytes, swapBytes, cgroup: countersOf(s, r) });
    }
    return out;
  }
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
 * a cold start, so the varints are walked with a cursor. Format 3 blobs need `states`.
 */
export function scanAggregates(buf: Buffer, ownerIds: number[], counts: number[], rss: number[], swap: number[], counters?: ScannedCounters, states?: OwnerStateLookup): void {
  const format = checkFormat(new VarintReader(buf.subarray(0, 1)), 'an owner aggregate blob', OWNER_PACK_FORMATS);
  const lookup = format === 3 ? needStates(states) : null;
  const end = buf.length;
  const cur: ScanCursor = { pos: 1 };
  // written by index and cut to length at the end: the arrays keep their storage from one snapshot to the next
  let n = 0;
  while (cur.pos < end) {
    let pathId = -1;
    let usage = -1;
    let peak = -1;
    let limit = -1;
    if (lookup !== null) {
      const stateId = scanUvarint(buf, cur);
      // a blob cut inside the id: not a row to look up (the check after the loop says the blob is short)
      if (cur.pos > end) break;
      const s = lookup(stateId);
      ownerIds[n] = s.ownerId;
      const pc = scanUvarint(buf, cur);
      counts[n] = Math.floor(pc / 2);
      rss[n] = sizeFromCode(scanUvarint(buf, cur));
      swap[n] = pc % 2 === 1 ? sizeFromCode(scanUvarint(buf, cur)) : 0;
      if (s.pathId !== null) {
        const m = s.mask;
        pathId = s.pathId;
        if ((m & USAGE) !== 0) usage = sizeFromCode(scanUvarint(buf, cur));
        if ((m & PEAK_INLINE) !== 0) peak = usage >= 0 ? usage + signedSizeFromCode(scanUvarint(buf, cur)) : sizeFromCode(scanUvarint(buf, cur));
        else if (s.peakBytes !== null) peak = s.peakBytes;
        if (s.limitBytes !== null) limit = s.limitBytes;
        if ((m & COUNTS_INLINE) !== 0) {
          let skip = 0;
          for (let bit = FAILCNT; bit <= OOM_EVENTS; bit *= 2) if (bit !== ZEROS && bit !== HIGH && (m & bit) !== 0) skip++;
          while (skip > 0 && cur.pos <= end) if ((buf[cur.pos++] ?? 0) < 128) skip--;
        }
      }
    } else {
      ownerIds[n] = scanUvarint(buf, cur);
      counts[n] = scanUvarint(buf, cur);
      rss[n] = sizeFromCode(scanUvarint(buf, cur));
      swap[n] = sizeFromCode(scanUvarint(buf, cur));
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

/**
 * What a blob references, for collecting unreferenced rows (a cursor scan: retention reads every blob): format 1 and 2
 * name owners and cgroup path strings, format 3 `owner_cgroups` rows (which name the owners and strings).
 */
export function packedOwnerRefs(buf: Buffer, states: OwnerStateLookup): { ownerIds: number[]; stringIds: number[]; stateIds: number[] } {
  if (buf[0] === 3) {
    const stateIds: number[] = [];
    const record = (id: number): OwnerState => {
      stateIds.push(id);
      return states(id);
    };
    scanAggregates(buf, [], [], [], [], undefined, record);
    return { ownerIds: [], stringIds: [], stateIds };
  }
  const ownerIds: number[] = [];
  const sc: ScannedCounters = { pathIds: [], usage: [], peak: [], limit: [] };
  scanAggregates(buf, ownerIds, [], [], [], sc);
  return { ownerIds, stringIds: sc.pathIds.filter((id) => id >= 0), stateIds: [] };
}
