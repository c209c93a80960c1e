// Text → value parsers for configuration: durations, sizes, thresholds. Each returns undefined
// for text it refuses, so the caller can name the key and say what was expected.
import { parseQuantity } from '../model/quantity.js';

// Every value is read with its surrounding whitespace removed (flags, MEMREC_* and YAML alike); whitespace
// inside a number (`5 00`, `1 Gi`, `1 h`) is refused.

/** Largest first: a duration names each unit at most once, in this order (`1h30m`, not `30m1h` or `1h1h`). */
const DURATION_UNITS: ReadonlyArray<readonly [string, number]> = [['w', 604_800_000], ['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]];

/** The longest duration memrec takes anywhere: 100 years, far beyond any retention and still an exact date offset. */
export const MAX_DURATION_MS = 36_500 * 86_400_000;

export const DURATION_EXPECTED = 'a duration like 500ms, 1s, 10m, 1h30m or 14d (each unit once, largest first; at most 36500d)';

/**
 * `500ms`, `1s`, `10m`, `1h30m`, `14d` → milliseconds. A bare number is refused (seconds or minutes?), so are
 * a unit given twice or out of order (`1h1h`, `30m1h`: a typo more likely than a sum) and anything above
 * MAX_DURATION_MS.
 */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d|w))+$/.test(t)) return undefined;
  let ms = 0;
  let last = -1;
  for (const m of t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)) {
    const unit = DURATION_UNITS.findIndex(([u]) => u === m[2]);
    if (unit <= last) return undefined;
    last = unit;
    ms += Number(m[1]) * DURATION_UNITS[unit]![1];
  }
  return ms <= MAX_DURATION_MS ? Math.round(ms) : undefined;
}

/** A whole number from min to max, surrounding whitespace ignored; undefined otherwise. */
export function parseWholeNumber(text: string, min: number, max: number): number | undefined {
  const t = text.trim();
  if (!/^-?\d+$/.test(t)) return undefined;
  const n = Number(t);
  return n >= min && n <= max ? n : undefined;
}

/** Milliseconds → the shortest text parseDuration reads back (`90000` → `1m30s`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('');
}

export const SIZE_EXPECTED = 'a size like 1Gi, 1GiB, 500Mi, 1G or a number of bytes, below 8Ei';

/**
 * A size in bytes. Kubernetes quantities (`1Gi`, `500M`, `1e9`) plus the forms SREs type:
 * `1GiB`/`512MiB` (binary, = Gi/Mi) and `1GB`/`500MB` (decimal, = G/M, as in Kubernetes), `100B`.
 */
export function parseSize(text: string): number | undefined {
  let t = text.trim();
  const m = /^([0-9.eE+-]+)(Ki|Mi|Gi|Ti|Pi|Ei|K|k|M|G|T|P|E)?(B)?$/.exec(t);
  if (!m) return undefined;
  const [, num, unit, b] = m;
  if (b !== undefined || unit === 'K') t = `${num}${unit === 'K' ? 'k' : (unit ?? '')}`;
  let bytes: number;
  try {
    bytes = parseQuantity(t);
  } catch {
    return undefined;
  }
  if (!Number.isFinite(bytes) || bytes < 0) return undefined;
  return Math.round(bytes);
}

export const THRESHOLD_EXPECTED = 'a size like 500Mi or a percentage of capacity like 10%';

/** A threshold as written: a size or a percentage of capacity, resolved later against capacity. */
export function parseThreshold(text: string): string | undefined {
  const t = text.trim();
  const pct = /^(\d+(\.\d+)?)%$/.exec(t);
  if (pct) return Number(pct[1]) <= 100 ? t : undefined;
  return parseSize(t) === undefined ? undefined : t;
}

/** Resolve a threshold text against capacity: `10%` of 8Gi, or a size. */
export function thresholdBytes(text: string, capacityBytes: number): number {
  const t = text.trim();
  const pct = /^(\d+(\.\d+)?)%$/.exec(t);
  if (pct) return Math.round((Number(pct[1]) / 100) * capacityBytes);
  const bytes = parseSize(t);
  if (bytes === undefined) throw new Error(`not a threshold: ${JSON.stringify(text)}`);
  return bytes;
}
