// Recorder bench: `memrec record` in permanent burst mode (1 snapshot/s) on a node with 1000
// processes: its CPU (% of one core), its RSS, and database bytes per day at the default schedule,
// extrapolated from the real snapshots it wrote (×1440: a scheduled snapshot is the same collection).
// Standalone: node dist/bench/recorder.js [--seconds N] [--processes N] [--node-flag F]... [--candidates]
// (--candidates: the node flag sets weighed for the systemd unit and the DaemonSet, one run each).
import { psCpuMs } from './collector.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { NODE_FLAGS as RECORDER_NODE_FLAGS } from '../src/service/unit.js';

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
  /** file-backed pages: node's own text and data, shared with other node processes and reclaimable */
  rssFileMiB: { mean: number; max: number };
  threads: number;
  nodeFlags: string[];
  env: Record<string, string>;
  bytesPerSnapshot: number;
  /** the snapshot rows' and index entries' own bytes per snapshot (dbstat payload, every snapshot of the run) */
  rowBytesPerSnapshot: number;
  bytesPerDayDefaultSchedule: number;
  /** `ps -eo pid,ppid,uid,rss,vsz,cgroup,args` run once a second over the same processes, % of one core */
  psOncePerSecondPercent: number;
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

/** VmRSS, RssAnon (the private part) and RssFile (node's binary, whose text pages every node process shares). */
function memory(pid: number): { rss: number; anon: number; file: number; threads: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const num = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: num('VmRSS') * 1024, anon: num('RssAnon') * 1024, file: num('RssFile') * 1024, threads: num('Threads') };
}

/** Live processes: zombies (a previous bench's killed children not yet reaped) would vanish mid-run. */
function processCount(): number {
  let n = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (stat[stat.lastIndexOf(')') + 2] !== 'Z') n++;
    } catch {
      // exited meanwhile
    }
  }
  return n;
}

/**
 * Idle processes up to `total` on the node, so the collector has a real /proc of that size to read.
 * Counted once the count holds still: a previous section's killed children (dying, then zombies until
 * reaped) made a --procs 300 run count ~300, add none, and measure 70 processes.
 */
export async function fillProcesses(total: number): Promise<ChildProcess[]> {
  let live = processCount();
  for (let i = 0; i < 20; i++) {
    await sleep(200);
    const again = processCount();
    if (again === live) break;
    live = again;
  }
  const need = Math.max(0, total - live);
  const kids: ChildProcess[] = [];
  for (let i = 0; i < need; i++) kids.push(spawn('sleep', ['3600'], { stdio: 'ignore' }));
  return kids;
}

/** The mean process count of the snapshots taken after `afterId`: what the recorder itself saw. */
function seenProcesses(file: string, afterId: number): number {
  const db = new Database(file, { readonly: true });
  try {
    return Math.round((db.prepare('SELECT avg(process_count) FROM snapshots WHERE id > ?').pluck().get(afterId) as number | null) ?? 0);
  } finally {
    db.close();
  }
}

function lastSnapshotId(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT max(id) FROM snapshots').pluck().get() as number | null) ?? 0;
  } finally {
    db.close();
  }
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

/**
 * Bytes of the snapshot rows and their index entries (SQLite's dbstat payload), per snapshot: exact, where the used
 * pages above move in whole 16 KiB pages (a 30 s run of ~1 KB snapshots is two or three pages).
 */
