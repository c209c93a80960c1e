import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runCli, runMain } from './helpers/run.js';
import { repoRoot } from './helpers/paths.js';
import path from 'node:path';

test('--version prints the package version', () => {
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  const r = runCli(['--version']);
  assert.equal(r.status, 0);
  assert.equal(r.stdout.trim(), `memrec ${pkg.version}`);
});

test('an unknown command exits 2 with one line naming it', async () => {
  const r = await runMain(['frobnicate']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command "frobnicate"/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});

test('no command prints usage and exits 2', async () => {
  const r = await runMain([]);
  assert.equal(r.code, 2);
  assert.match(r.stdout, /Usage: memrec <command>/);
});

test('a name of an Object property is an unknown command too, not a crash', async () => {
  for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
    const r = await runMain([name]);
    assert.equal(r.code, 2, `${name}: ${r.stderr}`);
    assert.equal(r.stderr, `memrec: unknown command "${name}"; expected one of memory, snapshot, record, status, config, query, culprits, timeline, events, export, postmortem, install-service, uninstall-service, man, completion\n`);
  }
});
