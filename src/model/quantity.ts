// Kubernetes resource quantities (`500Mi`, `1.5Gi`, `100m`, `1e3`) and their inverse for humans.
import { InputError } from '../errors.js';

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

// <sign?><digits[.digits] | .digits><suffix>; the exponent form is tried before the bare `E` (exa) suffix.
const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?\d+|m|k|M|G|T|P|E)?$/;

/**
 * A Kubernetes quantity in bytes (apimachinery's resource.Quantity grammar). The result may be
 * fractional (`100m` is 0.1); callers that need whole bytes round as the kubelet does.
 * Throws InputError naming the input.
 */
export function parseQuantity(s: string): number {
  const m = QUANTITY.exec(s.trim());
  if (!m) {
    throw new InputError(`${JSON.stringify(s)}: not a quantity (expected a number with an optional suffix Ki Mi Gi Ti Pi Ei, m k M G T P E or e<exp>, like 500Mi)`);
  }
  const num = Number(m[1]);
  const suffix = m[2] ?? '';
  let mult: number;
  if (suffix in BINARY) mult = BINARY[suffix]!;
  else if (suffix in DECIMAL) mult = DECIMAL[suffix]!;
  else mult = 10 ** Number(suffix.slice(1));
  const v = num * mult;
  // what a byte count can be: SQLite's 64-bit integers (and the kubelet's int64) end below 8Ei
  if (!(Math.abs(v) < MAX_QUANTITY)) throw new InputError(`${JSON.stringify(s)}: quantity out of range (expected less than 8Ei, 2^63 bytes)`);
  return v;
}

/** 2^63: a quantity's bytes must fit a signed 64-bit integer. */
export const MAX_QUANTITY = 2 ** 63;

const UNITS = ['Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'] as const;

/** Bytes in binary units with at most three significant digits: `1.5Gi`, `-200Mi`, `512B`; `unknown` for null. */
export function formatBytes(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return 'unknown';
  const sign = n < 0 ? '-' : '';
  let v = Math.abs(n);
  if (v < 1024) return `${sign}${Math.round(v)}B`;
  let unit = -1;
  while (v >= 1024 && unit < UNITS.length - 1) {
    v /= 1024;
    unit++;
  }
  // rounding can carry into the next unit (1023.9Ki -> 1024Ki): then step up
  let text = v >= 100 ? String(Math.round(v)) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
  if (Number(text) >= 1024 && unit < UNITS.length - 1) {
    unit++;
    text = (Number(text) / 1024).toFixed(2);
  }
  text = text.includes('.') ? text.replace(/\.?0+$/, '') : text;
  return `${sign}${text}${UNITS[unit]}`;
}
