import { formatBytes } from '../../model/quantity.js';
import { csvLines } from '../../report/format/csv.js';
import { jsonLines } from '../../report/format/json.js';
import { writeAll } from '../../report/format/output.js';
import { processSelected } from '../../report/select.js';
import {
  AROUND, aroundRange, processSeries, processSeriesJson, renderChart, timeline, timelineJson, within, TIMELINE_FIELDS, type ProcessSeries, type Timeline,
} from '../../report/timeline.js';
import { formatLocal, isoUtc, type TimeRange } from '../../report/time.js';
import { choiceFlag, commonOptions, intFlag, type OptionSpec } from '../args.js';
import { UsageError } from '../../errors.js';
import { defineCommand, type Command } from '../command.js';
import { DEFAULT_COLUMNS, columnsFromEnv, write } from '../io.js';
import { RANGE_HELP, formatFlag, openReadonly, rangeOf, rangeOptions, regexFlag, withBoot, type OpenedStore } from '../report-options.js';

const options = {
  ...commonOptions,
  ...rangeOptions,
  format: { type: 'string', value: 'F', choices: ['chart', 'csv', 'json'], doc: 'chart (default), csv (one snapshot a line) or json ({points, bursts, oomKills})' },
  height: { type: 'string', value: 'N', doc: 'chart rows (default 16)' },
  around: { type: 'string', value: 'WHAT', choices: AROUND, doc: 'zoom into the range around a burst, the first OOM kill, or the lowest memory.available' },
  pid: { type: 'string', value: 'N', doc: "also draw this process's RSS" },
  comm: { type: 'string', value: 'REGEX', doc: 'also draw the summed RSS of the processes whose comm matches REGEX' },
} as const satisfies OptionSpec;

/** One process's RSS (or the summed RSS of the processes a comm matches) over the range. */
function processOf(store: OpenedStore, range: TimeRange, pid: number | undefined, comm: RegExp | undefined): ProcessSeries | null {
  if (pid === undefined && comm === undefined) return null;
  const sel = { ...(pid === undefined ? {} : { pid }), ...(comm === undefined ? {} : { comm }) };
  const rows = store.processRows(range, { ...(pid === undefined ? {} : { pid }), match: (p) => processSelected(p, sel) });
  const comms = [...new Set(rows.map((r) => r.comm))];
  const label = pid !== undefined ? `${comms.length === 1 ? `${comms[0]} ` : ''}(pid ${pid})` : `processes matching /${comm!.source}/`;
  return processSeries(rows, label);
}

export const command: Command = defineCommand({
  name: 'timeline',
  options,
  summary: "memory.available (the kubelet's view) and free's MemAvailable over time, against the thresholds",
  help: `Usage: memrec timeline (--since T [--until T] | --boot N) [--around burst|oom|lowest] [--pid N | --comm REGEX]
                        [--format chart|csv|json] [--height N]

The kubelet's memory.available and free's MemAvailable over time against the hard and soft eviction
thresholds, with burst periods and OOM kills marked, the kills then listed one line each. The chart fits
the terminal (COLUMNS, else the terminal's width, else 80); each column shows the lowest value of its time
slice, so a short dip is never averaged away. Its scale spans memory.available and the thresholds; free's MemAvailable is drawn on it
when it is near them and otherwise left off, with a line saying so.

Options:
${RANGE_HELP}
  --around WHAT       zoom into the range around a burst (the one at the lowest memory.available, else
                      the first), the first OOM kill, or the lowest memory.available
  --pid N             also draw this process's RSS (as recorded: while it was among the top processes)
  --comm REGEX        also draw the summed RSS of the processes whose comm matches REGEX
  --format F          chart (default), csv (one snapshot a line) or json ({points, bursts, oomKills})
  --height N          chart rows (default 16)

Examples:
  memrec timeline --since 02:00 --until 04:00
  memrec timeline --since yesterday --around burst --comm '^updatedb'
  memrec timeline --since yesterday --format csv > night.csv
`,
  async run(v, io) {
    const format = formatFlag('timeline', v.format, options.format.choices, 'chart');
    const height = intFlag('timeline', 'height', v.height, 16, 4, 200);
    const around = v.around === undefined ? null : choiceFlag('timeline', 'around', v.around, options.around.choices, 'burst');
    const pid = v.pid === undefined ? undefined : intFlag('timeline', 'pid', v.pid, 0, 1, 2 ** 31);
    const comm = v.comm === undefined ? undefined : regexFlag('timeline', 'comm', v.comm);
    if (v.height !== undefined && format !== 'chart') throw new UsageError(`memrec timeline: --height and --format ${format} cannot be used together: --height sizes the chart`);
    const ctx = rangeOf('timeline', v, io);
    const store = await openReadonly('timeline', v.db, io);
    try {
      const { range: asked, zone } = withBoot('timeline', ctx, store);
      let t: Timeline = timeline(store, asked);
      let range = asked;
      if (around !== null) {
        const zoom = aroundRange(t, asked, around);
        if (zoom === null) {
          const what = around === 'burst' ? 'burst' : around === 'oom' ? 'OOM kill' : 'snapshot';
          await write(io.stderr, `memrec timeline: --around ${around}: no ${what} between ${formatLocal(asked.since, zone)} and ${formatLocal(asked.until, zone)} (${zone})\n`);
          return 1;
        }
        range = zoom;
        t = within(t, zoom);
      }
      const proc = processOf(store, range, pid, comm);
      if (format === 'json') {
        const zoom = around === null ? null : { what: around, since: isoUtc(range.since), until: isoUtc(range.until) };
        await writeAll(io.stdout, jsonLines({ ...timelineJson(t), around: zoom, process: proc === null ? null : processSeriesJson(proc) }));
      }
      else if (format === 'csv') {
        const rss = new Map((proc?.points ?? []).map((p) => [p.atMs, p.rssBytes]));
        const fields = proc === null ? TIMELINE_FIELDS : [...TIMELINE_FIELDS, 'processRssBytes' as const];
        const rows = t.points.map((p) => (proc === null ? p : { ...p, processRssBytes: rss.get(p.atMs) ?? null }));
        await writeAll(io.stdout, csvLines(fields, rows as unknown as Record<string, unknown>[]));
      } else await writeAll(io.stdout, renderChart(t, range, { width: io.columns ?? columnsFromEnv(io.env) ?? DEFAULT_COLUMNS, height, zone, formatBytes, process: proc }));
      return 0;
    } finally {
      store.close();
    }
  },
});

