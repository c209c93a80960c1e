import type { Command } from '../command.js';
import { commonOptions, parse } from '../args.js';
import { version } from '../main.js';
import { loadConfig } from '../../config/load.js';
import { envName, flagSpec, OPTIONS } from '../../config/schema.js';
import { Store } from '../../store/store.js';
import { Recorder } from '../../recorder/daemon.js';
import { streamLogger } from '../../recorder/log.js';
import { nodeDeps } from '../../recorder/node-deps.js';
import { writeTextfile } from '../../recorder/textfile.js';
import { renderMetrics } from '../../report/prometheus.js';
import { setOwnOomScoreAdj } from '../../sources/self.js';

const optionLines = OPTIONS.map((o) => `  --${o.name.padEnd(20)} ${o.doc}`).join('\n');

export const command: Command = {
  name: 'record',
  summary: 'run the recorder in the foreground (what systemd runs): scheduled, burst and OOM snapshots into SQLite',
  help: `Usage: memrec record [options]

Records the node's memory as the kubelet sees it plus the top processes, every minute (--schedule),
and a snapshot every --burst-interval while memory.available is at or below --burst-at, MemAvailable
is at or below the hard threshold, the kernel killed a process for memory, or PSI memory "full avg10"
reaches --burst-psi. OOM kills are read from /dev/kmsg and stored as events. Logs one line per event
(logfmt) on stdout/stderr. SIGTERM or SIGINT finish the snapshot in flight and close the database.

Options (also as YAML keys in /etc/memrec/memrec.yaml and as MEMREC_<NAME> variables; flags win):
${optionLines}

Durations: 500ms, 1s, 10m, 1h30m, 14d. Sizes: 1Gi, 1GiB (binary), 1G, 1GB (decimal), bytes.
Thresholds: a size or a percentage of capacity (10%).

Examples:
  memrec record
  memrec record --db /tmp/memrec.db --burst-at 15% --burst-interval 2s
  ${envName('memory-cgroup')}=/kubepods memrec record --textfile-dir /var/lib/node_exporter
  memrec config          # what record would run with, and where each value came from
`,
  async run(argv, io) {
    const { values } = parse('record', argv, { ...commonOptions, ...flagSpec() });
    const cfg = loadConfig({ command: 'record', flags: values, env: io.env, uid: process.getuid?.() ?? 0 });
    const log = streamLogger(io.stdout, io.stderr);
    if (process.getuid?.() === 0) {
      const r = setOwnOomScoreAdj(cfg.values.oomScoreAdj);
      if (!r.ok) log('warn', 'cannot lower own oom_score_adj', { wanted: cfg.values.oomScoreAdj, error: r.error, current: r.value });
    }
    const store = Store.open(cfg.values.db);
    let recorder: Recorder;
    try {
      const deps = nodeDeps(cfg, store, log, version(), io.now);
      // The Prometheus textfile is a report of each snapshot: wired here so the recorder imports no report code.
      const dir = cfg.values.textfileDir;
      if (dir !== null) deps.afterSnapshot = (s, burst) => void writeTextfile(dir, renderMetrics(s, { burst }));
      recorder = new Recorder(deps);
    } catch (err) {
      store.close();
      throw err;
    }
    const onSignal = (sig: NodeJS.Signals) => void recorder.stop(sig);
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    try {
      recorder.start();
      await recorder.done;
    } finally {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    }
    return 0;
  },
};
