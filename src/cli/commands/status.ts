import { jsonDocument } from '../../report/format/json.js';
import type { Command } from '../command.js';
import { write } from '../io.js';
import { commonOptions, parse } from '../args.js';
import { resolveDbPath } from '../../config/paths.js';
import { Store } from '../../store/store.js';
import { recorderStatus, renderStatus } from '../../recorder/status.js';

export const command: Command = {
  name: 'status',
  summary: "the recorder's state: last snapshot's age, counts by kind, burst state, database size, thresholds",
  help: `Usage: memrec status [--db FILE] [--json]

Reads the database (read-only, while the recorder writes) and tells whether the recorder is running,
how old the last snapshot is, how many snapshots of each kind are stored, whether a burst is going on,
the database size, and the eviction thresholds in force at the last snapshot.

Options:
  --db FILE   the database (default: MEMREC_DB, else /var/lib/memrec/memrec.db as root,
              else $XDG_STATE_HOME/memrec/memrec.db)
  --json      one JSON object

Exit status: 0, or 1 when the last snapshot is older than 3 minutes or there is none (for monitoring).

Examples:
  memrec status
  memrec status --json | jq .lastSnapshotAgeMs
`,
  async run(argv, io) {
    const { values } = parse('status', argv, { ...commonOptions, db: { type: 'string' }, json: { type: 'boolean' } });
    const store = Store.open(resolveDbPath(values.db, io.env, process.getuid?.() ?? 0), { readonly: true });
    try {
      const now = io.now();
      const s = recorderStatus(store, now);
      await write(io.stdout, values.json ? jsonDocument(s) : renderStatus(s, now));
      return s.lastSnapshotAgeMs !== null && s.lastSnapshotAgeMs <= 3 * 60_000 ? 0 : 1;
    } finally {
      store.close();
    }
  },
};
