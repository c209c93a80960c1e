// Which boot a pstore record came from. pstore keeps records across boots (EFI variables until someone
// deletes them), so "the previous boot" is decided by time: the latest recorded boot other than this one
// whose recording began before the record was written. Without a usable time, the latest other boot.
import type { BootSpan } from '../store/store.js';

/** Times before this are a file without a real timestamp (ramoops without its header). */
const SANE_FROM = Date.UTC(2000, 0, 1);

/** A file time that is a real time, else null. */
export function saneTime(ms: number | null): number | null {
  return ms !== null && ms >= SANE_FROM ? ms : null;
}

export function originBoot(boots: readonly BootSpan[], currentBootId: string | null, writtenAtMs: number | null): BootSpan | null {
  const others = boots.filter((b) => b.bootId !== currentBootId).sort((a, b) => a.firstAt - b.firstAt);
  if (others.length === 0) return null;
  const at = saneTime(writtenAtMs);
  if (at === null) return others[others.length - 1]!;
  let found: BootSpan | null = null;
  for (const b of others) if (b.firstAt <= at) found = b;
  return found;
}
