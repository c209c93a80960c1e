import { jsonDocument } from '../../report/format/json.js';
import { defineCommand, type Command } from '../command.js';
import { write } from '../io.js';
import { commonOptions, optionLines, refuseTogether, type OptionSpec } from '../args.js';
import { loadConfig } from '../../config/load.js';
import { renderTable, renderYaml, toJson } from '../../config/render.js';
import { flagSpec, envName } from '../../config/schema.js';

const own = {
  json: { type: 'boolean', doc: 'one JSON object: {file, options: {<name>: {value, text, source, where}}}' },
  yaml: { type: 'boolean', doc: 'a memrec.yaml holding the effective values, every key documented' },
} as const satisfies OptionSpec;
const recordOptions = flagSpec();
const options = { ...commonOptions, ...own, ...recordOptions };

export const command: Command = defineCommand({
  name: 'config',
  options,
  summary: "print the recorder's effective configuration and where each value came from",
  help: `Usage: memrec config [--json | --yaml] [memrec record options]

Prints the configuration \`memrec record\` would run with, given the same options and environment,
and the origin of every value: default, the configuration file (with its line), a MEMREC_* variable
or a flag. Precedence: defaults < /etc/memrec/memrec.yaml (or --config) < MEMREC_* < flags.

Options:
${optionLines(own, 31)}
${optionLines(recordOptions, 31)}

Environment: every option as MEMREC_<NAME>, e.g. ${envName('burst-at')}=10%.

Examples:
  memrec config
  MEMREC_BURST_AT=15% memrec config --burst-interval 2s --json
  memrec config --yaml > /etc/memrec/memrec.yaml
`,
  async run(values, io) {
    refuseTogether('config', values, [['json', 'yaml', 'choose one output']]);
    const cfg = loadConfig({ command: 'config', flags: values, env: io.env, uid: process.getuid?.() ?? 0 });
    if (values.json) await write(io.stdout, jsonDocument(toJson(cfg)));
    else if (values.yaml) await write(io.stdout, renderYaml(cfg));
    else await write(io.stdout, renderTable(cfg));
    return 0;
  },
});
