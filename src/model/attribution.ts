// Who owns a process, from its cgroup paths only: a cwd proves nothing (updatedb walked a pod's volume).
// Paths are matched segment by segment and never anchored at the root, because a cgroup root or a
// nested node (kind, a node in a container) may prefix them.
import type { ContainerRuntime, Owner, Qos } from './types.js';

type PodOwner = Extract<Owner, { kind: 'pod' }>;

/** Canonical pod UID: systemd slices spell the dashes as underscores; static pod UIDs are 32 hex. */
function normalizeUid(raw: string): string | null {
  const uid = raw.replace(/_/g, '-').toLowerCase();
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(uid)) return uid;
  if (/^[0-9a-f]{32}$/.test(uid)) return uid;
  return null;
}

const QOS_SEGMENTS: Record<string, Qos> = { burstable: 'burstable', besteffort: 'besteffort' };

/** A container cgroup segment below the pod: `cri-containerd-<id>.scope`, `crio-<id>`, `docker-<id>.scope`, bare `<id>`. */
export function parseContainerSegment(seg: string): { containerId: string; runtime: ContainerRuntime } {
  const m = /^(cri-containerd|crio-conmon|crio|cri-dockerd|docker)-([0-9a-zA-Z]+)(?:\.scope)?$/.exec(seg);
  if (m) {
    const prefix = m[1]!;
    const runtime: ContainerRuntime = prefix === 'cri-containerd' ? 'containerd' : prefix === 'crio-conmon' ? 'crio-conmon' : prefix === 'crio' ? 'crio' : 'docker';
    return { containerId: m[2]!, runtime };
  }
  // The cgroupfs driver names the container cgroup by its bare id, which does not say the runtime.
  return { containerId: seg.replace(/\.scope$/, ''), runtime: 'unknown' };
}

function pod(podUid: string, qos: Qos, container: string | undefined, cgroup: string): PodOwner {
  const c = container === undefined ? null : parseContainerSegment(container);
  return { kind: 'pod', podUid, qos, containerId: c?.containerId ?? null, runtime: c?.runtime ?? null, namespace: null, podName: null, container: null, containerType: null, cgroup };
}

/** `/a/b/c` of the first `n` segments. */
const prefix = (segs: string[], n: number): string => `/${segs.slice(0, n).join('/')}`;

/** A pod owner if the path runs through a pod cgroup of either driver, else null. */
export function podFromCgroup(path: string): PodOwner | null {
  const segs = path.split('/').filter((s) => s !== '');
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    // systemd driver: [<prefix>-]kubepods[-<qos>]-pod<uid_with_underscores>.slice, optionally `:<runtime>:<id>`
    // (runc's slice:prefix:name form, seen when the runtime runs without systemd in a nested node).
    const sd = /(?:^|-)kubepods(?:-(burstable|besteffort))?-pod([0-9a-fA-F_-]+)\.slice(?::([a-z-]+):([0-9a-zA-Z]+))?$/.exec(seg);
    if (sd) {
      const uid = normalizeUid(sd[2]!);
      if (uid !== null) {
        const qos: Qos = sd[1] === undefined ? 'guaranteed' : QOS_SEGMENTS[sd[1]]!;
        const podCgroup = prefix(segs, i + 1).replace(/:[^/]*$/, '');
        if (sd[3] !== undefined && sd[4] !== undefined) return pod(uid, qos, `${sd[3]}-${sd[4]}`, podCgroup);
        return pod(uid, qos, segs[i + 1], podCgroup);
      }
    }
    // cgroupfs driver: kubepods/[burstable|besteffort/]pod<uid>/<container-id>
    const fs = /^pod([0-9a-fA-F_-]+)$/.exec(seg);
    if (fs) {
      const uid = normalizeUid(fs[1]!);
      if (uid === null) continue;
      const parent = segs[i - 1];
      const grand = segs[i - 2];
      if (parent === 'kubepods') return pod(uid, 'guaranteed', segs[i + 1], prefix(segs, i + 1));
      if (parent !== undefined && grand === 'kubepods' && QOS_SEGMENTS[parent] !== undefined) return pod(uid, QOS_SEGMENTS[parent], segs[i + 1], prefix(segs, i + 1));
    }
  }
  return null;
}

const UNIT_SEGMENT = /^[^:]+\.(service|scope)$/;

/** The deepest systemd unit (`*.service`, `*.scope`) in a path: the most specific one when nodes nest. */
export function unitOf(path: string | null): string | null {
  if (path === null) return null;
  const segs = path.split('/');
  for (let i = segs.length - 1; i >= 0; i--) {
    const s = segs[i]!;
    if (UNIT_SEGMENT.test(s)) return s;
  }
  return null;
}

