// One fast-check property per parser memrec has: every generated or mutated input gives a value whose numbers are
// all finite, or memrec's own error (a MemrecError of one line), never another exception, and within a bounded time.
// Run in a worker by test/fuzz.test.ts, which gives up on an input that hangs.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { stringify as toYaml } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { OPTIONS } from '../../src/config/schema.js';
import { parseDuration, parseSize, parseThreshold, thresholdBytes } from '../../src/config/values.js';
import { MemrecError } from '../../src/errors.js';
import { OomReportAssembler, parseKmsgDump, parseKmsgRecord, parseOomLine } from '../../src/model/oom.js';
import { parseReportLine, parseRow } from '../../src/model/oom-report.js';
import { parseQuantity } from '../../src/model/quantity.js';
import { parseEvictionSpec, parseGracePeriodSpec, resolveThreshold } from '../../src/model/thresholds.js';
import { parseTime } from '../../src/report/time.js';
import { defaultConfigYaml } from '../../src/service/config-template.js';
import { discoverThresholds, kubeletFlags } from '../../src/sources/kubelet.js';
import { parseMeminfo } from '../../src/sources/meminfo.js';
import { parseMemoryStat } from '../../src/sources/memory-cgroup.js';
import { parsePsi } from '../../src/sources/pressure.js';
import { parseCgroupFile, parseStat, parseStatus } from '../../src/sources/proc-parse.js';
import { resolveRoots } from '../../src/sources/roots.js';
import { parseOomKillCount } from '../../src/sources/vmstat.js';
import { anyText, fixtureTexts, mutated, numberToken, shown, tokens } from './inputs.js';

export interface FuzzContext {
  /** runs per property (FUZZ_RUNS) */
  runs: number;
  seed: number | undefined;
  /** called before each input: the watchdog's heartbeat, with the input for its message */
  beat(input: string): void;
}

/** A parse of one input slower than this fails: catastrophic regex backtracking, quadratic loops. */
const SLOW_MS = 2000;

/** Every number in `v` (objects, arrays, maps) is finite: NaN or Infinity in a parsed value ends up in output. */
function assertFinite(v: unknown, where = 'value', seen = new Set<unknown>()): void {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`${where} is ${v}`);
    return;
  }
  if (v === null || typeof v !== 'object' || seen.has(v)) return;
  seen.add(v);
  if (v instanceof Map) {
    for (const [k, x] of v) assertFinite(x, `${where}.get(${JSON.stringify(k)})`, seen);
    return;
  }
  for (const [k, x] of Object.entries(v)) assertFinite(x, `${where}.${k}`, seen);
}

/** Run `parse` on every input: a value (then `check` it) or a MemrecError of one line; anything else fails. */
function fuzz<T>(ctx: FuzzContext, arb: fc.Arbitrary<T>, parse: (input: T) => unknown, opts: { check?: (out: unknown, input: T) => void; share?: number } = {}): void {
  fc.assert(
    fc.property(arb, (input) => {
      const label = shown(input);
      ctx.beat(label);
      const t0 = performance.now();
      let out: unknown;
      try {
        out = parse(input);
      } catch (err) {
        if (!(err instanceof MemrecError)) throw new Error(`${err instanceof Error ? `${err.name}: ${err.message}` : String(err)} (not a MemrecError) on ${label}`);
        if (err.message.includes('\n')) throw new Error(`a MemrecError of more than one line on ${label}: ${JSON.stringify(err.message)}`);
        return;
      }
      const ms = performance.now() - t0;
      if (ms > SLOW_MS) throw new Error(`took ${Math.round(ms)} ms on ${label}`);
      assertFinite(out);
      opts.check?.(out, input);
    }),
    { numRuns: Math.max(1, Math.round(ctx.runs * (opts.share ?? 1))), ...(ctx.seed === undefined ? {} : { seed: ctx.seed }) },
  );
}

