// install-service / uninstall-service into a temporary root, and the pieces they are made of.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { runMain } from './helpers/run.js';
import { stagedBuild } from './helpers/staged.js';
import { installService, uninstallService } from '../src/service/install.js';
import { defaultConfigYaml } from '../src/service/config-template.js';
import { unreachableReason } from '../src/service/reachable.js';
import { readUnitTemplate, renderUnit, systemdQuote } from '../src/service/unit.js';
import { UsageError } from '../src/errors.js';
import { OPTIONS } from '../src/config/schema.js';

const isRoot = process.getuid?.() === 0;
// The unit's dynamic user must reach node and memrec's files: the checkout may be in a 0700 directory, so
// the tests that run it as nobody or install it point at a staged copy any user can enter.
const staged = isRoot ? stagedBuild() : null;
const memrecBin = staged?.bin ?? '/nonexistent/bin.js';
const node = staged?.node ?? process.execPath;

function withRoot(fn: (root: string) => Promise<void> | void): () => Promise<void> {
  return async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'memrec-prefix-'));
    chmodSync(root, 0o755);
    try {
      await fn(root);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };
}

const mode = (p: string): number => statSync(p).mode & 0o777;

test('rendering the shipped unit with its own paths gives it back unchanged', () => {
  const t = readUnitTemplate();
  assert.equal(renderUnit(t, { node: '/usr/bin/node', bin: '/usr/lib/node_modules/memrec/dist/src/cli/bin.js' }), t);
});

test('ExecStart quotes what systemd would expand or split', () => {
  const u = renderUnit(readUnitTemplate(), { node: '/opt/node 20/bin/node', bin: '/opt/m%e$x/bin.js' });
  assert.match(u, /^ExecStart="\/opt\/node 20\/bin\/node" --jitless --no-expose-wasm --max-semi-space-size=1 --lite-mode "\/opt\/m%%e\$\$x\/bin\.js" record --config /m);
  assert.equal(systemdQuote('a"b\\c d'), '"a\\"b\\\\c d"');
  assert.throws(() => renderUnit(readUnitTemplate(), { node: 'node', bin: '/x' }), /absolute/);
  assert.throws(() => renderUnit('[Service]\n', { node: '/n', bin: '/b' }), /0 ExecStart= lines/);
});

test('the default memrec.yaml is valid YAML with every record option present but commented out', () => {
  const text = defaultConfigYaml();
  assert.equal(parseYaml(text), null, 'nothing is set: future defaults apply');
  for (const o of OPTIONS) if (o.name !== 'config') assert.match(text, new RegExp(`^# ${o.name}:`, 'm'), o.name);
});

test('install-service refuses a non-root user in one line, exit 2', async () => {
  assert.throws(
    () => installService({ prefix: '/nonexistent', uid: 1000, unitText: '', configText: '' }),
    (e: unknown) => e instanceof UsageError && e.exitCode === 2 && /must run as root/.test(e.message) && !e.message.includes('\n'),
  );
  assert.throws(() => uninstallService({ prefix: '/nonexistent', uid: 1000, configText: '', purge: false }), UsageError);
});

test('install-service as a real non-root process exits 2 with one line', { skip: !isRoot && 'needs root to become nobody' }, () => {
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', node, memrecBin, 'install-service', '--prefix', '/nonexistent'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.equal(r.stderr, 'memrec install-service: must run as root (it writes /etc/systemd/system and /etc/memrec); try: sudo memrec install-service\n');
});

