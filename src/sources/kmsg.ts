// /dev/kmsg without parking a libuv thread: non-blocking fd, drained synchronously on each watcher tick.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { FileError, fileKind, isRegular, notRegular } from '../fs/file-error.js';
import { readText } from '../fs/read.js';
import { parseKmsgRecord, type KmsgRecord } from '../model/oom.js';

const BUF_SIZE = 8192;
const MAX_CARRY = 64 * 1024;

export class KmsgReader {
  private readonly fd: number;
  private readonly buf = Buffer.allocUnsafe(BUF_SIZE);
  /** a regular file (fixture) may cut a record at the buffer's end: carried to the next read */
  private carry = '';
  /** records overwritten before we read them (EPIPE), since open */
  lost = 0;
  /** the highest sequence number read, also of records skipped by afterSeq */
  lastSeq: number | null = null;

  /**
   * @param file `/dev/kmsg`, or a regular file of records for tests (appended lines are read on the next drain)
   * @param afterSeq records with seq <= this are skipped (already stored before a restart)
   */
  constructor(
    readonly file: string,
    private afterSeq: number | null = null,
  ) {
    // the kernel log device (char 1:11) or a regular file of records; anything else (/dev/zero, a FIFO)
    // would feed the drain loop forever
    let fd: number;
    try {
      fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    } catch (err) {
      throw FileError.fromErrno(file, err);
    }
    const st = fstatSync(fd);
    const major = Number(st.rdev >> 8) & 0xfff;
    const minor = (Number(st.rdev) & 0xff) | ((Number(st.rdev) >> 12) & 0xfff00);
    const isKmsg = st.isCharacterDevice() && major === 1 && minor === 11;
    if (!isKmsg && !isRegular(st.mode)) {
      closeSync(fd);
      throw st.isCharacterDevice() ? new FileError(file, 'ENOTREG', `${fileKind(st.mode)} ${major}:${minor}, not the kernel log (/dev/kmsg is 1:11)`) : notRegular(file, st.mode);
    }
    this.fd = fd;
  }

  /** Every record available now, oldest first. Never blocks. */
  drain(limit = 100_000): KmsgRecord[] {
    const out: KmsgRecord[] = [];
    while (out.length < limit) {
      let n: number;
      try {
        n = readSync(this.fd, this.buf, 0, BUF_SIZE, null);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') break; // nothing new
        if (code === 'EPIPE') {
          this.lost++; // the ring buffer overwrote records we had not read; the next read resumes at the oldest left
          continue;
        }
        if (code === 'EINVAL') continue; // a record longer than the buffer: skipped by the kernel
        throw err;
      }
      if (n === 0) break; // end of a regular file
      const text = this.carry + this.buf.toString('utf8', 0, n);
      // One read of /dev/kmsg is one record (plus ` KEY=value` continuation lines); a file holds many.
      const lines = text.split('\n');
      this.carry = lines.pop() ?? '';
      // no record is this long (the kernel caps one at ~1 KiB): a file without newlines is not a log
      if (this.carry.length > MAX_CARRY) this.carry = '';
      for (const line of lines) {
        if (line === '' || line.startsWith(' ')) continue;
        const r = parseKmsgRecord(line);
        if (r === null) continue;
        if (this.lastSeq === null || r.seq > this.lastSeq) this.lastSeq = r.seq;
        if (this.afterSeq !== null && r.seq <= this.afterSeq) continue;
        this.afterSeq = r.seq;
        out.push(r);
      }
    }
    return out;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** /proc/sys/kernel/random/boot_id: kmsg sequence numbers are only unique within one boot. Null if unreadable. */
export function readBootId(procRoot: string): string | null {
  try {
    const id = readText(path.join(procRoot, 'sys/kernel/random/boot_id'), { maxBytes: 4096 }).trim();
    return id === '' ? null : id;
  } catch {
    return null;
  }
}

/** Seconds since boot from /proc/uptime, to turn kmsg µs timestamps into wall time. Null if unreadable. */
export function readUptimeMs(procRoot: string): number | null {
  try {
    const first = readText(path.join(procRoot, 'uptime'), { maxBytes: 4096 }).split(' ')[0] ?? '';
    const s = Number(first);
    return Number.isFinite(s) ? Math.round(s * 1000) : null;
  } catch {
    return null;
  }
}
