// When to take fast snapshots. A pure state machine: the watcher hands in each cheap reading with its
// time; it answers with events and whether a burst snapshot is due. No clock, no I/O.
import type { RecorderEvent, Thresholds } from '../model/types.js';
import { thresholdBytes } from '../config/values.js';
import { formatBytes } from '../model/quantity.js';

/** Resolved burst policy, bytes and ms. */
export interface BurstPolicy {
  capacityBytes: number;
  hardBytes: number;
  softBytes: number | null;
  /** enter burst when memory.available <= this */
  burstAtBytes: number;
  /** leave only once memory.available > burstAt + this */
  hysteresisBytes: number;
  /** PSI memory full avg10 (percent) at or above which a burst starts */
  burstPsi: number;
  exitAfterMs: number;
  intervalMs: number;
  slowAfterMs: number;
  slowIntervalMs: number;
}

export interface BurstOptions {
  burstAt: string | null;
  burstHysteresis: string;
  burstPsi: number;
  burstExitAfter: number;
  burstInterval: number;
  burstSlowAfter: number;
  burstSlowInterval: number;
}

/** burst-at defaults to the soft threshold if there is one, else hard + 10% of capacity. */
export function resolveBurstPolicy(o: BurstOptions, thresholds: Thresholds, capacityBytes: number): BurstPolicy {
  const burstAtBytes =
    o.burstAt !== null ? thresholdBytes(o.burstAt, capacityBytes) : (thresholds.soft?.bytes ?? thresholds.hard.bytes + Math.round(0.1 * capacityBytes));
  return {
    capacityBytes,
    hardBytes: thresholds.hard.bytes,
    softBytes: thresholds.soft?.bytes ?? null,
    burstAtBytes,
    hysteresisBytes: thresholdBytes(o.burstHysteresis, capacityBytes),
    burstPsi: o.burstPsi,
    exitAfterMs: o.burstExitAfter,
    intervalMs: o.burstInterval,
    slowAfterMs: o.burstSlowAfter,
    slowIntervalMs: o.burstSlowInterval,
  };
}

/** What the watcher read: only cheap files. Unknown values are null, never 0. */
export interface Reading {
  at: number;
  /** kubelet memory.available (node or --memory-cgroup signal) */
  availableBytes: number;
  /** free's MemAvailable */
  memAvailableBytes: number | null;
  /** /proc/vmstat oom_kill */
  oomKillCount: number | null;
  psiFullAvg10: number | null;
}

export type BurstReason = 'memory.available' | 'MemAvailable' | 'oom_kill' | 'psi';

export type BurstState =
  | { mode: 'idle' }
  | {
      mode: 'burst';
      since: number;
      reasons: BurstReason[];
      snapshots: number;
      lastSnapshotAt: number | null;
      /** since when every trigger has been clear (null: not calm now) */
      calmSince: number | null;
    };

export interface Observation {
  events: RecorderEvent[];
  /** take a burst snapshot now */
  snapshotDue: boolean;
  /** the snapshot's trigger text, when due */
  trigger: string | null;
}

type Side = 'below' | 'above';
type Crossing = { signal: 'memory.available' | 'MemAvailable'; threshold: 'hard' | 'soft' | 'burst-at' };

/** A crossing back above needs this margin (1% of capacity), so a value hovering at a threshold does not flood events. */
const CROSSING_MARGIN = 0.01;
/** A timer firing a little early still counts as on time. */
const EARLY_TOLERANCE = 0.9;


export class BurstController {
  private s: BurstState = { mode: 'idle' };
  private lastOomKills: number | null = null;
  private readonly sides = new Map<string, Side>();

  constructor(private policy: BurstPolicy) {}

  get state(): Readonly<BurstState> {
    return this.s;
  }

  /** Thresholds can change (kubelet restarted with new flags): the burst in progress continues. */
  setPolicy(policy: BurstPolicy): void {
    this.policy = policy;
  }

  getPolicy(): Readonly<BurstPolicy> {
    return this.policy;
  }

  /** Interval between burst snapshots at `at`: slower once the burst is old. */
  intervalAt(at: number): number {
    if (this.s.mode !== 'burst') return this.policy.intervalMs;
    return at - this.s.since >= this.policy.slowAfterMs ? this.policy.slowIntervalMs : this.policy.intervalMs;
  }

  /** When the next burst snapshot is due (null when idle), so the watcher can wake up for it. */
  nextDueAt(): number | null {
    if (this.s.mode !== 'burst') return null;
    if (this.s.lastSnapshotAt === null) return this.s.since;
    return this.s.lastSnapshotAt + this.intervalAt(this.s.lastSnapshotAt);
  }

  /** The daemon committed (or at least attempted) a burst snapshot at `at`. */
  snapshotTaken(at: number): void {
    if (this.s.mode !== 'burst') return;
    this.s = { ...this.s, snapshots: this.s.snapshots + 1, lastSnapshotAt: at };
  }

