// ps-list and pidusage are not collectors (see README "Libraries and why"), but they are independent
// readers of the same kernel: a second opinion on what the collector records for live processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import psList from 'ps-list';
import pidusage from 'pidusage';
import { Collector } from '../src/sources/collector.js';
import { resolveRoots } from '../src/sources/roots.js';

const MiB = 1024 * 1024;

test('the collector agrees with ps-list (pid, ppid, uid, name, cmdline) and pidusage (RSS) on live processes', async () => {
  // two holders with known, distinct RSS so both rank in the top N on any machine
  const holders = [96, 64].map((mb) =>
    spawn(process.execPath, ['-e', `const b = Buffer.alloc(${mb} * 1048576, 1); console.log('ready'); setInterval(() => b[0]++, 1e6)`, `memrec-xcheck-${mb}`], {
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  );
  try {
    await Promise.all(holders.map((h) => once(h.stdout!, 'data')));
    const collected = new Collector({ roots: resolveRoots({}), top: 1000 }).collect();
    const [listed, usage] = await Promise.all([psList({ all: true }), pidusage(holders.map((h) => h.pid!))]);
    for (const [i, h] of holders.entries()) {
      const mine = collected.processes.find((p) => p.pid === h.pid);
      const theirs = listed.find((p) => p.pid === h.pid);
      assert.ok(mine, `collector saw pid ${h.pid}`);
      assert.ok(theirs, `ps-list saw pid ${h.pid}`);
      assert.equal(mine.ppid, theirs.ppid);
      assert.equal(mine.uid, theirs.uid);
      assert.equal(mine.comm, theirs.name);
      assert.equal(mine.cmdline, theirs.cmd);
      const rss = usage[String(h.pid)]!.memory;
      const mb = [96, 64][i]!;
      assert.ok(mine.rssBytes >= mb * MiB, `pid ${h.pid} holds ${mb} MiB: collector says ${mine.rssBytes}`);
      // both read the same kernel counters moments apart; an idle holder moves by a few pages at most
      assert.ok(Math.abs(mine.rssBytes - rss) <= 4 * MiB, `pid ${h.pid}: collector ${mine.rssBytes} vs pidusage ${rss}`);
    }
  } finally {
    for (const h of holders) h.kill('SIGKILL');
  }
});
