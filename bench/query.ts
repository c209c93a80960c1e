// Query latency end to end: the spawned CLI (Node start included) on a generated 30-day database at
// the default schedule with 1000 processes: `memrec query` over one hour, `memrec culprits` over one day.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateDatabase } from './store.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/cli/bin.js');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Median wall time of `runs` spawned CLI runs, output discarded; throws if the command fails. */
function cliMs(args: string[], runs: number): { ms: number; bytes: number } {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 30, env: { ...process.env, TZ: 'UTC' } });
    times.push(performance.now() - t);
    if (r.status !== 0) throw new Error(`memrec ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    bytes = r.stdout.length;
  }
  return { ms: median(times), bytes };
}

export async function benchQuery(opts: { days?: number; processes?: number; top?: number; runs?: number; dir?: string } = {}): Promise<Record<string, number | string>> {
  const days = opts.days ?? 30;
  const runs = opts.runs ?? 7;
  const dir = opts.dir ?? mkdtempSync(path.join(tmpdir(), 'memrec-bench-query-'));
  const file = path.join(dir, 'bench.db');
  const now = Date.UTC(2025, 0, 31, 6, 0, 0);
  const s = (ms: number): string => `@${Math.floor(ms / 1000)}`;
  try {
    const gen = generateDatabase(file, { days, perMinute: 1, processes: opts.processes ?? 1000, top: opts.top ?? 30, now });
    const version = cliMs(['--version'], runs);
    const hour = cliMs(['query', '--db', file, '--since', s(now - 3_600_000), '--until', s(now), '--format', 'table'], runs);
    const hourJson = cliMs(['query', '--db', file, '--since', s(now - 3_600_000), '--until', s(now), '--format', 'json'], runs);
    const day = cliMs(['culprits', '--db', file, '--since', s(now - 86_400_000), '--until', s(now)], runs);
    const timelineDay = cliMs(['timeline', '--db', file, '--since', s(now - 86_400_000), '--until', s(now)], runs);
    return {
      'query.db_days': days,
      'query.db_snapshots': gen.snapshots,
      'query.runs': runs,
      'query.node_start_version_ms': Math.round(version.ms),
      'query.query_1h_table_ms': Math.round(hour.ms),
      'query.query_1h_json_ms': Math.round(hourJson.ms),
      'query.query_1h_json_bytes': hourJson.bytes,
      'query.culprits_1day_ms': Math.round(day.ms),
      'query.timeline_1day_ms': Math.round(timelineDay.ms),
      'query.target_ms': 300,
    };
  } finally {
    if (opts.dir === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

// `node dist/bench/query.js` runs this section alone.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const days = process.argv[2] === undefined ? undefined : Number(process.argv[2]);
  console.log(await benchQuery(days === undefined ? {} : { days }));
}
