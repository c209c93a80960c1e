import { defineCommand, type Command } from '../command.js';
import { commonOptions, optionLines } from '../args.js';
import { version } from '../main.js';
import { configValueError, loadConfig, type LoadedConfig } from '../../config/load.js';
import { envName, flagSpec, type ConfigKey } from '../../config/schema.js';
import { checkNodePaths, type NodePathKey } from '../node-flags.js';
import { Store } from '../../store/store.js';
import { Recorder } from '../../recorder/daemon.js';
import { streamLogger, type Logger } from '../../recorder/log.js';
import { nodeDeps } from '../../recorder/node-deps.js';
import { textfileDirProblem, writeTextfile } from '../../recorder/textfile.js';
import { renderMetrics } from '../../report/prometheus.js';
import { setOwnOomScoreAdj } from '../../sources/self.js';
import { StoreWriteError, UsageError } from '../../errors.js';
import { inspectorCause } from '../signal-guard.js';

/**
 * The database, or, when the disk has no room to open it (its -shm cannot be made), wait for room: a
 * recorder that exits would be restarted by systemd until its start limit, then stay down. Null when a
 * stop signal came while waiting.
 */
async function openWaitingForRoom(db: string, log: Logger): Promise<Store | null> {
  let stop = false;
  const onStop = (): void => {
    stop = true;
  };
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];
  for (const sig of signals) process.on(sig, onStop);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        return Store.open(db);
      } catch (err) {
        if (!(err instanceof StoreWriteError)) throw err;
        if (attempt % 30 === 0) log('error', 'cannot open the database; waiting for room', { db, error: err.message });
      }
      for (let i = 0; i < 20 && !stop; i++) await new Promise((r) => setTimeout(r, 100));
      if (stop) return null;
    }
  } finally {
    for (const sig of signals) process.off(sig, onStop);
  }
}

const recordOptions = flagSpec();
const options = { ...commonOptions, ...recordOptions };

export const command: Command = defineCommand({
  name: 'record',
  options,
  summary: 'run the recorder in the foreground (what systemd runs): scheduled, burst and OOM snapshots into SQLite',
  help: `Usage: memrec record [options]

Records the node's memory as the kubelet sees it plus the top processes, every minute (--schedule),
and a snapshot every --burst-interval while memory.available is at or below --burst-at, MemAvailable
is at or below the hard threshold, the kernel killed a process for memory, or PSI memory "full avg10"
reaches --burst-psi. OOM kills are read from /dev/kmsg and stored as events. Logs one line per event
(logfmt) on stdout/stderr. SIGTERM, SIGINT or SIGHUP finish the snapshot in flight, store recorder_stop
and close the database (under systemd or in the DaemonSet it is started again, configuration re-read).
SIGUSR1 and SIGUSR2 are logged and ignored: the recorder never opens a debugger.

Options (also as YAML keys in /etc/memrec/memrec.yaml and as MEMREC_<NAME> variables; flags win):
${optionLines(recordOptions, 31)}

Durations: 500ms, 1s, 10m, 1h30m, 14d. Sizes: 1Gi, 1GiB (binary), 1G, 1GB (decimal), bytes.
Thresholds: a size or a percentage of capacity (10%).

Examples:
  memrec record
  memrec record --db /tmp/memrec.db --burst-at 15% --burst-interval 2s
  ${envName('memory-cgroup')}=/kubepods memrec record --textfile-dir /var/lib/node_exporter
  memrec config          # what record would run with, and where each value came from
`,
  async run(values, io) {
    // The recorder runs as root: a Node inspector would run any code it is sent. bin.ts keeps SIGUSR1 from
    // opening one; an --inspect flag (also smuggled in through NODE_OPTIONS) is refused here.
    const debuggerCause = await inspectorCause();
    if (debuggerCause !== null) {
      throw new UsageError(`memrec record: ${debuggerCause}; the recorder runs as root and never runs with a debugger (remove the flag)`);
    }
    const cfg = loadConfig({ command: 'record', flags: values, env: io.env, uid: process.getuid?.() ?? 0 });
    checkRecordPaths(cfg);
    // --debug also logs every stored snapshot (its id once the transaction is committed)
    const log = streamLogger(io.stdout, io.stderr, { debug: values.debug === true });
    if (process.getuid?.() === 0) {
      const r = setOwnOomScoreAdj(cfg.values.oomScoreAdj);
      if (!r.ok) log('warn', 'cannot lower own oom_score_adj', { wanted: cfg.values.oomScoreAdj, error: r.error, current: r.value });
    }
    const store = await openWaitingForRoom(cfg.values.db, log);
    if (store === null) return 0; // stopped by a signal while waiting
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
    // SIGHUP stops cleanly like SIGTERM: a terminal that hangs up ends it, and under systemd
    // (Restart=always) or in the DaemonSet it comes back with its configuration read again.
    const onSignal = (sig: NodeJS.Signals) => void recorder.stop(sig);
    const stopSignals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];
    for (const sig of stopSignals) process.once(sig, onSignal);
    // Ignored but said. These listeners stay: without one, SIGUSR2's default action kills the recorder
    // without a recorder_stop, and SIGUSR1 would open a debugger (see signal-guard.ts).
    const onIgnored = (sig: NodeJS.Signals) => log('warn', 'signal ignored', { signal: sig, why: sig === 'SIGUSR1' ? 'memrec never opens a debugger' : 'no meaning to the recorder' });
    process.on('SIGUSR1', onIgnored);
    process.on('SIGUSR2', onIgnored);
    try {
      recorder.start();
      await recorder.done;
    } finally {
      for (const sig of stopSignals) process.off(sig, onSignal);
      // stopped: the process ends now (signal-guard's SIGUSR1 listener stays regardless)
      process.off('SIGUSR1', onIgnored);
      process.off('SIGUSR2', onIgnored);
    }
    return 0;
  },
});

const PATH_KEYS: Record<NodePathKey, ConfigKey> = { 'host-root': 'hostRoot', 'proc-root': 'procRoot', 'sys-root': 'sysRoot', 'memory-cgroup': 'memoryCgroup' };

/** The directories the recorder needs, checked at start with one line naming the value, not found wrong at every snapshot. */
function checkRecordPaths(cfg: LoadedConfig): void {
  const c = cfg.values;
  const given = (v: string | null): string | undefined => v ?? undefined;
  checkNodePaths(
    { 'host-root': given(c.hostRoot), 'proc-root': given(c.procRoot), 'sys-root': given(c.sysRoot), 'memory-cgroup': given(c.memoryCgroup) },
    (key, value, why) => configValueError(cfg, 'record', PATH_KEYS[key], value, why),
  );
  if (c.textfileDir !== null) {
    const why = textfileDirProblem(c.textfileDir);
    if (why !== null) throw configValueError(cfg, 'record', 'textfileDir', c.textfileDir, `${why} (expected a directory memrec can write memrec.prom into)`);
  }
}
