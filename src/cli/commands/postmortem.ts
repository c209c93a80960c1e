// `memrec postmortem`: the final minutes before the last unclean end of a recording (the recorder killed, the
// node down): how it ended, the kernel's own log of it, the timeline, the culprits, the kills, and the last
// snapshot's top processes. Text to stdout; --out FILE.html writes the export's HTML report of the same window.
import { statSync } from 'node:fs';
import { hostname } from 'node:os';
import { UsageError } from '../../errors.js';
import { ownerLabel } from '../../model/attribution.js';
import { formatBytes } from '../../model/quantity.js';
import { formatDuration, parseDuration } from '../../config/values.js';
import { BOOT_EXPECTED, describeBoots, parseBootSelector } from '../../report/boots.js';
import { culprits } from '../../report/culprits.js';
import { events, formatGap, type EventRow } from '../../report/events.js';
import { buildBundle } from '../../report/export.js';
import { writeAll } from '../../report/format/output.js';
import { renderTable, truncate, type TableColumn } from '../../report/format/table.js';
import { cleanText } from '../../report/format/text.js';
import { renderHtml } from '../../report/html/report.js';
import { wrapWords } from '../../report/kills.js';
import { bootEnd, lastUncleanEnd, type RecordingEnd } from '../../report/postmortem.js';
import { peakSaysMore } from '../../report/query.js';
import type { ProcessRow } from '../../report/source.js';
import { formatLocal, isoUtc, resolveZone, type TimeRange } from '../../report/time.js';
import { renderChart, timeline } from '../../report/timeline.js';
import { commonOptions, intFlag, type OptionSpec } from '../args.js';
import { defineCommand, type Command } from '../command.js';
import { version } from '../main.js';
import { localtimeZone, openReadonly, rangeOptions, useColor, type OpenedStore } from '../report-options.js';
import { culpritsText } from './culprits.js';
import { reportOutput } from '../report-file.js';
import { checkOutput, writeOutput } from '../../fs/write.js';
import { shownPath } from '../../fs/file-error.js';

const options = {
  ...commonOptions,
  boot: { type: 'string', value: 'N', doc: "the end of that boot's recording instead, however it ended: 0 the latest, -1 the one before, 1 the first, or a boot id" },
  window: { type: 'string', value: 'D', doc: 'how far back from the end (default 30m): 10m, 1h, 90s' },
  out: { type: 'string', short: 'o', value: 'FILE', complete: 'file', doc: 'also write the HTML report of the window (as memrec export does), mode 0600' },
  force: { type: 'boolean', doc: 'replace an existing FILE' },
  top: { type: 'string', value: 'N', doc: 'culprits and processes listed (default 10)' },
  tz: rangeOptions.tz,
  db: rangeOptions.db,
} as const satisfies OptionSpec;

const DEFAULT_WINDOW_MS = 30 * 60_000;

function endLine(e: RecordingEnd, zone: string): string {
  const at = (t: number): string => formatLocal(t, zone);
  const boot = e.boot === null ? 'a boot without a recorded id' : `boot ${e.offset} (${e.boot.bootId})`;
  const last = e.lastSnapshotAt === null ? 'no snapshot' : `last snapshot ${at(e.lastSnapshotAt)}`;
  const gap = e.gapMs === null ? '' : `; nothing recorded for ${formatGap(e.gapMs)} after it`;
  switch (e.kind) {
    case 'reboot':
      return `The recording of ${boot} ended at ${at(e.endAt)} without a recorder stop, and the node booted again${e.nextBootId === null ? '' : ` (boot ${e.nextBootId.slice(0, 8)})`}: it went down (${last}${gap}).`;
    case 'unclean_stop':
      return `The recorder of ${boot} ended at ${at(e.endAt)} without a stop and the node stayed up: the recorder was killed or crashed (${last}${gap}).`;
    case 'stopped':
      return `The recording of ${boot} ended at ${at(e.endAt)} with a clean recorder stop${e.nextBootId === null ? '' : `, then the node rebooted (boot ${e.nextBootId.slice(0, 8)})`} (${last}).`;
    case 'recording':
      return `${boot[0]!.toUpperCase()}${boot.slice(1)} is the latest and still recording, or its recorder died and was not restarted; its last record is at ${at(e.endAt)} (${last}).`;
    case 'unknown':
      return `The recording of ${boot} ended at ${at(e.endAt)}; how is not recorded (${last}).`;
  }
}

