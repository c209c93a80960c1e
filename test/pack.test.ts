// The npm tarball installs on this machine (native module built) and every command answers --help.
// One `npm install -g` per run: it compiles better-sqlite3 from source here, about 2 minutes.
// Packs the already built dist/ (npm test builds first) with --ignore-scripts, so that another
// file's transient type error does not stop the packing.
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './helpers/paths.js';
import { requireTool } from './helpers/tools.js';

const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { name: string; version: string };
let tmp = '';
let tarball = '';
let packed: string[] = [];
let install: SpawnSyncReturns<string> | undefined;

/** The environment without what `npm test` injects (npm_config_prefix and friends would redirect the install). */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
}

function memrec(args: string[]): SpawnSyncReturns<string> {
  return spawnSync(path.join(tmp, 'g', 'bin', 'memrec'), args, { encoding: 'utf8', env: cleanEnv(), timeout: 60_000 });
}

// npm install compiles better-sqlite3: longer than the runner's default deadline
before(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'memrec-pack-'));
  chmodSync(tmp, 0o755); // install-service below checks that any user can reach the installed files
  const r = spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: repoRoot, encoding: 'utf8', env: cleanEnv(), timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const info = (JSON.parse(r.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>)[0]!;
  tarball = path.join(tmp, info.filename);
  packed = info.files.map((f) => f.path).sort();
  install = spawnSync('npm', ['install', '-g', '--prefix', path.join(tmp, 'g'), '--no-audit', '--no-fund', '--allow-scripts=better-sqlite3', tarball], {
    cwd: tmp,
    encoding: 'utf8',
    env: cleanEnv(),
    timeout: 10 * 60_000,
  });
}, { timeout: 12 * 60_000 });

after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('the tarball holds the built code, migrations, unit, deploy files and README, and nothing else', () => {
  for (const must of ['package.json', 'README.md', 'dist/src/cli/bin.js', 'systemd/memrec.service', 'deploy/Dockerfile', 'deploy/kubernetes/memrec-daemonset.yaml']) {
    assert.ok(packed.includes(must), `missing ${must}`);
  }
  assert.ok(packed.some((p) => /^migrations\/\d{4}_\w+\.sql$/.test(p)), 'the SQL migrations');
  const allowed = /^(package\.json|README\.md|LICENSE|dist\/src\/.+\.js|migrations\/.+\.sql|systemd\/.+|deploy\/.+)$/;
  assert.deepEqual(packed.filter((p) => !allowed.test(p)), []);
  // a .js whose .ts was renamed or deleted would ship stale code
  const stale = packed.filter((p) => p.startsWith('dist/src/') && !existsSync(path.join(repoRoot, p.replace(/^dist\//, '').replace(/\.js$/, '.ts'))));
  assert.deepEqual(stale, []);
});

test('npm install -g of the tarball succeeds, native module included', () => {
  assert.ok(install);
  assert.equal(install.status, 0, `npm install -g failed:\n${install.stderr.slice(-3000)}`);
  const mod = path.join(tmp, 'g', 'lib', 'node_modules', pkg.name, 'node_modules', 'better-sqlite3');
  const r = spawnSync(process.execPath, ['-e', `const D = require(${JSON.stringify(mod)}); console.log(new D(':memory:').prepare('select 41 + 1 as n').get().n)`], { encoding: 'utf8' });
  assert.equal(r.stdout.trim(), '42', r.stderr);
});

test('the installed memrec answers --version and --help', () => {
  const v = memrec(['--version']);
  assert.equal(v.status, 0, v.stderr);
  assert.equal(v.stdout, `memrec ${pkg.version}\n`);
  const h = memrec(['--help']);
  assert.equal(h.status, 0, h.stderr);
  assert.match(h.stdout, /^Usage: memrec <command>/);
  assert.doesNotMatch(h.stdout, /\(unavailable\)/);
});

const commands = ['memory', 'snapshot', 'record', 'status', 'config', 'query', 'culprits', 'timeline', 'events', 'export', 'postmortem', 'install-service', 'uninstall-service'];

test('every command of the installed memrec shows usage and at least one example', async (t) => {
  const listed = memrec(['--help']).stdout;
  for (const name of commands) assert.match(listed, new RegExp(`^  ${name} `, 'm'), `memrec --help lists ${name}`);
  for (const name of commands) {
    await t.test(name, () => {
      const r = memrec([name, '--help']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^Usage: memrec ${name}`, 'm'), `${name}: no usage line`);
      assert.match(r.stdout, new RegExp(`^Examples?:\\n\\s+(sudo )?memrec ${name}`, 'm'), `${name}: no example`);
    });
  }
});

test('install-service of the installed copy points ExecStart at it, and systemd-analyze verify agrees', () => {
  const root = path.join(tmp, 'root');
  const r = memrec(['install-service', '--prefix', root]);
  assert.equal(r.status, 0, r.stderr);
  const unit = path.join(root, 'etc', 'systemd', 'system', 'memrec.service');
  const bin = path.join(tmp, 'g', 'lib', 'node_modules', pkg.name, 'dist', 'src', 'cli', 'bin.js');
  assert.match(readFileSync(unit, 'utf8'), new RegExp(`^ExecStart=\\S+ --jitless --no-expose-wasm --max-semi-space-size=1 --lite-mode ${bin.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} record `, 'm'));
  requireTool('systemd-analyze');
  const v = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(v.stderr.trim(), '');
  assert.equal(v.status, 0);
});
