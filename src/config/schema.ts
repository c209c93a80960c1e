// The one table of `memrec record` options. Flag `--burst-at`, YAML key `burst-at`, env MEMREC_BURST_AT
// and the RecordConfig field `burstAt` are all derived from the row, so they cannot drift apart.
import cron from 'node-cron';
import {
  DURATION_EXPECTED,
  formatDuration,
  parseDuration,
  parseSize,
  parseThreshold,
  parseWholeNumber,
  SIZE_EXPECTED,
  THRESHOLD_EXPECTED,
} from './values.js';
import { OPTION_NAMES, type OptionName } from './env.js';
import { SYSTEM_CONFIG_PATH } from './paths.js';

export { envName } from './env.js';

/** The effective configuration of the recorder. Durations are ms, sizes bytes, thresholds as written. */
export interface RecordConfig {
  db: string;
  config: string;
  schedule: string;
  top: number;
  hard: string | null;
  soft: string | null;
  burstAt: string | null;
  burstInterval: number;
  burstPsi: number;
  burstHysteresis: string;
  burstExitAfter: number;
  burstSlowAfter: number;
  burstSlowInterval: number;
  watchInterval: number;
  memoryCgroup: string | null;
  hostRoot: string | null;
  procRoot: string | null;
  sysRoot: string | null;
  kmsg: string;
  retain: number;
  maxDbSize: number;
  textfileDir: string | null;
  oomScoreAdj: number;
  redactNames: string[];
}

export type ConfigKey = keyof RecordConfig;

export type OptionKind = 'string' | 'path' | 'cgroup' | 'int' | 'number' | 'duration' | 'size' | 'threshold' | 'cron' | 'patterns';

export interface OptionDef<K extends ConfigKey = ConfigKey> {
  key: K;
  /** flag and YAML key: `burst-at` */
  name: OptionName;
  kind: OptionKind;
  /** null: unset unless given (e.g. thresholds then come from the kubelet); `db` is computed (see load.ts) */
  default: RecordConfig[K];
  doc: string;
  /** what a valid value looks like, for the one-line refusal */
  expected: string;
  /** text → value, undefined when refused */
  parse(text: string): RecordConfig[K] | undefined;
  /** value → text as a user would write it (config output, YAML template) */
  format(value: RecordConfig[K]): string;
}

const str = (v: string | null): string => (v === null ? '' : v);

function def<K extends ConfigKey>(d: OptionDef<K>): OptionDef<K> {
  return d;
}

function intIn(min: number, max: number) {
  return (t: string): number | undefined => parseWholeNumber(t, min, max);
}

function durationAtLeast(minMs: number) {
  return (t: string): number | undefined => {
    const ms = parseDuration(t);
    return ms !== undefined && ms >= minMs ? ms : undefined;
  };
}

const nonEmpty = (t: string): string | undefined => (t.trim() === '' ? undefined : t.trim());
const optionalPath = (t: string): string | null | undefined => nonEmpty(t);
const optionalThreshold = (t: string): string | null | undefined => parseThreshold(t);

/** The longest redaction pattern: each one runs over every kept command line (up to 100 KB) of every snapshot. */
export const MAX_PATTERN_LENGTH = 200;

/** Regular expressions that must compile; they are applied to command lines on top of the built-in rules. */
function parsePatterns(t: string): string[] | undefined {
  const s = t.trim();
  if (s === '' || s.length > MAX_PATTERN_LENGTH) return undefined;
  try {
    // V8 compiles on first use: run it once so that a pattern too large or complex is refused here
    new RegExp(s).test('');
  } catch {
    return undefined;
  }
  return [s];
}

