import type { EventType } from '../../model/types.js';
import { EVENT_FIELDS, EVENT_TYPES, eventRows, type EventRow } from '../../report/events.js';
import { csvLines } from '../../report/format/csv.js';
import { jsonArrayLines } from '../../report/format/json.js';
import { ndjsonLines } from '../../report/format/ndjson.js';
import { FORMATS, writeAll } from '../../report/format/output.js';
import { layoutTable, printTable, type TableColumn } from '../../report/format/table.js';
import { cleanText } from '../../report/format/text.js';
import { wrapWords } from '../../report/kills.js';
import { formatLocal, tableTime } from '../../report/time.js';
import { commonOptions, type OptionSpec } from '../args.js';
import { defineCommand, type Command } from '../command.js';
import { RANGE_HELP, formatFlag, listFlag, openReadonly, rangeOf, rangeOptions, withBoot, useColor } from '../report-options.js';

const options = {
  ...commonOptions,
  ...rangeOptions,
  type: { type: 'string', value: 'TYPES', choices: EVENT_TYPES, list: true, doc: 'only these event types, comma-separated' },
  format: { type: 'string', value: 'F', choices: FORMATS, doc: 'table (default), json, ndjson or csv' },
} as const satisfies OptionSpec;

export const command: Command = defineCommand({
  name: 'events',
  options,
  summary: 'burst starts and ends, OOM kills, threshold crossings, recorder starts and stops',
  help: `Usage: memrec events (--since T [--until T] | --boot N) [--type TYPES] [--format table|json|ndjson|csv]

What the recorder saw happen, oldest first. An OOM kill says whom the kernel killed (owner,
oom_score_adj, size) and what the largest task was: the kernel picks by oom_score_adj first.

Options:
${RANGE_HELP}
  --type TYPES        only these, comma-separated: ${EVENT_TYPES.join(', ')}
  --format F          table (default), json, ndjson or csv

Examples:
  memrec events --since yesterday
  memrec events --since 3d --type oom_kill --format json | jq '.[].details.comm'
`,
  async run(v, io) {
    const format = formatFlag('events', v.format, options.format.choices, 'table');
    const types: EventType[] | undefined = listFlag('events', 'type', v.type, options.type.choices);
    const ctx = rangeOf('events', v, io);
    const store = await openReadonly('events', v.db, io);
    try {
      const { range, zone } = withBoot('events', ctx, store);
      // streamed from the store; a table reads the range twice (widths, then lines)
      const rows: Iterable<EventRow> = { [Symbol.iterator]: () => eventRows(store, range, types) };
      if (format === 'table') {
        const times = tableTime(range, zone);
        const cols: TableColumn<EventRow>[] = [
          { header: `TIME (${times.label})`, cell: (e) => times.format(Date.parse(e.at)) },
          { header: 'TYPE', cell: (e) => e.type },
          { header: 'WHAT', cell: (e) => e.summary, minWidth: 20, shrinkOrder: 1 },
        ];
        const opts = { columns: io.columns, color: useColor(io) };
        const layout = layoutTable(cols, rows, opts);
        if (layout.rows === 0) {
          await writeAll(io.stderr, [`memrec events: no events between ${formatLocal(range.since, zone)} and ${formatLocal(range.until, zone)} (${zone})\n`]);
          return 0;
        }
        // an OOM kill's line is the answer (victim and largest task), as is how a recording ended and what the
        // previous kernel said: cut to the terminal, it follows whole, wrapped
        const wholeTypes: ReadonlySet<EventType> = new Set(['oom_kill', 'unclean_stop', 'reboot', 'pstore']);
        const whole = (e: EventRow, line: string): string[] => (wholeTypes.has(e.type) && line.endsWith('…\n') ? wrapWords(cleanText(e.summary), io.columns ?? Infinity, '    ', '    ') : []);
        await writeAll(io.stdout, printTable(cols, rows, opts, layout, whole));
      } else if (format === 'json') await writeAll(io.stdout, jsonArrayLines(rows));
      else if (format === 'ndjson') await writeAll(io.stdout, ndjsonLines(rows));
      else await writeAll(io.stdout, csvLines(EVENT_FIELDS, rows as Iterable<unknown> as Iterable<Record<string, unknown>>));
      return 0;
    } finally {
      store.close();
    }
  },
});
