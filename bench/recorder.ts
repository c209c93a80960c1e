// Recorder bench: `memrec record` in permanent burst mode (1 snapshot/s) on a node with 1000
// processes: its CPU (% of one core), its RSS, and database bytes per day at the default schedule,
// extrapolated from the real snapshots it wrote (×1440: a scheduled snapshot is the same collection).
// Standalone: node dist/bench/recorder.js [--seconds N] [--processes N]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';

const here = path.dirname(fileURLToPath(import.meta.url));
const memrecBin = path.resolve(here, '../src/cli/bin.js');
const TICKS = 100; // USER_HZ on Linux

export interface RecorderBench {
  processes: number;
  seconds: number;
  snapshots: number;
  cpuPercentOfOneCore: number;
  rssMiB: { mean: number; max: number };
  /** private anonymous memory: the heap, SQLite's cache, buffers */
  rssAnonMiB: { mean: number; max: number };
  nodeFlags: string[];
  bytesPerSnapshot: number;
  bytesPerDayDefaultSchedule: number;
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

/** VmRSS, and RssAnon: the private part (without node's binary, whose text pages every node process shares). */
function rssBytes(pid: number): { rss: number; anon: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon') };
}

function processCount(): number {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).length;
}

/** Idle processes up to `total` on the node, so the collector has a real /proc of that size to read. */
function fillProcesses(total: number): ChildProcess[] {
  const need = Math.max(0, total - processCount());
  const kids: ChildProcess[] = [];
  for (let i = 0; i < need; i++) kids.push(spawn('sleep', ['3600'], { stdio: 'ignore' }));
  return kids;
}

function dbBytes(file: string): number {
  const db = new Database(file);
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
    const pages = db.pragma('page_count', { simple: true }) as number;
    const free = db.pragma('freelist_count', { simple: true }) as number;
    const size = db.pragma('page_size', { simple: true }) as number;
    return (pages - free) * size;
  } finally {
    db.close();
  }
}

function countSnapshots(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT count(*) FROM snapshots').pluck().get() as number;
  } finally {
    db.close();
  }
}

const mib = (xs: number[]) => ({ mean: Math.round(xs.reduce((a, b) => a + b, 0) / xs.length / 1048576), max: Math.round(Math.max(...xs) / 1048576) });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function benchRecorder(o: { seconds?: number; processes?: number; nodeFlags?: string[] } = {}): Promise<RecorderBench> {
  const seconds = o.seconds ?? 30;
  const processes = o.processes ?? 1000;
  const dir = mkdtempSync(path.join(tmpdir(), 'memrec-bench-'));
  const kids = fillProcesses(processes);
  let rec: ChildProcess | undefined;
  try {
    const cfg = path.join(dir, 'empty.yaml');
    writeFileSync(cfg, '');
    const db = path.join(dir, 'bench.db');
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MEMREC_')));
    // burst-at 100%: memory.available is always at or below capacity, so every second is a burst snapshot.
    rec = spawn(process.execPath, [...(o.nodeFlags ?? []), memrecBin, 'record', '--db', db, '--config', cfg, '--burst-at', '100%', '--burst-interval', '1s', '--burst-slow-after', '1d'], { env, stdio: 'ignore' });
    const pid = rec.pid!;
    await sleep(5000); // start-up and the first snapshots are not the steady state
    const n0 = countSnapshots(db);
    const b0 = dbBytes(db);
    const t0 = Date.now();
    const c0 = cpuTicks(pid);
    const rss: number[] = [];
    const anon: number[] = [];
    while (Date.now() - t0 < seconds * 1000) {
      const m = rssBytes(pid);
      rss.push(m.rss);
      anon.push(m.anon);
      await sleep(250);
    }
    const c1 = cpuTicks(pid);
    const elapsed = (Date.now() - t0) / 1000;
    rec.kill('SIGTERM');
    await new Promise((r) => rec!.once('exit', r));
    const n1 = countSnapshots(db);
    const b1 = dbBytes(db);
    const perSnapshot = (b1 - b0) / Math.max(1, n1 - n0);
    return {
      processes: processCount() >= processes ? processes : processCount(),
      seconds: Math.round(elapsed),
      snapshots: n1 - n0,
      cpuPercentOfOneCore: Math.round(((c1 - c0) / TICKS / elapsed) * 1000) / 10,
      rssMiB: mib(rss),
      rssAnonMiB: mib(anon),
      nodeFlags: o.nodeFlags ?? [],
      bytesPerSnapshot: Math.round(perSnapshot),
      bytesPerDayDefaultSchedule: Math.round(perSnapshot * 1440),
    };
  } finally {
    if (rec && rec.exitCode === null) rec.kill('SIGKILL');
    for (const k of kids) k.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatRecorderBench(r: RecorderBench): string {
  return [
    `recorder, burst mode (1 snapshot/s, ${r.processes} processes, ${r.seconds} s, ${r.snapshots} snapshots, node ${r.nodeFlags.join(' ') || 'without flags'}):`,
    `  CPU ${r.cpuPercentOfOneCore}% of one core (target <= 5%)`,
    `  RSS mean ${r.rssMiB.mean} MiB, max ${r.rssMiB.max} MiB (target < 64 MiB); private (RssAnon) mean ${r.rssAnonMiB.mean} MiB, max ${r.rssAnonMiB.max} MiB`,
    `  database ${r.bytesPerSnapshot} bytes/snapshot -> ${(r.bytesPerDayDefaultSchedule / 1e6).toFixed(2)} MB/day at the default schedule (target <= 3 MB/day)`,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
  };
  const s = arg('seconds');
  const p = arg('processes');
  const flags = process.argv.filter((a, i) => process.argv[i - 1] === '--node-flag');
  const r = await benchRecorder({ ...(s !== undefined ? { seconds: s } : {}), ...(p !== undefined ? { processes: p } : {}), nodeFlags: flags });
  console.log(formatRecorderBench(r));
  console.log(JSON.stringify(r));
}
