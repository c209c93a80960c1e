import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/io.js';
import { memrecBin } from './paths.js';

/**
 * The test runner's environment without MEMREC_* variables: memrec refuses those it does not know, and the
 * suite's own knobs (MEMREC_UPDATE_GOLDEN, MEMREC_KEEP_BOOT, ...) are not memrec's. A test names what it sets.
 */
export function memrecEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MEMREC_'))), ...extra };
}

/** Run the built CLI as a real process. */
export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [memrecBin, ...args], {
    encoding: 'utf8',
    env: memrecEnv(opts.env),
    input: opts.input,
    timeout: opts.timeoutMs ?? 60_000,
  });
}

/** Run a command in-process with captured output (faster; the CLI as data). */
export async function runMain(args: string[], opts: { env?: NodeJS.ProcessEnv; now?: number; columns?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const io: Io = {
    stdout,
    stderr,
    env: opts.env ?? {},
    columns: opts.columns,
    now: () => opts.now ?? Date.now(),
  };
  const code = await main(args, io);
  return { code, stdout: out, stderr: err };
}
