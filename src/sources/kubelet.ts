// The kubelet's eviction thresholds, discovered from the running kubelet: its cmdline, its
// KubeletConfiguration file and drop-ins, or kubeadm's flag files when no kubelet process is visible.
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { InputError } from '../errors.js';
import {
  DEFAULT_HARD,
  kubeletMemoryThresholds,
  parseEvictionSpec,
  parseGracePeriodSpec,
  resolveThreshold,
  type EvictionMaps,
  type Sourced,
} from '../model/thresholds.js';
import type { Thresholds, ThresholdSource } from '../model/types.js';
import { hostPath, type Roots } from './roots.js';

/** memrec's own thresholds (--hard/--soft or its config file); they win over anything the kubelet says. */
export interface ThresholdOverrides {
  hard?: string | undefined;
  soft?: string | undefined;
  /** where they came from, for `origin`: default `memrec --hard` / `memrec --soft` */
  origin?: string;
  /** default 'memrec-flag' */
  source?: 'memrec-flag' | 'memrec-config';
}

export interface ThresholdDiscovery {
  thresholds: Thresholds;
  /** the kubelet process used, if one was found */
  kubeletPid: number | null;
  /** problems that did not stop discovery (unreadable config, several kubelets, bad values): one line each */
  warnings: string[];
}

interface KubeletProcess {
  pid: number;
  args: string[];
  cwd: string;
}

const FLAGS = ['eviction-hard', 'eviction-soft', 'eviction-soft-grace-period', 'config', 'config-dir'] as const;
type FlagName = (typeof FLAGS)[number];

/** The flags memrec cares about, pflag-style: `--name=v` or `--name v`, `_` same as `-`, map flags accumulate. */
export function kubeletFlags(args: string[]): Map<FlagName, string[]> {
  const out = new Map<FlagName, string[]>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') break;
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    const name = (eq < 0 ? a.slice(2) : a.slice(2, eq)).replaceAll('_', '-') as FlagName;
    if (!FLAGS.includes(name)) continue;
    let value: string | undefined;
    if (eq >= 0) value = a.slice(eq + 1);
    else if (i + 1 < args.length) value = args[++i];
    if (value === undefined) continue;
    out.set(name, [...(out.get(name) ?? []), value]);
  }
  return out;
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** Memory cgroup path of a process from its /proc/<pid>/cgroup (v1 memory line, else the v2 line). */
function memoryCgroupOf(procRoot: string, pid: number): string | null {
  const text = readText(path.join(procRoot, String(pid), 'cgroup'));
  if (text === null) return null;
  let v2: string | null = null;
  for (const line of text.split('\n')) {
    const [, controllers, p] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (controllers === undefined || p === undefined) continue;
    if (controllers.split(',').includes('memory')) return p;
    if (controllers === '') v2 = p;
  }
  return v2;
}

function within(cg: string, root: string): boolean {
  return root === '/' || cg === root || cg.startsWith(root.endsWith('/') ? root : `${root}/`);
}

function isKubeletArgv(args: string[]): boolean {
  const base = path.basename(args[0] ?? '');
  return base === 'kubelet' || (base === 'hyperkube' && args[1] === 'kubelet');
}

