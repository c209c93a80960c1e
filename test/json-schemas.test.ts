// Outputs are contracts: every command's JSON is checked against its JSON Schema in schemas/ (draft 2020-12),
// on the real CLI's output: memory and snapshot on the fixture trees, the report commands on a recorded night
// (test/helpers/night.ts) and on a database the real recorder wrote on a fixture node while it was stopped, killed
// and "rebooted" with pstore records and kernel OOM reports (every event type). Every ndjson line is checked too.
// Beyond the schemas, every time in every output is an ISO 8601 UTC string: a walk over each output fails on a
// time-named key that holds anything else, on a number that reads as an epoch-ms wall time under any other name, and
// on a key named for a unit (`…Ms`, `…Sec`) that is not one of the known durations (no epoch-ms copy of a time).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { writeNight } from './helpers/night.js';
import { fixture, KIND_NODE, repoRoot } from './helpers/paths.js';
import { RecorderProcess, withStore } from './helpers/recorder.js';
import { runCli } from './helpers/run.js';

// ajv-formats is CommonJS: its function is the default export's default under Node's ESM interop
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv2020) => Ajv2020;

const SCHEMAS = path.join(repoRoot, 'schemas');
const DRAFT = 'https://json-schema.org/draft/2020-12/schema';
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const dir = mkdtempSync(path.join(tmpdir(), 'memrec-schemas-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

// ---- the schemas

function schemaFiles(): string[] {
  return readdirSync(SCHEMAS).filter((f) => f.endsWith('.schema.json')).sort();
}

function loadAjv(): Ajv2020 {
  // strict: an unknown keyword, a typo'd format or an ambiguous type in a schema is an error, not ignored
  const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
  addFormats(ajv);
  for (const f of schemaFiles()) ajv.addSchema(JSON.parse(readFileSync(path.join(SCHEMAS, f), 'utf8')) as object);
  return ajv;
}

const ajv = loadAjv();
const validator = (name: string): ValidateFunction => {
  const v = ajv.getSchema(`urn:memrec:schemas:${name}`);
  assert.ok(v, `schemas/${name}.schema.json`);
  return v;
};

function check(name: string, value: unknown, what: string): void {
  const v = validator(name);
  if (!v(value)) assert.fail(`${what} does not match schemas/${name}.schema.json:\n${ajv.errorsText(v.errors, { separator: '\n' })}`);
}

// ---- the time rule, beyond the schemas

/** Keys that name a wall time: each holds an ISO 8601 UTC string (or null when unknown). */
const TIME_KEY = /^(at|since|until|start|end|after|before|firstSeen|lastSeen)$|At$|Time$/;
/** Epoch milliseconds from 2000 to 2100: a number there under a name that says nothing of time is a wall time leaking out. */
const EPOCH_MS = { min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) };
/** Numbers that may be that large and are not times: sizes, kernel counters and sequence numbers, ticks. */
const NOT_A_TIME = /Bytes$|Kb$|Usec$|Seq$|Ticks$/;
/**
 * The durations memrec's JSON holds, named for their unit (README, JSON fields): the one list of keys that may end
 * in `Ms` or `Sec`. A time is its ISO string only; a key like `atMs` or `startMs` beside it is an epoch-ms copy.
 */
const DURATIONS: ReadonlySet<string> = new Set(['captureMs', 'durationMs', 'gapMs', 'scheduleIntervalMs', 'staleAfterMs', 'lastSnapshotAgeMs', 'uptimeSec']);
const UNIT_KEY = /(Ms|Sec)$/;

/** Every breach of the time rule in `v`, as `path: why`. */
function timeBreaches(v: unknown, at = '$'): string[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => timeBreaches(x, `${at}[${i}]`));
  if (v === null || typeof v !== 'object') return [];
  const out: string[] = [];
  const o = v as Record<string, unknown>;
  for (const [k, x] of Object.entries(o)) {
    const p = `${at}.${k}`;
    if (TIME_KEY.test(k) && x !== null && !(typeof x === 'string' && ISO.test(x) && !Number.isNaN(Date.parse(x)))) out.push(`${p}: ${JSON.stringify(x)} is not an ISO 8601 UTC time`);
    if (k === 'times' && Array.isArray(x)) x.forEach((t, i) => typeof t === 'string' && ISO.test(t) ? null : out.push(`${p}[${i}]: ${JSON.stringify(t)} is not an ISO 8601 UTC time`));
    if (typeof x === 'number' && x >= EPOCH_MS.min && x <= EPOCH_MS.max && !NOT_A_TIME.test(k)) out.push(`${p}: ${x} reads as an epoch-ms wall time`);
    if (UNIT_KEY.test(k) && !DURATIONS.has(k)) out.push(`${p}: not a known duration (times are ISO strings; durations are listed in DURATIONS)`);
    // kernel-named counters (memory.stat, Mem-Info) are counts and bytes; the recorder's stored configuration
    // keeps its internal names (`burstAt` is a threshold): neither is a field memrec names
    if (k === 'memcgStats' || k === 'memInfo' || (k === 'config' && typeof o['version'] === 'string')) continue;
    out.push(...timeBreaches(x, p));
  }
  return out;
}

