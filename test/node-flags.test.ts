// The recorder's node flags (NODE_FLAGS) are the same wherever memrec runs — the systemd unit, the
// DaemonSet's command, `npm start` — and under MemoryDenyWriteExecute (the kernel's PR_SET_MDWE) node
// with them records a snapshot where node with its JIT dies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { NODE_FLAGS, renderUnit } from '../src/service/unit.js';
import { memrecBin, repoRoot } from './helpers/paths.js';
import { requireTool } from './helpers/tools.js';

const flags = [...NODE_FLAGS];
const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { name: string; bin: Record<string, string>; scripts: Record<string, string> };

/** The words after the node binary up to the first argument that is not a flag. */
function flagsBefore(words: string[]): string[] {
  const end = words.findIndex((w, i) => i > 0 && !w.startsWith('--'));
  return words.slice(1, end);
}

test('the shipped unit, the unit install-service renders, the DaemonSet and npm start run node with NODE_FLAGS', () => {
  const template = readFileSync(path.join(repoRoot, 'systemd', 'memrec.service'), 'utf8');
  const execStart = (unit: string) => /^ExecStart=(.*)$/m.exec(unit)![1]!.split(' ');
  assert.deepEqual(flagsBefore(execStart(template)), flags);
  assert.deepEqual(flagsBefore(execStart(renderUnit(template, { node: '/opt/n/node', bin: '/opt/m/bin.js' }))), flags);

  const docs = YAML.parseAllDocuments(readFileSync(path.join(repoRoot, 'deploy', 'kubernetes', 'memrec-daemonset.yaml'), 'utf8')).map((d) => d.toJS() as Record<string, unknown>);
  const ds = docs.find((d) => d['kind'] === 'DaemonSet') as { spec: { template: { spec: { containers: { command: string[]; args: string[] }[] } } } };
  const container = ds.spec.template.spec.containers[0]!;
  assert.equal(container.command[0], 'node');
  assert.deepEqual(flagsBefore(container.command), flags);
  assert.equal(container.args[0], 'record');

  const start = pkg.scripts['start']!.split('&&').at(-1)!.trim().split(' ');
  assert.equal(start[0], 'node');
  assert.deepEqual(flagsBefore(start), flags);
  assert.equal(start[flags.length + 1], pkg.bin['memrec']);
});

test("the DaemonSet's bin.js is where deploy/Dockerfile installs memrec", () => {
  const df = readFileSync(path.join(repoRoot, 'deploy', 'Dockerfile'), 'utf8');
  const prefix = /npm install -g --prefix (\S+)/.exec(df)?.[1];
  assert.ok(prefix, 'no npm install -g --prefix in the Dockerfile');
  const ds = readFileSync(path.join(repoRoot, 'deploy', 'kubernetes', 'memrec-daemonset.yaml'), 'utf8');
  const bin = path.posix.join(prefix, 'lib', 'node_modules', pkg.name, pkg.bin['memrec']!);
  assert.match(ds, new RegExp(`^\\s+- ${bin.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
});

test('node accepts NODE_FLAGS without a warning', () => {
  const r = spawnSync(process.execPath, [...flags, '-e', 'process.stdout.write("ran")'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'ran');
  assert.equal(r.stderr, '');
});

const MDWE_PY = [
  'import ctypes, os, sys',
  'libc = ctypes.CDLL(None, use_errno=True)',
  // 65 = PR_SET_MDWE, 1 = PR_MDWE_REFUSE_EXEC_GAIN (Linux 6.3); it survives execve
  'sys.exit(97) if libc.prctl(65, 1, 0, 0, 0) != 0 else os.execv(sys.argv[1], sys.argv[1:])',
].join('\n');

/** Run argv with PR_SET_MDWE (what MemoryDenyWriteExecute=yes sets) set first; null when the kernel lacks it. */
function underMdwe(argv: string[]): { status: number | null; stderr: string } | null {
  requireTool('python3');
  const r = spawnSync('python3', ['-c', MDWE_PY, ...argv], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw new Error(`python3: ${r.error.message}`);
  if (r.status === 97) return null;
  return { status: r.status, stderr: r.stderr };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('under MemoryDenyWriteExecute, memrec record with NODE_FLAGS stores snapshots; node with its JIT dies', async (t) => {
  const jit = underMdwe([process.execPath, '-e', 'let s = 0; for (let i = 0; i < 1e7; i++) s += i; console.log(s)']);
  if (jit === null) {
    t.skip('this kernel has no PR_SET_MDWE (Linux < 6.3)');
    return;
  }
  assert.notEqual(jit.status, 0, 'node with its JIT ran under MDWE: the check below would prove nothing');

  const dir = mkdtempSync(path.join(os.tmpdir(), 'memrec-mdwe-'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MEMREC_')));
  const cfg = path.join(dir, 'memrec.yaml');
  writeFileSync(cfg, 'top: 5\n');
  const db = path.join(dir, 'memrec.db');
  // burst-at 100%: a burst snapshot every second, so the collector, yaml, node-cron and SQLite all run
  const rec = spawn('python3', ['-c', MDWE_PY, process.execPath, ...flags, memrecBin, 'record', '--config', cfg, '--db', db, '--burst-at', '100%'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  rec.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  try {
    let burst = 0;
    for (let i = 0; i < 100 && burst < 3 && rec.exitCode === null; i++) {
      await sleep(200);
      const s = spawnSync(process.execPath, [memrecBin, 'status', '--db', db, '--json'], { encoding: 'utf8', env });
      if (s.status !== 0 && s.status !== 1) continue; // not created yet
      burst = Number(/"burst":\s*(\d+)/.exec(s.stdout)?.[1] ?? 0);
    }
    assert.equal(rec.exitCode, null, `the recorder exited under MDWE: ${stderr}`);
    assert.ok(burst >= 3, `expected 3 burst snapshots, status says ${burst}; stderr: ${stderr}`);
  } finally {
    if (rec.exitCode === null) {
      rec.kill('SIGTERM');
      await new Promise((r) => rec.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  }
});
