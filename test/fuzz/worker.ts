// Runs one property of properties.ts in a worker thread, so that an input that never returns can be given up
// on (the test's watchdog terminates the worker). Posts { beat } before each input, then { done } or { error }.
import { parentPort, workerData } from 'node:worker_threads';
import { PROPERTIES } from './properties.js';

const { name, runs, seed } = workerData as { name: string; runs: number; seed: number | undefined };
const port = parentPort!;
let inputs = 0;
try {
  const property = PROPERTIES[name];
  if (property === undefined) throw new Error(`no property ${name}`);
  property({ runs, seed, beat: (input) => port.postMessage({ beat: input, n: ++inputs }) });
  port.postMessage({ done: inputs });
} catch (err) {
  // fast-check's message has the seed and the shrunk input; the property's own error is its cause
  const cause = err instanceof Error && err.cause instanceof Error ? `\ncause: ${err.cause.message}` : '';
  port.postMessage({ error: `${err instanceof Error ? err.message : String(err)}${cause}` });
}
