// A marker line in the kernel log, for tests that must know a reader has read past a point of it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { KmsgReader } from '../../src/sources/kmsg.js';

/** The sequence number the kernel gave a line we write to /dev/kmsg (userspace facility: never read as a kill). */
export function writeMarker(): number {
  const marker = `memrec-test-marker ${randomBytes(6).toString('hex')}`;
  const reader = new KmsgReader('/dev/kmsg');
  try {
    reader.drain();
    // with its newline the record is final at once; without, readers see it only when the next one is logged
    writeFileSync('/dev/kmsg', `${marker}\n`);
    const found = reader.drain().find((r) => r.message === marker);
    assert.ok(found !== undefined, 'the marker is in /dev/kmsg');
    return found.seq;
  } finally {
    reader.close();
  }
}
