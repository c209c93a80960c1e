// The programs the tests run besides node, in one table: which Debian package has each, and which tests
// need it. `npm test` installs the missing ones first when it runs as root (test/setup.ts); a test whose
// program is still missing fails with one line saying how to get it. Never a silent skip.
import { spawnSync } from 'node:child_process';

export interface Tool {
  command: string;
  /** the Debian package that installs `command` */
  pkg: string;
  /** what needs it, for the line the setup prints */
  for: string;
}

export const TOOLS: readonly Tool[] = [
  { command: 'chromium', pkg: 'chromium', for: 'the HTML report in a headless browser' },
  { command: 'promtool', pkg: 'prometheus', for: 'the Prometheus textfile check' },
  { command: 'ps', pkg: 'procps', for: 'the collector cross-check' },
  { command: 'systemd-analyze', pkg: 'systemd', for: 'the unit checks' },
  { command: 'python3', pkg: 'python3', for: 'the growers of the real-kernel tests' },
  { command: 'setpriv', pkg: 'util-linux', for: 'running as nobody with capabilities' },
  { command: 'runuser', pkg: 'util-linux', for: 'running as nobody' },
  { command: 'mount', pkg: 'mount', for: 'the full-disk tests on a tmpfs' },
  { command: 'systemd-nspawn', pkg: 'systemd-container', for: 'booting a Debian 12 machine for the unit and package tests' },
  { command: 'debootstrap', pkg: 'debootstrap', for: 'the booted machine\'s root filesystem' },
  { command: 'dpkg-shlibdeps', pkg: 'dpkg-dev', for: 'the Debian package build' },
  { command: 'strip', pkg: 'binutils', for: 'the Debian package build' },
  { command: 'jq', pkg: 'jq', for: 'the README examples that pipe JSON into jq' },
  { command: 'faketime', pkg: 'faketime', for: 'the README examples, run at the morning after the recorded night' },
  { command: 'groff', pkg: 'groff-base', for: 'rendering the man page with every warning on' },
  { command: 'man', pkg: 'man-db', for: "man --warnings on the generated man page" },
  { command: 'zsh', pkg: 'zsh', for: 'loading the zsh completion with compinit' },
];

export function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', 'command -v "$1" >/dev/null 2>&1', 'sh', command]).status === 0;
}

export function toolNamed(command: string): Tool {
  const t = TOOLS.find((x) => x.command === command);
  if (t === undefined) throw new Error(`${command} is not in test/helpers/tools.ts TOOLS: add it there, so that npm test installs it`);
  return t;
}

/** The one line a test fails with when `command` is not there. */
export function missingLine(t: Tool): string {
  return `${t.command} is missing (${t.for}): run npm test as root to install it, or apt-get install ${t.pkg}`;
}

/** Throws one line naming the program and how to get it, unless `command` is on PATH. */
export function requireTool(command: string): void {
  const t = toolNamed(command);
  if (!onPath(t.command)) throw new Error(missingLine(t));
}

export function say(line: string): void {
  process.stderr.write(`memrec tests: ${line}\n`);
}

function aptGet(args: string[]): { ok: boolean; why: string } {
  const r = spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', '-y', '-qq', ...args], {
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    timeout: 20 * 60_000,
  });
  const lines = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n');
  return { ok: r.status === 0, why: r.error?.message ?? lines.filter((l) => /^E:|error/i.test(l)).pop() ?? lines.pop() ?? '' };
}

/**
 * Install the packages of `tools` whose command is missing. Returns the tools still missing afterwards
 * (all of them when this is not root or not Debian). Quiet but for one line of what it does.
 */
export function installMissing(tools: readonly Tool[]): Tool[] {
  const missing = tools.filter((t) => !onPath(t.command));
  if (missing.length === 0) return [];
  const pkgs = [...new Set(missing.map((t) => t.pkg))];
  const what = missing.map((t) => `${t.command} (${t.for})`).join(', ');
  if (process.getuid?.() !== 0 || !onPath('apt-get')) {
    say(`missing ${what}; the tests that need them will fail. Run npm test as root to install them, or: apt-get install ${pkgs.join(' ')}`);
    return missing;
  }
  say(`installing Debian packages ${pkgs.join(' ')} for ${what}`);
  const u = aptGet(['update']);
  if (!u.ok) say(`apt-get update failed: ${u.why}`);
  const i = aptGet(['install', '--no-install-recommends', ...pkgs]);
  if (!i.ok && pkgs.length > 1) {
    // one package apt cannot find fails the whole line: install the others one by one
    for (const p of pkgs) {
      const one = aptGet(['install', '--no-install-recommends', p]);
      if (!one.ok) say(`apt-get install ${p} failed: ${one.why}`);
    }
  } else if (!i.ok) say(`apt-get install ${pkgs.join(' ')} failed: ${i.why}`);
  const still = missing.filter((t) => !onPath(t.command));
  for (const t of still) say(missingLine(t));
  return still;
}
