// Every example command of the documentation runs and exits as documented: the memrec command lines of
// README.md (```sh, ```bash and ```console blocks, and the `$ memrec ...` lines of the sample outputs) and
// of every command's --help (its Examples: section). A broken example fails this test; the fix is the
// example, not an exception here.
//
// How each class of example runs (the example's text is run as written, by bash -o pipefail, with `memrec`
// on PATH as the built bin.js and its #! line; jq and the rest of the pipeline are the real programs):
// - reports (query, culprits, timeline, events, export, postmortem) and everything else, on a copy of the
//   recording of test/helpers/readme-db.ts (MEMREC_DB): the incident night 02:00-02:30 in Europe/Berlin
//   (TZ), in a boot that ended with the node going down, and the next boot's quiet morning. The clock
//   reads 2026-11-27 04:00 there (libfaketime), so `02:00`, `yesterday`, `2h`, `3d`, `2026-11-27` and
//   `--boot -1` all land on the night.
// - memory and snapshot: on this machine's /proc and /sys (a snapshot is stored in the copy).
// - record: on the incident node's fixture tree (MEMREC_HOST_ROOT=test/fixtures/v1-cgroupfs, MEMREC_KMSG a
//   recorded kernel log, so nothing of this machine is read as evidence); it must log "recorder started",
//   then SIGTERM must stop it with "recorder stopped" and exit status 0, as the README says.
// - status: while a recorder (as above) records into the copy, so "recording" and exit status 0 are what
//   it answers; a README transcript that shows "not recording" runs on the copy alone and exits 1.
// - install-service, uninstall-service: into a staging root (--prefix added when the example has none):
//   they write this machine's /etc and /var/lib otherwise. uninstall-service runs after an install there.
// - man, completion: as written, with HOME in the test's directory and the real clock; `source <(memrec
//   completion bash)` is followed by `complete -p memrec`, which prints what it defined.
// - `sudo` is dropped: the test runs as root (as another user, the sudo examples are reported not run).
// - absolute paths of the examples that stand for places of this machine or a pod (PATH_MAP) are mapped
//   into the test's directory; each mapping must be used by some example.
// Non-memrec lines of the blocks (npm, docker, kubectl apply, systemctl) are not examples of memrec; the
// quick start is checked against .ci/run below. Lines that invoke memrec but cannot run here are in
// NOT_RUN with the reason; an entry that matches no example fails the test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fixture, memrecBin, repoRoot } from './helpers/paths.js';
import { memrecEnv } from './helpers/run.js';
import { stagedBuild } from './helpers/staged.js';
import { requireTool } from './helpers/tools.js';
import { README_NOW_LOCAL, README_ZONE, writeReadmeDb } from './helpers/readme-db.js';

interface Example {
  /** README.md:123, or `memrec query --help` */
  where: string;
  line: string;
  /** for a sample output's `$ memrec ...` line: the output the README shows under it */
  shown?: string;
}

/** Lines that invoke memrec but cannot run on a test machine, each with why. */
const NOT_RUN: Record<string, string> = {
  'sudo memrec install-service && sudo systemctl daemon-reload && sudo systemctl enable --now memrec':
    'enables the unit on this machine; test/systemd-boot.test.ts runs install-service and systemctl in a booted Debian machine',
  'sudo systemctl disable --now memrec && sudo memrec uninstall-service && sudo systemctl daemon-reload':
    'stops and disables the unit on this machine; test/systemd-boot.test.ts does it in a booted Debian machine',
  'memrec memory --memory-cgroup /kubelet.slice --hard 500Mi':
    'needs a nested node\'s /kubelet.slice memory cgroup; test/memory-fixtures.test.ts runs --memory-cgroup on the kind fixture',
  'kubectl -n memrec exec "$(kubectl -n memrec get pod -l app.kubernetes.io/name=memrec --field-selector spec.nodeName=node-7 -o name)" -c reader -- memrec culprits --since 02:00':
    'needs a cluster; the same memrec command runs here from its own example',
  'kubectl -n memrec exec "$pod" -c reader -- memrec status': 'needs a cluster (memrec status runs here from its own example)',
  'kubectl -n memrec exec "$pod" -c reader -- memrec query --since 02:00 --until 04:00': 'needs a cluster (the same query runs here from the help of timeline/query examples)',
  'kubectl -n memrec exec "$pod" -c reader -- memrec export --since 02:00 --out /tmp/node-7.html': 'needs a cluster',
  'kubectl -n memrec exec "$pod" -c reader -- memrec export --since 02:00 --format sqlite --out /tmp/node-7.db': 'needs a cluster',
  'kubectl -n memrec cp -c reader "${pod#pod/}:/tmp/node-7.db" ./node-7.db && memrec query --db node-7.db --since 02:00': 'reads the file kubectl copied out of a pod',
  'kubectl -n memrec debug node/node-7 -it --image=registry.example/memrec:0.1.0 -- memrec culprits --db /host/var/lib/memrec/memrec.db --since 02:00': 'needs a cluster and a pushed image',
};

