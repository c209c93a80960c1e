// The kubelet's command line when no `kubelet` process shows it: rebuilt the way k3s and MicroK8s build
// it (checked in their sources; test/fixtures/k3s*/NOTES.md and microk8s/NOTES.md cite them).
import path from 'node:path';
import { readdirSync } from 'node:fs';
import { HostFileError, readHostText } from './host-file.js';
import { processEnv, unitOfProcess, type KubeletProcess } from './kubelet-process.js';
import { hostPath, type Roots } from './roots.js';
import { readExecStart } from './systemd-unit.js';
import { parseYamlText } from '../model/yaml-text.js';
import { yamlErrorLine } from './yaml-error.js';

/** Flags with where they came from; `namePrefix` goes between origin and flag name in a threshold's origin. */
export interface FlagSet {
  args: string[];
  origin: string;
  /** default `--`: `kubelet pid 9 --eviction-hard`; k3s args read `... kubelet-arg eviction-hard` */
  namePrefix?: string;
}

export interface RebuiltArgs {
  flagSets: FlagSet[];
  /** a --config-dir the distribution always passes (k3s' managed drop-in directory) */
  configDir: string | null;
  warnings: string[];
}

const CONFIG_MAX_BYTES = 1 << 20;

/** `--name=value`, `--name value`, `-name value` (urfave/cli and pflag accept both dashes): every value of `names`. */
function flagValues(args: readonly string[], names: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') break;
    const m = /^--?([A-Za-z0-9-]+)(?:=(.*))?$/s.exec(a);
    if (!m || !names.includes(m[1]!)) continue;
    if (m[2] !== undefined) out.push(m[2]);
    else if (i + 1 < args.length) out.push(args[++i]!);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------- k3s

const K3S_CONFIG = '/etc/rancher/k3s/config.yaml';
const K3S_DATA_DIR = '/var/lib/rancher/k3s';
/** k3s before its kubelet drop-in directory passed these as flags (pkg/daemons/agent, `startKubelet` argsMap) */
const K3S_LEGACY_DEFAULTS: ReadonlyArray<[string, string]> = [['eviction-hard', 'imagefs.available<5%,nodefs.available<5%']];

interface Valued {
  value: string;
  origin: string;
}

/**
 * k3s' config file and its `<file>.d/*.yaml|*.yml` drop-ins (pkg/configfilearg readConfigFile): files in
 * name order, a key's later value replaces the earlier one unless the key ends in `+` (then it is appended).
 * Returns the `kubelet-arg` values and `data-dir`, each with the file that set it.
 */
function k3sConfig(roots: Roots, file: string, warnings: string[], product = 'k3s'): { kubeletArgs: Valued[]; dataDir: string | null } {
  const files: string[] = [];
  let dropIns: string[] = [];
  try {
    dropIns = readdirSync(hostPath(roots, `${file}.d`))
      .filter((n) => /\.ya?ml$/i.test(n))
      .sort()
      .map((n) => `${file}.d/${n}`);
  } catch {
    /* no drop-in directory */
  }
  if (readHostTextSafe(hostPath(roots, file), file, warnings) !== null) files.push(file);
  files.push(...dropIns);
  let kubeletArgs: Valued[] = [];
  let dataDir: string | null = null;
  for (const f of files) {
    const text = readHostTextSafe(hostPath(roots, f), f, warnings);
    if (text === null) continue;
    const parsed = parseYamlText(text);
    if (!parsed.ok) {
      warnings.push(`${product} config ${f}: not YAML (${parsed.line === null ? '' : `line ${parsed.line}: `}${parsed.reason}); ignored`);
      continue;
    }
    let doc: unknown;
    try {
      doc = parsed.doc.toJS(); // bounds alias expansion (maxAliasCount)
    } catch (err) {
      warnings.push(`${product} config ${f}: not YAML (${yamlErrorLine(err)}); ignored`);
      continue;
    }
    if (doc === null || doc === undefined) continue;
    if (typeof doc !== 'object' || Array.isArray(doc)) {
      warnings.push(`${product} config ${f}: expected a mapping of flag names; ignored`);
      continue;
    }
    for (const [rawKey, v] of Object.entries(doc as Record<string, unknown>)) {
      const append = rawKey.endsWith('+');
      const key = append ? rawKey.slice(0, -1) : rawKey;
      if (key === 'data-dir' && typeof v === 'string') dataDir = v;
      if (key !== 'kubelet-arg') continue;
      const list = Array.isArray(v) ? v : [v];
      const vals: Valued[] = [];
      for (const x of list) {
        if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') vals.push({ value: String(x), origin: `${f} kubelet-arg` });
        else warnings.push(`${product} config ${f}: kubelet-arg ${JSON.stringify(x)}: expected a string like "eviction-hard=memory.available<500Mi"; ignored`);
      }
      kubeletArgs = append ? [...kubeletArgs, ...vals] : vals;
    }
  }
  return { kubeletArgs, dataDir };
}

function readHostTextSafe(local: string, shown: string, warnings: string[]): string | null {
  try {
    return readHostText(local, CONFIG_MAX_BYTES);
  } catch (err) {
    if (!(err instanceof HostFileError)) throw err;
    warnings.push(`${shown}: ${err.reason}; ignored`);
    return null;
  }
}

/**
 * k3s' util.GetArgs: extra `key=value` args over a map of defaults. A plain key replaces the default and
 * accumulates with earlier extras of the same key (all are passed, in order); `key+=` appends to the default,
 * `key-=` prepends. Output sorted by key, repeats in order, as k3s passes them to the kubelet.
 */
export function k3sGetArgs(defaults: ReadonlyMap<string, Valued>, extra: readonly Valued[]): Array<{ key: string; value: string; origin: string }> {
  const initial = new Map(defaults);
  const multi = new Map<string, Valued[]>();
  for (const e of extra) {
    const stripped = e.value.replace(/^--/, '');
    const eq = stripped.indexOf('=');
    const arg = eq < 0 ? stripped : stripped.slice(0, eq);
    const value = eq < 0 ? 'true' : stripped.slice(eq + 1);
    const key = arg.replace(/[-+]+$/, '');
    const init = initial.get(key);
    const existing = multi.get(key) ?? [];
    const v = { value, origin: e.origin };
    let next: Valued[];
    if (arg.endsWith('+')) next = [...(init ? [init] : []), ...existing, v];
    else if (arg.endsWith('-')) next = [v, ...(init ? [init] : []), ...existing];
    else next = [...existing, v];
    initial.delete(key);
    multi.set(key, next);
  }
  for (const [k, v] of initial) multi.set(k, [v]);
  return [...multi.keys()].sort().flatMap((key) => multi.get(key)!.map((v) => ({ key, value: v.value, origin: v.origin })));
}

/**
 * The kubelet flags of a k3s node. The kubelet runs inside `k3s server|agent`, whose title hides its flags,
 * so they come from the systemd unit's ExecStart (what the install script wrote) when /proc shows none, and
 * from `kubelet-arg` in the config file(s), config first, then the command line (configfilearg puts the
 * file's flags before the command line's). k3s with a kubelet drop-in directory
 * (`<data-dir>/agent/etc/kubelet.conf.d/00-k3s-defaults.conf`, evictionHard without memory.available) passes
 * it as --config-dir and copies a kubelet-arg `config`/`config-dir` into it; older k3s passed
 * `--eviction-hard=imagefs.available<5%,nodefs.available<5%` as a flag, which leaves no memory threshold.
 */
export function k3sKubeletArgs(roots: Roots, proc: KubeletProcess | null): RebuiltArgs {
  const warnings: string[] = [];
  const label = proc === null ? 'k3s (no process)' : `k3s pid ${proc.pid}`;
  // the command line: /proc unless its title hides it, else the unit's ExecStart
  let cli: string[] = [];
  let cliOrigin = label;
  const shown = proc?.argv ?? [];
  if (shown.length > 2) cli = shown.slice(2);
  else {
    const units = proc === null ? ['k3s.service', 'k3s-agent.service'] : [unitOfProcess(roots.procRoot, proc.pid) ?? 'k3s.service'];
    for (const unit of units) {
      let exec = null;
      try {
        exec = readExecStart(roots.hostRoot, unit);
      } catch (err) {
        if (!(err instanceof HostFileError)) throw err;
        warnings.push(`${unit}: ${err.message}; k3s flags on its command line are unknown`);
      }
      if (exec === null) continue;
      const sub = exec.argv.findIndex((a) => a === 'server' || a === 'agent');
      cli = sub < 0 ? [] : exec.argv.slice(sub + 1);
      cliOrigin = `${label}: ${exec.file} ExecStart`;
      break;
    }
  }
  const env = proc === null ? new Map<string, string>() : processEnv(roots.procRoot, proc.pid, ['K3S_CONFIG_FILE', 'K3S_DATA_DIR']);
  const configFile = flagValues(cli, ['config', 'c']).at(-1) ?? env.get('K3S_CONFIG_FILE') ?? K3S_CONFIG;
  const cfg = k3sConfig(roots, configFile, warnings);
  const dataDir = flagValues(cli, ['data-dir', 'd']).at(-1) ?? cfg.dataDir ?? env.get('K3S_DATA_DIR') ?? K3S_DATA_DIR;
  const extra: Valued[] = [
    ...cfg.kubeletArgs.map((v) => ({ value: v.value, origin: `${label}: ${v.origin}` })),
    ...flagValues(cli, ['kubelet-arg']).map((value) => ({ value, origin: `${cliOrigin} --kubelet-arg` })),
  ];
  const managed = `${dataDir}/agent/etc/kubelet.conf.d`;
  const modern = readHostTextSafe(hostPath(roots, `${managed}/00-k3s-defaults.conf`), `${managed}/00-k3s-defaults.conf`, warnings) !== null;
  const defaults = new Map<string, Valued>();
  if (modern) defaults.set('config-dir', { value: managed, origin: `${label}: k3s' kubelet drop-in directory` });
  else for (const [k, v] of K3S_LEGACY_DEFAULTS) defaults.set(k, { value: v, origin: `${label}: k3s' default kubelet flag` });
  const merged = k3sGetArgs(defaults, extra)
    // a managed directory receives --config/--config-dir copies (agent.go extractConfigArgs): read it, not them
    .filter((a) => !(modern && (a.key === 'config' || a.key === 'config-dir')));
  return {
    flagSets: merged.map((a) => ({ args: [`--${a.key}=${a.value}`], origin: a.origin, namePrefix: ' ' })),
    configDir: modern ? managed : null,
    warnings,
  };
}

/**
 * RKE2's kubelet runs as its own process, whose flags /proc shows. Without that process: its drop-in
 * directory (`/var/lib/rancher/rke2/agent/etc/kubelet.conf.d`, passed as --config-dir) and the `kubelet-arg`
 * of /etc/rancher/rke2/config.yaml (same rules as k3s' config), which RKE2 passes as kubelet flags.
 */
export function rancherKubeletArgs(roots: Roots): RebuiltArgs {
  const warnings: string[] = [];
  const cfg = k3sConfig(roots, '/etc/rancher/rke2/config.yaml', warnings, 'RKE2');
  const extra = cfg.kubeletArgs.map((v) => ({ value: v.value, origin: `RKE2 (no kubelet process): ${v.origin}` }));
  return {
    flagSets: k3sGetArgs(new Map(), extra).map((a) => ({ args: [`--${a.key}=${a.value}`], origin: a.origin, namePrefix: ' ' })),
    configDir: `${cfg.dataDir ?? '/var/lib/rancher/rke2'}/agent/etc/kubelet.conf.d`,
    warnings,
  };
}

// ------------------------------------------------------------------------------------------ MicroK8s

const MICROK8S_ARGS = '/var/snap/microk8s/current/args/kubelet';

/** os.ExpandEnv: `$VAR` and `${VAR}` replaced, an unset variable by nothing. */
function expandEnv(s: string, env: ReadonlyMap<string, string>): string {
  return s.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, a: string | undefined, b: string | undefined) => env.get((a ?? b)!) ?? '');
}

