// `memrec memory`: the kubelet's memory.available beside free's, the formula, the thresholds and the distance to each.
import { jsonDocument } from '../../report/format/json.js';
import { cleanText } from '../../report/format/text.js';
import type { Command } from '../command.js';
import { nodeOptions, parse, commonOptions } from '../args.js';
import { write, type Io } from '../io.js';
import { nodeFlags } from '../node-flags.js';
import { describeFormula } from '../../model/kubelet-available.js';
import { formatBytes } from '../../model/quantity.js';
import type { KubeletSignal, Threshold } from '../../model/types.js';
import type { ThresholdDiscovery } from '../../sources/kubelet.js';
import { readNodeMemoryAndThresholds, type NodeMemory } from '../../sources/node-memory.js';

const options = { ...commonOptions, ...nodeOptions, json: { type: 'boolean' } } as const;

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

export function memoryText(nm: NodeMemory, d: ThresholdDiscovery): string {
  const k = nm.kubelet;
  const rows: Array<[string, string, string]> = [];
  rows.push(['memory.available (kubelet)', formatBytes(k.availableBytes), `capacity ${formatBytes(k.capacityBytes)} − working set ${formatBytes(k.workingSetBytes)}`]);
  rows.push(['  working set', formatBytes(k.workingSetBytes), `usage ${formatBytes(k.usageBytes)} − inactive_file ${formatBytes(k.inactiveFileBytes)}`]);
  rows.push(['  formula', '', `${formulaText(k, d)}; cgroup ${k.cgroup}, mode ${nm.cgroupMode}`]);
  const ma = nm.meminfo.memAvailableBytes;
  const gap = ma === null ? 0 : k.availableBytes - ma;
  rows.push(['MemAvailable (free)', formatBytes(ma), ma === null ? 'unknown: the kernel prints no MemAvailable' : `the kubelet sees ${formatBytes(Math.abs(gap))} ${gap >= 0 ? 'more' : 'less'}`]);
  rows.push(['MemFree', formatBytes(nm.meminfo.memFreeBytes), '']);
  const { hard, soft } = d.thresholds;
  rows.push(['hard threshold', amount(hard), `${distanceText(k.availableBytes, hard)}; ${hard.source}: ${hard.origin}`]);
  if (soft) {
    const grace = soft.gracePeriod === undefined ? '' : `, grace ${soft.gracePeriod}`;
    rows.push(['soft threshold', amount(soft), `${distanceText(k.availableBytes, soft)}; ${soft.source}: ${soft.origin}${grace}`]);
  } else {
    rows.push(['soft threshold', 'none', '']);
  }
  const a = nm.allocatable;
  // a nested node's kubepods path is long: then it goes to the detail column, not the label
  const shortPath = a !== null && a.cgroup.length <= 24;
  if (a) rows.push([shortPath ? `allocatable (${a.cgroup})` : 'allocatable (kubepods)', formatBytes(a.availableBytes), `capacity ${formatBytes(a.capacityBytes)} − working set ${formatBytes(a.workingSetBytes)}${shortPath ? '' : `; cgroup ${a.cgroup}`}`]);
  else rows.push(['allocatable', 'none', 'no kubepods cgroup']);
  const p = nm.psi;
  rows.push(['memory pressure (PSI)', p ? `${p.someAvg10.toFixed(2)}%` : 'unknown', p ? `some avg10/60/300 ${p.someAvg10}/${p.someAvg60}/${p.someAvg300}%, full ${p.fullAvg10}/${p.fullAvg60}/${p.fullAvg300}%` : 'no /proc/pressure/memory (kernel before 4.20 or psi=0)']);
  rows.push(['OOM kills since boot', nm.oomKillCount === null ? 'unknown' : String(nm.oomKillCount), '']);
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  // origins name files and flags from the kubelet's command line, cgroups come from the host: escaped like every text
  return rows.map(([a0, a1, a2]) => cleanText(`${a0.padEnd(w0)}  ${a1.padStart(w1)}  ${a2}`.trimEnd())).join('\n') + '\n';
}

export const command: Command = {
  name: 'memory',
  summary: "the kubelet's memory.available beside free's, thresholds and distance to each",
  help,
  async run(argv: string[], io: Io): Promise<number> {
    const { values } = parse('memory', argv, options);
    const { roots, memoryCgroup, overrides } = nodeFlags('memory', values);
    const { node: nm, discovery: d } = readNodeMemoryAndThresholds(roots, overrides, { memoryCgroup });
    for (const w of d.warnings) await write(io.stderr, `memrec memory: warning: ${cleanText(w)}\n`);
    await write(io.stdout, values.json ? jsonDocument(memoryJson(nm, d)) : memoryText(nm, d));
    return 0;
  },
};
