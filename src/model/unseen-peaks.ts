// A spike no snapshot saw. An owner cgroup's peak counter (memory.max_usage_in_bytes, memory.peak) only rises;
// when it rose between two snapshots to above the usage both of them read, the cgroup's usage went that high in
// between and came down again before the next snapshot. Pure: fed one snapshot's counters at a time, in order.

/** A rise that small is the usage moving while it was read (page cache churns near a limit), not a spike. */
export const UNSEEN_MIN_BYTES = 16 * 1024 * 1024;
/** ... and it must be this share of what the snapshots saw. */
export const UNSEEN_MIN_SHARE = 0.1;

/** Did the peak go materially above what the snapshots on either side of it saw? */
export function isUnseenSpike(peakBytes: number, seenBytes: number): boolean {
  const unseen = peakBytes - seenBytes;
  return unseen >= UNSEEN_MIN_BYTES && unseen >= seenBytes * UNSEEN_MIN_SHARE;
}

export interface UnseenPeak {
  /** the peak counter after the rise */
  peakBytes: number;
  /** the two snapshots between which it rose (epoch ms) */
  after: number;
  before: number;
  /** the higher usage those two snapshots read */
  seenBytes: number;
}

/** One owner's counters over a range: the largest unseen spike, and the cgroup and limit of its last sample. */
export class UnseenPeaks {
  // the previous sample, flat: a day of snapshots passes through add() once per owner
  private has = false;
  private prevAt = 0;
  /** the cgroup: a path or a string id; a new one restarts the comparison */
  private prevCgroup: string | number = '';
  private prevUsage: number | null = null;
  private prevPeak: number | null = null;
  /** the largest spike (the earliest of equals) */
  largest: UnseenPeak | null = null;
  cgroup: string | number | null = null;
  limitBytes: number | null = null;

  /** One snapshot's counters; null values are unknown (never 0). */
  add(at: number, cgroup: string | number, usage: number | null, peak: number | null, limit: number | null): void {
    if (this.has && this.prevCgroup === cgroup && this.prevPeak !== null && peak !== null && this.prevUsage !== null && usage !== null && peak > this.prevPeak) {
      // a counter that went down was reset (or the cgroup made anew): nothing to compare
      const seen = Math.max(this.prevUsage, usage);
      if (isUnseenSpike(peak, seen) && (this.largest === null || peak > this.largest.peakBytes)) this.largest = { peakBytes: peak, after: this.prevAt, before: at, seenBytes: seen };
    }
    this.has = true;
    this.prevAt = at;
    this.prevCgroup = cgroup;
    this.prevUsage = usage;
    this.prevPeak = peak;
    this.cgroup = cgroup;
    this.limitBytes = limit;
  }
}
