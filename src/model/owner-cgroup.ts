// An owner's own memory cgroup: the one whose counters (peak, limit, OOM kills) speak for the whole owner.
// A pod's is its pod-level cgroup (its containers are below it), a service's or session's is its unit's.
import { podFromCgroup } from './attribution.js';
import type { Owner } from './types.js';

/**
 * The owner's own cgroup within a process's memory cgroup path, or null when the path does not run
 * through it: kernel threads, the root, and a unit whose memory accounting stops at its slice (on v1 hosts
 * the memory path is then `/system.slice` while the owner comes from the `name=systemd` path).
 */
export function ownerCgroupPath(owner: Owner, memoryPath: string | null): string | null {
  if (memoryPath === null || owner.kind === 'kernel') return null;
  const segs = memoryPath.split('/').filter((s) => s !== '');
  const upTo = (i: number): string => `/${segs.slice(0, i + 1).join('/')}`;
  switch (owner.kind) {
    case 'pod': {
      // the first prefix that already names the pod is the pod-level cgroup
      for (let i = 0; i < segs.length; i++) {
        const p = podFromCgroup(upTo(i));
        if (p !== null && p.podUid === owner.podUid) {
          // runc's `slice:prefix:name` form names the container in the pod's segment: the pod cgroup is the slice
          const seg = segs[i]!;
          const colon = seg.indexOf(':');
          return colon < 0 ? upTo(i) : `${upTo(i - 1).replace(/^\/$/, '')}/${seg.slice(0, colon)}`;
        }
      }
      return null;
    }
    case 'service':
    case 'user': {
      const i = segs.lastIndexOf(owner.unit);
      return i < 0 ? null : upTo(i);
    }
    case 'other':
      return segs.length === 0 || owner.cgroup !== memoryPath ? null : upTo(segs.length - 1);
  }
}
