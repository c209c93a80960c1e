// Collector bench: CPU of one memrec snapshot (Collector.collect, as the recorder calls it) against
// `ps -eo pid,ppid,uid,rss,vsz,cgroup,args` over the same N idle processes, medians of several runs.
// memrec is measured in a fresh node process (process.cpuUsage around each collect, after warm-up),
// so the bench's own 1000 ChildProcess objects don't weigh on its heap; ps through bash's `times`
// (user+sys of its children, ms resolution); the two alternate, run by run. --baseline DIR measures another
// build's collector (DIR/dist) too, alternately with this one, so a change is compared under the same load.
// Standalone: node dist/bench/collector.js [--procs N] [--baseline DIR]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const PS_ARGS = ['-eo', 'pid,ppid,uid,rss,vsz,cgroup,args'];

export interface CollectorBench {
  /** idle processes started for the bench */
  started: number;
  /** processes memrec saw (and ps printed) */
  memrecProcesses: number;
  psProcesses: number;
  runs: number;
  top: number;
  /** median CPU (user+sys) of one collect after warm-up, ms */
  memrecMs: number;
  /** CPU of the first collect of a fresh collector (cold caches, threshold discovery), ms */
  memrecColdMs: number;
  /** median CPU of one ps run, ms */
  psMs: number;
  /** memrec / ps */
  ratio: number;
  /** median CPU of `memrec snapshot --json --no-store` as a new process, node start included, ms */
  cliMs: number;
  /** memrec's RSS and private (RssAnon) memory after the measured collects, MiB */
  rssMiB: number;
  rssAnonMiB: number;
  heapUsedMiB: number;
  /**
   * Pods the idle processes were spread over (real v1 memory cgroups `kubepods/burstable/pod<uid>/<id>` and a
   * host root with each container's config), so every process's owner is named from its runtime config;
   * 0 where memory cgroups cannot be made (not root, no v1 memory hierarchy).
   */
  pods: number;
  /** the same collect by another memrec build (--baseline DIR), measured in the same runs; null without one */
  baseline: { dir: string; memrecMs: number; ratio: number } | null;
}

const V1_MEMORY = '/sys/fs/cgroup/memory';

/**
 * Spread `pids` over `pods` pods of one container each: a v1 memory cgroup per container under a bench
 * root cgroup, and a host root whose containerd bundles name them (the cgroupfs driver's bare ids, so the
 * lookup walks every runtime's place, as on such nodes). Null when memory cgroups cannot be made.
 */
