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

/**
 * An array read as it is written, by jsonLines(): a month of points or process samples is never held whole.
 * `compact`: one element a line without indentation (JSON.stringify(row)), as `memrec query --format json` writes rows.
 */
export class LazyArray<T> {
  constructor(
    readonly rows: Iterable<T>,
    readonly compact = false,
  ) {}
}

const reindent = (text: string, spaces: number): string => (spaces === 0 ? text : text.replace(/\n/g, `\n${' '.repeat(spaces)}`));

/**
 * safeJson(value, space) + '\n', byte for byte, as a stream of pieces: objects are walked and
 * arrays written an element at a time (each element stringified whole), so the document is never one string;
 * LazyArrays are read as they are written. Plain data only (no toJSON, no cycles).
 */
export function* jsonLines(value: unknown, space = 2): Generator<string> {
  yield* jsonPieces(value, space, 0);
  yield '\n';
}

function* jsonPieces(v: unknown, space: number, depth: number): Generator<string> {
  const pad = (d: number): string => `\n${' '.repeat(d * space)}`;
  if (v instanceof LazyArray || Array.isArray(v)) {
    const rows: Iterable<unknown> = v instanceof LazyArray ? v.rows : v;
    const compact = v instanceof LazyArray && v.compact;
    let n = 0;
    for (const el of rows) {
      yield `${n++ === 0 ? '[' : ','}${pad(depth + 1)}`;
      if (el instanceof LazyArray || Array.isArray(el)) yield* jsonPieces(el, space, depth + 1);
      else yield compact ? (safeJson(el) ?? 'null') : reindent(safeJson(el, space) ?? 'null', (depth + 1) * space);
    }
    yield n === 0 ? '[]' : `${pad(depth)}]`;
    return;
  }
  if (v === null || typeof v !== 'object') {
    yield safeJson(v) ?? 'null';
    return;
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).filter((k) => o[k] !== undefined && typeof o[k] !== 'function' && typeof o[k] !== 'symbol');
  if (keys.length === 0) {
    yield '{}';
    return;
  }
  for (const [i, k] of keys.entries()) {
    yield `${i === 0 ? '{' : ','}${pad(depth + 1)}${safeJson(k)}: `;
    yield* jsonPieces(o[k], space, depth + 1);
  }
  yield `${pad(depth)}}`;
}
