// The recording the README's examples are run against (test/readme-examples.test.ts): the night of
// night.ts (updatedb growing inside the node cgroup /node-1, a burst, an OOM kill), recorded in one boot
// that ends with the node going down (the kernel's last words kept in pstore), then the next boot, whose
// recorder started after the reboot and records quietly until the morning. So `--boot -1` is the night,
// `memrec postmortem` finds its unclean end, and every time the examples name lands on recorded data
// when the clock reads README_NOW in README_ZONE (the night is 02:00-02:30 there).
import type { RecorderEvent, Snapshot } from '../../src/model/types.js';
import { completeOomKill } from '../../src/model/oom.js';
import { Store } from '../../src/store/store.js';
import { BURST, END, LOWEST, NODE, OOM_AT, T0, nightSnapshot } from './night.js';

export const README_ZONE = 'Europe/Berlin';
/** The morning after: 2026-11-27 04:00 in Berlin (03:00 UTC), two hours after the night began. */
export const README_NOW = Date.UTC(2026, 10, 27, 3, 0, 0);
/** The same instant as libfaketime reads it, in README_ZONE. */
export const README_NOW_LOCAL = '2026-11-27 04:00:00';
export const NIGHT_BOOT = '3c9f5e2a-8b1d-4f6e-9a7c-2d4b6e8f0a1c';
export const MORNING_BOOT = '5b0e7c1d-2e3f-4a5b-8c6d-7e8f9a0b1c2d';
/** The node went down a second after the last snapshot of the night and was back 6 minutes later. */
export const CRASH_AT = END + 1000;
export const BOOTED_AT = END + 6 * 60_000;
const RESTART_AT = BOOTED_AT + 40_000;

function inBoot(s: Snapshot, bootId: string): Snapshot {
  return { ...s, bootId };
}

export function writeReadmeDb(file: string): void {
  const store = Store.open(file);
  try {
    store.batch(() => {
      for (let t = T0; t <= END; t += 30_000) if (t < BURST.start || t > BURST.end) store.writeSnapshot(inBoot(nightSnapshot(t, 'scheduled'), NIGHT_BOOT));
      for (let t = BURST.start; t <= BURST.end; t += 1000) store.writeSnapshot(inBoot(nightSnapshot(t, t === OOM_AT + 1000 ? 'oom' : 'burst'), NIGHT_BOOT));
      const night: RecorderEvent[] = [
        { type: 'recorder_start', at: T0 - 1000, details: { version: '0.1.0', pid: 6622, bootId: NIGHT_BOOT, pidStartTicks: 1234 } },
        { type: 'threshold_crossing', at: BURST.start - 200, details: { signal: 'memory.available', threshold: 'burst-at', direction: 'below', valueBytes: 3000 * 1024 * 1024, thresholdBytes: 3072 * 1024 * 1024 } },
        { type: 'burst_start', at: BURST.start, details: { reason: 'memory.available 3Gi <= 3Gi', values: {} } },
        {
          type: 'oom_kill',
          at: OOM_AT,
          details: completeOomKill({ bootId: NIGHT_BOOT, kmsgSeq: 1, kmsgUsec: 1, pid: 700, comm: 'hog', uid: 0, constraint: 'CONSTRAINT_MEMCG', oomMemcg: `${NODE}/oom`, taskMemcg: `${NODE}/oom`, totalVmKb: 1, anonRssKb: 98304, fileRssKb: 0, shmemRssKb: 0, pgtablesKb: 1, oomScoreAdj: 0, global: false }),
        },
        { type: 'burst_end', at: BURST.end, details: { reason: 'recovered', durationMs: BURST.end - BURST.start, snapshots: 121, values: {} } },
      ];
      for (const e of night) store.writeEvent(e, { bootId: NIGHT_BOOT });
      // the next boot: the recorder tells how the night's recording ended, and what pstore kept of it
      const previous = { previousBootId: NIGHT_BOOT, bootId: MORNING_BOOT, previousPid: 6622, previousStartAt: new Date(T0 - 1000).toISOString(), lastSnapshotAt: new Date(END).toISOString(), gapMs: RESTART_AT - END };
      store.writeEvent({ type: 'recorder_start', at: RESTART_AT, details: { version: '0.1.0', pid: 812, bootId: MORNING_BOOT, pidStartTicks: 4321 } }, { bootId: MORNING_BOOT });
      store.writeEvent({ type: 'reboot', at: RESTART_AT, details: { ...previous, cleanStop: false, bootedAt: new Date(BOOTED_AT).toISOString() } }, { bootId: MORNING_BOOT });
      const panic = 'Kernel panic - not syncing: Out of memory: compulsory panic_on_oom is enabled';
      store.writeEvent(
        {
          type: 'pstore',
          at: CRASH_AT,
          details: {
            file: 'dmesg-ramoops-0', reason: 'Panic', header: 'Panic#1 Part1', bootId: NIGHT_BOOT, writtenAt: new Date(CRASH_AT).toISOString(), panic,
            oomKills: [{ pid: 300, comm: 'java', uptimeSec: 8907.5 }],
            lines: ['[ 8907.512371] Out of memory: Killed process 300 (java) total-vm:3330200kB, anon-rss:245760kB', `[ 8911.102279] ${panic}`],
            sha256: 'a'.repeat(64),
          },
        },
        { bootId: NIGHT_BOOT },
      );
      // the morning: a snapshot a minute, the node quiet (updatedb long gone)
      for (let t = RESTART_AT + 20_000; t <= README_NOW - 30_000; t += 60_000) {
        const s = nightSnapshot(t, 'scheduled');
        store.writeSnapshot({ ...s, bootId: MORNING_BOOT, processes: s.processes.map((p) => ({ ...p, startTime: BOOTED_AT + 30_000 })) });
      }
    });
  } finally {
    store.close();
  }
}

export { LOWEST };
