// Compact, lossless number encodings for the columns and blobs that dominate the database size.
import { MemrecError } from '../errors.js';

/**
 * A size for a *_kib column: /proc reports pages and kB, so sizes are whole KiB and one byte shorter
 * as KiB; any other size is kept exactly as -(bytes)-1.
 */
export function toKib(bytes: number, what: string): number {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new MemrecError(`cannot store ${what}: expected a non-negative integer number of bytes, got ${bytes}`);
  return bytes % 1024 === 0 ? bytes / 1024 : -bytes - 1;
}

export function fromKib(v: number): number {
  return v >= 0 ? v * 1024 : -v - 1;
}

export function toKibOrNull(bytes: number | null, what: string): number | null {
  return bytes === null ? null : toKib(bytes, what);
}

export function fromKibOrNull(v: number | null): number | null {
  return v === null ? null : fromKib(v);
}

/** Unsigned LEB128 varints over safe integers (arithmetic, since bitwise operators are 32-bit). */
export class VarintWriter {
  private buf = Buffer.allocUnsafe(256);
  private len = 0;

  uint(n: number, what = 'a count'): void {
    if (!Number.isSafeInteger(n) || n < 0) throw new MemrecError(`cannot store ${what}: expected a non-negative integer, got ${n}`);
    if (this.len + 8 > this.buf.length) {
      const next = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(next, 0, 0, this.len);
      this.buf = next;
    }
    while (n >= 128) {
      this.buf[this.len++] = (n % 128) | 128;
      n = Math.floor(n / 128);
    }
    this.buf[this.len++] = n;
  }

  /** A size: whole KiB as an even number, anything else exactly as an odd one. */
  size(bytes: number, what: string): void {
    if (!Number.isSafeInteger(bytes) || bytes < 0 || bytes > Number.MAX_SAFE_INTEGER / 2 - 1) {
      throw new MemrecError(`cannot store ${what}: expected a non-negative integer number of bytes, got ${bytes}`);
    }
    this.uint(bytes % 1024 === 0 ? (bytes / 1024) * 2 : bytes * 2 + 1);
  }

  result(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }
}

export class VarintReader {
  private pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  uint(): number {
    let n = 0;
    let scale = 1;
    for (;;) {
      const b = this.buf[this.pos++];
      if (b === undefined) throw new MemrecError('truncated varint in a stored snapshot (corrupt database?)');
      n += (b & 127) * scale;
      if (b < 128) return n;
      scale *= 128;
    }
  }

  size(): number {
    const v = this.uint();
    return v % 2 === 0 ? (v / 2) * 1024 : (v - 1) / 2;
  }
}
