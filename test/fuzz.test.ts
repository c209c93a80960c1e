// Property-based fuzzing of every parser (test/fuzz/properties.ts): generated inputs and mutations of the real
// fixture files each give a value with finite numbers or memrec's own one-line error, never another exception,
// never a hang. FUZZ_RUNS sets the inputs per property (default 300: the whole file in well under a minute);
// FUZZ_SEED replays a failure (fast-check prints the seed and the shrunk input).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { PROPERTIES } from './fuzz/properties.js';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 300);
const SEED = process.env['FUZZ_SEED'] === undefined ? undefined : Number(process.env['FUZZ_SEED']);
/** An input that has not returned after this long is a hang: the worker is ended and the input named. */
const HANG_MS = 20_000;

function runProperty(name: string): Promise<{ inputs: number }> {
  return new Promise((resolve, reject) => {
    // the main thread's stack (V8's default, 984 KiB), not a worker's 4 MiB: recursion must fail where memrec's would
    const worker = new Worker(new URL('./fuzz/worker.js', import.meta.url), { workerData: { name, runs: RUNS, seed: SEED }, resourceLimits: { stackSizeMb: 0.96 } });
    let last = '(none yet)';
    let lastAt = Date.now();
    const watchdog = setInterval(() => {
      if (Date.now() - lastAt < HANG_MS) return;
      clearInterval(watchdog);
      void worker.terminate();
      reject(new Error(`${name}: no answer after ${HANG_MS} ms on input ${last}`));
    }, 500);
    worker.on('message', (m: { beat?: string; done?: number; error?: string }) => {
      if (m.beat !== undefined) {
        last = m.beat;
        lastAt = Date.now();
      } else {
        clearInterval(watchdog);
        void worker.terminate();
        if (m.error !== undefined) reject(new Error(m.error));
        else resolve({ inputs: m.done ?? 0 });
      }
    });
    worker.on('error', (err) => {
      clearInterval(watchdog);
      reject(err);
    });
  });
}

for (const name of Object.keys(PROPERTIES)) {
  test(`fuzz ${name}: a value or memrec's own one-line error, for every input`, async (t) => {
    const { inputs } = await runProperty(name);
    t.diagnostic(`${inputs} inputs`);
    assert.ok(inputs >= Math.min(RUNS, 10), `only ${inputs} inputs ran`);
  });
}
