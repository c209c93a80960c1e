import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BurstController, resolveBurstPolicy, type BurstOptions, type BurstPolicy, type Reading } from '../src/recorder/burst.js';
import type { RecorderEvent, Thresholds } from '../src/model/types.js';

const Mi = 1024 * 1024;
const Gi = 1024 * Mi;

const policy: BurstPolicy = {
  capacityBytes: 10 * Gi,
  hardBytes: 500 * Mi,
  softBytes: null,
  burstAtBytes: 1 * Gi,
  hysteresisBytes: 200 * Mi,
  burstPsi: 10,
  exitAfterMs: 30_000,
  intervalMs: 1000,
  slowAfterMs: 600_000,
  slowIntervalMs: 10_000,
};

function reading(at: number, availableBytes: number, extra: Partial<Reading> = {}): Reading {
  return { at, availableBytes, memAvailableBytes: 4 * Gi, oomKillCount: 0, psiFullAvg10: 0, ...extra };
}

const types = (evs: RecorderEvent[]) => evs.map((e) => e.type);

const thresholds = (hard: number, soft: number | null): Thresholds => ({
  hard: { raw: 'x', bytes: hard, source: 'kubelet-default', origin: 'test' },
  soft: soft === null ? null : { raw: 'y', bytes: soft, source: 'kubelet-flag', origin: 'test' },
});

const opts: BurstOptions = { burstAt: null, burstHysteresis: '5%', burstPsi: 10, burstExitAfter: 30_000, burstInterval: 1000, burstSlowAfter: 600_000, burstSlowInterval: 10_000 };

test('policy: burst-at defaults to the soft threshold, else hard + 10% of capacity; explicit values resolve against capacity', () => {
  assert.equal(resolveBurstPolicy(opts, thresholds(100 * Mi, 2 * Gi), 10 * Gi).burstAtBytes, 2 * Gi);
  assert.equal(resolveBurstPolicy(opts, thresholds(100 * Mi, null), 10 * Gi).burstAtBytes, 100 * Mi + Gi);
  assert.equal(resolveBurstPolicy({ ...opts, burstAt: '20%' }, thresholds(100 * Mi, 2 * Gi), 10 * Gi).burstAtBytes, 2 * Gi);
  assert.equal(resolveBurstPolicy({ ...opts, burstAt: '600Mi' }, thresholds(100 * Mi, null), 10 * Gi).burstAtBytes, 600 * Mi);
  const p = resolveBurstPolicy(opts, thresholds(100 * Mi, null), 10 * Gi);
  assert.equal(p.hysteresisBytes, Gi / 2);
  assert.equal(p.hardBytes, 100 * Mi);
});

test('idle above every threshold: no events, no snapshot', () => {
  const b = new BurstController(policy);
  for (let t = 0; t < 10_000; t += 1000) {
    const o = b.observe(reading(t, 5 * Gi));
    assert.deepEqual(o, { events: [], snapshotDue: false, trigger: null });
  }
  assert.equal(b.state.mode, 'idle');
  assert.equal(b.nextDueAt(), null);
});

test('memory.available at burst-at starts a burst with its reason and values, and a snapshot at once', () => {
  const b = new BurstController(policy);
  b.observe(reading(0, 5 * Gi));
  const o = b.observe(reading(1000, 1 * Gi));
  assert.deepEqual(types(o.events), ['threshold_crossing', 'burst_start']);
  const start = o.events[1]!;
  assert.ok(start.type === 'burst_start');
  assert.equal(start.details.reason, 'memory.available 1Gi <= 1Gi');
  assert.equal(start.details.values['availableBytes'], Gi);
  assert.equal(start.details.values['burstAtBytes'], Gi);
  assert.equal(o.snapshotDue, true);
  assert.equal(o.trigger, 'burst: memory.available 1Gi <= 1Gi');
  assert.equal(b.state.mode, 'burst');
  assert.equal(b.nextDueAt(), 1000);
});

test("free's MemAvailable at or below hard starts a burst even when the kubelet's view looks fine", () => {
  const b = new BurstController(policy);
  const o = b.observe(reading(0, 5 * Gi, { memAvailableBytes: 500 * Mi }));
  assert.equal(b.state.mode, 'burst');
  assert.match(o.trigger ?? '', /^burst: MemAvailable 500Mi <= hard 500Mi$/);
  const unknown = new BurstController(policy);
  unknown.observe(reading(0, 5 * Gi, { memAvailableBytes: null }));
  assert.equal(unknown.state.mode, 'idle', 'an unknown MemAvailable triggers nothing');
});