function checkTimes(value: unknown, what: string): void {
  const b = timeBreaches(value);
  assert.deepEqual(b, [], `${what}: ${b.slice(0, 10).join('\n')}`);
}

// ---- the recorded databases

const night = path.join(dir, 'night.db');
writeNight(night);
const NIGHT = ['--since', '2026-11-27T00:00:00Z', '--until', '2026-11-27T02:00:00Z', '--db', night];

/**
 * The real recorder on a copy of the v1-cgroupfs node: a clean stop after reading a cgroup v2 group OOM report,
 * two kill -9s (an unclean_stop), then a new boot id with pstore holding the crashed kernel's log (a reboot and
 * pstore events) and a global OOM report. `status --json` is taken while the last one runs.
 */
async function recordEnds(): Promise<{ db: string; runningStatus: string }> {
  const tree = path.join(dir, 'tree');
  cpSync(fixture('v1-cgroupfs'), tree, { recursive: true, verbatimSymlinks: true });
  const cfg = path.join(dir, 'empty.yaml');
  writeFileSync(cfg, '');
  const db = path.join(dir, 'ends.db');
  let runningStatus = '';
  const run = async (signal: NodeJS.Signals, kmsg = '/dev/null', whileRunning?: () => void): Promise<void> => {
    const r = new RecorderProcess(['--db', db, '--host-root', tree, '--kmsg', kmsg, '--config', cfg, '--debug']);
    try {
      if (kmsg !== '/dev/null') await r.waitFor(/msg="oom kill"/);
      await r.waitFor(/msg="snapshot stored"/);
      whileRunning?.();
    } finally {
      await r.stop(signal);
    }
  };
  await run('SIGTERM', fixture('kmsg', 'memcg-v2-6.12-group.kmsg'));
  await run('SIGKILL');
  await run('SIGKILL');
  const crashAt = withStore(db, (s) => s.lastSnapshotAt()!.at) + 100;
  while (Date.now() <= crashAt) await new Promise((r) => setTimeout(r, 20));
  writeFileSync(path.join(tree, 'proc/sys/kernel/random/boot_id'), '5b0e7c1d-2f3a-4b5c-8d6e-7f8091a2b3c4\n');
  mkdirSync(path.join(tree, 'sys/fs'), { recursive: true });
  cpSync(fixture('pstore/sys/fs/pstore'), path.join(tree, 'sys/fs/pstore'), { recursive: true, verbatimSymlinks: true });
  for (const f of readdirSync(path.join(tree, 'sys/fs/pstore'))) utimesSync(path.join(tree, 'sys/fs/pstore', f), crashAt / 1000, crashAt / 1000);
  await run('SIGTERM', fixture('kmsg', 'global-5.15.kmsg'), () => {
    const s = runCli(['status', '--json', '--db', db]);
    assert.equal(s.status, 0, s.stderr);
    runningStatus = s.stdout;
  });
  return { db, runningStatus };
}

const ends = recordEnds();
const ENDS = async (): Promise<string[]> => ['--since', '1d', '--db', (await ends).db];

// ---- what runs, and against which schema

type Shape = 'document' | 'array' | 'lines';
interface Case {
  /** `memrec <command> --help` names this JSON output: `--json`, `--format json`, `--format ndjson` */
  output: string;
  schema: string;
  shape: Shape;
  runs: () => Promise<Array<{ args: string[]; env?: NodeJS.ProcessEnv; code?: number }>>;
}

