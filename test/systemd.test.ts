// The shipped unit against systemd's own tools, and its capability set against the real kernel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot, memrecBin } from './helpers/paths.js';
import { stagedBuild } from './helpers/staged.js';
import { requireTool } from './helpers/tools.js';
import { renderUnit } from '../src/service/unit.js';

const shipped = path.join(repoRoot, 'systemd', 'memrec.service');
const template = readFileSync(shipped, 'utf8');
const isRoot = process.getuid?.() === 0;

function tmpDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'memrec-systemd-'));
  chmodSync(d, 0o755);
  return d;
}

function exposure(unitFile: string): number {
  requireTool('systemd-analyze');
  const r = spawnSync('systemd-analyze', ['security', '--offline=true', unitFile], { encoding: 'utf8' });
  const m = /Overall exposure level for \S+: (\d+(?:\.\d+)?)/.exec(r.stdout + r.stderr);
  assert.ok(m, `no exposure figure in systemd-analyze output:\n${r.stdout}${r.stderr}`);
  return Number(m[1]);
}

/** All values of a directive, in order (a unit may repeat one). */
function directive(unit: string, key: string): string[] {
  return unit.split('\n').filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1).trim());
}

function sizeBytes(v: string): number {
  const m = /^(\d+)([KMG]?)$/.exec(v);
  assert.ok(m, `size ${v}`);
  return Number(m[1]) * 1024 ** ' KMG'.indexOf(m[2] || ' ');
}

test('systemd-analyze security rates the shipped unit at most 2.0', () => {
  const e = exposure(shipped);
  assert.ok(e <= 2.0, `exposure ${e} > 2.0`);
});

