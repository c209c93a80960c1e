// A snapshot as Prometheus text exposition format, for node_exporter's textfile collector.
// Pure: the caller passes the snapshot and the recorder's state, and writes the text where it wants.
import { cleanText } from '../model/text.js';
import type { KubeletSignal, OwnerAggregate, Snapshot, Threshold } from '../model/types.js';

export interface MetricsState {
  /** the recorder is taking burst snapshots */
  burst: boolean;
  /** how many owners get a memrec_owner_* series, largest RSS first; default 10 (bounded cardinality) */
  topOwners?: number;
}

type Labels = Record<string, string>;

interface Family {
  name: string;
  type: 'gauge' | 'counter';
  help: string;
  samples: Array<{ labels: Labels; value: number }>;
}

/**
 * Label values escape backslash, double quote and newline (exposition format 0.0.4); other control and
 * bidi characters of recorded names are shown as escapes (cleanText), so `cat memrec.prom` is safe too.
 */
export function escapeLabelValue(v: string): string {
  return v.split('\n').map(cleanText).join('\n').replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

function renderFamily(f: Family): string {
  if (f.samples.length === 0) return '';
  const lines = [`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`];
  for (const s of f.samples) {
    const entries = Object.entries(s.labels);
    const labels = entries.length ? `{${entries.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}` : '';
    lines.push(`${f.name}${labels} ${formatValue(s.value)}`);
  }
  return lines.join('\n') + '\n';
}

/** Labels naming an owner; together with kind they are unique per OwnerAggregate.key. */
export function ownerLabels(o: OwnerAggregate): Labels {
  const owner = o.owner;
  switch (owner.kind) {
    case 'pod':
      return { kind: 'pod', owner: owner.podUid, namespace: owner.namespace ?? '', pod: owner.podName ?? '' };
    case 'service':
    case 'user':
      // the same unit name can run in two cgroups (a nested node's and the host's): the cgroup tells them apart
      return owner.cgroup === null ? { kind: owner.kind, owner: owner.unit } : { kind: owner.kind, owner: owner.unit, cgroup: owner.cgroup };
    case 'kernel':
      return { kind: 'kernel', owner: 'kernel' };
    case 'other':
      return { kind: 'other', owner: owner.cgroup ?? 'unknown' };
  }
}

function signalSamples(signals: Array<[string, KubeletSignal | null]>, pick: (s: KubeletSignal) => number) {
  return signals.flatMap(([signal, s]) => (s === null ? [] : [{ labels: { signal, cgroup: s.cgroup, formula: s.formula }, value: pick(s) }]));
}

function thresholdSample(type: 'hard' | 'soft', t: Threshold | null) {
  return t === null ? [] : [{ labels: { type, source: t.source, value: t.raw }, value: t.bytes }];
}

export function renderMetrics(snapshot: Snapshot, state: MetricsState): string {
  const signals: Array<[string, KubeletSignal | null]> = [
    ['node', snapshot.kubelet],
    ['allocatable', snapshot.allocatable],
  ];
  const m = snapshot.meminfo;
  const owners = snapshot.owners.slice(0, state.topOwners ?? 10);
  const families: Family[] = [
    {
      name: 'memrec_kubelet_memory_available_bytes',
      type: 'gauge',
      help: "memory.available as the kubelet's eviction manager computes it: capacity - (usage - inactive_file). May be negative.",
      samples: signalSamples(signals, (s) => s.availableBytes),
    },
    {
      name: 'memrec_kubelet_memory_working_set_bytes',
      type: 'gauge',
      help: 'The working set behind memory.available: usage - inactive_file of the cgroup.',
      samples: signalSamples(signals, (s) => s.workingSetBytes),
    },
    {
      name: 'memrec_kubelet_memory_capacity_bytes',
      type: 'gauge',
      help: 'Capacity memory.available is computed against: MemTotal for the node, the kubepods limit for allocatable.',
      samples: signalSamples(signals, (s) => s.capacityBytes),
    },
    {
      name: 'memrec_meminfo_memavailable_bytes',
      type: 'gauge',
      help: "MemAvailable of /proc/meminfo (what free shows as available), beside the kubelet's view.",
      samples: m.memAvailableBytes === null ? [] : [{ labels: {}, value: m.memAvailableBytes }],
    },
    {
      name: 'memrec_meminfo_memtotal_bytes',
      type: 'gauge',
      help: 'MemTotal of /proc/meminfo.',
      samples: [{ labels: {}, value: m.memTotalBytes }],
    },
    {
      name: 'memrec_threshold_bytes',
      type: 'gauge',
      help: 'Eviction threshold for memory.available, resolved to bytes; source says where it was found.',
      samples: [...thresholdSample('hard', snapshot.thresholds.hard), ...thresholdSample('soft', snapshot.thresholds.soft)],
    },
    {
      name: 'memrec_burst_active',
      type: 'gauge',
      help: '1 while the recorder takes fast burst snapshots (memory.available near the threshold, PSI or an OOM kill), else 0.',
      samples: [{ labels: {}, value: state.burst ? 1 : 0 }],
    },
    {
      name: 'memrec_snapshot_timestamp_seconds',
      type: 'gauge',
      help: 'When the snapshot these values come from was taken, Unix time.',
      samples: [{ labels: { kind: snapshot.kind }, value: snapshot.takenAt / 1000 }],
    },
    {
      name: 'memrec_snapshot_duration_seconds',
      type: 'gauge',
      help: 'How long collecting the snapshot took.',
      samples: [{ labels: {}, value: snapshot.captureMs / 1000 }],
    },
    {
      name: 'memrec_processes',
      type: 'gauge',
      help: 'Processes seen in the snapshot.',
      samples: [{ labels: {}, value: snapshot.processCount }],
    },
    {
      name: 'memrec_owner_rss_bytes',
      type: 'gauge',
      help: 'Resident memory of every process of an owner (pod, service, user session, kernel, other cgroup), top owners only.',
      samples: owners.map((o) => ({ labels: ownerLabels(o), value: o.rssBytes })),
    },
    {
      name: 'memrec_owner_processes',
      type: 'gauge',
      help: 'Processes per owner, top owners only.',
      samples: owners.map((o) => ({ labels: ownerLabels(o), value: o.processCount })),
    },
    {
      name: 'memrec_oom_kills_total',
      type: 'counter',
      help: 'Kernel OOM kills since boot (oom_kill of /proc/vmstat).',
      samples: snapshot.oomKillCount === null ? [] : [{ labels: {}, value: snapshot.oomKillCount }],
    },
  ];
  return families.map(renderFamily).join('');
}