const MEMORY_TREES: Array<[string, string[]]> = [
  ...['v1-cgroupfs', 'v2-systemd-containerd', 'v2-systemd-crio', 'hybrid-systemd', 'aks', 'eks', 'gke', 'k3s', 'k3s-legacy', 'microk8s', 'rke2'].map((t): [string, string[]] => [t, []]),
  ['v2-kind-nested', ['--memory-cgroup', KIND_NODE]],
];
const SNAPSHOT_TREES: Array<[string, string[]]> = [
  ...['v1-cgroupfs', 'v2-systemd-containerd', 'v2-systemd-crio', 'hybrid-systemd', 'broken/processes'].map((t): [string, string[]] => [t, []]),
  ['v2-kind-nested', ['--memory-cgroup', KIND_NODE]],
];

const CASES: Case[] = [
  { output: 'memory --json', schema: 'memory', shape: 'document', runs: async () => MEMORY_TREES.map(([t, a]) => ({ args: ['memory', '--json', '--host-root', fixture(t), ...a] })) },
  { output: 'snapshot --json', schema: 'snapshot', shape: 'document', runs: async () => SNAPSHOT_TREES.map(([t, a]) => ({ args: ['snapshot', '--json', '--no-store', '--host-root', fixture(t), ...a] })) },
  {
    output: 'status --json', schema: 'status', shape: 'document',
    runs: async () => [{ args: ['status', '--json', '--db', night], code: 1 }, { args: ['status', '--json', '--db', (await ends).db], code: 1 }],
  },
  {
    output: 'config --json', schema: 'config', shape: 'document',
    runs: async () => {
      const file = path.join(dir, 'memrec.yaml');
      writeFileSync(file, 'top: 50\nretain: 3d\n');
      return [{ args: ['config', '--json'] }, { args: ['config', '--json', '--config', file, '--burst-interval', '2s'], env: { MEMREC_BURST_AT: '15%' } }];
    },
  },
  ...(['json', 'ndjson'] as const).map((f): Case => ({
    output: `query --format ${f}`, schema: 'query-row', shape: f === 'json' ? 'array' : 'lines',
    runs: async () => [{ args: ['query', '--format', f, ...NIGHT] }, { args: ['query', '--format', f, ...(await ENDS())] }],
  })),
  {
    output: 'culprits --format json', schema: 'culprits', shape: 'document',
    runs: async () => [
      { args: ['culprits', '--format', 'json', ...NIGHT] },
      { args: ['culprits', '--format', 'json', '--all', '--sort', 'peak', ...NIGHT] },
      { args: ['culprits', '--format', 'json', ...(await ENDS())] },
    ],
  },
  { output: 'culprits --format ndjson', schema: 'culprit-row', shape: 'lines', runs: async () => [{ args: ['culprits', '--format', 'ndjson', ...NIGHT] }, { args: ['culprits', '--format', 'ndjson', ...(await ENDS())] }] },
  {
    output: 'timeline --format json', schema: 'timeline', shape: 'document',
    runs: async () => [
      { args: ['timeline', '--format', 'json', ...NIGHT] },
      { args: ['timeline', '--format', 'json', '--around', 'oom', '--pid', '500', ...NIGHT] },
      { args: ['timeline', '--format', 'json', '--around', 'burst', '--comm', '^updatedb$', ...NIGHT] },
      { args: ['timeline', '--format', 'json', ...(await ENDS())] },
    ],
  },
  ...(['json', 'ndjson'] as const).map((f): Case => ({
    output: `events --format ${f}`, schema: 'events-row', shape: f === 'json' ? 'array' : 'lines',
    runs: async () => [{ args: ['events', '--format', f, ...NIGHT] }, { args: ['events', '--format', f, ...(await ENDS())] }],
  })),
  ...(['json', 'ndjson'] as const).map((f): Case => ({
    output: `export --format ${f}`, schema: f === 'json' ? 'export-bundle' : 'export-record', shape: f === 'json' ? 'document' : 'lines',
    runs: async () => [{ args: ['export', '--format', f, '--out', '-', ...NIGHT] }, { args: ['export', '--format', f, '--out', '-', ...(await ENDS())] }],
  })),
];

