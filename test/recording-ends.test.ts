// How recordings end, with the real recorder as a child process on a copy of a fixture node whose boot id the
// test changes (a reboot, as the recorder sees one): kill -9 is an unclean_stop, a new boot id without a stop a
// reboot, pstore's records of the crashed boot are stored once; then every report command with --boot and
// memrec postmortem on what was recorded. Last, the crash guarantee: a snapshot whose id the recorder logged
// (after its commit returned) is in the database after kill -9, however soon after the line it came.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { PreviousEndDetails, PstoreDetails } from '../src/model/types.js';
import { fixture } from './helpers/paths.js';
import { RecorderProcess, withStore } from './helpers/recorder.js';
import { runMain } from './helpers/run.js';

const ALL = { since: 0, until: Number.MAX_SAFE_INTEGER };
const BOOT_A = '3c9f5e2a-8b1d-4f6e-9a7c-2d4b6e8f0a1c'; // the v1-cgroupfs tree's own
const BOOT_B = '5b0e7c1d-2f3a-4b5c-8d6e-7f8091a2b3c4';
const BOOT_C = 'c4d5e6f7-0819-4a2b-9c3d-4e5f60718293';

const dir = mkdtempSync(path.join(tmpdir(), 'memrec-ends-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const emptyConfig = path.join(dir, 'empty.yaml');
writeFileSync(emptyConfig, '');

/** A node of its own: the v1 fixture tree, whose boot id and pstore the test controls. */
function node(name: string): string {
  const tree = path.join(dir, name);
  cpSync(fixture('v1-cgroupfs'), tree, { recursive: true, verbatimSymlinks: true });
  return tree;
}

function setBoot(tree: string, bootId: string): void {
  writeFileSync(path.join(tree, 'proc/sys/kernel/random/boot_id'), `${bootId}\n`);
}

function recorder(db: string, tree: string, extra: string[] = []): RecorderProcess {
  return new RecorderProcess(['--db', db, '--host-root', tree, '--kmsg', '/dev/null', '--config', emptyConfig, '--debug', ...extra]);
}


/** Start, wait for a stored snapshot, end it with `signal`. */
async function run(db: string, tree: string, signal: NodeJS.Signals): Promise<RecorderProcess> {
  const r = recorder(db, tree);
  await r.waitFor(/msg="snapshot stored"/);
  const exit = await r.stop(signal);
  assert.equal(signal === 'SIGKILL' ? exit.signal : exit.code, signal === 'SIGKILL' ? 'SIGKILL' : 0, r.out);
  return r;
}

test('kill -9 is an unclean_stop, another boot without a stop a reboot, a clean stop before a reboot a clean reboot; pstore stored once', async () => {
  const tree = node('tree-ends');
  const db = path.join(dir, 'ends.db');
  await run(db, tree, 'SIGTERM'); // 1: clean
  await run(db, tree, 'SIGKILL'); // 2: killed
  const r3 = await run(db, tree, 'SIGKILL'); // 3: tells of 2, then the node "crashes"
  assert.match(r3.out, /level=warn msg="unclean stop" previous-pid=\d+ previous-boot=3c9f5e2a-8b1d-4f6e-9a7c-2d4b6e8f0a1c last-snapshot=\S+ gap=\d+m?s/);
  const crashAt = withStore(db, (s) => s.lastSnapshotAt()!.at) + 100;
  while (Date.now() <= crashAt) await new Promise((r) => setTimeout(r, 20)); // the node comes back after it went down
  // the node comes back: another boot id, and pstore holds the crashed kernel's log, written at the crash
  setBoot(tree, BOOT_B);
  mkdirSync(path.join(tree, 'sys/fs'), { recursive: true });
  cpSync(fixture('pstore/sys/fs/pstore'), path.join(tree, 'sys/fs/pstore'), { recursive: true, verbatimSymlinks: true });
  for (const f of ['dmesg-ramoops-0', 'console-ramoops-0', 'dmesg-efi-172640712101001', 'dmesg-efi-172640712102001']) utimesSync(path.join(tree, 'sys/fs/pstore', f), crashAt / 1000, crashAt / 1000);
  const r4 = await run(db, tree, 'SIGTERM'); // 4: tells of the reboot and stores pstore
  assert.match(r4.out, /level=warn msg=reboot .*clean-stop=false/);
  assert.equal(r4.out.match(/msg="pstore record"/g)?.length, 3, r4.out);
  const r5 = await run(db, tree, 'SIGTERM'); // 5: same boot, clean before: nothing to tell, pstore already stored
  assert.doesNotMatch(r5.out, /unclean stop|msg=reboot|pstore record/);
  setBoot(tree, BOOT_C);
  const r6 = await run(db, tree, 'SIGTERM'); // 6: a planned reboot after a clean stop
  assert.match(r6.out, /level=warn msg=reboot .*clean-stop=true/);

  withStore(db, (s) => {
    const ends = s.events(ALL, ['unclean_stop', 'reboot']);
    assert.deepEqual(ends.map((e) => [e.type, e.bootId]), [['unclean_stop', BOOT_A], ['reboot', BOOT_B], ['reboot', BOOT_C]]);
    const [unclean, crash, planned] = ends.map((e) => e.details as PreviousEndDetails & { cleanStop?: boolean });
    assert.deepEqual([unclean!.previousBootId, crash!.previousBootId, crash!.cleanStop, planned!.previousBootId, planned!.cleanStop], [BOOT_A, BOOT_A, false, BOOT_B, true]);
    // the gap is from the last snapshot before the restart to the restart
    const starts = s.events(ALL, ['recorder_start']);
    assert.equal(starts.length, 6);
    const snapsBefore3 = s.snapshots({ since: 0, until: starts[2]!.at - 1 });
    assert.equal(unclean!.lastSnapshotAt, new Date(snapsBefore3.at(-1)!.takenAt).toISOString());
    assert.equal(unclean!.gapMs, ends[0]!.at - snapsBefore3.at(-1)!.takenAt);
    // pstore: three records of boot A (Part2 of the oops holds nothing of interest), dated at the crash
    const pstore = s.events(ALL, ['pstore']);
    assert.deepEqual(pstore.map((e) => [(e.details as PstoreDetails).file, e.bootId, e.at]), [
      ['console-ramoops-0', BOOT_A, crashAt],
      ['dmesg-efi-172640712101001', BOOT_A, crashAt],
      ['dmesg-ramoops-0', BOOT_A, crashAt],
    ]);
    assert.deepEqual(s.boots().map((b) => b.bootId), [BOOT_A, BOOT_B, BOOT_C]);
    assert.deepEqual(s.boots().map((b) => b.lastAt >= b.firstAt), [true, true, true]);
    assert.equal(s.boots()[0]!.lastAt, crashAt, "the crash is the end of boot A's recording");
    for (const snap of s.snapshots(ALL)) assert.ok([BOOT_A, BOOT_B, BOOT_C].includes(snap.bootId!));
  });

  // the reports, by boot
  const boots = withStore(db, (s) => s.boots());
  const json = async <T>(args: string[]): Promise<T> => {
    const r = await runMain([...args, '--db', db]);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  };
  const evA = await json<Array<{ type: string; bootId: string | null; at: string }>>(['events', '--boot', '-2', '--format', 'json']);
  assert.ok(evA.length > 0 && evA.every((e) => Date.parse(e.at) >= boots[0]!.firstAt && Date.parse(e.at) <= boots[0]!.lastAt));
  assert.deepEqual(evA.filter((e) => e.type === 'pstore').map((e) => e.bootId), [BOOT_A, BOOT_A, BOOT_A]);
  const rowsB = await json<Array<{ bootId: string }>>(['query', '--boot', '-1', '--format', 'json']);
  assert.ok(rowsB.length > 0 && rowsB.every((r) => r.bootId === BOOT_B));
  const rowsFirst = await json<Array<{ bootId: string }>>(['query', '--boot', '1', '--top', '1', '--format', 'json']);
  assert.ok(rowsFirst.every((r) => r.bootId === BOOT_A));
  assert.deepEqual(new Set((await json<Array<{ bootId: string }>>(['query', '--boot', BOOT_C.slice(0, 8), '--format', 'json'])).map((r) => r.bootId)), new Set([BOOT_C]));
  const tl = await json<{ since: string; until: string; points: unknown[] }>(['timeline', '--boot', '0', '--format', 'json']);
  assert.deepEqual([Date.parse(tl.since), Date.parse(tl.until)], [boots[2]!.firstAt, boots[2]!.lastAt]);
  const cul = await json<{ snapshots: number }>(['culprits', '--boot', '-1', '--format', 'json']);
  assert.equal(cul.snapshots, withStore(db, (s) => s.snapshots({ since: boots[1]!.firstAt, until: boots[1]!.lastAt }).length));
  // --since narrows inside the boot; outside it, one line and exit 2
  const mid = Math.round((boots[0]!.firstAt + boots[0]!.lastAt) / 2);
  const narrowed = await json<{ since: string; until: string }>(['timeline', '--boot', '-2', '--since', `@${mid / 1000}`, '--format', 'json']);
  assert.deepEqual([Date.parse(narrowed.since), Date.parse(narrowed.until)], [mid, boots[0]!.lastAt]);
  const apart = await runMain(['events', '--boot', '-2', '--since', `@${(boots[2]!.firstAt) / 1000}`, '--db', db]);
  assert.equal(apart.code, 2);
  assert.match(apart.stderr, /^memrec events: --boot -2 \(3c9f5e2a, recorded .*\) and .* do not overlap\n$/);
  const none = await runMain(['query', '--boot', '-3', '--db', db]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /^memrec query: --boot -3: no such boot; recorded boots: -2 3c9f5e2a .*, -1 5b0e7c1d .*, 0 c4d5e6f7 .*; expected 0 /);
  const exported = path.join(dir, 'boot-a.json');
  const ex = await runMain(['export', '--boot', '-2', '--out', exported, '--db', db]);
  assert.equal(ex.code, 0, ex.stderr);
  const bundle = JSON.parse(readFileSync(exported, 'utf8')) as { since: string; until: string; events: Array<{ type: string }> };
  assert.deepEqual([Date.parse(bundle.since), Date.parse(bundle.until)], [boots[0]!.firstAt, boots[0]!.lastAt]);
  assert.equal(bundle.events.filter((e) => e.type === 'pstore').length, 3);

  // postmortem: the last unclean end is boot A's crash (boot B's end was a clean stop before a planned reboot)
  const html = path.join(dir, 'crash.html');
  const pm = await runMain(['postmortem', '--window', '10m', '--out', html, '--tz', 'UTC', '--db', db]);
  assert.equal(pm.code, 0, pm.stderr);
  const lines = pm.stdout.split('\n');
  assert.match(lines[0]!, /^Postmortem \S+ \S+ → \S+ \S+ \(UTC\), the last 10m of the recording$/);
  assert.match(lines[1]!, /^The recording of boot -2 \(3c9f5e2a-8b1d-4f6e-9a7c-2d4b6e8f0a1c\) ended at \S+ \S+ without a recorder stop, and the node booted again \(boot 5b0e7c1d\): it went down \(last snapshot \S+ \S+; nothing recorded for .* after it\)\.$/);
  assert.match(pm.stdout, /^The kernel's log kept across the reboot \(pstore\)$/m);
  assert.match(pm.stdout, /^\S+ \S+ {2}the previous kernel's log in pstore dmesg-ramoops-0 \(Panic#1 Part1\) of boot 3c9f5e2a: 1 OOM kill \(java pid 2140\), then Kernel panic - not syncing: Out of memory/m);
  assert.match(pm.stdout, /^ {4}\[ 8911\.102279\] Kernel panic - not syncing: Out of memory: compulsory panic_on_oom is enabled$/m);
  assert.match(pm.stdout, /^OOM kills in the window\nnone recorded$/m);
  assert.match(pm.stdout, /^Culprits /m);
  assert.match(pm.stdout, /^The last snapshot, \S+ \S+ \(scheduled\): its largest processes\n +PID +COMM +RSS +OWNER +CMDLINE\n *4120 +updatedb\.mlocate +17\.5Gi +service cron\.service /m);
  for (const columns of [80, 200]) {
    const narrow = await runMain(['postmortem', '--window', '10m', '--tz', 'UTC', '--db', db], { columns });
    assert.equal(narrow.code, 0, narrow.stderr);
    // postmortem's own parts (the timeline and culprits are those commands' renderers)
    const [head = '', rest = ''] = narrow.stdout.split('\nTimeline\n');
    const own = [head, rest.slice(rest.indexOf('\nThe last snapshot'))].join('\n').replace(/\x1b\[[0-9;]*m/g, '');
    const wide = own.split('\n').filter((l) => [...l].length > columns);
    assert.deepEqual(wide, [], `fits ${columns} columns`);
    assert.match(narrow.stdout.replace(/\s+/g, ' '), /the node booted again \(boot 5b0e7c1d\): it went down/);
  }
  assert.equal(statSync(html).mode & 0o777, 0o600);
  assert.match(readFileSync(html, 'utf8'), /<h1>Memory postmortem/);
  assert.match(pm.stdout, new RegExp(`memrec postmortem: wrote ${html.replace(/[.]/g, '\\.')} \\(html, `));
  // an explicit boot: the latest ended with a clean stop
  const latest = await runMain(['postmortem', '--boot', '0', '--db', db]);
  assert.equal(latest.code, 0, latest.stderr);
  assert.match(latest.stdout.split('\n')[1]!, /^The recording of boot 0 \(c4d5e6f7-0819-4a2b-9c3d-4e5f60718293\) ended at .* with a clean recorder stop \(last snapshot /);
  assert.doesNotMatch(latest.stdout, /pstore/);
  // bad input: one line, exit 2; an existing --out is kept
  for (const [args, re] of [
    [['--window', '0'], /^memrec postmortem: --window "0": expected a duration like 10m, 30m, 1h or 90s\n$/],
    [['--boot', 'x'], /^memrec postmortem: --boot "x": expected 0 \(the latest boot recorded\)/],
    [['--boot', '7'], /^memrec postmortem: --boot 7: no such boot; recorded boots: /],
    [['--out', html], /^memrec postmortem: --out .*crash\.html: already exists; pass --force to replace it\n$/],
  ] as const) {
    const r = await runMain(['postmortem', ...args, '--db', db]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
});

test('postmortem on a recording that always stopped cleanly says so and exits 1', async () => {
  const tree = node('tree-clean');
  const db = path.join(dir, 'clean.db');
  await run(db, tree, 'SIGTERM');
  await run(db, tree, 'SIGTERM');
  const r = await runMain(['postmortem', '--db', db]);
  assert.deepEqual([r.code, r.stdout], [1, '']);
  assert.equal(r.stderr, 'memrec postmortem: no recording ended uncleanly: every recorder stop was clean and no unclean_stop or reboot without a stop is recorded (use --boot N for the end of a given boot)\n');
});

test('a snapshot the recorder logged as stored is in the database after kill -9 right after that line, 8 times', async () => {
  const tree = node('tree-crash');
  const db = path.join(dir, 'crash.db');
  const acknowledged: number[] = [];
  for (let i = 0; i < 8; i++) {
    // permanent burst: a snapshot every 100 ms
    const r = recorder(db, tree, ['--burst-at', '100%', '--burst-interval', '100ms', '--watch-interval', '100ms']);
    const killAfter = 1 + (i % 4);
    let seen = 0;
    let buf = '';
    const killed = new Promise<number>((resolve) => {
      r.child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        const ids = [...buf.matchAll(/level=debug msg="snapshot stored" id=(\d+) /g)].map((m) => Number(m[1]));
        if (ids.length >= killAfter && seen === 0) {
          seen = ids.length;
          r.child.kill('SIGKILL'); // at once, in the same tick the line arrived
          resolve(ids[ids.length - 1]!);
        }
      });
    });
    const id = await killed;
    const exit = await r.exit();
    assert.equal(exit.signal, 'SIGKILL');
    acknowledged.push(...[...buf.matchAll(/msg="snapshot stored" id=(\d+) /g)].map((m) => Number(m[1])));
    assert.ok(acknowledged.includes(id));
    const raw = new Database(db, { readonly: true });
    try {
      assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok');
      const stored = new Set(raw.prepare('SELECT id FROM snapshots').pluck().all() as number[]);
      for (const a of acknowledged) assert.ok(stored.has(a), `snapshot ${a} was logged as stored and is gone after kill -9 (run ${i + 1})`);
    } finally {
      raw.close();
    }
  }
  // and every kill is told at the next start
  const last = recorder(db, tree);
  await last.waitFor(/msg="snapshot stored"/);
  await last.stop('SIGTERM');
  withStore(db, (s) => assert.equal(s.events(ALL, ['unclean_stop']).length, 8));
});
