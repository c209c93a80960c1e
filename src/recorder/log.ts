// One logfmt line per event (`level=info msg="burst started" reason="..."`): journald keeps each as one
// entry, grep and `journalctl -o cat` read it, and no colors or multi-line stacks get in the way.
// Values carry recorded strings (an OOM victim's comm, file paths): control and bidi characters are
// escaped (cleanText) before quoting, so a line stays one line and a terminal shows it as written.
import { cleanText } from '../model/text.js';

export type Level = 'debug' | 'info' | 'warn' | 'error';
export type Fields = Record<string, string | number | boolean | null | undefined>;
export type Logger = (level: Level, msg: string, fields?: Fields) => void;

function value(v: string | number | boolean | null): string {
  const s = cleanText(String(v));
  return /^[\w./:@%+-]+$/.test(s) ? s : JSON.stringify(s);
}

export function logLine(level: Level, msg: string, fields: Fields = {}): string {
  const parts = [`level=${level}`, `msg=${value(msg)}`];
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) parts.push(`${k}=${value(v)}`);
  return parts.join(' ');
}

/**
 * Info (and debug, only with `debug`) to stdout, warnings and errors to stderr (journald tags them with their
 * priority either way).
 */
export function streamLogger(stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream, opts: { debug?: boolean } = {}): Logger {
  return (level, msg, fields) => {
    if (level === 'debug' && opts.debug !== true) return;
    (level === 'info' || level === 'debug' ? stdout : stderr).write(logLine(level, msg, fields) + '\n');
  };
}