function hostOwner(path: string): Owner | null {
  const segs = path.split('/').filter((s) => s !== '');
  // A user's owner is the unit right below user-<uid>.slice: a session scope or the user manager
  // (user@<uid>.service, which holds all of that user's own units; their names repeat across users).
  const u = segs.findIndex((s) => /^user-\d+\.slice$/.test(s));
  if (u >= 0) {
    const next = segs[u + 1];
    const top = next !== undefined && /\.(?:scope|service)$/.test(next) ? next : null;
    const session = top !== null && top.startsWith('session-') ? top : null;
    const userUid = Number(/^user-(\d+)/.exec(segs[u]!)![1]);
    return { kind: 'user', unit: top ?? segs[u]!, userUid, session, cgroup: prefix(segs, top === null ? u + 1 : u + 2) };
  }
  for (let i = segs.length - 1; i >= 0; i--) {
    if (UNIT_SEGMENT.test(segs[i]!)) return { kind: 'service', unit: segs[i]!, cgroup: prefix(segs, i + 1) };
  }
  return null;
}

/**
 * Owner of a process from its memory cgroup (`cgroup`) and its systemd cgroup (`systemdCgroup`; the same
 * path on v2). A pod in either wins; then a unit of the memory path, then of the systemd path (v1 hosts
 * without memory accounting put every service in the root memory cgroup), the deeper path first when
 * one extends the other; else `other` with the memory path.
 */
export function attribute(cgroup: string | null, systemdCgroup: string | null, isKernelThread: boolean): Owner {
  if (isKernelThread) return { kind: 'kernel' };
  for (const p of [cgroup, systemdCgroup]) {
    if (p === null) continue;
    const owner = podFromCgroup(p);
    if (owner) return owner;
  }
  // When the systemd path is deeper than the memory path (accounting stopped at a slice), it says more.
  const systemdDeeper = cgroup !== null && systemdCgroup !== null && systemdCgroup.startsWith(cgroup === '/' ? '/' : `${cgroup}/`) && systemdCgroup !== cgroup;
  for (const p of systemdDeeper ? [systemdCgroup, cgroup] : [cgroup, systemdCgroup]) {
    if (p === null) continue;
    const owner = hostOwner(p);
    if (owner) return owner;
  }
  return { kind: 'other', cgroup: cgroup ?? systemdCgroup };
}

/**
 * Stable key per owner, as OwnerAggregate.key documents: one pod is one key, whatever its containers; a
 * service or user unit is keyed by its cgroup path, so the same unit name in two places (a nested node's
 * and the host's) is two owners. Owners recorded before memrec kept that path (cgroup null) keep the
 * unit-name keys they were stored with.
 */
export function ownerKey(o: Owner): string {
  switch (o.kind) {
    case 'pod':
      return `pod:${o.podUid}`;
    case 'service':
      return `service:${o.cgroup ?? o.unit}`;
    case 'user':
      return `user:${o.cgroup ?? o.unit}`;
    case 'kernel':
      return 'kernel';
    case 'other':
      return `other:${o.cgroup ?? '(unknown cgroup)'}`;
  }
}

/** The container part of a pod owner's label: `, container checkout`, `, sandbox`, or nothing when unknown. */
function containerLabel(o: Extract<Owner, { kind: 'pod' }>): string {
  if (o.containerType === 'sandbox') return ', sandbox';
  return o.container === null ? '' : `, container ${o.container}`;
}

/**
 * For humans: `pod default/web-7d9 (burstable), container web`, `service cron.service`, `user session-3.scope (uid 1000)`.
 * A pod's aggregate (all its containers) has no container part.
 */
export function ownerLabel(o: Owner): string {
  switch (o.kind) {
    case 'pod':
      return `pod ${o.namespace !== null && o.podName !== null ? `${o.namespace}/${o.podName}` : o.podUid} (${o.qos})${containerLabel(o)}`;
    case 'service':
      return `service ${o.unit}`;
    case 'user':
      return `user ${o.unit}${o.userUid === null ? '' : ` (uid ${o.userUid})`}`;
    case 'kernel':
      return 'kernel';
    case 'other':
      return `other ${o.cgroup ?? '(unknown cgroup)'}`;
  }
}

export const FLAG_CWD_IN_POD_VOLUME = 'cwd-in-pod-volume-outside-kubepods';

/** The pod UID of a cwd inside the kubelet's pod directories (`/var/lib/kubelet/pods/<uid>/...`), else null. */
export function podUidOfPath(path: string | null): string | null {
  if (path === null) return null;
  const m = /\/var\/lib\/kubelet\/pods\/([0-9a-fA-F_-]+)(?:\/|$)/.exec(path);
  return m ? normalizeUid(m[1]!) : null;
}

/** Notes for humans about a process; attribution stays by cgroup. */
export function processFlags(owner: Owner, cwd: string | null): string[] {
  const flags: string[] = [];
  if (owner.kind !== 'pod' && podUidOfPath(cwd) !== null) flags.push(FLAG_CWD_IN_POD_VOLUME);
  return flags;
}
