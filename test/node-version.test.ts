// bin.js refuses a Node older than memrec needs with one line, before loading anything of memrec.
// The version is faked by a preload that redefines process.versions.node (a real Node 18, Debian 12's,
// runs bin.js in test/systemd-boot.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { memrecBin, repoRoot } from './helpers/paths.js';

function runAs(version: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'memrec-node-version-'));
  try {
    const fake = path.join(dir, 'fake.cjs');
    // also fails loudly if anything of memrec beyond bin.js is loaded while refusing
    writeFileSync(fake, `Object.defineProperty(process.versions, 'node', { value: ${JSON.stringify(version)} });\n`);
    const r = spawnSync(process.execPath, ['--require', fake, memrecBin, ...args], { encoding: 'utf8', timeout: 30_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const old of ['18.19.0', '19.9.0', '12.22.12', '0.10.48']) {
  test(`Node ${old} is refused with one line naming the node binary and the way out, exit 1`, () => {
    const r = runAs(old, ['--version']);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.equal(
      r.stderr,
      `memrec: needs Node.js 20 or newer, but ${process.execPath} is Node.js ${old}; install Node.js 20 (README, "Install": NodeSource on Debian/Ubuntu, dnf module nodejs:20 on RHEL)\n`,
    );
  });
}

test('the refusal also stops the recorder: `record` with an old Node stores nothing and says the same line', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'memrec-node-version-db-'));
  try {
    const r = runAs('18.19.0', ['record', '--db', path.join(dir, 'm.db')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^memrec: needs Node\.js 20 or newer, but .* is Node\.js 18\.19\.0; /);
    assert.equal(r.stderr.split('\n').length, 2);
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const ok of ['20.0.0', '22.11.0', '24.1.0']) {
  test(`Node ${ok} passes the check and memrec runs`, () => {
    const r = runAs(ok, ['--version']);
    assert.equal(r.stderr, '');
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^memrec \d+\.\d+\.\d+\n$/);
  });
}

test("the required major is package.json's engines.node, and bin.js imports nothing statically", () => {
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { engines: { node: string } };
  assert.equal(pkg.engines.node, '>=20');
  const src = readFileSync(memrecBin, 'utf8').replace(/^\s*\/\/.*$/gm, '');
  assert.match(src, /^const REQUIRED_MAJOR = 20;$/m);
  // a static import is loaded before the check runs; anything newer than ES2019 stops an old Node parsing it
  assert.doesNotMatch(src, /^import /m);
  assert.doesNotMatch(src, /\?\.|\?\?|^await /m);
});