/** What an example exits with when it is not 0, as the documentation says, and why. */
const EXIT_STATUS: Record<string, { status: number; why: string }> = {
  'memrec status >/dev/null': { status: 1, why: 'the README shows it answering "not recording": run with no recorder' },
};

/** Absolute paths of examples that stand for this machine's or a pod's places, mapped into the test's directory. */
function pathMap(work: string): [RegExp, string, string][] {
  return [
    [/(^|[\s=])\/tmp\//g, `$1${work}/tmp/`, '/tmp: the examples write there; the test keeps this machine\'s /tmp clean'],
    [/--host-root \/host(?=\s|$)/g, `--host-root ${fixture('v1-cgroupfs')}`, '/host: a DaemonSet\'s mount of the node; here the incident node\'s fixture tree'],
    [/\/var\/lib\/node_exporter(?=\s|$)/g, `${work}/node_exporter`, 'node_exporter\'s directory of this machine'],
    [/> \/etc\/memrec\/memrec\.yaml/g, `> ${work}/etc/memrec/memrec.yaml`, 'this machine\'s memrec config'],
  ];
}

// ---- extraction -------------------------------------------------------------------------------------

/** The command segments of a shell line: split at |, ||, &&, ; and $( ... ). */
function segments(line: string): string[] {
  return line.split(/\|\||&&|\||;|\$\(/).map((s) => s.trim());
}

/** The words of a segment after leading VAR=value assignments and sudo. */
function commandWords(segment: string): string[] {
  const words = segment.split(/\s+/).filter((w) => w !== '');
  while (words.length > 0 && (/^[A-Z_][A-Z0-9_]*=/.test(words[0]!) || words[0] === 'sudo')) words.shift();
  return words;
}

/** Whether a line runs memrec: as a command of its own, or in a pod (`kubectl ... -- memrec ...`). */
export function invokesMemrec(line: string): boolean {
  return segments(line).some((s) => commandWords(s)[0] === 'memrec' || /(^|\s)--\s+memrec\s/.test(s));
}

/** A usage synopsis (`memrec query (--since T [--until T] | --boot N) ...`), not a command to run. */
function isSynopsis(line: string): boolean {
  return /\[--|\(--|^\s*\[/.test(line);
}

/** Drop a trailing `# comment` (outside quotes). */
function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote !== null) {
      if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i).trimEnd();
  }
  return line.trimEnd();
}

export function readmeExamples(text: string): Example[] {
  const out: Example[] = [];
  const lines = text.split('\n');
  let fence: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const open = /^```(\S*)\s*$/.exec(raw);
    if (open !== null) {
      fence = fence === null ? open[1]! : null;
      continue;
    }
    if (fence === null) continue;
    let line = raw;
    const where = `README.md:${i + 1}`;
    while (line.endsWith('\\') && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i]!.trim();
    if (['sh', 'bash', 'console'].includes(fence)) {
      line = stripComment(line.replace(/^\s*\$ /, '')).trim();
      if (line === '' || isSynopsis(line) || !invokesMemrec(line)) continue;
      out.push({ where, line });
    } else if (fence === '' && /^\$ /.test(line) && invokesMemrec(line.slice(2))) {
      // a sample output's prompt line: the command that printed what follows it in the block
      const shown: string[] = [];
      for (let j = i + 1; j < lines.length && !/^```/.test(lines[j]!) && !/^\$ /.test(lines[j]!); j++) shown.push(lines[j]!);
      out.push({ where, line: stripComment(line.slice(2)).trim(), shown: shown.join('\n') });
    }
  }
  return out;
}

