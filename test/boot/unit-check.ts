// Runs INSIDE the booted Debian 12 machine of test/systemd-boot.test.ts (systemd is PID 1 there), with
// Node 20 at /opt/node/bin/node, memrec as installed at /opt/memrec, and /out for the results. It drives
// the unit as an administrator would and writes what it saw to /out/result.json; the test judges it.
// Node builtins only (and machine.ts, copied beside it): nothing else of the checkout is in the machine.
import { existsSync, lstatSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { run, show, waitFor } from './machine.js';

const NODE = '/opt/node/bin/node';
const BIN = '/opt/memrec/dist/src/cli/bin.js';
const DB = '/var/lib/memrec/memrec.db';
const timeouts: string[] = [];
const result: Record<string, unknown> = { timeouts };

const memrec = (args: string[]) => run(NODE, [BIN, ...args]);



interface Event { at: string; type: string; details: Record<string, unknown> }
function events(): Event[] {
  const r = memrec(['events', '--since', '1d', '--db', DB, '--format', 'json']);
  return r.status === 0 ? (JSON.parse(r.stdout) as Event[]) : [];
}
function snapshotIds(): number[] {
  const r = memrec(['query', '--since', '1d', '--db', DB, '--format', 'json']);
  return r.status === 0 ? [...new Set((JSON.parse(r.stdout) as Array<{ snapshotId: number }>).map((x) => x.snapshotId))] : [];
}
const starts = () => events().filter((e) => e.type === 'recorder_start').length;

/** The main process as the kernel sees it. */
function mainProcess(): Record<string, string> | null {
  const pid = show('MainPID');
  if (pid === '' || pid === '0') return null;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (k: string) => new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(status)?.[1]?.trim() ?? '';
    return { pid, uid: field('Uid'), gid: field('Gid'), capEff: field('CapEff'), capPrm: field('CapPrm'), capAmb: field('CapAmb'), capBnd: field('CapBnd'), cmdline: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim() };
  } catch {
    return null;
  }
}

/** Running and recording: `memrec status` says 0 and the recorder's start event names the main pid. */
function recordingAs(pid: string): boolean {
  return memrec(['status', '--db', DB]).status === 0 && events().some((e) => e.type === 'recorder_start' && String(e.details['pid']) === pid);
}

// Debian 12's own node (18) must be refused in one line
result['oldNode'] = { version: run('/usr/bin/node', ['--version']).stdout.trim(), run: run('/usr/bin/node', [BIN, '--version']) };

result['install'] = memrec(['install-service', '--node', NODE]);
result['stateDirAfterInstall'] = existsSync('/var/lib/memrec');
result['daemonReload'] = run('systemctl', ['daemon-reload']);
result['start'] = run('systemctl', ['start', 'memrec.service']);
const first = waitFor(timeouts, 'first recording', 60_000, () => {
  const p = mainProcess();
  return p && recordingAs(p['pid']!) ? p : null;
});
result['first'] = first;
// without libnss-systemd (not in a minimal Debian) ps shows the number; PID 1 keeps the name here
const euid = first ? first['uid']!.split(/\s+/)[1]! : '';
result['userName'] = dynamicUserName(euid);
function dynamicUserName(uid: string): string | null {
  try {
    return readlinkSync(`/run/systemd/dynamic-uid/direct:${uid}`);
  } catch {
    return null;
  }
}
const lnk = '/var/lib/memrec';
result['stateLink'] = existsSync(lnk) && lstatSync(lnk).isSymbolicLink() ? readlinkSync(lnk) : null;
result['privateDir'] = existsSync('/var/lib/private/memrec') ? { uid: statSync('/var/lib/private/memrec').uid, mode: statSync('/var/lib/private/memrec').mode & 0o777 } : null;
result['dbMode'] = existsSync(DB) ? statSync(DB).mode & 0o777 : null;
const beforeRestart = snapshotIds();
result['snapshotsBeforeRestart'] = beforeRestart;

// restart: a clean stop (recorder_stop), a new start, the same database
const startsBefore = starts();
result['restart'] = run('systemctl', ['restart', 'memrec.service']);
const second = waitFor(timeouts, 'recording after restart', 60_000, () => {
  const p = mainProcess();
  return p && p['pid'] !== first?.['pid'] && starts() > startsBefore && recordingAs(p['pid']!) ? p : null;
});
result['second'] = second;
result['snapshotsAfterRestart'] = snapshotIds();

// SIGKILL: no stop record can be written; Restart=always brings it back after RestartSec
const restartsBefore = Number(show('NRestarts'));
if (second) process.kill(Number(second['pid']), 'SIGKILL');
const third = waitFor(timeouts, 'recording after SIGKILL', 90_000, () => {
  const p = mainProcess();
  return p && p['pid'] !== second?.['pid'] && recordingAs(p['pid']!) ? p : null;
});
result['third'] = third;
result['nRestarts'] = { before: restartsBefore, after: Number(show('NRestarts')) };

// stop: recorder_stop is the last lifecycle event, the unit is inactive and succeeded
result['stop'] = run('systemctl', ['stop', 'memrec.service']);
result['afterStop'] = { activeState: show('ActiveState'), result: show('Result'), execMainStatus: show('ExecMainStatus') };
result['events'] = events().filter((e) => e.type === 'recorder_start' || e.type === 'recorder_stop').map((e) => ({ type: e.type, pid: e.details['pid'] ?? null, reason: e.details['reason'] ?? null }));
result['statusAfterStop'] = memrec(['status', '--db', DB]);
result['snapshotsAtEnd'] = snapshotIds();

writeFileSync('/out/journal-memrec.txt', run('journalctl', ['-u', 'memrec.service', '--no-pager', '-o', 'cat']).stdout);
writeFileSync('/out/journal.txt', run('journalctl', ['-b', '--no-pager']).stdout);
writeFileSync('/out/result.json', JSON.stringify(result, null, 2));