const comm = fc.oneof(fc.constantFrom('bash', 'kworker/0:1', 'sd-pam) x', '(sd-pam)', 'Web Content', ')', '(', ') (', ''), fc.string({ maxLength: 16 }));
const statLine = fc
  .tuple(numberToken, comm, fc.oneof(fc.constantFrom('R', 'S', 'D', 'Z', 'I'), fc.string({ maxLength: 2 })), fc.array(numberToken, { maxLength: 60 }), fc.boolean())
  .map(([pid, c, state, rest, nl]) => `${pid} (${c}) ${state} ${rest.join(' ')}${nl ? '\n' : ''}`);

const STATUS_KEYS = ['Name', 'Uid', 'Gid', 'VmRSS', 'RssAnon', 'RssFile', 'RssShmem', 'VmSwap', 'Kthread', 'Pid', 'Threads'];
const statusText = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom(...STATUS_KEYS), fc.string({ maxLength: 8 })), fc.array(numberToken, { maxLength: 4 }), fc.constantFrom(' kB', '', 'kB', ' KB', ' MB')), { maxLength: 20 })
  .map((ls) => ls.map(([k, ns, unit]) => `${k}:\t${ns.join('\t')}${unit}`).join('\n'));

const cgroupPath = fc.oneof(
  fc.constantFrom('/', '/system.slice/cron.service', '/kubepods/burstable/pod1/abc', '/a:b:c', '/kubepods.slice/x.slice:cri-containerd:1', ''),
  fc.string({ maxLength: 30 }).map((s) => `/${s}`),
  fc.string({ maxLength: 30 }),
);
const cgroupText = fc
  .array(fc.tuple(fc.oneof(numberToken, fc.constantFrom('0', '12')), fc.oneof(fc.constantFrom('', 'memory', 'cpu,cpuacct', 'name=systemd', 'memory,blkio'), fc.string({ maxLength: 10 })), cgroupPath), { maxLength: 14 })
  .map((ls) => ls.map(([id, c, p]) => `${id}:${c}:${p}`).join('\n'));

const MEMINFO_KEYS = ['MemTotal', 'MemFree', 'MemAvailable', 'Cached', 'Shmem', 'Slab', 'SReclaimable', 'SwapTotal', 'SwapFree', 'HugePages_Total', 'Active(file)'];
const meminfoText = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom(...MEMINFO_KEYS), fc.string({ maxLength: 10 })), numberToken, fc.constantFrom(' kB', '', ' MB')), { maxLength: 30 })
  .map((ls) => ls.map(([k, n, u]) => `${k}:${' '.repeat(8)}${n}${u}`).join('\n'));

const kvText = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom('cache', 'rss', 'total_inactive_file', 'inactive_file', 'anon', 'file', 'hierarchical_memory_limit'), fc.string({ maxLength: 12 })), numberToken, fc.constantFrom(' ', '\t', '  ', '=')), { maxLength: 40 })
  .map((ls) => ls.map(([k, n, sep]) => `${k}${sep}${n}`).join('\n'));

const psiNumber = fc.oneof(fc.double({ min: 0, max: 100, noNaN: true }).map((x) => x.toFixed(2)), numberToken);
const psiText = fc
  .array(fc.tuple(fc.constantFrom('some', 'full', 'any', ''), psiNumber, psiNumber, psiNumber, numberToken), { maxLength: 4 })
  .map((ls) => ls.map(([w, a, b, c, t]) => `${w} avg10=${a} avg60=${b} avg300=${c} total=${t}`).join('\n'));

const kmsgDumps = fixtureTexts('.kmsg');
const kmsgLines = kmsgDumps.flatMap((d) => d.split('\n')).filter((l) => l.includes(';'));
const kmsgMessages = kmsgLines.map((l) => l.slice(l.indexOf(';') + 1));
const kmsgRecordText = fc
  .tuple(fc.array(numberToken, { minLength: 0, maxLength: 6 }), fc.oneof(fc.constantFrom(...kmsgMessages), anyText), fc.constantFrom('', '\n', '\n SUBSYSTEM=memory\n DEVICE=+x'))
  .map(([head, msg, tail]) => `${head.join(',')};${msg}${tail}`);

/** A kmsg dump for the assembler: fixture records mutated, drained in random chunks. */
const records = fc.tuple(mutated(kmsgDumps), fc.array(fc.nat({ max: 30 }), { maxLength: 20 }));

