// Newline-delimited JSON: one row per line, for jq -c and log pipelines.
import { safeJson } from './text.js';

export function* ndjsonLines(rows: Iterable<unknown>): Generator<string> {
  for (const r of rows) yield safeJson(r) + '\n';
}
