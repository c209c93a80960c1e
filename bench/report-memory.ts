// Peak memory of the report commands: every command and format over 1 hour, 1 day and 30 days of a
// generated 30-day database (bench/store.ts) in which one long-running process (the last 3 days) and an
// hourly job carry 100 KB command lines. Each command is a spawned CLI, output to a pipe that is read and discarded; its
// peak RSS is VmHWM of /proc/<pid>/status, read until it exits. Target: every command under 100 MiB.
// Standalone: node dist/bench/report-memory.js [--keep DIR] [--only NAME,...]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateDatabase } from './store.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/cli/bin.js');

/** The node flags of bin.js's #! line, so that each command runs as `memrec ...` runs it. */
export function shebangFlags(): string[] {
  const first = readFileSync(BIN, 'utf8').split('\n', 1)[0]!;
  const m = /^#!\S*env (?:-S )?node(.*)$/.exec(first);
  return m ? m[1]!.trim().split(/\s+/).filter((f) => f !== '') : [];
}
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MiB = 1024 * 1024;

export interface Measured {
  name: string;
  peakRssMiB: number;
  ms: number;
  outBytes: number;
  /** why it failed (an exit status, a signal, the first line of stderr), or null */
  failed: string | null;
}

function vmHwmKib(pid: number): number | null {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Run one command, reading its VmHWM every few ms until it exits; stdout is counted and dropped. */
export function measure(name: string, cmd: string, args: string[], okCodes: number[] = [0]): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TZ: 'UTC' } });
    let hwm = 0;
    let outBytes = 0;
    let err = '';
    const poll = setInterval(() => {
      const v = child.pid === undefined ? null : vmHwmKib(child.pid);
      if (v !== null) hwm = Math.max(hwm, v);
    }, 5);
    child.stdout.on('data', (d: Buffer) => (outBytes += d.length));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    // the last reading: the process is a zombie until reaped, and a zombie has no VmHWM; 'exit' fires before
    // the streams close, so read once more as soon as it can no longer grow
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearInterval(poll);
      const ms = performance.now() - t0;
      const lastErr = err.trim().split('\n').filter((l) => !l.startsWith('    at ')).pop() ?? '';
      const failed = code !== null && okCodes.includes(code) ? null : `${signal ?? `exit ${code}`}${lastErr ? `: ${lastErr.slice(0, 100)}` : ''}`;
      resolve({ name, peakRssMiB: Math.round((hwm / 1024) * 10) / 10, ms: Math.round(ms), outBytes, failed });
    });
  });
}

