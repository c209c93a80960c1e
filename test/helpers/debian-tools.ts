// Debian tools a test needs (debootstrap, systemd-nspawn, dpkg-shlibdeps, ...): present, installed with
// apt-get when running as root, or a failure in one line saying how to get them. Never a silent skip.
import { spawnSync } from 'node:child_process';

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', 'command -v "$1" >/dev/null', 'sh', command]).status === 0;
}

function aptGet(args: string[]): { ok: boolean; why: string } {
  const r = spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', '-y', '-qq', ...args], {
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    timeout: 15 * 60_000,
  });
  return { ok: r.status === 0, why: (r.stderr || r.error?.message || '').trim().split('\n').pop() ?? '' };
}

/**
 * Make sure `command` is on PATH, installing Debian package `pkg` (with --no-install-recommends) if it
 * is not. Throws one line naming the command, the package and the apt-get line when it cannot.
 */
export function ensureDebianPackage(pkg: string, command: string): void {
  if (onPath(command)) return;
  const how = `${command} is missing: apt-get install ${pkg} (Debian/Ubuntu), as root`;
  if (process.getuid?.() !== 0) throw new Error(`${how}; this test runs as uid ${process.getuid?.()} and cannot install it`);
  if (!onPath('apt-get')) throw new Error(`${how}; there is no apt-get here`);
  let r = aptGet(['install', '--no-install-recommends', pkg]);
  // a fresh machine or container has no package lists yet
  if (!r.ok) {
    const u = aptGet(['update']);
    if (!u.ok) throw new Error(`${how}; apt-get update failed: ${u.why}`);
    r = aptGet(['install', '--no-install-recommends', pkg]);
  }
  if (!r.ok) throw new Error(`${how}; apt-get install failed: ${r.why}`);
  if (!onPath(command)) throw new Error(`${how}; the package installed but ${command} is still not on PATH`);
}
