import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UsageError } from '../src/errors.js';
import { localtimeZone } from '../src/cli/report-options.js';
import { ACCEPTED_FORMS, formatLocal, instantOf, parseRange, parseTime, resolveZone } from '../src/report/time.js';

const iso = (s: string): number => Date.parse(s);
const p = (text: string, now: string, zone = 'UTC'): string =>
  new Date(parseTime(text, { now: iso(now), zone, command: 'query', flag: 'since' })).toISOString();

// now: Friday 2026-11-27 09:15:30.250 in Berlin (UTC+1 in winter)
const NOW = '2026-11-27T08:15:30.250Z';

test('every accepted form, in Europe/Berlin', () => {
  const z = 'Europe/Berlin';
  const cases: Array<[string, string]> = [
    ['now', '2026-11-27T08:15:30.250Z'],
    ['today', '2026-11-26T23:00:00.000Z'],
    ['yesterday', '2026-11-25T23:00:00.000Z'],
    ['02:00', '2026-11-27T01:00:00.000Z'], // earlier today
    ['09:15:30', '2026-11-27T08:15:30.000Z'],
    ['22:00', '2026-11-26T21:00:00.000Z'], // not yet today: yesterday's
    ['yesterday 02:00', '2026-11-26T01:00:00.000Z'],
    ['today 02:00', '2026-11-27T01:00:00.000Z'],
    ['2026-11-27', '2026-11-26T23:00:00.000Z'],
    ['2026-11-27 02:00', '2026-11-27T01:00:00.000Z'],
    ['2026-11-27 02:00:05', '2026-11-27T01:00:05.000Z'],
    ['2026-11-27T02:00', '2026-11-27T01:00:00.000Z'],
    ['2026-11-27T02:00:00+05:30', '2026-11-26T20:30:00.000Z'],
    ['2026-11-27T02:00:00.5Z', '2026-11-27T02:00:00.500Z'],
    ['2026-11-27T02:00-0800', '2026-11-27T10:00:00.000Z'],
    ['90m', '2026-11-27T06:45:30.250Z'],
    ['2h', '2026-11-27T06:15:30.250Z'],
    ['2h ago', '2026-11-27T06:15:30.250Z'],
    ['45s', '2026-11-27T08:14:45.250Z'],
    ['3d', '2026-11-24T08:15:30.250Z'],
    ['1w ago', '2026-11-20T08:15:30.250Z'],
    ['@1795000000', '2026-11-18T11:06:40.000Z'],
    ['@1795000000.5', '2026-11-18T11:06:40.500Z'],
    ['  Yesterday   02:00 ', '2026-11-26T01:00:00.000Z'],
  ];
  for (const [text, want] of cases) assert.equal(p(text, NOW, z), want, text);
});

test('the same words in UTC and America/New_York', () => {
  assert.equal(p('02:00', NOW, 'UTC'), '2026-11-27T02:00:00.000Z');
  assert.equal(p('today', NOW, 'UTC'), '2026-11-27T00:00:00.000Z');
  assert.equal(p('02:00', NOW, 'America/New_York'), '2026-11-27T07:00:00.000Z'); // 03:15 local now
  assert.equal(p('04:00', NOW, 'America/New_York'), '2026-11-26T09:00:00.000Z'); // not yet: yesterday's
  assert.equal(p('yesterday', NOW, 'America/New_York'), '2026-11-26T05:00:00.000Z');
});

test('Europe/Berlin spring forward (2026-03-29 02:00 -> 03:00): a skipped wall time moves forward by the gap', () => {
  const z = 'Europe/Berlin';
  assert.equal(p('2026-03-29 01:59', '2026-03-29T10:00:00Z', z), '2026-03-29T00:59:00.000Z');
  assert.equal(p('2026-03-29 02:30', '2026-03-29T10:00:00Z', z), '2026-03-29T01:30:00.000Z'); // = 03:30 CEST
  assert.equal(p('2026-03-29 03:00', '2026-03-29T10:00:00Z', z), '2026-03-29T01:00:00.000Z');
  // the day is 23 hours long: today starts at 00:00 CET, 3d counts calendar days, 24h counts hours
  assert.equal(p('today', '2026-03-29T10:00:00Z', z), '2026-03-28T23:00:00.000Z');
  assert.equal(p('1d', '2026-03-29T10:00:00Z', z), '2026-03-28T11:00:00.000Z'); // 12:00 local both days
  assert.equal(p('24h', '2026-03-29T10:00:00Z', z), '2026-03-28T10:00:00.000Z');
  assert.equal(p('yesterday 12:00', '2026-03-30T10:00:00Z', z), '2026-03-29T10:00:00.000Z');
});

