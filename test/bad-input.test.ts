// Bad invocations of every command, as a careless or hostile user types them: flags, values, times, config files,
// the environment, database files of every kind (text, another program's SQLite, a directory, a device, a FIFO, a
// newer memrec's, a damaged one) and paths that are devices, FIFOs, links or too long. Each must exit 2 (1 for a
// damaged database) with exactly one line on stderr naming the input, no stack trace, nothing on stdout, and
// leave every file it was given as it was: bytes, mode and mtime, and no file added beside them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Store } from '../src/store/store.js';
import { fixture, memrecBin } from './helpers/paths.js';
import { snapshot } from './helpers/snapshots.js';

const isRoot = process.getuid?.() === 0;
const dir = mkdtempSync(path.join(tmpdir(), 'memrec-bad-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const f = (name: string): string => path.join(dir, name);

// --- the inputs, made once ---------------------------------------------------------------------------------------
const NOW = Date.now();
const good = f('good.db');
{
  const s = Store.open(good);
  s.writeSnapshot(snapshot(NOW - 60_000));
  s.close();
}
for (const x of ['-wal', '-shm']) rmSync(good + x, { force: true });
chmodSync(good, 0o600);
writeFileSync(f('text.db'), 'not a database\n', { mode: 0o644 });
chmodSync(f('text.db'), 0o644);
{
  const other = new Database(f('other.sqlite'));
  other.exec('CREATE TABLE cookies (host TEXT, value TEXT); INSERT INTO cookies VALUES (\'example\', \'x\');');
  other.close();
  chmodSync(f('other.sqlite'), 0o644);
}
mkdirSync(f('dir.db'));
if (spawnSync('mkfifo', ['-m', '0644', f('fifo')]).status !== 0) throw new Error('mkfifo failed');
{
  writeFileSync(f('newer.db'), readFileSync(good));
  const db = new Database(f('newer.db'));
  db.pragma('user_version = 999');
  db.close();
  chmodSync(f('newer.db'), 0o600);
}
{
  writeFileSync(f('dropped.db'), readFileSync(good));
  const db = new Database(f('dropped.db'));
  db.exec('DROP TABLE events');
  db.close();
  chmodSync(f('dropped.db'), 0o600);
}
{
  // the header and schema intact, the data pages gone: damage a read meets
  const bytes = readFileSync(good);
  writeFileSync(f('cut.db'), bytes.subarray(0, Math.max(4096 * 2, bytes.length / 2)));
  chmodSync(f('cut.db'), 0o600);
}
symlinkSync(good, f('link.db'));
symlinkSync('/dev/zero', f('zero-link.yaml'));
writeFileSync(f('empty-config.yaml'), '');
writeFileSync(f('existing.out'), 'keep me\n', { mode: 0o600 });
chmodSync(f('existing.out'), 0o600);
writeFileSync(f('unknown-key.yaml'), 'top: 5\nburst_at: 10%\n');
writeFileSync(f('bad-value.yaml'), 'top: 5\nretain: forever\n');
writeFileSync(f('not-yaml.yaml'), 'top: [1, 2\n');
writeFileSync(f('list.yaml'), '- top\n- 5\n');
writeFileSync(f('deep.yaml'), `redact-names: ${'['.repeat(5000)}x${']'.repeat(5000)}\n`);
writeFileSync(f('dup.yaml'), 'top: 5\ntop: 6\n');
mkdirSync(f('conf.d'));
const LONG = `/tmp/${'x'.repeat(100_000)}`;
const LONG_NAME = f('y'.repeat(300));
const HUGE_TEXT = 'a'.repeat(100_000);

// --- the table ----------------------------------------------------------------------------------------------------
interface Case {
  args: string[];
  env?: Record<string, string>;
  /** 2 for usage and bad input, 1 for a damaged database */
  code?: 1 | 2;
  /** the one line names the input: this must match it */
  names: RegExp;
}

const since = ['--since', '1h'];
const db = (file: string): string[] => ['--db', file];
const v1 = fixture('v1-cgroupfs');

const cases: Case[] = [
  // commands and flags
  { args: ['frobnicate'], names: /frobnicate/ },
  { args: ['query', '--frobnicate', ...since, ...db(good)], names: /--frobnicate/ },
  { args: ['query', ...db(good)], names: /--since/ },
  { args: ['query', '--since'], names: /--since/ },
  { args: ['query', '--since', '--debug', ...db(good)], names: /--since/ },
  { args: ['query', '--since', '', ...db(good)], names: /--since/ },
  { args: ['query', '--since', 'tuesday', ...db(good)], names: /--since "tuesday"/ },
  { args: ['query', '--since', '99999999999d', ...db(good)], names: /--since "99999999999d"/ },
  { args: ['query', '--since', '@999999999999', ...db(good)], names: /--since/ },
  { args: ['query', '--since', '2026-02-30', ...db(good)], names: /--since "2026-02-30"/ },
  { args: ['query', '--since', '25:00', ...db(good)], names: /--since "25:00"/ },
  { args: ['query', '--since', '2026-11-27T02:00:00+25:00', ...db(good)], names: /--since/ },
  { args: ['query', '--since', ' 1h1h ', ...db(good)], names: /--since/ },
  { args: ['query', '--since', '1h', '--until', '2h', ...db(good)], names: /--since .* after --until|--until/ },
  { args: ['query', '--since', '1h', '--until', 'later', ...db(good)], names: /--until "later"/ },
  { args: ['query', '--since', `${'9'.repeat(400)}h`, ...db(good)], names: /--since/ },
  { args: ['query', ...since, '--top', '-1', ...db(good)], names: /--top/ },
  { args: ['query', ...since, '--top', 'abc', ...db(good)], names: /--top "abc"/ },
  { args: ['query', ...since, '--top', '0', ...db(good)], names: /--top "?0/ },
  { args: ['query', ...since, '--top', '1e3', ...db(good)], names: /--top "1e3"/ },
  { args: ['query', ...since, '--top', '99999999999999999999', ...db(good)], names: /--top/ },
  { args: ['query', ...since, '--format', 'xml', ...db(good)], names: /--format "xml"/ },
  { args: ['query', ...since, '--tz', 'Mars/Olympus', ...db(good)], names: /--tz "Mars\/Olympus"/ },
  { args: ['query', ...since, '--comm', '(', ...db(good)], names: /--comm/ },
  { args: ['query', ...since, '--comm', HUGE_TEXT, ...db(good)], names: /--comm/ },
  { args: ['query', ...since, '--pid', 'abc', ...db(good)], names: /--pid "abc"/ },
  { args: ['query', ...since, '--pid', '-5', ...db(good)], names: /--pid/ },
  { args: ['query', ...since, '--owner', 'alien', ...db(good)], names: /--owner "alien"/ },
  { args: ['query', ...since, '--kind', 'sometimes', ...db(good)], names: /--kind "sometimes"/ },
  { args: ['culprits', '--since', 'soon', ...db(good)], names: /--since "soon"/ },
  { args: ['culprits', ...since, '--top', 'x', ...db(good)], names: /--top "x"/ },
  { args: ['culprits', ...since, '--format', 'ndjson-ish', ...db(good)], names: /--format/ },
  { args: ['timeline', ...since, '--height', '0', ...db(good)], names: /--height/ },
  { args: ['timeline', ...since, '--height', 'tall', ...db(good)], names: /--height "?tall/ },
  { args: ['timeline', ...since, '--width', '80', ...db(good)], names: /--width/ },
  { args: ['timeline', ...since, '--format', 'svg', ...db(good)], names: /--format "svg"/ },
  { args: ['events', ...since, '--type', 'explosion', ...db(good)], names: /--type "explosion"/ },
  { args: ['events', '--since', 'yesterday 25:00', ...db(good)], names: /--since/ },
  { args: ['status', '--json', '--yaml', ...db(good)], names: /--yaml/ },
  { args: ['status', '--stale', 'x', ...db(good)], names: /--stale|--frobnicate|"x"/ },
  { args: ['snapshot', '--top', 'abc'], names: /--top "abc"/ },
  { args: ['snapshot', '--db', good, '--no-store'], names: /--no-store|--db/ },
  { args: ['snapshot', '--host-root', '/nonexistent-memrec-root', '--no-store'], names: /--host-root/ },
  { args: ['snapshot', '--host-root', f('text.db'), '--no-store'], names: /--host-root/ },
  { args: ['snapshot', '--memory-cgroup', 'kubepods', '--host-root', v1, '--no-store'], names: /--memory-cgroup "kubepods"/ },
  { args: ['memory', '--hard', '5XB', '--host-root', v1], names: /--hard "5XB"/ },
  { args: ['memory', '--hard', '99999999Ei', '--host-root', v1], names: /--hard/ },
  { args: ['memory', '--soft', '0', '--host-root', v1], names: /--soft "0"/ },
  { args: ['memory', '--soft', '101%', '--host-root', v1], names: /--soft "101%"/ },
  // record: refused at start, before anything is written
  { args: ['record', '--burst-interval', 'often', '--config', f('unknown-key.yaml')], names: /--burst-interval "often"|unknown-key\.yaml/ },
  { args: ['record', '--burst-interval', 'often', ...db(f('new.db'))], names: /--burst-interval "often"/ },
  { args: ['record', '--retain', '99999999999d', ...db(f('new.db'))], names: /--retain/ },
  { args: ['record', '--retain', '1h1h', ...db(f('new.db'))], names: /--retain/ },
  { args: ['record', '--retain', '10m', ...db(f('new.db'))], names: /--retain "10m"/ },
  { args: ['record', '--max-db-size', '1k', ...db(f('new.db'))], names: /--max-db-size "1k"/ },
  { args: ['record', '--schedule', '61 * * * * *', ...db(f('new.db'))], names: /--schedule/ },
  { args: ['record', '--top', '100001', ...db(f('new.db'))], names: /--top/ },
  { args: ['record', '--burst-at', '150%', ...db(f('new.db'))], names: /--burst-at "150%"/ },
  { args: ['record', '--oom-score-adj', '5000', ...db(f('new.db'))], names: /--oom-score-adj/ },
  { args: ['record', '--redact-names', '(', ...db(f('new.db'))], names: /--redact-names/ },
  { args: ['record', '--textfile-dir', '/etc/passwd', ...db(f('new.db'))], names: /--textfile-dir/ },
  { args: ['record', '--textfile-dir', '/nonexistent-memrec-dir', ...db(f('new.db'))], names: /--textfile-dir/ },
  { args: ['record', '--db', good, '--no-store'], names: /--no-store|--db/ },
  // the environment
  { args: ['record', ...db(f('new.db'))], env: { MEMREC_TOP: 'abc' }, names: /MEMREC_TOP/ },
  { args: ['record', ...db(f('new.db'))], env: { MEMREC_BURST_AT: '-5%' }, names: /MEMREC_BURST_AT/ },
  { args: ['record', ...db(f('new.db'))], env: { MEMREC_FROBNICATE: '1' }, names: /MEMREC_FROBNICATE/ },
  { args: ['query', ...since, ...db(good)], env: { MEMREC_FROBNICATE: '1' }, names: /MEMREC_FROBNICATE/ },
  { args: ['config'], env: { MEMREC_CONFIG: f('not-yaml.yaml') }, names: /not-yaml\.yaml/ },
  { args: ['query', ...since], env: { MEMREC_DB: f('text.db') }, names: /text\.db/ },
  // configuration files
  { args: ['config', '--config', f('unknown-key.yaml')], names: /unknown-key\.yaml:2/ },
  { args: ['config', '--config', f('bad-value.yaml')], names: /bad-value\.yaml:2/ },
  { args: ['config', '--config', f('not-yaml.yaml')], names: /not-yaml\.yaml/ },
  { args: ['config', '--config', f('list.yaml')], names: /list\.yaml/ },
  { args: ['config', '--config', f('deep.yaml')], names: /deep\.yaml:1/ },
  { args: ['config', '--config', f('dup.yaml')], names: /dup\.yaml:2/ },
  { args: ['config', '--config', f('nonexistent.yaml')], names: /nonexistent\.yaml/ },
  { args: ['config', '--config', f('conf.d')], names: /conf\.d/ },
  { args: ['config', '--config', f('fifo')], names: /fifo/ },
  { args: ['config', '--config', '/dev/zero'], names: /\/dev\/zero/ },
  { args: ['config', '--config', f('zero-link.yaml')], names: /zero-link\.yaml/ },
  { args: ['config', '--config', LONG], names: /--config/ },
  { args: ['record', '--config', f('bad-value.yaml'), ...db(f('new.db'))], names: /bad-value\.yaml:2/ },
  // database files of every kind, for readers and writers
  { args: ['query', ...since, ...db(f('text.db'))], names: /text\.db/ },
  { args: ['query', ...since, ...db(f('other.sqlite'))], names: /other\.sqlite/ },
  { args: ['query', ...since, ...db(f('dir.db'))], names: /dir\.db/ },
  { args: ['query', ...since, ...db('/dev/null')], names: /\/dev\/null/ },
  { args: ['query', ...since, ...db(f('fifo'))], names: /fifo/ },
  { args: ['query', ...since, ...db(f('newer.db'))], names: /newer\.db.*newer memrec/ },
  { args: ['query', ...since, ...db(f('nonexistent.db'))], names: /nonexistent\.db/ },
  { args: ['query', ...since, ...db(LONG)], names: /--db/ },
  { args: ['query', ...since, ...db(LONG_NAME)], names: /yyyy/ },
  { args: ['culprits', ...since, ...db(f('dropped.db'))], code: 1, names: /dropped\.db is damaged/ },
  { args: ['events', ...since, ...db(f('dropped.db'))], code: 1, names: /dropped\.db is damaged/ },
  { args: ['query', ...since, ...db(f('cut.db'))], code: 1, names: /cut\.db is damaged/ },
  { args: ['status', ...db(f('text.db'))], names: /text\.db/ },
  { args: ['status', ...db(f('other.sqlite'))], names: /other\.sqlite/ },
  { args: ['status', ...db(f('newer.db'))], names: /newer\.db/ },
  { args: ['status', ...db(f('dropped.db'))], code: 1, names: /dropped\.db is damaged/ },
  { args: ['snapshot', '--host-root', v1, ...db(f('text.db'))], names: /text\.db/ },
  { args: ['snapshot', '--host-root', v1, ...db(f('other.sqlite'))], names: /other\.sqlite/ },
  { args: ['snapshot', '--host-root', v1, ...db(f('dir.db'))], names: /dir\.db/ },
  { args: ['snapshot', '--host-root', v1, ...db('/dev/null')], names: /\/dev\/null/ },
  { args: ['snapshot', '--host-root', v1, ...db(f('fifo'))], names: /fifo/ },
  { args: ['snapshot', '--host-root', v1, ...db(f('newer.db'))], names: /newer\.db/ },
  { args: ['snapshot', '--host-root', v1, ...db(f('dropped.db'))], code: 1, names: /dropped\.db is damaged/ },
  { args: ['record', ...db(f('text.db'))], names: /text\.db/ },
  { args: ['record', ...db(f('other.sqlite'))], names: /other\.sqlite/ },
  { args: ['record', ...db(f('newer.db'))], names: /newer\.db/ },
  { args: ['record', ...db(f('dropped.db'))], code: 1, names: /dropped\.db is damaged/ },
  // export outputs: never through a device, a FIFO, a directory, a link, the database itself, or over a file without --force
  { args: ['export', ...since, ...db(good), '--out', '/dev/full', '--force'], names: /\/dev\/full/ },
  { args: ['export', ...since, ...db(good), '--out', '/dev/null', '--force'], names: /\/dev\/null/ },
  { args: ['export', ...since, ...db(good), '--out', f('fifo'), '--force'], names: /fifo/ },
  { args: ['export', ...since, ...db(good), '--out', f('dir.db'), '--force'], names: /dir\.db/ },
  { args: ['export', ...since, ...db(good), '--out', good, '--force', '--format', 'sqlite'], names: /good\.db/ },
  { args: ['export', ...since, ...db(good), '--out', f('link.db'), '--force', '--format', 'sqlite'], names: /link\.db/ },
  { args: ['export', ...since, ...db(good), '--out', f('existing.out')], names: /existing\.out/ },
  { args: ['export', ...since, ...db(good), '--out', f('nodir/x.html')], names: /nodir/ },
  { args: ['export', ...since, ...db(good), '--out', LONG], names: /--out/ },
  { args: ['export', ...since, ...db(good), '--out', f('x.html'), '--format', 'pdf'], names: /--format "pdf"/ },
  { args: ['export', ...since, ...db(good)], names: /--out/ },
  // install-service paths
  { args: ['install-service', '--prefix', 'relative/root'], names: /--prefix/ },
  ...(isRoot ? [{ args: ['install-service', '--prefix', f('text.db')], names: /text\.db|--prefix/ }] : []),
  { args: ['install-service', '--prefix', dir, '--node', 'node', '--bin', '/x'], names: /--node/ },
  { args: ['uninstall-service', '--prefix', dir, '--frobnicate'], names: /--frobnicate/ },
];

// --- what a case must leave as it was ---------------------------------------------------------------------------
interface Seen {
  kind: string;
  mode: number;
  mtimeMs: number;
  bytes: string | null;
}

/** Every entry of the input directory (names, kinds, modes, mtimes, file bytes) and the devices used. */
function state(): Map<string, Seen> {
  const out = new Map<string, Seen>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      const st = lstatSync(p);
      const kind = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : st.isFIFO() ? 'fifo' : 'other';
      out.set(p, { kind, mode: st.mode, mtimeMs: st.mtimeMs, bytes: kind === 'file' ? readFileSync(p).toString('base64') : null });
      if (kind === 'dir') walk(p);
    }
  };
  walk(dir);
  for (const dev of ['/dev/null', '/dev/zero', '/dev/full']) {
    const st = statSync(dev);
    out.set(dev, { kind: st.isCharacterDevice() ? 'char' : 'not a device', mode: st.mode, mtimeMs: 0, bytes: null });
  }
  return out;
}

const describe = (c: Case): string => [...Object.entries(c.env ?? {}).map(([k, v]) => `${k}=${v}`), 'memrec', ...c.args].map((a) => (a.length > 60 ? `${a.slice(0, 40)}…(${a.length})` : a)).join(' ');

test(`the table holds at least 80 bad invocations over every command (${cases.length})`, () => {
  assert.ok(cases.length >= 80);
  const commands = new Set(cases.map((c) => c.args[0]));
  for (const c of ['memory', 'snapshot', 'record', 'status', 'config', 'query', 'culprits', 'timeline', 'events', 'export', 'install-service', 'uninstall-service']) assert.ok(commands.has(c), c);
});

for (const c of cases) {
  test(describe(c), () => {
    const before = state();
    try {
      // no MEMREC_* from the runner, no /etc/memrec/memrec.yaml: only what the case says
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MEMREC_')));
      const r = spawnSync(process.execPath, [memrecBin, ...c.args], { encoding: 'utf8', env: { ...env, MEMREC_CONFIG: f('empty-config.yaml'), ...c.env }, timeout: 15_000 });
      assert.equal(r.error, undefined, `${describe(c)}: ${String(r.error)} (a hang, or a recorder that started)`);
      // this test machine may deny root lowering its own oom_score_adj (a container): the recorder warns first
      const stderr = r.stderr.replace(/^level=warn msg="cannot lower own oom_score_adj".*\n/, '');
      const lines = stderr.split('\n');
      assert.equal(r.status, c.code ?? 2, `exit ${r.status}: ${stderr.slice(0, 500)}`);
      assert.equal(r.stdout, '', 'nothing on stdout');
      assert.ok(stderr.endsWith('\n') && lines.length === 2, `exactly one line on stderr, got ${lines.length - 1}: ${JSON.stringify(stderr.slice(0, 500))}`);
      assert.doesNotMatch(stderr, /^\s+at |Error:|node:internal/m, 'no stack trace');
      assert.match(lines[0]!, c.names, 'the line names the input');
      assert.ok(lines[0]!.length <= 1000, `a line of ${lines[0]!.length} characters: the input is not quoted whole`);
      const after = state();
      for (const [p, was] of before) assert.deepEqual(after.get(p), was, `${p} changed`);
      for (const p of after.keys()) assert.ok(before.has(p), `${p} was created`);
    } finally {
      // a case that failed must not leave its files to the next one
      for (const p of state().keys()) if (!before.has(p)) rmSync(p, { recursive: true, force: true });
    }
  });
}
