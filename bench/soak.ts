// Soak: `memrec record` as production runs it (the unit's node flags), one snapshot a second (permanent
// burst) for --duration (default 30 minutes), on a node of --procs processes. Samples its RSS, private
// memory, open file descriptors and threads every 10 s. After the warm-up (the first tenth, at least a
// minute) memory and descriptors must stay flat: the mean RSS of the last tenth within 2 MiB of the first
// tenth after warm-up, and the fewest descriptors open in the last tenth no more than in the first (a sample
// may catch a /proc file the collector has open for a moment; a leak raises the floor). Not part of npm test.
// Standalone: node dist/bench/soak.js [--duration 30m] [--processes N]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { parseDuration } from '../src/config/values.js';
import { NODE_FLAGS } from '../src/service/unit.js';
import { fillProcesses } from './recorder.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const memrecBin = path.resolve(here, '../src/cli/bin.js');
const SAMPLE_MS = 10_000;
const MiB = 1048576;

export interface SoakSample {
  /** seconds since the recorder started */
  t: number;
  rss: number;
  anon: number;
  fds: number;
  threads: number;
  snapshots: number;
}

export interface SoakResult {
  seconds: number;
  warmupSeconds: number;
  processes: number;
  snapshots: number;
  samples: SoakSample[];
  /** mean RSS (MiB) over the first and the last tenth after warm-up, and their difference */
  rssEarlyMiB: number;
  rssLateMiB: number;
  rssDriftMiB: number;
  /** least-squares slope of RSS after warm-up, MiB per hour */
  rssSlopeMiBPerHour: number;
  rssMinMiB: number;
  rssMaxMiB: number;
  anonDriftMiB: number;
  /** the fewest descriptors open in the first and in the last tenth after warm-up */
  fdsEarly: number;
  fdsLate: number;
  fdsMax: number;
  threadsMax: number;
  flat: boolean;
}

function sample(pid: number): Omit<SoakSample, 't' | 'snapshots'> {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const num = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: num('VmRSS') * 1024, anon: num('RssAnon') * 1024, threads: num('Threads'), fds: readdirSync(`/proc/${pid}/fd`).length };
}

