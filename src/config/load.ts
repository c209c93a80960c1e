// Effective recorder configuration: defaults < config file < MEMREC_* environment < flags,
// each value remembering where it came from. Anything unknown or malformed is refused in one line.
import { FileError, shownPath } from '../fs/file-error.js';
import { readText, SMALL_FILE_MAX } from '../fs/read.js';
import { isMap, isScalar, isSeq, type Pair } from 'yaml';
import { parseYamlText } from '../model/yaml-text.js';
import { InputError, MemrecError, UsageError, quoted } from '../errors.js';
import { checkEnvironment } from './env.js';
import { defaultDbPath, SYSTEM_CONFIG_PATH } from './paths.js';
import { envName, OPTIONS, type AnyOptionDef, type ConfigKey, type RecordConfig } from './schema.js';

export type ConfigSource = 'default' | 'file' | 'env' | 'flag';

export interface Origin {
  source: ConfigSource;
  /** `default`, `/etc/memrec/memrec.yaml:4`, `MEMREC_BURST_AT`, `--burst-at` */
  where: string;
}

export interface LoadedConfig {
  values: RecordConfig;
  origins: Record<ConfigKey, Origin>;
  /** the configuration file that was read, or null when the default one does not exist */
  file: string | null;
}

export interface LoadInput {
  /** for messages: `record`, `config` */
  command: string;
  /** parseArgs values of the schema's flags (other keys are ignored) */
  flags: Record<string, string | string[] | boolean | undefined>;
  env: NodeJS.ProcessEnv;
  uid: number;
}

type Values = Record<ConfigKey, unknown>;

function refuse(def: AnyOptionDef, raw: string, fail: (expected: string) => never): unknown {
  const v = (def.parse as (t: string) => unknown)(raw);
  if (v === undefined) fail(def.expected);
  return v;
}

export function loadConfig(input: LoadInput): LoadedConfig {
  const { command, flags, env, uid } = input;
  const values = {} as Values;
  const origins = {} as Record<ConfigKey, Origin>;
  for (const o of OPTIONS) {
    values[o.key] = o.default;
    origins[o.key] = { source: 'default', where: 'default' };
  }
  values.db = defaultDbPath(env, uid);
  origins.db = { source: 'default', where: uid === 0 ? 'default (root)' : `default (uid ${uid})` };

  // Which file: --config, else MEMREC_CONFIG, else the system path if it exists.
  const flagConfig = typeof flags['config'] === 'string' ? flags['config'] : undefined;
  const envConfig = env['MEMREC_CONFIG'] !== undefined && env['MEMREC_CONFIG'] !== '' ? env['MEMREC_CONFIG'] : undefined;
  const explicit = flagConfig ?? envConfig;
  const file = explicit ?? SYSTEM_CONFIG_PATH;
  let loaded: string | null = null;
  // Read, don't ask existsSync first: access(2) ignores capabilities, so the unit's non-root user with
  // CAP_DAC_READ_SEARCH would be told a 0700 /etc/memrec/memrec.yaml does not exist. Only ENOENT means absent.
  let text: string | null = null;
  try {
    // a regular file only, under a cap: `--config /dev/zero` or a FIFO is refused, never read forever
    text = readText(file, { maxBytes: SMALL_FILE_MAX });
  } catch (err) {
    if (!(err instanceof FileError)) throw err;
    if (err.code !== 'ENOENT' || explicit !== undefined) {
      const by = flagConfig !== undefined ? '--config' : envConfig !== undefined ? 'MEMREC_CONFIG' : 'configuration file';
      const why = err.code === 'ENOTREG' || err.code === 'EFBIG' ? err.reason : `cannot read the configuration file (${err.code})`;
      throw new InputError(`memrec ${command}: ${by} ${shownPath(file)}: ${why}`);
    }
  }
  if (text !== null) {
    applyFile(file, text, values, origins);
    loaded = file;
  }
  values.config = file;
  if (flagConfig !== undefined) origins.config = { source: 'flag', where: '--config' };
  else if (envConfig !== undefined) origins.config = { source: 'env', where: 'MEMREC_CONFIG' };

  // Environment: every MEMREC_* variable must be one of ours, so a typo is not silently ignored.
  checkEnvironment(command, env);
  const byEnv = new Map(OPTIONS.map((o) => [envName(o.name), o] as const));
  for (const [name, raw] of Object.entries(env)) {
    const d = byEnv.get(name);
    if (d === undefined || raw === undefined) continue;
    if (raw === '' || d.key === 'config') continue; // empty = unset, as systemd EnvironmentFile lines often are
    const fail = (expected: string): never => {
      throw new UsageError(`memrec ${command}: ${name}=${quoted(raw)}: expected ${expected}`);
    };
    if (d.kind === 'patterns') values[d.key] = envPatterns(raw, d, fail);
    else values[d.key] = refuse(d, raw, fail);
    origins[d.key] = { source: 'env', where: name };
  }

  for (const d of OPTIONS) {
    const raw = flags[d.name];
    if (raw === undefined || d.key === 'config' || typeof raw === 'boolean') continue;
    const list = Array.isArray(raw) ? raw : [raw];
    const parsed: unknown[] = list.map((r) =>
      refuse(d, r, (expected) => {
        throw new UsageError(`memrec ${command}: --${d.name} ${quoted(r)}: expected ${expected}`);
      }),
    );
    values[d.key] = d.kind === 'patterns' ? (parsed as string[][]).flat() : parsed[parsed.length - 1];
    origins[d.key] = { source: 'flag', where: `--${d.name}` };
  }

  return { values: values as unknown as RecordConfig, origins, file: loaded };
}

