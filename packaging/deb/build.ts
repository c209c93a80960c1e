// `npm run deb`: memrec_<version>_<arch>.deb built with dpkg-deb from this checkout as it is built
// (npm run build) and installed (npm ci): the code and production node_modules under /usr/lib/memrec,
// /usr/bin/memrec, the systemd unit, the commented default /etc/memrec/memrec.yaml (a conffile), the man
// page and the bash and zsh completions (npm run build makes them), and maintainer scripts that enable the unit on
// install, stop it on removal and delete the data only on purge.
// Usage: node dist/packaging/deb/build.js [--out DIR]   (default: the current directory)
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { defaultConfigYaml } from '../../src/service/config-template.js';
import { readUnitTemplate, renderUnit } from '../../src/service/unit.js';
import { GENERATED } from '../docs.js';
import { productionModules, readPackage, stageInstalled } from '../stage.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** dist/packaging/deb → the repository root */
export const REPO_ROOT = path.resolve(here, '../../..');
/** the maintainer scripts live beside this file's source */
const SCRIPTS_DIR = path.join(REPO_ROOT, 'packaging', 'deb');

/** Where the package puts things on the target machine. */
export const DEB_PATHS = {
  lib: '/usr/lib/memrec',
  bin: '/usr/bin/memrec',
  // bookworm's packages still ship units under /lib (merged-/usr moves are for trixie); systemd reads both
  unit: '/lib/systemd/system/memrec.service',
  config: '/etc/memrec/memrec.yaml',
  man: '/usr/share/man/man1/memrec.1.gz',
  bashCompletion: '/usr/share/bash-completion/completions/memrec',
  zshCompletion: '/usr/share/zsh/vendor-completions/_memrec',
  doc: '/usr/share/doc/memrec',
  node: '/usr/bin/node',
} as const;

export interface BuiltDeb {
  file: string;
  version: string;
  arch: string;
  depends: string;
}

function run(cmd: string, args: string[], opts: { cwd?: string } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error(`${cmd} not found: building the .deb needs dpkg-dev (apt-get install dpkg-dev)`);
  }
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return r.stdout;
}

/**
 * The libraries the native addon links (dpkg-shlibdeps), and node of the major that compiled it:
 * a better-sqlite3 built for Node 20 (NODE_MODULE_VERSION 115) does not load in Node 22.
 */
function depends(addon: string): string {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'memrec-shlibs-'));
  try {
    mkdirSync(path.join(tmp, 'debian'));
    writeFileSync(path.join(tmp, 'debian', 'control'), 'Source: memrec\n\nPackage: memrec\nArchitecture: any\n');
    // warnings about V8's symbols (node provides them, not a library) go to stderr
    const out = run('dpkg-shlibdeps', ['-O', `-e${addon}`], { cwd: tmp });
    const libs = /^shlibs:Depends=(.*)$/m.exec(out)?.[1];
    if (libs === undefined) throw new Error(`dpkg-shlibdeps printed no shlibs:Depends for ${addon}`);
    const major = Number(process.versions.node.split('.')[0]);
    return `nodejs (>= ${major}), nodejs (<< ${major + 1}), ${libs}`;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function duKiB(dir: string): number {
  let bytes = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) bytes += duKiB(p) * 1024;
    else if (e.isFile()) bytes += statSync(p).size;
  }
  return Math.ceil(bytes / 1024);
}

function directoryModes(dir: string, closed: string): void {
  chmodSync(dir, dir === closed ? 0o700 : 0o755);
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) directoryModes(path.join(dir, e.name), closed);
}

function writeFile(root: string, target: string, text: string | Buffer, mode: number): void {
  const p = path.join(root, target);
  mkdirSync(path.dirname(p), { recursive: true, mode: 0o755 });
  writeFileSync(p, text);
  chmodSync(p, mode);
}

