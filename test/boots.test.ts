// Boots and how recordings end, as data: --boot selectors, the decision the recorder makes at start, which
// boot a pstore record came from, and the pstore parser on fixture files of the real shapes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from '../src/cli/args.js';
import { UsageError } from '../src/errors.js';
import { parsePstore } from '../src/model/pstore.js';
import { originBoot, saneTime } from '../src/recorder/pstore-boot.js';
import { previousEnd } from '../src/recorder/previous-end.js';
import { bootRange, parseBootSelector, selectBoot, type BootSpan } from '../src/report/boots.js';
import { readPstore } from '../src/sources/pstore.js';
import { fixture } from './helpers/paths.js';

const A = '3c9f5e2a-8b1d-4f6e-9a7c-2d4b6e8f0a1c';
const B = 'a7e1c3d5-9f2b-4e8a-b6c4-0d2f4a6c8e0b';
const C = 'e5b3d1f9-7a2c-4c6e-8f0a-1b3d5f7a9c2e';
const T = Date.UTC(2026, 10, 27, 0, 0, 0);
const H = 3_600_000;
const span = (bootId: string, first: number, last: number): BootSpan => ({ bootId, firstAt: T + first * H, lastAt: T + last * H, snapshots: 10, events: 2 });
const BOOTS = [span(A, 0, 5), span(B, 6, 9), span(C, 10, 12)];

test('--boot selectors: offsets from the latest (0, -1), from the first (1), ids with or without dashes, 8+ hex digits', () => {
  const pick = (s: string) => selectBoot(BOOTS, parseBootSelector('events', s));
  assert.deepEqual([pick('0')?.boot.bootId, pick('0')?.offset], [C, 0]);
  assert.deepEqual([pick('-1')?.boot.bootId, pick('-1')?.offset], [B, -1]);
  assert.deepEqual([pick('-2')?.boot.bootId, pick('1')?.boot.bootId, pick('3')?.boot.bootId], [A, A, C]);
  assert.equal(pick('-3'), null);
  assert.equal(pick('4'), null);
  assert.equal(pick(B)?.boot.bootId, B);
  assert.equal(pick(B.replace(/-/g, '').toUpperCase())?.offset, -1);
  assert.equal(pick('a7e1c3d5')?.boot.bootId, B);
  assert.equal(selectBoot([...BOOTS, span('a7e1c3d5-0000-4000-8000-000000000000', 13, 14)], parseBootSelector('events', 'a7e1c3d5')), null, 'a prefix of two boots names neither');
  for (const bad of ['', 'last', 'a7e1c3d', 'x'.repeat(32), '--1']) {
    assert.throws(() => parseBootSelector('events', bad), (e: unknown) => e instanceof UsageError && /^memrec events: --boot ".*": expected 0 \(the latest boot recorded\)/.test(e.message), bad);
  }
});

test("--boot ranges: the boot's recording, the overlap with --since/--until, one line when they do not meet", () => {
  const sel = parseBootSelector('query', '-1');
  const whole = { since: 0, until: T + 100 * H };
  assert.deepEqual(bootRange('query', BOOTS, '-1', sel, whole, { since: false, until: false }, 'UTC').range, { since: T + 6 * H, until: T + 9 * H });
  assert.deepEqual(bootRange('query', BOOTS, '-1', sel, { since: T + 7 * H, until: T + 100 * H }, { since: true, until: false }, 'UTC').range, { since: T + 7 * H, until: T + 9 * H });
  assert.deepEqual(bootRange('query', BOOTS, '-1', sel, { since: T + 5 * H, until: T + 8 * H }, { since: true, until: true }, 'UTC').range, { since: T + 6 * H, until: T + 8 * H });
  assert.throws(
    () => bootRange('query', BOOTS, '-1', sel, { since: T + 10 * H, until: T + 11 * H }, { since: true, until: true }, 'UTC'),
    /memrec query: --boot -1 \(a7e1c3d5, recorded 2026-11-27 06:00:00 → 2026-11-27 09:00:00\) and 2026-11-27 10:00:00 → 2026-11-27 11:00:00 do not overlap$/,
  );
  assert.throws(
    () => bootRange('query', BOOTS, '-5', parseBootSelector('query', '-5'), whole, { since: false, until: false }, 'UTC'),
    /memrec query: --boot -5: no such boot; recorded boots: -2 3c9f5e2a \(2026-11-27 00:00:00 → 2026-11-27 05:00:00\), -1 a7e1c3d5 .*, 0 e5b3d1f9 .*; expected 0/,
  );
  assert.throws(() => bootRange('query', [], '0', parseBootSelector('query', '0'), whole, { since: false, until: false }, 'UTC'), /no such boot; the recording has no boot ids/);
});