/** Every kubelet process under procRoot: comm `kubelet` (or hyperkube kubelet); else exe basename `kubelet`. */
function findKubelets(procRoot: string): KubeletProcess[] {
  let entries: string[];
  try {
    entries = readdirSync(procRoot);
  } catch {
    return [];
  }
  const pids = entries.filter((e) => /^\d+$/.test(e)).map(Number).sort((a, b) => a - b);
  const load = (pid: number): KubeletProcess | null => {
    const raw = readText(path.join(procRoot, String(pid), 'cmdline'));
    if (raw === null || raw.length === 0) return null;
    const args = raw.split('\0');
    if (args.at(-1) === '') args.pop();
    let cwd = '/';
    try {
      cwd = readlinkSync(path.join(procRoot, String(pid), 'cwd'));
    } catch {
      /* unreadable: relative --config paths resolve against / */
    }
    return { pid, args, cwd };
  };
  const found: KubeletProcess[] = [];
  for (const pid of pids) {
    const comm = readText(path.join(procRoot, String(pid), 'comm'))?.trim();
    if (comm !== 'kubelet' && comm !== 'hyperkube') continue;
    const p = load(pid);
    if (p && (comm === 'kubelet' || isKubeletArgv(p.args))) found.push(p);
  }
  if (found.length > 0) return found;
  // comm can be renamed (prctl) while the binary stays: one more, dearer pass over exe links
  for (const pid of pids) {
    let exe: string;
    try {
      exe = readlinkSync(path.join(procRoot, String(pid), 'exe'));
    } catch {
      continue;
    }
    if (path.basename(exe.replace(/ \(deleted\)$/, '')) !== 'kubelet') continue;
    const p = load(pid);
    if (p) found.push(p);
  }
  return found;
}

/** Values of an env file line `KEY="a b c"` split as systemd splits an unquoted $KEY. */
function envFileArgs(text: string, key: string): string[] | null {
  for (const line of text.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m || m[1] !== key) continue;
    let v = m[2]!.trim();
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1);
    return v.split(/\s+/).filter(Boolean);
  }
  return null;
}

type Raw = Record<string, unknown>;

function asStringMap(v: unknown): Map<string, string | null> | null | undefined {
  if (v === undefined) return undefined;
  if (v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) return undefined;
  const out = new Map<string, string | null>();
  for (const [k, x] of Object.entries(v as Raw)) out.set(k, x === null ? null : String(x));
  return out;
}

