import { statSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { defineCommand, type Command } from '../command.js';
import { write } from '../io.js';
import { commonOptions, type OptionSpec } from '../args.js';
import { MemrecError, quoted, UsageError } from '../../errors.js';
import { errnoCode, errnoText, fileKind } from '../../fs/file-error.js';
import { formatActions, installService } from '../../service/install.js';
import { defaultConfigYaml } from '../../service/config-template.js';
import { unreachableReason } from '../../service/reachable.js';
import { INSTALLED_BIN_PATH, readUnitTemplate, renderUnit } from '../../service/unit.js';

/** Files the service's dynamic user must be able to open: node, bin.js, the native SQLite module. */
function serviceFiles(node: string, bin: string): Array<[string, boolean]> {
  const files: Array<[string, boolean]> = [[node, true], [bin, false]];
  try {
    files.push([createRequire(bin).resolve('better-sqlite3/package.json'), false]);
  } catch {
    /* resolved from elsewhere at run time; node and bin.js are the usual culprits anyway */
  }
  return files;
}

const options = {
  ...commonOptions,
  prefix: { type: 'string', default: '/', value: 'DIR', complete: 'dir', doc: 'install below DIR instead of / (a staging root, like DESTDIR)' },
  node: { type: 'string', value: 'PATH', complete: 'file', doc: 'the node binary the unit runs; default the one running this command' },
  bin: { type: 'string', value: 'PATH', complete: 'file', doc: "memrec's bin.js the unit runs; default this installation's" },
} as const satisfies OptionSpec;

export const command: Command = defineCommand({
  name: 'install-service',
  options,
  summary: 'install the hardened systemd unit and /etc/memrec/memrec.yaml (root)',
  help: `Usage: memrec install-service [--prefix DIR] [--node PATH] [--bin PATH]

Writes /etc/systemd/system/memrec.service (the hardened unit shipped in systemd/memrec.service, with
ExecStart pointing at this node and this memrec) and /etc/memrec (0700) with a commented default
memrec.yaml (an existing one is never overwritten), then prints the systemctl commands to run. It does
not run systemctl itself. Missing parent directories are made 0755. The database directory
/var/lib/memrec is made by systemd at the first start (StateDirectory=, owned by the service's dynamic
user). Run it again after an upgrade.
Must run as root. The service runs as a dynamic user, so node and memrec must be installed where
any user can read them (not under /root, e.g. an nvm install).

Options:
  --prefix DIR   install below DIR instead of / (a staging root, like DESTDIR); default /
  --node PATH    the node binary the unit runs; default the one running this command
  --bin PATH     memrec's bin.js the unit runs; default this installation's

Examples:
  sudo memrec install-service
  sudo memrec install-service && sudo systemctl daemon-reload && sudo systemctl enable --now memrec
  memrec install-service --prefix /tmp/image-root
`,
  async run(values, io) {
    const node = values.node ?? process.execPath;
    const bin = values.bin ?? INSTALLED_BIN_PATH;
    for (const [flag, p] of [['--node', node], ['--bin', bin], ['--prefix', values.prefix]] as const) {
      if (!path.isAbsolute(p)) throw new UsageError(`memrec install-service: ${flag} ${quoted(p)}: expected an absolute path`);
    }
    // a staging root may not exist yet (it is created), but what exists there must be a directory
    let prefixStat: Stats | null = null;
    try {
      prefixStat = statSync(values.prefix);
    } catch (err) {
      const code = errnoCode(err);
      if (code !== 'ENOENT') throw new UsageError(`memrec install-service: --prefix ${quoted(values.prefix)}: ${errnoText(code)} (expected a directory)`);
    }
    if (prefixStat !== null && !prefixStat.isDirectory()) throw new UsageError(`memrec install-service: --prefix ${quoted(values.prefix)}: is ${fileKind(prefixStat.mode)}, not a directory`);
    const uid = process.getuid?.() ?? 0;
    if (uid === 0) {
      for (const [file, exec] of serviceFiles(node, bin)) {
        let why: string | null;
        try {
          why = unreachableReason(file, exec);
        } catch (err) {
          throw new UsageError(`memrec install-service: ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
        }
        if (why !== null) {
          throw new MemrecError(`memrec install-service: the service's dynamic user could not start memrec: ${why}; install node and memrec system-wide (npm install -g as root with a /usr or /usr/local prefix)`);
        }
      }
    }
    const actions = installService({
      prefix: values.prefix,
      uid,
      unitText: renderUnit(readUnitTemplate(), { node, bin }),
      configText: defaultConfigYaml(),
    });
    const real = values.prefix === '/';
    await write(
      io.stdout,
      formatActions(actions) +
        (real
          ? '\nNow run:\n  systemctl daemon-reload\n  systemctl enable --now memrec\n  systemctl status memrec\n'
          : `\nInstalled below ${values.prefix}; on the target machine run:\n  systemctl daemon-reload\n  systemctl enable memrec\n`),
    );
    return 0;
  },
});