/** Who built it, as dch finds it: DEBFULLNAME/DEBEMAIL, else git's user.name/user.email. */
function maintainerOf(): string {
  const git = (key: string): string | undefined => {
    const r = spawnSync('git', ['config', key], { cwd: REPO_ROOT, encoding: 'utf8' });
    return r.status === 0 && r.stdout.trim() !== '' ? r.stdout.trim() : undefined;
  };
  const name = process.env['DEBFULLNAME'] ?? git('user.name');
  const email = process.env['DEBEMAIL'] ?? git('user.email');
  if (!name || !email) throw new Error('no maintainer: set DEBFULLNAME and DEBEMAIL (or git config user.name and user.email)');
  return `${name} <${email}>`;
}

/** When the package was made: SOURCE_DATE_EPOCH, else the last commit, else now (RFC 5322 for the changelog). */
function buildDate(): Date {
  const env = process.env['SOURCE_DATE_EPOCH'];
  if (env && /^\d+$/.test(env)) return new Date(Number(env) * 1000);
  const r = spawnSync('git', ['log', '-1', '--format=%ct'], { cwd: REPO_ROOT, encoding: 'utf8' });
  const t = r.status === 0 ? Number(r.stdout.trim()) : NaN;
  return Number.isFinite(t) && t > 0 ? new Date(t * 1000) : new Date();
}

function rfc5322(d: Date): string {
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()];
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${day}, ${p(d.getUTCDate())} ${mon} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** The bundled modules' licences, from their package.json, in Debian's machine-readable format. */
function copyright(license: string, year: number): string {
  const byLicense = new Map<string, string[]>();
  for (const mod of productionModules(REPO_ROOT)) {
    const meta = JSON.parse(readFileSync(path.join(REPO_ROOT, mod, 'package.json'), 'utf8')) as { license?: string };
    const l = meta.license ?? 'UNKNOWN';
    byLicense.set(l, [...(byLicense.get(l) ?? []), `${DEB_PATHS.lib.slice(1)}/${mod}/*`]);
  }
  const stanzas = [
    'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: memrec\n',
    `Files: *\nCopyright: ${year} the memrec authors\nLicense: ${license}\n`,
    ...[...byLicense].map(([l, files]) => `Files:\n ${files.join('\n ')}\nCopyright: the authors of each module (see its package.json)\nLicense: ${l}\n`),
  ];
  if (license === 'Apache-2.0') stanzas.push('License: Apache-2.0\n On Debian systems the full text of the Apache License 2.0 is in\n /usr/share/common-licenses/Apache-2.0.\n');
  return stanzas.join('\n');
}