test('Europe/Berlin fall back (2026-10-25 03:00 -> 02:00): a repeated wall time is the earlier one', () => {
  const z = 'Europe/Berlin';
  assert.equal(p('2026-10-25 02:30', '2026-10-25T10:00:00Z', z), '2026-10-25T00:30:00.000Z'); // 02:30 CEST
  assert.equal(p('2026-10-25 03:00', '2026-10-25T10:00:00Z', z), '2026-10-25T02:00:00.000Z');
  // `02:30` asked at 02:45 CET (second pass) still means the first 02:30, 75 minutes ago
  assert.equal(p('02:30', '2026-10-25T01:45:00Z', z), '2026-10-25T00:30:00.000Z');
  assert.equal(p('1d', '2026-10-26T11:00:00Z', z), '2026-10-25T11:00:00.000Z'); // 12:00 local, 25 h earlier
});

test('America/New_York DST days (2026-03-08 and 2026-11-01)', () => {
  const z = 'America/New_York';
  assert.equal(p('2026-03-08 02:30', '2026-03-08T15:00:00Z', z), '2026-03-08T07:30:00.000Z'); // = 03:30 EDT
  assert.equal(p('2026-03-08 01:30', '2026-03-08T15:00:00Z', z), '2026-03-08T06:30:00.000Z'); // EST
  assert.equal(p('2026-11-01 01:30', '2026-11-01T15:00:00Z', z), '2026-11-01T05:30:00.000Z'); // first, EDT
  assert.equal(p('2026-11-01 02:30', '2026-11-01T15:00:00Z', z), '2026-11-01T07:30:00.000Z'); // EST
  assert.equal(p('yesterday', '2026-11-02T15:00:00Z', z), '2026-11-01T04:00:00.000Z'); // midnight EDT
  assert.equal(p('today', '2026-11-02T15:00:00Z', z), '2026-11-02T05:00:00.000Z'); // midnight EST
});

