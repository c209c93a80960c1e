// Store bench: a 30-day database at the default schedule with 1000 processes (top 30 kept, owner
// aggregates over all), its size per day, and how fast the report's queries read it.
// Standalone: node dist/bench/store.js [--days N] [--keep DIR]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { attribute, ownerKey, unitOf } from '../src/model/attribution.js';
import type { Owner, OwnerAggregate, ProcessSample, Snapshot } from '../src/model/types.js';
import { Store } from '../src/store/store.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
const MiB = 1024 * 1024;

export interface GenerateOptions {
  days: number;
  /** snapshots per minute (1 = the default schedule) */
  perMinute: number;
  /** processes on the node */
  processes: number;
  /** processes kept per snapshot */
  top: number;
  /** time of the last snapshot, epoch ms */
  now: number;
  /** PRNG seed, for reproducible databases */
  seed?: number;
  /**
   * Command lines of this many bytes: a long-running process in every snapshot's top N during the last 3 days
   * (a Java classpath: the night `query --since 3h` took 678 MB), and an hourly job that runs for 2 minutes
   * with a command line of its own each time (a new pid and a new long string every hour). Default: none.
   */
  longCmdlineBytes?: number;
}

export interface GenerateResult {
  snapshots: number;
  processRows: number;
  ms: number;
}

/** mulberry32: small, fast, deterministic. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface SimProc {
  sample: ProcessSample;
  key: string;
  baseKib: number;
}

/** A kubeadm node's population: pods of each QoS with a few containers, services, sessions, kernel threads. */
function population(n: number, rand: () => number, now: number): SimProc[] {
  const out: SimProc[] = [];
  const owners: { owner: Owner; key: string; cgroup: string; unit: string | null }[] = [];
  for (let i = 0; i < 40; i++) {
    const uid = `${(0x10000000 + i).toString(16)}-aaaa-4bbb-8ccc-${(0xd00000000000 + i).toString(16)}`;
    const qos = (['guaranteed', 'burstable', 'besteffort'] as const)[i % 3] ?? 'burstable';
    for (let c = 0; c < 2; c++) {
      const cid = (i * 2 + c).toString(16).padStart(64, 'f');
      const slice = qos === 'guaranteed' ? '' : `kubepods-${qos}.slice/kubepods-${qos}-`;
      const cgroup = `/kubepods.slice/${slice || 'kubepods-'}pod${uid.replaceAll('-', '_')}.slice/cri-containerd-${cid}.scope`;
      const owner = attribute(cgroup, cgroup, false);
      if (owner.kind === 'pod') Object.assign(owner, { namespace: `team-${i % 7}`, podName: `app-${i}-7d9f8c`, container: 'app', containerType: 'container' });
      owners.push({ owner, key: ownerKey(owner), cgroup, unit: unitOf(cgroup) });
    }
  }
  const host = (cgroup: string): void => {
    const owner = attribute(cgroup, cgroup, false);
    owners.push({ owner, key: ownerKey(owner), cgroup, unit: unitOf(cgroup) });
  };
  for (let i = 0; i < 30; i++) host(`/system.slice/svc-${i}.service`);
  for (let i = 0; i < 2; i++) host(`/user.slice/user-${1000 + i}.slice/session-${i + 3}.scope`);
  for (let pid = 300; out.length < n; pid++) {
    const kernel = out.length < n / 5;
    const o = kernel ? { owner: { kind: 'kernel' } as Owner, key: 'kernel', cgroup: '/', unit: null } : (owners[Math.floor(rand() * owners.length)] ?? owners[0]!);
    // a few large processes, many small ones
    const baseKib = kernel ? 0 : Math.floor(Math.exp(rand() * 14)) * 4;
    const comm = kernel ? `kworker/${pid % 8}:${pid % 3}` : `app${pid % 97}`;
    out.push({
      key: o.key,
      baseKib,
      sample: {
        pid,
        startTime: now - 40 * DAY + pid * 10,
        ppid: kernel ? 2 : 1,
        uid: kernel ? 0 : 1000 + (pid % 5),
        comm,
        state: 'S',
        rssBytes: baseKib * 1024,
        rssAnonBytes: null,
        rssFileBytes: null,
        rssShmemBytes: null,
        swapBytes: kernel ? null : 0,
        vsizeBytes: baseKib * 1024 * 4,
        cpuTicks: pid,
        // VmHWM: where RSS once was, a tenth above today's level (constant, as a high-water mark is)
        peakRssBytes: Math.round(baseKib * 1.1) * 1024,
        cpuPercent: null,
        threads: kernel ? 1 : 1 + (pid % 16),
        oomScoreAdj: kernel ? 0 : -997 + (pid % 1000),
        cgroup: o.cgroup,
        unit: o.unit,
        owner: o.owner,
        cwd: kernel ? '/' : `/srv/app${pid % 97}`,
        exe: kernel ? null : `/usr/local/bin/app${pid % 97}`,
        cmdline: kernel ? null : `/usr/local/bin/app${pid % 97} --config /etc/app${pid % 97}/config.yaml --listen :${8000 + (pid % 97)} --log-level info`,
      },
    });
  }
  return out;
}

