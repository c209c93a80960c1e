// Varints for the packed blobs that hold most of the database: sizes from /proc are whole KiB
// (pages, kB), so they are stored as KiB; anything else is kept exactly. Lossless in every case.
import { MemrecError } from '../errors.js';

/** Unsigned LEB128 over safe integers (arithmetic, since JavaScript's bitwise operators are 32-bit). */
export class VarintWriter {
  private buf = Buffer.allocUnsafe(512);
  private len = 0;

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  uint(n: number, what: string): void {
    if (!Number.isSafeInteger(n) || n < 0) throw new MemrecError(`cannot store ${what}: expected a non-negative integer, got ${n}`);
    this.room(8);
    while (n >= 128) {
      this.buf[this.len++] = (n % 128) | 128;
      n = Math.floor(n / 128);
    }
    this.buf[this.len++] = n;
  }

  /** null as 0, n as n + 1 */
  optUint(n: number | null, what: string): void {
    if (n === null) this.uint(0, what);
    else this.uint(n + 1, what);
  }

  private sizeCode(bytes: number, what: string): number {
    if (!Number.isSafeInteger(bytes) || bytes < 0 || bytes >= Number.MAX_SAFE_INTEGER / 2) {
      throw new MemrecError(`cannot store ${what}: expected a non-negative integer number of bytes, got ${bytes}`);
    }
    // whole KiB as an even code, anything else exactly as an odd one
    return bytes % 1024 === 0 ? (bytes / 1024) * 2 : bytes * 2 + 1;
  }

  size(bytes: number, what: string): void {
    this.uint(this.sizeCode(bytes, what), what);
  }

  optSize(bytes: number | null, what: string): void {
    this.optUint(bytes === null ? null : this.sizeCode(bytes, what), what);
  }

  /** A difference of two sizes (a peak over the current value: small, and usually >= 0): its size code, then its sign. */
  signedSize(bytes: number, what: string): void {
    this.uint(this.sizeCode(Math.abs(bytes), what) * 2 + (bytes < 0 ? 1 : 0), what);
  }

  /** null as 0, a difference d as its signed code + 1: one varint. */
  optSignedSize(bytes: number | null, what: string): void {
    if (bytes === null) this.uint(0, what);
    else this.uint(this.sizeCode(Math.abs(bytes), what) * 2 + (bytes < 0 ? 1 : 0) + 1, what);
  }

  text(s: string, what: string): void {
    const b = Buffer.from(s, 'utf8');
    this.uint(b.length, what);
    this.room(b.length);
    b.copy(this.buf, this.len);
    this.len += b.length;
  }

  result(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }
}

export class VarintReader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  uint(): number {
    let n = 0;
    let scale = 1;
    for (;;) {
      const b = this.buf[this.pos++];
      if (b === undefined) throw new MemrecError('a packed snapshot blob ends early (corrupt database?)');
      n += (b & 127) * scale;
      if (b < 128) return n;
      scale *= 128;
    }
  }

  optUint(): number | null {
    const v = this.uint();
    return v === 0 ? null : v - 1;
  }

  private fromSizeCode(v: number): number {
    return sizeFromCode(v);
  }

  size(): number {
    return this.fromSizeCode(this.uint());
  }

  optSize(): number | null {
    const v = this.optUint();
    return v === null ? null : this.fromSizeCode(v);
  }

  signedSize(): number {
    return signedSizeFromCode(this.uint());
  }

  optSignedSize(): number | null {
    const v = this.uint();
    return v === 0 ? null : signedSizeFromCode(v - 1);
  }

  text(): string {
    const n = this.uint();
    // process states are one ASCII letter: no decoder call per sample
    if (n === 1) {
      const b = this.buf[this.pos];
      if (b !== undefined && b < 128) {
        this.pos++;
        return String.fromCharCode(b);
      }
    }
    if (this.pos + n > this.buf.length) throw new MemrecError('a packed snapshot blob ends early (corrupt database?)');
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
}

/** Stored size code (see VarintWriter.size) to bytes. */
export function sizeFromCode(v: number): number {
  return v % 2 === 0 ? (v / 2) * 1024 : (v - 1) / 2;
}

/** Stored signed size code (see VarintWriter.signedSize) to bytes. */
export function signedSizeFromCode(v: number): number {
  const bytes = sizeFromCode(Math.floor(v / 2));
  return v % 2 === 1 ? -bytes : bytes;
}

/**
 * The first byte of every packed blob is its layout's format number, so a later memrec can change a layout
 * and still read the rows an older one wrote. Returns the format, one of `known`.
 */
export function checkFormat(r: VarintReader, what: string, known: readonly number[]): number {
  const f = r.uint();
  if (!known.includes(f)) throw new MemrecError(`${what} has pack format ${f}, this memrec reads ${known.slice(0, -1).join(', ')}${known.length > 1 ? ' and ' : ''}${known.at(-1)} (corrupt database, or written by a newer memrec?)`);
  return f;
}

/** Where the hot scans stand in a blob; one per scan, so the per-varint read allocates nothing. */
export interface ScanCursor {
  pos: number;
}

/**
 * One unsigned varint at `cur.pos`, advancing it: the hot scans' read, without VarintReader's checks.
 * Past the end buf[] is undefined: read as 0 it ends the varint, and `cur.pos > buf.length` tells the caller the blob is short.
 */
export function scanUvarint(buf: Buffer, cur: ScanCursor): number {
  let b = 0;
  let v = 0;
  let scale = 1;
  do {
    b = buf[cur.pos++] ?? 0;
    v += (b & 127) * scale;
    scale *= 128;
  } while (b >= 128);
  return v;
}