export function buildDeb(outDir: string): BuiltDeb {
  const pkg = readPackage(REPO_ROOT);
  const arch = run('dpkg', ['--print-architecture']).trim();
  const work = mkdtempSync(path.join(os.tmpdir(), 'memrec-deb-'));
  try {
    const root = path.join(work, 'root');
    mkdirSync(root, { mode: 0o755 });
    chmodSync(root, 0o755);
    const lib = path.join(root, DEB_PATHS.lib);
    stageInstalled(REPO_ROOT, lib);
    const binJs = path.join(DEB_PATHS.lib, pkg.bin['memrec']!);

    mkdirSync(path.join(root, path.dirname(DEB_PATHS.bin)), { recursive: true, mode: 0o755 });
    symlinkSync(path.relative(path.dirname(DEB_PATHS.bin), binJs), path.join(root, DEB_PATHS.bin));
    writeFile(root, DEB_PATHS.unit, renderUnit(readUnitTemplate(), { node: DEB_PATHS.node, bin: binJs }), 0o644);
    writeFile(root, DEB_PATHS.config, defaultConfigYaml('the memrec package (a conffile: an upgrade keeps your edits)'), 0o600);
    chmodSync(path.join(root, path.dirname(DEB_PATHS.config)), 0o700);

    // npm run build made these from the commands' option definitions (packaging/docs.ts)
    const generated = (rel: string): Buffer => {
      const file = path.join(REPO_ROOT, 'dist', rel);
      if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build first (it writes the man page and the completions)`);
      return readFileSync(file);
    };
    writeFile(root, DEB_PATHS.man, gzipSync(generated(GENERATED.man), { level: 9 }), 0o644);
    writeFile(root, DEB_PATHS.bashCompletion, generated(GENERATED.bash), 0o644);
    writeFile(root, DEB_PATHS.zshCompletion, generated(GENERATED.zsh), 0o644);

    const date = buildDate();
    const maintainer = maintainerOf();
    const changelog = `memrec (${pkg.version}) unstable; urgency=medium\n\n  * Built from the memrec repository (npm run deb).\n\n -- ${maintainer}  ${rfc5322(date)}\n`;
    writeFile(root, path.join(DEB_PATHS.doc, 'changelog.gz'), gzipSync(changelog, { level: 9 }), 0o644);
    writeFile(root, path.join(DEB_PATHS.doc, 'copyright'), copyright(pkg.license, date.getUTCFullYear()), 0o644);
    // the README documents every command and JSON field: in the documentation directory, not the code's
    writeFile(root, path.join(DEB_PATHS.doc, 'README.md.gz'), gzipSync(readFileSync(path.join(REPO_ROOT, 'README.md')), { level: 9 }), 0o644);
    rmSync(path.join(lib, 'README.md'), { force: true });
    writeFile(root, '/usr/share/lintian/overrides/memrec', readFileSync(path.join(SCRIPTS_DIR, 'lintian-overrides')), 0o644);

    const addon = path.join(lib, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
    // debug symbols are 0.4 of the addon and of no use to node
    run('strip', ['--strip-unneeded', '--remove-section=.comment', '--remove-section=.note', addon]);
    const dep = depends(addon);
    const control = [
      `Package: ${pkg.name}`,
      `Version: ${pkg.version}`,
      `Architecture: ${arch}`,
      `Maintainer: ${maintainer}`,
      `Installed-Size: ${duKiB(root)}`,
      `Depends: ${dep}`,
      'Section: admin',
      'Priority: optional',
      'Description: forensic memory recorder for Linux and Kubernetes nodes',
      ' memrec records, every minute, the node\'s memory exactly as the kubelet',
      ' computes memory.available (beside what free shows) and the top processes',
      ' with their cgroup, owner (pod, system service, user session), cwd, exe and',
      ' command line, into SQLite. Near the eviction threshold or on an OOM kill it',
      ' takes burst snapshots every second. memrec culprits, query, timeline and',
      ' export answer who ate the memory. The systemd unit runs it as a dynamic',
      ' user with three capabilities.',
      '',
    ].join('\n');
    const debian = path.join(root, 'DEBIAN');
    mkdirSync(debian, { mode: 0o755 });
    writeFile(root, 'DEBIAN/control', control, 0o644);
    writeFile(root, 'DEBIAN/conffiles', `${DEB_PATHS.config}\n`, 0o644);
    for (const s of ['postinst', 'prerm', 'postrm']) {
      copyFileSync(path.join(SCRIPTS_DIR, s), path.join(debian, s));
      chmodSync(path.join(debian, s), 0o755);
    }

    // directories as dpkg will create them, whatever the umask was: 0755, memrec's /etc/memrec 0700
    directoryModes(root, path.join(root, path.dirname(DEB_PATHS.config)));
    mkdirSync(outDir, { recursive: true });
    const file = path.join(path.resolve(outDir), `${pkg.name}_${pkg.version}_${arch}.deb`);
    run('dpkg-deb', ['--root-owner-group', '--build', root, file]);
    return { file, version: pkg.version, arch, depends: dep };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string', default: '.' } } });
  try {
    const deb = buildDeb(values.out);
    process.stdout.write(`${deb.file}\n  Depends: ${deb.depends}\n  man page and bash/zsh completions included\n`);
  } catch (err) {
    process.stderr.write(`npm run deb: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
