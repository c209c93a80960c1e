import { formatBytes } from '../../model/quantity.js';
import { csvLines } from '../../report/format/csv.js';
import { jsonDocument } from '../../report/format/json.js';
import { writeAll } from '../../report/format/output.js';
import { renderChart, timeline, TIMELINE_FIELDS } from '../../report/timeline.js';
import { commonOptions, intFlag, parse } from '../args.js';
import type { Command } from '../command.js';
import type { Io } from '../io.js';
import { RANGE_HELP, formatFlag, openReadonly, rangeOf, rangeOptions, withBoot } from '../report-options.js';

const options = { ...commonOptions, ...rangeOptions, format: { type: 'string' }, height: { type: 'string' } } as const;

export const command: Command = {
  name: 'timeline',
  summary: "memory.available (the kubelet's view) and free's MemAvailable over time, against the thresholds",
  help: `Usage: memrec timeline (--since T [--until T] | --boot N) [--format chart|csv|json]

The kubelet's memory.available and free's MemAvailable over time against the hard and soft eviction
thresholds, with burst periods and OOM kills marked, the kills then listed one line each. The chart fits
the terminal; each column shows the lowest value of its time slice, so a short dip is never averaged away.

Options:
${RANGE_HELP}
  --format F          chart (default), csv (one snapshot a line) or json ({points, bursts, oomKills})
  --height N          chart rows (default 16)

Examples:
  memrec timeline --since 02:00 --until 04:00
  memrec timeline --since yesterday --format csv > night.csv
`,
  async run(argv: string[], io: Io): Promise<number> {
    const { values: v } = parse('timeline', argv, options);
    const format = formatFlag('timeline', v.format, ['chart', 'csv', 'json'] as const, 'chart');
    const height = intFlag('timeline', 'height', v.height, 16, 4, 200);
    const ctx = rangeOf('timeline', v, io);
    const store = await openReadonly('timeline', v.db, io);
    try {
      const { range, zone } = withBoot('timeline', ctx, store);
      const t = timeline(store, range);
      if (format === 'json') await writeAll(io.stdout, [jsonDocument(t)]);
      else if (format === 'csv') await writeAll(io.stdout, csvLines(TIMELINE_FIELDS, t.points as unknown as Record<string, unknown>[]));
      else await writeAll(io.stdout, renderChart(t, range, { width: io.columns ?? 100, height, zone, formatBytes }));
      return 0;
    } finally {
      store.close();
    }
  },
};
