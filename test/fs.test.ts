// The file layer every read and write goes through (src/fs/), on real files of every kind: FIFOs made with
// mkfifo, /dev/zero and /dev/full, directories, links to / and out of a fixture root, 100 KB paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileError } from '../src/fs/file-error.js';
import { confinedPath, resolveInRoot } from '../src/fs/host-path.js';
import { readHead, readText, readTextIfExists, SMALL_FILE_MAX } from '../src/fs/read.js';
import { checkOutput, writeOutput, type OutputOptions } from '../src/fs/write.js';
import { MemrecError, UsageError } from '../src/errors.js';
import { fileState, mkfifo } from './helpers/files.js';
import { repoRoot } from './helpers/paths.js';

function temp(): string {
  return mkdtempSync(path.join(tmpdir(), 'memrec-fs-'));
}

function refusedRead(fn: () => unknown, code: string, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof FileError, `a FileError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.match(e.message, re);
    assert.equal(e.message.split('\n').length, 1);
    return true;
  });
}

test('readText reads regular files (also /proc files of size 0) and refuses FIFOs, devices and directories without blocking', () => {
  const dir = temp();
  try {
    const f = path.join(dir, 'a.yaml');
    writeFileSync(f, 'burst-at: 10%\n');
    assert.equal(readText(f, { maxBytes: SMALL_FILE_MAX }), 'burst-at: 10%\n');
    const status = readText('/proc/self/status', { maxBytes: SMALL_FILE_MAX });
    assert.match(status, /^Name:/);
    assert.match(status, /VmRSS:/, 'read to the end although stat says size 0');
    const fifo = path.join(dir, 'fifo');
    mkfifo(fifo);
    refusedRead(() => readText(fifo, { maxBytes: SMALL_FILE_MAX }), 'ENOTREG', /fifo: a FIFO, not a regular file$/);
    refusedRead(() => readText('/dev/zero', { maxBytes: SMALL_FILE_MAX }), 'ENOTREG', /^\/dev\/zero: a character device, not a regular file$/);
    refusedRead(() => readText(dir, { maxBytes: SMALL_FILE_MAX }), 'ENOTREG', /: a directory, not a regular file$/);
    refusedRead(() => readText(path.join(dir, 'none'), { maxBytes: SMALL_FILE_MAX }), 'ENOENT', /none: cannot read: no such file or directory \(ENOENT\)$/);
    assert.equal(readTextIfExists(path.join(dir, 'none'), { maxBytes: SMALL_FILE_MAX }), null);
    // a link to a device is judged by what it points to
    symlinkSync('/dev/zero', path.join(dir, 'zero.yaml'));
    refusedRead(() => readText(path.join(dir, 'zero.yaml'), { maxBytes: SMALL_FILE_MAX }), 'ENOTREG', /a character device/);
    // noFollow: a link itself is refused
    symlinkSync(f, path.join(dir, 'link.yaml'));
    assert.equal(readText(path.join(dir, 'link.yaml'), { maxBytes: SMALL_FILE_MAX }), 'burst-at: 10%\n');
    refusedRead(() => readText(path.join(dir, 'link.yaml'), { maxBytes: SMALL_FILE_MAX, noFollow: true }), 'ENOTREG', /a symbolic link, not a regular file$/);
    assert.equal(readHead('/proc/self/status', 5).toString(), 'Name:');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('readText refuses a file above its cap, at the cap it reads', () => {
  const dir = temp();
  try {
    const f = path.join(dir, 'big');
    writeFileSync(f, Buffer.alloc(4096, 0x61));
    assert.equal(readText(f, { maxBytes: 4096 }).length, 4096);
    refusedRead(() => readText(f, { maxBytes: 4095 }), 'EFBIG', /big: larger than 4095 bytes, the most memrec reads of such a file$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('resolveInRoot resolves links as openat2(RESOLVE_IN_ROOT): absolute targets at the root, .. clamped, loops refused', () => {
  const root = temp();
  try {
    mkdirSync(path.join(root, 'etc/kubernetes'), { recursive: true });
    mkdirSync(path.join(root, 'var/lib/kubelet'), { recursive: true });
    writeFileSync(path.join(root, 'etc/passwd'), 'fixture passwd\n');
    writeFileSync(path.join(root, 'var/lib/kubelet/config.yaml'), 'evictionHard: {}\n');
    symlinkSync('/etc/passwd', path.join(root, 'var/lib/kubelet/abs.yaml'));
    symlinkSync('../../../../../../../../etc/passwd', path.join(root, 'var/lib/kubelet/up.yaml'));
    symlinkSync('/', path.join(root, 'etc/kubernetes/rootlink'));
    symlinkSync('/var/lib/kubelet', path.join(root, 'etc/kubernetes/kl'));
    symlinkSync('loop2', path.join(root, 'etc/loop1'));
    symlinkSync('loop1', path.join(root, 'etc/loop2'));

    assert.equal(resolveInRoot(root, '/var/lib/kubelet/config.yaml'), path.join(root, 'var/lib/kubelet/config.yaml'));
    assert.equal(resolveInRoot(root, '/var/lib/kubelet/abs.yaml'), path.join(root, 'etc/passwd'), 'an absolute target is re-anchored at the root');
    assert.equal(resolveInRoot(root, '/var/lib/kubelet/up.yaml'), path.join(root, 'etc/passwd'), '.. stops at the root');
    assert.equal(resolveInRoot(root, '/../../../etc/passwd'), path.join(root, 'etc/passwd'));
    assert.equal(resolveInRoot(root, '/etc/kubernetes/rootlink'), root, 'a link to / is the root');
    assert.equal(resolveInRoot(root, '/etc/kubernetes/rootlink/etc/passwd'), path.join(root, 'etc/passwd'));
    assert.equal(resolveInRoot(root, '/etc/kubernetes/kl/config.yaml'), path.join(root, 'var/lib/kubelet/config.yaml'));
    assert.equal(resolveInRoot(root, '/etc/kubernetes/kl', { followLast: false }), path.join(root, 'etc/kubernetes/kl'));
    // what is read is the fixture's, never this machine's
    const readIn = (p: string): string => readText(confinedPath(root, p), { maxBytes: SMALL_FILE_MAX });
    assert.equal(readIn('/var/lib/kubelet/abs.yaml'), 'fixture passwd\n');
    assert.equal(readIn('/var/lib/kubelet/up.yaml'), 'fixture passwd\n');
    refusedRead(() => readIn('/etc/kubernetes/rootlink'), 'ENOTREG', /a directory, not a regular file$/);
    // through a link to /, a file this machine has and the tree has not: not found, not this machine's
    assert.equal(readTextIfExists(confinedPath(root, '/etc/kubernetes/rootlink/etc/hostname'), { maxBytes: SMALL_FILE_MAX }), null);
    assert.equal(confinedPath(root, '/etc/kubernetes/rootlink/etc/hostname'), path.join(root, 'etc/hostname'));
    assert.equal(confinedPath(root, '/etc/loop1/x'), '/dev/null/etc/loop1/x', 'a loop names nothing');
    refusedRead(() => resolveInRoot(root, '/etc/loop1'), 'ELOOP', /^\/etc\/loop1: cannot resolve under .*: more than 40 symbolic links$/);
    refusedRead(() => resolveInRoot(root, '/etc/none/x'), 'ENOENT', /^\/etc\/none\/x: cannot resolve under .*no such file or directory \(ENOENT\)$/);
    refusedRead(() => resolveInRoot(root, '/etc/passwd/x'), 'ENOTDIR', /\/etc\/passwd is not a directory$/);
    // from the real root the kernel resolves it, as it is
    assert.equal(resolveInRoot('/', '/etc/../etc/hostname'), '/etc/../etc/hostname');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

const out = (o: Partial<OutputOptions> = {}): OutputOptions => ({ label: 'memrec export: --out', mode: 0o600, replace: false, existsHint: '; pass --force to replace it', ...o });

/** A refusal: a UsageError of one line that names the path and never a temporary file. */
function refusedWrite(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UsageError, `a UsageError, got ${String(e)}`);
    assert.match(e.message, re);
    assert.equal(e.message.split('\n').length, 1);
    assert.doesNotMatch(e.message, /\.tmp|\.memrec-/);
    return true;
  });
}

test('writeOutput writes through a temporary file with the exact mode, replaces only with replace, leaves nothing behind', () => {
  const dir = temp();
  const umask = process.umask(0o077);
  try {
    const f = path.join(dir, 'night.html');
    writeOutput(f, ['<html>', '</html>\n'], out());
    assert.equal(readFileSync(f, 'utf8'), '<html></html>\n');
    assert.equal(statSync(f).mode & 0o777, 0o600);
    refusedWrite(() => writeOutput(f, ['x'], out()), /^memrec export: --out .*night\.html: already exists; pass --force to replace it$/);
    writeOutput(f, ['new'], out({ replace: true }));
    assert.equal(readFileSync(f, 'utf8'), 'new');
    const prom = path.join(dir, 'memrec.prom');
    writeOutput(prom, ['m 1\n'], out({ mode: 0o644, replace: true }));
    assert.equal(statSync(prom).mode & 0o777, 0o644, 'the umask does not narrow it');
    // a filler that fails leaves no temporary file, and its message names the target
    assert.throws(
      () =>
        writeOutput(path.join(dir, 'x.db'), (tmp) => {
          writeFileSync(tmp + '-wal', 'w');
          throw new MemrecError(`database ${tmp} is full`);
        }, out()),
      (e: unknown) => e instanceof MemrecError && e.message === `memrec export: --out ${path.join(dir, 'x.db')}: cannot write: database ${path.join(dir, 'x.db')} is full`,
    );
    assert.deepEqual(readdirSync(dir).sort(), ['memrec.prom', 'night.html']);
  } finally {
    process.umask(umask);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writeOutput refuses devices, FIFOs, directories and links, and leaves each exactly as it was', () => {
  const dir = temp();
  try {
    const fifo = path.join(dir, 'out.fifo');
    mkfifo(fifo);
    const target = path.join(dir, 'real.html');
    writeFileSync(target, 'keep me');
    const link = path.join(dir, 'link.html');
    symlinkSync(target, link);
    const sub = path.join(dir, 'sub');
    mkdirSync(sub);
    const before = [fifo, target, link, sub, '/dev/full', '/dev/null'].map(fileState);
    for (const replace of [false, true]) {
      refusedWrite(() => writeOutput('/dev/full', ['x'], out({ replace })), /^memrec export: --out \/dev\/full: is a character device, not a regular file; memrec replaces only regular files$/);
      refusedWrite(() => writeOutput('/dev/null', ['x'], out({ replace })), /\/dev\/null: is a character device/);
      refusedWrite(() => writeOutput(fifo, ['x'], out({ replace })), /out\.fifo: is a FIFO, not a regular file/);
      refusedWrite(() => writeOutput(sub, ['x'], out({ replace })), /sub: is a directory, not a regular file/);
      refusedWrite(() => writeOutput(link, ['x'], out({ replace })), /link\.html: is a symbolic link; memrec writes no file through a link/);
    }
    refusedWrite(() => writeOutput(path.join(dir, 'none', 'x.html'), ['x'], out()), /x\.html: directory .*none does not exist$/);
    assert.deepEqual([fifo, target, link, sub, '/dev/full', '/dev/null'].map(fileState), before);
    assert.equal(readFileSync(target, 'utf8'), 'keep me');
    assert.deepEqual(readdirSync(dir).sort(), ['link.html', 'out.fifo', 'real.html', 'sub']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writeOutput never writes the database being read: same file, a hard link, a link to its directory, its -wal not made yet', () => {
  const dir = temp();
  try {
    const db = path.join(dir, 'memrec.db');
    writeFileSync(db, 'SQLite format 3\0');
    chmodSync(db, 0o600);
    const hard = path.join(dir, 'hard.db');
    linkSync(db, hard);
    symlinkSync(dir, path.join(dir, 'again'));
    const before = fileState(db);
    const o = out({ replace: true, protect: [db] });
    for (const p of [db, hard, path.join(dir, 'again', 'memrec.db'), path.join(dir, '.', 'memrec.db'), `${db}-wal`, `${db}-shm`, path.join(dir, 'again', 'memrec.db-wal')]) {
      refusedWrite(() => checkOutput(p, o), /: is the database being read \(.*memrec\.db(-wal|-shm)?\); write the output elsewhere$/);
    }
    assert.equal(fileState(db), before);
    assert.deepEqual(readdirSync(dir).sort(), ['again', 'hard.db', 'memrec.db']);
    checkOutput(path.join(dir, 'other.db'), o);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a 100 KB path is one short line naming it, with the errno in words, never a temporary name', () => {
  const long = path.join(tmpdir(), 'x'.repeat(100 * 1024));
  for (const fn of [() => writeOutput(long, ['x'], out()), () => writeOutput(path.join(long, 'a.html'), ['x'], out({ replace: true }))]) {
    assert.throws(fn, (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.ok(e.message.length < 300, `short: ${e.message.length} characters`);
      assert.match(e.message, /^memrec export: --out \/.*x…x+(\/a\.html)? \(\d+ characters\): file name too long \(ENAMETOOLONG\)$/);
      return true;
    });
  }
  assert.throws(() => readText(long, { maxBytes: 10 }), (e: unknown) => e instanceof FileError && e.code === 'ENAMETOOLONG' && e.message.length < 300);
});

/** Files that read or write files: only the file layer, and the readers that have their own rules. */
const RAW_FILE_CALLS = /\b(readFileSync|openSync|writeFileSync|appendFileSync|copyFileSync|createReadStream|createWriteStream|truncateSync)\b|from 'node:fs\/promises'|new Database\(/;
const ALLOWED: Record<string, string> = {
  'src/fs/read.ts': 'the file layer',
  'src/fs/write.ts': 'the file layer',
  'src/sources/procfs.ts': "the collector's per-process hot path: non-blocking, a kind check off procfs, a size cap",
  'src/sources/kmsg.ts': '/dev/kmsg: non-blocking, char 1:11 or a regular file only',
  'src/sources/self.ts': "writes its own /proc/self/oom_score_adj, a kernel file, not an output",
  'src/store/open-db.ts': 'SQLite opens the database after the file layer checked it',
};

test('no code outside the file layer reads or writes a file directly', () => {
  const offenders: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(path.join(repoRoot, dir), { withFileTypes: true })) {
      const rel = path.posix.join(dir, e.name);
      if (e.isDirectory()) walk(rel);
      else if (rel.endsWith('.ts') && !(rel in ALLOWED)) {
        readFileSync(path.join(repoRoot, rel), 'utf8')
          .split('\n')
          .forEach((line, i) => {
            if (RAW_FILE_CALLS.test(line) && !/^\s*(\/\/|\*)/.test(line)) offenders.push(`${rel}:${i + 1}: ${line.trim()}`);
          });
      }
    }
  };
  walk('src');
  assert.deepEqual(offenders, [], 'read through src/fs/read.ts or src/fs/host-path.ts, write through src/fs/write.ts');
  // and the allowed ones still exist (a rename must not leave a stale exception)
  for (const f of Object.keys(ALLOWED)) assert.ok(statSync(path.join(repoRoot, f)).isFile(), f);
});
