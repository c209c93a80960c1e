// What the report commands (query, culprits, timeline, events, export) share: range flags,
// the read-only database, the output format and the terminal's width.
import { existsSync, readlinkSync } from 'node:fs';
import { InputError, quoted, UsageError } from '../errors.js';
import { shownPath } from '../fs/file-error.js';
import { resolveDbPath } from '../config/paths.js';
import { OWNER_KINDS, type ProcessSelection } from '../report/select.js';
import type { ReportSource } from '../report/source.js';
import { bootRange, parseBootSelector, type BootSelector } from '../report/boots.js';
import { parseRange, resolveZone, type TimeRange } from '../report/time.js';
import { choiceFlag, intFlag, type OptionSpec } from './args.js';
import type { Io } from './io.js';

export const rangeOptions = {
  since: { type: 'string', value: 'T', doc: 'start of the range (required without --boot): 02:00, yesterday, 2026-11-27 02:00, 90m, "2h ago", @<epoch>' },
  until: { type: 'string', value: 'T', doc: 'end of the range, same forms (default: now)' },
  tz: { type: 'string', value: 'ZONE', doc: 'read and print wall times in UTC or an IANA zone (default: TZ, else the system zone)' },
  db: { type: 'string', value: 'FILE', complete: 'file', doc: 'the database, opened read-only (default: MEMREC_DB, else /var/lib/memrec/memrec.db as root)' },
  boot: { type: 'string', value: 'N', doc: "only that boot's recording, as journalctl -b: 0 the latest, -1 the one before, 1 the first, or a boot id" },
} as const satisfies OptionSpec;

export const RANGE_HELP = `  --since T           start of the range (required without --boot): 02:00 (most recent past), yesterday 02:00, today,
                      yesterday, now, 2026-11-27, 2026-11-27 02:00[:ss], 2026-11-27T02:00:00+01:00,
                      90m, 2h, 3d, "2h ago", @<epoch seconds>
  --until T           end of the range, same forms (default: now)
  --boot N            only that boot's recording, as journalctl -b: 0 the latest boot recorded, -1 the one
                      before, 1 the first; or a boot id (8+ hex digits); with --since/--until, the overlap
  --tz ZONE           read and print wall times in UTC or an IANA zone (default: TZ, else the system zone);
                      on DST days a skipped time moves forward, a repeated time means its first occurrence
  --db FILE           the database (default: MEMREC_DB, else /var/lib/memrec/memrec.db as root,
                      ~/.local/state/memrec/memrec.db otherwise); opened read-only`;

