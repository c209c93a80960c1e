// Output through the injected Io: chunks are batched into large writes, and a closed pipe ends quietly.
import type { Writable } from 'node:stream';

export const FORMATS = ['table', 'json', 'ndjson', 'csv'] as const;
export type Format = (typeof FORMATS)[number];

/** Write every chunk, 64 KiB at a time, waiting for each write; stops once the stream is closed (`| head`). */
export async function writeAll(out: Writable, chunks: Iterable<string>): Promise<void> {
  let buf = '';
  const flush = async (): Promise<boolean> => {
    if (out.destroyed || out.writableEnded) return false;
    const text = buf;
    buf = '';
    const ok = await new Promise<boolean>((resolve) => {
      out.write(text, (err) => resolve(!err));
    });
    return ok;
  };
  for (const c of chunks) {
    buf += c;
    if (buf.length >= 65536 && !(await flush())) return;
  }
  if (buf.length > 0) await flush();
}

/** `rows` with `f` applied as they stream past. */
export function* mapRows<R, T>(rows: Iterable<R>, f: (r: R) => T): Generator<T> {
  for (const r of rows) yield f(r);
}
