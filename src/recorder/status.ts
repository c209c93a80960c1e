// What `memrec status` tells monitoring: is a recorder running on this machine and storing snapshots on
// schedule? The answer is exact: the recorder of the last recorder_start is alive only if its pid runs now
// with the start time and boot id it recorded (a reused pid, a reboot or a copied database read as not
// running), and its snapshots are stale once two scheduled intervals and a margin pass without one.
import { createTask } from 'node-cron';
import type { SnapshotKind, Thresholds } from '../model/types.js';
import { formatBytes } from '../model/quantity.js';
import { cleanText } from '../model/text.js';
import { readBootId } from '../sources/kmsg.js';
import { processArgs, processIdentity, type ProcessIdentity } from '../sources/self.js';
import type { Store, StoredEvent } from '../store/store.js';

/** The schedule `memrec record` runs when its recorder_start names none (databases of earlier builds). */
const DEFAULT_SCHEDULE = '0 * * * * *';
/** Added to two scheduled intervals: a snapshot takes up to seconds on a loaded node, retention up to one more. */
export const STALE_MARGIN_MS = 30_000;

export type Verdict = 'recording' | 'stale' | 'not-recording';

/** The recorder of the last recorder_start, as far as this machine can tell. */
export type RecorderState =
  | { state: 'never-started' }
  | { state: 'running'; start: StartInfo; identityChecked: boolean }
  | { state: 'stopped'; start: StartInfo | null; at: number; reason: string }
  /** no stop event and the process is gone (killed, crashed), or its pid now belongs to another process */
  | { state: 'gone'; start: StartInfo; why: string }
  /** it ran in another boot of this machine, or on another machine (a copied database) */
  | { state: 'other-boot'; start: StartInfo; bootNow: string | null };

export interface StartInfo {
  at: number;
  pid: number;
  version: string | null;
  bootId: string | null;
  pidStartTicks: number | null;
  schedule: string | null;
}

export interface RecorderStatus {
  verdict: Verdict;
  /** one line: why the verdict (for stderr when it is not `recording`) */
  reason: string;
  db: string;
  dbBytes: number;
  snapshotsByKind: Record<SnapshotKind, number>;
  events: number;
  lastSnapshotAt: number | null;
  lastSnapshotKind: SnapshotKind | null;
  recorder: RecorderState;
  /** the schedule of the last recorder_start (or the default), its longest interval, and the stale limit from it */
  schedule: string;
  scheduleIntervalMs: number | null;
  staleAfterMs: number;
  /** from the last burst_start / burst_end events */
  burst: { active: true; since: number; reason: string } | { active: false; lastEndedAt: number | null };
  thresholds: Thresholds | null;
  memoryAvailableBytes: number | null;
}

/** How the liveness check reads the machine; tests pass their own. */
export interface StatusProbe {
  /** this machine's boot id as this process sees it */
  bootId(): string | null;
  /** the identity of a pid now, or 'gone' */
  identity(pid: number): ProcessIdentity | 'gone';
  /** its arguments, or null */
  args(pid: number): string[] | null;
}

export const liveProbe: StatusProbe = { bootId: () => readBootId('/proc'), identity: (pid) => processIdentity(pid), args: (pid) => processArgs(pid) };

/** `node … bin.js record …` or `memrec record …`: a memrec recorder by its command line. */
function isRecorder(args: string[] | null): boolean {
  if (args === null) return false;
  const at = args.findIndex((a) => a.endsWith('/bin.js') || a === 'memrec' || a.endsWith('/memrec'));
  return at >= 0 && args.slice(at + 1).includes('record');
}

/**
 * The longest gap between consecutive runs of a cron schedule (node-cron's own matcher, the recorder's), over
 * the next runs from now; null when node-cron refuses the expression. Irregular schedules (`0 0 2,3 * * *`)
 * take their longest gap, so they are never called stale early.
 */
export function scheduleIntervalMs(schedule: string): number | null {
  let task: ReturnType<typeof createTask> | null = null;
  try {
    task = createTask(schedule, () => undefined);
    const runs = task.getNextRuns(12).map((d) => d.getTime());
    let gap = 0;
    for (let i = 1; i < runs.length; i++) gap = Math.max(gap, runs[i]! - runs[i - 1]!);
    return gap > 0 ? gap : null;
  } catch {
    return null;
  } finally {
    void task?.destroy();
  }
}

function startInfo(e: StoredEvent & { type: 'recorder_start' }): StartInfo {
  const d = e.details;
  const schedule = typeof d.config?.['schedule'] === 'string' ? d.config['schedule'] : null;
  return {
    at: e.at,
    pid: d.pid,
    version: typeof d.version === 'string' ? d.version : null,
    bootId: typeof d.bootId === 'string' ? d.bootId : null,
    pidStartTicks: typeof d.pidStartTicks === 'number' ? d.pidStartTicks : null,
    schedule,
  };
}

