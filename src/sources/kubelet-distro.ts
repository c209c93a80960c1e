// Which Kubernetes distribution a node runs, and where its kubelet settings are when no kubelet process is
// visible (a DaemonSet without hostPID, or a kubelet that is not running). Sources: the distributions' own
// files, cited in test/fixtures/{eks,aks,gke,rke2,k3s,microk8s,kind}*/NOTES.md.
import { existsSync } from 'node:fs';
import { confinedPath } from '../fs/host-path.js';
import { kubeletBefore129 } from '../model/kubelet-available.js';
import type { KubeletProcess } from './kubelet-process.js';
import { hostPath, type Roots } from './roots.js';

export type Distribution = 'k3s' | 'RKE2' | 'MicroK8s' | 'kind' | 'EKS' | 'AKS' | 'GKE';

function exists(roots: Roots, p: string): boolean {
  return existsSync(hostPath(roots, p));
}

/** The distribution of a node whose kubelet process is known: from the process, then marker files. */
export function distributionOf(roots: Roots, proc: KubeletProcess): Distribution | null {
  if (proc.host === 'k3s') return 'k3s';
  if (proc.host === 'kubelite') return 'MicroK8s';
  const paths = [proc.exe ?? '', ...proc.argv].join(' ');
  if (paths.includes('/var/lib/rancher/rke2/')) return 'RKE2';
  if (proc.ownRoot !== null && existsSync(confinedPath(proc.ownRoot, '/kind/version'))) return 'kind';
  if (paths.includes('/home/kubernetes/')) return 'GKE';
  if (paths.includes('/etc/kubernetes/kubelet/') || exists(roots, '/etc/eks')) return 'EKS';
  if (exists(roots, '/etc/kubernetes/azure.json')) return 'AKS';
  return null;
}

/** Marker files of a node whose kubelet process is not visible. */
export function distributionFromFiles(roots: Roots): Distribution | null {
  if (exists(roots, '/etc/rancher/k3s') || exists(roots, '/var/lib/rancher/k3s/agent')) return 'k3s';
  if (exists(roots, '/var/lib/rancher/rke2/agent')) return 'RKE2';
  if (exists(roots, '/var/snap/microk8s/current/args/kubelet')) return 'MicroK8s';
  if (exists(roots, '/etc/eks') || exists(roots, '/etc/kubernetes/kubelet/kubelet-config.json') || exists(roots, '/etc/kubernetes/kubelet/config.json')) return 'EKS';
  if (exists(roots, '/etc/kubernetes/azure.json')) return 'AKS';
  if (exists(roots, '/home/kubernetes/kubelet-config.yaml') || exists(roots, '/home/kubernetes/bin')) return 'GKE';
  return null;
}

/** Where a distribution keeps the kubelet's flags and config, for nodes whose kubelet process is not visible. */
export interface StandInFiles {
  /** env files and the variable in each that holds kubelet flags */
  envFlags: Array<[file: string, variable: string]>;
  /** systemd drop-ins with `Environment='VAR=flags'` */
  unitEnvFlags: Array<[file: string, variable: string]>;
  config: string[];
  configDir: string | null;
}

export function standInFiles(d: Distribution | null): StandInFiles {
  const kubeadm: StandInFiles = {
    envFlags: [
      ['/var/lib/kubelet/kubeadm-flags.env', 'KUBELET_KUBEADM_ARGS'],
      ['/etc/default/kubelet', 'KUBELET_EXTRA_ARGS'],
    ],
    unitEnvFlags: [],
    config: ['/var/lib/kubelet/config.yaml'],
    configDir: null,
  };
  switch (d) {
    case 'EKS':
      // AL2023 (nodeadm): config.json + config.json.d drop-ins; AL2 (bootstrap.sh): kubelet-config.json and
      // --kubelet-extra-args in a unit drop-in
      return {
        envFlags: [],
        unitEnvFlags: [['/etc/systemd/system/kubelet.service.d/30-kubelet-extra-args.conf', 'KUBELET_EXTRA_ARGS']],
        config: ['/etc/kubernetes/kubelet/config.json', '/etc/kubernetes/kubelet/kubelet-config.json'],
        configDir: '/etc/kubernetes/kubelet/config.json.d',
      };
    case 'AKS':
      return { ...kubeadm, envFlags: [['/etc/default/kubelet', 'KUBELET_FLAGS'], ...kubeadm.envFlags] };
    case 'GKE':
      return { envFlags: [], unitEnvFlags: [], config: ['/home/kubernetes/kubelet-config.yaml'], configDir: null };
    default:
      return kubeadm;
  }
}

/**
 * The hard memory threshold a managed node ships with, for when neither its kubelet nor its files are
 * readable: what the provider documents (`version` picks the AKS one; unknown means the current one).
 */
export function documentedHard(d: Distribution | null, version: { major: number; minor: number } | null): { value: string; origin: string } | null {
  switch (d) {
    case 'AKS':
      if (kubeletBefore129(version)) return { value: '750Mi', origin: 'AKS default before Kubernetes 1.29 (AKS docs, node resource reservations)' };
      return { value: '100Mi', origin: `AKS default for Kubernetes ≥ 1.29 (AKS docs, node resource reservations)${version === null ? '; kubelet version unknown, assumed ≥ 1.29' : ''}` };
    case 'EKS':
      return { value: '100Mi', origin: 'EKS AMI default (amazon-eks-ami kubelet config evictionHard)' };
    case 'GKE':
      return { value: '100Mi', origin: 'GKE default (GKE docs: 100 MiB reserved for kubelet eviction)' };
    default:
      return null;
  }
}
