import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, type LoadInput } from '../src/config/load.js';
import { defaultDbPath, resolveDbPath } from '../src/config/paths.js';
import { envName, OPTIONS } from '../src/config/schema.js';
import { formatDuration, parseDuration, parseSize, parseThreshold, thresholdBytes } from '../src/config/values.js';
import { InputError, UsageError } from '../src/errors.js';
import { runMain } from './helpers/run.js';

const dir = mkdtempSync(path.join(tmpdir(), 'memrec-config-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function yamlFile(text: string): string {
  const f = path.join(dir, `c${n++}.yaml`);
  writeFileSync(f, text);
  return f;
}

function load(opts: { file?: string; env?: NodeJS.ProcessEnv; flags?: LoadInput['flags']; uid?: number }) {
  const flags = { ...(opts.flags ?? {}) };
  // Never read the machine's /etc/memrec/memrec.yaml from a test.
  flags['config'] ??= opts.file ?? yamlFile('');
  return loadConfig({ command: 'record', flags, env: opts.env ?? {}, uid: opts.uid ?? 0 });
}

/** Run fn, expect it to throw `cls` with exactly one line matching `re`. */
function refused(fn: () => unknown, cls: typeof UsageError | typeof InputError, re: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${String(err)}`);
    assert.equal(err.message.split('\n').length, 1, err.message);
    assert.match(err.message, re);
    assert.equal(err.exitCode, 2);
    return true;
  });
}

test('durations: every unit, combinations, and refusals', () => {
  const ok: [string, number][] = [['500ms', 500], ['1s', 1000], ['10m', 600_000], ['2h', 7_200_000], ['14d', 14 * 86_400_000], ['1w', 604_800_000], ['1m30s', 90_000], ['1.5s', 1500], [' 1s ', 1000]];
  for (const [t, ms] of ok) assert.equal(parseDuration(t), ms, t);
  for (const t of ['', '10', 's', '1x', '-1s', '1 s', '1s2', 'ms']) assert.equal(parseDuration(t), undefined, t);
  for (const ms of [0, 500, 1000, 90_000, 14 * 86_400_000, 3_600_001]) assert.equal(parseDuration(formatDuration(ms)), ms);
});

test('sizes: Kubernetes quantities and the GiB/GB forms SREs type', () => {
  const ok: [string, number][] = [
    ['1Gi', 1024 ** 3], ['1GiB', 1024 ** 3], ['512MiB', 512 * 1024 ** 2], ['500Mi', 500 * 1024 ** 2], ['1G', 1e9], ['1GB', 1e9],
    ['500MB', 5e8], ['1k', 1000], ['1K', 1000], ['1KB', 1000], ['1KiB', 1024], ['100B', 100], ['1073741824', 1024 ** 3], ['1e9', 1e9],
  ];
  for (const [t, b] of ok) assert.equal(parseSize(t), b, t);
  for (const t of ['', 'Gi', '1 gigabyte', '1gb', '-1Gi', '1Xi', '10%']) assert.equal(parseSize(t), undefined, t);
});

test('thresholds: a size or a percentage of capacity, kept as written', () => {
  assert.equal(parseThreshold('10%'), '10%');
  assert.equal(parseThreshold('500Mi'), '500Mi');
  assert.equal(parseThreshold('101%'), undefined);
  assert.equal(parseThreshold('ten%'), undefined);
  assert.equal(thresholdBytes('10%', 8 * 1024 ** 3), Math.round(0.8 * 1024 ** 3));
  assert.equal(thresholdBytes('600Mi', 8 * 1024 ** 3), 600 * 1024 ** 2);
});

test('default database path: system as root, XDG state otherwise, --db and MEMREC_DB override', () => {
  assert.equal(defaultDbPath({ HOME: '/home/a' }, 0), '/var/lib/memrec/memrec.db');
  assert.equal(defaultDbPath({ HOME: '/home/a' }, 1000), '/home/a/.local/state/memrec/memrec.db');
  assert.equal(defaultDbPath({ HOME: '/home/a', XDG_STATE_HOME: '/xdg' }, 1000), '/xdg/memrec/memrec.db');
  assert.equal(defaultDbPath({ HOME: '/home/a', XDG_STATE_HOME: 'relative' }, 1000), '/home/a/.local/state/memrec/memrec.db');
  assert.equal(resolveDbPath(undefined, { MEMREC_DB: '/e.db' }, 0), '/e.db');
  assert.equal(resolveDbPath('/f.db', { MEMREC_DB: '/e.db' }, 0), '/f.db');
  const cfg = load({ uid: 1000, env: { HOME: '/home/a' } });
  assert.equal(cfg.values.db, '/home/a/.local/state/memrec/memrec.db');
  assert.equal(load({ env: { MEMREC_DB: '/e.db' } }).values.db, '/e.db');
  assert.equal(load({ env: { MEMREC_DB: '/e.db' }, flags: { db: '/f.db' } }).values.db, '/f.db');
});

test('defaults: every option has one, typed', () => {
  const { values, origins } = load({});
  assert.equal(values.schedule, '0 * * * * *');
  assert.equal(values.burstInterval, 1000);
  assert.equal(values.watchInterval, 1000);
  assert.equal(values.burstPsi, 10);
  assert.equal(values.burstExitAfter, 30_000);
  assert.equal(values.burstSlowAfter, 600_000);
  assert.equal(values.burstSlowInterval, 10_000);
  assert.equal(values.retain, 14 * 86_400_000);
  assert.equal(values.maxDbSize, 1024 ** 3);
  assert.equal(values.oomScoreAdj, -900);
  assert.equal(values.burstAt, null);
  assert.equal(values.hard, null);
  assert.deepEqual(values.redactNames, []);
  for (const o of OPTIONS) if (o.key !== 'config') assert.equal(origins[o.key].source, 'default', o.name);
});

test('precedence: defaults < file < MEMREC_* < flags, each value with its origin', () => {
  const file = yamlFile('# memrec\ntop: 30\nburst-at: 10%\nburst-interval: 2s\nretain: 7d\n');
  const fileOnly = load({ file });
  assert.equal(fileOnly.values.burstAt, '10%');
  assert.deepEqual(fileOnly.origins.burstAt, { source: 'file', where: `${file}:3` });
  assert.equal(fileOnly.values.top, 30);
  assert.equal(fileOnly.file, file);

  const env = { MEMREC_BURST_AT: '15%', MEMREC_BURST_INTERVAL: '3s' };
  const withEnv = load({ file, env });
  assert.equal(withEnv.values.burstAt, '15%');
  assert.deepEqual(withEnv.origins.burstAt, { source: 'env', where: 'MEMREC_BURST_AT' });
  assert.equal(withEnv.values.burstInterval, 3000);
  assert.equal(withEnv.values.retain, 7 * 86_400_000);

  const withFlag = load({ file, env, flags: { 'burst-at': '600Mi' } });
  assert.equal(withFlag.values.burstAt, '600Mi');
  assert.deepEqual(withFlag.origins.burstAt, { source: 'flag', where: '--burst-at' });
  assert.equal(withFlag.values.burstInterval, 3000, 'env still beats the file');
  assert.equal(withFlag.values.top, 30, 'file still beats the default');
  assert.equal(withFlag.origins.schedule.source, 'default');
});

test('the config file comes from --config, else MEMREC_CONFIG', () => {
  const a = yamlFile('top: 11\n');
  const b = yamlFile('top: 22\n');
  const viaEnv = loadConfig({ command: 'record', flags: {}, env: { MEMREC_CONFIG: a }, uid: 0 });
  assert.equal(viaEnv.values.top, 11);
  assert.deepEqual(viaEnv.origins.config, { source: 'env', where: 'MEMREC_CONFIG' });
  const viaFlag = loadConfig({ command: 'record', flags: { config: b }, env: { MEMREC_CONFIG: a }, uid: 0 });
  assert.equal(viaFlag.values.top, 22);
  assert.equal(viaFlag.values.config, b);
});

test('redaction patterns: repeatable flag, YAML list, env single or flow list', () => {
  assert.deepEqual(load({ flags: { 'redact-names': ['token=\\S+', 'pw:\\w+'] } }).values.redactNames, ['token=\\S+', 'pw:\\w+']);
  assert.deepEqual(load({ file: yamlFile('redact-names:\n  - "a+"\n  - b\n') }).values.redactNames, ['a+', 'b']);
  assert.deepEqual(load({ file: yamlFile('redact-names: a+\n') }).values.redactNames, ['a+']);
  assert.deepEqual(load({ env: { MEMREC_REDACT_NAMES: 'x=\\d+' } }).values.redactNames, ['x=\\d+']);
  assert.deepEqual(load({ env: { MEMREC_REDACT_NAMES: '["a", "b"]' } }).values.redactNames, ['a', 'b']);
});

test('an empty MEMREC_ variable means unset; YAML null means not set in the file', () => {
  assert.equal(load({ env: { MEMREC_HARD: '' } }).values.hard, null);
  assert.equal(load({ file: yamlFile('hard:\n') }).origins.hard.source, 'default');
});

test('every option refuses a bad value from a flag, naming the flag', () => {
  const bad: Record<string, string> = {
    db: '', schedule: '* * *', top: '0', hard: '5 apples', soft: '200%', 'burst-at': 'lots', 'burst-interval': '10',
    'burst-psi': '101', 'burst-hysteresis': '-1Mi', 'burst-exit-after': '30', 'burst-slow-after': 'soon', 'burst-slow-interval': '50ms',
    'watch-interval': '1m', 'memory-cgroup': 'kubepods', 'host-root': '', 'proc-root': ' ', 'sys-root': '', kmsg: '', retain: '10m',
    'max-db-size': '1k', 'textfile-dir': '', 'oom-score-adj': '-1001', 'redact-names': '(',
  };
  for (const o of OPTIONS) {
    if (o.key === 'config') continue;
    const v = bad[o.name];
    assert.ok(v !== undefined, `no bad value listed for ${o.name}`);
    const flags = { [o.name]: o.kind === 'patterns' ? [v] : v };
    const re = new RegExp(`^memrec record: --${o.name} ${JSON.stringify(v).replace(/[()[\]*+?.\\^$|]/g, '\\$&')}: expected `);
    refused(() => load({ flags }), UsageError, re);
  }
});

test('every option refuses a bad value from the environment, naming the variable', () => {
  refused(() => load({ env: { MEMREC_TOP: 'many' } }), UsageError, /^memrec record: MEMREC_TOP="many": expected a whole number/);
  refused(() => load({ env: { MEMREC_RETAIN: '14' } }), UsageError, /MEMREC_RETAIN="14": expected a duration/);
  refused(() => load({ env: { MEMREC_REDACT_NAMES: '["(" ]' } }), UsageError, /MEMREC_REDACT_NAMES=.*expected a valid regular expression/);
  refused(() => load({ env: { MEMREC_REDACT_NAMES: '[1, 2]' } }), UsageError, /MEMREC_REDACT_NAMES=.*expected/);
});

test('an unknown MEMREC_ variable is refused, so a typo is not silently ignored', () => {
  refused(() => load({ env: { MEMREC_BURSTAT: '10%' } }), UsageError, /unknown environment variable MEMREC_BURSTAT; expected one of .*MEMREC_BURST_AT/);
  for (const o of OPTIONS) assert.match(envName(o.name), /^MEMREC_[A-Z_]+$/);
});

test('the config file: unknown keys, bad values, bad YAML, wrong shape, missing file', () => {
  const f1 = yamlFile('top: 10\nburst_at: 10%\n');
  refused(() => load({ file: f1 }), InputError, new RegExp(`^${f1}:2: unknown key "burst_at"; did you mean "burst-at"\\? expected one of`));
  const f2 = yamlFile('burst-interval: fast\n');
  refused(() => load({ file: f2 }), InputError, new RegExp(`^${f2}:1: burst-interval "fast": expected a duration`));
  const f3 = yamlFile('top: [1, 2]\n');
  refused(() => load({ file: f3 }), InputError, new RegExp(`^${f3}:1: top .*expected a whole number`));
  const f4 = yamlFile('top: 10\n  bad: : indent\n');
  refused(() => load({ file: f4 }), InputError, new RegExp(`^${f4}(:\\d+)?: not valid YAML`));
  const f5 = yamlFile('- top\n- 10\n');
  refused(() => load({ file: f5 }), InputError, new RegExp(`^${f5}: expected a mapping`));
  const f6 = yamlFile('top: 10\ntop: 20\n');
  refused(() => load({ file: f6 }), InputError, /not valid YAML/);
  const f7 = yamlFile('config: /other.yaml\n');
  refused(() => load({ file: f7 }), InputError, /unknown key "config"/);
  const f8 = yamlFile('redact-names:\n  - "("\n');
  refused(() => load({ file: f8 }), InputError, /redact-names "\(": expected a valid regular expression/);
  refused(() => load({ file: path.join(dir, 'absent.yaml') }), InputError, /--config .*absent\.yaml: cannot read the configuration file \(ENOENT\)/);
  refused(() => loadConfig({ command: 'record', flags: {}, env: { MEMREC_CONFIG: path.join(dir, 'nope.yaml') }, uid: 0 }), InputError, /MEMREC_CONFIG .*nope\.yaml: cannot read/);
});

test('memrec config prints every option with its origin; --json and --yaml round-trip', async () => {
  const file = yamlFile('burst-at: 12%\n');
  const env = { MEMREC_CONFIG: file, MEMREC_TOP: '7' };
  const table = await runMain(['config', '--burst-interval', '2s'], { env });
  assert.equal(table.code, 0, table.stderr);
  for (const o of OPTIONS) assert.match(table.stdout, new RegExp(`^${o.name} `, 'm'));
  assert.match(table.stdout, /^burst-at +12% +.*c\d+\.yaml:1$/m);
  assert.match(table.stdout, /^top +7 +MEMREC_TOP$/m);
  assert.match(table.stdout, /^burst-interval +2s +--burst-interval$/m);

  const json = await runMain(['config', '--json'], { env });
  const parsed = JSON.parse(json.stdout) as { options: Record<string, { value: unknown; source: string }> };
  assert.deepEqual(parsed.options['top'], { value: 7, text: '7', source: 'env', where: 'MEMREC_TOP' });
  assert.equal(parsed.options['burst-at']?.source, 'file');

  const yaml = await runMain(['config', '--yaml'], { env });
  const round = yamlFile(yaml.stdout);
  const again = load({ file: round });
  assert.equal(again.values.burstAt, '12%');
  assert.equal(again.values.top, 7);
  assert.equal(again.values.schedule, '0 * * * * *');
});

test('memrec config refuses a bad flag with one line and exit 2', async () => {
  const r = await runMain(['config', '--burst-at', 'lots'], { env: { MEMREC_CONFIG: yamlFile('') } });
  assert.equal(r.code, 2);
  assert.equal(r.stderr, 'memrec config: --burst-at "lots": expected a size like 500Mi or a percentage of capacity like 10%\n');
  const u = await runMain(['config', '--burst-att', '1'], { env: { MEMREC_CONFIG: yamlFile('') } });
  assert.equal(u.code, 2);
  assert.match(u.stderr, /^memrec config: Unknown option '--burst-att'/);
});
