// The kubelet's version, where the node keeps it: it picks the formula of memory.available on a cgroup v2
// root (kubelet ≥ 1.29 vendors runc ≥ 1.1.9: anon + file; older ones: MemTotal − MemFree). Read once per
// kubelet process (cached by the caller), cheapest source first.
import { readlinkSync, statfsSync } from 'node:fs';
import path from 'node:path';
import type { Distribution } from './kubelet-distro.js';
import type { KubeletProcess } from './kubelet-process.js';
import { HostFileError, readHostFile, readHostText } from './host-file.js';
import { hostPath, type Roots } from './roots.js';

export interface KubeletVersion {
  major: number;
  minor: number;
  patch: number;
  /** as found: `v1.29.3`, `1.28.6-1.1`, `v1.30.2+k3s1` */
  text: string;
  /** where: `/var/lib/dpkg/status (package kubelet)`, `exe path`, ... */
  source: string;
}

/** `v1.29.3`, `1.29.3-1.1`, `v1.28.9+k3s1`, `v1.30.2-rke2r1` → the numbers; null when it is no Kubernetes version. */
export function parseKubeVersion(text: string, source: string): KubeletVersion | null {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:[-+~][0-9A-Za-z.+~-]*)?$/.exec(text.trim());
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), text: text.trim(), source };
}

const PROC_SUPER_MAGIC = 0x9fa0;

/**
 * The kubelet binary as a local path: /proc/<pid>/exe on a live /proc (the kernel's link reaches the binary
 * even in another mount namespace); in a fixture tree the link's target read under the host root.
 */
function exeFile(roots: Roots, proc: KubeletProcess): string | null {
  const link = path.join(roots.procRoot, String(proc.pid), 'exe');
  try {
    if (statfsSync(roots.procRoot).type === PROC_SUPER_MAGIC) return link;
  } catch {
    return null;
  }
  try {
    return hostPath(roots, readlinkSync(link));
  } catch {
    return null;
  }
}

const BUILDINFO_MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');

/**
 * Go's build information of an ELF64 binary (Go ≥ 1.18 layout, debug/buildinfo): the `.go.buildinfo` section,
 * found through the section headers, so only a few KiB are read however large the binary. Returns the Go
 * version and the module lines (`path`, `mod`, `dep`, `build`), or null for anything else.
 */
export function goBuildInfo(file: string): { goVersion: string; lines: string[] } | null {
  const read = (offset: number, length: number): Buffer => readHostFile(file, { maxBytes: 4 << 20, range: { offset, length } });
  const eh = read(0, 64);
  if (eh.length < 64 || eh.readUInt32BE(0) !== 0x7f454c46 || eh[4] !== 2 || eh[5] !== 1) return null; // ELF, 64-bit, little endian
  const shoff = Number(eh.readBigUInt64LE(0x28));
  const shentsize = eh.readUInt16LE(0x3a);
  const shnum = eh.readUInt16LE(0x3c);
  const shstrndx = eh.readUInt16LE(0x3e);
  if (shentsize !== 64 || shnum === 0 || shnum > 4096 || shstrndx >= shnum) return null;
  const sh = read(shoff, shnum * 64);
  if (sh.length < shnum * 64) return null;
  const section = (i: number) => ({ name: sh.readUInt32LE(i * 64), offset: Number(sh.readBigUInt64LE(i * 64 + 0x18)), size: Number(sh.readBigUInt64LE(i * 64 + 0x20)) });
  const strtab = section(shstrndx);
  const names = read(strtab.offset, Math.min(strtab.size, 64 * 1024));
  for (let i = 0; i < shnum; i++) {
    const s = section(i);
    const end = names.indexOf(0, s.name);
    if (names.toString('latin1', s.name, end < 0 ? undefined : end) !== '.go.buildinfo') continue;
    const data = read(s.offset, Math.min(s.size, 4 << 20));
    if (data.length < 32 || !data.subarray(0, 14).equals(BUILDINFO_MAGIC) || (data[15]! & 2) === 0) return null; // before Go 1.18: pointers, not inline strings
    let pos = 32;
    const str = (): Buffer | null => {
      let n = 0;
      for (let shift = 0; ; shift += 7) {
        if (pos >= data.length || shift > 28) return null;
        const b = data[pos++]!;
        n |= (b & 0x7f) << shift;
        if (b < 0x80) break;
      }
      if (pos + n > data.length) return null;
      const bytes = data.subarray(pos, pos + n);
      pos += n;
      return bytes;
    };
    const goVersion = str();
    const mod = str();
    if (goVersion === null || mod === null) return null;
    // the module text is framed by 16 sentinel bytes on each side
    const text = (mod.length >= 32 ? mod.subarray(16, mod.length - 16) : mod).toString('utf8');
    return { goVersion: goVersion.toString('utf8'), lines: text.split('\n').filter(Boolean) };
  }
  return null;
}

