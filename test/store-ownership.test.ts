// The unit runs the recorder as a DynamicUser; root running `memrec query` must not leave root-owned
// -wal/-shm files behind that the recorder then cannot open. SQLite hands them to the database's owner.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chownSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Store } from '../src/store/store.js';
import { snapshot } from './helpers/snapshots.js';

const NOBODY = 65534;

test('root reading a database owned by another user leaves its -wal and -shm owned by that user', { skip: process.getuid?.() !== 0 && 'needs root' }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'memrec-own-'));
  try {
    const file = path.join(dir, 'memrec.db');
    const w = Store.open(file);
    w.writeSnapshot(snapshot(1_700_000_000_000));
    w.close();
    for (const f of readdirSync(dir)) chownSync(path.join(dir, f), NOBODY, NOBODY);
    chownSync(dir, NOBODY, NOBODY);

    const r = Store.open(file, { readonly: true });
    assert.equal(r.stats().snapshotsByKind.scheduled, 1);
    const during = readdirSync(dir);
    r.close();
    assert.ok(during.includes('memrec.db-shm'), `a WAL reader maps the -shm file: ${during.join(' ')}`);
    for (const f of readdirSync(dir)) {
      assert.equal(statSync(path.join(dir, f)).uid, NOBODY, `${f} belongs to the database owner`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
