// The recorder's container as the DaemonSet runs it, for sizing its memory limit: one memory cgroup
// (cgroup v1 here) holds the recorder in permanent burst (1 snapshot/s) on a node of N processes, run
// by a private copy of the node binary, dropped from the page cache, so that the pages it touches are
// charged to this cgroup as a container's are when it reads its image's files. Two phases:
//   recorder  the recorder alone
//   probe     plus the liveness probe (`memrec status` with the recorder's node flags) every 5 s
// each with the cgroup's peaks: charge (memory.max_usage_in_bytes: anon + page cache, what the limit is
// held against before reclaim), working set (usage - inactive_file, as the kubelet counts it; inactive
// cache is reclaimed before the OOM killer acts), anon, and file pages mapped by its processes.
// Report commands are measured apart (BENCHMARKS.md, Container): the DaemonSet runs them in the reader.
// Standalone: node dist/bench/container.js [--processes N] [--seconds N]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { NODE_FLAGS } from '../src/service/unit.js';
import { fillProcesses } from './recorder.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const memrecBin = path.resolve(here, '../src/cli/bin.js');
const MEMORY_ROOT = '/sys/fs/cgroup/memory';
const MiB = 1048576;

export interface Phase {
  name: string;
  /** peak of the cgroup's charge (anon + page cache) */
  peakChargeMiB: number;
  /** peak of its anonymous memory */
  peakAnonMiB: number;
  /** peak of usage − inactive_file: what the kubelet calls the working set, the part reclaim cannot drop first */
  peakWorkingSetMiB: number;
  /** peak of file pages mapped into the processes (node's text, libraries) */
  peakMappedFileMiB: number;
  runs?: { count: number; exitCodes: number[]; wallMsMax: number };
}

export interface ContainerBench {
  processes: number;
  phases: Phase[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class BenchCgroup {
  readonly dir: string;
  constructor() {
    this.dir = path.join(MEMORY_ROOT, `memrec-bench-${randomBytes(4).toString('hex')}`);
    mkdirSync(this.dir);
  }
  read(file: string): string {
    return readFileSync(path.join(this.dir, file), 'utf8');
  }
  sample(): { anon: number; workingSet: number; mapped: number } {
    const stat = this.read('memory.stat');
    const v = (k: string) => Number(new RegExp(`^${k} (\\d+)$`, 'm').exec(stat)?.[1] ?? 0);
    return { anon: v('rss'), workingSet: Number(this.read('memory.usage_in_bytes')) - v('total_inactive_file'), mapped: v('mapped_file') };
  }
  resetPeak(): void {
    writeFileSync(path.join(this.dir, 'memory.max_usage_in_bytes'), '0');
  }
  peak(): number {
    return Number(this.read('memory.max_usage_in_bytes'));
  }
  spawn(cmd: string, args: string[]): ChildProcess {
    // the shell joins the cgroup, then execs: nothing of the program is charged elsewhere
    return spawn('/bin/sh', ['-c', `echo $$ > '${path.join(this.dir, 'cgroup.procs')}' && exec "$@"`, 'sh', cmd, ...args], { stdio: 'ignore' });
  }
  async destroy(): Promise<void> {
    for (let i = 0; i < 100 && existsSync(this.dir); i++) {
      for (const pid of this.read('cgroup.procs').split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      try {
        rmdirSync(this.dir);
      } catch {
        await sleep(50);
      }
    }
  }
}

function exited(child: ChildProcess): Promise<{ code: number; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code: code ?? (signal ? 128 : -1), ms: Date.now() - t0 })));
}

