// Newline-delimited JSON: one row per line, for jq -c and log pipelines.

export function* ndjsonLines(rows: Iterable<unknown>): Generator<string> {
  for (const r of rows) yield JSON.stringify(r) + '\n';
}
