// Pod UID → namespace/name without the API server: the kubelet keeps one log directory per pod,
// /var/log/pods/<namespace>_<name>_<uid>/, and neither namespaces nor names may contain '_'.
import { statSync } from 'node:fs';
import { resolveInRoot } from '../fs/host-path.js';
import { listDir } from '../fs/read.js';

export interface PodName {
  namespace: string;
  name: string;
}

/** Parse one directory name; null when it is not `<namespace>_<name>_<uid>`. */
export function parsePodLogDir(entry: string): (PodName & { uid: string }) | null {
  const parts = entry.split('_');
  if (parts.length !== 3) return null;
  const [namespace, name, uid] = parts as [string, string, string];
  if (namespace === '' || name === '' || !/^[0-9a-fA-F-]{32,36}$/.test(uid)) return null;
  return { namespace, name, uid: uid.toLowerCase() };
}

/** A cached index of <hostRoot>/var/log/pods, re-read only when the directory's mtime changes. */
export class PodDirectory {
  private mtimeMs: number | null = null;
  private byUid = new Map<string, PodName>();

  constructor(private readonly hostRoot: string) {}

  /** Re-read if the directory changed (a pod came or went). A missing directory means no pods known. */
  refresh(): void {
    let dir: string;
    let mtimeMs: number;
    try {
      // resolved inside the host root: a /var/log/pods link cannot lead out of it
      dir = resolveInRoot(this.hostRoot, '/var/log/pods');
      mtimeMs = statSync(dir).mtimeMs;
    } catch {
      this.mtimeMs = null;
      this.byUid = new Map();
      return;
    }
    if (mtimeMs === this.mtimeMs) return;
    const byUid = new Map<string, PodName>();
    try {
      for (const entry of listDir(dir)) {
        const p = parsePodLogDir(entry.name);
        if (p) byUid.set(p.uid, { namespace: p.namespace, name: p.name });
      }
    } catch {
      return; // vanished or unreadable between stat and readdir: keep what we knew, retry next time
    }
    this.mtimeMs = mtimeMs;
    this.byUid = byUid;
  }

  lookup(uid: string): PodName | null {
    return this.byUid.get(uid.toLowerCase()) ?? null;
  }
}
