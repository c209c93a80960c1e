import { formatBytes } from '../../model/quantity.js';
import { culprits, unseenPeakWording, type CulpritOwner, type CulpritProcess, type Culprits } from '../../report/culprits.js';
import { csvLines } from '../../report/format/csv.js';
import { jsonDocument } from '../../report/format/json.js';
import { ndjsonLines } from '../../report/format/ndjson.js';
import { FORMATS, writeAll } from '../../report/format/output.js';
import { renderTable, type TableColumn } from '../../report/format/table.js';
import { cleanText } from '../../report/format/text.js';
import { killList } from '../../report/kills.js';
import { formatLocal } from '../../report/time.js';
import { commonOptions, intFlag, parse } from '../args.js';
import type { Command } from '../command.js';
import type { Io } from '../io.js';
import { RANGE_HELP, formatFlag, openReadonly, rangeOf, rangeOptions, withBoot, useColor } from '../report-options.js';

const options = { ...commonOptions, ...rangeOptions, top: { type: 'string' }, format: { type: 'string' } } as const;

export const CULPRIT_FIELDS: readonly (keyof CulpritProcess)[] = [
  'rank', 'pid', 'startTime', 'comm', 'exe', 'cmdline', 'peakRssBytes', 'peakAt', 'firstSeen', 'lastSeen', 'firstRssBytes', 'lastRssBytes',
  'growthBytes', 'samples', 'owner', 'ownerKind', 'ownerKey', 'cgroup', 'cgroups', 'insidePods', 'cwds', 'cwdCount', 'cwdPods', 'explanation',
];

/** The text report: processes, owners, the moment memory.available was lowest; explanations on their own lines. */
export function culpritsText(c: Culprits, zone: string, io: Io, top = c.processes.length): string[] {
  const at = (iso: string): string => formatLocal(Date.parse(iso), zone);
  const opts = { columns: io.columns, color: useColor(io) };
  const width = io.columns ?? Number.POSITIVE_INFINITY;
  // The explanation is the point of the report: wrapped, never cut.
  const wrap = (s: string, indent: string): string[] => {
    const lines: string[] = [];
    let cur = indent;
    for (const word of cleanText(s).split(' ')) {
      if (cur.length > indent.length && cur.length + 1 + word.length > width) {
        lines.push(cur + '\n');
        cur = indent + word;
      } else cur += (cur.length > indent.length ? ' ' : '') + word;
    }
    lines.push(cur + '\n');
    return lines;
  };
  const out: string[] = [`Culprits ${at(c.since)} → ${at(c.until)} (${zone}), ${c.snapshots} snapshots\n\n`];
  if (c.processes.length === 0) out.push('no process samples in this range\n');
  const procCols: TableColumn<CulpritProcess>[] = [
    { header: '#', cell: (p) => String(p.rank), align: 'right' },
    { header: 'PID', cell: (p) => String(p.pid), align: 'right' },
    { header: 'COMM', cell: (p) => p.comm, minWidth: 8, shrinkOrder: 1 },
    { header: 'PEAK RSS', cell: (p) => formatBytes(p.peakRssBytes), align: 'right' },
    { header: 'PEAK AT', cell: (p) => at(p.peakAt) },
    { header: 'GROWTH', cell: (p) => formatBytes(p.growthBytes), align: 'right' },
    { header: 'IN PODS', cell: (p) => (p.insidePods ? 'yes' : 'no') },
    { header: 'OWNER', cell: (p) => p.owner, minWidth: 12, shrinkOrder: 2 },
    { header: 'CWDS', cell: (p) => (p.cwdCount === 0 ? '-' : p.cwdCount === 1 ? p.cwds[0]! : `${p.cwdCount}: ${p.cwds[0]} …`), minWidth: 8, shrinkOrder: 3 },
  ];
  if (c.processes.length > 0) {
    const lines = renderTable(procCols, c.processes, opts);
    out.push(lines[0]!);
    c.processes.forEach((p, i) => {
      out.push(lines[i + 1]!);
      out.push(...wrap(p.explanation, '    '));
    });
  }
  const ownerCols: TableColumn<CulpritOwner>[] = [
    { header: '#', cell: (o) => String(o.rank), align: 'right' },
    { header: 'OWNER', cell: (o) => o.owner, minWidth: 12, shrinkOrder: 1 },
    { header: 'KIND', cell: (o) => o.ownerKind },
    { header: 'PEAK RSS', cell: (o) => formatBytes(o.peakRssBytes), align: 'right' },
    { header: 'PEAK AT', cell: (o) => at(o.peakAt) },
    { header: 'PROCS', cell: (o) => String(o.processCountAtPeak), align: 'right' },
  ];
  if (c.owners.length > 0) out.push('\nOwners (every process counted)\n', ...renderTable(ownerCols, c.owners, opts));
  if (c.unseenPeaks.length > 0) {
    out.push("\nPeaks between snapshots (the owner cgroups' own high-water marks rose above what any snapshot saw)\n");
    for (const u of c.unseenPeaks) out.push(...wrap(`${u.owner}: ${unseenPeakWording(u, at)}${u.cgroup === null ? '' : `; cgroup ${u.cgroup}`}`, '  '));
  }
  const low = c.atLowest;
  if (low !== null) {
    out.push(
      `\nWhen memory.available was lowest: ${formatBytes(low.kubeletAvailableBytes)} at ${at(low.takenAt)} (${low.snapshotKind} snapshot; ` +
        `hard threshold ${formatBytes(low.hardThresholdBytes)}${low.softThresholdBytes === null ? '' : `, soft ${formatBytes(low.softThresholdBytes)}`}` +
        `${low.memAvailableBytes === null ? '' : `; free's MemAvailable ${formatBytes(low.memAvailableBytes)}`})\n`,
    );
    out.push(
      ...renderTable(
        [
          { header: 'PID', cell: (p) => String(p.pid), align: 'right' },
          { header: 'COMM', cell: (p) => p.comm, minWidth: 8, shrinkOrder: 1 },
          { header: 'RSS', cell: (p) => formatBytes(p.rssBytes), align: 'right' },
          { header: 'OWNER', cell: (p) => p.owner, minWidth: 12, shrinkOrder: 2 },
          { header: 'CWD', cell: (p) => p.cwd ?? '-', minWidth: 8, shrinkOrder: 3 },
        ] satisfies TableColumn<(typeof low.processes)[number]>[],
        low.processes,
        opts,
      ),
    );
  }
  if (c.oomKills.length > 0) out.push('\nOOM kills in this range\n', ...killList(c.oomKills, zone, width, top));
  return out;
}

