// `npm run deb` builds a package that apt installs on this machine: memrec runs from the installed files,
// the unit is enabled, removal keeps the recorded data and the configuration, purge deletes them.
// The machine is left as it was found: the package is purged in a finally, and the test refuses to run
// where a real memrec (package, /usr/bin/memrec, /var/lib/memrec, /etc/memrec) would be touched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEB_PATHS } from '../packaging/deb/build.js';
import { buildTestDeb } from './helpers/deb.js';
import { requireTool } from './helpers/tools.js';
import { repoRoot } from './helpers/paths.js';

const isRoot = process.getuid?.() === 0;
const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
const WANTS = '/etc/systemd/system/multi-user.target.wants/memrec.service';
const STATE = ['/var/lib/memrec', '/var/lib/private/memrec', '/etc/memrec'];
/** what deb-systemd-helper remembers of an enabled or masked unit */
const DSH = ['/var/lib/systemd/deb-systemd-helper-enabled/memrec.service.dsh-also', '/var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/memrec.service', '/var/lib/systemd/deb-systemd-helper-masked/memrec.service'];
const MASK = '/etc/systemd/system/memrec.service';

function sh(cmd: string, args: string[], timeout = 10 * 60_000): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

function dpkgStatus(): string {
  // "install ok installed", "deinstall ok config-files", or '' when dpkg does not know it
  const r = sh('dpkg-query', ['-W', '-f=${Status}', 'memrec']);
  return r.status === 0 ? r.out.trim() : '';
}

function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Why this machine must not be used (a real memrec is here), or null. */
function realMemrecHere(): string | null {
  if (dpkgStatus() !== '') return `the memrec package is on this machine (${dpkgStatus()})`;
  for (const p of [DEB_PATHS.bin, ...STATE, WANTS, MASK, ...DSH]) if (exists(p)) return `${p} exists on this machine`;
  return null;
}

const refuse = !isRoot ? 'needs root (apt-get install)' : realMemrecHere();

