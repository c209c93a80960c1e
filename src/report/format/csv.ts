// RFC 4180 CSV: CRLF line ends, a field with a comma or quote is quoted and its quotes doubled. Control
// and bidi characters are escaped as in every text output (cleanText: a newline becomes `\n`), so a cell
// never holds one raw and a row is always one line.
import { cleanText } from './text.js';

export type CsvValue = string | number | boolean | null | undefined | readonly unknown[] | object;

export function csvField(v: CsvValue): string {
  if (v === null || v === undefined) return '';
  const s = cleanText(typeof v === 'object' ? (Array.isArray(v) ? v.map(String).join('; ') : JSON.stringify(v)) : String(v));
  return /[",]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(values: CsvValue[]): string {
  return values.map(csvField).join(',') + '\r\n';
}

/** A header line of `fields` and one line per row, each row read by field name. */
export function* csvLines(fields: readonly string[], rows: Iterable<Record<string, unknown>>): Generator<string> {
  yield csvLine([...fields]);
  for (const r of rows) yield csvLine(fields.map((f) => r[f] as CsvValue));
}