function rowBytesPerSnapshot(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    const payload = db.prepare(`SELECT sum(payload) FROM dbstat WHERE name IN ('snapshots', 'snapshots_taken_at', 'snapshots_kind_taken_at', 'snapshots_boot')`).pluck().get() as number;
    return payload / Math.max(1, db.prepare('SELECT count(*) FROM snapshots').pluck().get() as number);
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

export interface Candidate {
  nodeFlags: string[];
  env?: Record<string, string>;
}

/** One recorder run with the filler processes already in place. */
async function measure(c: Candidate, seconds: number): Promise<RecorderBench> {
  const dir = mkdtempSync(path.join(tmpdir(), 'memrec-bench-'));
  let rec: ChildProcess | undefined;
  try {
    const cfg = path.join(dir, 'empty.yaml');
    writeFileSync(cfg, '');
    const db = path.join(dir, 'bench.db');
    const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MEMREC_'))), ...c.env };
    // burst-at 100%: memory.available is always at or below capacity, so every second is a burst snapshot.
    rec = spawn(process.execPath, [...c.nodeFlags, memrecBin, 'record', '--db', db, '--config', cfg, '--burst-at', '100%', '--burst-interval', '1s', '--burst-slow-after', '1d'], { env, stdio: 'ignore' });
    const pid = rec.pid!;
    await sleep(5000); // start-up and the first snapshots are not the steady state
    const n0 = countSnapshots(db);
    const id0 = lastSnapshotId(db);
    const b0 = dbBytes(db);
    const t0 = Date.now();
    const c0 = cpuTicks(pid);
    const rss: number[] = [];
    const anon: number[] = [];
    const file: number[] = [];
    let threads = 0;
    while (Date.now() - t0 < seconds * 1000) {
      const m = memory(pid);
      rss.push(m.rss);
      anon.push(m.anon);
      file.push(m.file);
      threads = Math.max(threads, m.threads);
      await sleep(250);
    }
    const c1 = cpuTicks(pid);
    const elapsed = (Date.now() - t0) / 1000;
    rec.kill('SIGTERM');
    await new Promise((r) => rec!.once('exit', r));
    // ps over the same processes, in the same run: one ps a second costs its CPU ms per 1000 ms
    const psPercent = Math.round(psCpuMs() * 10) / 100;
    const n1 = countSnapshots(db);
    const b1 = dbBytes(db);
    const perSnapshot = (b1 - b0) / Math.max(1, n1 - n0);
    return {
      processes: seenProcesses(db, id0),
      seconds: Math.round(elapsed),
      snapshots: n1 - n0,
      cpuPercentOfOneCore: Math.round(((c1 - c0) / TICKS / elapsed) * 1000) / 10,
      rssMiB: mib(rss),
      rssAnonMiB: mib(anon),
      rssFileMiB: mib(file),
      threads,
      nodeFlags: c.nodeFlags,
      env: c.env ?? {},
      bytesPerSnapshot: Math.round(perSnapshot),
      rowBytesPerSnapshot: Math.round(rowBytesPerSnapshot(db)),
      bytesPerDayDefaultSchedule: Math.round(perSnapshot * 1440),
      psOncePerSecondPercent: psPercent,
    };
  } finally {
    if (rec && rec.exitCode === null) rec.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Each candidate in turn on the same node of `processes` processes. */
export async function benchRecorderCandidates(candidates: Candidate[], o: { seconds?: number; processes?: number } = {}): Promise<RecorderBench[]> {
  const kids = await fillProcesses(o.processes ?? 1000);
  try {
    const out: RecorderBench[] = [];
    for (const c of candidates) out.push(await measure(c, o.seconds ?? 30));
    return out;
  } finally {
    for (const k of kids) k.kill('SIGKILL');
  }
}

/** The recorder as it runs in production: the node flags of the systemd unit and the DaemonSet (src/service/unit.ts NODE_FLAGS). */
export async function benchRecorder(o: { seconds?: number; processes?: number; nodeFlags?: string[]; env?: Record<string, string> } = {}): Promise<RecorderBench> {
  const c: Candidate = { nodeFlags: o.nodeFlags ?? [...RECORDER_NODE_FLAGS], ...(o.env ? { env: o.env } : {}) };
  const [r] = await benchRecorderCandidates([c], o);
  return r!;
}

export function formatRecorderBench(r: RecorderBench): string {
  const env = Object.entries(r.env).map(([k, v]) => `${k}=${v} `).join('');
  return [
    `recorder, burst mode (1 snapshot/s, ${r.processes} processes seen, ${r.seconds} s, ${r.snapshots} snapshots, ${env}node ${r.nodeFlags.join(' ') || 'without flags'}):`,
    `  CPU ${r.cpuPercentOfOneCore}% of one core (target <= 5%); ps once a second over the same processes: ${r.psOncePerSecondPercent}% (ratio memrec/ps ${Math.round((r.cpuPercentOfOneCore / r.psOncePerSecondPercent) * 100) / 100})`,
    `  RSS mean ${r.rssMiB.mean} MiB, max ${r.rssMiB.max} MiB (target < 64 MiB); private (RssAnon) mean ${r.rssAnonMiB.mean} MiB, max ${r.rssAnonMiB.max} MiB; file-backed (RssFile) max ${r.rssFileMiB.max} MiB; ${r.threads} threads`,
    `  database ${r.bytesPerSnapshot} bytes/snapshot -> ${(r.bytesPerDayDefaultSchedule / 1e6).toFixed(2)} MB/day at the default schedule (target <= 3 MB/day)`,
    `  snapshot rows and index entries alone (dbstat payload): ${r.rowBytesPerSnapshot} bytes/snapshot -> ${((r.rowBytesPerSnapshot * 1440) / 1e6).toFixed(2)} MB/day`,
  ].join('\n');
}

const chosen = [...RECORDER_NODE_FLAGS];
const jitless = ['--jitless', '--no-expose-wasm'];
const intlStub = path.resolve(here, 'intl-utc-stub.js');

/** The flag sets weighed for production (BENCHMARKS.md, Recorder); the last one prices node-cron's ICU use. */
export const CANDIDATES: Candidate[] = [
  { nodeFlags: [] },
  { nodeFlags: ['--max-semi-space-size=1'] },
  { nodeFlags: jitless },
  { nodeFlags: [...jitless, '--max-semi-space-size=1'] },
  { nodeFlags: [...jitless, '--max-semi-space-size=1', '--optimize-for-size'] },
  { nodeFlags: chosen },
  { nodeFlags: [...chosen, '--v8-pool-size=1'], env: { UV_THREADPOOL_SIZE: '1' } },
  { nodeFlags: [...chosen, '--max-old-space-size=48'] },
  { nodeFlags: [...chosen, '--import', intlStub] },
];

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
  };
  const s = arg('seconds');
  const p = arg('processes');
  const flags = process.argv.filter((a, i) => process.argv[i - 1] === '--node-flag');
  const o = { ...(s !== undefined ? { seconds: s } : {}), ...(p !== undefined ? { processes: p } : {}) };
  const candidates = process.argv.includes('--candidates') ? CANDIDATES : [{ nodeFlags: flags.length > 0 ? flags : [...RECORDER_NODE_FLAGS] }];
  for (const r of await benchRecorderCandidates(candidates, o)) {
    console.log(formatRecorderBench(r));
    console.log(JSON.stringify(r));
  }
}
