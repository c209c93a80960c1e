// How the previous recording ended, decided at start from what the database holds: a clean stop says
// nothing; no recorder_stop in the same boot is an `unclean_stop` (the recorder was killed); another boot
// id is a `reboot` (without a stop: the node went down). A clean stop followed by a reboot is still told
// as a `reboot` with cleanStop true: whoever reads the night afterwards wants to know the node restarted.
import type { RecorderEvent } from '../model/types.js';
import type { PreviousRecording } from '../store/store.js';

export function previousEnd(prev: PreviousRecording, now: number, bootId: string | null, bootTimeMs: number | null): RecorderEvent | null {
  const start = prev.start;
  if (start === null) return null; // the first recording in this database
  const last = prev.lastSnapshot;
  const prevBoot = start.bootId ?? (last !== null && last.at >= start.at ? last.bootId : null);
  const lastAt = last?.at ?? null;
  const lastRecord = Math.max(lastAt ?? start.at, start.at);
  // the boot ids say it; without one, a last record from before this boot's start does
  const rebooted = prevBoot !== null && bootId !== null ? prevBoot !== bootId : bootTimeMs !== null && lastRecord < bootTimeMs;
  const clean = prev.stop !== null;
  if (clean && !rebooted) return null;
  const details = {
    previousBootId: prevBoot,
    bootId,
    previousPid: start.pid,
    previousStartAt: new Date(start.at).toISOString(),
    lastSnapshotAt: lastAt === null ? null : new Date(lastAt).toISOString(),
    gapMs: Math.max(0, now - (lastAt ?? start.at)),
  };
  if (rebooted) return { type: 'reboot', at: now, details: { ...details, cleanStop: clean, bootedAt: bootTimeMs === null ? null : new Date(bootTimeMs).toISOString() } };
  return { type: 'unclean_stop', at: now, details };
}