const quantity = fc.oneof(
  tokens(fc.oneof(numberToken, fc.constantFrom('Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'm', 'k', 'M', 'G', 'T', 'P', 'E', 'e', 'e+', 'e-', 'B', 'iB', '%', '.', 's', 'ms', 'h', 'd', 'w')), ['', '', '', ' '], 5),
  fc.constantFrom('500Mi', '1.5Gi', '100m', '1e3', '10%', '0%', '100%', '1h30m', '14d', '500ms', '1GiB', '1GB', '-1Mi', '1e400', '.5Ki', '5.Gi', '1Ei', '8Ei', '9999999Ei'),
  anyText,
);

const evictionSpec = tokens(
  fc.oneof(
    fc.tuple(fc.constantFrom('memory.available', 'nodefs.available', 'imagefs.available', 'pid.available', ''), fc.constantFrom('<', '=', '<=', '>'), quantity).map(([s, op, v]) => `${s}${op}${v}`),
    fc.string({ maxLength: 10 }),
  ),
  [',', ', ', ',,', ''],
  6,
);

const kubeletArg = fc.oneof(
  fc.constantFrom('--eviction-hard', '--eviction-soft', '--eviction-soft-grace-period', '--config', '--config-dir', '--eviction_hard', '--', '-v', '--kubeconfig=/x'),
  evictionSpec.map((s) => `--eviction-hard=${s}`),
  evictionSpec.map((s) => `--eviction-soft=${s}`),
  evictionSpec,
  fc.string({ maxLength: 20 }),
);
const kubeletCmdlines = fixtureTexts('cmdline').filter((c) => c.includes('kubelet')).map((c) => c.split('\0').filter(Boolean));

const kubeletConfigs = [...fixtureTexts('config.yaml'), ...fixtureTexts('10-memory.conf'), ...fixtureTexts('20-pods.conf')];
const kubeletConfigDoc = fc.oneof(
  mutated(kubeletConfigs),
  fc
    .record({
      evictionHard: fc.oneof(fc.constant(null), fc.dictionary(fc.constantFrom('memory.available', 'nodefs.available', 'x'), fc.oneof(quantity, fc.constant(null), fc.integer()))),
      evictionSoft: fc.oneof(fc.constant(undefined), fc.dictionary(fc.constantFrom('memory.available', 'y'), quantity)),
      mergeDefaultEvictionSettings: fc.oneof(fc.boolean(), fc.string({ maxLength: 4 }), fc.constant(undefined)),
    })
    .map((d) => toYaml(d)),
  fc.nat({ max: 5000 }).map((n) => `evictionHard: ${'['.repeat(n)}1${']'.repeat(n)}`),
  anyText,
);

const ZONES = ['UTC', 'Europe/Berlin', 'America/St_Johns', 'Asia/Kathmandu', 'Pacific/Kiritimati', 'Australia/Lord_Howe', 'America/Santiago', 'Pacific/Chatham'];
const timeText = fc.oneof(
  fc.constantFrom('now', 'today', 'yesterday', '2h', '90m ago', '1d', '2w', '@0', '@1700000000.5', '02:00', 'yesterday 23:59:59', '2026-11-27', '2026-11-27 02:00', '2026-11-27T02:00:00Z', '2026-03-29T02:30:00+02:00', '2026-02-30', '25:00', '24:00', '99999999999d', '@999999999999', '0001-01-01', '9999-12-31 23:59:59'),
  tokens(fc.oneof(numberToken, fc.constantFrom('s', 'm', 'h', 'd', 'w', 'ago', ':', '-', 't', 'z', '+', '@', '.', 'today', 'yesterday', ' ')), ['', ' ', ':', '-'], 8),
  mutated(['2026-11-27T02:00:00+01:00', '2026-11-27 02:00:30', 'yesterday 02:00', '@1700000000.123', '36h ago']),
  anyText,
);

const optionValue = fc.oneof(quantity, numberToken, fc.constantFrom('0 * * * * *', '*/5 * * * * *', '61 * * * *', 'true', 'no', '~', '[]', '{}', '/var/lib/memrec/memrec.db', '/dev/zero', ''), fc.string({ maxLength: 20 }), fc.integer(), fc.boolean(), fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }));
const configName = fc.oneof(fc.constantFrom(...OPTIONS.map((o) => o.name)), fc.constantFrom('burst_at', 'Top', 'unknown-key', '<<', ''), fc.string({ maxLength: 10 }));
const configDoc = fc.oneof(
  fc.dictionary(configName, optionValue, { maxKeys: 8 }).map((d) => toYaml(d)),
  mutated([defaultConfigYaml(), defaultConfigYaml().replace(/^# /gm, ''), 'top: 20\nburst-at: 2Gi\nretain: 14d\nschedule: "0 * * * * *"\nredact-names: [token, secret]\n']),
  // deep nesting: a recursive reader runs out of stack
  fc.nat({ max: 8000 }).map((n) => `${'['.repeat(n)}1${']'.repeat(n)}`),
  fc.nat({ max: 8000 }).map((n) => `${'- '.repeat(n)}x`),
  fc.nat({ max: 8000 }).map((n) => `top: ${'{a: '.repeat(n)}1${'}'.repeat(n)}`),
  anyText,
);

/** A scratch directory per property that writes files, removed when it ends. */
function scratch<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(path.join(tmpdir(), 'memrec-fuzz-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const PROPERTIES: Record<string, (ctx: FuzzContext) => void> = {
  '/proc/<pid>/stat': (ctx) => fuzz(ctx, fc.oneof(mutated(fixtureTexts('stat').filter((t) => t.includes('('))), statLine, anyText), (t) => parseStat(t, 'stat')),
  '/proc/<pid>/status': (ctx) => fuzz(ctx, fc.oneof(mutated(fixtureTexts('status')), statusText, anyText), (t) => parseStatus(t, 'status')),
  '/proc/<pid>/cgroup': (ctx) => fuzz(ctx, fc.oneof(mutated(fixtureTexts('cgroup').filter((t) => /^\d+:/.test(t))), cgroupText, anyText), (t) => parseCgroupFile(t, 'cgroup')),
  '/proc/meminfo': (ctx) => fuzz(ctx, fc.oneof(mutated(fixtureTexts('meminfo')), meminfoText, anyText), (t) => parseMeminfo(t, 'meminfo')),
  'memory.stat': (ctx) => fuzz(ctx, fc.oneof(mutated(fixtureTexts('memory.stat')), kvText, anyText), (t) => parseMemoryStat(t, 'memory.stat')),
  '/proc/vmstat': (ctx) => fuzz(ctx, fc.oneof(mutated(fixtureTexts('vmstat')), kvText, anyText), (t) => parseOomKillCount(t)),
  '/proc/pressure/memory': (ctx) => fuzz(ctx, fc.oneof(mutated(fixtureTexts('memory').filter((t) => t.startsWith('some') || t.startsWith('full'))), psiText, anyText), (t) => parsePsi(t, 'pressure/memory')),
  'kmsg records': (ctx) => fuzz(ctx, fc.oneof(mutated(kmsgLines), kmsgRecordText, anyText), (t) => parseKmsgRecord(t)),
  'OOM report lines': (ctx) =>
    fuzz(ctx, fc.tuple(fc.oneof(mutated(kmsgMessages), anyText), fc.constantFrom(4096, 16384, 65536)), ([m, page]) => {
      const line = parseOomLine(m) ?? parseReportLine(m, page);
      const row = line?.kind === 'row' ? [parseRow(line.pid, line.rest, null), parseRow(line.pid, line.rest, ['tgid', 'total_vm', 'rss'])] : null;
      return { line, row };
    }),
  'OOM reports (kmsg dumps through the assembler)': (ctx) =>
    fuzz(
      ctx,
      records,
      ([dump, drains]) => {
        const kills = [];
        const a = new OomReportAssembler('boot', 4096);
        let next = 0;
        for (const raw of dump.split('\n')) {
          const r = parseKmsgRecord(raw);
          if (r) kills.push(...a.push(r));
          // a drain ends now and then, as the recorder's ticks do
          if (drains.length > 0 && next++ % (drains[next % drains.length]! + 1) === 0) kills.push(...a.endOfDrain());
        }
        kills.push(...a.endOfDrain(), ...a.endOfDrain(), ...parseKmsgDump(dump, null));
        // what the recorder stores: JSON that reads back the same
        const json = JSON.stringify(kills);
        if (JSON.stringify(JSON.parse(json)) !== json) throw new Error('kills do not survive JSON');
        return kills;
      },
      { share: 0.5 },
    ),
  'quantities, sizes, durations, thresholds': (ctx) =>
    fuzz(ctx, fc.tuple(quantity, fc.nat({ max: 2 ** 40 })), ([q, cap]) => {
      const out: Record<string, unknown> = { size: parseSize(q), duration: parseDuration(q), threshold: parseThreshold(q) };
      if (out['threshold'] !== undefined) out['bytes'] = thresholdBytes(q, cap);
      try {
        out['quantity'] = parseQuantity(q);
      } catch (err) {
        if (!(err instanceof MemrecError)) throw err;
      }
      out['resolved'] = resolveThreshold(q, cap, 'memrec-flag', '--hard');
      return out;
    }),
  'kubelet eviction flags': (ctx) =>
    fuzz(ctx, fc.oneof(fc.array(kubeletArg, { maxLength: 12 }), fc.constantFrom(...kubeletCmdlines), fc.tuple(fc.constantFrom(...kubeletCmdlines), fc.array(kubeletArg, { maxLength: 4 })).map(([c, more]) => [...c, ...more])), (args) => {
      const flags = kubeletFlags(args);
      for (const [name, values] of flags) for (const v of values) (name === 'eviction-soft-grace-period' ? parseGracePeriodSpec : parseEvictionSpec)(v, `--${name}`);
      return flags;
    }),
  'kubelet config files and drop-ins, as discovery reads them': (ctx) =>
    scratch((dir) => {
      let n = 0;
      fuzz(
        ctx,
        fc.record({ config: kubeletConfigDoc, dropIn: fc.option(kubeletConfigDoc), args: fc.array(kubeletArg, { maxLength: 4 }), capacity: fc.nat({ max: 2 ** 40 }) }),
        ({ config, dropIn, args, capacity }) => {
          const root = path.join(dir, String(n++));
          mkdirSync(path.join(root, 'proc', '42'), { recursive: true });
          mkdirSync(path.join(root, 'etc', 'k', 'conf.d'), { recursive: true });
          writeFileSync(path.join(root, 'proc', '42', 'comm'), 'kubelet\n');
          writeFileSync(path.join(root, 'proc', '42', 'cmdline'), ['/usr/bin/kubelet', '--config=/etc/k/config.yaml', '--config-dir=/etc/k/conf.d', ...args].join('\0') + '\0');
          writeFileSync(path.join(root, 'etc', 'k', 'config.yaml'), config);
          if (dropIn !== null) writeFileSync(path.join(root, 'etc', 'k', 'conf.d', '10-x.conf'), dropIn);
          try {
            const d = discoverThresholds(resolveRoots({ hostRoot: root }), capacity);
            if (d.warnings.some((w) => w.includes('\n'))) throw new Error(`a warning of more than one line: ${JSON.stringify(d.warnings)}`);
            return d;
          } finally {
            rmSync(root, { recursive: true, force: true });
          }
        },
        { share: 0.3 },
      );
    }),
  'time expressions': (ctx) =>
    fuzz(ctx, fc.tuple(timeText, fc.constantFrom(...ZONES), fc.integer({ min: 0, max: Date.UTC(2100, 0, 1) })), ([text, zone, now]) => {
      const t = parseTime(text, { now, zone, command: 'query', flag: 'since' });
      // every time is printed as ISO 8601: it must be a date
      new Date(t).toISOString();
      return t;
    }),
  'the configuration file': (ctx) =>
    scratch((dir) => {
      const file = path.join(dir, 'memrec.yaml');
      fuzz(
        ctx,
        configDoc,
        (text) => {
          writeFileSync(file, text);
          const c = loadConfig({ command: 'record', flags: { config: file }, env: {}, uid: 0 });
          JSON.stringify(c.values);
          return c.values;
        },
        { share: 0.5 },
      );
    }),
};
