// Shared by the scripts that run INSIDE the booted machine (test/boot/*-check.ts): copied beside them into
// /opt/check, so Node builtins only.
import { spawnSync } from 'node:child_process';

export interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[]): Ran {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** A property of memrec.service as systemd has it now. */
export const show = (prop: string): string => run('systemctl', ['show', '-p', prop, '--value', 'memrec.service']).stdout.trim();

export function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Poll `probe` every 250 ms until it returns a value, for at most `ms`; null when the deadline passes,
 * and `what` is added to `timeouts` for the test to report.
 */
export function waitFor<T>(timeouts: string[], what: string, ms: number, probe: () => T | null): T | null {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== null) return v;
    if (Date.now() > end) {
      timeouts.push(what);
      return null;
    }
    sleep(250);
  }
}
