// `memrec record` as a real child process, for the real-kernel recorder tests: started on a temp
// database, its log lines collected, always killed at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import Database from 'better-sqlite3';
import { Store } from '../../src/store/store.js';
import { memrecBin } from './paths.js';

export class RecorderProcess {
  readonly child: ChildProcess;
  out = '';
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    // No MEMREC_* from the test runner's environment, and no /etc/memrec/memrec.yaml: only what the test says.
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MEMREC_')));
    this.child = spawn(process.execPath, [memrecBin, 'record', ...args], { env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d: Buffer) => (this.out += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.out += d.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Wait until the log has a line matching `re` (or the process exits, or the time is up). */
  async waitFor(re: RegExp, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const m = this.out.split('\n').find((l) => re.test(l));
      if (m !== undefined) return m;
      if (this.child.exitCode !== null || this.child.signalCode !== null) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`recorder log has no line matching ${re} (exit ${this.child.exitCode ?? this.child.signalCode}):\n${this.out}`);
  }

  /** Wait for the process to end by itself. */
  exit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.exited;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

/** Poll `fn` until it returns a value that is not undefined. */
export async function until<T>(what: string, fn: () => T | undefined, timeoutMs = 15_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err; // the database may be mid-creation
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}

/** Open the recorder's database read-only (while it writes), run `fn`, close. */
export function withStore<T>(db: string, fn: (s: Store) => T): T {
  const s = Store.open(db, { readonly: true });
  try {
    return fn(s);
  } finally {
    s.close();
  }
}

/** `PRAGMA integrity_check` of a database file: 'ok' when sound. */
export function integrityCheck(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('PRAGMA integrity_check').pluck().get() as string;
  } finally {
    db.close();
  }
}
