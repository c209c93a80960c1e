// Where the node's files are: the host's / (default), a DaemonSet's /host mount, or a fixture tree.
import path from 'node:path';
import { confinedPath } from '../fs/host-path.js';

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
