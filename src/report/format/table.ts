// Aligned text tables that fit the terminal: the widest, least important columns give way first,
// and cells are cut with … instead of wrapping, so one process stays one line.
import { cleanText } from './text.js';

export interface TableColumn<R> {
  header: string;
  cell: (row: R) => string;
  align?: 'left' | 'right';
  /** the narrowest this column may become when the table must shrink; default: never shrinks */
  minWidth?: number;
  /** columns with a higher number shrink first (cmdline before cwd before cgroup) */
  shrinkOrder?: number;
  /** when even the narrowest widths do not fit, columns with a dropOrder are left out, the highest first */
  dropOrder?: number;
  /**
   * where a cell too wide is cut: at the end (default), in the middle for paths, whose end tells them apart, or
   * by a function of the cell and the width (an owner keeps its name and cuts where it sits)
   */
  cut?: 'end' | 'middle' | ((text: string, width: number) => string);
  /** left out when every cell is empty (a column that only sometimes has something to say) */
  hideWhenEmpty?: boolean;
}

export interface TableOptions {
  /** terminal width; undefined (not a terminal) prints every cell whole */
  columns: number | undefined;
  /** bold header line: only on a terminal */
  color: boolean;
}

const GAP = '  ';

/** Cut `s` to `width` characters, marking the cut with …. */
export function truncate(s: string, width: number): string {
  if (width <= 0) return '';
  if (s.length <= width) return s; // UTF-16 length is never below the character count
  const chars = [...s];
  if (chars.length <= width) return s;
  return chars.slice(0, width - 1).join('') + '…';
}

/** Cut `s` to `width` characters in the middle: `/var/lib/kubelet/…/data/shard-10`. */
export function truncateMiddle(s: string, width: number): string {
  if (width <= 0) return '';
  const chars = [...s];
  if (chars.length <= width) return s;
  if (width < 8) return truncate(s, width);
  const head = Math.ceil((width - 1) / 2);
  const tail = width - 1 - head;
  return chars.slice(0, head).join('') + '…' + chars.slice(chars.length - tail).join('');
}

const len = (s: string): number => (/[\uD800-\uDFFF]/.test(s) ? [...s].length : s.length);

/**
 * Column widths that fit `columns`: the shrinkable columns give way widest first (a long cwd before a short
 * command line; among equals the higher shrinkOrder), down to their minWidth; then, on a very narrow
 * terminal, down to 4 characters.
 */
export function fitWidths(natural: number[], mins: Array<number | undefined>, order: number[], columns: number | undefined): number[] {
  const widths = [...natural];
  if (columns === undefined) return widths;
  const total = (): number => widths.reduce((a, b) => a + b, 0) + GAP.length * Math.max(0, widths.length - 1);
  const shrinkable = natural.map((_, i) => i).filter((i) => mins[i] !== undefined);
  for (const floor of [(i: number) => Math.min(mins[i]!, natural[i]!), () => 4]) {
    let over = total() - columns;
    while (over > 0) {
      const open = shrinkable.filter((i) => widths[i]! > floor(i));
      if (open.length === 0) break;
      // the widest, then the one that gives way first
      open.sort((a, b) => widths[b]! - widths[a]! || (order[b] ?? 0) - (order[a] ?? 0));
      const i = open[0]!;
      const next = open.length > 1 ? widths[open[1]!]! : 0;
      const cut = Math.max(1, Math.min(over, widths[i]! - Math.max(floor(i), next)));
      widths[i] = widths[i]! - cut;
      over -= cut;
    }
    if (over <= 0) break;
  }
  return widths;
}

/** The columns that fit `columns` at their narrowest: droppable ones go, highest dropOrder first, until the rest fits. */
export function visibleColumns(natural: number[], mins: Array<number | undefined>, drops: Array<number | undefined>, columns: number | undefined): number[] {
  const shown = natural.map((_, i) => i);
  if (columns === undefined) return shown;
  const narrowest = (): number => shown.reduce((n, i) => n + Math.min(natural[i]!, mins[i] ?? natural[i]!), 0) + GAP.length * Math.max(0, shown.length - 1);
  const droppable = shown.filter((i) => drops[i] !== undefined).sort((a, b) => drops[b]! - drops[a]!);
  for (const i of droppable) {
    if (narrowest() <= columns) break;
    shown.splice(shown.indexOf(i), 1);
  }
  return shown;
}

/**
 * Piped, a cell is never cut, but a column is padded to at most this width: one 100 KB command line or cwd
 * must not pad every other row to 100 KB. A longer cell is printed whole and pushes the rest of its row right.
 */
export const PIPED_COLUMN_WIDTH = 200;

