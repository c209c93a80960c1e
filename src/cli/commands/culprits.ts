import { formatBytes } from '../../model/quantity.js';
import { CULPRIT_SORTS, culprits, culpritsJson, SORT_TEXT, unseenPeakWording, type CulpritOwner, type CulpritProcess, type Culprits, type CulpritSort } from '../../report/culprits.js';
import { csvLines } from '../../report/format/csv.js';
import { jsonDocument } from '../../report/format/json.js';
import { ndjsonLines } from '../../report/format/ndjson.js';
import { FORMATS, writeAll } from '../../report/format/output.js';
import { cutOwner, ownerText } from '../../report/format/owner-text.js';
import { renderTable, type TableColumn } from '../../report/format/table.js';
import { cleanText, wrapLines } from '../../report/format/text.js';
import { killList } from '../../report/kills.js';
import { formatLocal, tableTime } from '../../report/time.js';
import { choiceFlag, commonOptions, intFlag, type OptionSpec } from '../args.js';
import { defineCommand, type Command } from '../command.js';
import type { Io } from '../io.js';
import { RANGE_HELP, SELECTION_HELP, formatFlag, openReadonly, rangeOf, rangeOptions, selectionOf, selectionOptions, withBoot, useColor } from '../report-options.js';

const options = {
  ...commonOptions,
  ...rangeOptions,
  ...selectionOptions,
  top: { type: 'string', value: 'N', doc: 'how many processes, owners and OOM kills (default 10)' },
  sort: { type: 'string', value: 'KEY', choices: CULPRIT_SORTS, doc: 'rank by contribution (default), peak, growth or at-lowest' },
  all: { type: 'boolean', doc: "keep processes and owners outside the recording's node cgroup" },
  format: { type: 'string', value: 'F', choices: FORMATS, doc: 'table (default), json, ndjson (one process a line) or csv (the processes)' },
} as const satisfies OptionSpec;

export const CULPRIT_FIELDS: readonly (keyof CulpritProcess)[] = [
  'rank', 'pid', 'startTime', 'comm', 'exe', 'cmdline', 'contributionBytes', 'rssAtStartBytes', 'rssAtLowestBytes', 'peakRssBytes', 'peakAt',
  'firstSeen', 'lastSeen', 'firstRssBytes', 'lastRssBytes', 'growthBytes', 'samples', 'owner', 'ownerKind', 'ownerKey', 'ownerCgroup', 'container',
  'containerType', 'cgroup', 'cgroups', 'insidePods', 'cwds', 'cwdCount', 'cwdPods', 'explanation',
];

/** Lines of text wrapped at `width` after `indent` (see wrapLines), escaped, each ending in a newline. */
export function wrapText(s: string, indent: string, width: number): string[] {
  return wrapLines(cleanText(s), width - indent.length).map((l) => `${indent}${l}\n`);
}

const bytes = (n: number | null): string => (n === null ? '-' : formatBytes(n));