test('an unhardened unit scores above 2.0, so the figure is really parsed', () => {
  const d = tmpDir();
  try {
    writeFileSync(path.join(d, 'bare.service'), '[Service]\nExecStart=/bin/true\n');
    assert.ok(exposure(path.join(d, 'bare.service')) > 9);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('systemd-analyze verify is clean for the unit rendered with this node and this bin.js', () => {
  const d = tmpDir();
  try {
    const unit = path.join(d, 'memrec.service');
    writeFileSync(unit, renderUnit(template, { node: process.execPath, bin: memrecBin }));
    requireTool('systemd-analyze');
    const r = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.stderr.trim(), '');
    assert.equal(r.status, 0);
    assert.ok(exposure(unit) <= 2.0);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('systemd-analyze verify accepts paths with spaces, % and $ as install-service quotes them', () => {
  const d = tmpDir();
  try {
    const odd = path.join(d, 'node 20 %i $HOME');
    mkdirSync(odd);
    symlinkSync(process.execPath, path.join(odd, 'node'));
    const unit = path.join(d, 'memrec.service');
    writeFileSync(unit, renderUnit(template, { node: path.join(odd, 'node'), bin: memrecBin }));
    requireTool('systemd-analyze');
    const r = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.stderr.trim(), '');
    assert.equal(r.status, 0);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('systemd-analyze verify fails when ExecStart points nowhere, so the clean result above means something', () => {
  const d = tmpDir();
  try {
    const unit = path.join(d, 'memrec.service');
    writeFileSync(unit, renderUnit(template, { node: path.join(d, 'no-node'), bin: memrecBin }));
    requireTool('systemd-analyze');
    const r = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8', timeout: 60_000 });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /no-node/);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('the unit keeps what the recorder needs: every pid, /dev/kmsg, no kill loop, no JIT', () => {
  const one = (k: string): string => {
    const v = directive(template, k);
    assert.equal(v.length, 1, `${k} set ${v.length} times`);
    return v[0]!;
  };
  const caps = ['CAP_DAC_READ_SEARCH', 'CAP_SYSLOG', 'CAP_SYS_PTRACE'];
  assert.deepEqual(one('CapabilityBoundingSet').split(/\s+/).sort(), caps);
  assert.deepEqual(one('AmbientCapabilities').split(/\s+/).sort(), caps);
  assert.equal(one('ProtectKernelLogs'), 'no');
  assert.equal(one('ProtectProc'), 'default');
  assert.equal(one('ProcSubset'), 'all');
  assert.equal(one('PrivateUsers'), 'no');
  assert.deepEqual(directive(template, 'PrivateDevices'), []);
  assert.equal(one('DeviceAllow'), '/dev/kmsg r');
  assert.equal(one('Restart'), 'always');
  assert.equal(one('UMask'), '0077');
  assert.equal(one('StateDirectoryMode'), '0700');
  assert.ok(Number(one('OOMScoreAdjust')) < -500);
  // MemoryDenyWriteExecute=yes is only safe because node runs jitless
  assert.equal(one('MemoryDenyWriteExecute'), 'yes');
  assert.match(one('ExecStart'), / --jitless .* record /);
  const high = sizeBytes(one('MemoryHigh'));
  const max = sizeBytes(one('MemoryMax'));
  assert.ok(high >= 2 * 60 * 1024 ** 2 && max >= 4 * 60 * 1024 ** 2 && max > high, `MemoryHigh ${high} MemoryMax ${max}`);
});

/**
 * Run a node script as nobody holding exactly `caps`, as the unit's dynamic user would.
 * The script prints one JSON object.
 */
function asNobody(caps: string[], script: string): Record<string, string> {
  const set = ['-all', ...caps.map((c) => '+' + c.replace(/^CAP_/, '').toLowerCase())].join(',');
  const r = spawnSync(
    'setpriv',
    ['--reuid=65534', '--regid=65534', '--clear-groups', `--inh-caps=${set}`, `--ambient-caps=${set}`, `--bounding-set=${set}`, stagedBuild().node, '-e', script],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, string>;
}

test('the unit\'s capabilities are each needed and together sufficient (setpriv as nobody)', { skip: !isRoot && 'needs root' }, async () => {
  const caps = directive(template, 'AmbientCapabilities')[0]!.split(/\s+/);
  const d = tmpDir();
  // a root-owned process in a private directory, like a kubelet config under /var/lib/kubelet (0750)
  const secret = path.join(d, 'kubelet');
  mkdirSync(secret, { mode: 0o750 });
  chmodSync(secret, 0o750);
  writeFileSync(path.join(secret, 'config.yaml'), 'evictionHard: {memory.available: 500Mi}\n', { mode: 0o644 });
  const child = spawn('sleep', ['60'], { cwd: secret, stdio: 'ignore' });
  const dmesgRestricted = readFileSync('/proc/sys/kernel/dmesg_restrict', 'utf8').trim() === '1';
  const script = `
    const fs = require('fs'); const out = {};
    const t = (k, f) => { try { f(); out[k] = 'ok'; } catch (e) { out[k] = e.code; } };
    t('cwd', () => fs.readlinkSync('/proc/${child.pid}/cwd'));
    t('exe', () => fs.readlinkSync('/proc/${child.pid}/exe'));
    t('cmdline', () => fs.readFileSync('/proc/${child.pid}/cmdline'));
    t('kmsg', () => fs.closeSync(fs.openSync('/dev/kmsg', fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)));
    t('kubelet', () => fs.readFileSync(${JSON.stringify(path.join(secret, 'config.yaml'))}));
    console.log(JSON.stringify(out));`;
  try {
    const all = asNobody(caps, script);
    assert.deepEqual(all, { cwd: 'ok', exe: 'ok', cmdline: 'ok', kmsg: 'ok', kubelet: 'ok' });
    const without = (cap: string): Record<string, string> => asNobody(caps.filter((c) => c !== cap), script);
    assert.equal(without('CAP_SYS_PTRACE').cwd, 'EACCES');
    assert.equal(without('CAP_SYS_PTRACE').exe, 'EACCES');
    if (dmesgRestricted) assert.equal(without('CAP_SYSLOG').kmsg, 'EPERM');
    assert.equal(without('CAP_DAC_READ_SEARCH').kubelet, 'EACCES');
    // cmdline is world-readable: no capability buys it
    assert.equal(asNobody([], script).cmdline, 'ok');
  } finally {
    child.kill('SIGKILL');
    rmSync(d, { recursive: true, force: true });
  }
});

test('as the unit\'s user, memrec reads a 0700 /etc/memrec/memrec.yaml through CAP_DAC_READ_SEARCH', {
  skip: (!isRoot && 'needs root') || (existsSync('/etc/memrec') && '/etc/memrec exists on this machine: not touching a real configuration'),
}, () => {
  // access(2), and so existsSync, ignores capabilities: the loader must read the file to know it is there.
  const caps = directive(template, 'AmbientCapabilities')[0]!.split(/\s+/);
  mkdirSync('/etc/memrec', { mode: 0o700 });
  try {
    chmodSync('/etc/memrec', 0o700);
    writeFileSync('/etc/memrec/memrec.yaml', 'top: 7\n', { mode: 0o600 });
    // the staged build: the checkout itself may be in a directory nobody cannot enter
    const script = `
      const r = require('child_process').spawnSync(process.execPath, [${JSON.stringify(stagedBuild().bin)}, 'config', '--json'], { encoding: 'utf8' });
      console.log(JSON.stringify({ status: String(r.status), out: r.stdout, err: r.stderr }));`;
    const r = asNobody(caps, script);
    assert.equal(r['status'], '0', r['err']);
    const top = (JSON.parse(r['out']!) as { options: { top: { value: number; source: string } } }).options.top;
    assert.deepEqual([top.value, top.source], [7, 'file']);
  } finally {
    rmSync('/etc/memrec', { recursive: true, force: true });
  }
});
