// The recorder wired to the real node: sources for readings, the store for rows, /dev/kmsg for kills.
import type { RecordConfig } from '../config/schema.js';
import { FileError } from '../fs/file-error.js';
import type { LoadedConfig } from '../config/load.js';
import { withExtraSecretNames } from '../model/redact.js';
import { Collector, detectPageSize } from '../sources/collector.js';
import { KmsgReader, readBootId, readUptimeMs } from '../sources/kmsg.js';
import { discoverThresholds, type ThresholdOverrides } from '../sources/kubelet.js';
import { readNodeMemory } from '../sources/node-memory.js';
import { readPstore } from '../sources/pstore.js';
import { resolveRoots, type Roots } from '../sources/roots.js';
import { ownIdentity, type ProcessIdentity } from '../sources/self.js';
import type { Store } from '../store/store.js';
import type { DaemonDeps, WatchReading } from './daemon.js';
import type { Logger } from './log.js';

export function rootsOf(c: RecordConfig): Roots {
  return resolveRoots({ hostRoot: c.hostRoot ?? undefined, procRoot: c.procRoot ?? undefined, sysRoot: c.sysRoot ?? undefined });
}

/** memrec's --hard/--soft win over the kubelet's; the origin says which flag, variable or file line set them. */
export function thresholdOverrides(cfg: LoadedConfig): ThresholdOverrides | undefined {
  const { hard, soft } = cfg.values;
  if (hard === null && soft === null) return undefined;
  const origin = cfg.origins[hard !== null ? 'hard' : 'soft'];
  const o: ThresholdOverrides = { source: origin.source === 'flag' ? 'memrec-flag' : 'memrec-config', origin: `memrec ${origin.where}` };
  if (hard !== null) o.hard = hard;
  if (soft !== null) o.soft = soft;
  return o;
}

/** The machine's own /proc, not --proc-root: liveness is about this process on this machine. */
function identityOf(i: ProcessIdentity): { bootId: string | null; pidStartTicks: number | null } {
  return { bootId: i.bootId, pidStartTicks: i.startTicks };
}

export function nodeDeps(cfg: LoadedConfig, store: Store, log: Logger, version: string, now: () => number = Date.now): DaemonDeps {
  const c = cfg.values;
  const roots = rootsOf(c);
  const memoryCgroup = c.memoryCgroup ?? undefined;
  const overrides = thresholdOverrides(cfg);
  const redact = c.redactNames.length > 0 ? withExtraSecretNames(c.redactNames) : undefined;
  const collector = new Collector({ roots, top: c.top, memoryCgroup, ...(overrides ? { overrides } : {}), ...(redact ? { redact } : {}) });
  const uptime = readUptimeMs(roots.procRoot);
  const deps: DaemonDeps = {
    config: c,
    store,
    collect: (t) => collector.collect(t),
    watch: (): WatchReading => {
      const m = readNodeMemory(roots, { memoryCgroup, kubeletVersion: collector.thresholdDiscovery?.kubelet.version });
      return {
        availableBytes: m.kubelet.availableBytes,
        capacityBytes: m.kubelet.capacityBytes,
        memAvailableBytes: m.meminfo.memAvailableBytes,
        oomKillCount: m.oomKillCount,
        psiFullAvg10: m.psi?.fullAvg10 ?? null,
      };
    },
    thresholds: (capacityBytes) => {
      const d = discoverThresholds(roots, capacityBytes, overrides, { memoryCgroup });
      for (const w of d.warnings) log('warn', 'thresholds', { warning: w });
      return d.thresholds;
    },
    openKmsg: (afterSeq) => {
      try {
        return new KmsgReader(c.kmsg, afterSeq);
      } catch (err) {
        log('warn', 'cannot read kernel log: OOM kills will only show as the oom_kill counter', { file: c.kmsg, error: err instanceof FileError ? err.reason : String(err) });
        return null;
      }
    },
    readPstore: () => readPstore(roots.sysRoot),
    bootId: readBootId(roots.procRoot),
    bootTimeMs: uptime === null ? null : now() - uptime,
    // kmsg is the running kernel's, whatever root the node's files are read under
    pageSize: detectPageSize('/proc'),
    ownerOf: (pid, comm, memcg, atUsec) => collector.ownerOf(pid, comm, memcg, atUsec),
    log,
    now,
    version,
    identity: identityOf(ownIdentity()),
  };
  return deps;
}
