// Recorded strings (comms, command lines, cwds, cgroups, pod names, kmsg text) are attacker-controlled:
// a terminal must never receive their control characters, or a process could rewrite the SRE's screen
// (ESC sequences, C1 CSI 0x9b, BEL, CR over a line) or reorder what is shown (bidi overrides). Every
// text output (tables, messages, logs, CSV, HTML) escapes them here; JSON escapes the same characters
// losslessly as \uXXXX.

/**
 * C0, DEL and C1 controls; the bidi embeddings, overrides and isolates (U+202A-202E, U+2066-2069) and
 * marks (U+061C, U+200E, U+200F); the Unicode line and paragraph separators (U+2028, U+2029).
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
// eslint-disable-next-line no-control-regex
const UNSAFE_ALL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** The same set without C0 (JSON.stringify already escapes U+0000-001F). */
const UNSAFE_FOR_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function hex(c: string, width: number): string {
  return c.charCodeAt(0).toString(16).padStart(width, '0');
}

/** Whether `s` holds a character cleanText would escape. */
export function hasUnsafeText(s: string): boolean {
  return UNSAFE.test(s);
}

/** Unsafe characters as visible escapes (`\n`, `\t`, `\r`, `\x1b`, `\x9b`, `\u202e`); everything else untouched. */
export function cleanText(s: string): string {
  // almost every cell is clean: testing is cheaper than a replace that rebuilds the string
  if (!UNSAFE.test(s)) return s;
  return s.replace(UNSAFE_ALL, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    if (c === '\r') return '\\r';
    return c.charCodeAt(0) <= 0xff ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`;
  });
}

/** JSON text with the characters cleanText escapes written as \uXXXX: the same value once parsed, safe on a terminal. */
export function safeJson(value: unknown, indent?: number): string {
  const s = indent === undefined ? JSON.stringify(value) : JSON.stringify(value, null, indent);
  // JSON.stringify(undefined) is undefined; callers pass values
  return s === undefined ? s : s.replace(UNSAFE_FOR_JSON, (c) => `\\u${hex(c, 4)}`);
}
