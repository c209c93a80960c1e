// `memrec memory`: the kubelet's memory.available beside free's, the formula, the thresholds and the distance to each.
import { jsonDocument } from '../../report/format/json.js';
import { cleanText, wrapLines } from '../../report/format/text.js';
import { defineCommand, type Command } from '../command.js';
import { nodeOptions, commonOptions, type OptionSpec } from '../args.js';
import { write } from '../io.js';
import { nodeFlags } from '../node-flags.js';
import { describeFormula } from '../../model/kubelet-available.js';
import { gapMeaning, inactiveFileImplausible, memAvailableImplausible, memoryWarnings } from '../../model/memory-checks.js';
import { formatBytes } from '../../model/quantity.js';
import type { KubeletSignal, Threshold } from '../../model/types.js';
import type { ThresholdDiscovery } from '../../sources/kubelet.js';
import { readNodeMemoryAndThresholds, type NodeMemory } from '../../sources/node-memory.js';

const options = { ...commonOptions, ...nodeOptions, json: { type: 'boolean', doc: 'one JSON object (fields: README, JSON fields)' } } as const satisfies OptionSpec;

const help = `Usage: memrec memory [--json] [--host-root DIR] [--proc-root DIR] [--sys-root DIR]
                     [--memory-cgroup PATH] [--hard Q] [--soft Q]

The node's memory as the kubelet computes memory.available (the signal it evicts on), beside what
free shows (MemAvailable, MemFree); the formula used; the eviction thresholds with their source and the
distance to each; and the same signal on the kubepods cgroup (allocatable) when there is one.

Options:
  --json                 one JSON object (fields: README, JSON fields)
  --host-root DIR        read the host's /proc, /sys and kubelet files under DIR (default /; /host in a DaemonSet)
  --proc-root DIR        the host's /proc (default <host-root>/proc)
  --sys-root DIR         the host's /sys (default <host-root>/sys)
  --memory-cgroup PATH   compute the node signal on this memory cgroup (as /proc/<pid>/cgroup shows it,
                         e.g. /my-node); capacity = its limit when below MemTotal. For nested nodes (kind).
  --hard Q, --soft Q     thresholds to use instead of the kubelet's: 500Mi, 1.5Gi or 10% of capacity

Thresholds come from the running kubelet: its --eviction-hard/--eviction-soft flags, else its --config
file and --config-dir drop-ins, else the kubelet default (hard memory.available<100Mi). A kubelet inside k3s
or MicroK8s' kubelite gets the flags they give it (k3s' unit and config.yaml kubelet-arg, kubelite's args file).
With no kubelet process visible, kubeadm's, EKS', AKS', GKE's, k3s', RKE2's or MicroK8s' files stand in.
The kubelet's version (when the node says it) picks the cgroup v2 formula: below 1.29, MemTotal − MemFree.

Examples:
  memrec memory
  memrec memory --json | jq .kubelet.availableBytes
  memrec memory --host-root /host                     # in a DaemonSet with the host mounted at /host
  memrec memory --memory-cgroup /kubelet.slice --hard 500Mi
`;

function distance(available: number, t: Threshold | null): number | null {
  return t === null ? null : available - t.bytes;
}

/** Why the v2 root formula is the one used: which kubelet version said so, or that none did. */
export function formulaBasis(d: ThresholdDiscovery): string {
  const v = d.kubelet.version;
  return v === null ? 'kubelet version unknown: assumed ≥ 1.29' : `kubelet ${v.text} from ${v.source}`;
}

function formulaText(s: KubeletSignal, d: ThresholdDiscovery): string {
  return describeFormula(s.formula, s.formula.startsWith('v2-') && s.formula !== 'v2-current-minus-inactive-file' ? formulaBasis(d) : undefined);
}

export function memoryJson(nm: NodeMemory, d: ThresholdDiscovery): Record<string, unknown> {
  const { hard, soft } = d.thresholds;
  const signal = (s: KubeletSignal) => ({ ...s, formulaText: formulaText(s, d) });
  const v = d.kubelet.version;
  return {
    cgroupMode: nm.cgroupMode,
    kubeletInfo: {
      pid: d.kubeletPid,
      host: d.kubelet.host,
      distribution: d.kubelet.distribution,
      version: v?.text ?? null,
      versionSource: v?.source ?? null,
    },
    kubelet: signal(nm.kubelet),
    allocatable: nm.allocatable === null ? null : signal(nm.allocatable),
    meminfo: nm.meminfo,
    thresholds: {
      hardBytes: hard.bytes,
      hardRaw: hard.raw,
      source: hard.source,
      hardOrigin: hard.origin,
      hardDistanceBytes: distance(nm.kubelet.availableBytes, hard),
      softBytes: soft?.bytes ?? null,
      softRaw: soft?.raw ?? null,
      softSource: soft?.source ?? null,
      softOrigin: soft?.origin ?? null,
      softGracePeriod: soft?.gracePeriod ?? null,
      softDistanceBytes: distance(nm.kubelet.availableBytes, soft),
      kubeletPid: d.kubeletPid,
      warnings: d.warnings,
    },
    psi: nm.psi,
    oomKillCount: nm.oomKillCount,
    warnings: memoryWarnings(nm, d.thresholds, formatBytes),
  };
}