/** The text report: processes, owners, the moment memory.available was lowest; explanations on their own lines. */
export function culpritsText(c: Culprits, zone: string, io: Io, top = c.processes.length): string[] {
  const range = { since: Date.parse(c.since), until: Date.parse(c.until) };
  const times = tableTime(range, zone);
  const at = (iso: string): string => times.format(Date.parse(iso));
  const opts = { columns: io.columns, color: useColor(io) };
  const width = io.columns ?? Number.POSITIVE_INFINITY;
  // The header and the explanations are the point of the report: wrapped, never cut.
  const para = (s: string): string[] => wrapText(s, '', width).map((l, i) => (i === 0 ? l : `  ${l}`));
  const nodes = c.scope.nodeCgroups;
  const out: string[] = [];
  out.push(...para(`Culprits ${times.sameDay ? `${formatLocal(range.since, zone)} → ${at(c.until)}` : `${at(c.since)} → ${at(c.until)}`} (${zone}), ${c.snapshots} snapshots`));
  const low = c.atLowest;
  if (low !== null) {
    out.push(
      ...para(
        `memory.available was lowest at ${at(low.takenAt)}: ${formatBytes(low.kubeletAvailableBytes)} (${low.snapshotKind} snapshot; hard threshold ${formatBytes(low.hardThresholdBytes)}` +
          `${low.softThresholdBytes === null ? '' : `, soft ${formatBytes(low.softThresholdBytes)}`}${low.memAvailableBytes === null ? '' : `; free's MemAvailable ${formatBytes(low.memAvailableBytes)}`})`,
      ),
    );
  }
  out.push(...para(`Ranked by ${SORT_TEXT[c.sort]}.`));
  if (!nodes.includes('/') && nodes.length > 0) {
    const left = [c.scope.processesLeftOut > 0 ? plural(c.scope.processesLeftOut, 'process', 'processes') : '', c.scope.ownersLeftOut > 0 ? plural(c.scope.ownersLeftOut, 'owner') : ''].filter(Boolean);
    out.push(
      ...para(
        c.scope.all
          ? `Node cgroup ${nodes.join(', ')}; --all: processes and owners outside it are included.`
          : `Node cgroup ${nodes.join(', ')}: ${left.length === 0 ? 'nothing outside it was seen' : `${left.join(' and ')} outside it left out (--all keeps them)`}.`,
      ),
    );
  }
  out.push('\n');
  if (c.processes.length === 0) out.push('no process samples in this range that match\n');
  // the sort key is never dropped; the others give way in this order on a narrow terminal
  const keep = (key: CulpritSort, drop: number): number | undefined => (c.sort === key ? undefined : drop);
  const procCols: TableColumn<CulpritProcess>[] = [
    { header: '#', cell: (p) => String(p.rank), align: 'right' },
    { header: 'PID', cell: (p) => String(p.pid), align: 'right' },
    { header: 'COMM', cell: (p) => p.comm, minWidth: 8, shrinkOrder: 1 },
    { header: 'CONTRIB', cell: (p) => formatBytes(p.contributionBytes), align: 'right', ...opt(keep('contribution', 3)) },
    { header: 'AT LOWEST', cell: (p) => bytes(p.rssAtLowestBytes), align: 'right', ...opt(keep('at-lowest', 4)) },
    { header: 'PEAK', cell: (p) => formatBytes(p.peakRssBytes), align: 'right', ...opt(keep('peak', 2)) },
    { header: 'PEAK AT', cell: (p) => at(p.peakAt), dropOrder: 5 },
    { header: 'GROWTH', cell: (p) => formatBytes(p.growthBytes), align: 'right', ...opt(keep('growth', 6)) },
    { header: 'OWNER', cell: (p) => ownerText(p.owner, p.ownerKind, p.ownerCgroup, p.cgroup, nodes), minWidth: 36, shrinkOrder: 2, cut: cutOwner },
    { header: 'CWDS', cell: (p) => (p.cwdCount === 0 ? '-' : p.cwdCount === 1 ? p.cwds[0]! : `${p.cwdCount}: ${p.cwds[0]} …`), minWidth: 8, shrinkOrder: 3, dropOrder: 7, cut: 'middle' },
  ];
  if (c.processes.length > 0) {
    const lines = renderTable(procCols, c.processes, opts);
    out.push(lines[0]!);
    c.processes.forEach((p, i) => {
      out.push(lines[i + 1]!);
      out.push(...wrapText(p.explanation, '    ', width));
    });
  }
  const ownerCols: TableColumn<CulpritOwner>[] = [
    { header: '#', cell: (o) => String(o.rank), align: 'right' },
    { header: 'OWNER', cell: (o) => ownerText(o.owner, o.ownerKind, o.ownerCgroup, null, nodes), minWidth: 36, shrinkOrder: 1, cut: cutOwner },
    { header: 'CONTRIB', cell: (o) => formatBytes(o.contributionBytes), align: 'right', ...opt(keep('contribution', 3)) },
    { header: 'AT LOWEST', cell: (o) => bytes(o.rssAtLowestBytes), align: 'right', ...opt(keep('at-lowest', 4)) },
    { header: 'PEAK', cell: (o) => formatBytes(o.peakRssBytes), align: 'right', ...opt(keep('peak', 2)) },
    { header: 'PEAK AT', cell: (o) => at(o.peakAt), dropOrder: 5 },
    { header: 'GROWTH', cell: (o) => formatBytes(o.growthBytes), align: 'right', ...opt(keep('growth', 6)) },
    { header: 'PROCS', cell: (o) => String(o.processCountAtPeak), align: 'right', dropOrder: 7 },
  ];
  if (c.owners.length > 0) out.push(`\nOwners (every process counted), ranked the same way\n`, ...renderTable(ownerCols, c.owners, opts));
  if (c.unseenPeaks.length > 0) {
    out.push('\n', ...para("Peaks between snapshots (the owner cgroups' own high-water marks rose above what any snapshot saw)"));
    for (const u of c.unseenPeaks) out.push(...wrapText(`${u.owner}: ${unseenPeakWording(u, at)}${u.cgroup === null ? '' : `; cgroup ${u.cgroup}`}`, '  ', width));
  }
  if (low !== null && low.processes.length > 0) {
    out.push(`\nLargest processes when memory.available was lowest (${at(low.takenAt)})\n`);
    out.push(
      ...renderTable(
        [
          { header: 'PID', cell: (p) => String(p.pid), align: 'right' },
          { header: 'COMM', cell: (p) => p.comm, minWidth: 8, shrinkOrder: 1 },
          { header: 'RSS', cell: (p) => formatBytes(p.rssBytes), align: 'right' },
          { header: 'OWNER', cell: (p) => ownerText(p.owner, p.ownerKind, null, p.cgroup, nodes), minWidth: 36, shrinkOrder: 2, cut: cutOwner },
          { header: 'CWD', cell: (p) => p.cwd ?? '-', minWidth: 8, shrinkOrder: 3, dropOrder: 1, cut: 'middle' },
        ] satisfies TableColumn<(typeof low.processes)[number]>[],
        low.processes,
        opts,
      ),
    );
  }
  if (c.oomKills.length > 0) out.push('\nOOM kills in this range\n', ...killList(c.oomKills, zone, width, top));
  return out;
}