test('instantOf round-trips every quarter hour of a DST year in Berlin and New York, outside the gaps', () => {
  for (const zone of ['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'UTC']) {
    let checked = 0;
    for (let t = iso('2026-01-01T00:00:00Z'); t < iso('2027-01-01T00:00:00Z'); t += 15 * 60_000) {
      const local = formatLocal(t, zone);
      const [d, c] = local.split(' ') as [string, string];
      const [year, month, day] = d.split('-').map(Number) as [number, number, number];
      const [hour, minute, second] = c.split(':').map(Number) as [number, number, number];
      const back = instantOf({ year, month, day, hour, minute, second }, zone);
      // a repeated wall time maps to its earlier instant, never to a different wall time
      assert.equal(formatLocal(back, zone), local, `${zone} ${local}`);
      assert.ok(back <= t, `${zone} ${local}`);
      checked++;
    }
    assert.equal(checked, 365 * 96);
  }
});

test('refusals: one UsageError line that lists the accepted forms', () => {
  const bad = ['', 'soon', '25:00', '02:60', '2026-02-30', '2026-13-01', '2026-11-27 24:00', '2h from now', '@', '-2h', 'tomorrow', '2026-11-27T02:00+25', '2026-02-30T02:00Z', '2026-11-27T02:00:00+01:60'];
  for (const text of bad) {
    assert.throws(
      () => parseTime(text, { now: iso(NOW), zone: 'UTC', command: 'query', flag: 'since' }),
      (err: unknown) => {
        assert.ok(err instanceof UsageError, text);
        assert.equal(err.exitCode, 2);
        assert.ok(!err.message.includes('\n'), text);
        assert.ok(err.message.startsWith(`memrec query: --since ${JSON.stringify(text)}`), err.message);
        assert.ok(err.message.endsWith(ACCEPTED_FORMS), err.message);
        return true;
      },
    );
  }
});

test('parseRange: until defaults to now; future since, since after until, missing since are refused', () => {
  const now = iso(NOW);
  assert.deepEqual(parseRange('query', { since: '2h', until: undefined }, { now, zone: 'UTC' }), { since: now - 7_200_000, until: now });
  assert.deepEqual(parseRange('query', { since: '2h', until: '1h' }, { now, zone: 'UTC' }), { since: now - 7_200_000, until: now - 3_600_000 });
  // until in the future is fine (a range that includes what comes)
  assert.equal(parseRange('query', { since: '1h', until: '2026-12-01' }, { now, zone: 'UTC' }).until, iso('2026-12-01T00:00:00Z'));
  const refuse = (flags: { since: string | undefined; until: string | undefined }, re: RegExp): void => {
    assert.throws(() => parseRange('culprits', flags, { now, zone: 'UTC' }), (e: unknown) => e instanceof UsageError && re.test(e.message) && !e.message.includes('\n'));
  };
  refuse({ since: '2026-11-28', until: undefined }, /--since "2026-11-28" is in the future/);
  refuse({ since: '@1900000000', until: undefined }, /in the future/);
  refuse({ since: '2h', until: '3h' }, /is after --until "3h"/);
  refuse({ since: undefined, until: undefined }, /--since is required/);
  assert.equal(parseRange('events', { since: undefined, until: undefined }, { now, zone: 'UTC', defaultSince: '24h' }).since, now - 86_400_000);
});

test('parseRange: a bare clock time in --until is its first occurrence at or after --since, later today included', () => {
  const at = (wall: string): number => iso(`${wall}Z`);
  const now = at('2026-11-27T09:30:00');
  const r = (since: string, until: string): { since: number; until: number } => parseRange('query', { since, until }, { now, zone: 'UTC' });
  // later today: today, not yesterday (which was refused as before --since)
  assert.deepEqual(r('02:00', '23:59'), { since: at('2026-11-27T02:00:00'), until: at('2026-11-27T23:59:00') });
  assert.deepEqual(r('2h', '23:59').until, at('2026-11-27T23:59:00'));
  // a night: 22:00 was yesterday's, 06:00 the morning after it
  assert.deepEqual(r('22:00', '06:00'), { since: at('2026-11-26T22:00:00'), until: at('2026-11-27T06:00:00') });
  // a range within the morning, while it is still going on
  assert.deepEqual(r('09:00', '10:00'), { since: at('2026-11-27T09:00:00'), until: at('2026-11-27T10:00:00') });
  // the whole of yesterday
  assert.deepEqual(r('yesterday', '23:59:59').until, at('2026-11-26T23:59:59'));
  // explicit days keep their meaning
  assert.deepEqual(r('yesterday 02:00', 'yesterday 03:00').until, at('2026-11-26T03:00:00'));
  // a --since in the future is still refused, whatever --until says
  assert.throws(() => r('2026-11-28 01:00', '23:59'), /--since "2026-11-28 01:00" is in the future/);
  // in a zone with DST: the wall time of the start's day
  const berlin = parseRange('query', { since: '2026-03-29 01:00', until: '03:30' }, { now: iso('2026-03-29T12:00:00Z'), zone: 'Europe/Berlin' });
  assert.equal(berlin.until, iso('2026-03-29T03:30:00+02:00'));
});

test('resolveZone: --tz must be a zone, TZ env is used when valid, else the system zone', () => {
  assert.equal(resolveZone('query', 'UTC', {}), 'UTC');
  assert.equal(resolveZone('query', 'America/New_York', {}), 'America/New_York');
  assert.throws(() => resolveZone('query', 'Mars/Olympus', {}), /--tz "Mars\/Olympus": expected UTC or an IANA time zone/);
  assert.equal(resolveZone('query', undefined, { TZ: 'Europe/Berlin' }), 'Europe/Berlin');
  assert.equal(resolveZone('query', undefined, { TZ: ':Asia/Tokyo' }), 'Asia/Tokyo');
  // without TZ, the caller's guess (the /etc/localtime link) comes before asking Intl; a bad guess is ignored
  assert.equal(resolveZone('query', undefined, {}, () => 'Etc/UTC'), 'Etc/UTC');
  assert.equal(resolveZone('query', undefined, {}, () => 'Europe/Berlin'), 'Europe/Berlin');
  assert.equal(resolveZone('query', undefined, {}, () => 'Mars/Olympus'), Intl.DateTimeFormat().resolvedOptions().timeZone);
  assert.equal(resolveZone('query', undefined, { TZ: 'nonsense/zone' }), Intl.DateTimeFormat().resolvedOptions().timeZone);
});

test('localtimeZone reads the zone name from an /etc/localtime-style link, and null from anything else', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'memrec-tz-'));
  try {
    symlinkSync('/usr/share/zoneinfo/Europe/Berlin', path.join(dir, 'berlin'));
    symlinkSync('../usr/share/zoneinfo/posix/Asia/Tokyo', path.join(dir, 'tokyo'));
    writeFileSync(path.join(dir, 'copy'), 'TZif');
    assert.equal(localtimeZone(path.join(dir, 'berlin')), 'Europe/Berlin');
    assert.equal(localtimeZone(path.join(dir, 'tokyo')), 'Asia/Tokyo');
    assert.equal(localtimeZone(path.join(dir, 'copy')), null);
    assert.equal(localtimeZone(path.join(dir, 'missing')), null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
