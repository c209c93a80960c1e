// The night of the incident, replayed on the real kernel inside one memory cgroup standing in for the node:
// a kubepods tree with a pod, and system.slice/plocate-updatedb.service whose "updatedb" walks the pod's
// volume (its cwd inside the pod's directory) while its memory grows. `memrec record` watches that node
// cgroup, bursts as memory.available falls, and the database it writes is what culprits and export read.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { randomBytes, randomUUID } from 'node:crypto';
import type { ScenarioCgroup } from './cgroup.js';
import type { WalkOptions } from './walker.js';

export const MEMREC_BIN = fileURLToPath(new URL('../../src/cli/bin.js', import.meta.url));
const WALKER_JS = fileURLToPath(new URL('./walker.js', import.meta.url));

export const UNIT = 'plocate-updatedb.service';
/** The steady service: big all day, never growing (a JVM). */
export const STEADY_UNIT = 'billing-jvm.service';
export const POD_NAMESPACE = 'search';
export const POD_NAME = 'indexer-0';
const MiB = 1024 * 1024;

export interface IncidentOptions {
  /** temp dir: the fake host root (pod volume, /var/log/pods) the recorder reads pod names from */
  dir: string;
  db: string;
  /** memory limit of the node cgroup: the "node's" capacity */
  limitBytes: number;
  /** --burst-at and --hard, sized to the limit (percentages of it) */
  burstAt: string;
  hard: string;
  schedule: string;
  /** the pod volume's tree: top-level dirs × subdirs each × files in every subdir */
  tree: { dirs: number; subdirs: number; files: number };
  walker: WalkOptions;
  /** the pod app's MiB and extra command-line arguments */
  podAppMiB: number;
  podArgs?: string[];
  /** ordinary noise: a service inside the node that holds this many MiB all along and does not grow */
  steadyMiB?: number;
  /** ordinary noise: a process outside the node cgroup (elsewhere on the machine) holding this many MiB */
  outsideMiB?: number;
  /** run while the recorder is bursting, beside the walker (the report tests cause an OOM kill here) */
  whileBursting?: (cg: ScenarioCgroup, recorder: RecorderRun) => Promise<void>;
  log?: (line: string) => void;
}

export interface Incident {
  db: string;
  /** epoch ms before the recorder started and after it stopped */
  since: number;
  until: number;
  podUid: string;
  /** namespace/name, as /var/log/pods names it */
  pod: string;
  containerIds: string[];
  podAppPid: number;
  unit: string;
  walkerPid: number;
  /** the steady service's and the outside process's pids, when the options asked for them */
  steadyPid: number | null;
  outsidePid: number | null;
  /** the pod volume directory the walker's cwd walks */
  volume: string;
  walked: { dirs: number; files: number; heldBytes: number };
  recorderLog: string;
}

