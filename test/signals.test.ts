// memrec record runs as root: no signal may open a debugger in it, and every signal a person or a tool
// sends it either stops it cleanly (recorder_stop stored) or is ignored and said. Tested on a real
// recorder process: listening sockets read from /proc/net/tcp{,6} by the inodes of its fds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { fixture, memrecBin, repoRoot } from './helpers/paths.js';
import { RecorderProcess, until, withStore } from './helpers/recorder.js';
import { runCli } from './helpers/run.js';

const dir = mkdtempSync(path.join(tmpdir(), 'memrec-signals-'));
const emptyConfig = path.join(dir, 'empty.yaml');
writeFileSync(emptyConfig, '');
test.after(() => rmSync(dir, { recursive: true, force: true }));
const ALL = { since: 0, until: Number.MAX_SAFE_INTEGER };

const recorders: RecorderProcess[] = [];
test.afterEach(async () => {
  for (const r of recorders.splice(0)) await r.stop('SIGKILL');
});

function record(db: string, env: NodeJS.ProcessEnv = {}): RecorderProcess {
  const r = new RecorderProcess(['--db', db, '--config', emptyConfig, '--host-root', fixture('v1-cgroupfs'), '--schedule', '* * * * * *', '--kmsg', path.join(dir, 'no-kmsg')], env);
  recorders.push(r);
  return r;
}

/** TCP sockets in LISTEN state held by `pid` (its fds' socket inodes looked up in /proc/net/tcp and tcp6). */
function listeningSockets(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      /* closed meanwhile */
    }
  }
  const out: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address st ... inode (field 9)
      if (f.length > 9 && f[3] === '0A' && inodes.has(f[9]!)) out.push(`${table} ${f[1]}`);
    }
  }
  return out;
}

function snapshotsIn(db: string): number {
  return withStore(db, (s) => s.snapshots(ALL).length);
}

test('the check can fail: plain node opens an inspector on SIGUSR1 and it is seen listening', async () => {
  // --inspect-port=0: where SIGUSR1 opens it, any free port (9229 may be taken)
  const child = spawn(process.execPath, ['--inspect-port=0', '-e', 'setInterval(() => {}, 1000)'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  try {
    await until('node to start', () => (readdirSync(`/proc/${child.pid}/fd`).length > 3 ? true : undefined));
    await new Promise((r) => setTimeout(r, 200));
    child.kill('SIGUSR1');
    await until('the inspector to listen', () => (listeningSockets(child.pid!).length > 0 ? true : undefined), 10_000);
    assert.match(err, /Debugger listening on ws:\/\/127\.0\.0\.1:\d+\//);
  } finally {
    child.kill('SIGKILL');
  }
});

test('SIGUSR1 and SIGUSR2 are logged and ignored: no debugger, no listening socket, the recorder keeps recording', async () => {
  const db = path.join(dir, 'usr.db');
  const rec = record(db);
  await rec.waitFor(/msg="recorder started"/);
  await until('a snapshot', () => (snapshotsIn(db) >= 1 ? true : undefined));
  rec.child.kill('SIGUSR1');
  await rec.waitFor(/msg="signal ignored" signal=SIGUSR1 why="memrec never opens a debugger"/);
  rec.child.kill('SIGUSR2');
  await rec.waitFor(/msg="signal ignored" signal=SIGUSR2/);
  const n = snapshotsIn(db);
  await until('two more snapshots after the signals', () => (snapshotsIn(db) >= n + 2 ? true : undefined), 20_000);
  assert.deepEqual(listeningSockets(rec.pid), []);
  assert.doesNotMatch(rec.out, /Debugger listening|inspector/i);
  assert.equal(rec.child.exitCode, null, 'still running');
  const end = await rec.stop('SIGTERM');
  assert.equal(end.code, 0);
});

test('SIGHUP stops the recorder cleanly: recorder_stop stored with the signal, exit 0', async () => {
  const db = path.join(dir, 'hup.db');
  const rec = record(db);
  await rec.waitFor(/msg="recorder started"/);
  await until('a snapshot', () => (snapshotsIn(db) >= 1 ? true : undefined));
  rec.child.kill('SIGHUP');
  const end = await rec.exit();
  assert.deepEqual(end, { code: 0, signal: null });
  const last = withStore(db, (s) => s.events(ALL, ['recorder_start', 'recorder_stop']).at(-1));
  assert.equal(last?.type, 'recorder_stop');
  assert.equal((last?.details as { reason: string }).reason, 'SIGHUP');
});

test('an inspector flag is refused, also through NODE_OPTIONS: exit 2, one line of memrec', async () => {
  const db = path.join(dir, 'inspect.db');
  // (--inspect-brk and --inspect-wait stop node before any of memrec runs: the unit and the DaemonSet drop NODE_OPTIONS)
  for (const env of [{ NODE_OPTIONS: '--inspect=127.0.0.1:0' }, { NODE_OPTIONS: '--max-old-space-size=100 --inspect=127.0.0.1:0' }]) {
    const r = runCli(['record', '--db', db, '--config', emptyConfig, '--host-root', fixture('v1-cgroupfs')], { env });
    assert.equal(r.status, 2, r.stderr);
    // node itself says "Debugger listening" before memrec runs; memrec's own line follows and it exits
    const mine = r.stderr.split('\n').filter((l) => l.startsWith('memrec'));
    assert.equal(mine.length, 1, r.stderr);
    assert.match(mine[0]!, /^memrec record: (a Node inspector is listening \(ws:\/\/127\.0\.0\.1:\d+\/|NODE_OPTIONS holds --inspect).*; the recorder runs as root and never runs with a debugger \(remove the flag\)$/);
  }
  const viaFlag = spawn(process.execPath, ['--inspect=127.0.0.1:0', memrecBin, 'record', '--db', db, '--config', emptyConfig], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  viaFlag.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => viaFlag.on('exit', (c) => resolve(c)));
  assert.equal(code, 2, err);
  assert.match(err, /memrec record: a Node inspector is listening/);
});

test('the unit and the DaemonSet give node no NODE_OPTIONS, and the unit has no network to listen on', () => {
  const unit = readFileSync(path.join(repoRoot, 'systemd', 'memrec.service'), 'utf8').split('\n');
  assert.ok(unit.includes('UnsetEnvironment=NODE_OPTIONS'));
  assert.ok(unit.includes('PrivateNetwork=yes'));
  assert.ok(unit.includes('RestrictAddressFamilies=none'));
  const docs = readFileSync(path.join(repoRoot, 'deploy', 'kubernetes', 'memrec-daemonset.yaml'), 'utf8')
    .split(/^---$/m)
    .map((d) => parseYaml(d) as { kind?: string; spec?: { template: { spec: { containers: Array<{ env?: Array<{ name: string; value: string }> }> } } } } | null);
  const ds = docs.find((d) => d?.kind === 'DaemonSet');
  const env = ds?.spec?.template.spec.containers[0]?.env ?? [];
  assert.deepEqual(env.find((e) => e.name === 'NODE_OPTIONS'), { name: 'NODE_OPTIONS', value: '' });
});
