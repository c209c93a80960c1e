// install-service / uninstall-service as file operations below a prefix. No systemctl: the caller
// prints the commands, since a machine being prepared (or a test) may not run systemd.
import { chmodSync, lstatSync, mkdirSync, readdirSync, rmdirSync, rmSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { readTextIfExists, SMALL_FILE_MAX } from '../fs/read.js';
import { writeOutput } from '../fs/write.js';
import { servicePaths } from './paths.js';

export type ActionKind = 'wrote' | 'unchanged' | 'created' | 'kept' | 'removed';

export interface Action {
  kind: ActionKind;
  path: string;
  /** why, for humans: `edited since install`, `recorded data (use --purge)` */
  note?: string;
}

export interface InstallInput {
  /** staging root, `/` for the real system */
  prefix: string;
  uid: number;
  unitText: string;
  configText: string;
}

export interface UninstallInput {
  prefix: string;
  uid: number;
  /** the default config text: a memrec.yaml still equal to it holds no one's settings and goes */
  configText: string;
  purge: boolean;
}

function requireRoot(command: string, uid: number, why: string): void {
  if (uid !== 0) throw new UsageError(`memrec ${command}: must run as root (${why}); try: sudo memrec ${command}`);
}

function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Through a temporary file and rename, so systemd never reads half a unit; never through a link or device. */
function writeAtomic(file: string, text: string, mode: number, replace: boolean): void {
  writeOutput(file, [text], { label: 'memrec install-service:', mode, replace });
}

/** An existing file's text (a regular file, not followed through a link), or null. */
function readIfThere(file: string): string | null {
  return readTextIfExists(file, { maxBytes: SMALL_FILE_MAX, noFollow: true });
}

/**
 * Missing directories above `dir` as 0755 whatever the umask: they are the system's (etc, systemd, ...),
 * and a staging root unpacked over / must not close /etc or /var/lib to everyone else.
 */
function ensureParents(dir: string): void {
  const missing: string[] = [];
  for (let d = path.dirname(dir); !exists(d); d = path.dirname(d)) missing.unshift(d);
  for (const d of missing) {
    mkdirSync(d, { mode: 0o755 });
    chmodSync(d, 0o755);
  }
}

/** memrec's own directory with exactly `mode`, whatever the umask; an existing one is tightened, never loosened. */
function ensureDir(dir: string, mode: number, actions: Action[]): void {
  if (exists(dir)) {
    const cur = lstatSync(dir).mode & 0o777;
    if ((cur & ~mode) !== 0) chmodSync(dir, cur & mode);
    actions.push({ kind: 'kept', path: dir });
    return;
  }
  ensureParents(dir);
  mkdirSync(dir, { mode });
  chmodSync(dir, mode);
  actions.push({ kind: 'created', path: dir, note: `mode 0${mode.toString(8)}` });
}

export function installService(input: InstallInput): Action[] {
  requireRoot('install-service', input.uid, 'it writes /etc/systemd/system and /etc/memrec');
  const p = servicePaths(input.prefix);
  const actions: Action[] = [];

  ensureParents(p.unit);
  // Rewritten on every run: after an upgrade the ExecStart may point elsewhere.
  // a unit that is a link (`systemctl mask` makes one to /dev/null) is refused, not replaced
  const old = readIfThere(p.unit);
  if (old === input.unitText) actions.push({ kind: 'unchanged', path: p.unit });
  else {
    writeAtomic(p.unit, input.unitText, 0o644, true);
    actions.push(old === null ? { kind: 'wrote', path: p.unit } : { kind: 'wrote', path: p.unit, note: 'replaced the previous unit' });
  }

  ensureDir(p.configDir, 0o700, actions);
  if (exists(p.configFile)) actions.push({ kind: 'kept', path: p.configFile, note: 'existing configuration is never overwritten' });
  else {
    writeAtomic(p.configFile, input.configText, 0o600, false);
    actions.push({ kind: 'created', path: p.configFile, note: 'commented defaults' });
  }

  // The state directory is the unit's StateDirectory=: systemd creates /var/lib/private/memrec for the
  // dynamic user behind a /var/lib/memrec link. A plain /var/lib/memrec made here would be "migrated"
  // on the first start, with a warning that DynamicUser= was previously off.
  for (const d of [p.privateStateDir, p.stateDir]) {
    if (exists(d)) {
      actions.push({ kind: 'kept', path: d, note: 'recorded data' });
      break;
    }
  }
  return actions;
}

export function uninstallService(input: UninstallInput): Action[] {
  requireRoot('uninstall-service', input.uid, 'it removes files from /etc/systemd/system, /etc/memrec and /var/lib/memrec');
  const p = servicePaths(input.prefix);
  const actions: Action[] = [];
  const remove = (target: string, note?: string): void => {
    if (!exists(target)) return;
    rmSync(target, { recursive: true, force: true });
    actions.push(note === undefined ? { kind: 'removed', path: target } : { kind: 'removed', path: target, note });
  };

  // What `systemctl disable` would remove; a dangling wants link would make systemd complain.
  const wants = path.join(path.dirname(p.unit), 'multi-user.target.wants', 'memrec.service');
  if (exists(wants) && lstatSync(wants).isSymbolicLink()) {
    unlinkSync(wants);
    actions.push({ kind: 'removed', path: wants });
  }
  remove(p.unit);

  if (input.purge) remove(p.configDir, 'configuration');
  else if (exists(p.configFile)) {
    let text: string | null = null;
    try {
      text = readIfThere(p.configFile);
    } catch {
      /* a link or something else that is not the file install-service wrote: kept */
    }
    if (text === input.configText) remove(p.configFile, 'unchanged default');
    else actions.push({ kind: 'kept', path: p.configFile, note: 'edited since install; --purge removes it' });
  }
  if (!input.purge && exists(p.configDir) && readdirSync(p.configDir).length === 0) {
    rmdirSync(p.configDir);
    actions.push({ kind: 'removed', path: p.configDir, note: 'empty' });
  }

  if (input.purge) {
    remove(p.stateDir, 'recorded data');
    remove(p.privateStateDir, 'recorded data');
  } else {
    for (const d of [p.privateStateDir, p.stateDir]) {
      if (exists(d)) actions.push({ kind: 'kept', path: d, note: 'recorded data; --purge removes it' });
    }
  }
  return actions;
}

/** One line per action, for the commands' output. */
export function formatActions(actions: Action[]): string {
  return actions.map((a) => `  ${a.kind.padEnd(9)} ${a.path}${a.note ? `  (${a.note})` : ''}\n`).join('');
}
