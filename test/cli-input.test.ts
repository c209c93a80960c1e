// Bad input on the command line, in MEMREC_* and in YAML: each refused with exit 2 and one line naming the
// flag, variable or file line and what was expected; never NaN, "Invalid time value", V8's own messages or
// a stack. And values that are fine are read the same way from flags, environment and YAML.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Store } from '../src/store/store.js';
import { loadConfig } from '../src/config/load.js';
import { parseDuration, parseSize, parseWholeNumber } from '../src/config/values.js';
import { OPTIONS } from '../src/config/schema.js';
import { OPTION_NAMES } from '../src/config/env.js';
import { parseYamlText } from '../src/model/yaml-text.js';
import { MAX_YAML_NESTING as MAX_YAML_DEPTH } from '../src/model/yaml-depth.js';
import { discoverThresholds } from '../src/sources/kubelet.js';
import { resolveRoots } from '../src/sources/roots.js';
import { fixture } from './helpers/paths.js';
import { runCli, runMain } from './helpers/run.js';
import { snapshot } from './helpers/snapshots.js';

const dir = mkdtempSync(path.join(tmpdir(), 'memrec-input-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const NOW = Date.UTC(2026, 10, 28, 9, 0, 0);
const db = path.join(dir, 'r.db');
{
  const s = Store.open(db);
  s.writeSnapshot(snapshot(NOW - 3_600_000));
  s.close();
}

/** Exit 2, exactly one line on stderr matching `re`, nothing that betrays a crash. */
function refused(r: { code: number; stdout: string; stderr: string }, re: RegExp, what: string): void {
  assert.equal(r.code, 2, `${what}: exit ${r.code}, stderr ${r.stderr}`);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `${what}: one line, got ${JSON.stringify(r.stderr)}`);
  assert.match(lines[0]!, re, what);
  for (const bad of [/NaN/, /Invalid time value/, /Maximum call stack/, /^\s+at /m, /ambiguous/, /Regular expression too large/]) assert.doesNotMatch(r.stderr, bad, what);
  assert.ok(lines[0]!.length < 1200, `${what}: a readable line (${lines[0]!.length} characters)`);
  assert.equal(r.stdout, '', `${what}: nothing on stdout`);
}

const query = (args: string[], env: NodeJS.ProcessEnv = {}) => runMain(['query', '--db', db, ...args], { now: NOW, env: { TZ: 'UTC', ...env } });

test('times beyond a date: out of range, naming --since or --until', async () => {
  for (const [args, flag] of [
    [['--since', '99999999999d'], '--since'],
    [['--since', '99999999999h'], '--since'],
    [['--since', '9'.repeat(400) + 'm'], '--since'],
    [['--since', '@999999999999'], '--since'],
    [['--since', '0001-01-01T00:00:00Z'], '--since'],
    [['--since', '2h', '--until', '99999999999d'], '--until'],
    [['--since', '99999w ago'], '--since'],
  ] as const) {
    refused(await query([...args]), new RegExp(`^memrec query: ${flag} .*: out of range \\(expected a time from 1970-01-01 to 9999-12-31\\)`), args.join(' '));
  }
  // every report command reads times the same way
  for (const cmd of ['culprits', 'timeline', 'events']) {
    refused(await runMain([cmd, '--db', db, '--since', '99999999999d'], { now: NOW }), new RegExp(`^memrec ${cmd}: --since "99999999999d": out of range`), cmd);
  }
  const ok = await query(['--since', '2h', '--format', 'json']);
  assert.equal(ok.code, 0, ok.stderr);
});

test('durations: a repeated or out-of-order unit and values beyond 36500d are refused; the rest is read the same everywhere', () => {
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration(' 14d '), 14 * 86_400_000);
  assert.equal(parseDuration('1w2d'), 9 * 86_400_000);
  assert.equal(parseDuration('1.5h'), 5_400_000);
  assert.equal(parseDuration('36500d'), 36_500 * 86_400_000);
  for (const bad of ['1h1h', '30m1h', '1s1ms1s', '99999999999d', '36501d', '1 h', '1h 30m', '', '5', '-1h', '1e3s', 'NaNs']) assert.equal(parseDuration(bad), undefined, bad);
});

