// Words wrapped to a width, for sentences that must be read whole (explanations, how a recording ended).
import { cleanText } from './text.js';

/** `s` as lines of at most `width` characters where words allow, continuation lines indented; one line without a width. */
export function wrapWords(s: string, width: number | undefined, indent = '', first = ''): string[] {
  const words = cleanText(s).split(' ');
  if (width === undefined) return [`${first}${words.join(' ')}\n`];
  const lines: string[] = [];
  let cur = first;
  let lead = first.length;
  for (const word of words) {
    if (cur.length > lead && cur.length + 1 + word.length > width) {
      lines.push(`${cur}\n`);
      cur = indent + word;
      lead = indent.length;
    } else cur += (cur.length > lead ? ' ' : '') + word;
  }
  lines.push(`${cur}\n`);
  return lines;
}
