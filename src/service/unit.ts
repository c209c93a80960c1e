// The systemd unit as installed: the shipped systemd/memrec.service with its ExecStart rewritten
// for where node and memrec live on this machine. Pure text in, text out.
import { readText, SMALL_FILE_MAX } from '../fs/read.js';
import { fileURLToPath } from 'node:url';

/** systemd/memrec.service inside the installed package (dist/src/service → package root). */
export const UNIT_TEMPLATE_PATH = fileURLToPath(new URL('../../../systemd/memrec.service', import.meta.url));

/** The CLI entry point of this installation. */
export const INSTALLED_BIN_PATH = fileURLToPath(new URL('../cli/bin.js', import.meta.url));

/** Paths the unit refers to at run time (on the target machine, never under --prefix). */
export const RUNTIME_DB_PATH = '/var/lib/memrec/memrec.db';
export const RUNTIME_CONFIG_PATH = '/etc/memrec/memrec.yaml';

/**
 * Node flags of the recorder wherever it runs (this unit, the DaemonSet's command, `npm start`), measured
 * in BENCHMARKS.md: --jitless lets the unit set MemoryDenyWriteExecute=yes (--no-expose-wasm silences the
 * warning it causes); --max-semi-space-size=1 and --lite-mode keep V8's young generation and feedback small.
 */
export const NODE_FLAGS = ['--jitless', '--no-expose-wasm', '--max-semi-space-size=1', '--lite-mode'] as const;

export interface ExecSpec {
  /** absolute path of the node binary */
  node: string;
  /** absolute path of memrec's bin.js */
  bin: string;
}

export function readUnitTemplate(): string {
  return readText(UNIT_TEMPLATE_PATH, { maxBytes: SMALL_FILE_MAX });
}

/**
 * One ExecStart word, quoted for systemd: `%` starts a specifier anywhere, `$` an environment
 * expansion only in arguments (systemd-analyze verify showed `$$` kept literally in the command).
 */
export function systemdQuote(arg: string, isCommand = false): string {
  const escaped = isCommand ? arg.replace(/%/g, '%%') : arg.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(escaped)) return escaped;
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * The ExecStart arguments. --config and --db are explicit: the service runs as a dynamic user, for
 * which the default database would be a per-user path, and whose access(2) checks ignore capabilities.
 */
export function execStartArgs(spec: ExecSpec): string[] {
  return [spec.node, ...NODE_FLAGS, spec.bin, 'record', '--config', RUNTIME_CONFIG_PATH, '--db', RUNTIME_DB_PATH];
}

/** The template with its single ExecStart= line replaced; refuses a template that has not exactly one. */
export function renderUnit(template: string, spec: ExecSpec): string {
  for (const p of [spec.node, spec.bin]) {
    if (!p.startsWith('/')) throw new Error(`ExecStart needs absolute paths, got ${JSON.stringify(p)}`);
  }
  const lines = template.split('\n');
  const at = lines.flatMap((l, i) => (l.startsWith('ExecStart=') ? [i] : []));
  if (at.length !== 1) throw new Error(`the unit template has ${at.length} ExecStart= lines, expected 1`);
  lines[at[0]!] = `ExecStart=${execStartArgs(spec).map((a, i) => systemdQuote(a, i === 0)).join(' ')}`;
  return lines.join('\n');
}
