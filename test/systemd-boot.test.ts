// The unit under a real systemd: a Debian 12 machine booted with systemd-nspawn (test/helpers/nspawn.ts).
// First boot: test/boot/unit-check.ts installs memrec's unit with `install-service`, starts, restarts,
// SIGKILLs and stops it. Second boot: test/boot/deb-check.ts installs the Debian package, whose
// maintainer scripts then meet a real systemd, and removes and purges it. Each writes what it saw; the
// assertions are here. memrec inside is this checkout as installed (packaging/stage.ts), run by this
// machine's Node 20; the machine's own /usr/bin/node is Debian's Node 18, which memrec must refuse.
// About 2.5 minutes the first time (debootstrap, cached in /var/cache/memrec-nspawn), then ~25 s a boot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stageInstalled } from '../packaging/stage.js';
import { buildTestDeb } from './helpers/deb.js';
import { requireTool } from './helpers/tools.js';
import { boot, ensureBootableRoot, type Boot } from './helpers/nspawn.js';
import { repoRoot } from './helpers/paths.js';
import type { Ran } from './boot/machine.js';

const isRoot = process.getuid?.() === 0;
const unitTemplate = readFileSync(path.join(repoRoot, 'systemd', 'memrec.service'), 'utf8');

// capability numbers of linux/capability.h for the ones the unit grants
const CAP_BITS: Record<string, number> = { CAP_DAC_READ_SEARCH: 2, CAP_SYS_PTRACE: 19, CAP_SYSLOG: 34 };

function capMask(names: string[]): string {
  let m = 0n;
  for (const n of names) {
    assert.ok(n in CAP_BITS, `capability ${n} has no bit in this test's table`);
    m |= 1n << BigInt(CAP_BITS[n]!);
  }
  return m.toString(16).padStart(16, '0');
}

/**
 * In `work`: memrec as installed (bound at /opt/memrec), the check directory (/opt/check) holding
 * test/boot/<script>.js, its helpers and a `run` that starts it with `node` (a path in the machine), and out/.
 */
function prepare(work: string, script: string, node: string): { memrec: string; check: string; out: string } {
  const memrec = path.join(work, 'memrec');
  stageInstalled(repoRoot, memrec);
  const check = path.join(work, 'check');
  mkdirSync(check, { mode: 0o755 });
  for (const f of [`${script}.js`, 'machine.js']) copyFileSync(path.join(repoRoot, 'dist', 'test', 'boot', f), path.join(check, f));
  writeFileSync(path.join(check, 'package.json'), '{"type":"module"}\n');
  writeFileSync(path.join(check, 'run'), `#!/bin/sh\nexec ${node} /opt/check/${script}.js\n`, { mode: 0o755 });
  const out = path.join(work, 'out');
  mkdirSync(out);
  return { memrec, check, out };
}

interface Proc { pid: string; uid: string; gid: string; capEff: string; capPrm: string; capAmb: string; capBnd: string; cmdline: string }
interface Result {
  timeouts: string[];
  oldNode: { version: string; run: Ran };
  install: Ran;
  stateDirAfterInstall: boolean;
  start: Ran;
  first: Proc | null;
  userName: string | null;
  stateLink: string | null;
  privateDir: { uid: number; mode: number } | null;
  dbMode: number | null;
  snapshotsBeforeRestart: number[];
  restart: Ran;
  second: Proc | null;
  snapshotsAfterRestart: number[];
  third: Proc | null;
  nRestarts: { before: number; after: number };
  stop: Ran;
  afterStop: { activeState: string; result: string; execMainStatus: string };
  events: Array<{ type: string; pid: number | null; reason: string | null }>;
  statusAfterStop: Ran;
  snapshotsAtEnd: number[];
}