/**
 * Is the recorder of `start` this machine's live process? Its pid must run with the start time it recorded,
 * in the boot it recorded. One exception: a container may show its processes a boot id of its own (systemd-nspawn
 * does), which a service's hardened /proc view inside it does not; when only the boot ids differ, a process with
 * the recorded pid and start time whose command line is a memrec recorder is the recorder.
 */
export function liveness(start: StartInfo, probe: StatusProbe): RecorderState {
  const bootNow = probe.bootId();
  const otherBoot = start.bootId !== null && bootNow !== null && start.bootId !== bootNow;
  const now = probe.identity(start.pid);
  if (now === 'gone') return otherBoot ? { state: 'other-boot', start, bootNow } : { state: 'gone', start, why: 'killed, crashed, or the machine went down' };
  const ticksKnown = start.pidStartTicks !== null && now.startTicks !== null;
  const sameStart = ticksKnown && start.pidStartTicks === now.startTicks;
  if (otherBoot) return sameStart && isRecorder(probe.args(start.pid)) ? { state: 'running', start, identityChecked: true } : { state: 'other-boot', start, bootNow };
  if (ticksKnown && !sameStart) {
    return { state: 'gone', start, why: `pid ${start.pid} is now another process, started at tick ${now.startTicks}, not ${start.pidStartTicks}` };
  }
  return { state: 'running', start, identityChecked: ticksKnown };
}