/** The system zone named by the /etc/localtime link (`/usr/share/zoneinfo/Etc/UTC` → `Etc/UTC`); null if it is no such link. */
export function localtimeZone(file = '/etc/localtime'): string | null {
  try {
    const target = readlinkSync(file);
    const i = target.lastIndexOf('zoneinfo/');
    return i < 0 ? null : target.slice(i + 'zoneinfo/'.length).replace(/^(posix|right)\//, '');
  } catch {
    return null;
  }
}

export interface RangeContext {
  range: TimeRange;
  zone: string;
  /** --boot, parsed: resolved against the database by withBoot() */
  boot?: { flag: string; selector: BootSelector; given: { since: boolean; until: boolean } };
}

type RangeFlags = { since?: string | undefined; until?: string | undefined; tz?: string | undefined; boot?: string | undefined };

/** The flags' range. With --boot, --since is not required: withBoot() narrows the range to the boot once the database is open. */
export function rangeOf(command: string, v: RangeFlags, io: Io, defaultSince?: string): RangeContext {
  const zone = resolveZone(command, v.tz, io.env, () => localtimeZone());
  const selector = v.boot === undefined ? null : parseBootSelector(command, v.boot);
  const fallback = defaultSince ?? (selector !== null ? '@0' : undefined);
  const opts = fallback === undefined ? { now: io.now(), zone } : { now: io.now(), zone, defaultSince: fallback };
  const ctx: RangeContext = { range: parseRange(command, { since: v.since, until: v.until }, opts), zone };
  if (selector !== null) ctx.boot = { flag: v.boot!, selector, given: { since: v.since !== undefined, until: v.until !== undefined } };
  return ctx;
}

/** The range narrowed to the --boot's recording (unchanged without --boot). */
export function withBoot(command: string, ctx: RangeContext, store: Pick<ReportSource, 'boots'>): RangeContext {
  if (ctx.boot === undefined) return ctx;
  const r = bootRange(command, store.boots(), ctx.boot.flag, ctx.boot.selector, ctx.range, ctx.boot.given, ctx.zone);
  return { ...ctx, range: r.range };
}

export interface OpenedStore extends ReportSource {
  exportRange(range: TimeRange, file: string): unknown;
  close(): void;
}

/** The database, read-only: works while the recorder writes and for any user who may read the file. */
export async function openReadonly(command: string, dbFlag: string | undefined, io: Io, verify: 'schema' | 'full' = 'schema'): Promise<OpenedStore> {
  const file = resolveDbPath(dbFlag, io.env, process.getuid?.() ?? 0);
  if (!existsSync(file)) {
    throw new InputError(`memrec ${command}: no database at ${shownPath(file)} (set --db or MEMREC_DB; is memrec record running?)`);
  }
  const { Store } = await import('../store/store.js');
  const store: OpenedStore = Store.open(file, { readonly: true, verify });
  return store;
}

export function formatFlag<C extends string>(command: string, value: string | undefined, choices: readonly C[], def: C): C {
  return choiceFlag(command, 'format', value, choices, def);
}

/** Colors only on a terminal, and never with NO_COLOR set. */
export function useColor(io: Io): boolean {
  return io.columns !== undefined && (io.env['NO_COLOR'] ?? '') === '';
}

/** Comma-separated words from a fixed set, or a UsageError listing them. */
export function listFlag<C extends string>(command: string, flag: string, value: string | undefined, choices: readonly C[]): C[] | undefined {
  if (value === undefined) return undefined;
  return value.split(',').map((w) => choiceFlag(command, flag, w.trim(), choices, choices[0]!));
}

/** The process filters `query` and `culprits` share. */
export const selectionOptions = {
  comm: { type: 'string', value: 'REGEX', doc: 'only processes whose comm (process name) matches REGEX' },
  pid: { type: 'string', value: 'N', doc: 'only this pid' },
  pod: { type: 'string', value: 'NAME|UID', doc: 'only processes of this pod (name, namespace/name or UID)' },
  owner: { type: 'string', value: 'KINDS', choices: OWNER_KINDS, list: true, doc: 'only these owner kinds, comma-separated' },
  'outside-pods': { type: 'boolean', doc: 'only processes outside kubepods (host services, sessions, other)' },
  unit: { type: 'string', value: 'UNIT', doc: "only this systemd unit's processes (cron.service; cron means cron.service)" },
} as const satisfies OptionSpec;

/**
 * A pattern is at most this long. A comm is at most 15 characters (TASK_COMM_LEN) and each distinct comm is
 * tested once, so no pattern can take long on any range.
 */
export const MAX_PATTERN = 256;

export const SELECTION_HELP = `  --comm REGEX        only processes whose comm (process name, at most 15 characters) matches REGEX
                      (a JavaScript regular expression of at most ${MAX_PATTERN} characters)
  --pid N             only this pid
  --pod NAME|UID      only processes of this pod (name, namespace/name or UID)
  --owner KINDS       only these owner kinds, comma-separated: ${OWNER_KINDS.join(', ')}
  --outside-pods      only processes outside kubepods (host services, sessions, other)
  --unit UNIT         only this systemd unit's processes (cron.service; cron means cron.service)`;

/** A regular expression flag, compiled now (V8 compiles on first use) so that a bad one is one usage line. */
export function regexFlag(command: string, flag: string, value: string): RegExp {
  const bad = (why: string): UsageError => new UsageError(`memrec ${command}: --${flag} ${quoted(value)}: ${why}; expected a regular expression of at most ${MAX_PATTERN} characters`);
  if (value.length > MAX_PATTERN) throw bad(`${value.length} characters`);
  try {
    const re = new RegExp(value);
    re.test('');
    return re;
  } catch (e) {
    throw bad(`not a valid regular expression (${(e as Error).message.split('\n')[0]!.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '')})`);
  }
}

export function selectionOf(
  command: string,
  v: { comm?: string | undefined; pid?: string | undefined; pod?: string | undefined; owner?: string | undefined; 'outside-pods'?: boolean | undefined; unit?: string | undefined },
): ProcessSelection {
  const s: ProcessSelection = {};
  if (v.pid !== undefined) s.pid = intFlag(command, 'pid', v.pid, 0, 1, 2 ** 31);
  if (v.comm !== undefined) s.comm = regexFlag(command, 'comm', v.comm);
  if (v.pod !== undefined) s.pod = v.pod;
  const ownerKinds = listFlag(command, 'owner', v.owner, selectionOptions.owner.choices);
  if (ownerKinds !== undefined) s.ownerKinds = ownerKinds;
  if (v['outside-pods']) {
    if (v.pod !== undefined) throw new UsageError(`memrec ${command}: --outside-pods and --pod cannot be used together: a pod is inside the pods`);
    if (ownerKinds?.includes('pod')) throw new UsageError(`memrec ${command}: --outside-pods and --owner pod cannot be used together: a pod is inside the pods`);
    s.outsidePods = true;
  }
  if (v.unit !== undefined) {
    if (v.unit.trim() === '' || v.unit.includes('/')) throw new UsageError(`memrec ${command}: --unit ${quoted(v.unit)}: expected a systemd unit name like cron.service`);
    s.unit = v.unit.trim();
  }
  return s;
}
