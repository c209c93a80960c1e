// The ExecStart= command line of a systemd unit, for services that hide their flags from /proc (k3s sets
// its process title to `k3s server`). Reads the unit file and its drop-ins where systemd looks for them.
import path from 'node:path';
import { confinedPath } from '../fs/host-path.js';
import { readdirSync } from 'node:fs';
import { HostFileError, readHostText } from './host-file.js';

const UNIT_DIRS = ['/etc/systemd/system', '/run/systemd/system', '/usr/local/lib/systemd/system', '/lib/systemd/system', '/usr/lib/systemd/system'];
const UNIT_MAX_BYTES = 256 * 1024;

export interface ExecStart {
  /** the command, argv[0] first, as systemd would split it (quotes and escapes removed, $VAR from Environment= expanded) */
  argv: string[];
  /** the file that set it, as the host sees it */
  file: string;
}

/**
 * Split one ExecStart= value as systemd does: words separated by spaces, "double" and 'single' quotes,
 * backslash escapes; `$VAR` alone becomes the variable's words, `${VAR}` its value in place; an unset
 * variable is empty. The `-@:+!` prefixes are dropped.
 */
export function splitExecStart(value: string, env: ReadonlyMap<string, string> = new Map()): string[] {
  const v = value.trim().replace(/^[-@:+!]+/, '');
  const words: string[] = [];
  let i = 0;
  while (i < v.length) {
    while (i < v.length && /\s/.test(v[i]!)) i++;
    if (i >= v.length) break;
    // $VAR as a whole word: split into words
    const whole = /^\$([A-Za-z_][A-Za-z0-9_]*)(?=\s|$)/.exec(v.slice(i));
    if (whole) {
      words.push(...(env.get(whole[1]!) ?? '').split(/\s+/).filter(Boolean));
      i += whole[0].length;
      continue;
    }
    let word = '';
    let quote: string | null = null;
    for (; i < v.length; i++) {
      const c = v[i]!;
      if (quote === null && /\s/.test(c)) break;
      if (c === '\\' && i + 1 < v.length) {
        word += v[++i];
        continue;
      }
      if (quote === null && (c === '"' || c === "'")) {
        quote = c;
        continue;
      }
      if (c === quote) {
        quote = null;
        continue;
      }
      const ref = quote === "'" ? null : /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}/.exec(v.slice(i));
      if (ref) {
        word += env.get(ref[1]!) ?? '';
        i += ref[0].length - 1;
        continue;
      }
      word += c;
    }
    words.push(word);
  }
  return words;
}

/** `KEY=value` assignments of Environment= (several per line, quoted or not). */
function environmentAssignments(value: string): Array<[string, string]> {
  return splitExecStart(value).flatMap((w) => {
    const eq = w.indexOf('=');
    return eq > 0 ? [[w.slice(0, eq), w.slice(eq + 1)] as [string, string]] : [];
  });
}

/** Logical lines of a unit file: comments dropped, backslash-newline continuations joined. */
function unitLines(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (cur === '' && /^\s*[#;]/.test(line)) continue;
    if (line.endsWith('\\')) {
      cur += line.slice(0, -1) + ' ';
      continue;
    }
    out.push(cur + line);
    cur = '';
  }
  if (cur !== '') out.push(cur);
  return out;
}

/**
 * The ExecStart= of `unit` under `hostRoot`: the unit file from the first directory that has it, then its
 * `<unit>.d/*.conf` drop-ins in lexical order (an empty `ExecStart=` resets the list). Null when no unit file
 * is found; a file that cannot be read is thrown as HostFileError.
 */
export function readExecStart(hostRoot: string, unit: string): ExecStart | null {
  if (!/^[A-Za-z0-9@._:-]+\.service$/.test(unit)) return null;
  const files: string[] = [];
  for (const dir of UNIT_DIRS) {
    if (readHostText(confinedPath(hostRoot, path.join(dir, unit)), UNIT_MAX_BYTES) !== null) {
      files.push(path.join(dir, unit));
      break;
    }
  }
  if (files.length === 0) return null;
  for (const dir of UNIT_DIRS) {
    let names: string[] = [];
    try {
      names = readdirSync(confinedPath(hostRoot, path.join(dir, `${unit}.d`))).filter((n) => n.endsWith('.conf')).sort();
    } catch {
      continue;
    }
    files.push(...names.map((n) => path.join(dir, `${unit}.d`, n)));
  }
  const env = new Map<string, string>();
  let exec: ExecStart | null = null;
  for (const file of files) {
    const text = readHostText(confinedPath(hostRoot, file), UNIT_MAX_BYTES);
    if (text === null) throw new HostFileError(file, 'ENOENT');
    let section = '';
    for (const line of unitLines(text)) {
      const sec = /^\s*\[(.+)\]\s*$/.exec(line);
      if (sec) {
        section = sec[1]!;
        continue;
      }
      if (section !== 'Service') continue;
      const kv = /^\s*([A-Za-z]+)\s*=\s*(.*)$/.exec(line);
      if (!kv) continue;
      if (kv[1] === 'Environment') for (const [k, val] of environmentAssignments(kv[2]!)) env.set(k, val);
      if (kv[1] === 'ExecStart') exec = kv[2]!.trim() === '' ? null : { argv: splitExecStart(kv[2]!, env), file };
    }
  }
  return exec;
}

/**
 * The value of `variable` set by Environment= in one unit file or drop-in (EKS' bootstrap writes
 * `Environment='KUBELET_EXTRA_ARGS=...'` to a kubelet drop-in). Null when the file or the variable is absent.
 */
export function readUnitEnvironment(hostRoot: string, file: string, variable: string): string | null {
  let text: string | null;
  try {
    text = readHostText(confinedPath(hostRoot, file), UNIT_MAX_BYTES);
  } catch (err) {
    if (err instanceof HostFileError) return null;
    throw err;
  }
  if (text === null) return null;
  let value: string | null = null;
  for (const line of unitLines(text)) {
    const kv = /^\s*Environment\s*=\s*(.*)$/.exec(line);
    if (!kv) continue;
    for (const [k, v] of environmentAssignments(kv[1]!)) if (k === variable) value = v;
  }
  return value;
}
