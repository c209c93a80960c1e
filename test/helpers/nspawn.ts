// A Debian 12 machine with systemd as PID 1, booted with systemd-nspawn: the root filesystem is made
// once with debootstrap and cached under /var/cache/memrec-nspawn (about 80 s and 250 MB the first
// time); every boot runs on a throw-away overlay of it (--volatile=overlay), so each test starts from
// the same clean system. The host need not run systemd (--register=no --keep-unit).
// A boot runs `/opt/check/run` (bound in by the caller) as a oneshot service after multi-user.target,
// with /out bound read-write for its results, then powers the machine off.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { requireTool } from './tools.js';

export const NSPAWN_CACHE = process.env['MEMREC_NSPAWN_CACHE'] ?? '/var/cache/memrec-nspawn';

const SUITE = 'bookworm';
// nodejs is Debian 12's own Node 18: the machine's /usr/bin/node is the old node memrec must refuse
const PACKAGES = ['systemd', 'systemd-sysv', 'dbus', 'procps', 'nodejs'];

const CHECK_UNIT = `[Unit]
Description=memrec test: run /opt/check/run, then power off
After=multi-user.target
ConditionPathExists=/opt/check/run

[Service]
Type=oneshot
ExecStart=/bin/sh -c '/opt/check/run > /out/check.log 2>&1; echo $? > /out/check.status'
ExecStopPost=/bin/systemctl --no-block poweroff
StandardOutput=journal+console

[Install]
WantedBy=multi-user.target
`;

/** The recipe's hash names the cached root, so a change of packages or harness builds a new one. */
function rootPath(): string {
  const key = createHash('sha256').update(JSON.stringify([SUITE, PACKAGES, CHECK_UNIT])).digest('hex').slice(0, 12);
  return path.join(NSPAWN_CACHE, `${SUITE}-${key}`);
}

/** The mirror this machine's apt uses (deb822 or one-line sources), else debootstrap's default. */
function mirror(): string[] {
  for (const f of ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list']) {
    if (!existsSync(f)) continue;
    const text = readFileSync(f, 'utf8');
    const m = /^URIs:\s*(\S+)/m.exec(text) ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+\s+main/m.exec(text);
    if (m && !/security/.test(m[1]!)) return [m[1]!];
  }
  return [];
}

/** The cached root filesystem, built now if missing. Needs root; installs debootstrap and systemd-container if absent. */
export function ensureBootableRoot(): string {
  requireTool('systemd-nspawn');
  requireTool('debootstrap');
  const root = rootPath();
  if (existsSync(path.join(root, 'etc', 'systemd', 'system', 'memrec-check.service'))) return root;
  mkdirSync(NSPAWN_CACHE, { recursive: true, mode: 0o755 });
  // built aside and renamed into place, so an interrupted or concurrent build never leaves half a root
  const tmp = `${root}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  try {
    const r = spawnSync('debootstrap', ['--variant=minbase', `--include=${PACKAGES.join(',')}`, SUITE, tmp, ...mirror()], { encoding: 'utf8', timeout: 20 * 60_000 });
    if (r.status !== 0) throw new Error(`debootstrap ${SUITE} ${tmp} failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`);
    writeFileSync(path.join(tmp, 'etc', 'hostname'), 'memrec-test\n');
    const unit = path.join(tmp, 'etc', 'systemd', 'system', 'memrec-check.service');
    writeFileSync(unit, CHECK_UNIT);
    const wants = path.join(tmp, 'etc', 'systemd', 'system', 'multi-user.target.wants');
    mkdirSync(wants, { recursive: true });
    spawnSync('ln', ['-sf', '/etc/systemd/system/memrec-check.service', path.join(wants, 'memrec-check.service')]);
    // mount points for the binds, so the overlay need not create them
    for (const d of ['opt/check', 'opt/memrec', 'opt/node/bin', 'out']) mkdirSync(path.join(tmp, d), { recursive: true, mode: 0o755 });
    writeFileSync(path.join(tmp, 'opt', 'node', 'bin', 'node'), '', { mode: 0o755 });
    try {
      renameSync(tmp, root);
    } catch (err) {
      if (!existsSync(root)) throw err; // someone else finished first: use theirs
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return root;
}

export interface Boot {
  /** nspawn's exit status (0 after a clean poweroff) */
  status: number | null;
  /** the console: boot messages and the check's output */
  console: string;
  /** exit status of /opt/check/run, null if it never finished */
  checkStatus: number | null;
  /** what /opt/check/run printed */
  checkLog: string;
}

/**
 * Boot `root` on a throw-away overlay with `binds` (host path → machine path, read-only) and `out`
 * read-write at /out; `check` is bound at /opt/check and must hold an executable `run`. `capabilities`
 * are added to nspawn's bounding set for the machine (it leaves out CAP_SYSLOG, for one).
 */
export function boot(root: string, opts: { check: string; out: string; binds: Record<string, string>; capabilities?: string[]; timeoutMs?: number }): Boot {
  const args = ['-q', '-D', root, '-b', '--register=no', '--keep-unit', '--volatile=overlay', `--bind-ro=${opts.check}:/opt/check`, `--bind=${opts.out}:/out`];
  if (opts.capabilities?.length) args.push(`--capability=${opts.capabilities.join(',')}`);
  for (const [from, to] of Object.entries(opts.binds)) args.push(`--bind-ro=${from}:${to}`);
  const made = nspawnCgroups().filter((d) => !existsSync(d));
  let r: SpawnSyncReturns<string>;
  try {
    r = spawnSync('systemd-nspawn', args, { encoding: 'utf8', timeout: opts.timeoutMs ?? 5 * 60_000, killSignal: 'SIGKILL' });
  } finally {
    for (const d of made) if (existsSync(d)) removeTree(d);
  }
  const left = made.filter((d) => existsSync(d));
  if (left.length > 0) throw new Error(`systemd-nspawn left cgroups that could not be removed (a process is still in them): ${left.join(', ')}`);
  const read = (f: string): string | null => (existsSync(path.join(opts.out, f)) ? readFileSync(path.join(opts.out, f), 'utf8') : null);
  const st = read('check.status');
  return { status: r.status, console: `${r.stdout}${r.stderr}${r.error ? `\n${r.error.message}` : ''}`, checkStatus: st === null ? null : Number(st.trim()), checkLog: read('check.log') ?? '' };
}

/**
 * The cgroups nspawn makes with --keep-unit: `payload` (the machine, with its init.scope) and `supervisor`
 * (nspawn itself) below the caller's own cgroup, in the systemd and unified hierarchies. They outlive the
 * machine, empty: a boot removes those it made.
 */
function nspawnCgroups(): string[] {
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const m = /^\d+:(name=systemd|):(.*)$/.exec(line);
    if (m === null) continue;
    const base = path.join('/sys/fs/cgroup', m[1] === '' ? 'unified' : 'systemd', m[2]!);
    out.push(path.join(base, 'payload'), path.join(base, 'supervisor'));
  }
  return out;
}

/** rmdir a cgroup and the cgroups below it, deepest first; one still holding a process stays. */
function removeTree(dir: string): void {
  for (const e of readdirSync(dir)) {
    const sub = path.join(dir, e);
    if (statSync(sub).isDirectory()) removeTree(sub);
  }
  try {
    rmdirSync(dir);
  } catch {
    /* busy: a process is still in it */
  }
}