/**
 * kubelite's ReadArgsFromFile (the MicroK8s kubelite patch, cmd/kubelite/app/options): each line trimmed,
 * empty and `#` lines skipped, every `"` and `'` removed, split on single spaces, each part env-expanded.
 */
export function parseKubeliteArgs(text: string, env: ReadonlyMap<string, string>): string[] {
  const args: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    for (const part of line.replace(/["']/g, '').split(' ')) args.push(expandEnv(part, env));
  }
  return args;
}

/**
 * The kubelet flags of a MicroK8s node: kubelite reads them from --kubelet-args-file (default
 * /var/snap/microk8s/current/args/kubelet), `${SNAP_DATA}` and friends expanded from kubelite's environment,
 * else from the snap's layout (SNAP_DATA is the directory above `args/`).
 */
export function kubeliteKubeletArgs(roots: Roots, proc: KubeletProcess | null): RebuiltArgs {
  const warnings: string[] = [];
  const label = proc === null ? 'MicroK8s (no kubelite process)' : `MicroK8s kubelite pid ${proc.pid}`;
  const env = proc === null ? new Map<string, string>() : processEnv(roots.procRoot, proc.pid, ['SNAP', 'SNAP_DATA', 'SNAP_COMMON', 'SNAP_NAME', 'SNAP_REVISION']);
  const file = expandEnv(flagValues(proc?.argv.slice(1) ?? [], ['kubelet-args-file']).at(-1) ?? MICROK8S_ARGS, env);
  if (!env.has('SNAP_DATA')) env.set('SNAP_DATA', /\/args\/[^/]+$/.test(file) ? path.posix.dirname(path.posix.dirname(file)) : '/var/snap/microk8s/current');
  if (!env.has('SNAP_COMMON')) env.set('SNAP_COMMON', '/var/snap/microk8s/common');
  if (!env.has('SNAP')) env.set('SNAP', '/snap/microk8s/current');
  const text = readHostTextSafe(hostPath(roots, file), `MicroK8s kubelet args ${file}`, warnings);
  if (text === null) {
    if (warnings.length === 0) warnings.push(`MicroK8s kubelet args ${file}: missing; thresholds from the kubelet's defaults`);
    return { flagSets: [], configDir: null, warnings };
  }
  return { flagSets: [{ args: parseKubeliteArgs(text, env), origin: `${label}: ${file}` }], configDir: null, warnings };
}
