// Pod and container names from the container runtimes' own files, for nodes without /var/log/pods (or
// to name the container too). Each runtime keeps the container's config on the node (checked in their
// sources; test/fixtures/*/NOTES.md cite them):
// - containerd (CRI plugin): the OCI bundle <state>/io.containerd.runtime.v2.task/k8s.io/<id>/config.json,
//   annotations io.kubernetes.cri.{container-type,container-name,sandbox-name,sandbox-namespace,sandbox-uid};
//   state is /run/containerd, /run/k3s/containerd (k3s, RKE2) or /var/snap/microk8s/common/run/containerd.
// - CRI-O: <runroot|graphroot>/overlay-containers/<id>/userdata/config.json, annotations
//   io.kubernetes.cri-o.ContainerType and the kubelet's labels io.kubernetes.{pod.name,pod.namespace,pod.uid,container.name}.
// - Docker with cri-dockerd: /var/lib/docker/containers/<id>/config.v2.json, Config.Labels, the same kubelet
//   labels plus io.kubernetes.docker.type (podsandbox|container).
// A container's name never changes: what was read is kept until the id is no longer seen.
import { confinedPath } from '../fs/host-path.js';
import type { ContainerNameInfo, OwnerNames } from '../model/snapshot.js';
import type { ContainerRuntime, ContainerType } from '../model/types.js';
import { HostFileError, readHostText } from './host-file.js';
import { PodDirectory } from './pods.js';

/** Container configs are a few KiB to a few hundred (every env variable, mount and hook); a bigger one is not a config. */
const CONFIG_MAX_BYTES = 4 * 2 ** 20;
/** A container whose config was missing or unreadable is looked up again after this long, not every snapshot. */
const RETRY_MS = 60_000;

const CONTAINERD_STATES = ['/run/containerd', '/run/k3s/containerd', '/var/snap/microk8s/common/run/containerd'];
const CRIO_ROOTS = ['/run/containers/storage', '/var/lib/containers/storage'];

type ConfigFormat = 'oci' | 'docker';

/** Host paths where a container's config may be, most likely first for its runtime. */
export function configCandidates(containerId: string, runtime: ContainerRuntime | null): Array<{ file: string; format: ConfigFormat }> {
  const containerd = CONTAINERD_STATES.map((s) => ({ file: `${s}/io.containerd.runtime.v2.task/k8s.io/${containerId}/config.json`, format: 'oci' as const }));
  const crio = CRIO_ROOTS.map((r) => ({ file: `${r}/overlay-containers/${containerId}/userdata/config.json`, format: 'oci' as const }));
  const docker = [{ file: `/var/lib/docker/containers/${containerId}/config.v2.json`, format: 'docker' as const }];
  switch (runtime) {
    case 'containerd':
      return containerd;
    case 'crio':
    case 'crio-conmon':
      return crio;
    case 'docker':
      return docker;
    default:
      // the cgroupfs driver names the cgroup by the bare id: any runtime may have made it
      return [...containerd, ...crio, ...docker];
  }
}

function stringAt(o: Record<string, unknown>, key: string): string | null {
  const v = o[key];
  return typeof v === 'string' && v !== '' ? v : null;
}

/**
 * What one container config says, or null when it carries no Kubernetes annotations at all (a container
 * not made for a pod). Throws an Error whose message says what is wrong (not JSON, no annotations object).
 */