/** The last snapshot of the window's largest processes. */
function lastSnapshotRows(store: OpenedStore, window: TimeRange, top: number): { at: number; kind: string; rows: ProcessRow[] } | null {
  const last = store.snapshots(window).at(-1);
  if (last === undefined) return null;
  return { at: last.takenAt, kind: last.kind, rows: store.processRows({ since: last.takenAt, until: last.takenAt }, { topPerSnapshot: top }).filter((r) => r.snapshotId === last.id) };
}

export const command: Command = defineCommand({
  name: 'postmortem',
  options,
  summary: 'the last minutes before the recording ended badly (recorder killed, node down): timeline, culprits, kills',
  help: `Usage: memrec postmortem [--boot N] [--window 30m] [--out FILE.html [--force]] [--top N] [--tz ZONE] [--db FILE]

The final minutes before the last unclean end of a recording: the recorder was killed (unclean_stop) or
the node went down (reboot without a recorder stop), as the recorder told at its next start. Says how the
recording ended and what the kernel kept of it (pstore), then the window's timeline, culprits, OOM kills
and the last snapshot's largest processes. Exit status 1 when no recording ended uncleanly.

Options:
  --boot N            the end of that boot's recording instead, however it ended: 0 the latest boot
                      recorded, -1 the one before, 1 the first; or a boot id (8+ hex digits)
  --window D          how far back from the end (default 30m): 10m, 1h, 90s
  --out FILE, -o      also write the HTML report of the window (as memrec export does), mode 0600
  --force             replace an existing FILE
  --top N             culprits and processes listed (default 10)
  --tz ZONE           print wall times in UTC or an IANA zone (default: TZ, else the system zone)
  --db FILE           the database (default: MEMREC_DB, else /var/lib/memrec/memrec.db as root)

Examples:
  memrec postmortem
  memrec postmortem --boot -1 --window 1h --out /tmp/node-7-crash.html
`,
  async run(v, io) {
    const windowMs = v.window === undefined ? DEFAULT_WINDOW_MS : parseDuration(v.window);
    if (windowMs === undefined || windowMs <= 0) throw new UsageError(`memrec postmortem: --window ${JSON.stringify(v.window)}: expected a duration like 10m, 30m, 1h or 90s`);
    const top = intFlag('postmortem', 'top', v.top, 10, 1, 10_000);
    const selector = v.boot === undefined ? null : parseBootSelector('postmortem', v.boot);
    const zone = resolveZone('postmortem', v.tz, io.env, () => localtimeZone());
    const target = reportOutput('postmortem', v.force === true, v.db, io);
    if (v.out !== undefined) checkOutput(v.out, target);
    const store = await openReadonly('postmortem', v.db, io);
    try {
      const end = selector === null ? lastUncleanEnd(store) : bootEnd(store, selector);
      if (end === null) {
        if (selector !== null) {
          const boots = store.boots();
          throw new UsageError(`memrec postmortem: --boot ${v.boot}: no such boot; ${boots.length === 0 ? 'the recording has no boot ids' : `recorded boots: ${describeBoots(boots, zone)}`}; expected ${BOOT_EXPECTED}`);
        }
        await writeAll(io.stderr, ['memrec postmortem: no recording ended uncleanly: every recorder stop was clean and no unclean_stop or reboot without a stop is recorded (use --boot N for the end of a given boot)\n']);
        return 1;
      }
      const window: TimeRange = { since: end.endAt - windowMs, until: end.endAt };
      const width = io.columns ?? Number.POSITIVE_INFINITY;
      const at = (t: number): string => formatLocal(t, zone);
      const out: string[] = [
        ...wrapWords(`Postmortem ${at(window.since)} → ${at(window.until)} (${zone}), the last ${formatDuration(windowMs)} of the recording`, width, '  '),
        ...wrapWords(cleanText(endLine(end, zone)), width, ''),
      ];
      // what the kernel said: pstore records of that boot (written after the last snapshot), and the OOM kills
      const kernel = events(store, { since: end.boot?.firstAt ?? window.since, until: Math.max(end.boot?.lastAt ?? window.until, window.until) }, ['pstore']).filter(
        (e) => end.boot === null || e.bootId === end.boot.bootId,
      );
      const kills = events(store, window, ['oom_kill']);
      const opts = { columns: io.columns, color: useColor(io) };
      const eventCols: TableColumn<EventRow>[] = [
        { header: 'TIME', cell: (e) => at(Date.parse(e.at)) },
        { header: 'TYPE', cell: (e) => e.type },
        { header: 'WHAT', cell: (e) => e.summary, minWidth: 20, shrinkOrder: 1 },
      ];
      // only a reboot leaves the kernel's log in pstore; say so when it left nothing
      if (end.kind === 'reboot' || kernel.length > 0) {
        out.push(`\nThe kernel's log kept across the reboot (pstore)\n`);
        if (kernel.length === 0) out.push(...wrapWords('none stored: the node has no pstore, or it held no OOM or panic lines of this boot', width, ''));
        const cut = (s: string): string => (io.columns === undefined ? s : truncate(s, io.columns));
        for (const e of kernel) {
          out.push(...wrapWords(cleanText(e.summary), width, '    ', `${at(Date.parse(e.at))}  `));
          const d = e.details as { lines?: string[] };
          for (const l of (d.lines ?? []).slice(-12)) out.push(`${cut(`    ${cleanText(l)}`)}\n`);
        }
      }
      out.push(`\nOOM kills in the window\n`);
      out.push(...(kills.length === 0 ? ['none recorded\n'] : renderTable(eventCols, kills, opts)));
      out.push(`\nTimeline\n`);
      out.push(...renderChart(timeline(store, window), window, { width: io.columns ?? 100, height: 12, zone, formatBytes }));
      out.push('\n');
      out.push(...culpritsText(culprits(store, window, top), zone, io));
      const last = lastSnapshotRows(store, window, top);
      if (last !== null) {
        out.push(`\nThe last snapshot, ${at(last.at)} (${last.kind}): its largest processes\n`);
        const showPeak = last.rows.some((r) => peakSaysMore(r.rssBytes, r.peakRssBytes));
        const cols: TableColumn<ProcessRow>[] = [
          { header: 'PID', cell: (r) => String(r.pid), align: 'right' },
          { header: 'COMM', cell: (r) => r.comm, minWidth: 8, shrinkOrder: 2 },
          { header: 'RSS', cell: (r) => formatBytes(r.rssBytes), align: 'right' },
          ...(showPeak ? [{ header: 'PEAK', cell: (r: ProcessRow) => (peakSaysMore(r.rssBytes, r.peakRssBytes) ? formatBytes(r.peakRssBytes) : ''), align: 'right' as const }] : []),
          { header: 'OWNER', cell: (r) => ownerLabel(r.owner), minWidth: 12, shrinkOrder: 3 },
          { header: 'CMDLINE', cell: (r) => r.cmdline ?? `[${r.comm}]`, minWidth: 10, shrinkOrder: 4 },
        ];
        out.push(...renderTable(cols, last.rows, opts));
      }
      if (v.out !== undefined) {
        const { bundle } = buildBundle(store, window, { generator: `memrec ${version()}`, host: hostname(), generatedAt: io.now(), zone, top });
        const html = renderHtml(bundle, formatBytes);
        writeOutput(v.out, [html], target);
        const size = statSync(v.out).size;
        out.push(`\nmemrec postmortem: wrote ${shownPath(v.out)} (html, ${formatBytes(size)}) for ${isoUtc(window.since)} → ${isoUtc(window.until)}\n`);
      }
      await writeAll(io.stdout, out);
      return 0;
    } finally {
      store.close();
    }
  },
});
