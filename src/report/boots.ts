// `--boot N` as `journalctl -b`: 0 is the latest boot in the recording (on a running node, this one), -1 the
// one before; 1 is the first boot recorded, 2 the second; or a boot id (/proc/sys/kernel/random/boot_id, with
// or without dashes, or its first 8 or more hex digits when they name one boot).
import { UsageError } from '../errors.js';
import type { BootSpan } from '../store/store.js';
import { formatLocal, type TimeRange } from './time.js';

export type { BootSpan } from '../store/store.js';

export type BootSelector = { kind: 'offset'; n: number } | { kind: 'id'; hex: string };

export const BOOT_EXPECTED = '0 (the latest boot recorded), -1 (the one before), 1 (the first recorded), or a boot id (8 or more of its hex digits)';

export function parseBootSelector(command: string, text: string): BootSelector {
  const t = text.trim();
  if (/^[+-]?\d{1,6}$/.test(t)) return { kind: 'offset', n: Number(t) };
  const hex = t.replace(/-/g, '').toLowerCase();
  if (/^[0-9a-f]{8,32}$/.test(hex)) return { kind: 'id', hex };
  throw new UsageError(`memrec ${command}: --boot ${JSON.stringify(text)}: expected ${BOOT_EXPECTED}`);
}

/** Boots listed as `-1 3c9f5e2a (… → …)`, the latest `max` of them. */
export function describeBoots(boots: readonly BootSpan[], zone: string, max = 5): string {
  const shown = boots.slice(-max).map((b, i, all) => `${i - all.length + 1} ${b.bootId.slice(0, 8)} (${formatLocal(b.firstAt, zone)} → ${formatLocal(b.lastAt, zone)})`);
  return (boots.length > max ? '…, ' : '') + shown.join(', ');
}

/** The boot a selector names, with its offset from the latest (0, -1, ...); null when there is none. */
export function selectBoot(boots: readonly BootSpan[], sel: BootSelector): { boot: BootSpan; offset: number } | null {
  if (sel.kind === 'offset') {
    const i = sel.n <= 0 ? boots.length - 1 + sel.n : sel.n - 1;
    const boot = boots[i];
    return boot === undefined ? null : { boot, offset: i - (boots.length - 1) };
  }
  const matches = boots.map((b, i) => ({ b, i })).filter(({ b }) => b.bootId.replace(/-/g, '').toLowerCase().startsWith(sel.hex));
  if (matches.length !== 1) return null;
  return { boot: matches[0]!.b, offset: matches[0]!.i - (boots.length - 1) };
}

/**
 * The range of a boot's recording (its first to its last snapshot or event), intersected with the range the
 * --since/--until flags gave when they were given. A selector that names no boot, or a range outside the boot,
 * is a UsageError naming both and listing the boots recorded.
 */
export function bootRange(
  command: string,
  boots: readonly BootSpan[],
  flag: string,
  sel: BootSelector,
  range: TimeRange,
  given: { since: boolean; until: boolean },
  zone: string,
): { range: TimeRange; boot: BootSpan; offset: number } {
  const found = selectBoot(boots, sel);
  if (found === null) {
    const what = boots.length === 0 ? 'the recording has no boot ids (recorded before memrec kept them)' : `recorded boots: ${describeBoots(boots, zone)}`;
    throw new UsageError(`memrec ${command}: --boot ${flag}: no such boot; ${what}; expected ${BOOT_EXPECTED}`);
  }
  const b = found.boot;
  const since = given.since ? Math.max(range.since, b.firstAt) : b.firstAt;
  const until = given.until ? Math.min(range.until, b.lastAt) : b.lastAt;
  if (since > until) {
    throw new UsageError(
      `memrec ${command}: --boot ${flag} (${b.bootId.slice(0, 8)}, recorded ${formatLocal(b.firstAt, zone)} → ${formatLocal(b.lastAt, zone)}) and ` +
        `${formatLocal(range.since, zone)} → ${formatLocal(range.until, zone)} do not overlap`,
    );
  }
  return { range: { since, until }, boot: b, offset: found.offset };
}