const BENCH_BOOT_ID = '0f3c2b1a-9d8e-4f70-a6b5-c4d3e2f1a0b9';

/**
 * The counters of an owner's own cgroup as a v2 node shows them (kernel threads have none): usage (anon and
 * page cache) moves every snapshot, the peak is a high-water mark that stays, events stay at 0 but for one pod in
 * ten that keeps hitting its limit.
 */
function ownerCounters(p: SimProc, n: number, rand: () => number): OwnerAggregate['cgroup'] {
  if (p.key === 'kernel') return null;
  const o = p.sample.owner;
  const path = o.kind === 'pod' ? p.sample.cgroup!.split('/').slice(0, 4).join('/') : p.sample.cgroup!;
  const usageKib = Math.round(p.baseKib * (1.5 + rand() * 0.1));
  const limited = o.kind === 'pod' && o.qos !== 'besteffort';
  const busy = limited && p.baseKib % 10 === 0;
  return {
    path,
    usageBytes: usageKib * 1024,
    peakBytes: Math.round(p.baseKib * 1.8) * 1024,
    limitBytes: limited ? 2048 * MiB : null,
    highBytes: null,
    failcnt: null,
    oomKills: busy ? 1 : 0,
    highEvents: 0,
    maxEvents: busy ? 100 + Math.floor(n / 60) : 0,
    oomEvents: busy ? 1 : 0,
  };
}

/** `bytes` of arguments made of words, so that every hour's job has a command line of its own. */
function argumentList(prefix: string, bytes: number, salt: number): string {
  const parts: string[] = [prefix];
  let n = prefix.length;
  for (let i = 0; n < bytes; i++) {
    const w = ` /data/part-${salt}-${i.toString(36).padStart(6, '0')}.bin`;
    parts.push(w);
    n += w.length;
  }
  return parts.join('').slice(0, bytes);
}

/** The processes with very long command lines (see GenerateOptions.longCmdlineBytes). */
function longCmdlines(template: ProcessSample, bytes: number, end: number): { samples(takenAt: number): ProcessSample[] } {
  const big = (pid: number, startTime: number, rssBytes: number, comm: string, cmdline: string): ProcessSample => ({
    ...template, pid, startTime, ppid: 1, uid: 0, comm,
    rssBytes, rssAnonBytes: rssBytes, rssFileBytes: 0, rssShmemBytes: 0, vsizeBytes: rssBytes * 2, cpuPercent: 1, threads: 4,
    cgroup: '/system.slice/batch.service', unit: 'batch.service', owner: { kind: 'service', unit: 'batch.service', cgroup: '/system.slice/batch.service' },
    cwd: '/srv/batch', exe: '/usr/bin/java', cmdline, state: 'S',
  });
  const java = big(250, template.startTime, 6 * 1024 * MiB, 'java', argumentList('/usr/bin/java -cp', bytes, 0));
  return {
    samples(takenAt) {
      const out = takenAt > end - 3 * DAY ? [java] : [];
      const hour = Math.floor(takenAt / 3_600_000);
      if (takenAt % 3_600_000 < 2 * MINUTE) {
        out.push(big(200_000 + (hour % 100_000), hour * 3_600_000, 3 * 1024 * MiB, 'rsync', argumentList('/usr/bin/rsync -a', bytes, hour)));
      }
      return out;
    },
  };
}

