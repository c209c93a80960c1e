// Which process runs the kubelet: a `kubelet` (kubeadm, RKE2, EKS, AKS, GKE, kind), `k3s server`/`k3s agent`
// (k3s runs the kubelet inside its own process), or MicroK8s' `kubelite`. Reads /proc only.
import { readdirSync, readlinkSync, statSync } from 'node:fs';
import { readText as readRegularText, SMALL_FILE_MAX } from '../fs/read.js';
import path from 'node:path';
import { readHostFile } from './host-file.js';

export type KubeletHost = 'kubelet' | 'k3s' | 'kubelite';

export interface KubeletProcess {
  pid: number;
  /** what runs the kubelet: the kubelet itself, k3s, or MicroK8s' kubelite */
  host: KubeletHost;
  /** the command line, argv[0] first (a process title set over argv, as k3s does, is split on spaces) */
  argv: string[];
  cwd: string;
  /** readlink of /proc/<pid>/exe, `(deleted)` removed; null when unreadable */
  exe: string | null;
  /**
   * Where the kubelet's own paths are, as a local path: `<procRoot>/<pid>/root` when the kubelet lives in
   * another mount namespace (a kind node, a node in a container), else null (the host root).
   */
  ownRoot: string | null;
}

function readText(file: string): string | null {
  try {
    return readRegularText(file, { maxBytes: SMALL_FILE_MAX });
  } catch {
    return null;
  }
}

/**
 * argv from /proc/<pid>/cmdline. A process that rewrote its title over argv (k3s: gspt.SetProcTitle
 * `/usr/local/bin/k3s server`, to hide its flags) shows one string with spaces and NUL padding.
 */
export function splitProcessArgs(raw: string): string[] {
  const args = raw.split('\0');
  while (args.length > 0 && args.at(-1) === '') args.pop();
  if (args.length === 1 && args[0]!.includes(' ')) return args[0]!.split(' ').filter(Boolean);
  return args;
}

const COMMS = new Set(['kubelet', 'hyperkube', 'k3s', 'k3s-server', 'k3s-agent', 'kubelite']);

function hostOf(comm: string, argv: string[], exe: string | null): KubeletHost | null {
  const base = path.basename(argv[0] ?? '');
  const exeBase = exe === null ? '' : path.basename(exe);
  if (comm === 'kubelet' || base === 'kubelet') return 'kubelet';
  if (comm === 'hyperkube' || base === 'hyperkube') return argv[1] === 'kubelet' ? 'kubelet' : null;
  if (comm === 'kubelite' || base === 'kubelite') return 'kubelite';
  // k3s execs <data>/bin/k3s-server or k3s-agent (so comm says which); the title says `k3s server|agent`
  if (comm === 'k3s-server' || comm === 'k3s-agent') return 'k3s';
  if ((comm === 'k3s' || base === 'k3s' || exeBase === 'k3s') && (argv[1] === 'server' || argv[1] === 'agent')) return 'k3s';
  return null;
}

/** Identity of a directory (device + inode), null when it cannot be stat'ed. */
function dirId(p: string): string | null {
  try {
    const st = statSync(p);
    return `${st.dev}:${st.ino}`;
  } catch {
    return null;
  }
}

/**
 * The kubelet's root if it is not the host's. On a live host `/proc/<pid>/root` of a host process is the host's
 * `/`; a kind node's kubelet sees the node container's filesystem there. In a fixture tree the directory
 * `proc/<pid>/root/` stands for that filesystem.
 */
function ownRootOf(procRoot: string, hostRoot: string, pid: number): string | null {
  const root = path.join(procRoot, String(pid), 'root');
  const id = dirId(root);
  if (id === null || id === dirId(hostRoot)) return null;
  // a fixture's proc/<pid>/root is a plain directory; a live one is the kernel's link to the process's root
  return root;
}

/** Every process that runs a kubelet, by pid: comm first (cheap), then exe links when none matched. */
export function findKubeletProcesses(procRoot: string, hostRoot: string): KubeletProcess[] {
  let entries: string[];
  try {
    entries = readdirSync(procRoot);
  } catch {
    return [];
  }
  const pids = entries.filter((e) => /^\d+$/.test(e)).map(Number).sort((a, b) => a - b);
  const load = (pid: number, comm: string): KubeletProcess | null => {
    const raw = readText(path.join(procRoot, String(pid), 'cmdline'));
    if (raw === null || raw.length === 0) return null;
    const argv = splitProcessArgs(raw);
    let exe: string | null = null;
    try {
      exe = readlinkSync(path.join(procRoot, String(pid), 'exe')).replace(/ \(deleted\)$/, '');
    } catch {
      /* another user's process without CAP_SYS_PTRACE: the exe is unknown */
    }
    const host = hostOf(comm, argv, exe);
    if (host === null) return null;
    let cwd = '/';
    try {
      cwd = readlinkSync(path.join(procRoot, String(pid), 'cwd'));
    } catch {
      /* unreadable: relative --config paths resolve against / */
    }
    return { pid, host, argv, cwd, exe, ownRoot: ownRootOf(procRoot, hostRoot, pid) };
  };
  const found: KubeletProcess[] = [];
  for (const pid of pids) {
    const comm = readText(path.join(procRoot, String(pid), 'comm'))?.trim() ?? '';
    if (!COMMS.has(comm)) continue;
    const p = load(pid, comm);
    if (p) found.push(p);
  }
  if (found.length > 0) return found;
  // comm can be renamed (prctl) while the binary stays: one more, dearer pass over exe links
  for (const pid of pids) {
    let exe: string;
    try {
      exe = path.basename(readlinkSync(path.join(procRoot, String(pid), 'exe')).replace(/ \(deleted\)$/, ''));
    } catch {
      continue;
    }
    if (exe !== 'kubelet' && exe !== 'kubelite' && exe !== 'k3s') continue;
    const p = load(pid, exe);
    if (p) found.push(p);
  }
  return found;
}

/** Environment variables of a process (names asked for only: an environ holds secrets, nothing else is kept). */
export function processEnv(procRoot: string, pid: number, names: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  let raw: string;
  try {
    raw = readHostFile(path.join(procRoot, String(pid), 'environ'), { maxBytes: 1 << 20 }).toString('utf8');
  } catch {
    return out;
  }
  for (const kv of raw.split('\0')) {
    const eq = kv.indexOf('=');
    if (eq <= 0) continue;
    const k = kv.slice(0, eq);
    if (names.includes(k)) out.set(k, kv.slice(eq + 1));
  }
  return out;
}

/** The systemd unit a process runs in, from its cgroup (v2 `0::` or v1 `name=systemd` line); null outside units. */
export function unitOfProcess(procRoot: string, pid: number): string | null {
  const text = readText(path.join(procRoot, String(pid), 'cgroup'));
  if (text === null) return null;
  for (const line of text.split('\n')) {
    const m = /^\d+:(name=systemd|):(.*)$/.exec(line);
    if (!m) continue;
    const unit = m[2]!.split('/').reverse().find((s) => /\.service$/.test(s));
    if (unit) return unit;
  }
  return null;
}
