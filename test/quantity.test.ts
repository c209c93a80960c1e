import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, parseQuantity } from '../src/model/quantity.js';
import { parseEvictionSpec, parseGracePeriodSpec, resolveThreshold } from '../src/model/thresholds.js';
import { InputError } from '../src/errors.js';

test('parseQuantity follows the Kubernetes grammar', () => {
  const cases: Array<[string, number]> = [
    ['500Mi', 500 * 2 ** 20],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['1Ki', 1024],
    ['2Ti', 2 * 2 ** 40],
    ['1Pi', 2 ** 50],
    ['1Ei', 2 ** 60],
    ['100m', 0.1],
    ['1k', 1000],
    ['1M', 1e6],
    ['2G', 2e9],
    ['1T', 1e12],
    ['1P', 1e15],
    ['1E', 1e18],
    ['1e3', 1000],
    ['1E3', 1000],
    ['5e-1', 0.5],
    ['123', 123],
    ['.5Gi', 0.5 * 2 ** 30],
    ['1.Mi', 2 ** 20],
    ['+1Ki', 1024],
    ['-1Mi', -(2 ** 20)],
    [' 500Mi ', 500 * 2 ** 20],
  ];
  for (const [s, want] of cases) assert.equal(parseQuantity(s), want, s);
});

test('parseQuantity rejects what the grammar does not allow, naming the input', () => {
  for (const s of ['5XB', '', 'Mi', '1.2.3Gi', '1mi', '1KiB', '1 Gi', '1e', 'ten', '1GB']) {
    assert.throws(() => parseQuantity(s), (err: unknown) => err instanceof InputError && err.message.includes(JSON.stringify(s)), s);
  }
});

test('formatBytes uses binary units, three significant digits, unknown for null', () => {
  const cases: Array<[number | null, string]> = [
    [null, 'unknown'],
    [0, '0B'],
    [512, '512B'],
    [1024, '1Ki'],
    [1.5 * 2 ** 30, '1.5Gi'],
    [-200 * 2 ** 20, '-200Mi'],
    [500 * 2 ** 20, '500Mi'],
    [10886156288, '10.1Gi'],
    [1023.99 * 1024, '1Mi'],
    [2 ** 60, '1Ei'],
  ];
  for (const [n, want] of cases) assert.equal(formatBytes(n), want, String(n));
});

test('parseEvictionSpec reads the kubelet flag syntax; bad syntax names the origin', () => {
  assert.deepEqual([...parseEvictionSpec('memory.available<500Mi,nodefs.available<10%', 'x')], [
    ['memory.available', '500Mi'],
    ['nodefs.available', '10%'],
  ]);
  assert.deepEqual([...parseEvictionSpec(' memory.available < 1Gi ,,', 'x')], [['memory.available', '1Gi']]);
  assert.deepEqual([...parseGracePeriodSpec('memory.available=1m30s', 'x')], [['memory.available', '1m30s']]);
  assert.throws(() => parseEvictionSpec('memory.available=500Mi', 'kubelet pid 9 --eviction-hard'), /kubelet pid 9 --eviction-hard: "memory.available=500Mi": expected signal<value/);
  assert.throws(() => parseEvictionSpec('<500Mi', 'o'), /no signal name/);
});

test('resolveThreshold computes bytes as the kubelet does', () => {
  const cap = 16757972992;
  assert.equal(resolveThreshold('500Mi', cap, 'kubelet-flag', 'o').bytes, 524288000);
  // Quantity.Value() rounds up
  assert.equal(resolveThreshold('100m', cap, 'kubelet-flag', 'o').bytes, 1);
  // float32 percentage, truncated: 8% of this capacity is 1340637809, not the exact 1340637839.36
  assert.equal(resolveThreshold('8%', cap, 'kubelet-config', 'o').bytes, 1340637809);
  assert.equal(resolveThreshold('10%', 1000, 'kubelet-config', 'o').bytes, 100);
  // 0% and 100% are ignored by the kubelet: no threshold
  const none = resolveThreshold('0%', cap, 'kubelet-config', 'o');
  assert.equal(none.bytes, 0);
  assert.match(none.origin, /ignored by the kubelet/);
  assert.equal(resolveThreshold('100%', cap, 'kubelet-config', 'o').bytes, 0);
  const t = resolveThreshold('1.5Gi', cap, 'memrec-flag', 'memrec --hard');
  assert.deepEqual(t, { raw: '1.5Gi', bytes: 1610612736, source: 'memrec-flag', origin: 'memrec --hard' });
  for (const bad of ['0', '-1Mi', '5XB', '101%', '-5%', 'x%', '']) {
    assert.throws(() => resolveThreshold(bad, cap, 'memrec-flag', 'memrec --hard'), (err: unknown) => err instanceof InputError && err.message.startsWith('memrec --hard: '), bad);
  }
});
