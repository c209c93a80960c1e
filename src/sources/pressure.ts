// /proc/pressure/memory (PSI): how long tasks stalled on memory. Absent before 4.20 or with psi=0.
import path from 'node:path';
import { ParseError } from '../errors.js';
import { FileError } from '../fs/file-error.js';
import { readText, SMALL_FILE_MAX } from '../fs/read.js';
import type { Psi } from '../model/types.js';
import type { Roots } from './roots.js';

const LINE = /^(some|full) avg10=(\d+(?:\.\d+)?) avg60=(\d+(?:\.\d+)?) avg300=(\d+(?:\.\d+)?) total=(\d+)$/;

/** Parse the `some` and `full` lines; both are required. */
export function parsePsi(text: string, file: string): Psi {
  const got: Partial<Record<'some' | 'full', number[]>> = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const m = LINE.exec(line.trim());
    // (a run of digits beyond any double is no value the kernel wrote)
    if (!m || !m.slice(2).every((v) => Number.isFinite(Number(v)))) throw new ParseError(file, 'expected "some|full avg10=<x> avg60=<x> avg300=<x> total=<n>"', line);
    got[m[1] as 'some' | 'full'] = [Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])];
  }
  const some = got.some;
  const full = got.full;
  if (!some) throw new ParseError(file, 'no "some" line');
  // kernels before 5.13 print no full line for the CPU, but memory always has one
  if (!full) throw new ParseError(file, 'no "full" line');
  return {
    someAvg10: some[0]!,
    someAvg60: some[1]!,
    someAvg300: some[2]!,
    someTotalUs: some[3]!,
    fullAvg10: full[0]!,
    fullAvg60: full[1]!,
    fullAvg300: full[2]!,
    fullTotalUs: full[3]!,
  };
}

/** PSI for memory, or null when the kernel has none (file absent, or EOPNOTSUPP with psi=0). */
export function readPsi(roots: Roots): Psi | null {
  const file = path.join(roots.procRoot, 'pressure', 'memory');
  let text: string;
  try {
    text = readText(file, { maxBytes: SMALL_FILE_MAX });
  } catch (err) {
    if (!(err instanceof FileError)) throw err;
    if (err.code === 'ENOENT' || err.code === 'EOPNOTSUPP' || err.code === 'ENOTSUP') return null;
    throw new ParseError(file, err.reason);
  }
  return parsePsi(text, file);
}