/** A Kubernetes version in Go build info: `-ldflags` with gitVersion, or a kubelet embedded as the k8s.io/kubernetes module (k3s). */
export function versionFromBuildInfo(lines: readonly string[], source: string): KubeletVersion | null {
  for (const l of lines) {
    const ld = /^build\t-ldflags=.*?(?:component-base\/version|pkg\/version)\.gitVersion=(v\d+\.\d+\.\d+[0-9A-Za-z.+-]*)/.exec(l);
    if (ld) return parseKubeVersion(ld[1]!, `${source}, Go build info -ldflags`);
  }
  for (const l of lines) {
    // `dep k8s.io/kubernetes v1.28.9` or with a replacement `=> github.com/k3s-io/kubernetes v1.28.9-k3s1`
    const dep = /^dep\tk8s\.io\/kubernetes\t(v[^\t]+)/.exec(l);
    if (dep && dep[1] !== 'v0.0.0') return parseKubeVersion(dep[1]!, `${source}, Go build info (module k8s.io/kubernetes)`);
  }
  return null;
}

/** `Version:` of the installed `kubelet` package in dpkg's status file. */
export function dpkgVersion(status: string, pkg: string): string | null {
  for (const para of status.split(/\n\n+/)) {
    if (!new RegExp(`^Package: ${pkg}$`, 'm').test(para)) continue;
    if (!/^Status: install ok installed$/m.test(para)) continue;
    return /^Version: (\S+)$/m.exec(para)?.[1] ?? null;
  }
  return null;
}

/**
 * The kubelet's version, or null with nothing found (the caller then assumes ≥ 1.29 and says so). Sources,
 * cheapest first: the versioned path RKE2 runs it from; kind's /kind/version in the node; the MicroK8s snap's
 * meta/snap.yaml; dpkg's status (kubeadm from pkgs.k8s.io); the binary's Go build info.
 */
export function findKubeletVersion(roots: Roots, proc: KubeletProcess | null, distribution: Distribution | null): KubeletVersion | null {
  const text = (local: string, cap: number): string | null => {
    try {
      return readHostText(local, cap);
    } catch (err) {
      if (err instanceof HostFileError) return null;
      throw err;
    }
  };
  if (proc !== null) {
    // RKE2: /var/lib/rancher/rke2/data/v1.29.3-rke2r1-<hash>/bin/kubelet
    const rke2 = /\/rancher\/rke2\/data\/(v\d+\.\d+\.\d+[^/]*?)-[0-9a-f]{6,}\//.exec(proc.exe ?? proc.argv[0] ?? '');
    if (rke2) return parseKubeVersion(rke2[1]!, `RKE2 data directory ${path.posix.dirname(path.posix.dirname(proc.exe ?? proc.argv[0]!))}`);
    if (proc.ownRoot !== null) {
      const kind = text(path.join(proc.ownRoot, 'kind/version'), 1024);
      if (kind !== null) return parseKubeVersion(kind, '/kind/version in the node');
    }
    if (distribution === 'MicroK8s') {
      const rev = /\/snap\/microk8s\/([^/]+)\//.exec(proc.exe ?? proc.argv[0] ?? '')?.[1] ?? 'current';
      const snap = text(hostPath(roots, `/snap/microk8s/${rev}/meta/snap.yaml`), 1 << 20);
      const v = snap === null ? null : /^version:\s*['"]?([^'"\s]+)/m.exec(snap)?.[1];
      if (v) return parseKubeVersion(v, `/snap/microk8s/${rev}/meta/snap.yaml`);
    }
  }
  const status = text(hostPath(roots, '/var/lib/dpkg/status'), 64 << 20);
  const deb = status === null ? null : dpkgVersion(status, 'kubelet');
  if (deb !== null) return parseKubeVersion(deb, '/var/lib/dpkg/status (package kubelet)');
  if (proc !== null) {
    const exe = exeFile(roots, proc);
    if (exe !== null) {
      try {
        const bi = goBuildInfo(exe);
        if (bi !== null) return versionFromBuildInfo(bi.lines, `${path.posix.basename(proc.exe ?? 'kubelet')} binary`);
      } catch (err) {
        if (!(err instanceof HostFileError)) throw err;
      }
    }
  }
  return null;
}