export function parseContainerConfig(text: string, format: ConfigFormat): ContainerNameInfo | null {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error('not a JSON object');
  const holder = format === 'oci' ? (doc as Record<string, unknown>).annotations : ((doc as Record<string, unknown>).Config as Record<string, unknown> | undefined)?.Labels;
  if (holder === undefined || holder === null) return null;
  if (typeof holder !== 'object' || Array.isArray(holder)) throw new Error(format === 'oci' ? '"annotations" is not an object' : '"Config.Labels" is not an object');
  const a = holder as Record<string, unknown>;
  const rawType = stringAt(a, 'io.kubernetes.cri.container-type') ?? stringAt(a, 'io.kubernetes.cri-o.ContainerType') ?? stringAt(a, 'io.kubernetes.docker.type');
  // the kubelet's container-name label says POD for the sandbox (dockershim's convention, kept by CRI-O and cri-dockerd)
  const labelName = stringAt(a, 'io.kubernetes.cri.container-name') ?? stringAt(a, 'io.kubernetes.container.name');
  let type: ContainerType | null = rawType === 'sandbox' || rawType === 'podsandbox' ? 'sandbox' : rawType === 'container' ? 'container' : null;
  if (type === null && labelName === 'POD') type = 'sandbox';
  const info: ContainerNameInfo = {
    name: type === 'sandbox' ? null : labelName,
    type,
    podName: stringAt(a, 'io.kubernetes.cri.sandbox-name') ?? stringAt(a, 'io.kubernetes.pod.name'),
    podNamespace: stringAt(a, 'io.kubernetes.cri.sandbox-namespace') ?? stringAt(a, 'io.kubernetes.pod.namespace'),
    podUid: stringAt(a, 'io.kubernetes.cri.sandbox-uid') ?? stringAt(a, 'io.kubernetes.pod.uid'),
  };
  if (info.type === null && info.name === null && info.podName === null && info.podNamespace === null && info.podUid === null) return null;
  return info;
}

type Entry = { info: ContainerNameInfo; seen: number } | { info: null; seen: number; retryAt: number };

/**
 * Names of pods and containers on one node, from the runtimes' configs and /var/log/pods, cached.
 * Call `begin(now)` before a round of lookups and `end()` after it: ids not looked up in the round are
 * forgotten (their container is gone), and `end` returns the problems met, one line each, once per retry.
 */
export class NodeNames implements OwnerNames {
  private readonly podDir: PodDirectory;
  private readonly cache = new Map<string, Entry>();
  private round = 0;
  private now = 0;
  private problems: string[] = [];

  constructor(private readonly hostRoot: string) {
    this.podDir = new PodDirectory(hostRoot);
  }

  begin(now: number): void {
    this.round++;
    this.now = now;
    this.problems = [];
    this.podDir.refresh();
  }

  /** Re-read /var/log/pods if it changed, outside a round of lookups (naming an OOM kill's task). */
  refreshPods(): void {
    this.podDir.refresh();
  }

  end(): string[] {
    for (const [id, e] of this.cache) if (e.seen !== this.round) this.cache.delete(id);
    return this.problems;
  }

  /** Entries held, for tests and the benchmark. */
  get size(): number {
    return this.cache.size;
  }

  pod(uid: string): { namespace: string; name: string } | null {
    return this.podDir.lookup(uid);
  }

  container(containerId: string, runtime: ContainerRuntime | null): ContainerNameInfo | null {
    const hit = this.cache.get(containerId);
    if (hit !== undefined && (hit.info !== null || hit.retryAt > this.now)) {
      hit.seen = this.round;
      return hit.info;
    }
    const info = this.read(containerId, runtime);
    this.cache.set(containerId, info === null ? { info, seen: this.round, retryAt: this.now + RETRY_MS } : { info, seen: this.round });
    return info;
  }

  private read(containerId: string, runtime: ContainerRuntime | null): ContainerNameInfo | null {
    // ids come from cgroup paths; anything but hex would make a path of a name
    if (!/^[0-9a-fA-F]{12,128}$/.test(containerId)) return null;
    for (const { file, format } of configCandidates(containerId, runtime)) {
      // resolved inside the host root: a link in the runtime's state never leads out of it
      const local = confinedPath(this.hostRoot, file);
      let text: string | null;
      try {
        text = readHostText(local, CONFIG_MAX_BYTES);
      } catch (err) {
        if (!(err instanceof HostFileError)) throw err;
        this.problems.push(`container ${containerId.slice(0, 12)}: ${file}: ${err.reason}; its name is unknown`);
        return null;
      }
      if (text === null) continue;
      try {
        return parseContainerConfig(text, format);
      } catch (err) {
        this.problems.push(`container ${containerId.slice(0, 12)}: ${file}: ${(err as Error).message}; its name is unknown`);
        return null;
      }
    }
    return null;
  }
}