test('install-service writes the unit, tight directories and the commented config, and prints systemctl', { skip: !isRoot && 'needs root' }, withRoot(async (root) => {
  const r = await runMain(['install-service', '--prefix', root, '--node', node, '--bin', memrecBin]);
  assert.equal(r.stderr, '');
  assert.equal(r.code, 0);
  const unit = readFileSync(path.join(root, 'etc/systemd/system/memrec.service'), 'utf8');
  assert.ok(unit.includes(`\nExecStart=${node} --jitless --no-expose-wasm --max-semi-space-size=1 --lite-mode ${memrecBin} record --config /etc/memrec/memrec.yaml --db /var/lib/memrec/memrec.db\n`));
  assert.equal(mode(path.join(root, 'etc/systemd/system/memrec.service')), 0o644);
  assert.equal(mode(path.join(root, 'etc/memrec')), 0o700);
  assert.equal(mode(path.join(root, 'etc/memrec/memrec.yaml')), 0o600);
  assert.equal(readFileSync(path.join(root, 'etc/memrec/memrec.yaml'), 'utf8'), defaultConfigYaml());
  // StateDirectory= makes it, for the dynamic user; a plain directory here would be "migrated" at first start
  assert.equal(existsSync(path.join(root, 'var/lib/memrec')), false);
  assert.equal(existsSync(path.join(root, 'var/lib/private')), false);
  assert.match(r.stdout, /systemctl daemon-reload/);
  assert.match(r.stdout, /systemctl enable memrec/);
}));

test('a second install keeps an edited config, rewrites a changed unit and tightens a loose directory', { skip: !isRoot && 'needs root' }, withRoot(async (root) => {
  const args = ['install-service', '--prefix', root, '--node', node, '--bin', memrecBin];
  assert.equal((await runMain(args)).code, 0);
  const cfg = path.join(root, 'etc/memrec/memrec.yaml');
  writeFileSync(cfg, 'burst-at: 15%\n');
  chmodSync(path.join(root, 'etc/memrec'), 0o755);
  const unitPath = path.join(root, 'etc/systemd/system/memrec.service');
  writeFileSync(unitPath, 'stale\n');
  const r = await runMain(args);
  assert.equal(r.code, 0);
  assert.equal(readFileSync(cfg, 'utf8'), 'burst-at: 15%\n');
  assert.match(r.stdout, /kept\s+\S+memrec\.yaml/);
  assert.match(r.stdout, /wrote\s+\S+memrec\.service\s+\(replaced the previous unit\)/);
  assert.notEqual(readFileSync(unitPath, 'utf8'), 'stale\n');
  assert.equal(mode(path.join(root, 'etc/memrec')), 0o700);
  assert.match((await runMain(args)).stdout, /unchanged\s+\S+memrec\.service/);
}));

test('install-service refuses a node the dynamic user cannot reach, naming the directory', { skip: !isRoot && 'needs root' }, withRoot(async (root) => {
  const hidden = path.join(root, 'home-root');
  mkdirSync(path.join(hidden, 'bin'), { recursive: true });
  chmodSync(hidden, 0o700);
  writeFileSync(path.join(hidden, 'bin/node'), '', { mode: 0o755 });
  const r = await runMain(['install-service', '--prefix', root, '--node', path.join(hidden, 'bin/node'), '--bin', memrecBin]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`${hidden} is mode 0700 \\(others cannot enter it\\)`));
  assert.equal(existsSync(path.join(root, 'etc')), false, 'nothing written');
}));

test('unreachableReason checks every directory and the file itself for the other bits', withRoot((root) => {
  mkdirSync(path.join(root, 'a/b'), { recursive: true });
  const f = path.join(root, 'a/b/f');
  writeFileSync(f, '');
  chmodSync(f, 0o640);
  assert.equal(unreachableReason(f, false), `${f} is mode 0640 (others cannot read it)`);
  chmodSync(f, 0o644);
  assert.equal(unreachableReason(f, false), null);
  assert.equal(unreachableReason(f, true), `${f} is mode 0644 (others cannot run it)`);
  chmodSync(path.join(root, 'a'), 0o750);
  assert.equal(unreachableReason(f, false), `${path.join(root, 'a')} is mode 0750 (others cannot enter it)`);
}));

