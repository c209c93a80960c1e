import { closeSync, mkdtempSync, readSync, rmSync, statSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { UsageError } from '../../errors.js';
import { openRegular } from '../../fs/read.js';
import { checkOutput, writeOutput } from '../../fs/write.js';
import { shownPath } from '../../fs/file-error.js';
import { reportOutput } from '../report-file.js';
import { formatBytes } from '../../model/quantity.js';
import { EXPORT_FORMATS, buildBundle, bundleCsv, bundleJson, bundleNdjson, type ExportFormat } from '../../report/export.js';
import { renderHtml } from '../../report/html/report.js';
import { formatLocal, type TimeRange } from '../../report/time.js';
import { commonOptions, intFlag, type OptionSpec } from '../args.js';
import { defineCommand, type Command } from '../command.js';
import type { Io } from '../io.js';
import { version } from '../main.js';
import { RANGE_HELP, formatFlag, openReadonly, rangeOf, rangeOptions, withBoot, type OpenedStore } from '../report-options.js';
import { writeAll } from '../../report/format/output.js';

const options = {
  ...commonOptions,
  ...rangeOptions,
  out: { type: 'string', short: 'o', value: 'FILE', complete: 'file', doc: 'where to write (required); - writes to standard output' },
  format: { type: 'string', value: 'F', choices: EXPORT_FORMATS, doc: "default: from the file name's extension, else html" },
  force: { type: 'boolean', doc: 'replace an existing FILE' },
  top: { type: 'string', value: 'N', doc: 'culprits and owners listed (default 20)' },
} as const satisfies OptionSpec;

/** The format a file name implies (`night.html` → html), else html. */
function formatOfName(file: string): (typeof EXPORT_FORMATS)[number] {
  const ext = path.extname(file).slice(1).toLowerCase();
  if (ext === 'db' || ext === 'sqlite' || ext === 'sqlite3') return 'sqlite';
  return (EXPORT_FORMATS as readonly string[]).includes(ext) ? (ext as (typeof EXPORT_FORMATS)[number]) : 'html';
}

/** The bundle for one format as text chunks (not sqlite). */
function bundleChunks(store: OpenedStore, range: TimeRange, zone: string, format: Exclude<ExportFormat, 'sqlite'>, top: number, io: Io): Iterable<string> {
  // csv holds the process samples only: streamed, nothing else is computed
  if (format === 'csv') return bundleCsv({ [Symbol.iterator]: () => store.eachProcessRow(range) });
  // json and ndjson stream the points and samples from the store; html draws from the points it holds
  const meta = { generator: `memrec ${version()}`, host: hostname(), generatedAt: io.now(), zone, top, streamPoints: format !== 'html' };
  const { bundle, points, processes } = buildBundle(store, range, meta);
  return format === 'html' ? [renderHtml(bundle, formatBytes)] : format === 'json' ? bundleJson(bundle, points, processes) : bundleNdjson(bundle, points, processes);
}

/** Write one chunk to a stream and wait for it; a closed pipe (`| head`) ends quietly. */
function writeChunk(out: NodeJS.WritableStream & { destroyed?: boolean }, chunk: Uint8Array): Promise<boolean> {
  return new Promise((resolve) => (out.destroyed === true ? resolve(false) : out.write(chunk, (err) => resolve(!err))));
}

/**
 * `--out -`: the bundle on standard output. A sqlite export is written by SQLite into a private temporary
 * directory first (it needs a file), then streamed out a megabyte at a time and removed.
 */
async function exportToStdout(store: OpenedStore, range: TimeRange, zone: string, format: ExportFormat, top: number, io: Io): Promise<number> {
  let size = 0;
  if (format === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'memrec-export-'));
    try {
      const file = path.join(dir, 'export.db');
      store.exportRange(range, file);
      const { fd } = openRegular(file, { noFollow: true });
      try {
        const buf = Buffer.alloc(1 << 20);
        for (let n = readSync(fd, buf, 0, buf.length, null); n > 0; n = readSync(fd, buf, 0, buf.length, null)) {
          size += n;
          if (!(await writeChunk(io.stdout, buf.subarray(0, n)))) break;
        }
      } finally {
        closeSync(fd);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } else {
    const counted = function* (chunks: Iterable<string>): Generator<string> {
      for (const c of chunks) {
        size += Buffer.byteLength(c);
        yield c;
      }
    };
    await writeAll(io.stdout, counted(bundleChunks(store, range, zone, format, top, io)));
  }
  await writeAll(io.stderr, [`memrec export: wrote ${format} (${formatBytes(size)}) to standard output for ${formatLocal(range.since, zone)} → ${formatLocal(range.until, zone)} (${zone})\n`]);
  return 0;
}

export const command: Command = defineCommand({
  name: 'export',
  options,
  summary: 'the postmortem bundle for a range: html (one offline file), json, ndjson, csv or sqlite',
  help: `Usage: memrec export (--since T [--until T] | --boot N) --out FILE|- [--format html|json|ndjson|csv|sqlite] [--force]

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
  --out FILE, -o      where to write (required); an existing FILE is kept unless --force;
                      - writes to standard output (the format defaults to html)
  --format F          default: from the file name's extension, else html
  --force             replace an existing FILE
  --top N             culprits and owners listed (default 20)

Examples:
  memrec export --since 02:00 --until 06:00 --out /tmp/node-7-night.html
  memrec export --since yesterday --format sqlite --out night.db
`,
  async run(v, io) {
    if (v.out === undefined || v.out === '') throw new UsageError('memrec export: --out FILE is required (see memrec export --help)');
    const out = v.out;
    const format = formatFlag('export', v.format, options.format.choices, formatOfName(out));
    const top = intFlag('export', 'top', v.top, 20, 1, 10_000);
    if (v.top !== undefined && (format === 'csv' || format === 'sqlite')) {
      throw new UsageError(`memrec export: --top and --format ${format} cannot be used together: ${format} holds every process sample, no ranking`);
    }
    const ctx = rangeOf('export', v, io);
    const zone = ctx.zone;
    // Refused before the database is opened: a device, FIFO, directory or link at --out, an existing file
    // without --force, or the database being read (its -wal and -shm too), however it is spelled.
    const target = reportOutput('export', v.force === true, v.db, io);
    if (out !== '-') checkOutput(out, target);
    // the export hands the evidence on: every page is checked first (quick_check)
    const store = await openReadonly('export', v.db, io, 'full');
    let range = ctx.range;
    try {
      range = withBoot('export', ctx, store).range;
      if (out === '-') return await exportToStdout(store, range, zone, format, top, io);
      if (format === 'sqlite') writeOutput(out, (tmp) => store.exportRange(range, tmp), target);
      else writeOutput(out, bundleChunks(store, range, zone, format, top, io), target);
    } finally {
      store.close();
    }
    const size = statSync(out).size;
    await writeAll(io.stderr, [`memrec export: wrote ${shownPath(out)} (${format}, ${formatBytes(size)}) for ${formatLocal(range.since, zone)} → ${formatLocal(range.until, zone)} (${zone})\n`]);
    return 0;
  },
});
