// `memrec postmortem`: the last minutes of a recording that ended badly. Without --boot, the last unclean end
// the recorder told of at its next start (an `unclean_stop`, or a `reboot` without a clean stop); with --boot,
// the end of that boot's recording, however it ended.
import type { PreviousEndDetails } from '../model/types.js';
import { selectBoot, type BootSelector, type BootSpan } from './boots.js';
import type { ReportSource, StoredEventRow } from './source.js';

export type EndKind =
  /** the recorder was killed or crashed; the node stayed up */
  | 'unclean_stop'
  /** the node went down (no recorder stop before the next boot) */
  | 'reboot'
  /** the recorder stopped cleanly (and the node may have rebooted after: see nextBootId) */
  | 'stopped'
  /** the latest boot, still recording (or its recorder died and has not been restarted yet) */
  | 'recording'
  /** a boot recorded before memrec told how recordings end */
  | 'unknown';

export interface RecordingEnd {
  kind: EndKind;
  /** the boot that ended and its --boot offset; null when the recording has no boot id for it */
  boot: BootSpan | null;
  offset: number | null;
  /** the end of what was recorded: the last snapshot, or a later record of that boot (a pstore panic) */
  endAt: number;
  lastSnapshotAt: number | null;
  /** how long nothing was recorded after it, as told at the next start */
  gapMs: number | null;
  /** the event that told of it (unclean_stop or reboot at the next start) */
  event: StoredEventRow | null;
  nextBootId: string | null;
}

const ALL = { since: 0, until: Number.MAX_SAFE_INTEGER };

function endEvents(store: Pick<ReportSource, 'events'>): StoredEventRow[] {
  return store.events(ALL, ['unclean_stop', 'reboot']).sort((a, b) => b.at - a.at || b.id - a.id);
}

function details(e: StoredEventRow): PreviousEndDetails & { cleanStop?: boolean } {
  return e.details as PreviousEndDetails & { cleanStop?: boolean };
}

function fromEvent(e: StoredEventRow, boots: readonly BootSpan[]): RecordingEnd {
  const d = details(e);
  const lastSnapshotAt = d.lastSnapshotAt === null ? null : Date.parse(d.lastSnapshotAt);
  const i = d.previousBootId === null ? -1 : boots.findIndex((b) => b.bootId === d.previousBootId);
  const boot = i < 0 ? null : boots[i]!;
  const clean = e.type === 'reboot' && d.cleanStop === true;
  // after a reboot the old boot's records end with it (a pstore panic comes after the last snapshot); after an
  // unclean stop the boot goes on, so the end is the last snapshot before the restart
  const fallback = lastSnapshotAt ?? Date.parse(d.previousStartAt);
  const endAt = e.type === 'reboot' && boot !== null ? Math.max(boot.lastAt, fallback) : fallback;
  return {
    kind: clean ? 'stopped' : e.type === 'reboot' ? 'reboot' : 'unclean_stop',
    boot,
    offset: i < 0 ? null : i - (boots.length - 1),
    endAt,
    lastSnapshotAt,
    gapMs: d.gapMs,
    event: e,
    nextBootId: e.type === 'reboot' ? d.bootId : null,
  };
}

/** The last unclean end of a recording (unclean_stop, or reboot without a clean stop); null when every recording ended cleanly. */
export function lastUncleanEnd(store: Pick<ReportSource, 'events' | 'boots'>): RecordingEnd | null {
  const e = endEvents(store).find((x) => x.type === 'unclean_stop' || details(x).cleanStop !== true);
  return e === undefined ? null : fromEvent(e, store.boots());
}

/** How the recording of the selected boot ended; null when no boot matches. */
export function bootEnd(store: Pick<ReportSource, 'events' | 'boots' | 'snapshots'>, sel: BootSelector): RecordingEnd | null {
  const boots = store.boots();
  const found = selectBoot(boots, sel);
  if (found === null) return null;
  const { boot, offset } = found;
  const told = endEvents(store).find((e) => e.type === 'reboot' && details(e).previousBootId === boot.bootId);
  if (told !== undefined) return fromEvent(told, boots);
  const inBoot = { since: boot.firstAt, until: boot.lastAt };
  const starts = store.events(inBoot, ['recorder_start', 'recorder_stop']);
  const lastSnap = store.snapshots(inBoot).at(-1)?.takenAt ?? null;
  const last = starts.at(-1);
  const kind: EndKind = offset === 0 ? (last?.type === 'recorder_stop' ? 'stopped' : 'recording') : last?.type === 'recorder_stop' ? 'stopped' : 'unknown';
  return { kind, boot, offset, endAt: boot.lastAt, lastSnapshotAt: lastSnap, gapMs: null, event: null, nextBootId: null };
}