test('memrec.service under systemd as PID 1 (Debian 12 in systemd-nspawn)', { skip: !isRoot && 'needs root: debootstrap and systemd-nspawn' }, async (t) => {
  const root = ensureBootableRoot();
  const work = mkdtempSync(path.join(os.tmpdir(), 'memrec-boot-'));
  chmodSync(work, 0o755); // the service's dynamic user walks through it to reach /opt/memrec
  let booted: Boot | undefined;
  try {
    const { memrec, check, out } = prepare(work, 'unit-check', '/opt/node/bin/node');
    // the host's /dev/kmsg and CAP_SYSLOG (nspawn drops it), so the unit's DeviceAllow=/dev/kmsg r and
    // AmbientCapabilities= are tried for real
    booted = boot(root, {
      check,
      out,
      binds: { [realpathSync(process.execPath)]: '/opt/node/bin/node', [memrec]: '/opt/memrec', '/dev/kmsg': '/dev/kmsg' },
      capabilities: ['CAP_SYSLOG'],
    });
    const b = booted;
    const context = (): string => `\n--- check.log ---\n${b.checkLog.slice(-3000)}\n--- console ---\n${b.console.slice(-3000)}`;
    assert.equal(b.checkStatus, 0, `the check inside the machine failed or never ran${context()}`);
    assert.equal(b.status, 0, `systemd-nspawn did not end with a clean poweroff${context()}`);
    const r = JSON.parse(readFileSync(path.join(out, 'result.json'), 'utf8')) as Result;
    const journal = readFileSync(path.join(out, 'journal-memrec.txt'), 'utf8');
    const journalAll = readFileSync(path.join(out, 'journal.txt'), 'utf8');
    assert.deepEqual(r.timeouts, [], `waited in vain for: ${r.timeouts.join(', ')}\n--- journal -u memrec ---\n${journal.slice(-3000)}`);

    await t.test("Debian 12's own Node 18 is refused in one line", () => {
      assert.match(r.oldNode.version, /^v18\./);
      assert.equal(r.oldNode.run.status, 1);
      assert.equal(r.oldNode.run.stdout, '');
      assert.match(r.oldNode.run.stderr, /^memrec: needs Node\.js 20 or newer, but \/usr\/bin\/node(js)? is Node\.js 18\.[\d.]+; install Node\.js 20 \(README, "Install": .*\)\n$/);
    });

    await t.test('install-service writes the unit and leaves /var/lib/memrec to StateDirectory=', () => {
      assert.equal(r.install.status, 0, r.install.stderr);
      assert.equal(r.stateDirAfterInstall, false);
      assert.equal(r.start.status, 0, r.start.stderr);
      // systemd's words when it finds a plain state directory of a DynamicUser= service
      assert.deepEqual(journalAll.split('\n').filter((l) => /previously had DynamicUser= turned off|migrating to \/var\/lib\/private/i.test(l)), []);
      assert.equal(r.stateLink, 'private/memrec');
    });

    await t.test('it records as the dynamic user with exactly the three capabilities of the unit', () => {
      const p = r.first;
      assert.ok(p);
      const [ruid, euid] = p.uid.split(/\s+/).map(Number);
      assert.notEqual(ruid, 0);
      assert.notEqual(euid, 0);
      assert.ok(euid! >= 61184 && euid! <= 65519, `uid ${euid} is in systemd's dynamic range`);
      assert.equal(r.userName, 'memrec');
      const caps = /^AmbientCapabilities=(.*)$/m.exec(unitTemplate)![1]!.trim().split(/\s+/);
      const mask = capMask(caps);
      assert.deepEqual({ eff: p.capEff, prm: p.capPrm, amb: p.capAmb, bnd: p.capBnd }, { eff: mask, prm: mask, amb: mask, bnd: mask });
      assert.match(p.cmdline, /^\/opt\/node\/bin\/node --jitless .* \/opt\/memrec\/dist\/src\/cli\/bin\.js record --config \/etc\/memrec\/memrec\.yaml --db \/var\/lib\/memrec\/memrec\.db$/);
      assert.deepEqual(r.privateDir, { uid: euid, mode: 0o700 });
      assert.equal(r.dbMode, 0o600);
      assert.ok(r.snapshotsBeforeRestart.length >= 1, 'a snapshot at start');
    });

    await t.test('systemctl restart keeps the database: earlier snapshots are still there, a stop and a start between', () => {
      assert.equal(r.restart.status, 0, r.restart.stderr);
      assert.ok(r.second);
      for (const id of r.snapshotsBeforeRestart) assert.ok(r.snapshotsAfterRestart.includes(id), `snapshot ${id} kept`);
      assert.ok(r.snapshotsAfterRestart.length > r.snapshotsBeforeRestart.length, 'the new recorder added its start snapshot');
      const life = r.events.map((e) => `${e.type}${e.type === 'recorder_start' ? `:${e.pid}` : ''}`);
      assert.deepEqual(life.slice(0, 3), [`recorder_start:${r.first!.pid}`, 'recorder_stop', `recorder_start:${r.second.pid}`]);
      assert.equal(r.events[1]!.reason, 'SIGTERM');
    });

    await t.test('after SIGKILL, Restart=always brings it back (no stop record: it could not write one)', () => {
      assert.ok(r.third);
      assert.equal(r.nRestarts.after, r.nRestarts.before + 1);
      const life = r.events.map((e) => `${e.type}${e.type === 'recorder_start' ? `:${e.pid}` : ''}`);
      assert.deepEqual(life.slice(2, 4), [`recorder_start:${r.second!.pid}`, `recorder_start:${r.third.pid}`]);
    });

    await t.test('systemctl stop ends it cleanly: recorder_stop stored, unit inactive with Result=success', () => {
      assert.equal(r.stop.status, 0, r.stop.stderr);
      assert.deepEqual(r.afterStop, { activeState: 'inactive', result: 'success', execMainStatus: '0' });
      assert.deepEqual(r.events.at(-1), { type: 'recorder_stop', pid: null, reason: 'SIGTERM' });
      assert.equal(r.events.length, 5);
      assert.notEqual(r.statusAfterStop.status, 0, 'status says the recorder is not running');
      for (const id of r.snapshotsAfterRestart) assert.ok(r.snapshotsAtEnd.includes(id), `snapshot ${id} kept`);
    });

    await t.test("the journal holds memrec's own log lines", () => {
      assert.match(journal, /^level=info msg="recorder started" db=\/var\/lib\/memrec\/memrec\.db /m);
      assert.match(journal, /^level=info msg="recorder stopped" reason=SIGTERM /m);
      assert.equal(journal.match(/msg="recorder started"/g)?.length, 3);
      // /dev/kmsg opened as the dynamic user: DeviceAllow=/dev/kmsg r and CAP_SYSLOG suffice
      assert.doesNotMatch(journal, /cannot read kernel log/);
    });
  } finally {
    if (process.env['MEMREC_KEEP_BOOT'] && booted) process.stderr.write(`kept ${work}\n`);
    else rmSync(work, { recursive: true, force: true });
  }
});