/** The JSON outputs a command's --help names. */
function helpOutputs(command: string): string[] {
  const r = runCli([command, '--help']);
  assert.equal(r.status, 0, `${command} --help: ${r.stderr}`);
  const lines = r.stdout.split('\n');
  const out: string[] = [];
  if (lines.some((l) => /^\s+--json\b/.test(l))) out.push(`${command} --json`);
  // the --format lines (usage and option) and the lines continuing them
  const format: string[] = [];
  lines.forEach((l, i) => {
    if (!/--format\b/.test(l)) return;
    format.push(l);
    for (let j = i + 1; j < lines.length && /^\s{8,}[^\s-]/.test(lines[j]!); j++) format.push(lines[j]!);
  });
  const text = format.join('\n');
  if (/(?<![a-z])json\b/.test(text)) out.push(`${command} --format json`);
  if (/\bndjson\b/.test(text)) out.push(`${command} --format ndjson`);
  return out;
}

function commands(): string[] {
  const r = runCli(['--help']);
  const names = [...r.stdout.matchAll(/^ {2}([a-z][a-z-]+) {2,}/gm)].map((m) => m[1]!);
  assert.ok(names.length >= 13 && names.includes('status') && names.includes('export'), `commands from memrec --help: ${names.join(' ')}`);
  return names;
}

/** Parse one output by its shape: the values to validate, one per document, array element or line. */
function values(stdout: string, shape: Shape, what: string): unknown[] {
  if (shape === 'lines') {
    assert.ok(stdout.endsWith('\n'), `${what}: ndjson ends with a newline`);
    return stdout.slice(0, -1).split('\n').map((l, i) => {
      assert.ok(l.length > 0, `${what}: line ${i + 1} is empty`);
      return JSON.parse(l) as unknown;
    });
  }
  const doc = JSON.parse(stdout) as unknown;
  if (shape === 'array') {
    assert.ok(Array.isArray(doc), `${what}: a JSON array`);
    return doc;
  }
  return [doc];
}

// ---- the tests

test('every schema file is a valid draft 2020-12 schema with its own $id, and compiles in strict mode', () => {
  const files = schemaFiles();
  assert.ok(files.length >= 12, files.join(' '));
  const meta = new Ajv2020({ strict: true });
  for (const f of files) {
    const doc = JSON.parse(readFileSync(path.join(SCHEMAS, f), 'utf8')) as { $schema?: string; $id?: string };
    assert.equal(doc.$schema, DRAFT, f);
    assert.equal(doc.$id, `urn:memrec:schemas:${f.replace(/\.schema\.json$/, '')}`, f);
    assert.equal(meta.validateSchema(doc), true, `${f}: ${meta.errorsText(meta.errors)}`);
    assert.equal(typeof ajv.getSchema(doc.$id), 'function', `${f} compiles`);
  }
  // every time in every schema is the one definition: ISO 8601, UTC, with a trailing Z
  const common = JSON.parse(readFileSync(path.join(SCHEMAS, 'common.schema.json'), 'utf8')) as { $defs: { time: { format: string; pattern: string } } };
  assert.equal(common.$defs.time.format, 'date-time');
  assert.ok(new RegExp(common.$defs.time.pattern).test('2026-11-27T01:21:30.000Z'));
  assert.ok(!new RegExp(common.$defs.time.pattern).test('2026-11-27T02:21:30.000+01:00'), 'an offset is refused: UTC only');
});

test('a key a schema names for a unit (…Ms, …Sec) is a known duration, and each known duration is in a schema', () => {
  const named = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (v === null || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    if (o.properties !== null && typeof o.properties === 'object') for (const k of Object.keys(o.properties)) named.add(k);
    if (Array.isArray(o.required)) for (const k of o.required) named.add(String(k));
    Object.values(o).forEach(walk);
  };
  for (const f of schemaFiles()) walk(JSON.parse(readFileSync(path.join(SCHEMAS, f), 'utf8')));
  const units = [...named].filter((k) => UNIT_KEY.test(k)).sort();
  assert.deepEqual(units.filter((k) => !DURATIONS.has(k)), [], 'an epoch-ms copy of a time, or a duration missing from DURATIONS');
  assert.deepEqual(units, [...DURATIONS].sort(), 'DURATIONS names only durations some schema holds');
  // and the README's JSON fields name the same durations
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8').replace(/\s+/g, ' ');
  const said = /Durations are numbers named for their unit, `…Ms` or `…Sec`: (.*?); no other field ends so\./.exec(readme);
  assert.ok(said, 'README, JSON fields: the sentence that lists the durations');
  assert.deepEqual([...said[1]!.matchAll(/`(\w+)`/g)].map((m) => m[1]).sort(), [...DURATIONS].sort());
});

