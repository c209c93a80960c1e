import { existsSync, openSync, closeSync, writeSync, renameSync, rmSync, chmodSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { MemrecError, UsageError } from '../../errors.js';
import { formatBytes } from '../../model/quantity.js';
import { EXPORT_FORMATS, buildBundle, bundleCsv, bundleJson, bundleNdjson } from '../../report/export.js';
import { renderHtml } from '../../report/html/report.js';
import { formatLocal } from '../../report/time.js';
import { commonOptions, intFlag, parse } from '../args.js';
import type { Command } from '../command.js';
import type { Io } from '../io.js';
import { version } from '../main.js';
import { RANGE_HELP, formatFlag, openReadonly, rangeOf, rangeOptions } from '../report-options.js';
import { writeAll } from '../../report/format/output.js';

const options = {
  ...commonOptions,
  ...rangeOptions,
  out: { type: 'string', short: 'o' },
  format: { type: 'string' },
  force: { type: 'boolean' },
  top: { type: 'string' },
} as const;

/** The format a file name implies (`night.html` → html), else html. */
function formatOfName(file: string): (typeof EXPORT_FORMATS)[number] {
  const ext = path.extname(file).slice(1).toLowerCase();
  if (ext === 'db' || ext === 'sqlite' || ext === 'sqlite3') return 'sqlite';
  return (EXPORT_FORMATS as readonly string[]).includes(ext) ? (ext as (typeof EXPORT_FORMATS)[number]) : 'html';
}

/** Write chunks to a new private file (0600), created exclusively. */
function writePrivate(file: string, chunks: Iterable<string>): void {
  const fd = openSync(file, 'wx', 0o600);
  try {
    let buf = '';
    for (const c of chunks) {
      buf += c;
      if (buf.length >= 1 << 20) {
        writeSync(fd, buf);
        buf = '';
      }
    }
    if (buf.length > 0) writeSync(fd, buf);
  } finally {
    closeSync(fd);
  }
}

export const command: Command = {
  name: 'export',
  summary: 'the postmortem bundle for a range: html (one offline file), json, ndjson, csv or sqlite',
  help: `Usage: memrec export --since T [--until T] --out FILE [--format html|json|ndjson|csv|sqlite] [--force]

The postmortem bundle for a range, in one file readable only by you (mode 0600):
  html    one self-contained page that opens offline: kubelet memory.available vs free's MemAvailable
          vs the thresholds with bursts and OOM kills, memory per owner over time, the culprits with
          their explanations, the events (no scripts, no external resources)
  json    one document: timeline, culprits, ownerSeries, events and every process sample
  ndjson  one record a line, each tagged with "record": meta, point, burst, oom_kill, culprit, owner,
          at_lowest, event, process
  csv     the process samples (the columns of memrec query --format csv)
  sqlite  a standalone memrec database holding only the range (memrec query --db FILE reads it)
Command lines were redacted before they were stored; every format keeps them redacted.

Options:
${RANGE_HELP}
  --out FILE, -o      where to write (required); an existing FILE is kept unless --force
  --format F          default: from the file name's extension, else html
  --force             replace an existing FILE
  --top N             culprits and owners listed (default 20)

Examples:
  memrec export --since 02:00 --until 06:00 --out /tmp/node-7-night.html
  memrec export --since yesterday --format sqlite --out night.db
`,
  async run(argv: string[], io: Io): Promise<number> {
    const { values: v } = parse('export', argv, options);
    if (v.out === undefined || v.out === '') throw new UsageError('memrec export: --out FILE is required (see memrec export --help)');
    const out = v.out;
    const format = formatFlag('export', v.format, EXPORT_FORMATS, formatOfName(out));
    const top = intFlag('export', 'top', v.top, 20, 1, 10_000);
    const { range, zone } = rangeOf('export', v, io);
    if (existsSync(out)) {
      if (!v.force) throw new UsageError(`memrec export: ${out} already exists; pass --force to replace it`);
      if (statSync(out).isDirectory()) throw new UsageError(`memrec export: ${out} is a directory; expected a file name`);
    }
    const dir = path.dirname(path.resolve(out));
    if (!existsSync(dir)) throw new UsageError(`memrec export: directory ${dir} does not exist`);
    // Written beside the target and renamed over it: a reader never sees half a file, a failure leaves none.
    const tmp = path.join(dir, `.${path.basename(out)}.${process.pid}.tmp`);
    const store = await openReadonly('export', v.db, io);
    try {
      if (format === 'sqlite') {
        store.exportRange(range, tmp);
        chmodSync(tmp, 0o600);
      } else {
        const { bundle, processes } = buildBundle(store, range, { generator: `memrec ${version()}`, host: hostname(), generatedAt: io.now(), zone, top });
        const chunks =
          format === 'html' ? [renderHtml(bundle, formatBytes)] : format === 'json' ? bundleJson(bundle, processes) : format === 'ndjson' ? bundleNdjson(bundle, processes) : bundleCsv(processes);
        writePrivate(tmp, chunks);
      }
      renameSync(tmp, out);
    } catch (e) {
      rmSync(tmp, { force: true });
      for (const suffix of ['-wal', '-shm', '-journal']) rmSync(tmp + suffix, { force: true });
      if (e instanceof MemrecError) throw e;
      throw new MemrecError(`memrec export: cannot write ${out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    } finally {
      store.close();
    }
    const size = statSync(out).size;
    await writeAll(io.stderr, [`memrec export: wrote ${out} (${format}, ${formatBytes(size)}) for ${formatLocal(range.since, zone)} → ${formatLocal(range.until, zone)} (${zone})\n`]);
    return 0;
  },
};
