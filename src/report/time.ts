// --since / --until: the words an SRE types the morning after, turned into epoch ms in a time zone.
// The clock is passed in (`now`); nothing here reads it. Wall times are resolved like Temporal's
// 'compatible' disambiguation: a wall time skipped by a DST jump (02:30 on a spring-forward day) moves
// forward by the gap (03:30), and a wall time that happens twice (02:30 on a fall-back day) is the
// earlier of the two — so `--since 02:30` never silently drops the first half hour of evidence.
// Single-function entry points only: the package indexes cost ~15 ms of every report command's start.
import { tzOffset } from '@date-fns/tz/tzOffset';
import { parseISO } from 'date-fns/parseISO';
import { UsageError, quoted } from '../errors.js';

/** A closed range of epoch milliseconds, since <= until. */
export interface TimeRange {
  since: number;
  until: number;
}

/** One line for every refusal, so the user sees every form they may type. */
export const ACCEPTED_FORMS =
  'now, today, yesterday, HH:MM[:SS] (the most recent past), yesterday HH:MM[:SS], YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS], ' +
  'ISO 8601 with offset (2026-11-27T02:00:00+01:00 or …Z), relative 90m, 2h, 3d, 1w or "2h ago", @<epoch seconds>';

interface Wall {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** True when `zone` is an IANA zone name or UTC that this Node's Intl knows. */
export function isValidZone(zone: string): boolean {
  if (UTC_ZONES.has(zone)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The zone to read and print wall times in: `--tz` if given (must be valid), else the TZ environment
 * variable (`:Europe/Berlin` form accepted; an unknown value falls back to the system zone), else `systemZone()`
 * (the caller's cheap guess, e.g. from /etc/localtime), else the system zone as Intl sees it.
 */
export function resolveZone(
  command: string,
  tzFlag: string | undefined,
  env: NodeJS.ProcessEnv,
  systemZone: () => string | null = () => null,
): string {
  if (tzFlag !== undefined) {
    const zone = tzFlag.trim();
    if (!isValidZone(zone)) {
      throw new UsageError(`memrec ${command}: --tz ${quoted(tzFlag)}: expected UTC or an IANA time zone such as Europe/Berlin`);
    }
    return zone;
  }
  const fromEnv = env['TZ']?.replace(/^:/, '');
  if (fromEnv && isValidZone(fromEnv)) return fromEnv;
  // Asking Intl for the system zone loads ICU (~20 ms of every report on a UTC server): ask the caller first.
  const system = systemZone();
  if (system !== null && isValidZone(system)) return system;
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

const UTC_ZONES = new Set(['UTC', 'Etc/UTC', 'Etc/GMT', 'GMT', 'Etc/Universal', 'Universal', 'Zulu', 'Etc/Zulu']);
const offsetCache = new Map<string, number>();

/** Offset of `zone` from UTC at instant `t`, in ms (positive east of Greenwich). */
export function zoneOffsetMs(zone: string, t: number): number {
  return offsetMs(zone, t);
}

function offsetMs(zone: string, t: number): number {
  if (UTC_ZONES.has(zone)) return 0;
  // Zones change offset on quarter hours only: one Intl lookup per zone and quarter hour, not per row.
  const key = `${zone} ${Math.floor(t / 900_000)}`;
  let off = offsetCache.get(key);
  if (off === undefined) {
    off = tzOffset(zone, new Date(t)) * 60_000;
    if (offsetCache.size > 100_000) offsetCache.clear();
    offsetCache.set(key, off);
  }
  return off;
}

/** The wall clock of instant `t` in `zone`. */
export function wallOf(t: number, zone: string): Wall {
  const d = new Date(t + offsetMs(zone, t));
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

/** The instant a wall time in `zone` denotes; gaps move forward, repeated times take the earlier (see top). */
export function instantOf(w: Wall, zone: string): number {
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  // Offsets a day either side bracket any single DST transition near this wall time.
  const before = offsetMs(zone, asUtc - 86_400_000);
  const after = offsetMs(zone, asUtc + 86_400_000);
  const candidates = [...new Set([before, after])]
    .map((off) => asUtc - off)
    .filter((t) => offsetMs(zone, t) === asUtc - t)
    .sort((a, b) => a - b);
  const first = candidates[0];
  if (first !== undefined) return first;
  // In the gap: read the wall time with the offset in force before the jump, which lands after it.
  return asUtc - before;
}

/** A real calendar date and clock time (rejects 2026-02-30 and 25:00). */
function validWall(w: Wall): boolean {
  const d = new Date(Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second));
  return (
    d.getUTCFullYear() === w.year &&
    d.getUTCMonth() === w.month - 1 &&
    d.getUTCDate() === w.day &&
    w.hour < 24 &&
    w.minute < 60 &&
    w.second < 60
  );
}

/** Calendar days in `zone`: the same wall clock on another day, whatever DST did in between. */
function shiftDays(w: Wall, days: number): Wall {
  // a calendar date has no zone: UTC noon carries it across month and year ends
  const moved = new Date(Date.UTC(w.year, w.month - 1, w.day + days, 12));
  return { ...w, year: moved.getUTCFullYear(), month: moved.getUTCMonth() + 1, day: moved.getUTCDate() };
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000 };

/** The times memrec reads and prints: from the epoch to the last moment of year 9999 (four-digit years). */
export const MIN_TIME = 0;
export const MAX_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * Parse one time expression to epoch ms. `flag` names the option in the error.
 * Throws UsageError with one line listing ACCEPTED_FORMS when the text is none of them.
 */
export function parseTime(text: string, opts: { now: number; zone: string; command: string; flag: string; after?: number }): number {
  const t = parseTimeExpression(text, opts);
  // 99999999999d, @999999999999 or year 0001 are no time memrec recorded, and beyond what a date can print
  if (!(t >= MIN_TIME && t <= MAX_TIME)) {
    throw new UsageError(`memrec ${opts.command}: --${opts.flag} ${quoted(text)}: out of range (expected a time from 1970-01-01 to 9999-12-31); expected ${ACCEPTED_FORMS}`);
  }
  return t;
}

function parseTimeExpression(text: string, opts: { now: number; zone: string; command: string; flag: string; after?: number }): number {
  const { now, zone } = opts;
  const s = text.trim().toLowerCase().replace(/\s+/g, ' ');
  const fail = (why = 'not a time'): never => {
    throw new UsageError(`memrec ${opts.command}: --${opts.flag} ${quoted(text)}: ${why}; expected ${ACCEPTED_FORMS}`);
  };
  const today = wallOf(now, zone);
  const midnight = (w: Wall): Wall => ({ ...w, hour: 0, minute: 0, second: 0 });

  if (s === 'now') return now;
  if (s === 'today') return instantOf(midnight(today), zone);
  if (s === 'yesterday') return instantOf(midnight(shiftDays(today, -1)), zone);

  let m = /^@(\d{1,12}(?:\.\d{1,3})?)$/.exec(s);
  if (m) return Math.round(Number(m[1]) * 1000);

  m = /^(\d+) ?(s|m|h|d|w)(?: ago)?$/.exec(s);
  if (m) {
    const n = Number(m[1]);
    const unit = m[2]!;
    if (unit === 'd' || unit === 'w') {
      // Days are calendar days in the zone: `1d` at 09:00 is yesterday 09:00 even across a DST change.
      const w = wallOf(now, zone);
      const shifted = instantOf(shiftDays(w, -(unit === 'w' ? 7 * n : n)), zone);
      return shifted + (now % 1000);
    }
    return now - n * UNIT_MS[unit]!;
  }

  m = /^(?:(today|yesterday) )?(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(s);
  if (m) {
    const clock = { hour: Number(m[2]), minute: Number(m[3]), second: Number(m[4] ?? 0) };
    const day = m[1] === 'yesterday' ? shiftDays(today, -1) : today;
    const w: Wall = { ...day, ...clock };
    if (!validWall(w)) fail('no such clock time');
    if (m[1] === undefined && opts.after !== undefined) {
      // An end time (--until 23:59) means its first occurrence at or after the start: later today, or tomorrow's.
      const start = wallOf(opts.after, zone);
      const t = instantOf({ ...start, ...clock }, zone);
      return t >= opts.after ? t : instantOf({ ...shiftDays(start, 1), ...clock }, zone);
    }
    let t = instantOf(w, zone);
    // A bare clock time means its most recent past occurrence.
    if (m[1] === undefined && t > now) t = instantOf({ ...shiftDays(today, -1), ...clock }, zone);
    return t;
  }

  m = /^(\d{4})-(\d{2})-(\d{2})(?:[ t](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(s);
  if (m) {
    const w: Wall = {
      year: Number(m[1]),
      month: Number(m[2]),
      day: Number(m[3]),
      hour: Number(m[4] ?? 0),
      minute: Number(m[5] ?? 0),
      second: Number(m[6] ?? 0),
    };
    if (!validWall(w)) fail('no such date');
    return instantOf(w, zone);
  }

  // ISO 8601 with an explicit offset (Z, ±hh, ±hhmm, ±hh:mm): the zone does not matter. date-fns reads it
  // and refuses impossible dates, times and offsets (2026-02-30, 25:00, +25:00) as an invalid date.
  m = /^\d{4}-\d{2}-\d{2}t\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?:z|[+-](\d{2})(?::?\d{2})?)$/.exec(s);
  if (m) {
    const t = parseISO(s.toUpperCase()).getTime();
    // date-fns takes offsets up to ±23:59; no zone on Earth is beyond ±14:00
    if (Number.isNaN(t) || Number(m[1] ?? 0) > 14) fail('no such date or offset');
    return t;
  }
  return fail();
}

/**
 * The range of --since/--until. `since` is required unless `defaultSince` is given; `until` defaults to now.
 * A future --since or a since after until is a UsageError.
 */
export function parseRange(
  command: string,
  flags: { since: string | undefined; until: string | undefined },
  opts: { now: number; zone: string; defaultSince?: string },
): TimeRange {
  const sinceText = flags.since ?? opts.defaultSince;
  if (sinceText === undefined) {
    throw new UsageError(`memrec ${command}: --since is required; expected ${ACCEPTED_FORMS}`);
  }
  const since = parseTime(sinceText, { now: opts.now, zone: opts.zone, command, flag: 'since' });
  const until = flags.until === undefined ? opts.now : parseTime(flags.until, { now: opts.now, zone: opts.zone, command, flag: 'until', after: since });
  if (since > opts.now) {
    throw new UsageError(`memrec ${command}: --since ${quoted(sinceText)} is in the future (${formatLocal(since, opts.zone)}); expected ${ACCEPTED_FORMS}`);
  }
  if (since > until) {
    throw new UsageError(
      `memrec ${command}: --since ${quoted(sinceText)} (${formatLocal(since, opts.zone)}) is after --until ${quoted(flags.until ?? "now")} (${formatLocal(until, opts.zone)}); expected ${ACCEPTED_FORMS}`,
    );
  }
  return { since, until };
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** `2026-11-27 02:00:00` in `zone`: how tables show times. */
export function formatLocal(t: number, zone: string): string {
  const w = wallOf(t, zone);
  return `${w.year}-${pad(w.month)}-${pad(w.day)} ${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}`;
}

/** `02:00:00` in `zone`: for charts and dense tables within one day. */
export function formatClock(t: number, zone: string): string {
  const w = wallOf(t, zone);
  return `${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}`;
}

/** ISO 8601 in UTC with milliseconds: the stable form of every time in JSON and CSV. */
export function isoUtc(t: number): string {
  return new Date(t).toISOString();
}

/**
 * How a table shows the times of a range: the clock alone when the range lies within one day (the date
 * and zone said once, in `label`), else date and clock (`label` the zone).
 */
export function tableTime(range: TimeRange, zone: string): { label: string; format: (t: number) => string; sameDay: boolean } {
  const day = formatLocal(range.since, zone).slice(0, 10);
  const sameDay = day === formatLocal(range.until, zone).slice(0, 10);
  const abbrev = zoneAbbreviation(zone, range);
  return sameDay ? { label: `${day.slice(5)} ${abbrev}`, format: (t) => formatClock(t, zone), sameDay } : { label: abbrev, format: (t) => formatLocal(t, zone), sameDay };
}

/** `UTC`, `CET`, `GMT-3`, or `CET/CEST` for a range across a DST change: short enough for a column title. */
export function zoneAbbreviation(zone: string, range: TimeRange): string {
  if (UTC_ZONES.has(zone)) return 'UTC';
  const name = (t: number): string =>
    new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'short' }).formatToParts(new Date(t)).find((p) => p.type === 'timeZoneName')?.value ?? zone;
  const a = name(range.since);
  const b = name(range.until);
  return a === b ? a : `${a}/${b}`;
}
