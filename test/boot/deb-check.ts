// Runs INSIDE the booted Debian 12 machine of test/systemd-boot.test.ts: installs memrec's .deb (bound at
// /opt/deb) with dpkg, so that its maintainer scripts meet a real systemd, then removes and purges it.
// Node 20 is bound over /usr/bin/node (the package's unit runs /usr/bin/node; the machine's own nodejs is
// 18, so dpkg is told to ignore that dependency). The checkout as installed is at /opt/memrec, to read the
// database once the package is gone. Node builtins only (and machine.ts); results in /out/result.json.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { run, show, waitFor } from './machine.js';

const DB = '/var/lib/memrec/memrec.db';
const timeouts: string[] = [];
const result: Record<string, unknown> = { timeouts };

const memrec = (args: string[]) => run('/usr/bin/node', ['/opt/memrec/dist/src/cli/bin.js', ...args]);



function mainUid(): string | null {
  const pid = show('MainPID');
  if (pid === '' || pid === '0') return null;
  try {
    return /^Uid:\s*\d+\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}

const deb = readdirSync('/opt/deb').find((f) => f.endsWith('.deb'))!;
result['install'] = run('dpkg', ['--force-depends', '-i', `/opt/deb/${deb}`]);
result['afterInstall'] = {
  enabled: run('systemctl', ['is-enabled', 'memrec.service']).stdout.trim(),
  version: run('/usr/bin/memrec', ['--version']).stdout.trim(),
};
// postinst started it: recording as the dynamic user from the package's files
result['recording'] = waitFor(timeouts, 'recording after install', 60_000, () => (run('/usr/bin/memrec', ['status', '--db', DB]).status === 0 ? { uid: mainUid(), execStart: show('ExecStart') } : null));

result['remove'] = run('dpkg', ['--remove', 'memrec']);
result['afterRemove'] = {
  activeState: show('ActiveState'),
  binGone: !existsSync('/usr/bin/memrec'),
  dataKept: existsSync('/var/lib/private/memrec/memrec.db'),
  configKept: existsSync('/etc/memrec/memrec.yaml'),
  lastLifecycle: ((): string | null => {
    const r = memrec(['events', '--since', '1d', '--db', '/var/lib/private/memrec/memrec.db', '--format', 'json']);
    if (r.status !== 0) return null;
    const life = (JSON.parse(r.stdout) as Array<{ type: string }>).filter((e) => e.type === 'recorder_start' || e.type === 'recorder_stop');
    return life.map((e) => e.type).join(',');
  })(),
};

result['purge'] = run('dpkg', ['--purge', 'memrec']);
result['afterPurge'] = ['/var/lib/memrec', '/var/lib/private/memrec', '/etc/memrec', '/etc/systemd/system/multi-user.target.wants/memrec.service', '/etc/systemd/system/memrec.service'].filter((p) => existsSync(p) || run('test', ['-L', p]).status === 0);

writeFileSync('/out/journal-memrec.txt', run('journalctl', ['-u', 'memrec.service', '--no-pager', '-o', 'cat']).stdout);
writeFileSync('/out/result.json', JSON.stringify(result, null, 2));