test('a negative number after a string option is its value, nothing else changes', () => {
  const spec = { boot: { type: 'string', doc: 'b' }, top: { type: 'string', doc: 't' }, json: { type: 'boolean', doc: 'j' } } as const;
  assert.deepEqual({ ...parse('query', ['--boot', '-1', '--top', '5'], spec).values }, { boot: '-1', top: '5' });
  assert.deepEqual({ ...parse('query', ['--boot=-2'], spec).values }, { boot: '-2' });
  assert.throws(() => parse('query', ['--json', '-1'], spec), /memrec query: /, 'a boolean takes no value');
  assert.throws(() => parse('query', ['--boot', '-x'], spec), /--boot needs a value, but "-x" follows it/);
});

test('how the previous recording ended: clean, unclean_stop (same boot), reboot (another boot), and a clean stop before a reboot', () => {
  const start = { at: T, bootId: A, pid: 42 };
  const last = { at: T + 10 * 60_000, bootId: A };
  const now = T + H;
  assert.equal(previousEnd({ start: null, stop: null, lastSnapshot: null }, now, A, null), null, 'a new database');
  assert.equal(previousEnd({ start, stop: { at: T + 11 * 60_000 }, lastSnapshot: last }, now, A, T - H), null, 'clean stop, same boot');
  const details = { previousBootId: A, previousPid: 42, previousStartAt: new Date(T).toISOString(), lastSnapshotAt: new Date(last.at).toISOString(), gapMs: 50 * 60_000 };
  assert.deepEqual(previousEnd({ start, stop: null, lastSnapshot: last }, now, A, T - H), { type: 'unclean_stop', at: now, details: { ...details, bootId: A } });
  const bootedAt = new Date(now - 60_000).toISOString();
  assert.deepEqual(previousEnd({ start, stop: null, lastSnapshot: last }, now, B, now - 60_000), { type: 'reboot', at: now, details: { ...details, bootId: B, cleanStop: false, bootedAt } });
  assert.deepEqual(previousEnd({ start, stop: { at: last.at + 1 }, lastSnapshot: last }, now, B, now - 60_000), { type: 'reboot', at: now, details: { ...details, bootId: B, cleanStop: true, bootedAt } });
  // no boot id recorded: the boot time tells
  const legacy = { start: { ...start, bootId: null }, stop: null, lastSnapshot: { at: last.at, bootId: null } };
  assert.equal(previousEnd(legacy, now, B, now - 60_000)?.type, 'reboot');
  assert.equal(previousEnd(legacy, now, B, T - H)?.type, 'unclean_stop');
  assert.equal(previousEnd(legacy, now, null, null)?.type, 'unclean_stop', 'nothing tells a reboot: not claimed');
  // the start's boot from its snapshot when the start event has none; a crash before the first snapshot counts from the start
  assert.equal(previousEnd({ start: { ...start, bootId: null }, stop: null, lastSnapshot: last }, now, B, null)?.type, 'reboot');
  const early = previousEnd({ start, stop: null, lastSnapshot: { at: T - H, bootId: A } }, now, A, null);
  assert.equal((early?.details as { gapMs: number }).gapMs, 2 * H);
});