/** Generate `days` of snapshots ending at `now` into a new database at `file`; one transaction per day. */
export function generateDatabase(file: string, opts: GenerateOptions): GenerateResult {
  const t0 = performance.now();
  const rand = prng(opts.seed ?? 42);
  const procs = population(opts.processes, rand, opts.now);
  // only the largest can reach the top N; ranking the rest every snapshot would only cost time
  const candidates = [...procs].sort((a, b) => b.baseKib - a.baseKib).slice(0, opts.top * 3);
  const step = MINUTE / opts.perMinute;
  const long = opts.longCmdlineBytes === undefined ? null : longCmdlines(procs[procs.length - 1]!.sample, opts.longCmdlineBytes, opts.now);
  const total = Math.floor((opts.days * DAY) / step);
  const store = Store.open(file);
  let rows = 0;
  let written = 0;
  try {
    const perDay = Math.floor(DAY / step);
    for (let day = 0; written < total; day++) {
      store.batch(() => {
        for (let i = 0; i < perDay && written < total; i++, written++) {
          const takenAt = opts.now - (total - 1 - written) * step;
          const kept: ProcessSample[] = [];
          for (const p of candidates) {
            // RSS wanders by up to ±2% per snapshot, CPU time grows
            const kib = Math.max(4, Math.round(p.baseKib * (0.98 + rand() * 0.04)));
            const cpu = Math.round(rand() * 500) / 100;
            p.sample.cpuTicks += Math.round(cpu * 0.6 * opts.perMinute);
            kept.push({ ...p.sample, rssBytes: kib * 1024, rssAnonBytes: (kib - (kib >> 3)) * 1024, rssFileBytes: (kib >> 3) * 1024, rssShmemBytes: 0, vsizeBytes: kib * 4096, cpuPercent: cpu, state: rand() < 0.05 ? 'R' : 'S' });
          }
          if (long !== null) kept.push(...long.samples(takenAt));
          kept.sort((a, b) => b.rssBytes - a.rssBytes);
          kept.length = Math.min(kept.length, opts.top);
          const byOwner = new Map<string, OwnerAggregate>();
          for (const p of procs) {
            const a = byOwner.get(p.key);
            if (a === undefined) byOwner.set(p.key, { key: p.key, owner: p.sample.owner, processCount: 1, rssBytes: p.baseKib * 1024, swapBytes: 0, cgroup: ownerCounters(p, written, rand) });
            else {
              a.processCount++;
              a.rssBytes += p.baseKib * 1024 + (rand() < 0.5 ? 4096 : 0);
            }
          }
          const owners = [...byOwner.values()].sort((a, b) => b.rssBytes - a.rssBytes);
          const s: Snapshot = {
            takenAt,
            bootId: BENCH_BOOT_ID,
            captureMs: 30 + rand() * 20,
            cgroupMode: 'v2',
            meminfo: { memTotalBytes: 64 * 1024 * MiB, memFreeBytes: Math.round(rand() * 4096) * MiB, memAvailableBytes: Math.round(rand() * 20000) * MiB, cachedBytes: 8000 * MiB, shmemBytes: 300 * MiB, slabBytes: 900 * MiB, sReclaimableBytes: 600 * MiB, swapTotalBytes: 0, swapFreeBytes: 0 },
            kubelet: { cgroup: '/', capacityBytes: 64 * 1024 * MiB, usageBytes: 40_000 * MiB, inactiveFileBytes: 3000 * MiB, workingSetBytes: 37_000 * MiB, availableBytes: 27_536 * MiB, formula: 'v2-anon-plus-file-minus-inactive-file' },
            allocatable: { cgroup: '/kubepods.slice', capacityBytes: 60 * 1024 * MiB, usageBytes: 30_000 * MiB, inactiveFileBytes: 2000 * MiB, workingSetBytes: 28_000 * MiB, availableBytes: 33_440 * MiB, formula: 'v2-current-minus-inactive-file' },
            psi: { someAvg10: Math.round(rand() * 100) / 100, someAvg60: 0.1, someAvg300: 0.05, someTotalUs: 1_000_000 + written * 50, fullAvg10: 0, fullAvg60: 0, fullAvg300: 0, fullTotalUs: 500_000 + written * 10 },
            oomKillCount: 0,
            thresholds: { hard: { raw: '500Mi', bytes: 500 * MiB, source: 'kubelet-config', origin: '/var/lib/kubelet/config.yaml evictionHard' }, soft: null },
            processCount: procs.length,
            processes: kept,
            owners,
            kind: 'scheduled',
            trigger: 'schedule',
          };
          store.writeSnapshot(s);
          rows += kept.length;
        }
      });
    }
  } finally {
    store.close();
  }
  return { snapshots: written, processRows: rows, ms: performance.now() - t0 };
}

