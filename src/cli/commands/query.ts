import { UsageError } from '../../errors.js';
import { ownerLabel } from '../../model/attribution.js';
import { formatBytes } from '../../model/quantity.js';
import type { OwnerKind, SnapshotKind } from '../../model/types.js';
import { csvLines } from '../../report/format/csv.js';
import { jsonArrayLines } from '../../report/format/json.js';
import { ndjsonLines } from '../../report/format/ndjson.js';
import { FORMATS, writeAll } from '../../report/format/output.js';
import { renderTable, type TableColumn } from '../../report/format/table.js';
import { peakSaysMore, QUERY_FIELDS, queryProcessRows, toQueryRow, type QueryOptions } from '../../report/query.js';
import type { ProcessRow } from '../../report/source.js';
import { formatLocal } from '../../report/time.js';
import { commonOptions, intFlag, parse } from '../args.js';
import type { Command } from '../command.js';
import type { Io } from '../io.js';
import { RANGE_HELP, formatFlag, listFlag, openReadonly, rangeOf, rangeOptions, withBoot, useColor } from '../report-options.js';

const OWNER_KINDS: readonly OwnerKind[] = ['pod', 'service', 'user', 'kernel', 'other'];
const SNAPSHOT_KINDS: readonly SnapshotKind[] = ['scheduled', 'burst', 'manual', 'oom'];

const options = {
  ...commonOptions,
  ...rangeOptions,
  top: { type: 'string' },
  comm: { type: 'string' },
  pid: { type: 'string' },
  pod: { type: 'string' },
  owner: { type: 'string' },
  'outside-pods': { type: 'boolean' },
  kind: { type: 'string' },
  format: { type: 'string' },
} as const;

/** The table's columns; PEAK (VmHWM) only when some row's peak says more than its RSS, and then only in those rows. */
function tableColumns(zone: string, showPeak: boolean): TableColumn<ProcessRow>[] {
  // a snapshot's rows share one time: format it once
  let lastAt = Number.NaN;
  let lastText = '';
  const time = (t: number): string => {
    if (t !== lastAt) {
      lastAt = t;
      lastText = formatLocal(t, zone);
    }
    return lastText;
  };
  return [
    { header: 'TIME', cell: (r) => time(r.takenAt) },
    { header: 'KIND', cell: (r) => r.snapshotKind },
    { header: 'PID', cell: (r) => String(r.pid), align: 'right' },
    { header: 'COMM', cell: (r) => r.comm, minWidth: 8, shrinkOrder: 2 },
    { header: 'RSS', cell: (r) => formatBytes(r.rssBytes), align: 'right' },
    ...(showPeak ? [{ header: 'PEAK', cell: (r: ProcessRow) => (peakSaysMore(r.rssBytes, r.peakRssBytes) ? formatBytes(r.peakRssBytes) : ''), align: 'right' as const }] : []),
    { header: 'OWNER', cell: (r) => ownerLabel(r.owner), minWidth: 12, shrinkOrder: 3 },
    { header: 'CGROUP', cell: (r) => r.cgroup ?? '-', minWidth: 12, shrinkOrder: 4 },
    { header: 'CWD', cell: (r) => r.cwd ?? '-', minWidth: 8, shrinkOrder: 5 },
    { header: 'CMDLINE', cell: (r) => r.cmdline ?? `[${r.comm}]`, minWidth: 10, shrinkOrder: 6 },
  ];
}

export const command: Command = {
  name: 'query',
  summary: 'the recorded processes in a time range (who was big, when, in which cgroup)',
  help: `Usage: memrec query (--since T [--until T] | --boot N) [options]

The recorded process samples in the range, newest last: each snapshot's processes, largest first.

Options:
${RANGE_HELP}
  --top N             only the N largest processes of each snapshot
  --comm REGEX        only processes whose comm (process name) matches REGEX
  --pid N             only this pid
  --pod NAME|UID      only processes of this pod (name, namespace/name or UID)
  --owner KINDS       only these owner kinds, comma-separated: pod, service, user, kernel, other
  --outside-pods      only processes outside kubepods (host services, sessions, other)
  --kind KINDS        only these snapshot kinds, comma-separated: scheduled, burst, manual, oom
  --format F          table (default), json, ndjson or csv

Examples:
  memrec query --since 02:00 --until 03:00 --top 5
  memrec query --since yesterday --outside-pods --kind burst
  memrec query --since 2h --comm '^updatedb' --format ndjson | jq .rssBytes
`,
  async run(argv: string[], io: Io): Promise<number> {
    const { values: v } = parse('query', argv, options);
    const format = formatFlag('query', v.format, FORMATS, 'table');
    const q: QueryOptions = {};
    if (v.top !== undefined) q.top = intFlag('query', 'top', v.top, 0, 1, 100_000);
    if (v.pid !== undefined) q.pid = intFlag('query', 'pid', v.pid, 0, 1, 2 ** 31);
    if (v.comm !== undefined) {
      try {
        q.comm = new RegExp(v.comm);
      } catch (e) {
        throw new UsageError(`memrec query: --comm ${JSON.stringify(v.comm)}: not a valid regular expression (${(e as Error).message.replace(/^Invalid regular expression: /, '')})`);
      }
    }
    if (v.pod !== undefined) q.pod = v.pod;
    const ownerKinds = listFlag('query', 'owner', v.owner, OWNER_KINDS);
    if (ownerKinds !== undefined) q.ownerKinds = ownerKinds;
    const kinds = listFlag('query', 'kind', v.kind, SNAPSHOT_KINDS);
    if (kinds !== undefined) q.kinds = kinds;
    if (v['outside-pods']) q.outsidePods = true;
    const ctx = rangeOf('query', v, io);
    const store = await openReadonly('query', v.db, io);
    try {
      const { range, zone } = withBoot('query', ctx, store);
      const rows = queryProcessRows(store, range, q);
      if (format === 'table') {
        if (rows.length === 0) {
          await writeAll(io.stderr, [`memrec query: no process samples between ${formatLocal(range.since, zone)} and ${formatLocal(range.until, zone)} (${zone}) that match\n`]);
          return 0;
        }
        const showPeak = rows.some((r) => peakSaysMore(r.rssBytes, r.peakRssBytes));
        await writeAll(io.stdout, renderTable(tableColumns(zone, showPeak), rows, { columns: io.columns, color: useColor(io) }));
      } else {
        const out = rows.map(toQueryRow);
        const chunks = format === 'json' ? jsonArrayLines(out) : format === 'ndjson' ? ndjsonLines(out) : csvLines(QUERY_FIELDS, out as unknown as Record<string, unknown>[]);
        await writeAll(io.stdout, chunks);
      }
      return 0;
    } finally {
      store.close();
    }
  },
};