function ago(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

/** `2m30s`, `25h`: a limit as people read it. */
function span(ms: number): string {
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.length === 0 ? '0s' : parts.join('');
}

const iso = (t: number): string => new Date(t).toISOString();

export function recorderStatus(store: Store, now: number, probe: StatusProbe = liveProbe): RecorderStatus {
  const st = store.stats();
  const lastBurst = store.lastEvent(['burst_start', 'burst_end']);
  const lastLife = store.lastEvent(['recorder_start', 'recorder_stop']);
  const lastStart = lastLife?.type === 'recorder_start' ? lastLife : store.lastEvent(['recorder_start']);
  const start = lastStart?.type === 'recorder_start' ? startInfo(lastStart) : null;

  let recorder: RecorderState;
  if (lastLife === null || start === null) recorder = lastLife?.type === 'recorder_stop' ? { state: 'stopped', start: null, at: lastLife.at, reason: lastLife.details.reason } : { state: 'never-started' };
  else if (lastLife.type === 'recorder_stop') recorder = { state: 'stopped', start, at: lastLife.at, reason: lastLife.details.reason };
  else recorder = liveness(start, probe);

  const schedule = start?.schedule ?? DEFAULT_SCHEDULE;
  const interval = scheduleIntervalMs(schedule);
  const staleAfterMs = 2 * (interval ?? 60_000) + STALE_MARGIN_MS;
  const limitText = `${span(staleAfterMs)}: twice the ${interval === null ? 'assumed 1m' : span(interval)} interval of schedule "${schedule}" + ${span(STALE_MARGIN_MS)}`;

  let verdict: Verdict;
  let reason: string;
  const r = recorder;
  if (r.state === 'running') {
    // a recorder that just started has until the limit to store its first snapshot
    const since = Math.max(st.lastAt ?? r.start.at, r.start.at);
    const age = now - since;
    if (age > staleAfterMs) {
      verdict = 'stale';
      reason =
        st.lastAt !== null && st.lastAt >= r.start.at
          ? `stale: the recorder (pid ${r.start.pid}) runs, but its last snapshot is ${span(now - st.lastAt)} old (limit ${limitText})`
          : `stale: the recorder (pid ${r.start.pid}) runs, but has stored no snapshot in the ${span(age)} since it started (limit ${limitText})`;
    } else {
      verdict = 'recording';
      reason = `recording: pid ${r.start.pid}, last snapshot ${st.lastAt === null ? 'none yet' : `${ago(now - st.lastAt)} ago`} (stale after ${limitText})`;
    }
  } else {
    verdict = 'not-recording';
    const manual = st.snapshotsByKind.manual;
    reason =
      r.state === 'never-started'
        ? `not recording: no recorder has run on this database${manual > 0 ? ` (its ${manual} snapshot${manual === 1 ? ' was' : 's were'} taken by memrec snapshot)` : ''}`
        : r.state === 'stopped'
          ? `not recording: the recorder${r.start ? ` (pid ${r.start.pid})` : ''} stopped at ${iso(r.at)} (${r.reason})`
          : r.state === 'gone'
            ? `not recording: the recorder (pid ${r.start.pid}, started ${iso(r.start.at)}) ended without a stop event (${r.why})`
            : `not recording: the recorder (pid ${r.start.pid}, started ${iso(r.start.at)}) ran in another boot (boot id ${r.start.bootId}, now ${r.bootNow}): the machine rebooted since, or the database comes from another machine`;
  }

  let burst: RecorderStatus['burst'];
  if (lastBurst?.type === 'burst_start') burst = { active: true, since: lastBurst.at, reason: lastBurst.details.reason };
  else burst = { active: false, lastEndedAt: lastBurst?.at ?? null };
  // A burst that was open when the recorder died is not going on now.
  if (burst.active && recorder.state !== 'running') burst = { active: false, lastEndedAt: null };

  return {
    verdict,
    reason,
    db: store.file,
    dbBytes: st.fileBytes,
    snapshotsByKind: st.snapshotsByKind,
    events: st.events,
    lastSnapshotAt: st.lastAt,
    lastSnapshotKind: st.last?.kind ?? null,
    recorder,
    schedule,
    scheduleIntervalMs: interval,
    staleAfterMs,
    burst,
    thresholds: st.last?.thresholds ?? null,
    memoryAvailableBytes: st.last?.kubelet.availableBytes ?? null,
  };
}

/** `memrec status --json`: every time an ISO 8601 UTC string, every field present (null when unknown). README lists them. */
export function statusJson(s: RecorderStatus, now: number): Record<string, unknown> {
  const r = s.recorder;
  const start = r.state === 'never-started' ? null : r.start;
  return {
    status: s.verdict,
    reason: s.reason,
    checkedAt: iso(now),
    recorder: {
      state: r.state,
      pid: start?.pid ?? null,
      version: start?.version ?? null,
      startedAt: start === null ? null : iso(start.at),
      stoppedAt: r.state === 'stopped' ? iso(r.at) : null,
      stopReason: r.state === 'stopped' ? r.reason : null,
      bootId: start?.bootId ?? null,
      pidStartTicks: start?.pidStartTicks ?? null,
      identityChecked: r.state === 'running' ? r.identityChecked : null,
    },
    schedule: s.schedule,
    scheduleIntervalMs: s.scheduleIntervalMs,
    staleAfterMs: s.staleAfterMs,
    lastSnapshotAt: s.lastSnapshotAt === null ? null : iso(s.lastSnapshotAt),
    lastSnapshotAgeMs: s.lastSnapshotAt === null ? null : now - s.lastSnapshotAt,
    lastSnapshotKind: s.lastSnapshotKind,
    snapshotsByKind: s.snapshotsByKind,
    events: s.events,
    burst: s.burst.active
      ? { active: true, since: iso(s.burst.since), reason: s.burst.reason, lastEndedAt: null }
      : { active: false, since: null, reason: null, lastEndedAt: s.burst.lastEndedAt === null ? null : iso(s.burst.lastEndedAt) },
    db: s.db,
    dbBytes: s.dbBytes,
    thresholds: s.thresholds,
    memoryAvailableBytes: s.memoryAvailableBytes,
  };
}

export function renderStatus(s: RecorderStatus, now: number): string {
  const lines: string[] = [];
  const r = s.recorder;
  lines.push(`status:          ${s.reason}`);
  lines.push(
    `recorder:        ${
      r.state === 'running'
        ? `running, pid ${r.start.pid}, since ${iso(r.start.at)}${r.identityChecked ? ' (pid, start time and boot id match)' : ' (pid alive; this database recorded no start time to check)'}`
        : r.state === 'stopped'
          ? `stopped at ${iso(r.at)} (${r.reason})`
          : r.state === 'gone'
            ? `not running: pid ${r.start.pid} (started ${iso(r.start.at)}) ended without a stop event`
            : r.state === 'other-boot'
              ? `not running: pid ${r.start.pid} (started ${iso(r.start.at)}) ran in another boot`
              : 'never started on this database'
    }`,
  );
  lines.push(`database:        ${s.db} (${formatBytes(s.dbBytes)})`);
  lines.push(`last snapshot:   ${s.lastSnapshotAt === null ? 'none' : `${ago(now - s.lastSnapshotAt)} ago (${iso(s.lastSnapshotAt)}, ${s.lastSnapshotKind})`}`);
  const k = s.snapshotsByKind;
  lines.push(`snapshots:       scheduled ${k.scheduled}, burst ${k.burst}, oom ${k.oom}, manual ${k.manual}; events ${s.events}`);
  lines.push(
    `burst:           ${s.burst.active ? `ACTIVE for ${ago(now - s.burst.since)} (${s.burst.reason})` : `idle${s.burst.lastEndedAt === null ? '' : `, last ended ${ago(now - s.burst.lastEndedAt)} ago`}`}`,
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
