// JSON output: an array written row by row, so a large range never becomes one giant string.

/** `[`, one row per line separated by commas, `]`. */
export function* jsonArrayLines(rows: Iterable<unknown>): Generator<string> {
  let first = true;
  yield '[';
  for (const r of rows) {
    yield (first ? '\n' : ',\n') + JSON.stringify(r);
    first = false;
  }
  yield first ? ']\n' : '\n]\n';
}

/** One JSON document, indented for people. */
export function jsonDocument(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}
