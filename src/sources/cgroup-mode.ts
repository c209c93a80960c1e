// Which cgroup layout the node has, decided as the kubelet decides it (libcontainer IsCgroup2UnifiedMode).
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { CgroupMode } from '../model/types.js';
import { fsType, type Roots } from './roots.js';

const CGROUP2_SUPER_MAGIC = 0x63677270;

/**
 * v2, hybrid or v1.
 * Rule, in order:
 * 1. statfs(<sysRoot>/fs/cgroup) is cgroup2 → v2 (the kubelet's own test, on a live host).
 * 2. `cgroup.controllers` directly under <sysRoot>/fs/cgroup → v2. Only a cgroup2 mount has that file at its
 *    root, so on a live host this agrees with 1; in a fixture tree (no real filesystem type) it is the only sign.
 * 3. a `unified` cgroup2 mount (live) or `unified/cgroup.controllers` (tree) → hybrid: v1 controllers,
 *    memory among them, plus systemd's v2 hierarchy.
 * 4. otherwise v1.
 */
export function detectCgroupMode(roots: Roots): CgroupMode {
  const root = path.join(roots.sysRoot, 'fs', 'cgroup');
  if (fsType(root) === CGROUP2_SUPER_MAGIC) return 'v2';
  if (existsSync(path.join(root, 'cgroup.controllers'))) return 'v2';
  const unified = path.join(root, 'unified');
  if (fsType(unified) === CGROUP2_SUPER_MAGIC || existsSync(path.join(unified, 'cgroup.controllers'))) return 'hybrid';
  return 'v1';
}
