// What `memrec status` tells: is the recorder alive and recording, is it bursting, what it compares against.
import type { SnapshotKind, Thresholds } from '../model/types.js';
import { formatBytes } from '../model/quantity.js';
import { cleanText } from '../model/text.js';
import type { Store } from '../store/store.js';

export interface RecorderStatus {
  db: string;
  dbBytes: number;
  snapshotsByKind: Record<SnapshotKind, number>;
  events: number;
  lastSnapshotAt: number | null;
  lastSnapshotAgeMs: number | null;
  lastSnapshotKind: SnapshotKind | null;
  /** from the last burst_start / burst_end events */
  burst: { active: true; since: number; reason: string } | { active: false; lastEndedAt: number | null };
  /** from the last recorder_start / recorder_stop events: a start without a stop and a live pid means running */
  recorder: { state: 'running'; pid: number; since: number } | { state: 'stopped'; at: number; reason: string } | { state: 'crashed'; pid: number; since: number } | { state: 'never-started' };
  thresholds: Thresholds | null;
  memoryAvailableBytes: number | null;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function recorderStatus(store: Store, now: number): RecorderStatus {
  const st = store.stats();
  const all = { since: 0, until: Number.MAX_SAFE_INTEGER };
  const bursts = store.events(all, ['burst_start', 'burst_end']);
  const lastBurst = bursts[bursts.length - 1];
  const lifecycle = store.events(all, ['recorder_start', 'recorder_stop']);
  const lastLife = lifecycle[lifecycle.length - 1];
  let burst: RecorderStatus['burst'];
  if (lastBurst?.type === 'burst_start') burst = { active: true, since: lastBurst.at, reason: lastBurst.details.reason };
  else burst = { active: false, lastEndedAt: lastBurst?.at ?? null };
  let recorder: RecorderStatus['recorder'] = { state: 'never-started' };
  if (lastLife?.type === 'recorder_stop') recorder = { state: 'stopped', at: lastLife.at, reason: lastLife.details.reason };
  else if (lastLife?.type === 'recorder_start') {
    const pid = lastLife.details.pid;
    recorder = alive(pid) ? { state: 'running', pid, since: lastLife.at } : { state: 'crashed', pid, since: lastLife.at };
  }
  // A burst that was open when the recorder died is not going on now.
  if (burst.active && recorder.state !== 'running') burst = { active: false, lastEndedAt: null };
  return {
    db: store.file,
    dbBytes: st.fileBytes,
    snapshotsByKind: st.snapshotsByKind,
    events: st.events,
    lastSnapshotAt: st.lastAt,
    lastSnapshotAgeMs: st.lastAt === null ? null : now - st.lastAt,
    lastSnapshotKind: st.last?.kind ?? null,
    burst,
    recorder,
    thresholds: st.last?.thresholds ?? null,
    memoryAvailableBytes: st.last?.kubelet.availableBytes ?? null,
  };
}

function age(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

export function renderStatus(s: RecorderStatus, now: number): string {
  const iso = (t: number) => new Date(t).toISOString();
  const lines: string[] = [];
  const r = s.recorder;
  lines.push(
    `recorder:        ${
      r.state === 'running' ? `running, pid ${r.pid}, since ${iso(r.since)}`
      : r.state === 'stopped' ? `stopped at ${iso(r.at)} (${r.reason})`
      : r.state === 'crashed' ? `not running: pid ${r.pid} (started ${iso(r.since)}) ended without a stop event`
      : 'never started on this database'
    }`,
  );
  lines.push(`database:        ${s.db} (${formatBytes(s.dbBytes)})`);
  lines.push(
    `last snapshot:   ${s.lastSnapshotAt === null ? 'none' : `${age(s.lastSnapshotAgeMs ?? 0)} ago (${iso(s.lastSnapshotAt)}, ${s.lastSnapshotKind})`}`,
  );
  const k = s.snapshotsByKind;
  lines.push(`snapshots:       scheduled ${k.scheduled}, burst ${k.burst}, oom ${k.oom}, manual ${k.manual}; events ${s.events}`);
  lines.push(
    `burst:           ${s.burst.active ? `ACTIVE for ${age(now - s.burst.since)} (${s.burst.reason})` : `idle${s.burst.lastEndedAt === null ? '' : `, last ended ${age(now - s.burst.lastEndedAt)} ago`}`}`,
  );
  if (s.thresholds) {
    const t = s.thresholds;
    lines.push(`hard threshold:  ${t.hard.raw} = ${formatBytes(t.hard.bytes)} (${t.hard.origin})`);
    lines.push(`soft threshold:  ${t.soft ? `${t.soft.raw} = ${formatBytes(t.soft.bytes)} (${t.soft.origin})` : 'none'}`);
  } else lines.push('thresholds:      unknown (no snapshot yet)');
  if (s.memoryAvailableBytes !== null) lines.push(`memory.available ${formatBytes(s.memoryAvailableBytes)} at the last snapshot`);
  // the database path, origins and reasons may hold anything: escaped like every text output
  return lines.map(cleanText).join('\n') + '\n';
}