export async function benchReportMemory(opts: { dir?: string; processes?: number; only?: string[] } = {}): Promise<{ rows: Measured[]; ps: Measured | null; snapshots: number | 'reused'; flags: string[] }> {
  const dir = opts.dir ?? mkdtempSync(path.join(tmpdir(), 'memrec-bench-rmem-'));
  const file = path.join(dir, 'long-cmdlines.db');
  const now = Date.UTC(2025, 0, 31, 6, 5, 0);
  const s = (ms: number): string => `@${Math.floor(ms / 1000)}`;
  try {
    const gen = existsSync(file) ? null : generateDatabase(file, { days: 30, perMinute: 1, processes: opts.processes ?? 1000, top: 30, now, longCmdlineBytes: 100_000 });
    const ranges: Array<[string, number]> = [['1h', HOUR], ['1d', DAY], ['30d', 30 * DAY]];
    const cmds: Array<[string, string[]]> = [];
    for (const [label, span] of ranges) {
      const r = ['--db', file, '--since', s(now - span), '--until', s(now)];
      for (const f of ['table', 'csv', 'json', 'ndjson']) cmds.push([`query ${label} ${f}`, ['query', ...r, '--format', f]]);
      for (const f of ['table', 'csv', 'json', 'ndjson']) cmds.push([`culprits ${label} ${f}`, ['culprits', ...r, '--format', f]]);
      for (const f of ['chart', 'csv', 'json']) cmds.push([`timeline ${label} ${f}`, ['timeline', ...r, '--format', f]]);
      for (const f of ['table', 'csv', 'json', 'ndjson']) cmds.push([`events ${label} ${f}`, ['events', ...r, '--format', f]]);
      for (const f of ['html', 'json', 'ndjson', 'csv', 'sqlite']) {
        const out = path.join(dir, `export-${label}.${f === 'sqlite' ? 'db' : f}`);
        cmds.push([`export ${label} ${f}`, ['export', ...r, '--format', f, '--out', out, '--force']]);
      }
    }
    cmds.push(['status', ['status', '--db', file]]);
    cmds.push(['status json', ['status', '--db', file, '--json']]);
    const rows: Measured[] = [];
    const flags = shebangFlags();
    for (const [name, args] of cmds) {
      if (opts.only && !opts.only.some((o) => name.startsWith(o))) continue;
      // status exits 1 on this database (no recorder runs): that is its answer, not a failure
      rows.push(await measure(name, process.execPath, [...flags, BIN, ...args], name.startsWith('status') ? [0, 1] : [0]));
      for (const f of ['html', 'json', 'ndjson', 'csv', 'db']) for (const l of ['1h', '1d', '30d']) rmSync(path.join(dir, `export-${l}.${f}`), { force: true });
    }
    // ps ends before a poll can read it: GNU time reports its peak (ru_maxrss), where it is installed
    let ps: Measured | null = null;
    if (existsSync('/usr/bin/time')) {
      const t0 = performance.now();
      const r = spawnSync('/usr/bin/time', ['-f', '%M', 'ps', '-eo', 'pid,ppid,uid,rss,vsz,cgroup,args'], { encoding: 'utf8', maxBuffer: 1 << 26 });
      const kib = Number(r.stderr.trim().split('\n').pop());
      if (r.status === 0 && Number.isFinite(kib)) ps = { name: 'ps', peakRssMiB: Math.round((kib / 1024) * 10) / 10, ms: Math.round(performance.now() - t0), outBytes: r.stdout.length, failed: null };
    }
    return { rows, ps, snapshots: gen?.snapshots ?? 'reused', flags };
  } finally {
    if (opts.dir === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

export function formatReportMemory(r: Awaited<ReturnType<typeof benchReportMemory>>): string {
  const lines = [
    `  database: 30 days, 1 snapshot a minute, top 30 of 1000 processes, one 100 KB command line in every snapshot of the last 3 days and a new one every hour (${r.snapshots} snapshots)`,
    `  each command as the installed memrec runs it: node ${r.flags.join(' ')} bin.js ... (the #! line of bin.js)`,
    `  ${'command'.padEnd(22)} ${'peak RSS'.padStart(10)} ${'wall'.padStart(9)} ${'output'.padStart(12)}`,
  ];
  for (const m of r.rows) {
    lines.push(`  ${m.name.padEnd(22)} ${`${m.peakRssMiB} MiB`.padStart(10)} ${`${m.ms} ms`.padStart(9)} ${`${(m.outBytes / MiB).toFixed(1)} MiB`.padStart(12)}${m.failed === null ? '' : `  FAILED ${m.failed}`}`);
  }
  const worst = r.rows.reduce((a, b) => (b.peakRssMiB > a.peakRssMiB ? b : a), r.rows[0] ?? { name: '-', peakRssMiB: 0, ms: 0, outBytes: 0, failed: null });
  const failed = r.rows.filter((m) => m.failed !== null).length;
  lines.push(`  highest: ${worst.name} ${worst.peakRssMiB} MiB (target < 100 MiB)${failed > 0 ? `; ${failed} commands FAILED` : ''}`);
  if (r.ps !== null) lines.push(`  for reference, ps -eo pid,ppid,uid,rss,vsz,cgroup,args: ${r.ps.peakRssMiB} MiB, ${r.ps.ms} ms (not comparable: ps reads /proc, not a database)`);
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const at = (f: string): string | undefined => (args.indexOf(f) < 0 ? undefined : args[args.indexOf(f) + 1]);
  const dir = at('--keep');
  const only = at('--only')?.split(',');
  console.log(formatReportMemory(await benchReportMemory({ ...(dir === undefined ? {} : { dir }), ...(only === undefined ? {} : { only }) })));
}