/** The Examples: section of a --help text. */
export function helpExamples(command: string, help: string): Example[] {
  const at = help.indexOf('\nExamples:\n');
  if (at < 0) return [];
  const out: Example[] = [];
  for (const l of help.slice(at + '\nExamples:\n'.length).split('\n')) {
    if (!/^\s+\S/.test(l)) break;
    const line = stripComment(l).trim();
    if (line !== '') out.push({ where: `memrec ${command} --help`, line });
  }
  return out;
}

function commands(): string[] {
  return fs
    .readdirSync(path.join(repoRoot, 'src', 'cli', 'commands'))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

function allExamples(): Example[] {
  const readme = readmeExamples(fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8'));
  const help = commands().flatMap((c) => {
    const r = spawnSync(process.execPath, [memrecBin, c, '--help'], { encoding: 'utf8', env: memrecEnv() });
    assert.equal(r.status, 0, `memrec ${c} --help: ${r.stderr}`);
    return helpExamples(c, r.stdout);
  });
  return [...readme, ...help];
}

// ---- running ----------------------------------------------------------------------------------------

type Kind = 'report' | 'host' | 'record' | 'status' | 'service' | 'uninstall' | 'other' | 'docs';

/** The memrec subcommand an example runs (its first memrec segment). */
function subcommand(line: string): string {
  for (const s of segments(line)) {
    const w = commandWords(s);
    if (w[0] === 'memrec') return w[1] ?? '';
  }
  return '';
}

function kindOf(line: string): Kind {
  const sub = subcommand(line);
  if (['query', 'culprits', 'timeline', 'events', 'export', 'postmortem'].includes(sub)) return 'report';
  if (sub === 'memory' || sub === 'snapshot') return 'host';
  if (sub === 'record') return 'record';
  if (sub === 'status') return 'status';
  if (sub === 'install-service') return 'service';
  if (sub === 'uninstall-service') return 'uninstall';
  if (sub === 'man' || sub === 'completion') return 'docs';
  return 'other';
}

const MiB = 1024 * 1024;

interface Dirs {
  clock: NodeJS.ProcessEnv;
  base: string;
  bin: string;
  db: string;
}

function setup(): Dirs {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'memrec-readme-'));
  const bin = path.join(base, 'bin');
  fs.mkdirSync(bin);
  // memrec as npm installs it: bin.js run by its own #! line (tsc does not make dist/ executable), from the staged
  // build (0755), not the checkout: install-service refuses a memrec the service's dynamic user cannot reach, and a
  // clone may live in a 0700 directory (root's home)
  const shebang = /^#!(.*)/.exec(fs.readFileSync(memrecBin, 'utf8'))![1]!.trim();
  fs.writeFileSync(path.join(bin, 'memrec'), `#!/bin/sh\nexec ${shebang} '${stagedBuild().bin}' "$@"\n`, { mode: 0o755 });
  const db = path.join(base, 'night.db');
  writeReadmeDb(db);
  return { clock: fakeClock(), base, bin, db };
}

interface Work {
  dir: string;
  env: NodeJS.ProcessEnv;
  command: string;
}

let serial = 0;