  observe(r: Reading): Observation {
    const p = this.policy;
    const events: RecorderEvent[] = [...this.crossings(r)];

    const oomRose = r.oomKillCount !== null && this.lastOomKills !== null && r.oomKillCount > this.lastOomKills;
    const oomBefore = this.lastOomKills;
    if (r.oomKillCount !== null) this.lastOomKills = r.oomKillCount;

    const reasons: BurstReason[] = [];
    if (r.availableBytes <= p.burstAtBytes) reasons.push('memory.available');
    if (r.memAvailableBytes !== null && r.memAvailableBytes <= p.hardBytes) reasons.push('MemAvailable');
    if (oomRose) reasons.push('oom_kill');
    if (r.psiFullAvg10 !== null && r.psiFullAvg10 >= p.burstPsi) reasons.push('psi');

    const values = {
      availableBytes: r.availableBytes,
      burstAtBytes: p.burstAtBytes,
      memAvailableBytes: r.memAvailableBytes,
      hardBytes: p.hardBytes,
      psiFullAvg10: r.psiFullAvg10,
      burstPsi: p.burstPsi,
      oomKillCount: r.oomKillCount,
      oomKillCountBefore: oomBefore,
    };

    if (this.s.mode === 'idle') {
      if (reasons.length === 0) return { events, snapshotDue: false, trigger: null };
      this.s = { mode: 'burst', since: r.at, reasons, snapshots: 0, lastSnapshotAt: null, calmSince: null };
      const reason = this.describe(reasons, r, oomBefore);
      events.push({ type: 'burst_start', at: r.at, details: { reason, values } });
      return { events, snapshotDue: true, trigger: `burst: ${reason}` };
    }

    // In a burst: calm means every trigger is clear and memory.available has cleared burst-at by the hysteresis.
    const calm = reasons.length === 0 && r.availableBytes > p.burstAtBytes + p.hysteresisBytes;
    const calmSince = calm ? (this.s.calmSince ?? r.at) : null;
    if (calm && r.at - calmSince! >= p.exitAfterMs) {
      const durationMs = r.at - this.s.since;
      events.push({
        type: 'burst_end',
        at: r.at,
        details: {
          reason: `memory.available ${formatBytes(r.availableBytes)} > burst-at ${formatBytes(p.burstAtBytes)} + hysteresis ${formatBytes(p.hysteresisBytes)} for ${Math.round(p.exitAfterMs / 1000)}s`,
          durationMs,
          snapshots: this.s.snapshots,
          values,
        },
      });
      this.s = { mode: 'idle' };
      return { events, snapshotDue: false, trigger: null };
    }
    for (const reason of reasons) if (!this.s.reasons.includes(reason)) this.s.reasons.push(reason);
    this.s = { ...this.s, calmSince };
    const last = this.s.lastSnapshotAt;
    // A fresh OOM kill is worth a snapshot now, even when a slowed-down burst would wait.
    const due = last === null || oomRose || r.at - last >= this.intervalAt(r.at) * EARLY_TOLERANCE;
    return { events, snapshotDue: due, trigger: due ? `burst: ${reasons.length > 0 ? this.describe(reasons, r, oomBefore) : 'recovering'}` : null };
  }

  private describe(reasons: BurstReason[], r: Reading, oomBefore: number | null): string {
    const p = this.policy;
    return reasons
      .map((reason) => {
        switch (reason) {
          case 'memory.available':
            return `memory.available ${formatBytes(r.availableBytes)} <= ${formatBytes(p.burstAtBytes)}`;
          case 'MemAvailable':
            return `MemAvailable ${formatBytes(r.memAvailableBytes ?? 0)} <= hard ${formatBytes(p.hardBytes)}`;
          case 'oom_kill':
            return `oom_kill ${oomBefore} -> ${r.oomKillCount}`;
          case 'psi':
            return `psi full avg10 ${r.psiFullAvg10} >= ${p.burstPsi}`;
        }
      })
      .join(', ');
  }

  /** threshold_crossing events: the first reading below a threshold, and the first back above it (with margin). */
  private crossings(r: Reading): RecorderEvent[] {
    const p = this.policy;
    const margin = Math.round(CROSSING_MARGIN * p.capacityBytes);
    const checks: [Crossing, number | null, number | null][] = [
      [{ signal: 'memory.available', threshold: 'hard' }, r.availableBytes, p.hardBytes],
      [{ signal: 'memory.available', threshold: 'soft' }, r.availableBytes, p.softBytes],
      [{ signal: 'memory.available', threshold: 'burst-at' }, r.availableBytes, p.burstAtBytes],
      [{ signal: 'MemAvailable', threshold: 'hard' }, r.memAvailableBytes, p.hardBytes],
    ];
    const out: RecorderEvent[] = [];
    for (const [c, value, threshold] of checks) {
      if (value === null || threshold === null) continue;
      const key = `${c.signal}/${c.threshold}`;
      const prev = this.sides.get(key);
      let side: Side | undefined = prev;
      if (value <= threshold) side = 'below';
      else if (value > threshold + margin || prev === undefined) side = 'above';
      if (side === undefined || side === prev) continue;
      this.sides.set(key, side);
      // Starting above is the normal state, not news; starting below is.
      if (prev === undefined && side === 'above') continue;
      out.push({ type: 'threshold_crossing', at: r.at, details: { ...c, direction: side, valueBytes: value, thresholdBytes: threshold } });
    }
    return out;
  }
}
