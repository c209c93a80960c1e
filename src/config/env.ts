// The MEMREC_* environment, checked the same way by every command: a variable memrec does not know is a
// typo (MEMREC_BURSTAT) and is refused, whichever command runs. The names live here, not in schema.ts, so
// that report commands check them without loading the recorder's option table (node-cron costs ~20 ms).
import { UsageError } from '../errors.js';

/** The `memrec record` options, in schema.ts's order; schema.ts refuses to load if the two differ. */
export const OPTION_NAMES = [
  'db', 'config', 'schedule', 'top', 'hard', 'soft', 'burst-at', 'burst-interval', 'burst-psi', 'burst-hysteresis',
  'burst-exit-after', 'burst-slow-after', 'burst-slow-interval', 'watch-interval', 'memory-cgroup', 'host-root',
  'proc-root', 'sys-root', 'kmsg', 'retain', 'max-db-size', 'textfile-dir', 'oom-score-adj', 'redact-names',
] as const;

export type OptionName = (typeof OPTION_NAMES)[number];

/** `burst-at` → MEMREC_BURST_AT */
export function envName(name: string): string {
  return `MEMREC_${name.toUpperCase().replace(/-/g, '_')}`;
}

/**
 * Refuse an unknown MEMREC_* variable, naming it. Every command calls this (src/cli/main.ts); the values are
 * checked by the commands that use them (`record` and `config` all of them, the others MEMREC_DB).
 */
export function checkEnvironment(command: string, env: NodeJS.ProcessEnv): void {
  const known = new Set(OPTION_NAMES.map(envName));
  for (const name of Object.keys(env)) {
    if (name.startsWith('MEMREC_') && !known.has(name) && env[name] !== undefined) {
      throw new UsageError(`memrec ${command}: unknown environment variable ${name}; expected one of ${[...known].join(', ')}`);
    }
  }
}
