import { formatBytes } from '../../model/quantity.js';
import type { SnapshotKind } from '../../model/types.js';
import { ownerLabel } from '../../model/attribution.js';
import { csvLines } from '../../report/format/csv.js';
import { jsonArrayLines } from '../../report/format/json.js';
import { ndjsonLines } from '../../report/format/ndjson.js';
import { FORMATS, mapRows, writeAll } from '../../report/format/output.js';
import { cutOwner, ownerText } from '../../report/format/owner-text.js';
import { layoutTable, printTable, type TableColumn } from '../../report/format/table.js';
import { peakSaysMore, QUERY_FIELDS, queryRows, toQueryRow, type QueryOptions } from '../../report/query.js';
import type { ProcessRow } from '../../report/source.js';
import { formatLocal, tableTime, type TimeRange } from '../../report/time.js';
import { commonOptions, intFlag, type OptionSpec } from '../args.js';
import { defineCommand, type Command } from '../command.js';
import { RANGE_HELP, SELECTION_HELP, formatFlag, listFlag, openReadonly, rangeOf, rangeOptions, selectionOf, selectionOptions, withBoot, useColor } from '../report-options.js';

const SNAPSHOT_KINDS: readonly SnapshotKind[] = ['scheduled', 'burst', 'manual', 'oom'];

const options = {
  ...commonOptions,
  ...rangeOptions,
  ...selectionOptions,
  top: { type: 'string', value: 'N', doc: 'only the N largest processes of each snapshot (of those the filters keep)' },
  kind: { type: 'string', value: 'KINDS', choices: SNAPSHOT_KINDS, list: true, doc: 'only these snapshot kinds, comma-separated' },
  format: { type: 'string', value: 'F', choices: FORMATS, doc: 'table (default), json, ndjson or csv' },
} as const satisfies OptionSpec;

/** The table's columns; PEAK (VmHWM) only when some row's peak says more than its RSS, and then only in those rows. */
function tableColumns(range: TimeRange, zone: string): TableColumn<ProcessRow>[] {
  // a snapshot's rows share one time: format it once
  const times = tableTime(range, zone);
  let lastAt = Number.NaN;
  let lastText = '';
  const time = (t: number): string => {
    if (t !== lastAt) {
      lastAt = t;
      lastText = times.format(t);
    }
    return lastText;
  };
  // OWNER says where its cgroup is when that is unusual (a nested node); the whole cgroup is in json and csv
  return [
    { header: `TIME (${times.label})`, cell: (r) => time(r.takenAt) },
    { header: 'KIND', cell: (r) => r.snapshotKind, dropOrder: 3 },
    { header: 'PID', cell: (r) => String(r.pid), align: 'right' },
    { header: 'COMM', cell: (r) => r.comm, minWidth: 8, shrinkOrder: 2 },
    { header: 'RSS', cell: (r) => formatBytes(r.rssBytes), align: 'right' },
    { header: 'PEAK', cell: (r) => (peakSaysMore(r.rssBytes, r.peakRssBytes) ? formatBytes(r.peakRssBytes) : ''), align: 'right', dropOrder: 2, hideWhenEmpty: true },
    { header: 'OWNER', cell: (r) => ownerText(ownerLabel(r.owner), r.owner.kind, r.owner.kind === 'kernel' ? null : r.owner.cgroup, r.cgroup), minWidth: 24, shrinkOrder: 3, cut: cutOwner },
    { header: 'CWD', cell: (r) => r.cwd ?? '-', minWidth: 8, shrinkOrder: 5, dropOrder: 1, cut: 'middle' },
    { header: 'CMDLINE', cell: (r) => r.cmdline ?? `[${r.comm}]`, minWidth: 12, shrinkOrder: 6 },
  ];
}

export const command: Command = defineCommand({
  name: 'query',
  options,
  summary: 'the recorded processes in a time range (who was big, when, in which cgroup)',
  help: `Usage: memrec query (--since T [--until T] | --boot N) [options]

The recorded process samples in the range, newest last: each snapshot's processes, largest first.

Options:
${RANGE_HELP}
  --top N             only the N largest processes of each snapshot (of those the filters keep)
${SELECTION_HELP}
  --kind KINDS        only these snapshot kinds, comma-separated: ${SNAPSHOT_KINDS.join(', ')}
  --format F          table (default), json, ndjson or csv

Examples:
  memrec query --since 02:00 --until 03:00 --top 5
  memrec query --since yesterday --outside-pods --kind burst
  memrec query --since 2h --comm '^updatedb' --format ndjson | jq .rssBytes
`,
  async run(v, io) {
    const format = formatFlag('query', v.format, options.format.choices, 'table');
    const q: QueryOptions = selectionOf('query', v);
    if (v.top !== undefined) q.top = intFlag('query', 'top', v.top, 0, 1, 100_000);
    const kinds = listFlag('query', 'kind', v.kind, options.kind.choices);
    if (kinds !== undefined) q.kinds = kinds;
    const ctx = rangeOf('query', v, io);
    const store = await openReadonly('query', v.db, io);
    try {
      const { range, zone } = withBoot('query', ctx, store);
      // Streamed from the store, whatever the range: a table reads it twice (widths, then lines).
      const rows: Iterable<ProcessRow> = { [Symbol.iterator]: () => queryRows(store, range, q) };
      if (format === 'table') {
        const cols = tableColumns(range, zone);
        const opts = { columns: io.columns, color: useColor(io) };
        const layout = layoutTable(cols, rows, opts);
        if (layout.rows === 0) {
          await writeAll(io.stderr, [`memrec query: no process samples between ${formatLocal(range.since, zone)} and ${formatLocal(range.until, zone)} (${zone}) that match\n`]);
          return 0;
        }
        await writeAll(io.stdout, printTable(cols, rows, opts, layout));
      } else {
        const out = mapRows(rows, toQueryRow);
        const chunks = format === 'json' ? jsonArrayLines(out) : format === 'ndjson' ? ndjsonLines(out) : csvLines(QUERY_FIELDS, out as Iterable<unknown> as Iterable<Record<string, unknown>>);
        await writeAll(io.stdout, chunks);
      }
      return 0;
    } finally {
      store.close();
    }
  },
});