/** Bytes each table and its indexes occupy (SQLite's dbstat), and the packed blobs' share. */
function tableBytes(file: string): { tables: Record<string, number>; processPack: number; ownerPack: number; ownerCgroupRows: number } {
  const db = new Database(file, { readonly: true });
  try {
    const tables: Record<string, number> = {};
    for (const r of db.prepare('SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name').all() as { name: string; bytes: number }[]) tables[r.name] = r.bytes;
    const packs = db.prepare('SELECT sum(length(process_pack)) AS p, sum(length(owner_pack)) AS o FROM snapshots').get() as { p: number; o: number };
    const ownerCgroupRows = db.prepare('SELECT count(*) FROM owner_cgroups').pluck().get() as number;
    return { tables, processPack: packs.p, ownerPack: packs.o, ownerCgroupRows };
  } finally {
    db.close();
  }
}

/** Time `node` starting, opening the store and answering the query of a report, as a separate process. */
function endToEndMs(file: string, query: 'hour' | 'day', now: number): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--query', query, '--db', file, '--now', String(now)], { encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`query child failed: ${r.stderr}`);
  return ms;
}

/** What `query --since 1h` and `culprits` over a day read from the store. */
function runQuery(file: string, query: 'hour' | 'day', now: number): number {
  const store = Store.open(file, { readonly: true });
  try {
    const range = { since: now - (query === 'hour' ? 3_600_000 : DAY), until: now };
    const rows = store.processRows(range);
    const snaps = store.snapshots(range);
    const owners = query === 'day' ? store.ownerRows(range).length : 0;
    return rows.length + snaps.length + owners;
  } finally {
    store.close();
  }
}