/** A fresh directory and database copy for one example, its paths mapped, its environment set. */
function prepare(d: Dirs, ex: Example, used: Set<string>, extraEnv: NodeJS.ProcessEnv = {}): Work {
  const dir = path.join(d.base, `ex-${++serial}`);
  for (const sub of ['cwd', 'tmp', 'node_exporter', 'etc/memrec', 'root', 'home']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  fs.copyFileSync(d.db, path.join(dir, 'memrec.db'));
  let command = ex.line.replace(/(^|&&\s*|\|\|\s*|;\s*)sudo /g, '$1'); // the test runs as root
  for (const [re, to, why] of pathMap(dir)) {
    const next = command.replace(re, to);
    if (next !== command) used.add(why);
    command = next;
  }
  const kind = kindOf(ex.line);
  // sourcing the completion prints nothing: what it defines is its output
  if (/^source <\(memrec completion bash\)/.test(command)) command = `${command} && complete -p memrec`;
  if ((kind === 'service' || kind === 'uninstall') && !/--prefix/.test(command)) command = command.replace(/memrec (un)?install-service/, (m) => `${m} --prefix ${dir}/root`);
  const env = memrecEnv({
    PATH: `${d.bin}:${process.env['PATH'] ?? '/usr/bin:/bin'}`,
    TZ: README_ZONE,
    MEMREC_DB: path.join(dir, 'memrec.db'),
    // the man page and completion read no time: no fake clock (man's own pipeline does not run under
    // libfaketime), and ~ is the example's own home
    ...(kind === 'docs' ? { HOME: path.join(dir, 'home') } : d.clock),
    ...(kind === 'record' ? recordEnv() : {}),
    ...extraEnv,
  });
  return { dir, env, command };
}

function recordEnv(): NodeJS.ProcessEnv {
  return { MEMREC_HOST_ROOT: fixture('v1-cgroupfs'), MEMREC_KMSG: fixture('kmsg', 'memcg-v1-6.18.kmsg') };
}

/**
 * The clock of README_NOW for every process of an example: libfaketime preloaded, as faketime(1) does (the
 * library's path is the one faketime itself sets). Not through faketime(1): it would stay the parent and
 * take the recorder's SIGTERM.
 */
function fakeClock(): NodeJS.ProcessEnv {
  const r = spawnSync('faketime', ['-f', '+0', 'sh', '-c', 'printf %s "$LD_PRELOAD"'], { encoding: 'utf8' });
  assert.ok(r.status === 0 && /libfaketime/.test(r.stdout), `faketime did not say where libfaketime is: ${r.stderr}`);
  return { LD_PRELOAD: r.stdout, FAKETIME: `@${README_NOW_LOCAL}`, FAKETIME_DONT_FAKE_MONOTONIC: '1' };
}

function bash(command: string): [string, string[]] {
  return ['bash', ['-o', 'pipefail', '-c', command]];
}

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

function runNow(w: Work): Result {
  const [cmd, args] = bash(w.command);
  const r = spawnSync(cmd, args, { cwd: path.join(w.dir, 'cwd'), env: w.env, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * MiB });
  return { status: r.status, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error !== undefined ? String(r.error) : ''}` };
}

/** A long-running example (the recorder) in its own process group, its output collected. */
class Background {
  stdout = '';
  stderr = '';
  private readonly child;
  private readonly exited: Promise<number | null>;

  constructor(w: Work) {
    const [cmd, args] = bash(w.command);
    this.child = spawn(cmd, args, { cwd: path.join(w.dir, 'cwd'), env: w.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (b: Buffer) => (this.stdout += b.toString()));
    this.child.stderr.on('data', (b: Buffer) => (this.stderr += b.toString()));
    // 'close': every process holding its output has ended (npm start's recorder outlives npm by a moment)
    this.exited = new Promise((resolve) => this.child.on('close', (code) => resolve(code)));
  }

  private get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Whether its output shows `re` within `ms` (false: it did not, or it ended first). */
  async waitFor(re: RegExp, ms = 30_000): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline && this.running) {
      if (re.test(this.stdout + this.stderr)) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    return re.test(this.stdout + this.stderr);
  }

  /** SIGTERM to its process group (SIGKILL 20 s later if it is still there), then its result. */
  async stop(): Promise<Result> {
    if (this.running) process.kill(-this.child.pid!, 'SIGTERM');
    const killer = setTimeout(() => {
      try {
        process.kill(-this.child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 20_000);
    const status = await this.exited;
    clearTimeout(killer);
    return { status, stdout: this.stdout, stderr: this.stderr };
  }
}

/** The files an example writes its output to (`> FILE`, `--out FILE`), relative to its cwd. */
function outputTargets(command: string, cwd: string, home: string | undefined): string[] {
  const files: string[] = [];
  for (const m of command.matchAll(/(?:^|\s)(?:>|--out\s)\s*([^\s&][^\s)]*)/g)) {
    if (m[1] === '-') continue;
    // ~/ as bash expands it
    files.push(home !== undefined && m[1]!.startsWith('~/') ? path.join(home, m[1]!.slice(2)) : path.resolve(cwd, m[1]!));
  }
  return files;
}

function describe(ex: Example, w: Work, r: Result): string {
  return `${ex.where}: ${ex.line}\n  ran: ${w.command}\n  exit ${r.status}\n  stdout: ${r.stdout.slice(0, 600)}\n  stderr: ${r.stderr.slice(0, 1200)}`;
}

/** Exit status as documented, and output: on stdout, or in every file the example writes to. */
function checkOutput(ex: Example, w: Work, r: Result): void {
  const expected = EXIT_STATUS[ex.line]?.status ?? 0;
  assert.equal(r.status, expected, `exit status ${r.status}, documented ${expected}\n${describe(ex, w, r)}`);
  const targets = outputTargets(w.command, path.join(w.dir, 'cwd'), w.env['HOME']);
  const csv = /--format csv/.test(w.command);
  if (targets.length === 0) {
    assert.notEqual(r.stdout.trim(), '', `no output\n${describe(ex, w, r)}`);
    // what the README shows under a `$ memrec ...` line is what it prints (the recording is the night it shows)
    if (ex.shown !== undefined) assert.equal(r.stdout, `${ex.shown}\n`, `not the output the README shows\n${describe(ex, w, r)}`);
    if (csv) assert.ok(r.stdout.trim().split('\n').length > 1, `a CSV header and no rows\n${describe(ex, w, r)}`);
    return;
  }
  for (const f of targets) {
    if (f === '/dev/null') {
      // the README shows the line stderr says instead
      if (ex.shown !== undefined) assert.ok(r.stderr.startsWith(ex.shown.split(': ').slice(0, 2).join(': ')), `not the answer the README shows\n${describe(ex, w, r)}`);
      continue;
    }
    assert.ok(fs.existsSync(f) && fs.statSync(f).size > 0, `${f} was not written\n${describe(ex, w, r)}`);
    if (csv) assert.ok(fs.readFileSync(f, 'utf8').trim().split('\n').length > 1, `${f}: a CSV header and no rows\n${describe(ex, w, r)}`);
  }
}

test('every memrec example of the README and of every --help runs and exits as documented', { timeout: 15 * 60_000 }, async () => {
  requireTool('jq');
  requireTool('faketime');
  const root = process.getuid?.() === 0;
  const examples = allExamples();
  const d = setup();
  const used = new Set<string>();
  const failures: string[] = [];
  const ran = new Map<Kind, number>();
  try {
    for (const ex of examples) {
      if (NOT_RUN[ex.line] !== undefined) continue;
      if (!root && /(^|\s)sudo\s/.test(ex.line)) {
        process.stderr.write(`memrec tests: not run, needs root (run npm test as root): ${ex.where}: ${ex.line}\n`);
        continue;
      }
      const kind = kindOf(ex.line);
      ran.set(kind, (ran.get(kind) ?? 0) + 1);
      try {
        if (kind === 'record') {
          const w = prepare(d, ex, used);
          const bg = new Background(w);
          const ready = await bg.waitFor(/msg="recorder started"/);
          const r = await bg.stop();
          assert.ok(ready, `never logged "recorder started"\n${describe(ex, w, r)}`);
          assert.equal(r.status, 0, `SIGTERM: exit status ${r.status}, documented 0\n${describe(ex, w, r)}`);
          assert.match(r.stdout + r.stderr, /msg="recorder stopped" reason=SIGTERM/, describe(ex, w, r));
        } else if (kind === 'status' && EXIT_STATUS[ex.line] === undefined) {
          // a recorder records into the copy while the example asks
          const w = prepare(d, ex, used);
          const rec = { ...w, command: 'exec memrec record', env: { ...w.env, ...recordEnv() } };
          const recorder = new Background(rec);
          const ready = await recorder.waitFor(/msg="recorder started"/);
          const r = runNow(w);
          const rr = await recorder.stop();
          assert.ok(ready, `the recorder for ${ex.line} did not start: ${rr.stdout}${rr.stderr}`);
          checkOutput(ex, w, r);
        } else {
          const w = prepare(d, ex, used);
          if (kind === 'uninstall') {
            const inst = runNow({ ...w, command: `memrec install-service --prefix ${w.dir}/root` });
            assert.equal(inst.status, 0, `install-service before ${ex.line}: ${inst.stderr}`);
          }
          checkOutput(ex, w, runNow(w));
        }
      } catch (e) {
        failures.push((e as Error).message);
      }
    }
  } finally {
    fs.rmSync(d.base, { recursive: true, force: true });
  }
  process.stderr.write(`memrec tests: ${examples.length} examples (${Object.keys(NOT_RUN).length} not run): ${[...ran].map(([k, n]) => `${k} ${n}`).join(', ')}\n`);
  assert.deepEqual(failures, [], `${failures.length} example(s) broken:\n\n${failures.join('\n\n')}`);
  const lines = new Set(examples.map((e) => e.line));
  assert.deepEqual(Object.keys(NOT_RUN).filter((l) => !lines.has(l)), [], 'NOT_RUN entries that are no example any more');
  assert.deepEqual(Object.keys(EXIT_STATUS).filter((l) => !lines.has(l)), [], 'EXIT_STATUS entries that are no example any more');
  const whys = pathMap('/x').map(([, , why]) => why);
  assert.deepEqual(whys.filter((w) => !used.has(w)), [], 'PATH_MAP entries no example uses');
});

/** The npm commands of shell text: `npm ci`, `npm start`, `npm test` (subcommand only, flags left out). */
function npmCommands(lines: string[]): string[] {
  return lines.flatMap((l) => segments(stripComment(l)).map(commandWords).filter((w) => w[0] === 'npm').map((w) => `npm ${w[1]}`));
}

test('the quick start: .ci/run runs the README\'s two commands on a fresh clone, and npm start records', { timeout: 5 * 60_000 }, async () => {
  const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const block = /## Quick start\n[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme);
  assert.ok(block !== null, 'README.md has no Quick start with a sh block');
  const quick = block[1]!.trim().split('\n');
  assert.equal(quick.length, 2, `the quick start is two commands: ${quick.join(' / ')}`);
  assert.deepEqual(npmCommands(quick), ['npm ci', 'npm start', 'npm test']);
  const ci = fs.readFileSync(path.join(repoRoot, '.ci', 'run'), 'utf8').split('\n').filter((l) => !/^\s*#/.test(l));
  // CI runs all of it but the recorder, which runs until stopped (and is run below)
  assert.deepEqual(npmCommands(ci), npmCommands(quick).filter((c) => c !== 'npm start'));

  // npm start: builds, then records (here on the fixture node, into a temporary database) until SIGTERM
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memrec-quickstart-'));
  try {
    fs.mkdirSync(path.join(dir, 'cwd'));
    const w: Work = { dir, command: `cd '${repoRoot}' && exec npm start`, env: memrecEnv({ MEMREC_DB: path.join(dir, 'memrec.db'), ...recordEnv() }) };
    const bg = new Background(w);
    const ready = await bg.waitFor(/msg="recorder started"/, 180_000);
    const r = await bg.stop();
    assert.ok(ready, `npm start never logged "recorder started": ${r.stdout}${r.stderr}`);
    assert.match(r.stdout + r.stderr, /msg="recorder stopped" reason=SIGTERM/);
    assert.ok(fs.statSync(path.join(dir, 'memrec.db')).size > 0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