function placeInPods(pids: number[], pods: number): { hostRoot: string; cleanup: () => void } | null {
  const base = path.join(V1_MEMORY, `memrec-bench-${process.pid}`);
  try {
    mkdirSync(base);
  } catch {
    return null;
  }
  const hostRoot = mkdtempSync(path.join(os.tmpdir(), 'memrec-bench-root-'));
  const dirs: string[] = [base];
  const hex = (i: number, len: number) => i.toString(16).padStart(len, '0');
  for (let i = 0; i < pods; i++) {
    const uid = `${hex(i, 8)}-0000-4000-8000-${hex(i, 12)}`;
    const cid = hex(i, 64);
    const podDir = path.join(base, 'kubepods', 'burstable', `pod${uid}`);
    const cDir = path.join(podDir, cid);
    mkdirSync(cDir, { recursive: true });
    dirs.push(cDir, podDir);
    const bundle = path.join(hostRoot, 'run/containerd/io.containerd.runtime.v2.task/k8s.io', cid);
    mkdirSync(bundle, { recursive: true });
    const annotations = { 'io.kubernetes.cri.container-type': 'container', 'io.kubernetes.cri.container-name': `app-${i}`, 'io.kubernetes.cri.sandbox-name': `pod-${i}`, 'io.kubernetes.cri.sandbox-namespace': 'bench', 'io.kubernetes.cri.sandbox-uid': uid };
    // a config of a real one's size (env, mounts, capabilities): ~6 KiB
    writeFileSync(path.join(bundle, 'config.json'), JSON.stringify({ ociVersion: '1.1.0', process: { args: ['sleep', '600'], env: Array.from({ length: 60 }, (_, k) => `VAR_${k}=${'x'.repeat(40)}`) }, annotations, linux: { cgroupsPath: `/kubepods/burstable/pod${uid}/${cid}` } }));
  }
  pids.forEach((pid, k) => writeFileSync(path.join(base, 'kubepods', 'burstable', `pod${hex(k % pods, 8)}-0000-4000-8000-${hex(k % pods, 12)}`, hex(k % pods, 64), 'cgroup.procs'), String(pid)));
  dirs.push(path.join(base, 'kubepods', 'burstable'), path.join(base, 'kubepods'));
  return {
    hostRoot,
    cleanup: () => {
      rmSync(hostRoot, { recursive: true, force: true });
      // the processes are killed first; a cgroup with none left can go, deepest first
      for (const d of [...new Set(dirs)].sort((a, b) => b.length - a.length)) {
        for (let tries = 0; tries < 50; tries++) {
          try {
            rmdirSync(d);
            break;
          } catch {
            spawnSync('sleep', ['0.1']);
          }
        }
      }
    },
  };
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const round = (n: number, d = 1): number => Math.round(n * 10 ** d) / 10 ** d;

/** N idle processes, resolved once each has exec'd sleep (its comm says so). */
async function startIdle(n: number): Promise<ChildProcess[]> {
  const kids: ChildProcess[] = [];
  for (let i = 0; i < n; i++) kids.push(spawn('sleep', ['600'], { stdio: 'ignore' }));
  const deadline = Date.now() + 60_000;
  for (const k of kids) {
    for (;;) {
      let comm = '';
      try {
        comm = readFileSync(`/proc/${k.pid}/comm`, 'utf8').trim();
      } catch {
        /* not there yet */
      }
      if (comm === 'sleep') break;
      if (Date.now() > deadline) throw new Error(`sleep ${k.pid} did not start`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  return kids;
}

function killAll(kids: ChildProcess[]): void {
  for (const k of kids) if (k.exitCode === null && k.signalCode === null) k.kill('SIGKILL');
}

/** CPU ms of a command's children, from bash's `times` (its second line: children user, sys). */
function childCpuMs(cmd: string): number {
  const r = spawnSync('bash', ['-c', `${cmd} > /dev/null; times`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd}: exit ${r.status}: ${r.stderr}`);
  const line = r.stdout.trim().split('\n')[1] ?? '';
  const secs = [...line.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  if (secs.length !== 2) throw new Error(`unexpected times output: ${r.stdout}`);
  return (secs[0]! + secs[1]!) * 1000;
}

/** Median CPU ms of one `ps -eo pid,ppid,uid,rss,vsz,cgroup,args` over the processes there are now. */
export function psCpuMs(runs = 7): number {
  childCpuMs(['ps', ...PS_ARGS].join(' ')); // the first ps pays for its own cold start
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) ms.push(childCpuMs(['ps', ...PS_ARGS].join(' ')));
  return median(ms);
}

/**
 * The in-process measurement, in its own node process: one collect per `collect` line on stdin, its CPU ms
 * on stdout, so the parent can alternate memrec and ps and both meet the same machine load.
 */
const MEASURE = (top: number, hostRoot: string | null, dist: string): string => `
  import { Collector } from ${JSON.stringify(pathToFileURL(path.join(dist, 'src/sources/collector.js')).href)};
  import { resolveRoots } from ${JSON.stringify(pathToFileURL(path.join(dist, 'src/sources/roots.js')).href)};
  import { readFileSync } from 'node:fs';
  import { createInterface } from 'node:readline';
  const c = new Collector({ roots: resolveRoots(${hostRoot === null ? '{}' : `{ hostRoot: ${JSON.stringify(hostRoot)}, procRoot: '/proc', sysRoot: '/sys' }`}), top: ${top} });
  let seen = 0;
  const cpu = () => { const t = process.cpuUsage(); seen = c.collect().processCount; const d = process.cpuUsage(t); return (d.user + d.system) / 1000; };
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'collect') console.log(JSON.stringify({ ms: cpu(), seen }));
    else {
      const status = readFileSync('/proc/self/status', 'utf8');
      const kb = (k) => Number(status.split('\\n').find((l) => l.startsWith(k + ':')).split(/\\s+/)[1]);
      console.log(JSON.stringify({ rssKb: kb('VmRSS'), anonKb: kb('RssAnon'), heap: process.memoryUsage().heapUsed }));
      break;
    }
  }
`;

/** A line-protocol conversation with the measuring process. */
function measurer(top: number, hostRoot: string | null, dist = path.resolve(here, '..')): { ask(cmd: string): Promise<string>; child: ChildProcess } {
  const child = spawn(process.execPath, ['--input-type=module', '-e', MEASURE(top, hostRoot, dist)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const waiting: Array<{ resolve: (l: string) => void; reject: (e: Error) => void }> = [];
  lines.on('line', (l) => waiting.shift()?.resolve(l));
  child.on('exit', (code) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`measuring process exited ${code}`));
  });
  return {
    child,
    ask(cmd) {
      return new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        child.stdin!.write(`${cmd}\n`);
      });
    },
  };
}

export async function benchCollector(o: { procs?: number; runs?: number; top?: number; pods?: number; baseline?: string } = {}): Promise<CollectorBench> {
  const n = o.procs ?? 1000;
  const runs = o.runs ?? 15;
  const top = o.top ?? 30;
  const kids: ChildProcess[] = [];
  let pods: ReturnType<typeof placeInPods> = null;
  const onSignal = (): void => {
    killAll(kids);
    pods?.cleanup();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    kids.push(...(await startIdle(n)));
    const podCount = Math.min(o.pods ?? 50, n);
    if (podCount > 0) pods = placeInPods(kids.map((k) => k.pid!), podCount);
    // A node's processes are mostly older than the collector's 5 s caching age; so are these, now.
    await new Promise((r) => setTimeout(r, 6000));
    const m = measurer(top, pods?.hostRoot ?? null);
    kids.push(m.child);
    const base = o.baseline === undefined ? null : measurer(top, pods?.hostRoot ?? null, path.resolve(o.baseline, 'dist'));
    if (base !== null) kids.push(base.child);
    type Collect = { ms: number; seen: number };
    const collect = async (x = m): Promise<Collect> => JSON.parse(await x.ask('collect')) as Collect;
    const cold = await collect();
    for (let i = 0; i < 3; i++) await collect(); // warm-up: caches filled, JIT done
    if (base !== null) for (let i = 0; i < 4; i++) await collect(base);
    childCpuMs(['ps', ...PS_ARGS].join(' ')); // the first ps pays for its own cold start
    const memrec: number[] = [];
    const baseMs: number[] = [];
    const psMs: number[] = [];
    let seen = 0;
    for (let i = 0; i < runs; i++) {
      const c = await collect();
      memrec.push(c.ms);
      seen = c.seen;
      if (base !== null) baseMs.push((await collect(base)).ms);
      psMs.push(childCpuMs(['ps', ...PS_ARGS].join(' ')));
    }
    if (base !== null) await base.ask('end');
    const r = { ...(JSON.parse(await m.ask('end')) as { rssKb: number; anonKb: number; heap: number }), cold: cold.ms, ms: memrec, seen };
    const psLines = spawnSync('ps', PS_ARGS, { encoding: 'utf8', maxBuffer: 1 << 28 }).stdout.trim().split('\n').length - 1;

    const bin = path.resolve(here, '../src/cli/bin.js');
    const cli: number[] = [];
    for (let i = 0; i < 5; i++) cli.push(childCpuMs(`${process.execPath} ${bin} snapshot --json --no-store`));

    const memrecMs = median(r.ms);
    const ps = median(psMs);
    return {
      started: n,
      memrecProcesses: r.seen,
      psProcesses: psLines,
      runs,
      top,
      memrecMs: round(memrecMs),
      memrecColdMs: round(r.cold),
      psMs: round(ps),
      ratio: round(memrecMs / ps, 2),
      cliMs: round(median(cli)),
      rssMiB: round(r.rssKb / 1024),
      rssAnonMiB: round(r.anonKb / 1024),
      heapUsedMiB: round(r.heap / 1048576),
      pods: pods === null ? 0 : podCount,
      baseline: o.baseline === undefined ? null : { dir: o.baseline, memrecMs: round(median(baseMs)), ratio: round(median(baseMs) / ps, 2) },
    };
  } finally {
    killAll(kids);
    pods?.cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export function formatCollectorBench(b: CollectorBench): string {
  return [
    `collector: ${b.started} idle processes started${b.pods > 0 ? ` in ${b.pods} pods (cgroupfs-driver cgroups, container names from containerd bundles)` : ''}; memrec saw ${b.memrecProcesses}, ps printed ${b.psProcesses}; median of ${b.runs} runs`,
    `  memrec snapshot (Collector.collect, top ${b.top}, warm): ${b.memrecMs} ms CPU   (first collect, cold caches: ${b.memrecColdMs} ms)`,
    `  ps ${PS_ARGS.join(' ')}: ${b.psMs} ms CPU`,
    `  ratio memrec/ps: ${b.ratio} (target <= 0.5)`,
    ...(b.baseline === null ? [] : [`  baseline ${b.baseline.dir} in the same runs: ${b.baseline.memrecMs} ms CPU, ratio ${b.baseline.ratio}`]),
    `  memrec snapshot --json --no-store as a new process (node start included): ${b.cliMs} ms CPU`,
    `  memrec after collecting: RSS ${b.rssMiB} MiB, private (RssAnon) ${b.rssAnonMiB} MiB, heap used ${b.heapUsedMiB} MiB`,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const procs = arg('--procs');
  const baseline = arg('--baseline');
  const r = await benchCollector({ ...(procs === undefined ? {} : { procs: Number(procs) }), ...(baseline === undefined ? {} : { baseline }) });
  console.log(formatCollectorBench(r));
  console.log(JSON.stringify(r));
}