/**
 * A value that parsed but cannot be used (a directory that does not exist, one that is not writable): one line
 * naming where it was set, worded as a refusal of its text would be (flag, variable, file line or default).
 */
export function configValueError(cfg: LoadedConfig, command: string, key: ConfigKey, value: string, why: string): MemrecError {
  const name = OPTIONS.find((o) => o.key === key)?.name ?? key;
  const o = cfg.origins[key];
  if (o.source === 'flag') return new UsageError(`memrec ${command}: --${name} ${quoted(value)}: ${why}`);
  if (o.source === 'env') return new UsageError(`memrec ${command}: ${o.where}=${quoted(value)}: ${why}`);
  if (o.source === 'file') return new InputError(`${o.where}: ${name} ${quoted(value)}: ${why}`);
  return new InputError(`memrec ${command}: ${name} ${quoted(value)} (the default): ${why}`);
}

/** MEMREC_REDACT_NAMES holds one pattern, or a YAML/JSON flow list `["a", "b"]` for several. */
function envPatterns(raw: string, d: AnyOptionDef, fail: (expected: string) => never): string[] {
  if (!raw.trim().startsWith('[')) return refuse(d, raw, fail) as string[];
  const parsed = parseYamlText(raw);
  if (!parsed.ok || !isSeq(parsed.doc.contents)) fail(`${d.expected}, or a list like ["a", "b"]`);
  const out: string[] = [];
  for (const item of ((parsed as { doc: { toJS(): unknown } }).doc.toJS() as unknown[]) ?? []) {
    if (typeof item !== 'string') fail(`${d.expected}, or a list like ["a", "b"]`);
    out.push(...(refuse(d, item as string, fail) as string[]));
  }
  return out;
}

function applyFile(file: string, text: string, values: Values, origins: Record<ConfigKey, Origin>): void {
  const parsed = parseYamlText(text);
  if (!parsed.ok) throw new InputError(`${file}${parsed.line ? `:${parsed.line}` : ''}: not valid YAML: ${parsed.reason}`);
  const { doc, lines } = parsed;
  if (doc.contents === null) return; // an empty file (or only comments) configures nothing
  if (!isMap(doc.contents)) throw new InputError(`${file}: expected a mapping of option names to values, like "burst-at: 10%"`);
  const names = OPTIONS.filter((o) => o.key !== 'config').map((o) => o.name);
  for (const pair of doc.contents.items as Pair[]) {
    const keyNode = pair.key;
    const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
    const offset = isScalar(keyNode) && keyNode.range ? keyNode.range[0] : undefined;
    const at = offset === undefined ? file : `${file}:${lines.linePos(offset).line}`;
    const d = OPTIONS.find((o) => o.name === key);
    if (!d || d.key === 'config') {
      const hint = names.find((n) => n.replace(/-/g, '') === key.toLowerCase().replace(/[-_]/g, ''));
      throw new InputError(`${at}: unknown key ${quoted(key)}; ${hint ? `did you mean "${hint}"? ` : ''}expected one of ${names.join(', ')}`);
    }
    const node = pair.value;
    const fail = (expected: string, shown: string): never => {
      throw new InputError(`${at}: ${key} ${shown}: expected ${expected}`);
    };
    if (node === null || (isScalar(node) && node.value === null)) continue; // `hard:` with no value = not set here
    if (d.kind === 'patterns') {
      const items = isSeq(node) ? node.items : [node];
      const out: string[] = [];
      for (const item of items) {
        if (!isScalar(item) || typeof item.value !== 'string') fail(`a list of ${d.expected}s`, JSON.stringify(String(item)));
        const s = (item as { value: string }).value;
        out.push(...(refuse(d, s, (expected) => fail(expected, quoted(s))) as string[]));
      }
      values[d.key] = out;
    } else {
      if (!isScalar(node) || !['string', 'number'].includes(typeof node.value)) {
        fail(d.expected, JSON.stringify(isScalar(node) ? node.value : String(node)));
      }
      // the text as written, so that YAML reads a value as a flag does (`top: 1e3` and `top: 5.0` are refused as --top 1e3 is)
      const scalar = node as { value: string | number; source?: string };
      const raw = typeof scalar.source === 'string' ? scalar.source : String(scalar.value);
      values[d.key] = refuse(d, raw, (expected) => fail(expected, quoted(raw)));
    }
    origins[d.key] = { source: 'file', where: at };
  }
}