export const OPTIONS = [
  def({
    key: 'db', name: 'db', kind: 'path', default: '',
    doc: 'SQLite database file (default /var/lib/memrec/memrec.db as root, else $XDG_STATE_HOME/memrec/memrec.db)',
    expected: 'a file path', parse: nonEmpty, format: (v) => v,
  }),
  def({
    key: 'config', name: 'config', kind: 'path', default: SYSTEM_CONFIG_PATH,
    doc: "memrec's own YAML configuration file (a local path, not under --host-root)",
    expected: 'a file path', parse: nonEmpty, format: (v) => v,
  }),
  def({
    key: 'schedule', name: 'schedule', kind: 'cron', default: '0 * * * * *',
    doc: 'cron expression (with seconds) of the scheduled snapshots; default every minute at second 0',
    expected: 'a cron expression like "0 * * * * *" (second minute hour day month weekday)',
    parse: (t) => (cron.validate(t.trim()) ? t.trim() : undefined), format: (v) => v,
  }),
  def({
    key: 'top', name: 'top', kind: 'int', default: 30,
    doc: 'processes kept per snapshot, largest RSS first (all are still counted per owner)',
    expected: 'a whole number from 1 to 10000', parse: intIn(1, 10000), format: String,
  }),
  def({
    key: 'hard', name: 'hard', kind: 'threshold', default: null,
    doc: "hard eviction threshold for memory.available; default: the kubelet's (flags, config file, else 100Mi)",
    expected: THRESHOLD_EXPECTED, parse: optionalThreshold, format: str,
  }),
  def({
    key: 'soft', name: 'soft', kind: 'threshold', default: null,
    doc: "soft eviction threshold; default: the kubelet's, if it has one",
    expected: THRESHOLD_EXPECTED, parse: optionalThreshold, format: str,
  }),
  def({
    key: 'burstAt', name: 'burst-at', kind: 'threshold', default: null,
    doc: 'enter burst mode when memory.available <= this; default: the soft threshold, else hard + 10% of capacity',
    expected: THRESHOLD_EXPECTED, parse: optionalThreshold, format: str,
  }),
  def({
    key: 'burstInterval', name: 'burst-interval', kind: 'duration', default: 1000,
    doc: 'time between burst snapshots', expected: `${DURATION_EXPECTED}, at least 100ms`,
    parse: durationAtLeast(100), format: formatDuration,
  }),
  def({
    key: 'burstPsi', name: 'burst-psi', kind: 'number', default: 10,
    doc: 'enter burst mode when PSI memory "full avg10" >= this (percent)',
    expected: 'a number from 0 to 100',
    parse: (t) => (/^\d+(\.\d+)?$/.test(t.trim()) && Number(t.trim()) <= 100 ? Number(t.trim()) : undefined), format: String,
  }),
  def({
    key: 'burstHysteresis', name: 'burst-hysteresis', kind: 'threshold', default: '5%',
    doc: 'leave burst mode only once memory.available is above burst-at plus this',
    expected: THRESHOLD_EXPECTED, parse: parseThreshold, format: (v) => v,
  }),
  def({
    key: 'burstExitAfter', name: 'burst-exit-after', kind: 'duration', default: 30_000,
    doc: 'how long memory.available must stay above burst-at + hysteresis to leave burst mode',
    expected: DURATION_EXPECTED, parse: durationAtLeast(0), format: formatDuration,
  }),
  def({
    key: 'burstSlowAfter', name: 'burst-slow-after', kind: 'duration', default: 600_000,
    doc: 'a burst longer than this slows down to burst-slow-interval, so storage stays bounded',
    expected: DURATION_EXPECTED, parse: durationAtLeast(0), format: formatDuration,
  }),
  def({
    key: 'burstSlowInterval', name: 'burst-slow-interval', kind: 'duration', default: 10_000,
    doc: 'time between burst snapshots once the burst is older than burst-slow-after',
    expected: `${DURATION_EXPECTED}, at least 100ms`, parse: durationAtLeast(100), format: formatDuration,
  }),
  def({
    key: 'watchInterval', name: 'watch-interval', kind: 'duration', default: 1000,
    doc: 'how often the watcher reads the cheap node files (meminfo, memory cgroup, PSI, vmstat, /dev/kmsg)',
    expected: `${DURATION_EXPECTED}, from 100ms to 10s`,
    parse: (t) => {
      const ms = parseDuration(t);
      return ms !== undefined && ms >= 100 && ms <= 10_000 ? ms : undefined;
    },
    format: formatDuration,
  }),
  def({
    key: 'memoryCgroup', name: 'memory-cgroup', kind: 'cgroup', default: null,
    doc: 'compute memory.available on this memory cgroup (capacity = its limit) instead of the node root',
    expected: 'a cgroup path starting with /, like /kubepods',
    parse: (t) => (t.trim().startsWith('/') ? t.trim() : undefined), format: str,
  }),
  def({
    key: 'hostRoot', name: 'host-root', kind: 'path', default: null,
    doc: "the host's / as mounted in a container (sets proc and sys roots below it)",
    expected: 'a directory path', parse: optionalPath, format: str,
  }),
  def({
    key: 'procRoot', name: 'proc-root', kind: 'path', default: null,
    doc: 'where /proc is (default /proc, or <host-root>/proc)', expected: 'a directory path', parse: optionalPath, format: str,
  }),
  def({
    key: 'sysRoot', name: 'sys-root', kind: 'path', default: null,
    doc: 'where /sys is (default /sys, or <host-root>/sys)', expected: 'a directory path', parse: optionalPath, format: str,
  }),
  def({
    key: 'kmsg', name: 'kmsg', kind: 'path', default: '/dev/kmsg',
    doc: 'kernel log device read for OOM kills', expected: 'a file path', parse: nonEmpty, format: (v) => v,
  }),
  def({
    key: 'retain', name: 'retain', kind: 'duration', default: 14 * 86_400_000,
    doc: 'delete snapshots older than this (scheduled first; bursts and events are kept longest)',
    expected: `${DURATION_EXPECTED}, at least 1h`, parse: durationAtLeast(3_600_000), format: formatDuration,
  }),
  def({
    key: 'maxDbSize', name: 'max-db-size', kind: 'size', default: 1024 ** 3,
    doc: 'keep the database below this size, deleting the oldest scheduled snapshots first',
    expected: `${SIZE_EXPECTED}, at least 1Mi`,
    parse: (t) => {
      const b = parseSize(t);
      return b !== undefined && b >= 1024 ** 2 ? b : undefined;
    },
    format: formatSize,
  }),
  def({
    key: 'textfileDir', name: 'textfile-dir', kind: 'path', default: null,
    doc: 'write memrec.prom for the node_exporter textfile collector into this directory',
    expected: 'a directory path', parse: optionalPath, format: str,
  }),
  def({
    key: 'oomScoreAdj', name: 'oom-score-adj', kind: 'int', default: -900,
    doc: "the recorder's own oom_score_adj (as root), so that it outlives the culprit",
    expected: 'a whole number from -1000 to 1000', parse: intIn(-1000, 1000), format: String,
  }),
  def({
    key: 'redactNames', name: 'redact-names', kind: 'patterns', default: [],
    doc: 'extra secret-name patterns for command-line redaction: regular expressions matched against whole option or variable names, like vault_?pin (repeatable; YAML: a list)',
    expected: `a valid regular expression of at most ${MAX_PATTERN_LENGTH} characters`, parse: parsePatterns, format: (v) => v.join(' '),
  }),
] as const;

