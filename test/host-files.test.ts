// Host files that are not what they should be, in a copy of the v2 fixture node: a kubelet config that is
// a link to /dev/zero or a FIFO, drop-ins that link to / or out of the host root, /var/log/pods behind a
// link, /proc files that are FIFOs or devices; memrec's own config as a device, FIFO, directory or a
// 100 KB path; a kernel log that is not one. Nothing hangs, nothing is read from outside the host root,
// the node is still measured, and each problem is one line naming the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileError } from '../src/fs/file-error.js';
import { KmsgReader } from '../src/sources/kmsg.js';
import { mkfifo } from './helpers/files.js';
import { fixture } from './helpers/paths.js';
import { runCli } from './helpers/run.js';

const base = mkdtempSync(path.join(tmpdir(), 'memrec-hostfiles-'));
test.after(() => rmSync(base, { recursive: true, force: true }));

let n = 0;
/** A fresh copy of the v2 node (kubelet --config=/var/lib/kubelet/config.yaml --config-dir=/etc/kubernetes/kubelet.conf.d). */
function node(): string {
  const root = path.join(base, `node-${++n}`);
  cpSync(fixture('v2-systemd-containerd'), root, { recursive: true, verbatimSymlinks: true });
  return root;
}

interface MemoryJson {
  thresholds: { hardBytes: number; hardOrigin: string; softBytes: number | null; softOrigin: string | null; warnings: string[] };
}

/** `memrec memory --json` on the tree: it must end by itself, exit 0, and say each warning on stderr too. */
function memory(root: string): MemoryJson {
  const r = runCli(['memory', '--json', '--host-root', root], { timeoutMs: 20_000 });
  assert.equal(r.signal, null, 'ended by itself');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as MemoryJson;
  assert.deepEqual(r.stderr.split('\n').filter(Boolean), j.thresholds.warnings.map((w) => `memrec memory: warning: ${w}`));
  return j;
}

const CONFIG = 'var/lib/kubelet/config.yaml';
const DROPINS = 'etc/kubernetes/kubelet.conf.d';

test('a kubelet config that is a link to /dev/zero, or a FIFO, is a warning and the kubelet default stands', { skip: process.getuid?.() !== 0 && 'needs root for mknod' }, () => {
  for (const make of [(p: string) => symlinkSync('/dev/zero', p), mkfifo]) {
    const root = node();
    // the host's /dev/zero, as a DaemonSet's /host mount shows it (the link is resolved inside the tree)
    mkdirSync(path.join(root, 'dev'));
    assert.equal(spawnSync('mknod', ['-m', '666', path.join(root, 'dev/zero'), 'c', '1', '5']).status, 0);
    unlinkSync(path.join(root, CONFIG));
    make(path.join(root, CONFIG));
    const j = memory(root);
    assert.equal(j.thresholds.warnings.length, 1);
    assert.match(j.thresholds.warnings[0]!, /^kubelet config \/var\/lib\/kubelet\/config\.yaml: a (character device|FIFO), not a regular file; ignored$/);
    // the drop-ins still apply over the defaults
    assert.equal(j.thresholds.hardOrigin, 'kubelet default');
    assert.match(j.thresholds.softOrigin ?? '', /10-memory\.conf evictionSoft/);
  }
});

test('a drop-in that links to / is not walked: a *.conf link to it is a warning, a directory link is skipped', () => {
  const root = node();
  const d = path.join(root, DROPINS);
  symlinkSync('/', path.join(d, '00-everything.conf'));
  symlinkSync('/', path.join(d, 'sub'));
  symlinkSync('../../../../../../../../../', path.join(d, 'up'));
  mkfifo(path.join(d, '30-fifo.conf'));
  const t0 = Date.now();
  const j = memory(root);
  assert.ok(Date.now() - t0 < 15_000);
  assert.deepEqual(j.thresholds.warnings, [
    'kubelet config /etc/kubernetes/kubelet.conf.d/00-everything.conf: a directory, not a regular file; ignored',
    'kubelet config /etc/kubernetes/kubelet.conf.d/30-fifo.conf: a FIFO, not a regular file; ignored',
  ]);
  assert.match(j.thresholds.softOrigin ?? '', /10-memory\.conf evictionSoft/, 'the regular drop-ins still apply');
});