function snapshotsIn(file: string): number {
  try {
    const db = new Database(file, { readonly: true });
    try {
      return db.prepare('SELECT count(*) FROM snapshots').pluck().get() as number;
    } finally {
      db.close();
    }
  } catch {
    return 0; // not created yet
  }
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const round1 = (x: number): number => Math.round(x * 10) / 10;

function slope(points: Array<[number, number]>): number {
  const mx = mean(points.map((p) => p[0]));
  const my = mean(points.map((p) => p[1]));
  const num = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const den = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

export function judgeSoak(samples: SoakSample[], seconds: number, processes: number): SoakResult {
  const warmupSeconds = Math.max(60, seconds / 10);
  const after = samples.filter((s) => s.t >= warmupSeconds);
  if (after.length < 2) throw new Error(`only ${after.length} samples after the ${warmupSeconds} s warm-up: run longer`);
  const tenth = Math.max(1, Math.floor(after.length / 10));
  const early = after.slice(0, tenth);
  const late = after.slice(-tenth);
  const rssEarlyMiB = mean(early.map((s) => s.rss)) / MiB;
  const rssLateMiB = mean(late.map((s) => s.rss)) / MiB;
  const anonDriftMiB = (mean(late.map((s) => s.anon)) - mean(early.map((s) => s.anon))) / MiB;
  const fdsEarly = Math.min(...early.map((s) => s.fds));
  const fdsLate = Math.min(...late.map((s) => s.fds));
  const fdsMax = Math.max(...after.map((s) => s.fds));
  const rssDriftMiB = rssLateMiB - rssEarlyMiB;
  return {
    seconds,
    warmupSeconds,
    processes,
    snapshots: samples.at(-1)!.snapshots,
    samples,
    rssEarlyMiB: round1(rssEarlyMiB),
    rssLateMiB: round1(rssLateMiB),
    rssDriftMiB: round1(rssDriftMiB),
    rssSlopeMiBPerHour: round1(slope(after.map((s) => [s.t / 3600, s.rss / MiB]))),
    rssMinMiB: round1(Math.min(...after.map((s) => s.rss)) / MiB),
    rssMaxMiB: round1(Math.max(...after.map((s) => s.rss)) / MiB),
    anonDriftMiB: round1(anonDriftMiB),
    fdsEarly,
    fdsLate,
    fdsMax,
    threadsMax: Math.max(...samples.map((s) => s.threads)),
    flat: Math.abs(rssDriftMiB) <= 2 && fdsLate <= fdsEarly,
  };
}

export async function benchSoak(o: { seconds: number; processes: number; progress?: (line: string) => void }): Promise<SoakResult> {
  const kids = await fillProcesses(o.processes);
  const dir = mkdtempSync(path.join(tmpdir(), 'memrec-soak-'));
  let rec: ChildProcess | undefined;
  try {
    const cfg = path.join(dir, 'empty.yaml');
    writeFileSync(cfg, '');
    const db = path.join(dir, 'soak.db');
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MEMREC_')));
    // burst-at 100%: memory.available is always at or below capacity, so every second is a burst snapshot
    rec = spawn(process.execPath, [...NODE_FLAGS, memrecBin, 'record', '--db', db, '--config', cfg, '--burst-at', '100%', '--burst-interval', '1s', '--burst-slow-after', '30d'], { env, stdio: 'ignore' });
    const pid = rec.pid!;
    const exited = new Promise<number | null>((r) => rec!.once('exit', (code) => r(code)));
    let gone = false;
    void exited.then(() => (gone = true));
    const t0 = Date.now();
    const samples: SoakSample[] = [];
    for (let next = 0; next <= o.seconds * 1000; next += SAMPLE_MS) {
      await new Promise((r) => setTimeout(r, Math.max(0, t0 + next - Date.now())));
      if (gone) throw new Error(`the recorder exited after ${Math.round((Date.now() - t0) / 1000)} s (code ${await exited})`);
      const s = { t: Math.round((Date.now() - t0) / 1000), ...sample(pid), snapshots: snapshotsIn(db) };
      samples.push(s);
      if (next % 300_000 === 0) o.progress?.(`soak ${s.t} s: RSS ${round1(s.rss / MiB)} MiB, ${s.fds} fds, ${s.snapshots} snapshots`);
    }
    rec.kill('SIGTERM');
    await exited;
    return judgeSoak(samples, o.seconds, o.processes);
  } finally {
    if (rec && rec.exitCode === null) rec.kill('SIGKILL');
    for (const k of kids) k.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatSoak(r: SoakResult): string {
  const minutes = (s: number) => `${Math.round(s / 60)} min`;
  return [
    `soak: ${minutes(r.seconds)} at one snapshot a second (${r.snapshots} snapshots, ${r.processes} processes on the node, node ${NODE_FLAGS.join(' ')}), warm-up ${minutes(r.warmupSeconds)}:`,
    `  RSS after warm-up ${r.rssMinMiB}-${r.rssMaxMiB} MiB; mean of the first tenth ${r.rssEarlyMiB} MiB, of the last ${r.rssLateMiB} MiB: drift ${r.rssDriftMiB} MiB (target within ±2 MiB); slope ${r.rssSlopeMiBPerHour} MiB/h; private (RssAnon) drift ${r.anonDriftMiB} MiB`,
    `  file descriptors: fewest open ${r.fdsEarly} in the first tenth after warm-up, ${r.fdsLate} in the last (target: no more), at most ${r.fdsMax}; threads at most ${r.threadsMax}`,
    `  ${r.flat ? 'flat' : 'NOT FLAT'}`,
  ].join('\n');
}

/** `--duration 30m` etc., through memrec's own duration parser. */
export function soakSeconds(text: string | undefined): number {
  const ms = parseDuration(text ?? '30m');
  if (ms === undefined || ms < 120_000) throw new Error(`--duration ${JSON.stringify(text)}: expected a duration of at least 2m, like 30m or 2h`);
  return ms / 1000;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const r = await benchSoak({ seconds: soakSeconds(arg('duration')), processes: Number(arg('processes') ?? 1000), progress: (l) => process.stderr.write(`${l}\n`) });
  console.log(formatSoak(r));
  console.log(JSON.stringify({ ...r, samples: r.samples.length }));
}