test('every JSON output a command offers has a schema and is checked here', () => {
  const offered = commands().flatMap(helpOutputs).sort();
  assert.deepEqual(offered, CASES.map((c) => c.output).sort(), 'a command whose --help names a JSON output needs a case here and a schema in schemas/');
  const used = new Set(CASES.map((c) => `${c.schema}.schema.json`));
  for (const f of schemaFiles()) if (f !== 'common.schema.json') assert.ok(used.has(f), `schemas/${f} checks no output`);
});

for (const c of CASES) {
  test(`${c.output}: the real output matches schemas/${c.schema}.schema.json, every time an ISO 8601 UTC string`, async () => {
    let checked = 0;
    for (const run of await c.runs()) {
      const what = `memrec ${run.args.join(' ')}`;
      const r = runCli(run.args, run.env === undefined ? {} : { env: run.env });
      assert.equal(r.status, run.code ?? 0, `${what}: ${r.stderr}`);
      const vs = values(r.stdout, c.shape, what);
      vs.forEach((v, i) => {
        check(c.schema, v, `${what} ${c.shape === 'document' ? '' : `#${i + 1}`}`);
        checkTimes(v, `${what} #${i + 1}`);
      });
      // the schema is closed and complete at the top: a key more, or any one key fewer, is drift
      const first = vs[0] as Record<string, unknown>;
      const v = validator(c.schema);
      assert.equal(v({ ...first, undocumented: 1 }), false, `${what}: a key more passes`);
      for (const k of Object.keys(first)) {
        const fewer = { ...first };
        delete fewer[k];
        assert.equal(v(fewer), false, `${what}: passes without ${k}`);
      }
      checked += vs.length;
    }
    assert.ok(checked > 0, 'some output was checked');
  });
}

test('the recorded databases give every event type, every export record kind and a running status', async () => {
  const { db, runningStatus } = await ends;
  const types = new Set<string>();
  for (const args of [NIGHT, ['--since', '1d', '--db', db]]) {
    for (const e of JSON.parse(runCli(['events', '--format', 'json', ...args]).stdout) as Array<{ type: string }>) types.add(e.type);
  }
  // snapshot_failed needs a store that fails under the recorder (test/full-disk.test.ts): its details are one string
  assert.deepEqual([...types].sort(), ['burst_end', 'burst_start', 'oom_kill', 'pstore', 'reboot', 'recorder_start', 'recorder_stop', 'threshold_crossing', 'unclean_stop']);
  const records = new Set(runCli(['export', '--format', 'ndjson', '--out', '-', ...NIGHT]).stdout.trim().split('\n').map((l) => (JSON.parse(l) as { record: string }).record));
  assert.deepEqual([...records].sort(), ['at_lowest', 'burst', 'culprit', 'event', 'meta', 'oom_kill', 'owner', 'point', 'process']);

  const running = JSON.parse(runningStatus) as { status: string; recorder: { state: string; identityChecked: boolean } };
  assert.deepEqual([running.status, running.recorder.state], ['recording', 'running']);
  check('status', running, 'status --json of a running recorder');
  checkTimes(running, 'status --json of a running recorder');
});

test('drift is caught: a time as a number, a key added or left out, an ISO time with an offset', () => {
  const r = runCli(['snapshot', '--json', '--no-store', '--top', '2', '--host-root', fixture('v1-cgroupfs')]);
  const good = JSON.parse(r.stdout) as Record<string, unknown> & { processes: Array<Record<string, unknown>> };
  check('snapshot', good, 'the snapshot as written');
  checkTimes(good, 'the snapshot as written');
  const v = validator('snapshot');
  const variants: Array<[string, (s: typeof good) => void]> = [
    ['takenAt in epoch ms', (s) => (s.takenAt = Date.parse(s.takenAt as string))],
    ['startTime in epoch ms', (s) => (s.processes[0]!.startTime = 1_700_000_000_000)],
    ['an offset instead of Z', (s) => (s.takenAt = '2026-11-27T02:21:30.000+01:00')],
    ['a key nobody documented', (s) => (s.processes[0]!.surprise = 1)],
    ['a key left out', (s) => delete s.bootId],
  ];
  for (const [what, change] of variants) {
    const bad = structuredClone(good);
    change(bad);
    assert.equal(v(bad), false, `the schema catches ${what}`);
  }
  // the walk catches what a schema would not see: a wall time as a number under any name, a twin that disagrees
  assert.deepEqual(timeBreaches({ takenAt: 1_795_742_490_000 }).length, 2, 'a time-named key, and a wall time as a number');
  assert.deepEqual(timeBreaches({ lastSeenMs: 1_795_742_490_000 }).length, 2, 'a wall time as a number, under a name no known duration has');
  assert.deepEqual(timeBreaches({ at: '2026-11-27T01:21:30.000Z', atMs: 1_795_742_490_000 }).length, 2, 'an epoch-ms copy of at: no known duration, and a wall time as a number');
  assert.deepEqual(timeBreaches({ start: '2026-11-27T01:21:30.000Z', startMs: 1, endSec: 2 }).length, 2, 'unit-named keys that are no known duration');
  assert.deepEqual(timeBreaches({ since: '2026-11-27 01:21:30' }).length, 1);
  assert.deepEqual(timeBreaches({ times: [1_795_742_490_000] }).length, 1);
  assert.deepEqual(timeBreaches({ at: '2026-11-27T01:21:30.000Z', vsizeBytes: 1_795_742_490_000, lastSnapshotAgeMs: 12, gapMs: null, uptimeSec: 3, stoppedAt: null }), []);
});

test('an epoch-ms copy of a time put back into timeline, culprits or export output fails its schema and the walk', () => {
  const out = (args: string[]): string => {
    const r = runCli([...args, ...NIGHT]);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  type Obj = Record<string, unknown>;
  const first = (o: Obj, k: string): Obj => {
    const xs = o[k] as Obj[];
    assert.ok(xs.length > 0, `the night has ${k}`);
    return xs[0]!;
  };
  const timeline = JSON.parse(out(['timeline', '--format', 'json', '--pid', '500'])) as Obj;
  const culprits = JSON.parse(out(['culprits', '--format', 'json'])) as Obj;
  const bundle = JSON.parse(out(['export', '--format', 'json', '--out', '-'])) as Obj;
  const records = out(['export', '--format', 'ndjson', '--out', '-']).trim().split('\n').map((l) => JSON.parse(l) as Obj);
  const record = (kind: string): Obj => records.find((r) => r.record === kind) ?? assert.fail(`an export ${kind} record`);
  // [output, schema, its value, the record that had the copy, the ISO key whose epoch-ms copy it had]
  const cases: Array<[string, string, Obj, (v: Obj) => Obj, string]> = [
    ['timeline points[]', 'timeline', timeline, (v) => first(v, 'points'), 'at'],
    ['timeline bursts[]', 'timeline', timeline, (v) => first(v, 'bursts'), 'start'],
    ['timeline oomKills[]', 'timeline', timeline, (v) => first(v, 'oomKills'), 'at'],
    ['timeline process.points[]', 'timeline', timeline, (v) => first(v.process as Obj, 'points'), 'at'],
    ['culprits oomKills[]', 'culprits', culprits, (v) => first(v, 'oomKills'), 'at'],
    ['export json timeline.points[]', 'export-bundle', bundle, (v) => first(v.timeline as Obj, 'points'), 'at'],
    ['export json timeline.bursts[]', 'export-bundle', bundle, (v) => first(v.timeline as Obj, 'bursts'), 'end'],
    ['export json timeline.oomKills[]', 'export-bundle', bundle, (v) => first(v.timeline as Obj, 'oomKills'), 'at'],
    ['export json culprits.oomKills[]', 'export-bundle', bundle, (v) => first(v.culprits as Obj, 'oomKills'), 'at'],
    ['export ndjson point', 'export-record', record('point'), (v) => v, 'at'],
    ['export ndjson burst', 'export-record', record('burst'), (v) => v, 'start'],
    ['export ndjson oom_kill', 'export-record', record('oom_kill'), (v) => v, 'at'],
  ];
  for (const [what, schema, good, at, iso] of cases) {
    check(schema, good, what);
    checkTimes(good, what);
    const bad = structuredClone(good);
    const o = at(bad);
    assert.equal(typeof o[iso], 'string', `${what}: its ISO ${iso}`);
    o[`${iso}Ms`] = Date.parse(o[iso] as string);
    assert.equal(validator(schema)(bad), false, `schemas/${schema}.schema.json refuses ${what} with ${iso}Ms`);
    const breaches = timeBreaches(bad);
    assert.ok(breaches.some((b) => b.includes(`.${iso}Ms: not a known duration`)), `the walk flags ${what} with ${iso}Ms: ${breaches.join('; ')}`);
  }
});