test('npm run deb: apt installs it, memrec runs, the unit is enabled, remove keeps data, purge deletes it', { skip: refuse !== null && `${refuse}: not touching a real installation` }, async (t) => {
  for (const c of ['dpkg-shlibdeps', 'strip']) requireTool(c);
  // apt reads the file as the _apt user: the directory must be enterable
  const out = mkdtempSync(path.join(os.tmpdir(), 'memrec-deb-'));
  chmodSync(out, 0o755);
  try {
    const deb = buildTestDeb(out);
    await t.test('the file is memrec_<version>_<arch>.deb and depends on the Node major that built its addon', () => {
      assert.equal(path.basename(deb.file), `memrec_${pkg.version}_${deb.arch}.deb`);
      const control = sh('dpkg-deb', ['--field', deb.file, 'Package', 'Version', 'Depends']).out;
      const major = process.versions.node.split('.')[0];
      assert.match(control, new RegExp(`^Version: ${pkg.version.replace(/\./g, '\\.')}$`, 'm'));
      assert.match(control, new RegExp(`^Depends: nodejs \\(>= ${major}\\), nodejs \\(<< ${Number(major) + 1}\\), libc6 \\(>= [\\d.]+\\)`, 'm'));
      const files = sh('dpkg-deb', ['--contents', deb.file]).out;
      for (const f of ['./usr/lib/memrec/dist/src/cli/bin.js', './usr/lib/memrec/migrations/0001_initial.sql', './usr/lib/memrec/node_modules/better-sqlite3/build/Release/better_sqlite3.node', `.${DEB_PATHS.unit}`, `.${DEB_PATHS.config}`, './usr/share/doc/memrec/copyright']) {
        assert.ok(files.includes(` ${f}`), `${f} in the package`);
      }
      assert.match(files, /^lrwxrwxrwx root\/root .* \.\/usr\/bin\/memrec -> \.\.\/lib\/memrec\/dist\/src\/cli\/bin\.js$/m);
      assert.match(files, /^drwx------ root\/root .* \.\/etc\/memrec\/$/m);
      // dev dependencies and the addon's build leftovers stay out
      assert.doesNotMatch(files, /node_modules\/(typescript|@types|pidusage|ps-list)\//);
      assert.doesNotMatch(files, /better-sqlite3\/(deps|src)\//);
      // the man page and the completions npm run build made from the option definitions
      for (const f of [DEB_PATHS.man, DEB_PATHS.bashCompletion, DEB_PATHS.zshCompletion]) assert.match(files, new RegExp(`^-rw-r--r-- root/root .* \\.${f.replace(/\./g, '\\.')}$`, 'm'), `${f} in the package`);
      assert.equal(sh('dpkg-deb', ['--ctrl-tarfile', deb.file]).status, 0);
      assert.equal(sh('dpkg-deb', ['--field', deb.file, 'Conffiles']).status, 0);
    });

    try {
      const install = sh('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '-qq', '--no-install-recommends', deb.file]);
      assert.equal(install.status, 0, install.out);

      await t.test('installed: memrec --version from /usr/bin, the unit enabled and clean for systemd-analyze', () => {
        assert.equal(dpkgStatus(), 'install ok installed');
        const v = sh(DEB_PATHS.bin, ['--version']);
        assert.equal(v.out, `memrec ${pkg.version}\n`);
        assert.equal(v.status, 0);
        assert.equal(readlinkSync(WANTS), DEB_PATHS.unit);
        // systemd is not PID 1 here: systemctl reads the unit files (offline)
        const enabled = sh('systemctl', ['--root=/', 'is-enabled', 'memrec.service']);
        assert.equal(enabled.out.trim(), 'enabled');
        const unit = readFileSync(DEB_PATHS.unit, 'utf8');
        assert.match(unit, /^ExecStart=\/usr\/bin\/node --jitless .* \/usr\/lib\/memrec\/dist\/src\/cli\/bin\.js record --config \/etc\/memrec\/memrec\.yaml --db \/var\/lib\/memrec\/memrec\.db$/m);
        const verify = sh('systemd-analyze', ['verify', DEB_PATHS.unit]);
        assert.equal(verify.out.trim(), '');
        assert.equal(statSync('/etc/memrec').mode & 0o777, 0o700);
        assert.equal(statSync(DEB_PATHS.config).mode & 0o777, 0o600);
        const cfg = sh(DEB_PATHS.bin, ['config', '--json']);
        assert.equal(cfg.status, 0, cfg.out);
        // man finds the installed page, and the completions are the installed memrec's own
        requireTool('man');
        assert.equal(sh('man', ['-w', 'memrec']).out.trim(), DEB_PATHS.man);
        assert.equal(readFileSync(DEB_PATHS.bashCompletion, 'utf8'), sh(DEB_PATHS.bin, ['completion', 'bash']).out);
        assert.equal(readFileSync(DEB_PATHS.zshCompletion, 'utf8'), sh(DEB_PATHS.bin, ['completion', 'zsh']).out);
      });

      await t.test('the installed memrec records into the default database', () => {
        const r = sh(DEB_PATHS.bin, ['snapshot', '--top', '3', '--json']);
        assert.equal(r.status, 0, r.out);
        const s = sh(DEB_PATHS.bin, ['query', '--since', '10m', '--format', 'json']);
        assert.equal(s.status, 0, s.out);
        assert.ok((JSON.parse(s.out) as unknown[]).length >= 1, 'the snapshot is in /var/lib/memrec/memrec.db');
      });

      await t.test('apt-get remove: the code goes, the data, the configuration and the enablement stay', () => {
        appendFileSync(DEB_PATHS.config, 'top: 7\n');
        const r = sh('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'remove', '-y', '-qq', 'memrec']);
        assert.equal(r.status, 0, r.out);
        assert.equal(dpkgStatus(), 'deinstall ok config-files');
        assert.equal(exists(DEB_PATHS.bin), false);
        assert.equal(exists(DEB_PATHS.lib), false);
        assert.equal(exists(DEB_PATHS.unit), false);
        assert.ok(statSync('/var/lib/memrec/memrec.db').size > 0, 'the database is kept');
        assert.match(readFileSync(DEB_PATHS.config, 'utf8'), /^top: 7$/m);
        // still enabled for a reinstall, masked meanwhile (as dh_installsystemd's scripts leave it)
        assert.equal(readlinkSync(WANTS), DEB_PATHS.unit);
        assert.equal(readlinkSync(MASK), '/dev/null');
      });

      await t.test('apt-get purge: the database, /etc/memrec and the unit links are gone', () => {
        const r = sh('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'purge', '-y', '-qq', 'memrec']);
        assert.equal(r.status, 0, r.out);
        assert.equal(dpkgStatus(), '');
        for (const p of [...STATE, WANTS, MASK, ...DSH]) assert.equal(exists(p), false, `${p} after purge`);
      });
    } finally {
      // whatever failed above, leave no memrec behind (the checks at the top made sure none was here)
      if (dpkgStatus() !== '') sh('dpkg', ['--purge', 'memrec']);
      for (const p of STATE) rmSync(p, { recursive: true, force: true });
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