test('sizes and quantities: below 8Ei (a 64-bit byte count), no space inside', () => {
  assert.equal(parseSize('1Gi'), 2 ** 30);
  assert.equal(parseSize(' 1GiB '), 2 ** 30);
  assert.equal(parseSize('7Ei'), 7 * 2 ** 60);
  for (const bad of ['99999999Ei', '8Ei', '1e400', '1 Gi', '5 00', '-1Mi', 'Infinity']) assert.equal(parseSize(bad), undefined, bad);
  assert.equal(parseWholeNumber(' 5 ', 1, 10), 5);
  assert.equal(parseWholeNumber('-500', -1000, 1000), -500);
  for (const bad of ['5 0', '1e3', '5.0', '0x10', '', '99999999999999999999']) assert.equal(parseWholeNumber(bad, 0, 100_000), undefined, bad);
});

test('record options refused from flags, MEMREC_* and YAML alike, each naming where', async () => {
  const cases: Array<[string, string, string, RegExp]> = [
    ['retain', '99999999999d', 'MEMREC_RETAIN', /expected a duration .*at most 36500d/],
    ['retain', '1h1h', 'MEMREC_RETAIN', /each unit once, largest first/],
    ['hard', '99999999Ei', 'MEMREC_HARD', /expected a size like 500Mi/],
    ['max-db-size', '9Ei', 'MEMREC_MAX_DB_SIZE', /below 8Ei/],
    ['top', '1e3', 'MEMREC_TOP', /expected a whole number from 1 to 10000/],
    ['top', '5 0', 'MEMREC_TOP', /expected a whole number/],
    ['burst-interval', '10ms', 'MEMREC_BURST_INTERVAL', /at least 100ms/],
    ['redact-names', 'x'.repeat(300), 'MEMREC_REDACT_NAMES', /at most 200 characters/],
  ];
  for (const [name, value, env, re] of cases) {
    const flag = await runMain(['config', `--${name}`, value], { env: {} });
    refused(flag, new RegExp(`^memrec config: --${name} "`), `--${name} ${value}`);
    assert.match(flag.stderr, re, `--${name} ${value}`);
    const viaEnv = await runMain(['config'], { env: { [env]: value } });
    refused(viaEnv, new RegExp(`^memrec config: ${env}="`), `${env}=${value}`);
    const file = path.join(dir, `${name}.yaml`);
    writeFileSync(file, `${name}: "${value}"\n`);
    const viaFile = await runMain(['config', '--config', file], { env: {} });
    refused(viaFile, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1: ${name} "`), `${name}: ${value} in YAML`);
  }
});

test('surrounding spaces are ignored in numbers, durations and sizes, from flags, MEMREC_* and YAML alike', () => {
  const load = (flags: Record<string, string>, env: NodeJS.ProcessEnv = {}) => loadConfig({ command: 'config', flags, env, uid: 0 }).values;
  assert.equal(load({ top: ' 5 ' }).top, 5);
  assert.equal(load({}, { MEMREC_TOP: ' 5' }).top, 5);
  assert.equal(load({ retain: ' 2d ' }).retain, 2 * 86_400_000);
  assert.equal(load({ 'oom-score-adj': ' -500' }).oomScoreAdj, -500);
  const file = path.join(dir, 'spaces.yaml');
  writeFileSync(file, 'top: " 7 "\nretain: 3d\nburst-psi: 5.0\n');
  const v = loadConfig({ command: 'config', flags: { config: file }, env: {}, uid: 0 }).values;
  assert.deepEqual([v.top, v.retain, v.burstPsi], [7, 3 * 86_400_000, 5]);
  // YAML is read as written, as a flag would be: 1e3 and 5.0 are not whole numbers there either
  writeFileSync(file, 'top: 1e3\n');
  assert.throws(() => loadConfig({ command: 'config', flags: { config: file }, env: {}, uid: 0 }), /:1: top "1e3": expected a whole number/);
});

test('report flags: spaces around numbers are ignored, inside them refused', async () => {
  assert.equal((await query(['--since', '2h', '--top', ' 1 ', '--format', 'json'])).code, 0);
  refused(await query(['--since', '2h', '--top', '1 0']), /^memrec query: --top "1 0": expected a whole number from 1 to 100000$/, '--top "1 0"');
  assert.equal((await query(['--since', ' 2h ', '--format', ' json'])).code, 0);
});

test('a negative number is a value, refused by its own rule; an option where a value belongs is named', async () => {
  refused(await query(['--since', '2h', '--top', '-1']), /^memrec query: --top "-1": expected a whole number from 1 to 100000$/, '--top -1');
  const ok = loadConfig({ command: 'config', flags: { 'oom-score-adj': '-500' }, env: {}, uid: 0 });
  assert.equal(ok.values.oomScoreAdj, -500);
  const viaCli = await runMain(['config', '--json', '--oom-score-adj', '-500'], { env: {} });
  assert.equal(viaCli.code, 0, viaCli.stderr);
  assert.equal((JSON.parse(viaCli.stdout) as { options: { 'oom-score-adj': { value: number } } }).options['oom-score-adj'].value, -500);

  for (const args of [['--since', '--debug'], ['--since', '2h', '--comm', '-x'], ['--since', '2h', '--pod', '--json']]) {
    const flag = args[args.length - 2]!;
    refused(await query(args), new RegExp(`^memrec query: ${flag} needs a value, but "${args[args.length - 1]}" follows it; write ${flag}=VALUE`), args.join(' '));
  }
  refused(await query(['--since']), /^memrec query: --since needs a value/, '--since at the end');
  refused(await runMain(['export', '--db', db, '--since', '2h', '-o', '--force'], { now: NOW }), /^memrec export: --out \(-o\) needs a value/, '-o --force');
  // --flag=value takes anything, and --debug given as a value turns nothing on
  const dash = await query(['--since', '2h', '--comm=-x', '--format', 'json']);
  assert.equal(dash.code, 0, dash.stderr);
  assert.deepEqual(JSON.parse(dash.stdout), []);
  refused(await query(['--since=--debug']), /^memrec query: --since "--debug": not a time/, '--since=--debug');
});

test('deep YAML is refused in one line: memrec.yaml, MEMREC_REDACT_NAMES and a kubelet config', async () => {
  const flow = path.join(dir, 'flow.yaml');
  writeFileSync(flow, `hard: ${'['.repeat(5000)}${']'.repeat(5000)}\n`);
  const block = path.join(dir, 'block.yaml');
  writeFileSync(block, Array.from({ length: 600 }, (_, i) => `${'  '.repeat(i)}a:`).join('\n') + '\n');
  for (const f of [flow, block]) {
    refused(await runMain(['config', '--config', f], { env: {} }), new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: not valid YAML: nested deeper than ${MAX_YAML_DEPTH} levels$`), f);
  }
  refused(await runMain(['config'], { env: { MEMREC_REDACT_NAMES: '['.repeat(5000) } }), /^memrec config: MEMREC_REDACT_NAMES=.*: expected a valid regular expression/, 'env list');
  assert.equal(parseYamlText(`a: ${'['.repeat(MAX_YAML_DEPTH - 1)}${']'.repeat(MAX_YAML_DEPTH - 1)}`).ok, true, 'as deep as allowed');

  // the kubelet's --config file of a fixture node, made 5,000 levels deep: a warning, thresholds fall back
  const node = path.join(dir, 'node');
  cpSync(fixture('broken', 'kubelet-config-not-yaml'), node, { recursive: true });
  writeFileSync(path.join(node, 'var/lib/kubelet/config.yaml'), `evictionHard: ${'['.repeat(5000)}${']'.repeat(5000)}\n`);
  const d = discoverThresholds(resolveRoots({ hostRoot: node }), 16 * 2 ** 30);
  assert.ok(d.warnings.some((w) => /kubelet config .*: not YAML or JSON \(line 1: nested deeper than 64 levels\)/.test(w)), d.warnings.join('\n'));
});

test('--comm: a pattern too long or invalid is one usage line; a pathological one is cheap (each comm tested once)', async () => {
  refused(await query(['--since', '2h', '--comm', 'a'.repeat(100_000)]), /^memrec query: --comm "a{100}"… \(100000 characters\): 100000 characters; expected a regular expression of at most 256 characters$/, '100 KB');
  refused(await query(['--since', '2h', '--comm', '(']), /^memrec query: --comm "\(": not a valid regular expression \(Unterminated group\); expected a regular expression/, '(');
  const r = await query(['--since', '2h', '--comm', '^(a+)+$', '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const k = await query(['--since', '2h', '--comm', '^proc10[0-3]$', '--format', 'json']);
  assert.deepEqual((JSON.parse(k.stdout) as Array<{ pid: number }>).map((x) => x.pid), [100, 101, 102, 103]);
});

test('record refuses at start what it would fail on at every snapshot: textfile-dir, roots, memory cgroup', async () => {
  const cases: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
    [['--textfile-dir', '/etc/passwd'], {}, /^memrec record: --textfile-dir "\/etc\/passwd": not a directory \(expected a directory memrec can write memrec\.prom into\)$/],
    [['--textfile-dir', path.join(dir, 'nope')], {}, /^memrec record: --textfile-dir ".*nope": no such directory/],
    [[], { MEMREC_TEXTFILE_DIR: '/etc/passwd' }, /^memrec record: MEMREC_TEXTFILE_DIR="\/etc\/passwd": not a directory/],
    [['--host-root', path.join(dir, 'nope')], {}, /^memrec record: --host-root ".*nope": no such directory$/],
    [['--proc-root', dir], {}, /^memrec record: --proc-root ".*": no meminfo in it/],
    [['--memory-cgroup', '/memrec-no-such-cgroup'], {}, /^memrec record: --memory-cgroup "\/memrec-no-such-cgroup": no such memory cgroup/],
  ];
  for (const [args, env, re] of cases) {
    const r = await runMain(['record', '--db', path.join(dir, 'rec.db'), ...args], { env });
    refused(r, re, args.join(' ') || JSON.stringify(env));
  }
  const file = path.join(dir, 'textfile.yaml');
  writeFileSync(file, 'textfile-dir: /etc/passwd\n');
  refused(await runMain(['record', '--db', path.join(dir, 'rec.db'), '--config', file], { env: {} }), /textfile\.yaml:1: textfile-dir "\/etc\/passwd": not a directory/, 'YAML');
});

test('flags that contradict each other are refused, naming both', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['snapshot', '--db', path.join(dir, 'x.db'), '--no-store'], /^memrec snapshot: --db and --no-store cannot be used together/],
    [['config', '--json', '--yaml'], /^memrec config: --json and --yaml cannot be used together/],
    [['query', '--db', db, '--since', '2h', '--outside-pods', '--pod', 'web'], /^memrec query: --outside-pods and --pod cannot be used together/],
    [['query', '--db', db, '--since', '2h', '--outside-pods', '--owner', 'service,pod'], /^memrec query: --outside-pods and --owner pod cannot be used together/],
    [['timeline', '--db', db, '--since', '2h', '--height', '8', '--format', 'csv'], /^memrec timeline: --height and --format csv cannot be used together/],
    [['export', '--db', db, '--since', '2h', '--top', '3', '--out', path.join(dir, 'e.csv')], /^memrec export: --top and --format csv cannot be used together/],
  ];
  for (const [args, re] of cases) refused(await runMain(args, { now: NOW, env: {} }), re, args.join(' '));
});

test('every command refuses an unknown MEMREC_* variable, as the recorder does; the known ones pass', async () => {
  for (const args of [['query', '--db', db, '--since', '2h'], ['culprits', '--db', db, '--since', '2h'], ['timeline', '--db', db, '--since', '2h'], ['events', '--db', db, '--since', '2h'], ['export', '--db', db, '--since', '2h', '--out', path.join(dir, 'x.html')], ['status', '--db', db], ['snapshot', '--no-store'], ['memory'], ['config'], ['record']]) {
    refused(await runMain(args, { now: NOW, env: { MEMREC_BURSTAT: '10%' } }), new RegExp(`^memrec ${args[0]}: unknown environment variable MEMREC_BURSTAT; expected one of MEMREC_DB, `), args[0]!);
  }
  const known = await query(['--since', '2h', '--format', 'json'], { MEMREC_BURST_AT: '10%', MEMREC_DB: '' });
  assert.equal(known.code, 0, known.stderr);
  // --help still helps
  assert.equal((await runMain(['query', '--help'], { env: { MEMREC_BURSTAT: '1' } })).code, 0);
  // the list of names the readers check is the recorder's table, row for row
  assert.deepEqual([...OPTION_NAMES], OPTIONS.map((o) => o.name));
});

test('a long value is quoted cut in the message, so the refusal stays one readable line', async () => {
  refused(await query(['--since', 'x'.repeat(100_000)]), /^memrec query: --since "x{100}"… \(100000 characters\): not a time/, '--since 100 KB');
  refused(await runMain(['config', '--top', '9'.repeat(100_000)], { env: {} }), /^memrec config: --top "9{100}"… \(100000 characters\): expected a whole number/, '--top 100 KB');
});

test('as a process: a usage error with --debug is still one line without a stack', () => {
  const r = runCli(['query', '--db', db, '--since', '--debug']);
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^memrec query: --since needs a value/);
});