/**
 * The text of one cell, escaped, and on a terminal cut before anything else is done with it: no cell needs
 * more than the terminal's width (plus one character, so that truncate() still marks the cut with …).
 */
function cellText(raw: string, columns: number | undefined, cut: TableColumn<unknown>['cut']): string {
  if (columns === undefined) return cleanText(raw);
  // 2 code units per character at most, so the cut keeps at least columns + 1 characters (at both ends
  // for a cell cut in the middle)
  const limit = 2 * (columns + 1);
  if (raw.length <= limit) return cleanText(raw);
  return cleanText(cut === undefined || cut === 'end' ? raw.slice(0, limit) : raw.slice(0, limit / 2) + raw.slice(raw.length - limit / 2));
}

/** The columns shown (indexes into the table's columns) and their widths over `rows` (read once), and how many rows there were. */
export interface TableLayout {
  shown: number[];
  widths: number[];
  rows: number;
}

export function layoutTable<R>(allCols: TableColumn<R>[], rows: Iterable<R>, opts: TableOptions): TableLayout {
  const cap = opts.columns === undefined ? PIPED_COLUMN_WIDTH : opts.columns + 1;
  const allNatural = allCols.map((c) => len(c.header));
  const filled = allCols.map(() => false);
  let n = 0;
  for (const r of rows) {
    n++;
    for (let i = 0; i < allCols.length; i++) {
      const text = cellText(allCols[i]!.cell(r), opts.columns, allCols[i]!.cut);
      if (text !== '') filled[i] = true;
      const w = Math.min(cap, len(text));
      if (w > allNatural[i]!) allNatural[i] = w;
    }
  }
  const present = allCols.map((_, i) => i).filter((i) => filled[i] || allCols[i]!.hideWhenEmpty !== true);
  const shown = visibleColumns(
    present.map((i) => allNatural[i]!),
    present.map((i) => allCols[i]!.minWidth),
    present.map((i) => allCols[i]!.dropOrder),
    opts.columns,
  ).map((k) => present[k]!);
  const cols = shown.map((i) => allCols[i]!);
  const natural = shown.map((i) => allNatural[i]!);
  const widths = fitWidths(
    natural,
    cols.map((c) => c.minWidth),
    cols.map((c) => c.shrinkOrder ?? 0),
    opts.columns,
  );
  return { shown, widths, rows: n };
}

/**
 * The lines of a table laid out by layoutTable() (each ending in \n; no trailing spaces), `rows` read again;
 * `after` may add lines below a row's (a cut summary, whole).
 */
export function* printTable<R>(
  allCols: TableColumn<R>[],
  rows: Iterable<R>,
  opts: TableOptions,
  layout: TableLayout,
  after?: (row: R, line: string) => Iterable<string>,
): Generator<string> {
  const { widths } = layout;
  const cols = layout.shown.map((i) => allCols[i]!);
  const last = cols.length - 1;
  const line = (values: string[]): string =>
    values
      .map((v, i) => {
        const w = widths[i]!;
        // piped: whole, however long; on a terminal: cut to the column
        const cut = cols[i]!.cut;
        const t = opts.columns === undefined ? v : cut === 'middle' ? truncateMiddle(v, w) : typeof cut === 'function' ? cut(v, w) : truncate(v, w);
        const pad = i === last && cols[i]!.align !== 'right' ? '' : ' '.repeat(Math.max(0, w - len(t)));
        return cols[i]!.align === 'right' ? pad + t : t + pad;
      })
      .join(GAP)
      .trimEnd();
  // what still does not fit (fixed columns wider than the terminal) is cut at the edge
  const fit = (l: string): string => (opts.columns === undefined ? l : truncate(l, opts.columns)) + '\n';
  const header = fit(line(cols.map((c) => c.header)));
  yield opts.color ? `\u001b[1m${header.slice(0, -1)}\u001b[0m\n` : header;
  for (const r of rows) {
    const l = fit(line(cols.map((c) => cellText(c.cell(r), opts.columns, c.cut))));
    yield l;
    if (after) yield* after(r, l);
  }
}

/**
 * The table as lines, streamed: `rows` is iterated twice, once for the column widths and once to print, so
 * a range of any length is never held (pass an array, or an iterable whose iterator reads the store afresh).
 */
export function* tableLines<R>(cols: TableColumn<R>[], rows: Iterable<R>, opts: TableOptions): Generator<string> {
  yield* printTable(cols, rows, opts, layoutTable(cols, rows, opts));
}

/** tableLines() as an array, for small tables that are interleaved with other text. */
export function renderTable<R>(cols: TableColumn<R>[], rows: Iterable<R>, opts: TableOptions): string[] {
  return [...tableLines(cols, rows, opts)];
}
