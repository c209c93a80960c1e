import { jsonDocument } from '../../report/format/json.js';
import { cleanText } from '../../model/text.js';
import { defineCommand, type Command } from '../command.js';
import { write } from '../io.js';
import { commonOptions, type OptionSpec } from '../args.js';
import { resolveDbPath } from '../../config/paths.js';
import { Store } from '../../store/store.js';
import { recorderStatus, renderStatus, statusJson } from '../../recorder/status.js';

const options = {
  ...commonOptions,
  db: { type: 'string', value: 'FILE', complete: 'file', doc: 'the database (default: MEMREC_DB, else /var/lib/memrec/memrec.db as root)' },
  json: { type: 'boolean', doc: 'one JSON object (fields: README, memrec status)' },
} as const satisfies OptionSpec;

export const command: Command = defineCommand({
  name: 'status',
  options,
  summary: 'is the recorder running and recording on schedule (exit 0) or not (exit 1, one line why), counts, burst state',
  help: `Usage: memrec status [--db FILE] [--json]

Reads the database (read-only, while the recorder writes) and tells whether the recorder is recording:
the recorder of the last recorder_start runs on this machine (its pid, that pid's start time and the
boot id all match what it recorded) and its last snapshot is younger than two intervals of its schedule
plus 30 s. Then the last snapshot's age and kind, the snapshots of each kind, whether a burst is going
on, the database size, and the eviction thresholds in force at the last snapshot.

Options:
  --db FILE   the database (default: MEMREC_DB, else /var/lib/memrec/memrec.db as root,
              else $XDG_STATE_HOME/memrec/memrec.db)
  --json      one JSON object (fields: README, memrec status)

Exit status (for monitoring): 0 recording; 1 not recording (never started, stopped, killed, another
boot) or stale (running, but no snapshot on schedule), with one line on stderr saying which; 2 for a
bad flag or a database that cannot be read.

Examples:
  memrec status
  memrec status --json | jq -r .status
  memrec status >/dev/null || alert "memrec: $(memrec status 2>&1 >/dev/null)"
`,
  async run(values, io) {
    const store = Store.open(resolveDbPath(values.db, io.env, process.getuid?.() ?? 0), { readonly: true });
    try {
      const now = io.now();
      const s = recorderStatus(store, now);
      await write(io.stdout, values.json ? jsonDocument(statusJson(s, now)) : renderStatus(s, now));
      if (s.verdict === 'recording') return 0;
      await write(io.stderr, `memrec status: ${cleanText(s.reason)}\n`);
      return 1;
    } finally {
      store.close();
    }
  },
});
