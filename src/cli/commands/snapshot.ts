// `memrec snapshot`: one collection now: the memory as `memrec memory` shows it, the top N processes, every owner.
import { jsonDocument } from '../../report/format/json.js';
import { cleanText } from '../../report/format/text.js';
import { defineCommand, type Command } from '../command.js';
import { commonOptions, intFlag, nodeOptions, refuseTogether, type OptionSpec } from '../args.js';
import { write } from '../io.js';
import { nodeFlags } from '../node-flags.js';
import { memoryJson, memoryText } from './memory.js';
import { ownerLabel } from '../../model/attribution.js';
import { formatBytes } from '../../model/quantity.js';
import type { Collected, Snapshot } from '../../model/types.js';
import { Collector } from '../../sources/collector.js';
import type { ThresholdDiscovery } from '../../sources/kubelet.js';
import { resolveDbPath } from '../../config/paths.js';
import { Store } from '../../store/store.js';
import { peakSaysMore } from '../../report/query.js';
import { isLiveNode, readHostname } from '../../sources/roots.js';
import { formatLocal, isoUtc, resolveZone } from '../../report/time.js';
import { localtimeZone } from '../report-options.js';

export const DEFAULT_TOP = 30;

const options = {
  ...commonOptions,
  ...nodeOptions,
  json: { type: 'boolean', doc: 'one JSON object (fields: README, JSON fields)' },
  top: { type: 'string', value: 'N', doc: `processes to show in full, largest RSS first (default ${DEFAULT_TOP}; 0 for owners only)` },
  db: { type: 'string', value: 'FILE', complete: 'file', doc: 'store the snapshot (kind manual) in this database (default: MEMREC_DB, else /var/lib/memrec/memrec.db as root)' },
  'no-store': { type: 'boolean', doc: 'only show it; nothing is written' },
} as const satisfies OptionSpec;

const help = `Usage: memrec snapshot [--json] [--top N] [--host-root DIR] [--proc-root DIR] [--sys-root DIR]
                       [--memory-cgroup PATH] [--hard Q] [--soft Q] [--db FILE | --no-store]

One snapshot of the node, now: memory.available as the kubelet computes it (as memrec memory shows it),
the top N processes by RSS with their owner (pod, service, user session, kernel), cgroup, cwd, exe and
command line (secrets redacted), and every process counted per owner, so nothing outside the top N is
invisible. Owners come from the cgroup only; a cwd in a pod's volume while the cgroup is outside kubepods
is flagged, not attributed. Run it as root to see every process's cwd, exe and cmdline.

Options:
  --json                 one JSON object (fields: README, JSON fields)
  --top N                processes to show in full, largest RSS first (default ${DEFAULT_TOP}; 0 for owners only)
  --host-root DIR        read the host's /proc, /sys, kubelet files and /var/log/pods under DIR (default /)
  --proc-root DIR        the host's /proc (default <host-root>/proc)
  --sys-root DIR         the host's /sys (default <host-root>/sys)
  --memory-cgroup PATH   compute the node signal on this memory cgroup (e.g. /my-node), for nested nodes
  --hard Q, --soft Q     thresholds to use instead of the kubelet's: 500Mi, 1.5Gi or 10% of capacity
  --db FILE              store the snapshot (kind manual) in this database (default: MEMREC_DB, else
                         /var/lib/memrec/memrec.db as root, else $XDG_STATE_HOME/memrec/memrec.db).
                         A snapshot of a tree of files (--host-root or --proc-root that is not this
                         running kernel's) is stored only when --db is given
  --no-store             only show it; nothing is written

Examples:
  memrec snapshot
  memrec snapshot --json --top 5 | jq '.processes[] | {pid, rssBytes, owner: .owner.kind, cmdline}'
  memrec snapshot --json | jq '.owners[:3]'
  memrec snapshot --host-root /host                   # in a DaemonSet with the host mounted at /host
`;

/**
 * The snapshot as JSON: the fields of `memrec memory --json`, then the processes and the owners. Times are
 * ISO 8601 UTC strings, as in every command's JSON (`takenAt`, each process's `startTime`).
 */
export function snapshotJson(s: Snapshot, d: ThresholdDiscovery, host: string | null = null): Record<string, unknown> {
  return {
    host,
    takenAt: isoUtc(s.takenAt),
    bootId: s.bootId,
    captureMs: s.captureMs,
    kind: s.kind,
    trigger: s.trigger,
    ...memoryJson(s, d),
    processCount: s.processCount,
    processes: s.processes.map((p) => ({ ...p, startTime: isoUtc(p.startTime) })),
    owners: s.owners.map((o) => ({ ...o, label: ownerLabel(o.owner) })),
  };
}

/** A cell cut to `w` characters, `…` marking the cut. */
function cut(c: string, w: number): string {
  return c.length <= w ? c : `${c.slice(0, Math.max(w - 1, 0))}…`;
}

/**
 * Columns padded to their widest cell; on a terminal of `width`, the `shrink` column (the owner, whose pod and
 * container names can be long) gives way first so that the last one (the command line) keeps ~24 characters,
 * then the whole line is cut. Pipes get everything whole.
 */