test('a rise of the oom_kill counter starts a burst; the first reading is only a baseline', () => {
  const b = new BurstController(policy);
  assert.equal(b.observe(reading(0, 5 * Gi, { oomKillCount: 7 })).snapshotDue, false, 'a count from before we started is no news');
  assert.equal(b.observe(reading(1000, 5 * Gi, { oomKillCount: null })).snapshotDue, false);
  assert.equal(b.observe(reading(2000, 5 * Gi, { oomKillCount: 7 })).snapshotDue, false);
  const o = b.observe(reading(3000, 5 * Gi, { oomKillCount: 8 }));
  assert.equal(o.trigger, 'burst: oom_kill 7 -> 8');
  const start = o.events.find((e) => e.type === 'burst_start');
  assert.ok(start?.type === 'burst_start');
  assert.equal(start.details.values['oomKillCountBefore'], 7);
});

test('PSI full avg10 at or above burst-psi starts a burst; unknown PSI does not', () => {
  const b = new BurstController(policy);
  assert.equal(b.observe(reading(0, 5 * Gi, { psiFullAvg10: 9.99 })).snapshotDue, false);
  assert.equal(b.observe(reading(1000, 5 * Gi, { psiFullAvg10: null })).snapshotDue, false);
  assert.equal(b.observe(reading(2000, 5 * Gi, { psiFullAvg10: 10 })).trigger, 'burst: psi full avg10 10 >= 10');
});

test('several reasons at once are all named', () => {
  const b = new BurstController(policy);
  const o = b.observe(reading(0, 100 * Mi, { memAvailableBytes: 100 * Mi, psiFullAvg10: 50 }));
  assert.equal(o.trigger, 'burst: memory.available 100Mi <= 1Gi, MemAvailable 100Mi <= hard 500Mi, psi full avg10 50 >= 10');
});

test('burst cadence: one snapshot per interval, a timer firing slightly early still counts', () => {
  const b = new BurstController(policy);
  b.observe(reading(0, 900 * Mi));
  b.snapshotTaken(0);
  assert.equal(b.nextDueAt(), 1000);
  assert.equal(b.observe(reading(500, 900 * Mi)).snapshotDue, false);
  assert.equal(b.observe(reading(899, 900 * Mi)).snapshotDue, false);
  assert.equal(b.observe(reading(950, 900 * Mi)).snapshotDue, true);
  b.snapshotTaken(950);
  const s = b.state;
  assert.ok(s.mode === 'burst');
  assert.equal(s.snapshots, 2);
});

test('a long burst keeps the fast interval until burst-slow-after, then slows down', () => {
  const b = new BurstController(policy);
  b.observe(reading(0, 900 * Mi));
  b.snapshotTaken(0);
  let t = 0;
  for (t = 1000; t < 600_000; t += 1000) {
    assert.equal(b.observe(reading(t, 900 * Mi)).snapshotDue, true, `at ${t}`);
    b.snapshotTaken(t);
  }
  assert.equal(b.intervalAt(600_000), 10_000);
  assert.equal(b.observe(reading(600_000, 900 * Mi)).snapshotDue, false, 'past slow-after the interval is the slow one');
  assert.equal(b.observe(reading(607_000, 900 * Mi)).snapshotDue, false);
  assert.equal(b.observe(reading(609_000, 900 * Mi)).snapshotDue, true);
});

test('slow mode: due every burst-slow-interval after burst-slow-after', () => {
  const b = new BurstController({ ...policy, slowAfterMs: 5000, slowIntervalMs: 10_000 });
  b.observe(reading(0, 900 * Mi));
  b.snapshotTaken(0);
  b.observe(reading(6000, 900 * Mi));
  b.snapshotTaken(6000);
  assert.equal(b.nextDueAt(), 16_000);
  assert.equal(b.observe(reading(7000, 900 * Mi)).snapshotDue, false);
  assert.equal(b.observe(reading(12_000, 900 * Mi)).snapshotDue, false);
  const oom = b.observe(reading(13_000, 900 * Mi, { oomKillCount: 1 }));
  assert.equal(oom.snapshotDue, true, 'an OOM kill does not wait for the slow interval');
  b.snapshotTaken(13_000);
  assert.equal(b.observe(reading(21_000, 900 * Mi, { oomKillCount: 1 })).snapshotDue, false);
  assert.equal(b.observe(reading(23_000, 900 * Mi, { oomKillCount: 1 })).snapshotDue, true);
});

