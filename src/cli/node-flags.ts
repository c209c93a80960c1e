// The node flags every command that reads the node shares (--host-root, --proc-root, --sys-root,
// --memory-cgroup, --hard, --soft): validated once, turned into Roots and threshold overrides.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { InputError, UsageError, quoted } from '../errors.js';
import { resolveThreshold } from '../model/thresholds.js';
import { detectCgroupMode } from '../sources/cgroup-mode.js';
import type { ThresholdOverrides } from '../sources/kubelet.js';
import { memoryCgroupDir } from '../sources/memory-cgroup.js';
import { resolveRoots, type Roots } from '../sources/roots.js';

export interface NodeFlagValues {
  'host-root'?: string | undefined;
  'proc-root'?: string | undefined;
  'sys-root'?: string | undefined;
  'memory-cgroup'?: string | undefined;
  hard?: string | undefined;
  soft?: string | undefined;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The values a command that reads the node needs to exist, whoever set them (flags, or record's configuration). */
export type NodePathKey = 'host-root' | 'proc-root' | 'sys-root' | 'memory-cgroup';

/**
 * Check that the roots are the host's (or a whole-node tree's) directories and that --memory-cgroup exists,
 * before anything is read: one line naming the value that is wrong. `bad` words the refusal for where the
 * value came from. Returns the roots and the normalized memory cgroup.
 */
export function checkNodePaths(
  values: Partial<Record<NodePathKey, string | undefined>>,
  bad: (key: NodePathKey, value: string, why: string) => Error,
): { roots: Roots; memoryCgroup: string | undefined } {
  for (const key of ['host-root', 'proc-root', 'sys-root'] as const) {
    const v = values[key];
    if (v !== undefined && !isDir(v)) throw bad(key, v, 'no such directory');
  }
  const roots = resolveRoots({ hostRoot: values['host-root'], procRoot: values['proc-root'], sysRoot: values['sys-root'] });
  if (!existsSync(path.join(roots.procRoot, 'meminfo'))) {
    if (values['proc-root'] !== undefined) throw bad('proc-root', values['proc-root'], "no meminfo in it (expected the host's /proc)");
    throw bad('host-root', values['host-root'] ?? '/', "no proc/meminfo under it (expected the host's / or a whole-node tree)");
  }
  if (!isDir(path.join(roots.sysRoot, 'fs', 'cgroup'))) {
    if (values['sys-root'] !== undefined) throw bad('sys-root', values['sys-root'], "no fs/cgroup in it (expected the host's /sys)");
    throw bad('host-root', values['host-root'] ?? '/', "no sys/fs/cgroup under it (expected the host's / or a whole-node tree)");
  }
  const mc = values['memory-cgroup'];
  let memoryCgroup: string | undefined;
  if (mc !== undefined) {
    if (!mc.startsWith('/') || mc.split('/').includes('..')) {
      throw bad('memory-cgroup', mc, 'expected a cgroup path as /proc/<pid>/cgroup shows it, like /my-node');
    }
    memoryCgroup = path.posix.normalize(mc);
    const mode = detectCgroupMode(roots);
    if (!isDir(memoryCgroupDir(roots, mode, memoryCgroup))) {
      throw bad('memory-cgroup', mc, `no such memory cgroup (cgroup ${mode}: looked for ${memoryCgroupDir(roots, mode, memoryCgroup)})`);
    }
  }
  return { roots, memoryCgroup };
}

/** Roots, --memory-cgroup and memrec's threshold overrides from the parsed flags; a bad value is a UsageError naming it. */
export function nodeFlags(command: string, values: NodeFlagValues): { roots: Roots; memoryCgroup: string | undefined; overrides: ThresholdOverrides } {
  const bad = (flag: string, value: string, why: string): UsageError => new UsageError(`memrec ${command}: --${flag} ${quoted(value)}: ${why}`);
  const { roots, memoryCgroup } = checkNodePaths(values, bad);
  const overrides: ThresholdOverrides = {};
  for (const flag of ['hard', 'soft'] as const) {
    const v = values[flag];
    if (v === undefined) continue;
    try {
      resolveThreshold(v, 1, 'memrec-flag', `--${flag}`);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      throw bad(flag, v, 'expected a positive quantity like 500Mi or 1.5Gi below 8Ei, or a percentage of capacity like 10%');
    }
    overrides[flag] = v;
  }
  return { roots, memoryCgroup, overrides };
}
