// Where memrec writes, given paths a careless or hostile user gives: a device (/dev/full), a FIFO, a
// directory, a link, the very database being read (by name, hard link, symbolic link, its -wal), a 100 KB
// path. Each is refused before anything is written: exit 2, one line naming the path (cut when 100 KB long),
// never a temporary file's name, and the path's file left exactly as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linkSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Store } from '../src/store/store.js';
import { fileState, mkfifo } from './helpers/files.js';
import { fixture } from './helpers/paths.js';
import { runCli } from './helpers/run.js';
import { snapshot } from './helpers/snapshots.js';

const dir = mkdtempSync(path.join(tmpdir(), 'memrec-outpaths-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const T0 = Date.UTC(2026, 10, 27, 2, 0, 0);
const RANGE = ['--since', `@${T0 / 1000 - 60}`, '--until', `@${T0 / 1000 + 3600}`];

const db = path.join(dir, 'src.db');
{
  const s = Store.open(db);
  for (let i = 0; i < 3; i++) s.writeSnapshot(snapshot(T0 + i * 60_000));
  s.close();
}

function refused(args: string[], re: RegExp, untouched: string[]): void {
  const before = untouched.map(fileState);
  const listing = readdirSync(dir);
  const r = runCli(args, { timeoutMs: 20_000 });
  assert.equal(r.signal, null, 'no hang');
  assert.equal(r.status, 2, `${args.join(' ').slice(0, 200)}: ${r.stderr.slice(0, 500)}`);
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, r.stderr.slice(0, 500));
  assert.match(lines[0]!, re);
  assert.ok(lines[0]!.length < 400, `short: ${lines[0]!.length}`);
  assert.doesNotMatch(lines[0]!, /\.memrec-\d+-|\.tmp\b/, 'no temporary name');
  assert.deepEqual(untouched.map(fileState), before, 'left as it was');
  assert.deepEqual(readdirSync(dir), listing, 'nothing created beside it');
}

test('export onto /dev/full, a FIFO, a directory or a link is refused, with or without --force', () => {
  const fifo = path.join(dir, 'out.fifo');
  mkfifo(fifo);
  const sub = path.join(dir, 'sub');
  mkdirSync(sub);
  const target = path.join(dir, 'kept.html');
  writeFileSync(target, 'kept');
  const link = path.join(dir, 'link.html');
  symlinkSync(target, link);
  for (const force of [[], ['--force']]) {
    refused(['export', ...RANGE, '--db', db, '--out', '/dev/full', ...force], /^memrec export: --out \/dev\/full: is a character device, not a regular file; memrec replaces only regular files$/, ['/dev/full']);
    refused(['export', ...RANGE, '--db', db, '--out', fifo, ...force], /out\.fifo: is a FIFO, not a regular file/, [fifo]);
    refused(['export', ...RANGE, '--db', db, '--out', sub, ...force], /sub: is a directory, not a regular file/, [sub]);
    refused(['export', ...RANGE, '--db', db, '--out', link, ...force], /link\.html: is a symbolic link; memrec writes no file through a link/, [link, target]);
  }
});

test('export onto the database it reads is refused however it is named: itself, a hard link, a link to its directory, its -wal', () => {
  const hard = path.join(dir, 'hard.db');
  linkSync(db, hard);
  const viaDir = path.join(dir, 'again');
  symlinkSync(dir, viaDir);
  for (const out of [db, hard, path.join(viaDir, 'src.db'), `${db}-wal`, path.join(dir, '..', path.basename(dir), 'src.db')]) {
    refused(['export', ...RANGE, '--db', db, '--out', out, '--force', '--format', 'sqlite'], /: is the database being read \(.*src\.db(-wal)?\); write the output elsewhere$/, [db]);
  }
  // and the database still reads whole
  const q = runCli(['query', ...RANGE, '--db', db, '--format', 'csv']);
  assert.equal(q.status, 0, q.stderr);
  assert.equal(q.stdout.trim().split('\r\n').length, 1 + 3 * snapshot(0).processes.length);
  rmSync(hard);
  rmSync(viaDir);
});

test('100 KB paths: one short line naming the path, the errno in words', async () => {
  const long = path.join(dir, 'p'.repeat(100 * 1024));
  refused(['export', ...RANGE, '--db', db, '--out', long], /^memrec export: --out .*p…p+ \(\d+ characters\): file name too long \(ENAMETOOLONG\)$/, [db]);
  refused(['export', ...RANGE, '--db', db, '--out', path.join(long, 'x.html')], /\(\d+ characters\): file name too long \(ENAMETOOLONG\)$/, [db]);
  refused(['query', ...RANGE, '--db', long], /^memrec query: no database at .*p…p+ \(\d+ characters\) \(set --db or MEMREC_DB; is memrec record running\?\)$/, []);
  refused(['snapshot', '--db', long, '--host-root', fixture('v1-cgroupfs')], /^database .*p…p+ \(\d+ characters\): cannot read: file name too long \(ENAMETOOLONG\) \(expected a memrec database\)$/, []);
  refused(['status', '--db', long], /^database .*p…p+ \(\d+ characters\): cannot read: file name too long \(ENAMETOOLONG\) \(expected a memrec database\)$/, []);

  // the recorder's textfile directory is checked at start: a 100 KB --textfile-dir is one short line, exit 2
  const cfg = path.join(dir, 'empty.yaml');
  writeFileSync(cfg, '');
  refused(
    ['record', '--db', path.join(dir, 'rec.db'), '--config', cfg, '--host-root', fixture('v1-cgroupfs'), '--kmsg', path.join(dir, 'no-kmsg'), '--textfile-dir', long],
    /^memrec record: --textfile-dir ".*p+"… \(\d+ characters\): memrec cannot write there: file name too long \(ENAMETOOLONG\)/,
    [],
  );
  rmSync(cfg);
});