test('exit: only after available stayed above burst-at + hysteresis for exit-after; burst_end carries duration and count', () => {
  const b = new BurstController(policy);
  b.observe(reading(0, 900 * Mi));
  b.snapshotTaken(0);
  b.snapshotTaken(1000);
  // Above burst-at but inside the hysteresis band: no exit however long.
  for (let t = 2000; t <= 60_000; t += 1000) assert.deepEqual(types(b.observe(reading(t, Gi + 100 * Mi)).events), []);
  assert.equal(b.state.mode, 'burst');
  const calmFrom = 61_000;
  for (let t = calmFrom; t < calmFrom + 30_000; t += 1000) {
    const o = b.observe(reading(t, 3 * Gi));
    assert.ok(!o.events.some((e) => e.type === 'burst_end'), `ended early at ${t}`);
  }
  const o = b.observe(reading(calmFrom + 30_000, 3 * Gi));
  const end = o.events.find((e) => e.type === 'burst_end');
  assert.ok(end?.type === 'burst_end');
  assert.equal(end.details.durationMs, calmFrom + 30_000);
  assert.equal(end.details.snapshots, 2);
  assert.match(end.details.reason, /memory.available 3Gi > burst-at 1Gi \+ hysteresis 200Mi for 30s/);
  assert.equal(o.snapshotDue, false);
  assert.equal(b.state.mode, 'idle');
  assert.equal(b.observe(reading(calmFrom + 31_000, 3 * Gi)).snapshotDue, false);
});

test('a dip during the calm period restarts the exit clock', () => {
  const b = new BurstController(policy);
  b.observe(reading(0, 900 * Mi));
  for (let t = 1000; t < 20_000; t += 1000) b.observe(reading(t, 3 * Gi));
  b.observe(reading(20_000, 1100 * Mi)); // back inside the band
  for (let t = 21_000; t < 51_000; t += 1000) assert.equal(b.observe(reading(t, 3 * Gi)).events.length, 0, `at ${t}`);
  assert.equal(b.state.mode, 'burst');
  assert.deepEqual(types(b.observe(reading(51_000, 3 * Gi)).events), ['burst_end']);
});

test('high PSI keeps a burst going although memory.available recovered', () => {
  const b = new BurstController({ ...policy, exitAfterMs: 0 });
  b.observe(reading(0, 900 * Mi, { psiFullAvg10: 30 }));
  assert.equal(b.observe(reading(1000, 5 * Gi, { psiFullAvg10: 30 })).snapshotDue, true);
  assert.equal(b.state.mode, 'burst');
  assert.deepEqual(types(b.observe(reading(2000, 5 * Gi, { psiFullAvg10: 1 })).events), ['burst_end']);
});

test('while recovering the burst keeps snapshotting with a trigger that says so', () => {
  const b = new BurstController(policy);
  b.observe(reading(0, 900 * Mi));
  b.snapshotTaken(0);
  const o = b.observe(reading(1000, 3 * Gi));
  assert.equal(o.snapshotDue, true);
  assert.equal(o.trigger, 'burst: recovering');
});

test('threshold crossings: starting below is reported, starting above is not; back above needs a 1% margin; no repeats', () => {
  const b = new BurstController({ ...policy, softBytes: 800 * Mi });
  const first = b.observe(reading(0, 700 * Mi));
  const crossed = first.events.filter((e) => e.type === 'threshold_crossing').map((e) => (e.type === 'threshold_crossing' ? `${e.details.signal}/${e.details.threshold}/${e.details.direction}` : ''));
  assert.deepEqual(crossed, ['memory.available/soft/below', 'memory.available/burst-at/below']);
  assert.equal(b.observe(reading(1000, 600 * Mi)).events.length, 0, 'still below: no repeat');
  const hard = b.observe(reading(2000, 400 * Mi, { memAvailableBytes: 450 * Mi })).events;
  assert.deepEqual(hard.map((e) => (e.type === 'threshold_crossing' ? `${e.details.signal}/${e.details.threshold}/${e.details.direction}` : e.type)), ['memory.available/hard/below', 'MemAvailable/hard/below']);
  const ev = hard[0]!;
  assert.ok(ev.type === 'threshold_crossing');
  assert.equal(ev.details.valueBytes, 400 * Mi);
  assert.equal(ev.details.thresholdBytes, 500 * Mi);
  // Just above hard (within 1% of 10Gi = 102Mi): not yet back above.
  assert.equal(b.observe(reading(3000, 550 * Mi)).events.filter((e) => e.type === 'threshold_crossing').length, 1, 'only MemAvailable (4Gi) came back above');
  const back = b.observe(reading(4000, 700 * Mi)).events;
  assert.deepEqual(back.map((e) => (e.type === 'threshold_crossing' ? `${e.details.threshold}/${e.details.direction}` : e.type)), ['hard/above']);
  const none = new BurstController(policy);
  assert.equal(none.observe(reading(0, 5 * Gi)).events.length, 0);
});

test('setPolicy changes thresholds without ending the burst in progress', () => {
  const b = new BurstController(policy);
  b.observe(reading(0, 900 * Mi));
  b.setPolicy({ ...policy, burstAtBytes: 800 * Mi });
  assert.equal(b.state.mode, 'burst');
  assert.equal(b.getPolicy().burstAtBytes, 800 * Mi);
});
