// Which processes and owners a report is about: the filters `query` and `culprits` share (--comm, --pid,
// --pod, --owner, --outside-pods, --unit), and the node's scope (a recording made with --memory-cgroup /X
// is about the node inside X, not about the rest of the machine).
import type { Owner, OwnerKind } from '../model/types.js';
import type { ProcessAttributes } from './source.js';

export interface ProcessSelection {
  /** comm (process name) matches */
  comm?: RegExp;
  pid?: number;
  /** pod name, namespace/name or UID */
  pod?: string;
  ownerKinds?: OwnerKind[];
  /** only owners outside kubepods */
  outsidePods?: boolean;
  /** systemd unit name (`cron.service`; `cron` means `cron.service`) */
  unit?: string;
}

export const OWNER_KINDS: readonly OwnerKind[] = ['pod', 'service', 'user', 'kernel', 'other'];

/** 36-character dashed or 32-hex (static pod) UIDs; anything else is a pod name. */
export function looksLikePodUid(s: string): boolean {
  return /^[0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12}$/i.test(s) || /^[0-9a-f]{32}$/i.test(s);
}

/** The canonical UID of a UID as typed (systemd slices spell the dashes as underscores). */
export function podUidOf(s: string): string {
  return s.toLowerCase().replace(/_/g, '-');
}

/** Is `o` the pod named `pod` (name, namespace/name or UID)? */
export function isPod(o: Owner, pod: string): boolean {
  if (o.kind !== 'pod') return false;
  if (o.podUid.toLowerCase() === podUidOf(pod)) return true;
  return o.podName === pod || (o.namespace !== null && `${o.namespace}/${o.podName}` === pod);
}

/** `cron` → `cron.service`, as systemctl reads a unit name without a suffix. */
export function unitName(u: string): string {
  return /\.[a-z]+$/.test(u) ? u : `${u}.service`;
}

const ownerUnit = (o: Owner): string | null => (o.kind === 'service' || o.kind === 'user' ? o.unit : null);

/** The owner-level filters: pod, owner kinds, outside pods and (for owners) the unit. */
function ownerPasses(o: Owner, s: ProcessSelection): boolean {
  if (s.ownerKinds !== undefined && !s.ownerKinds.includes(o.kind)) return false;
  if (s.outsidePods === true && o.kind === 'pod') return false;
  if (s.pod !== undefined && !isPod(o, s.pod)) return false;
  return true;
}

/** Does an owner (as a whole: every process counted) pass the filters that can judge an owner? */
export function ownerSelected(o: Owner, s: ProcessSelection): boolean {
  return ownerPasses(o, s) && (s.unit === undefined || ownerUnit(o) === unitName(s.unit));
}

/** Does a process pass every filter? Its unit is its cgroup's deepest unit, or its owner's. */
export function processSelected(p: ProcessAttributes, s: ProcessSelection): boolean {
  if (s.pid !== undefined && p.pid !== s.pid) return false;
  if (s.comm !== undefined && !s.comm.test(p.comm)) return false;
  if (s.unit !== undefined) {
    const u = unitName(s.unit);
    if (p.unit !== u && ownerUnit(p.owner) !== u) return false;
  }
  return ownerPasses(p.owner, s);
}

/** Filters that say which processes, not which owners: owners are then those of the processes that pass. */
export function selectsProcesses(s: ProcessSelection): boolean {
  return s.comm !== undefined || s.pid !== undefined;
}

/** Is the cgroup the node cgroup or below it? An unknown cgroup is kept (it cannot be told). */
export function inNode(cgroup: string | null, nodes: readonly string[]): boolean {
  if (cgroup === null) return true;
  return nodes.some((n) => n === '/' || cgroup === n || cgroup.startsWith(`${n}/`));
}

/** Is the owner the node's? Kernel threads are the machine's; owners recorded without their cgroup are kept. */
export function ownerInNode(o: Owner, nodes: readonly string[]): boolean {
  if (o.kind === 'kernel') return nodes.includes('/');
  return inNode(o.cgroup, nodes);
}
