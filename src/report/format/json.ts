// JSON output: an array written row by row, so a large range never becomes one giant string. Control and
// bidi characters are written as \uXXXX (safeJson): the same values, and nothing a terminal would act on.
import { safeJson } from './text.js';

/** `[`, one row per line separated by commas, `]`. */
export function* jsonArrayLines(rows: Iterable<unknown>): Generator<string> {
  let first = true;
  yield '[';
  for (const r of rows) {
    yield (first ? '\n' : ',\n') + safeJson(r);
    first = false;
  }
  yield first ? ']\n' : '\n]\n';
}

/** One JSON document, indented for people. */
export function jsonDocument(value: unknown): string {
  return safeJson(value, 2) + '\n';
}
