// Text escaping for every output: cleanText (src/model/text.ts, so that the recorder's log and the
// file layer use the same one) and HTML on top of it.
import { cleanText } from '../../model/text.js';

export { cleanText, hasUnsafeText, safeJson } from '../../model/text.js';

/** For HTML: & < > " ' as entities, control and bidi characters as escapes. */
export function escapeHtml(s: string): string {
  return cleanText(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * `text` in lines of at most `width` characters, broken at spaces. A word longer than a whole line (a deep
 * cgroup path) breaks after a `/` where it can, else where it must. No width (not a terminal): one line.
 */
export function wrapLines(text: string, width: number | undefined): string[] {
  if (width === undefined || !Number.isFinite(width)) return [text];
  const room = Math.max(8, width);
  const words: string[] = [];
  for (let w of text.split(' ')) {
    while ([...w].length > room) {
      const cut = w.lastIndexOf('/', room - 1);
      const at = cut > 0 ? cut + 1 : room;
      words.push(w.slice(0, at));
      w = w.slice(at);
    }
    words.push(w);
  }
  const lines: string[] = [];
  let cur = '';
  for (const word of words) {
    if (cur !== '' && [...cur].length + 1 + [...word].length > room) {
      lines.push(cur);
      cur = word;
    } else cur = cur === '' ? word : `${cur} ${word}`;
  }
  lines.push(cur);
  return lines;
}