function table(header: string[], rawRows: string[][], rightAligned: Set<number>, width: number | undefined, shrink?: number): string {
  // command lines, owners and comms are recorded strings: escaped before they are measured and shown
  const rows = rawRows.map((r) => r.map(cleanText));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  if (width !== undefined && shrink !== undefined) {
    const others = widths.reduce((n, w, i) => (i === shrink || i === widths.length - 1 ? n : n + w + 2), 0);
    widths[shrink] = Math.max(Math.min(widths[shrink]!, width - others - 2 - 24), header[shrink]!.length, 16);
  }
  const line = (cells: string[]): string => {
    const text = cells
      .map((c, i) => (i === cells.length - 1 ? c : rightAligned.has(i) ? c.padStart(widths[i]!) : cut(c, widths[i]!).padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
    // the last column (a command line) is cut to the terminal; pipes get it whole
    return width !== undefined && text.length > width ? cut(text, width) : text;
  };
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export function snapshotText(s: Snapshot, d: ThresholdDiscovery, columns: number | undefined, where: { host: string | null; zone: string } = { host: null, zone: 'UTC' }): string {
  const parts: string[] = [`Snapshot of ${where.host === null ? 'an unknown host' : cleanText(where.host)} at ${formatLocal(s.takenAt, where.zone)} (${where.zone})\n\n`, memoryText(s, d, columns)];
  parts.push(`\nTop ${s.processes.length} of ${s.processCount} processes by RSS\n`);
  // PEAK (VmHWM since the process started) only where it says more than RSS
  const showPeak = s.processes.some((p) => peakSaysMore(p.rssBytes, p.peakRssBytes));
  const peakCell = (p: Snapshot['processes'][number]): string[] => (!showPeak ? [] : [peakSaysMore(p.rssBytes, p.peakRssBytes) ? formatBytes(p.peakRssBytes) : '']);
  parts.push(
    table(
      ['PID', 'UID', 'RSS', ...(showPeak ? ['PEAK'] : []), 'SWAP', 'CPU%', 'OWNER', 'COMMAND'],
      s.processes.map((p) => [
        String(p.pid),
        p.uid === null ? '?' : String(p.uid),
        formatBytes(p.rssBytes),
        ...peakCell(p),
        p.swapBytes === null ? '?' : formatBytes(p.swapBytes),
        p.cpuPercent === null ? '-' : p.cpuPercent.toFixed(1),
        ownerLabel(p.owner) + (p.flags?.length ? ` [${p.flags.join(', ')}]` : ''),
        p.cmdline ?? `[${p.comm}]`,
      ]),
      new Set(showPeak ? [0, 1, 2, 3, 4, 5] : [0, 1, 2, 3, 4]),
      columns,
      5,
    ),
  );
  parts.push(`\nOwners (all ${s.processCount} processes)\n`);
  parts.push(
    table(
      ['RSS', 'PROCS', 'OWNER'],
      s.owners.map((o) => [formatBytes(o.rssBytes), String(o.processCount), ownerLabel(o.owner)]),
      new Set([0, 1]),
      columns,
    ),
  );
  return parts.join('');
}

/** Collect once, as a manual snapshot. */
export function takeSnapshot(collector: Collector, now: number): Snapshot {
  const c: Collected = collector.collect(now);
  return { ...c, kind: 'manual', trigger: 'memrec snapshot' };
}

export const command: Command = defineCommand({
  name: 'snapshot',
  options,
  summary: 'one snapshot now: memory, the top processes with owner and cmdline, every owner',
  help,
  async run(values, io) {
    refuseTogether('snapshot', values, [['db', 'no-store', '--no-store writes nothing']]);
    const top = intFlag('snapshot', 'top', values.top, DEFAULT_TOP, 0, 100_000);
    const { roots, memoryCgroup, overrides } = nodeFlags('snapshot', values);
    // A tree of files (a fixture, a copy of another node) is not evidence about this node: it goes into a
    // database only when one is named. This node, as / or a DaemonSet's /host shows it, is stored by default.
    const keep = !values['no-store'] && (values.db !== undefined || isLiveNode(roots));
    // The database is opened (and checked) first: a --db that is not a memrec database is refused before
    // anything is collected, and left as it was.
    const store = keep ? Store.open(resolveDbPath(values.db, io.env, process.getuid?.() ?? 0)) : null;
    let stored = 0;
    try {
      const collector = new Collector({ roots, top, memoryCgroup, overrides });
      const snapshot = takeSnapshot(collector, io.now());
      if (store !== null) {
        // Stored beside the recorder's snapshots; a database that cannot take it (a full disk) does not hide the snapshot.
        try {
          store.writeSnapshot(snapshot);
        } catch (err) {
          await write(io.stderr, `memrec snapshot: not stored in ${cleanText(store.file)}: ${cleanText(err instanceof Error ? err.message : String(err))}\n`);
          stored = 1;
        }
      } else if (!values['no-store']) {
        await write(io.stderr, `memrec snapshot: not stored: ${cleanText(roots.procRoot)} is not this running kernel's /proc (a tree of files?); pass --db FILE to store it\n`);
      }
      for (const w of collector.warnings) await write(io.stderr, `memrec snapshot: warning: ${cleanText(w)}\n`);
      const d = collector.thresholdDiscovery!;
      const host = readHostname(roots);
      const zone = resolveZone('snapshot', undefined, io.env, () => localtimeZone());
      await write(io.stdout, values.json ? jsonDocument(snapshotJson(snapshot, d, host)) : snapshotText(snapshot, d, io.columns, { host, zone }));
    } finally {
      store?.close();
    }
    return stored;
  },
});