test('links in the host tree resolve inside it: an absolute or ../ link never reads this machine\'s files', () => {
  const root = node();
  const d = path.join(root, DROPINS);
  // inside the tree: a file only the tree has, reached by an absolute link and by one climbing out with ../
  mkdirSync(path.join(root, 'srv'));
  writeFileSync(path.join(root, 'srv/tree.conf'), 'evictionSoft:\n  memory.available: "3Gi"\n');
  symlinkSync('/srv/tree.conf', path.join(d, '40-abs.conf'));
  symlinkSync('../../../../../../../../srv/tree.conf', path.join(d, '41-up.conf'));
  // a path this machine has and the tree has not
  symlinkSync('/etc/hostname', path.join(d, '42-host.conf'));
  const j = memory(root);
  assert.equal(j.thresholds.softBytes, 3 * 1024 ** 3, 'read from the tree');
  assert.match(j.thresholds.softOrigin ?? '', /41-up\.conf evictionSoft/);
  assert.equal(j.thresholds.warnings.length, 1);
  assert.match(j.thresholds.warnings[0]!, /^kubelet config \/etc\/kubernetes\/kubelet\.conf\.d\/42-host\.conf: cannot read: no such file or directory \(ENOENT\); ignored$/);
});

test('/var/log/pods behind a link inside the tree still names the pods; one pointing out of the tree names none of this machine', () => {
  const root = node();
  renameSync(path.join(root, 'var/log/pods'), path.join(root, 'var/log/real-pods'));
  symlinkSync('/var/log/real-pods', path.join(root, 'var/log/pods'));
  const r = runCli(['snapshot', '--no-store', '--json', '--top', '100', '--host-root', root]);
  assert.equal(r.status, 0, r.stderr);
  const pods = (JSON.parse(r.stdout) as { processes: Array<{ owner: { kind: string; podName?: string | null } }> }).processes.filter((p) => p.owner.kind === 'pod');
  assert.ok(pods.length > 0 && pods.every((p) => p.owner.podName !== null), 'pod names found through the link');
});

test('/proc files that are FIFOs or devices: the process is skipped or the field unknown, with a warning; no hang', () => {
  const root = node();
  const stat = path.join(root, 'proc/1500/stat');
  unlinkSync(stat);
  mkfifo(stat);
  const cmdline = path.join(root, 'proc/912/cmdline');
  unlinkSync(cmdline);
  symlinkSync('/dev/zero', cmdline);
  const r = runCli(['snapshot', '--no-store', '--json', '--top', '100', '--host-root', root], { timeoutMs: 20_000 });
  assert.equal(r.signal, null);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /memrec snapshot: warning: .*proc\/1500\/stat: a FIFO, not a regular file; process skipped/);
  const procs = (JSON.parse(r.stdout) as { processes: Array<{ pid: number; cmdline: string | null; unknown?: Record<string, string> }> }).processes;
  assert.equal(procs.find((p) => p.pid === 1500), undefined);
  const kubelet = procs.find((p) => p.pid === 912);
  assert.equal(kubelet?.cmdline, null);
  assert.match(kubelet?.unknown?.['cmdline'] ?? '', /a character device, not a regular file/);
});

test("memrec's own config as a device, FIFO, directory or 100 KB path: exit 2, one line naming it, at once", () => {
  const fifo = path.join(base, 'config.fifo');
  mkfifo(fifo);
  const long = path.join(base, 'c'.repeat(100 * 1024));
  for (const [args, env, re] of [
    [['--config', '/dev/zero'], {}, /^memrec config: --config \/dev\/zero: a character device, not a regular file$/],
    [['--config', fifo], {}, /^memrec config: --config .*config\.fifo: a FIFO, not a regular file$/],
    [[], { MEMREC_CONFIG: fifo }, /^memrec config: MEMREC_CONFIG .*config\.fifo: a FIFO, not a regular file$/],
    [['--config', base], {}, /^memrec config: --config .*: a directory, not a regular file$/],
    [['--config', long], {}, /^memrec config: --config .*c…c+ \(\d+ characters\): cannot read the configuration file \(ENAMETOOLONG\)$/],
  ] as Array<[string[], NodeJS.ProcessEnv, RegExp]>) {
    const r = runCli(['config', ...args], { env, timeoutMs: 20_000 });
    assert.equal(r.signal, null);
    assert.equal(r.status, 2, r.stderr);
    const lines = r.stderr.split('\n').filter(Boolean);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, re);
    assert.ok(lines[0]!.length < 400);
  }
});

test('a kernel log that is not /dev/kmsg or a regular file is refused at open, in one line', () => {
  const fifo = path.join(base, 'kmsg.fifo');
  mkfifo(fifo);
  assert.throws(() => new KmsgReader('/dev/zero'), (e: unknown) => e instanceof FileError && e.message === '/dev/zero: a character device 1:5, not the kernel log (/dev/kmsg is 1:11)');
  assert.throws(() => new KmsgReader(fifo), (e: unknown) => e instanceof FileError && /kmsg\.fifo: a FIFO, not a regular file$/.test(e.message));
  const file = path.join(base, 'kmsg.txt');
  writeFileSync(file, 'x'.repeat(200_000));
  const r = new KmsgReader(file);
  try {
    assert.deepEqual(r.drain(), [], 'a file without records ends');
  } finally {
    r.close();
  }
});
