import path from 'node:path';
import { defineCommand, type Command } from '../command.js';
import { write } from '../io.js';
import { commonOptions, type OptionSpec } from '../args.js';
import { UsageError } from '../../errors.js';
import { formatActions, uninstallService } from '../../service/install.js';
import { defaultConfigYaml } from '../../service/config-template.js';

const options = {
  ...commonOptions,
  purge: { type: 'boolean', default: false, doc: 'also delete the recorded data and /etc/memrec' },
  prefix: { type: 'string', default: '/', value: 'DIR', complete: 'dir', doc: 'the staging root install-service was given' },
} as const satisfies OptionSpec;

export const command: Command = defineCommand({
  name: 'uninstall-service',
  options,
  summary: 'remove the systemd unit; keeps the recorded data unless --purge (root)',
  help: `Usage: memrec uninstall-service [--purge] [--prefix DIR]

Removes /etc/systemd/system/memrec.service and its multi-user.target.wants link, and
/etc/memrec/memrec.yaml if it is still the unedited default. The database in /var/lib/memrec
(/var/lib/private/memrec once systemd has run the service) and an edited memrec.yaml are kept,
unless --purge. Stop the service first; it does not run systemctl itself. Must run as root.

Options:
  --purge        also delete the recorded data and /etc/memrec
  --prefix DIR   the staging root install-service was given; default /

Examples:
  sudo memrec uninstall-service
  sudo memrec uninstall-service --purge
  sudo systemctl disable --now memrec && sudo memrec uninstall-service && sudo systemctl daemon-reload
`,
  async run(values, io) {
    if (!path.isAbsolute(values.prefix)) {
      throw new UsageError(`memrec uninstall-service: --prefix ${JSON.stringify(values.prefix)}: expected an absolute path`);
    }
    const actions = uninstallService({
      prefix: values.prefix,
      uid: process.getuid?.() ?? 0,
      configText: defaultConfigYaml(),
      purge: values.purge,
    });
    const tail = values.prefix === '/' ? '\nThen run:\n  systemctl daemon-reload\n  systemctl reset-failed memrec\n' : '';
    await write(io.stdout, (actions.length ? formatActions(actions) : '  nothing to remove\n') + tail);
    return 0;
  },
});
