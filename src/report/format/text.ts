// Text escaping for every output: cleanText (src/model/text.ts, so that the recorder's log and the
// file layer use the same one) and HTML on top of it.
import { cleanText } from '../../model/text.js';

export { cleanText, hasUnsafeText, safeJson } from '../../model/text.js';

/** For HTML: & < > " ' as entities, control and bidi characters as escapes. */
export function escapeHtml(s: string): string {
  return cleanText(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