export type AnyOptionDef = (typeof OPTIONS)[number];

// env.ts lists the names for commands that must not load this table: they must be these rows, in order.
if (OPTIONS.map((o) => o.name).join() !== OPTION_NAMES.join()) throw new Error('src/config/env.ts OPTION_NAMES differs from the rows of src/config/schema.ts');

function formatSize(bytes: number): string {
  for (const [unit, size] of [['Ti', 1024 ** 4], ['Gi', 1024 ** 3], ['Mi', 1024 ** 2], ['Ki', 1024]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}

/** How a row's value is named in usage, help and the man page. */
const VALUE_NAMES: Record<OptionKind, string> = {
  string: 'S', path: 'FILE', cgroup: 'PATH', int: 'N', number: 'N', duration: 'DURATION', size: 'SIZE', threshold: 'Q', cron: 'CRON', patterns: 'REGEX',
};

export interface FlagRow {
  type: 'string';
  multiple?: true;
  value: string;
  doc: string;
  complete?: 'file' | 'dir';
}

/**
 * parseArgs options for every row (patterns repeat), so `memrec record` and `memrec config` share them,
 * with each row's value name and doc for their --help, the man page and the completions (src/cli/args.ts OptionDef).
 */
export function flagSpec(): Record<string, FlagRow> {
  const spec: Record<string, FlagRow> = {};
  for (const o of OPTIONS) {
    const dir = o.kind === 'path' && o.expected === 'a directory path';
    const row: FlagRow = { type: 'string', value: dir ? 'DIR' : VALUE_NAMES[o.kind], doc: o.doc };
    if (o.kind === 'patterns') row.multiple = true;
    if (o.kind === 'path') row.complete = dir ? 'dir' : 'file';
    spec[o.name] = row;
  }
  return spec;
}