export async function benchStore(opts: { days?: number; processes?: number; top?: number; dir?: string } = {}): Promise<Record<string, number | string>> {
  const days = opts.days ?? 30;
  const dir = opts.dir ?? mkdtempSync(path.join(tmpdir(), 'memrec-bench-store-'));
  const file = path.join(dir, 'bench.db');
  const now = Date.UTC(2025, 0, 31, 6, 0, 0);
  try {
    const gen = generateDatabase(file, { days, perMinute: 1, processes: opts.processes ?? 1000, top: opts.top ?? 30, now });
    const { tables, processPack, ownerPack, ownerCgroupRows } = tableBytes(file);
    const sum = (...names: string[]): number => names.reduce((n, k) => n + (tables[k] ?? 0), 0);
    const total = Object.values(tables).reduce((a, b) => a + b, 0);
    const store = Store.open(file);
    const fileBytes = store.stats().fileBytes;
    // one burst-mode write: a full snapshot committed with fsync
    const last = store.processRows({ since: now, until: now });
    const tw = performance.now();
    const n = 20;
    const snap = store.snapshots({ since: now, until: now })[0];
    if (snap === undefined) throw new Error('generator wrote no snapshot at now');
    const owners = store.ownerRows({ since: now, until: now });
    for (let i = 1; i <= n; i++) store.writeSnapshot({ ...snap, takenAt: now + i * 1000, kind: 'burst', trigger: 'bench', processes: last, owners });
    const writeMs = (performance.now() - tw) / n;
    const tr = performance.now();
    const ret = store.applyRetention({ retainMs: (days - 1) * DAY, maxBytes: 1024 * MiB, now: now + 1000 * n });
    const retentionMs = performance.now() - tr;
    store.close();
    // what a writer's open costs (quick_check reads every page), from the page cache and from disk
    const quickCheck = (): number => {
      const t = performance.now();
      const d = new Database(file, { readonly: true });
      d.pragma('quick_check');
      d.close();
      return performance.now() - t;
    };
    const quickCheckWarmMs = timeIt(quickCheck);
    const quickCheckColdMs = dropFromPageCache(file) ? quickCheck() : Number.NaN;
    const tOpen = performance.now();
    Store.open(file).close();
    const writerOpenMs = performance.now() - tOpen;
    const hourInProcess = timeIt(() => runQuery(file, 'hour', now));
    const dayInProcess = timeIt(() => runQuery(file, 'day', now));
    return {
      'store.days': days,
      'store.snapshots': gen.snapshots,
      'store.generate_s': round(gen.ms / 1000, 1),
      'store.file_bytes': fileBytes,
      'store.bytes_per_day': Math.round(total / days),
      'store.MB_per_day': round(total / days / 1e6, 2),
      'store.bytes_per_process_row': round(processPack / gen.processRows, 1),
      'store.bytes_per_owner_aggregates': round(ownerPack / gen.snapshots, 1),
      'store.bytes_per_snapshot_with_indexes': round(sum('snapshots', 'snapshots_taken_at', 'snapshots_kind_taken_at') / gen.snapshots, 1),
      'store.bytes_procs_strings_owners': sum('procs', 'procs_pid', 'procs_owner', 'strings', 'sqlite_autoindex_strings_1', 'owners', 'sqlite_autoindex_owners_1'),
      // what owner blobs of format 3 reference: the counters that did not change (schema 4)
      'store.bytes_owner_cgroups': sum('owner_cgroups', 'owner_cgroups_owner'),
      'store.owner_cgroups_rows': ownerCgroupRows,
      'store.write_snapshot_ms_fsync': round(writeMs, 2),
      'store.retention_1day_ms': Math.round(retentionMs),
      'store.retention_deleted': ret.deletedSnapshots,
      'store.quick_check_ms_cached': Math.round(quickCheckWarmMs),
      'store.quick_check_ms_from_disk': Math.round(quickCheckColdMs),
      'store.open_writer_ms_cached': Math.round(writerOpenMs),
      'store.query_1h_ms_in_process': round(hourInProcess, 1),
      'store.query_1day_ms_in_process': round(dayInProcess, 1),
      'store.query_1h_ms_node_start': Math.round(endToEndMs(file, 'hour', now)),
      'store.query_1day_ms_node_start': Math.round(endToEndMs(file, 'day', now)),
    };
  } finally {
    if (opts.dir === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

/** Drop the file's pages from the page cache (GNU dd's nocache: posix_fadvise DONTNEED); false when it cannot. */
function dropFromPageCache(file: string): boolean {
  return spawnSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none']).status === 0;
}

function timeIt(fn: () => unknown): number {
  fn(); // warm the OS page cache, as a report on a live node would find it
  const t = performance.now();
  fn();
  return performance.now() - t;
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const query = flag('--query');
  if (query === 'hour' || query === 'day') {
    runQuery(flag('--db') ?? '', query, Number(flag('--now')));
  } else {
    const days = flag('--days');
    const keep = flag('--keep');
    const result = await benchStore({ ...(days === undefined ? {} : { days: Number(days) }), ...(keep === undefined ? {} : { dir: keep }) });
    for (const [k, v] of Object.entries(result)) console.log(`${k.padEnd(34)} ${v}`);
  }
}