export const command: Command = {
  name: 'culprits',
  summary: 'who ate the memory: processes and owners ranked by peak RSS, with why each belongs where',
  help: `Usage: memrec culprits (--since T [--until T] | --boot N) [--top N] [--format table|json|ndjson|csv]

One row per process (pid and start time) ranked by peak RSS: peak and when, growth, first and last
seen, owner, whether it ran inside kubepods, the cwds seen, and a one-line explanation of its
attribution. Attribution is by cgroup, never by cwd. Then the owners ranked by peak total RSS (every
process counted), then the largest processes at the moment memory.available was lowest, then the
OOM kills of the range: whom the kernel killed beside the largest task.

Options:
${RANGE_HELP}
  --top N             how many processes, owners and OOM kills (default 10)
  --format F          table (default), json ({processes, owners, atLowest, oomKills}), ndjson (one process a line)
                      or csv (the processes)

Examples:
  memrec culprits --since 02:00 --until 06:00
  memrec culprits --since yesterday --format json | jq '.processes[0].explanation'
`,
  async run(argv: string[], io: Io): Promise<number> {
    const { values: v } = parse('culprits', argv, options);
    const format = formatFlag('culprits', v.format, FORMATS, 'table');
    const top = intFlag('culprits', 'top', v.top, 10, 1, 10_000);
    const ctx = rangeOf('culprits', v, io);
    const store = await openReadonly('culprits', v.db, io);
    try {
      const { range, zone } = withBoot('culprits', ctx, store);
      const c = culprits(store, range, top);
      if (format === 'table') await writeAll(io.stdout, culpritsText(c, zone, io, top));
      else if (format === 'json') await writeAll(io.stdout, [jsonDocument(c)]);
      else if (format === 'ndjson') await writeAll(io.stdout, ndjsonLines(c.processes));
      else await writeAll(io.stdout, csvLines(CULPRIT_FIELDS, c.processes as unknown as Record<string, unknown>[]));
      return 0;
    } finally {
      store.close();
    }
  },
};
