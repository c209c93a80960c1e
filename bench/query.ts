// Query latency end to end: the spawned CLI (Node start included) on a generated 30-day database at
// the default schedule with 1000 processes: `memrec query` over one hour, `memrec culprits` over one day.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { shebangFlags } from './report-memory.js';
import { generateDatabase } from './store.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/cli/bin.js');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

interface Timed {
  ms: number;
  minMs: number;
  bytes: number;
}

/**
 * Median (and fastest) wall time of each spawned command, output discarded; throws if one fails. The
 * commands run interleaved, round after round, so that load from elsewhere weighs on all of them alike
 * and `node -e 0` measured in the same rounds is a fair baseline.
 */
function cliMs(cmds: Record<string, string[]>, runs: number): Record<string, Timed> {
  const times: Record<string, number[]> = {};
  const bytes: Record<string, number> = {};
  for (let i = 0; i < runs; i++) {
    for (const [name, args] of Object.entries(cmds)) {
      // as the installed memrec runs: with the node flags of bin.js's #! line
      const argv = name === 'node' ? args : [...shebangFlags(), BIN, ...args];
      const t = performance.now();
      const r = spawnSync(process.execPath, argv, { encoding: 'utf8', maxBuffer: 1 << 30, env: { ...process.env, TZ: 'UTC' } });
      (times[name] ??= []).push(performance.now() - t);
      if (r.status !== 0) throw new Error(`${name === 'node' ? 'node' : 'memrec'} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
      bytes[name] = r.stdout.length;
    }
  }
  return Object.fromEntries(Object.entries(times).map(([name, xs]) => [name, { ms: median(xs), minMs: Math.min(...xs), bytes: bytes[name] ?? 0 }]));
}

export async function benchQuery(opts: { days?: number; processes?: number; top?: number; runs?: number; dir?: string } = {}): Promise<Record<string, number | string>> {
  const days = opts.days ?? 30;
  const runs = opts.runs ?? 9;
  const dir = opts.dir ?? mkdtempSync(path.join(tmpdir(), 'memrec-bench-query-'));
  const file = path.join(dir, 'bench.db');
  const now = Date.UTC(2025, 0, 31, 6, 0, 0);
  const s = (ms: number): string => `@${Math.floor(ms / 1000)}`;
  const hour = ['--since', s(now - 3_600_000), '--until', s(now)];
  const day = ['--since', s(now - 86_400_000), '--until', s(now)];
  try {
    const gen = existsSync(file) ? null : generateDatabase(file, { days, perMinute: 1, processes: opts.processes ?? 1000, top: opts.top ?? 30, now });
    const t = cliMs(
      {
        node: ['-e', '0'],
        version: ['--version'],
        // an empty range: Node start, imports, opening the database, no rows
        queryEmpty: ['query', '--db', file, '--since', s(now - 1000), '--until', s(now - 1000)],
        queryHour: ['query', '--db', file, ...hour, '--format', 'table'],
        queryHourJson: ['query', '--db', file, ...hour, '--format', 'json'],
        culpritsDay: ['culprits', '--db', file, ...day],
        timelineDay: ['timeline', '--db', file, ...day],
      },
      runs,
    );
    const r = (k: string): number => Math.round(t[k]!.ms);
    return {
      'query.db_days': days,
      'query.db_snapshots': gen?.snapshots ?? 'reused',
      'query.runs': runs,
      'query.node_e0_ms': r('node'),
      'query.node_start_version_ms': r('version'),
      'query.query_empty_range_ms': r('queryEmpty'),
      'query.query_1h_table_ms': r('queryHour'),
      'query.query_1h_json_ms': r('queryHourJson'),
      'query.query_1h_json_bytes': t['queryHourJson']!.bytes,
      'query.culprits_1day_ms': r('culpritsDay'),
      'query.culprits_1day_min_ms': Math.round(t['culpritsDay']!.minMs),
      'query.query_1h_table_min_ms': Math.round(t['queryHour']!.minMs),
      'query.timeline_1day_ms': r('timelineDay'),
      'query.target_ms': 300,
    };
  } finally {
    if (opts.dir === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

// `node dist/bench/query.js [DAYS] [--keep DIR]` runs this section alone; with --keep the database is
// generated into DIR once and reused by later runs.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const k = args.indexOf('--keep');
  const dir = k < 0 ? undefined : args[k + 1];
  const daysArg = args.find((a, i) => /^\d+$/.test(a) && args[i - 1] !== '--keep');
  console.log(await benchQuery({ ...(daysArg === undefined ? {} : { days: Number(daysArg) }), ...(dir === undefined ? {} : { dir }) }));
}