/** Parse a KubeletConfiguration file (YAML or JSON). Throws InputError naming the file and line. */
function readKubeletConfig(file: string, shown: string): Raw {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`kubelet config ${shown}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    const line = err instanceof YAMLParseError && err.linePos ? `line ${err.linePos[0].line}: ` : '';
    // the yaml package appends " at line L, column C:" and a code frame; keep the reason only
    const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new InputError(`kubelet config ${shown}: not YAML or JSON (${line}${reason})`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new InputError(`kubelet config ${shown}: expected a KubeletConfiguration mapping`);
  return doc as Raw;
}

/** Apply one config document as the kubelet does: the base file sets maps, drop-ins merge into them (JSON merge patch). */
function applyConfig(maps: EvictionMaps, doc: Raw, shown: string, mode: 'base' | 'dropin'): void {
  const fields: Array<['hard' | 'soft' | 'grace', string]> = [
    ['hard', 'evictionHard'],
    ['soft', 'evictionSoft'],
    ['grace', 'evictionSoftGracePeriod'],
  ];
  for (const [slot, key] of fields) {
    const m = asStringMap(doc[key]);
    if (m === undefined) continue;
    if (m === null) {
      maps[slot] = null;
      continue;
    }
    const target = mode === 'base' || maps[slot] === null ? new Map<string, Sourced>() : maps[slot];
    for (const [k, v] of m) {
      if (v === null) target.delete(k);
      else target.set(k, { value: v, source: 'kubelet-config', origin: `${shown} ${key}` });
    }
    maps[slot] = target;
    if (slot === 'hard') maps.hardOrigin = `${shown} ${key}`;
  }
  if (typeof doc.mergeDefaultEvictionSettings === 'boolean') maps.mergeDefaults = doc.mergeDefaultEvictionSettings;
}

function defaultHardMap(origin: string): Map<string, Sourced> {
  return new Map([['memory.available', { value: '100Mi', source: 'kubelet-default', origin }]]);
}

/** Drop-in files of --config-dir in the kubelet's order: *.conf, lexical, walking subdirectories. */
function dropIns(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let names: string[];
    try {
      names = readdirSync(d).sort();
    } catch {
      return;
    }
    for (const n of names) {
      const p = path.join(d, n);
      let isDir = false;
      try {
        isDir = statSync(p).isDirectory();
      } catch {
        continue;
      }
      if (isDir) walk(p);
      else if (path.extname(n) === '.conf') out.push(p);
    }
  };
  walk(dir);
  return out;
}

/**
 * The kubelet's memory thresholds, with every problem reported as a warning rather than thrown:
 * the kubelet is running with whatever it read at start, so an unreadable file must not stop memrec.
 * Order (the kubelet's): defaults → --config file → --config-dir drop-ins → command-line flags;
 * then memrec's overrides. With no kubelet process visible: kubeadm's kubeadm-flags.env and
 * /etc/default/kubelet stand in for the cmdline, /var/lib/kubelet/config.yaml for --config.
 * Bad overrides throw InputError naming their origin (they are memrec's own input).
 */
export function discoverThresholds(
  roots: Roots,
  capacityBytes: number,
  overrides: ThresholdOverrides = {},
  opts: { memoryCgroup?: string | undefined } = {},
): ThresholdDiscovery {
  const warnings: string[] = [];
  const kubelets = findKubelets(roots.procRoot);
  let kubelet: KubeletProcess | undefined = kubelets[0];
  if (kubelets.length > 1) {
    const mc = opts.memoryCgroup;
    const inCg = mc === undefined ? [] : kubelets.filter((k) => within(memoryCgroupOf(roots.procRoot, k.pid) ?? '', mc));
    if (inCg.length >= 1) kubelet = inCg[0];
    if (inCg.length !== 1) {
      warnings.push(`several kubelet processes (pids ${kubelets.map((k) => k.pid).join(', ')}); using ${kubelet!.pid}${mc === undefined ? '; pass --memory-cgroup to choose the node' : ''}`);
    }
  }

  // the cmdline, or kubeadm's files standing in for it: [args, origin prefix per arg]
  const flagSets: Array<{ args: string[]; origin: string }> = [];
  let cwd = '/';
  let defaultConfig: string | null = null;
  if (kubelet) {
    flagSets.push({ args: kubelet.args.slice(1), origin: `kubelet pid ${kubelet.pid}` });
    cwd = kubelet.cwd;
  } else {
    for (const [file, key] of [
      ['/var/lib/kubelet/kubeadm-flags.env', 'KUBELET_KUBEADM_ARGS'],
      ['/etc/default/kubelet', 'KUBELET_EXTRA_ARGS'],
    ] as const) {
      const text = readText(hostPath(roots, file));
      const args = text === null ? null : envFileArgs(text, key);
      if (args) flagSets.push({ args, origin: `${file} ${key}` });
    }
    if (readText(hostPath(roots, '/var/lib/kubelet/config.yaml')) !== null) defaultConfig = '/var/lib/kubelet/config.yaml';
  }
  const flags = new Map<FlagName, Array<{ value: string; origin: string }>>();
  for (const set of flagSets) {
    for (const [name, values] of kubeletFlags(set.args)) {
      for (const value of values) flags.set(name, [...(flags.get(name) ?? []), { value, origin: `${set.origin} --${name}` }]);
    }
  }
  const lastFlag = (n: FlagName) => flags.get(n)?.at(-1);

  const maps: EvictionMaps = { hard: defaultHardMap('kubelet default'), soft: null, grace: null, mergeDefaults: false, hardOrigin: 'kubelet default' };
  const resolveHost = (p: string): string => (path.isAbsolute(p) ? p : path.resolve(cwd, p));
  const configPath = lastFlag('config')?.value ?? defaultConfig ?? undefined;
  if (configPath !== undefined && configPath !== '') {
    const shown = resolveHost(configPath);
    try {
      const doc = readKubeletConfig(hostPath(roots, shown), shown);
      applyConfig(maps, doc, shown, 'base');
      // a config file without evictionHard gets the default map (the kubelet's loadConfigFile)
      if (doc.evictionHard === undefined || doc.evictionHard === null) {
        maps.hard = defaultHardMap(`kubelet default (${shown} sets no evictionHard)`);
        maps.hardOrigin = 'kubelet default';
      }
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      warnings.push(`${err.message}; ignored`);
    }
  }
  const configDir = lastFlag('config-dir')?.value;
  if (configDir !== undefined && configDir !== '') {
    const shownDir = resolveHost(configDir);
    const realDir = hostPath(roots, shownDir);
    for (const file of dropIns(realDir)) {
      const shown = path.join(shownDir, path.relative(realDir, file));
      try {
        applyConfig(maps, readKubeletConfig(file, shown), shown, 'dropin');
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        warnings.push(`${err.message}; ignored`);
      }
    }
  }
  // flags win over the files; a map flag replaces the whole map, repeated flags add to it
  const flagMap = (name: FlagName, slot: 'hard' | 'soft' | 'grace'): void => {
    const values = flags.get(name);
    if (!values) return;
    const m = new Map<string, Sourced>();
    try {
      for (const { value, origin } of values) {
        const parsed = slot === 'grace' ? parseGracePeriodSpec(value, origin) : parseEvictionSpec(value, origin);
        for (const [k, v] of parsed) m.set(k, { value: v, source: 'kubelet-flag', origin });
      }
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      warnings.push(`${err.message}; ignored`);
      return;
    }
    maps[slot] = m;
    if (slot === 'hard') maps.hardOrigin = values.at(-1)!.origin;
  };
  flagMap('eviction-hard', 'hard');
  flagMap('eviction-soft', 'soft');
  flagMap('eviction-soft-grace-period', 'grace');

  // a value the kubelet itself would refuse is reported and skipped, hard and soft independently
  let hard: Thresholds['hard'];
  try {
    hard = kubeletMemoryThresholds({ ...maps, soft: null }, capacityBytes).hard;
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    warnings.push(`${err.message}; ignored`);
    hard = resolveThreshold(DEFAULT_HARD, capacityBytes, 'kubelet-default', 'kubelet default (the configured hard threshold is unusable)');
  }
  let soft: Thresholds['soft'] = null;
  try {
    soft = kubeletMemoryThresholds({ ...maps, hard: null }, capacityBytes).soft;
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    warnings.push(`${err.message}; ignored`);
  }
  const thresholds: Thresholds = { hard, soft };
  if (!kubelet) {
    const fromFiles = flagSets.length > 0 || defaultConfig !== null;
    // kubeadm's files may be newer than what a kubelet would run with: worth a warning. No kubelet and no
    // files is an ordinary host, not a problem: the threshold's origin says so.
    if (fromFiles) warnings.push(`no kubelet process under ${roots.procRoot}; thresholds from kubeadm's files`);
    else if (thresholds.hard.source === 'kubelet-default') thresholds.hard.origin = `kubelet default; no kubelet process under ${roots.procRoot}`;
  }

  const source: ThresholdSource = overrides.source ?? 'memrec-flag';
  if (overrides.hard !== undefined) {
    thresholds.hard = resolveThreshold(overrides.hard, capacityBytes, source, overrides.origin === undefined ? 'memrec --hard' : `${overrides.origin} (hard)`);
  }
  if (overrides.soft !== undefined) {
    thresholds.soft = resolveThreshold(overrides.soft, capacityBytes, source, overrides.origin === undefined ? 'memrec --soft' : `${overrides.origin} (soft)`);
  }
  return { thresholds, kubeletPid: kubelet?.pid ?? null, warnings };
}

/** The thresholds alone (see discoverThresholds for the rules and the warnings). */
export function loadThresholds(roots: Roots, capacityBytes: number, overrides?: ThresholdOverrides, opts?: { memoryCgroup?: string | undefined }): Thresholds {
  return discoverThresholds(roots, capacityBytes, overrides, opts).thresholds;
}
