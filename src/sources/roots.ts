// Where the node's files are: the host's / (default), a DaemonSet's /host mount, or a fixture tree.
import { statfsSync } from 'node:fs';
import path from 'node:path';
import { confinedPath } from '../fs/host-path.js';
import { readHead } from '../fs/read.js';

export interface Roots {
  /** the host's `/`: kubelet files and /var/log/pods are read under it */
  hostRoot: string;
  /** the host's /proc (default <hostRoot>/proc) */
  procRoot: string;
  /** the host's /sys (default <hostRoot>/sys) */
  sysRoot: string;
}

/** Fill in the defaults: hostRoot `/`, procRoot `<hostRoot>/proc`, sysRoot `<hostRoot>/sys`. Paths are made absolute. */
export function resolveRoots(o: { hostRoot?: string | undefined; procRoot?: string | undefined; sysRoot?: string | undefined }): Roots {
  const hostRoot = path.resolve(o.hostRoot ?? '/');
  return {
    hostRoot,
    procRoot: path.resolve(o.procRoot ?? path.join(hostRoot, 'proc')),
    sysRoot: path.resolve(o.sysRoot ?? path.join(hostRoot, 'sys')),
  };
}

/**
 * A host path (`/var/log/pods`) as seen from here: under hostRoot, its links resolved inside it
 * (confinedPath: a link in the host's tree never leads out of it).
 */
export function hostPath(roots: Roots, absPath: string): string {
  return confinedPath(roots.hostRoot, absPath);
}

const PROC_SUPER_MAGIC = 0x9fa0;
const SYSFS_MAGIC = 0x62656572;

/** The filesystem type (statfs f_type) of a path; null when it cannot be asked. */
export function fsType(p: string): number | null {
  try {
    return statfsSync(p).type;
  } catch {
    return null;
  }
}

/**
 * Are the roots this running kernel (its procfs and sysfs, as / or a DaemonSet's /host mount shows them),
 * not a tree of files (a fixture, a copy)? What a tree holds is not evidence about this node.
 */
export function isLiveNode(roots: Roots): boolean {
  return fsType(roots.procRoot) === PROC_SUPER_MAGIC && fsType(roots.sysRoot) === SYSFS_MAGIC;
}

/** The node's hostname: the kernel's (<proc>/sys/kernel/hostname), else <host-root>/etc/hostname; null when neither is there. */
export function readHostname(roots: Roots): string | null {
  for (const file of [path.join(roots.procRoot, 'sys/kernel/hostname'), hostPath(roots, '/etc/hostname')]) {
    try {
      // a hostname is at most 64 bytes: read no more than a little over that, from a regular file only
      const name = readHead(file, 256).toString('utf8').split('\n')[0]!.trim();
      if (name !== '') return name;
    } catch {
      /* not there, or not a regular file: try the next */
    }
  }
  return null;
}