/** Sample the cgroup's anon every 250 ms while `during` runs. */
async function phase(cg: BenchCgroup, name: string, during: () => Promise<Phase['runs']>): Promise<Phase> {
  cg.resetPeak();
  const max = { anon: 0, workingSet: 0, mapped: 0 };
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const s = cg.sample();
      for (const k of ['anon', 'workingSet', 'mapped'] as const) max[k] = Math.max(max[k], s[k]);
      await sleep(250);
    }
  })();
  const runs = await during();
  sampling = false;
  await sampler;
  const m = (b: number) => Math.round((b / MiB) * 10) / 10;
  const p: Phase = { name, peakChargeMiB: m(cg.peak()), peakAnonMiB: m(max.anon), peakWorkingSetMiB: m(max.workingSet), peakMappedFileMiB: m(max.mapped) };
  if (runs) p.runs = runs;
  return p;
}

export async function benchContainer(o: { processes?: number; seconds?: number } = {}): Promise<ContainerBench | string> {
  if (process.getuid?.() !== 0 || !existsSync(path.join(MEMORY_ROOT, 'memory.max_usage_in_bytes'))) {
    return 'skipped: needs root and a writable cgroup v1 memory hierarchy at /sys/fs/cgroup/memory';
  }
  const seconds = o.seconds ?? 40;
  const kids = await fillProcesses(o.processes ?? 1000);
  const dir = mkdtempSync(path.join(tmpdir(), 'memrec-bench-container-'));
  const cg = new BenchCgroup();
  try {
    const node = path.join(dir, 'node');
    copyFileSync(process.execPath, node);
    // out of the page cache again, so that the recorder's first touch charges its pages to the cgroup
    // (a container's image files are read in by the container unless another one has them cached)
    for (const [cmd, args] of [['sync', [node]], ['dd', [`if=${node}`, 'iflag=nocache', 'count=0', 'status=none']]] as const) {
      const r = spawnSync(cmd, args);
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
    }
    const cfg = path.join(dir, 'empty.yaml');
    writeFileSync(cfg, '');
    const db = path.join(dir, 'memrec.db');
    const rec = cg.spawn(node, [...NODE_FLAGS, memrecBin, 'record', '--db', db, '--config', cfg, '--burst-at', '100%', '--burst-interval', '1s', '--burst-slow-after', '1d']);
    await sleep(10_000); // start-up, first snapshots, retention at start
    const phases: Phase[] = [];
    phases.push(await phase(cg, 'recorder', async () => void (await sleep(seconds * 1000))));
    phases.push(
      await phase(cg, 'probe', async () => {
        const codes: number[] = [];
        let wall = 0;
        const end = Date.now() + seconds * 1000;
        while (Date.now() < end) {
          const r = await exited(cg.spawn(node, [...NODE_FLAGS, memrecBin, 'status', '--db', db]));
          codes.push(r.code);
          wall = Math.max(wall, r.ms);
          await sleep(5000);
        }
        return { count: codes.length, exitCodes: [...new Set(codes)], wallMsMax: wall };
      }),
    );
    rec.kill('SIGTERM');
    await exited(rec);
    return { processes: o.processes ?? 1000, phases };
  } finally {
    await cg.destroy();
    for (const k of kids) k.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatContainerBench(r: ContainerBench | string): string {
  if (typeof r === 'string') return `  ${r}`;
  return [
    `recorder container (one memory cgroup, recorder bursting 1 snapshot/s over ~${r.processes} processes, node ${NODE_FLAGS.join(' ')}):`,
    ...r.phases.map((p) => `  ${p.name.padEnd(9)} peak: charge ${p.peakChargeMiB} MiB, working set ${p.peakWorkingSetMiB} MiB, anon ${p.peakAnonMiB} MiB, mapped files ${p.peakMappedFileMiB} MiB${p.runs ? `; ${p.runs.count} run(s), exit ${p.runs.exitCodes.join('/')}, longest ${p.runs.wallMsMax} ms` : ''}`),
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i < 0 ? undefined : Number(process.argv[i + 1]);
  };
  console.log(formatContainerBench(await benchContainer({ processes: arg('--processes') ?? 1000, seconds: arg('--seconds') ?? 40 })));
}