/** `500Mi`, or `1.25Gi (8%)` when what was written differs from the bytes shown */
function amount(t: Threshold): string {
  const b = formatBytes(t.bytes);
  return t.raw === b ? b : `${b} (${t.raw})`;
}

function distanceText(available: number, t: Threshold): string {
  const dist = available - t.bytes;
  return dist >= 0 ? `${formatBytes(dist)} above` : `BELOW by ${formatBytes(-dist)}`;
}

/** The threshold's origin says where it came from (`kubelet pid 812 --eviction-hard`, `kubelet default`). */
function thresholdNote(available: number, t: Threshold, implausible: boolean): string {
  const grace = t.gracePeriod === undefined ? '' : `, grace ${t.gracePeriod}`;
  return `${implausible ? '' : `${distanceText(available, t)} `}(${t.origin}${grace})`;
}

const pct = (n: number): string => `${Number(n.toFixed(2))}%`;

/** Three columns (what, value, note); notes wrap at `columns` under their own column, never cut. */
function rowsText(rows: Array<[string, string, string]>, columns: number | undefined): string {
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  const indent = w0 + 2 + w1 + 2;
  const out: string[] = [];
  // origins name files and flags from the kubelet's command line, cgroups come from the host: escaped like every text
  for (const [a0, a1, raw] of rows) {
    const a2 = cleanText(raw);
    const head = `${a0.padEnd(w0)}  ${a1.padStart(w1)}  `;
    const lines = wrapLines(a2, columns === undefined ? undefined : Math.max(24, columns - indent));
    out.push(`${head}${lines[0]}`.trimEnd(), ...lines.slice(1).map((l) => `${' '.repeat(indent)}${l}`));
  }
  return out.join('\n') + '\n';
}

export function memoryText(nm: NodeMemory, d: ThresholdDiscovery, columns?: number): string {
  const k = nm.kubelet;
  const kBad = inactiveFileImplausible(k);
  const rows: Array<[string, string, string]> = [];
  rows.push([
    'memory.available (kubelet)',
    kBad ? 'unknown' : formatBytes(k.availableBytes),
    kBad ? `implausible: inactive_file exceeds the cgroup (see warning)` : `capacity ${formatBytes(k.capacityBytes)} − working set ${formatBytes(k.workingSetBytes)}`,
  ]);
  rows.push(['  working set', formatBytes(k.workingSetBytes), `usage ${formatBytes(k.usageBytes)} − inactive_file ${formatBytes(k.inactiveFileBytes)}`]);
  rows.push(['  formula', '', `${formulaText(k, d)}; cgroup ${k.cgroup}, mode ${nm.cgroupMode}`]);
  const ma = nm.meminfo.memAvailableBytes;
  const maBad = memAvailableImplausible(nm.meminfo);
  rows.push([
    'MemAvailable (free)',
    maBad ? 'unknown' : formatBytes(ma),
    ma === null ? 'unknown: the kernel prints no MemAvailable' : maBad ? `implausible: ${formatBytes(ma)}, above MemTotal (see warning)` : (gapMeaning(nm, formatBytes) ?? ''),
  ]);
  rows.push(['MemFree', formatBytes(nm.meminfo.memFreeBytes), '']);
  const { hard, soft } = d.thresholds;
  rows.push(['hard threshold', amount(hard), thresholdNote(k.availableBytes, hard, kBad)]);
  rows.push(soft ? ['soft threshold', amount(soft), thresholdNote(k.availableBytes, soft, kBad)] : ['soft threshold', 'none', '']);
  const a = nm.allocatable;
  if (a) rows.push(['allocatable', inactiveFileImplausible(a) ? 'unknown' : formatBytes(a.availableBytes), `cgroup ${a.cgroup}: capacity ${formatBytes(a.capacityBytes)} − working set ${formatBytes(a.workingSetBytes)}`]);
  else rows.push(['allocatable', 'none', 'no kubepods cgroup']);
  const p = nm.psi;
  rows.push(
    p
      ? ['PSI memory some avg10', pct(p.someAvg10), `some avg60 ${pct(p.someAvg60)}, avg300 ${pct(p.someAvg300)}; full avg10 ${pct(p.fullAvg10)}, avg60 ${pct(p.fullAvg60)}, avg300 ${pct(p.fullAvg300)}`]
      : ['PSI memory some avg10', 'unknown', 'no /proc/pressure/memory (kernel before 4.20 or psi=0)'],
  );
  rows.push(['OOM kills since boot', nm.oomKillCount === null ? 'unknown' : String(nm.oomKillCount), '']);
  const warnings = memoryWarnings(nm, d.thresholds, formatBytes).map((w) => ['warning', '', w.message] as [string, string, string]);
  return rowsText([...rows, ...warnings], columns);
}

export const command: Command = defineCommand({
  name: 'memory',
  options,
  summary: "the kubelet's memory.available beside free's, thresholds and distance to each",
  help,
  async run(values, io) {
    const { roots, memoryCgroup, overrides } = nodeFlags('memory', values);
    const { node: nm, discovery: d } = readNodeMemoryAndThresholds(roots, overrides, { memoryCgroup });
    for (const w of d.warnings) await write(io.stderr, `memrec memory: warning: ${cleanText(w)}\n`);
    await write(io.stdout, values.json ? jsonDocument(memoryJson(nm, d)) : memoryText(nm, d, io.columns));
    return 0;
  },
});