interface DebResult {
  timeouts: string[];
  install: Ran;
  afterInstall: { enabled: string; version: string };
  recording: { uid: string | null; execStart: string } | null;
  remove: Ran;
  afterRemove: { activeState: string; binGone: boolean; dataKept: boolean; configKept: boolean; lastLifecycle: string | null };
  purge: Ran;
  afterPurge: string[];
}

test('the Debian package under systemd as PID 1: postinst enables and starts, remove stops and keeps data, purge deletes it', { skip: !isRoot && 'needs root: debootstrap and systemd-nspawn' }, async (t) => {
  for (const c of ['dpkg-shlibdeps', 'strip']) requireTool(c);
  const root = ensureBootableRoot();
  const work = mkdtempSync(path.join(os.tmpdir(), 'memrec-boot-deb-'));
  chmodSync(work, 0o755);
  try {
    const debDir = path.join(work, 'deb');
    const deb = buildTestDeb(debDir);
    const { memrec, check, out } = prepare(work, 'deb-check', '/usr/bin/node');
    // Node 20 over the machine's /usr/bin/node: the package's unit runs /usr/bin/node
    const b = boot(root, {
      check,
      out,
      binds: { [realpathSync(process.execPath)]: '/usr/bin/node', [memrec]: '/opt/memrec', [debDir]: '/opt/deb', '/dev/kmsg': '/dev/kmsg' },
      capabilities: ['CAP_SYSLOG'],
    });
    const context = (): string => `\n--- check.log ---\n${b.checkLog.slice(-3000)}\n--- console ---\n${b.console.slice(-3000)}`;
    assert.equal(b.checkStatus, 0, `the check inside the machine failed or never ran${context()}`);
    const r = JSON.parse(readFileSync(path.join(out, 'result.json'), 'utf8')) as DebResult;
    const journal = readFileSync(path.join(out, 'journal-memrec.txt'), 'utf8');
    assert.deepEqual(r.timeouts, [], `waited in vain for: ${r.timeouts.join(', ')}\n--- journal -u memrec ---\n${journal.slice(-3000)}\n--- dpkg -i ---\n${r.install.stdout}${r.install.stderr}`);

    await t.test('dpkg -i: the unit is enabled and started, memrec records as the dynamic user from /usr/lib/memrec', () => {
      assert.equal(r.install.status, 0, r.install.stderr);
      assert.equal(r.afterInstall.enabled, 'enabled');
      assert.equal(r.afterInstall.version, `memrec ${deb.version}`);
      assert.ok(r.recording);
      assert.notEqual(r.recording.uid, null);
      assert.notEqual(r.recording.uid, '0');
      assert.match(r.recording.execStart, /path=\/usr\/bin\/node ; argv\[\]=\/usr\/bin\/node --jitless .* \/usr\/lib\/memrec\/dist\/src\/cli\/bin\.js record /);
    });

    await t.test('dpkg --remove: prerm stopped it cleanly (recorder_stop), the code is gone, data and configuration kept', () => {
      assert.equal(r.remove.status, 0, r.remove.stderr);
      assert.deepEqual(r.afterRemove, { activeState: 'inactive', binGone: true, dataKept: true, configKept: true, lastLifecycle: 'recorder_start,recorder_stop' });
    });

    await t.test('dpkg --purge: the database, /etc/memrec and the unit links are gone', () => {
      assert.equal(r.purge.status, 0, r.purge.stderr);
      assert.deepEqual(r.afterPurge, []);
    });
  } finally {
    if (process.env['MEMREC_KEEP_BOOT']) process.stderr.write(`kept ${work}\n`);
    else rmSync(work, { recursive: true, force: true });
  }
});
