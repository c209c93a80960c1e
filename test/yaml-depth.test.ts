// Deeply nested YAML, found by fuzzing: the yaml package's recursion overflows V8's stack, and in node's main
// thread the second such overflow aborts the process. memrec measures the nesting before parsing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MAX_YAML_NESTING, yamlTooDeep } from '../src/model/yaml-depth.js';
import { fixture } from './helpers/paths.js';
import { RecorderProcess, until, withStore } from './helpers/recorder.js';
import { runCli } from './helpers/run.js';

const deepFlow = (n: number): string => `${'['.repeat(n)}1${']'.repeat(n)}`;

test('yamlTooDeep counts block, compact and flow levels, not brackets inside quotes or comments', () => {
  const max = MAX_YAML_NESTING;
  assert.equal(yamlTooDeep(`a: ${deepFlow(max - 1)}`), null, 'the mapping and 63 brackets: 64 levels');
  assert.deepEqual(yamlTooDeep(`a: ${deepFlow(max)}`), { line: 1, reason: `nested deeper than ${max} levels` });
  assert.deepEqual(yamlTooDeep(`${'- '.repeat(max + 1)}x`), { line: 1, reason: `nested deeper than ${max} levels` });
  const indented = Array.from({ length: max + 1 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' 1\n';
  assert.equal(yamlTooDeep(indented)?.line, max + 1, 'the line of the too deep mapping');
  assert.equal(yamlTooDeep(`a: "${'['.repeat(500)}"\nb: '${'{'.repeat(500)}' # ${'['.repeat(500)}\n`), null);
  assert.equal(yamlTooDeep(`# ${'['.repeat(500)}\nevictionHard: {memory.available: 500Mi}\n`), null);
  assert.equal(yamlTooDeep(''), null);
  for (const f of ['v2-systemd-containerd', 'hybrid-systemd']) assert.equal(yamlTooDeep(readFileSync(fixture(f, 'var/lib/kubelet/config.yaml'), 'utf8')), null);
  assert.equal(yamlTooDeep(readFileSync(fixture('v2-systemd-containerd', 'expected-snapshot.json'), 'utf8')), null, 'a JSON document of ordinary depth');
});

test('a kubelet config nested 5,000 deep is a warning at every snapshot, and the recorder keeps recording', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'memrec-deep-'));
  const rec: RecorderProcess[] = [];
  try {
    const tree = path.join(dir, 'node');
    cpSync(fixture('v2-systemd-containerd'), tree, { recursive: true, verbatimSymlinks: true });
    writeFileSync(path.join(tree, 'var/lib/kubelet/config.yaml'), `evictionHard: ${deepFlow(5000)}\n`);
    writeFileSync(path.join(dir, 'empty.yaml'), '');
    const db = path.join(dir, 'memrec.db');
    // a burst snapshot every 100 ms: each one reads the kubelet config again
    const r = new RecorderProcess(['--db', db, '--config', path.join(dir, 'empty.yaml'), '--host-root', tree, '--kmsg', '/dev/null', '--burst-at', '100%', '--burst-interval', '100ms', '--watch-interval', '100ms']);
    rec.push(r);
    await r.waitFor(/nested deeper than 64 levels/);
    await until('five snapshots', () => withStore(db, (s) => (s.stats().snapshotsByKind.burst >= 5 ? true : undefined)), 30_000);
    assert.deepEqual(await r.stop('SIGTERM'), { code: 0, signal: null }, r.out);
    assert.doesNotMatch(r.out, /FATAL|call stack/);
  } finally {
    for (const r of rec) await r.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('memrec.yaml nested 5,000 deep is refused in one line naming the file and line, exit 2', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'memrec-deep-'));
  try {
    const file = path.join(dir, 'memrec.yaml');
    writeFileSync(file, `top: 5\nredact-names: ${deepFlow(5000)}\n`);
    const r = runCli(['config', '--config', file]);
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`^[^\\n]*${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: [^\\n]*nested deeper than 64 levels\\n$`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