test('uninstall keeps data and an edited config; --purge removes everything', { skip: !isRoot && 'needs root' }, withRoot(async (root) => {
  const install = ['install-service', '--prefix', root, '--node', node, '--bin', memrecBin];
  assert.equal((await runMain(install)).code, 0);
  const wants = path.join(root, 'etc/systemd/system/multi-user.target.wants');
  mkdirSync(wants);
  symlinkSync('/etc/systemd/system/memrec.service', path.join(wants, 'memrec.service'));
  mkdirSync(path.join(root, 'var/lib/memrec'), { recursive: true }); // as an older install-service left it
  writeFileSync(path.join(root, 'var/lib/memrec/memrec.db'), 'data');
  writeFileSync(path.join(root, 'etc/memrec/memrec.yaml'), 'top: 80\n');

  let r = await runMain(['uninstall-service', '--prefix', root]);
  assert.equal(r.code, 0);
  assert.equal(existsSync(path.join(root, 'etc/systemd/system/memrec.service')), false);
  assert.equal(existsSync(path.join(wants, 'memrec.service')), false);
  assert.equal(readFileSync(path.join(root, 'var/lib/memrec/memrec.db'), 'utf8'), 'data');
  assert.equal(readFileSync(path.join(root, 'etc/memrec/memrec.yaml'), 'utf8'), 'top: 80\n');
  assert.match(r.stdout, /kept\s+\S+var\/lib\/memrec\s+\(recorded data; --purge removes it\)/);

  // as systemd leaves it after running a DynamicUser= service: data in private/, a symlink in its place
  mkdirSync(path.join(root, 'var/lib/private/memrec'), { recursive: true });
  writeFileSync(path.join(root, 'var/lib/private/memrec/memrec.db'), 'data');
  rmSync(path.join(root, 'var/lib/memrec'), { recursive: true });
  symlinkSync('private/memrec', path.join(root, 'var/lib/memrec'));

  r = await runMain(['uninstall-service', '--prefix', root, '--purge']);
  assert.equal(r.code, 0);
  for (const p of ['etc/memrec', 'var/lib/memrec', 'var/lib/private/memrec']) assert.equal(existsSync(path.join(root, p)), false, p);
  assert.match(r.stdout, /removed\s+\S+var\/lib\/private\/memrec/);
}));

test('uninstall removes an unedited default config and its empty directory', { skip: !isRoot && 'needs root' }, withRoot(async (root) => {
  assert.equal((await runMain(['install-service', '--prefix', root, '--node', node, '--bin', memrecBin])).code, 0);
  mkdirSync(path.join(root, 'var/lib/private/memrec'), { recursive: true }); // as StateDirectory= makes it
  const r = await runMain(['uninstall-service', '--prefix', root]);
  assert.equal(r.code, 0);
  assert.equal(existsSync(path.join(root, 'etc/memrec')), false);
  assert.equal(existsSync(path.join(root, 'var/lib/private/memrec')), true);
}));

test('install-service --prefix makes missing parents 0755 under any umask; only /etc/memrec is 0700', { skip: !isRoot && 'needs root' }, withRoot(async (root) => {
  const staging = path.join(root, 'image-root');
  const old = process.umask(0o077);
  try {
    const r = await runMain(['install-service', '--prefix', staging, '--node', node, '--bin', memrecBin]);
    assert.equal(r.code, 0, r.stderr);
  } finally {
    process.umask(old);
  }
  for (const d of ['', 'etc', 'etc/systemd', 'etc/systemd/system']) assert.equal(mode(path.join(staging, d)), 0o755, `${d || '/'} of the staging root`);
  assert.equal(mode(path.join(staging, 'etc/memrec')), 0o700);
  assert.equal(mode(path.join(staging, 'etc/systemd/system/memrec.service')), 0o644);
  assert.equal(mode(path.join(staging, 'etc/memrec/memrec.yaml')), 0o600);
  // an existing directory of the system is left as it is, loose or tight
  chmodSync(path.join(staging, 'etc'), 0o750);
  assert.equal((await runMain(['install-service', '--prefix', staging, '--node', node, '--bin', memrecBin])).code, 0);
  assert.equal(mode(path.join(staging, 'etc')), 0o750);
}));

test('relative paths are usage errors', async () => {
  const r = await runMain(['install-service', '--prefix', 'rel']);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, 'memrec install-service: --prefix "rel": expected an absolute path\n');
});
