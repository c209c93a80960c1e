// Recorded strings (cmdlines, cwds, comms) are attacker-controlled: a terminal must never receive
// their control characters, or a process could rewrite the SRE's screen.

/**
 * Control characters shown as escapes (`\n`, `\x1b`), and so are the bidi embeddings, overrides and
 * isolates (U+202A-202E, U+2066-2069, as `\u202e`): a name cannot display reversed. Everything else untouched.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

export function cleanText(s: string): string {
  // almost every cell is clean: testing is cheaper than a replace that rebuilds the string
  if (!CONTROL.test(s)) return s;
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    if (c === '\r') return '\\r';
    const code = c.charCodeAt(0);
    return code > 0xff ? `\\u${code.toString(16)}` : `\\x${code.toString(16).padStart(2, '0')}`;
  });
}

/** For HTML: & < > " ' as entities, control characters as escapes. */
export function escapeHtml(s: string): string {
  return cleanText(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
