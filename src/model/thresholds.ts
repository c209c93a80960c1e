// Eviction thresholds for memory.available: the kubelet's spec syntax, its precedence rules, and
// resolution against capacity. Pure: the files and the cmdline are read in sources/kubelet.ts.
import { InputError } from '../errors.js';
import { parseQuantity } from './quantity.js';
import type { Threshold, ThresholdSource, Thresholds } from './types.js';

export const MEMORY_SIGNAL = 'memory.available';
/** The kubelet's default when evictionHard is not set at all (pkg/kubelet/eviction DefaultEvictionHard). */
export const DEFAULT_HARD = '100Mi';

function splitSpec(spec: string, sep: '<' | '=', origin: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of spec.split(',')) {
    if (part.length === 0) continue;
    const at = part.indexOf(sep);
    if (at < 0) {
      throw new InputError(`${origin}: ${JSON.stringify(part)}: expected signal${sep}value, like memory.available${sep === '<' ? '<500Mi' : '=1m30s'}`);
    }
    const key = part.slice(0, at).trim();
    if (key.length === 0) throw new InputError(`${origin}: ${JSON.stringify(part)}: no signal name before "${sep}"`);
    out.set(key, part.slice(at + 1).trim());
  }
  return out;
}

/**
 * `memory.available<500Mi,nodefs.available<10%` → signal → value, as the kubelet's
 * --eviction-hard/--eviction-soft flags read it (empty items skipped, later keys win).
 * Bad syntax is an InputError naming `origin`.
 */
export function parseEvictionSpec(spec: string, origin: string): Map<string, string> {
  return splitSpec(spec, '<', origin);
}

/** `memory.available=1m30s,nodefs.available=2m` (--eviction-soft-grace-period) → signal → duration. */
export function parseGracePeriodSpec(spec: string, origin: string): Map<string, string> {
  return splitSpec(spec, '=', origin);
}

/**
 * A threshold value (`500Mi`, `1.5Gi`, `10%`) in bytes, computed as the kubelet does:
 * a quantity must be positive and rounds up to whole bytes (Quantity.Value()); a percentage is
 * parsed to float32 and divided by 100 in float32, then capacity × that is truncated
 * (eviction helpers parsePercentage / GetThresholdQuantity). `0%` and `100%` are ignored by the kubelet:
 * they mean no threshold, recorded here as 0 bytes. Bad values are an InputError naming `origin`.
 */
export function resolveThreshold(raw: string, capacityBytes: number, source: ThresholdSource, origin: string): Threshold {
  const value = raw.trim();
  if (value.endsWith('%')) {
    if (value === '0%' || value === '100%') {
      return { raw: value, bytes: 0, source, origin: `${origin} (${value} is ignored by the kubelet: no threshold)` };
    }
    const num = value.slice(0, -1);
    if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(num)) {
      throw new InputError(`${origin}: ${JSON.stringify(raw)}: not a percentage (expected a number followed by %, like 10%)`);
    }
    const pct = Math.fround(Math.fround(Number(num)) / 100);
    if (pct < 0 || pct > 1) throw new InputError(`${origin}: ${JSON.stringify(raw)}: a percentage must be from 0% to 100%`);
    return { raw: value, bytes: Math.trunc(capacityBytes * pct), source, origin };
  }
  let q: number;
  try {
    q = parseQuantity(value);
  } catch (err) {
    throw new InputError(`${origin}: ${err instanceof Error ? err.message : String(err)}, or a percentage like 10%`);
  }
  if (!(q > 0)) throw new InputError(`${origin}: ${JSON.stringify(raw)}: an eviction threshold must be positive`);
  return { raw: value, bytes: Math.ceil(q), source, origin };
}

/** One value with where it came from. */
export interface Sourced {
  value: string;
  source: ThresholdSource;
  origin: string;
}

/** The three eviction maps after the kubelet's merging; null = not set at all. */
export interface EvictionMaps {
  hard: Map<string, Sourced> | null;
  soft: Map<string, Sourced> | null;
  grace: Map<string, Sourced> | null;
  /** KubeletConfiguration mergeDefaultEvictionSettings (1.34+): unspecified signals inherit their defaults */
  mergeDefaults: boolean;
  /** where the hard map was last set as a whole, for "signal not in the map" explanations */
  hardOrigin: string;
}

/**
 * The memory.available thresholds the kubelet ends up with, from its merged eviction maps.
 * Kubelet semantics: evictionHard defaults to memory.available<100Mi only when the map is unset;
 * a map that is set but lacks memory.available leaves no hard memory threshold (the kubelet sets
 * unspecified signals to 0) unless mergeDefaultEvictionSettings is true. evictionSoft has no default.
 */
export function kubeletMemoryThresholds(maps: EvictionMaps, capacityBytes: number): Thresholds {
  let hard: Threshold;
  const h = maps.hard?.get(MEMORY_SIGNAL);
  if (maps.hard === null) {
    hard = resolveThreshold(DEFAULT_HARD, capacityBytes, 'kubelet-default', 'kubelet default (evictionHard not set)');
  } else if (h !== undefined) {
    hard = resolveThreshold(h.value, capacityBytes, h.source, h.origin);
  } else if (maps.mergeDefaults) {
    hard = resolveThreshold(DEFAULT_HARD, capacityBytes, 'kubelet-default', `kubelet default (${maps.hardOrigin} lacks ${MEMORY_SIGNAL}; mergeDefaultEvictionSettings)`);
  } else {
    const src = [...maps.hard.values()][0]?.source ?? 'kubelet-config';
    hard = { raw: '0%', bytes: 0, source: src, origin: `${maps.hardOrigin} sets no ${MEMORY_SIGNAL}: the kubelet has no hard memory threshold` };
  }
  const s = maps.soft?.get(MEMORY_SIGNAL);
  let soft: Threshold | null = null;
  if (s !== undefined) {
    soft = resolveThreshold(s.value, capacityBytes, s.source, s.origin);
    const g = maps.grace?.get(MEMORY_SIGNAL);
    if (g !== undefined) soft.gracePeriod = g.value;
  }
  return { hard, soft };
}