test('which boot a pstore record came from: the latest other boot whose recording began before it was written', () => {
  assert.equal(originBoot(BOOTS, C, T + 9.5 * H)?.bootId, B);
  assert.equal(originBoot(BOOTS, C, T + 3 * H)?.bootId, A, 'an EFI record kept since an older crash');
  assert.equal(originBoot(BOOTS, C, T - H), null, 'older than every recording');
  assert.equal(originBoot(BOOTS, C, 0)?.bootId, B, 'no real time: the previous boot');
  assert.equal(originBoot(BOOTS, C, null)?.bootId, B);
  assert.equal(originBoot([span(C, 10, 12)], C, T + 11 * H), null, 'no other boot recorded');
  assert.equal(saneTime(0), null);
  assert.equal(saneTime(T), T);
});

test('pstore fixture: dumps and the console log are read, pmsg and a symlink are not; OOM and panic lines parsed', () => {
  const files = readPstore(fixture('pstore', 'sys'));
  assert.deepEqual(files.map((f) => f.name), ['console-ramoops-0', 'dmesg-efi-172640712101001', 'dmesg-efi-172640712102001', 'dmesg-ramoops-0']);
  for (const f of files) assert.match(f.sha256, /^[0-9a-f]{64}$/);
  assert.deepEqual(readPstore(fixture('v1-cgroupfs', 'sys')), [], 'no pstore directory');
  const parsed = Object.fromEntries(files.map((f) => [f.name, parsePstore(f.name, f.text)]));
  const ramoops = parsed['dmesg-ramoops-0']!;
  assert.equal(ramoops.header, 'Panic#1 Part1');
  assert.equal(ramoops.reason, 'Panic');
  assert.equal(ramoops.panic, 'Kernel panic - not syncing: Out of memory: compulsory panic_on_oom is enabled');
  assert.deepEqual(ramoops.oomKills, [{ pid: 2140, comm: 'java', uptimeSec: 8907.512371 }]);
  // the OOM and panic lines with their time, not the call trace, registers or the task table
  assert.deepEqual(ramoops.lines.map((l) => l.split(' ').slice(0, 4).join(' ')), [
    '[ 8907.512204] updatedb.mlocat invoked',
    '[ 8907.512340] oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/kubepods/burstable/pod5d3c8f2e-7b1a-4c9d-8e6f-0a1b2c3d4e5f/25abdbf60c02,task=java,pid=2140,uid=1000',
    '[ 8907.512371] Out of',
    '[ 8907.553912] oom_reaper: reaped',
    '[ 8911.102230] updatedb.mlocat invoked',
    '[ 8911.102260] oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/system.slice/cron.service,task=updatedb.mlocat,pid=48213,uid=0',
    '[ 8911.102279] Kernel panic',
    '[ 8911.121052] ---[ end',
  ]);
  const oops = parsed['dmesg-efi-172640712101001']!;
  assert.deepEqual([oops.reason, oops.header, oops.panic, oops.lines], ['Oops', 'Oops#1 Part1', null, ['[  105.480848] kernel BUG at mm/slub.c:4391!']]);
  assert.equal(parsed['dmesg-efi-172640712102001'], null, 'a part with nothing of interest');
  const console = parsed['console-ramoops-0']!;
  assert.deepEqual([console.header, console.reason, console.oomKills.map((k) => k.pid), console.lines.length], [null, null, [2140], 2]);
  // no time prefix (printk.time off), priority only
  assert.deepEqual(parsePstore('dmesg-ramoops-3', 'Panic#2 Part1\n<0>Kernel panic - not syncing: Fatal exception\n'), {
    reason: 'Panic', header: 'Panic#2 Part1', panic: 'Kernel panic - not syncing: Fatal exception', oomKills: [], lines: ['Kernel panic - not syncing: Fatal exception'],
  });
  assert.equal(parsePstore('pmsg-ramoops-0', 'Kernel panic - not syncing: x\n'), null, "user space's log is not read");
  // bounded: 200 lines of at most 500 characters
  const flood = parsePstore('dmesg-ramoops-0', Array.from({ length: 1000 }, (_, i) => `<4>[ ${i}.000000] BUG: soft lockup ${'x'.repeat(1000)}`).join('\n'))!;
  assert.equal(flood.lines.length, 200);
  assert.ok(flood.lines.every((l) => l.length <= 500));
});
