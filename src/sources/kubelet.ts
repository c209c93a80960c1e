// The kubelet's eviction thresholds, discovered from the running kubelet: its cmdline (or the command line
// k3s and MicroK8s build for the kubelet they embed), its KubeletConfiguration file and drop-ins, or the
// distribution's files when no kubelet process is visible. Also which distribution and kubelet version it is.
import { statSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.js';
import { FileError } from '../fs/file-error.js';
import { confinedPath } from '../fs/host-path.js';
import { listDir, readText as readRegularText, SMALL_FILE_MAX } from '../fs/read.js';
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
import { parseYamlText } from '../model/yaml-text.js';
import { k3sKubeletArgs, kubeliteKubeletArgs, rancherKubeletArgs, type FlagSet } from './kubelet-args.js';
import { distributionFromFiles, distributionOf, documentedHard, standInFiles, type Distribution } from './kubelet-distro.js';
import { findKubeletProcesses, type KubeletHost, type KubeletProcess } from './kubelet-process.js';
import { findKubeletVersion, type KubeletVersion } from './kubelet-version.js';
import { hostPath, type Roots } from './roots.js';
import { readUnitEnvironment } from './systemd-unit.js';
import { yamlErrorLine } from './yaml-error.js';

/** memrec's own thresholds (--hard/--soft or its config file); they win over anything the kubelet says. */
export interface ThresholdOverrides {
  hard?: string | undefined;
  soft?: string | undefined;
  /** where they came from, for `origin`: default `memrec --hard` / `memrec --soft` */
  origin?: string;
  /** default 'memrec-flag' */
  source?: 'memrec-flag' | 'memrec-config';
}

/** What runs the node's kubelet, as far as memrec can tell. */
export interface KubeletIdentity {
  /** `kubelet`, `k3s` (the kubelet inside k3s server/agent) or `kubelite` (MicroK8s); null when no process is visible */
  host: KubeletHost | null;
  distribution: Distribution | null;
  /** null when no source on the node says (then memrec assumes ≥ 1.29 where it matters) */
  version: KubeletVersion | null;
}

export interface ThresholdDiscovery {
  thresholds: Thresholds;
  /** the process running the kubelet, if one was found (the k3s or kubelite process for those) */
  kubeletPid: number | null;
  kubelet: KubeletIdentity;
  /** problems that did not stop discovery (unreadable config, several kubelets, bad values): one line each */
  warnings: string[];
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

/** A /proc file of a process, or a host file at a confined path: null when gone, unreadable, or not a regular file. */
function readText(file: string): string | null {
  try {
    return readRegularText(file, { maxBytes: SMALL_FILE_MAX });
  } catch {
    return null;
  }
}

/** A host file, or null when absent; one memrec will not read (a FIFO, a device, too large) is a warning. */
function readHostFile(roots: Roots, file: string, warnings: string[]): string | null {
  try {
    return readRegularText(hostPath(roots, file), { maxBytes: SMALL_FILE_MAX });
  } catch (err) {
    if (!(err instanceof FileError)) throw err;
    if (err.code !== 'ENOENT' && err.code !== 'ENOTDIR') warnings.push(`${file}: ${err.reason}; ignored`);
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
    text = readRegularText(file, { maxBytes: SMALL_FILE_MAX });
  } catch (err) {
    if (!(err instanceof FileError)) throw err;
    throw new InputError(`kubelet config ${shown}: ${err.reason}`);
  }
  const parsed = parseYamlText(text);
  if (!parsed.ok) throw new InputError(`kubelet config ${shown}: not YAML or JSON (${parsed.line === null ? '' : `line ${parsed.line}: `}${parsed.reason})`);
  let doc: unknown;
  try {
    doc = parsed.doc.toJS(); // bounds alias expansion (maxAliasCount)
  } catch (err) {
    throw new InputError(`kubelet config ${shown}: not YAML or JSON (${yamlErrorLine(err)})`);
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

/** A --config-dir with more entries than this is not a drop-in directory: the walk stops there, with a warning. */
const MAX_DROPIN_ENTRIES = 10_000;

/**
 * Drop-in files of --config-dir (`dir`, a confined path) in the kubelet's order: *.conf, lexical, walking
 * subdirectories; their paths relative to `dir`. As filepath.WalkDir, a link to a directory is not walked
 * (a link to `/` must not make memrec walk the node); a *.conf link is read by the caller, resolved in the root.
 */
function dropIns(dir: string, shownDir: string, warnings: string[]): string[] {
  const out: string[] = [];
  let entries = 0;
  const walk = (rel: string): void => {
    let names;
    try {
      names = listDir(path.join(dir, rel)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch (err) {
      if (!(err instanceof FileError)) throw err;
      if (err.code !== 'ENOENT') warnings.push(`kubelet --config-dir ${path.join(shownDir, rel)}: ${err.reason}; ignored`);
      return;
    }
    for (const d of names) {
      if (++entries > MAX_DROPIN_ENTRIES) {
        if (entries === MAX_DROPIN_ENTRIES + 1) warnings.push(`kubelet --config-dir ${shownDir}: more than ${MAX_DROPIN_ENTRIES} entries; the rest ignored`);
        return;
      }
      const p = path.join(rel, d.name);
      if (d.isDirectory()) walk(p);
      else if (path.extname(d.name) === '.conf') out.push(p);
    }
  };
  walk('');
  return out;
}

/** Where the kubelet's settings come from: its process (or the command line its host builds) or stand-in files. */
interface KubeletSettings {
  proc: KubeletProcess | null;
  distribution: Distribution | null;
  flagSets: FlagSet[];
  /** --config to read when no flag names one (a stand-in file) */
  defaultConfig: string | null;
  /** --config-dir the distribution always passes, or a stand-in one */
  configDir: string | null;
  cwd: string;
  /** any of the node's kubelet files was found: else the distribution's documented default applies */
  fromFiles: boolean;
  warnings: string[];
}

function firstExisting(roots: Roots, files: readonly string[]): string | null {
  return files.find((f) => readText(hostPath(roots, f)) !== null) ?? null;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The kubelet's flags from its process: its own cmdline, k3s' rebuilt one, or kubelite's args file. */
function settingsOfProcess(roots: Roots, proc: KubeletProcess): KubeletSettings {
  const distribution = distributionOf(roots, proc);
  const base = { proc, distribution, defaultConfig: null, cwd: proc.cwd, fromFiles: true };
  if (proc.host === 'k3s') {
    const r = k3sKubeletArgs(roots, proc);
    return { ...base, flagSets: r.flagSets, configDir: r.configDir, warnings: r.warnings };
  }
  if (proc.host === 'kubelite') {
    const r = kubeliteKubeletArgs(roots, proc);
    return { ...base, flagSets: r.flagSets, configDir: r.configDir, warnings: r.warnings };
  }
  const args = proc.argv.slice(path.basename(proc.argv[0] ?? '') === 'hyperkube' ? 2 : 1);
  const who = `kubelet pid ${proc.pid}${distribution === null || distribution === 'kind' ? '' : ` (${distribution})`}`;
  return { ...base, flagSets: [{ args, origin: who }], configDir: null, warnings: [] };
}

/** With no kubelet process visible: the distribution's files stand in for its command line and config. */
function settingsFromFiles(roots: Roots): KubeletSettings {
  const distribution = distributionFromFiles(roots);
  const base = { proc: null, distribution, defaultConfig: null, cwd: '/' };
  if (distribution === 'k3s' || distribution === 'MicroK8s' || distribution === 'RKE2') {
    const r = distribution === 'k3s' ? k3sKubeletArgs(roots, null) : distribution === 'MicroK8s' ? kubeliteKubeletArgs(roots, null) : rancherKubeletArgs(roots);
    return { ...base, flagSets: r.flagSets, configDir: r.configDir, fromFiles: true, warnings: r.warnings };
  }
  const files = standInFiles(distribution);
  const flagSets: FlagSet[] = [];
  const warnings: string[] = [];
  for (const [file, key] of files.envFlags) {
    const text = readHostFile(roots, file, warnings);
    const args = text === null ? null : envFileArgs(text, key);
    if (args) flagSets.push({ args, origin: `${file} ${key}` });
  }
  for (const [file, key] of files.unitEnvFlags) {
    const value = readUnitEnvironment(roots.hostRoot, file, key);
    if (value !== null) flagSets.push({ args: value.split(/\s+/).filter(Boolean), origin: `${file} ${key}` });
  }
  const defaultConfig = firstExisting(roots, files.config);
  const configDir = files.configDir !== null && isDir(hostPath(roots, files.configDir)) ? files.configDir : null;
  return { ...base, flagSets, defaultConfig, configDir, fromFiles: flagSets.length > 0 || defaultConfig !== null || configDir !== null, warnings };
}

/** Versions are read once per kubelet process (pid and binary): dpkg's status file is megabytes. */
const versionCache = new Map<string, KubeletVersion | null>();

function kubeletVersion(roots: Roots, proc: KubeletProcess | null, distribution: Distribution | null): KubeletVersion | null {
  // without a process there is nothing to tie a cached answer to: read again (every few minutes at most)
  if (proc === null) return findKubeletVersion(roots, null, distribution);
  const key = `${roots.hostRoot}\0${roots.procRoot}\0${proc.pid}\0${proc.exe ?? ''}`;
  if (versionCache.has(key)) return versionCache.get(key)!;
  const v = findKubeletVersion(roots, proc, distribution);
  if (versionCache.size >= 16) versionCache.clear();
  versionCache.set(key, v);
  return v;
}

/**
 * The kubelet's memory thresholds, with every problem reported as a warning rather than thrown:
 * the kubelet is running with whatever it read at start, so an unreadable file must not stop memrec.
 * Order (the kubelet's): defaults → --config file → --config-dir drop-ins → command-line flags;
 * then memrec's overrides. The kubelet is a `kubelet` process, or runs inside k3s (flags from k3s' unit and
 * config) or MicroK8s' kubelite (flags from its args file). With no such process visible, the
 * distribution's files stand in (kubeadm's kubeadm-flags.env, /etc/default/kubelet and config.yaml; EKS,
 * AKS, GKE, k3s, RKE2 and MicroK8s files), else the distribution's documented default.
 * A nested node's kubelet (kind) names paths in its own filesystem: they are read through /proc/<pid>/root.
 * Bad overrides throw InputError naming their origin (they are memrec's own input).
 */
export function discoverThresholds(
  roots: Roots,
  capacityBytes: number,
  overrides: ThresholdOverrides = {},
  opts: { memoryCgroup?: string | undefined } = {},
): ThresholdDiscovery {
  const warnings: string[] = [];
  const procs = findKubeletProcesses(roots.procRoot, roots.hostRoot);
  let proc: KubeletProcess | undefined = procs[0];
  if (procs.length > 1) {
    const mc = opts.memoryCgroup;
    const inCg = mc === undefined ? [] : procs.filter((k) => within(memoryCgroupOf(roots.procRoot, k.pid) ?? '', mc));
    if (inCg.length >= 1) proc = inCg[0];
    if (inCg.length !== 1) {
      warnings.push(`several kubelet processes (pids ${procs.map((k) => k.pid).join(', ')}); using ${proc!.pid}${mc === undefined ? '; pass --memory-cgroup to choose the node' : ''}`);
    }
  }
  const settings = proc ? settingsOfProcess(roots, proc) : settingsFromFiles(roots);
  warnings.push(...settings.warnings);
  // paths the kubelet names are in its own filesystem: a kind node's, seen through /proc/<pid>/root
  const ownRoot = settings.proc?.ownRoot ?? null;
  // (resolved inside that root: a link there leads where it leads for the kubelet, never out of it)
  const local = (p: string): string => (ownRoot === null ? hostPath(roots, p) : confinedPath(ownRoot, p));
  // and say so where they are named: the host's file of that name is another one
  const inNode = ownRoot === null ? '' : ` in kubelet pid ${settings.proc!.pid}'s root`;

  const flags = new Map<FlagName, Array<{ value: string; origin: string }>>();
  for (const set of settings.flagSets) {
    for (const [name, values] of kubeletFlags(set.args)) {
      for (const value of values) flags.set(name, [...(flags.get(name) ?? []), { value, origin: `${set.origin}${set.namePrefix ?? ' --'}${name}` }]);
    }
  }
  const lastFlag = (n: FlagName) => flags.get(n)?.at(-1);

  const maps: EvictionMaps = { hard: defaultHardMap('kubelet default'), soft: null, grace: null, mergeDefaults: false, hardOrigin: 'kubelet default' };
  const resolveHost = (p: string): string => (path.isAbsolute(p) ? p : path.resolve(settings.cwd, p));
  const configPath = lastFlag('config')?.value ?? settings.defaultConfig ?? undefined;
  if (configPath !== undefined && configPath !== '') {
    const shown = resolveHost(configPath) + inNode;
    try {
      const doc = readKubeletConfig(local(resolveHost(configPath)), shown);
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
  const configDir = lastFlag('config-dir')?.value ?? settings.configDir ?? undefined;
  if (configDir !== undefined && configDir !== '') {
    const shownDir = resolveHost(configDir);
    for (const rel of dropIns(local(shownDir), shownDir + inNode, warnings)) {
      const shown = path.join(shownDir, rel) + inNode;
      try {
        applyConfig(maps, readKubeletConfig(local(path.join(shownDir, rel)), shown), shown, 'dropin');
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
  const distribution = settings.distribution;
  const version = kubeletVersion(roots, settings.proc, distribution);
  if (!proc) {
    // Files may be newer than what a kubelet would run with: worth a warning. No kubelet and no files is an
    // ordinary host, not a problem: the threshold's origin says so.
    if (settings.fromFiles) warnings.push(`no kubelet process under ${roots.procRoot}; thresholds from ${distribution === null ? "kubeadm's" : `${distribution}'s`} files`);
    const documented = settings.fromFiles ? null : documentedHard(distribution, version);
    if (documented !== null && thresholds.hard.source === 'kubelet-default') {
      thresholds.hard = resolveThreshold(documented.value, capacityBytes, 'kubelet-default', `${documented.origin}; no kubelet process under ${roots.procRoot} and no kubelet files`);
    } else if (!settings.fromFiles && thresholds.hard.source === 'kubelet-default') {
      thresholds.hard.origin = `kubelet default; no kubelet process under ${roots.procRoot}`;
    }
  }
  if (thresholds.hard.source === 'kubelet-default' && distribution !== null && !thresholds.hard.origin.includes(distribution)) thresholds.hard.origin += ` (${distribution} node)`;

  const source: ThresholdSource = overrides.source ?? 'memrec-flag';
  if (overrides.hard !== undefined) {
    thresholds.hard = resolveThreshold(overrides.hard, capacityBytes, source, overrides.origin === undefined ? 'memrec --hard' : `${overrides.origin} (hard)`);
  }
  if (overrides.soft !== undefined) {
    thresholds.soft = resolveThreshold(overrides.soft, capacityBytes, source, overrides.origin === undefined ? 'memrec --soft' : `${overrides.origin} (soft)`);
  }
  return { thresholds, kubeletPid: proc?.pid ?? null, kubelet: { host: proc?.host ?? null, distribution, version }, warnings };
}