/** `memrec record` as a child process with its log collected. */
export class RecorderRun {
  readonly child: ChildProcess;
  out = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[]) {
    // Only the flags given count: no MEMREC_* from the environment.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MEMREC_')));
    this.child = spawn(process.execPath, [MEMREC_BIN, 'record', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d: Buffer) => (this.out += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.out += d.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  /** The first log line matching `re`; throws with the whole log when the time is up or the recorder exited. */
  async waitFor(re: RegExp, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const line = this.out.split('\n').find((l) => re.test(l));
      if (line !== undefined) return line;
      if (this.child.exitCode !== null || this.child.signalCode !== null) break;
      await sleep(25);
    }
    throw new Error(`memrec record logged no line matching ${re} (exit ${this.child.exitCode ?? this.child.signalCode}):\n${this.out}`);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The pod volume with many directories and files, and /var/log/pods/<ns>_<name>_<uid>/ so the pod has a name. */
export function buildHostRoot(dir: string, podUid: string, tree: IncidentOptions['tree']): string {
  const volume = path.join(dir, 'var/lib/kubelet/pods', podUid, 'volumes/kubernetes.io~empty-dir/data');
  for (let d = 0; d < tree.dirs; d++) {
    for (let s = 0; s < tree.subdirs; s++) {
      const sub = path.join(volume, `shard-${String(d).padStart(3, '0')}`, `part-${String(s).padStart(3, '0')}`);
      mkdirSync(sub, { recursive: true });
      for (let f = 0; f < tree.files; f++) writeFileSync(path.join(sub, `doc-${f}.json`), '{}\n');
    }
  }
  mkdirSync(path.join(dir, 'var/log/pods', `${POD_NAMESPACE}_${POD_NAME}_${podUid}`, 'app'), { recursive: true });
  return volume;
}

/** Holds `mib` MiB, touched: the pod's application (and the steady service, and the process outside the node). */
const podApp = (mib: number): string => `const b = Buffer.alloc(${mib * MiB}, 2); setInterval(() => b[0]++, 1000);`;

/** Resolves once the process's VmRSS reached `bytes` (it has allocated what it holds); throws at the deadline. */
export async function waitForRss(pid: number, bytes: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let rss = 0;
  while (Date.now() < deadline) {
    try {
      rss = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
    } catch {
      break; // gone
    }
    if (rss >= bytes) return;
    await sleep(20);
  }
  throw new Error(`pid ${pid} did not reach ${Math.round(bytes / MiB)} MiB of RSS (${Math.round(rss / MiB)} MiB)`);
}

export async function runIncident(cg: ScenarioCgroup, o: IncidentOptions): Promise<Incident> {
  // Not in the node cgroup: a big process elsewhere on the machine, which is not the node's.
  let outside: ChildProcess | null = null;
  try {
    if (o.outsideMiB !== undefined) {
      outside = spawn(process.execPath, ['-e', podApp(o.outsideMiB)], { cwd: '/', stdio: 'ignore' });
      await waitForRss(outside.pid!, o.outsideMiB * MiB);
      o.log?.(`outside the node cgroup: a process holding ${o.outsideMiB} MiB (pid ${outside.pid})`);
    }
    return await runInNode(cg, o, outside?.pid ?? null);
  } finally {
    // the node cgroup's owner kills what is inside it; the process outside is this scenario's to end
    if (outside !== null && outside.exitCode === null && outside.signalCode === null) outside.kill('SIGKILL');
  }
}

async function runInNode(cg: ScenarioCgroup, o: IncidentOptions, outsidePid: number | null): Promise<Incident> {
  const log = o.log ?? (() => {});
  const podUid = randomUUID();
  const containerIds = [randomBytes(32).toString('hex'), randomBytes(32).toString('hex')];
  const volume = buildHostRoot(o.dir, podUid, o.tree);
  log(`pod ${POD_NAMESPACE}/${POD_NAME} (uid ${podUid}): volume ${volume} with ${o.tree.dirs * o.tree.subdirs} directories, ${o.tree.dirs * o.tree.subdirs * o.tree.files} files`);

  cg.setLimit(o.limitBytes);
  const podCg = `kubepods/burstable/pod${podUid}`;
  const [appCid, sidecarCid] = containerIds as [string, string];
  cg.mkdir(`${podCg}/${appCid}`);
  cg.mkdir(`${podCg}/${sidecarCid}`);
  cg.mkdir(`system.slice/${UNIT}`);
  const app = cg.spawnIn(`${podCg}/${appCid}`, process.execPath, ['-e', podApp(o.podAppMiB), '--', ...(o.podArgs ?? [])], { cwd: '/' });
  const sidecar = cg.spawnIn(`${podCg}/${sidecarCid}`, 'sleep', ['86400'], { cwd: '/' });
  await cg.waitForPid(app.pid!, `${podCg}/${appCid}`);
  await cg.waitForPid(sidecar.pid!, `${podCg}/${sidecarCid}`);
  // every process holds its memory before the first snapshot
  await waitForRss(app.pid!, o.podAppMiB * MiB);
  log(`${cg.path}/${podCg}: the pod's app (pid ${app.pid}, ${o.podAppMiB} MiB) and a sidecar (pid ${sidecar.pid})`);
  let steady: ChildProcess | null = null;
  if (o.steadyMiB !== undefined) {
    cg.mkdir(`system.slice/${STEADY_UNIT}`);
    steady = cg.spawnIn(`system.slice/${STEADY_UNIT}`, process.execPath, ['-e', podApp(o.steadyMiB)], { cwd: '/' });
    await cg.waitForPid(steady.pid!, `system.slice/${STEADY_UNIT}`);
    await waitForRss(steady.pid!, o.steadyMiB * MiB);
    log(`${cg.path}/system.slice/${STEADY_UNIT}: a service holding ${o.steadyMiB} MiB all along (pid ${steady.pid})`);
  }

  const config = path.join(o.dir, 'memrec.yaml');
  writeFileSync(config, '', { mode: 0o600 });
  const args = [
    '--db', o.db, '--config', config, '--memory-cgroup', cg.path,
    // pod names come from <host-root>/var/log/pods; processes and cgroups are this machine's
    '--host-root', o.dir, '--proc-root', '/proc', '--sys-root', '/sys',
    '--schedule', o.schedule, '--watch-interval', '100ms', '--burst-interval', '100ms',
    '--burst-at', o.burstAt, '--hard', o.hard, '--burst-hysteresis', '5%', '--burst-exit-after', '500ms',
    '--burst-psi', '100', '--top', '30',
  ];
  const since = Date.now();
  const recorder = new RecorderRun(args);
  try {
    log(`memrec record ${args.map((a) => (/[\s*]/.test(a) ? `'${a}'` : a)).join(' ')}`);
    await recorder.waitFor(/msg="recorder started"/);
    // Start times are known to the second (/proc/stat btime is whole seconds): updatedb starts well inside
    // the recording, so that it counts as started after `since` and the noise before it does not.
    while (Date.now() < since + 1500) await sleep(50);

    // A script named updatedb: its comm is "updatedb", as ps and memrec show it.
    const bin = path.join(o.dir, 'bin');
    mkdirSync(bin, { recursive: true });
    const updatedb = path.join(bin, 'updatedb');
    writeFileSync(updatedb, `#!${process.execPath}\nimport(${JSON.stringify(pathToFileURL(WALKER_JS).href)}).then((m) => m.main(process.argv.slice(2)));\n`);
    chmodSync(updatedb, 0o755);
    const w = o.walker;
    const walker = cg.spawnIn(`system.slice/${UNIT}`, updatedb, [volume, String(w.growToBytes), String(w.stepBytes), String(w.stepMs)], { cwd: volume });
    let walkerOut = '';
    walker.stdout!.on('data', (d: Buffer) => (walkerOut += d.toString()));
    walker.stderr!.on('data', (d: Buffer) => (walkerOut += d.toString()));
    const walkerExit = new Promise<number | null>((resolve) => walker.on('exit', (code) => resolve(code)));
    await cg.waitForPid(walker.pid!, `system.slice/${UNIT}`);
    log(`${cg.path}/system.slice/${UNIT}: updatedb (pid ${walker.pid}) walks the pod's volume, growing to ${Math.round(w.growToBytes / MiB)} MiB`);

    log(await recorder.waitFor(/msg="burst start"/));
    const beside = o.whileBursting ? o.whileBursting(cg, recorder) : Promise.resolve();
    const code = await walkerExit;
    if (code !== 0) throw new Error(`updatedb exited with ${code}: ${walkerOut.trim()}`);
    const walked = JSON.parse(walkerOut.trim().split('\n').at(-1)!) as Incident['walked'];
    log(`updatedb walked ${walked.dirs} directories and ${walked.files} files, held ${Math.round(walked.heldBytes / MiB)} MiB, exited`);
    await beside;
    log(await recorder.waitFor(/msg="burst end"/));
    const exit = await recorder.stop('SIGTERM');
    if (exit.code !== 0) throw new Error(`memrec record exited with ${exit.code ?? exit.signal}:\n${recorder.out}`);
    return {
      db: o.db, since, until: Date.now(), podUid, pod: `${POD_NAMESPACE}/${POD_NAME}`, containerIds, podAppPid: app.pid!,
      unit: UNIT, walkerPid: walker.pid!, steadyPid: steady?.pid ?? null, outsidePid, volume, walked, recorderLog: recorder.out,
    };
  } finally {
    await recorder.stop('SIGKILL');
  }
}