const opt = (drop: number | undefined): { dropOrder?: number } => (drop === undefined ? {} : { dropOrder: drop });
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

export const command: Command = defineCommand({
  name: 'culprits',
  options,
  summary: 'who ate the memory: processes and owners ranked by what they added while memory.available fell',
  help: `Usage: memrec culprits (--since T [--until T] | --boot N) [--top N] [--sort KEY] [--all] [filters]
                        [--format table|json|ndjson|csv]

Who ate the memory is who grew while memory.available fell. One row per process (pid and start time)
ranked by its contribution to the fall: its RSS when the kubelet's memory.available was lowest in the
range, minus its RSS at the start of the range (0 for a process started since; a process that ended
before the lowest point counts by its peak). Beside it: RSS at the lowest point, peak and when, growth,
owner, the cwds seen, and a one-line explanation of its attribution, which is by cgroup, never by cwd.
Then the owners ranked the same way over every process (so an owner of many small processes surfaces),
then the largest processes at the lowest point, then the OOM kills of the range: whom the kernel killed
beside the largest task. A recording made with --memory-cgroup /X is about the node in X: processes and
owners outside X are left out, and counted.

Options:
${RANGE_HELP}
  --top N             how many processes, owners and OOM kills (default 10)
  --sort KEY          contribution (default), peak, growth or at-lowest
  --all               keep processes and owners outside the recording's node cgroup
${SELECTION_HELP}
  --format F          table (default), json ({sort, scope, processes, owners, atLowest, oomKills}),
                      ndjson (one process a line) or csv (the processes)

Examples:
  memrec culprits --since 02:00 --until 06:00
  memrec culprits --since yesterday --outside-pods --sort peak
  memrec culprits --since yesterday --format json | jq '.processes[0].explanation'
`,
  async run(v, io) {
    const format = formatFlag('culprits', v.format, options.format.choices, 'table');
    const top = intFlag('culprits', 'top', v.top, 10, 1, 10_000);
    const sort: CulpritSort = choiceFlag('culprits', 'sort', v.sort, options.sort.choices, 'contribution');
    const selection = selectionOf('culprits', v);
    const ctx = rangeOf('culprits', v, io);
    const store = await openReadonly('culprits', v.db, io);
    try {
      const { range, zone } = withBoot('culprits', ctx, store);
      const c = culprits(store, range, { top, sort, selection, all: v.all ?? false });
      if (format === 'table') await writeAll(io.stdout, culpritsText(c, zone, io, top));
      else if (format === 'json') await writeAll(io.stdout, [jsonDocument(culpritsJson(c))]);
      else if (format === 'ndjson') await writeAll(io.stdout, ndjsonLines(c.processes));
      else await writeAll(io.stdout, csvLines(CULPRIT_FIELDS, c.processes as unknown as Record<string, unknown>[]));
      return 0;
    } finally {
      store.close();
    }
  },
});
