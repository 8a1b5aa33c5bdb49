import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMarkedAsUntransferable } from 'node:worker_threads';
import { movableBytes } from './movable-bytes.ts';

test('movableBytes keeps a buffer that may move and copies one that may not', () => {
  const own = new Uint8Array(new ArrayBuffer(100), 10, 50);
  assert.equal(movableBytes(own), own, 'its own buffer, even at an offset: no copy');

  const pooled = Buffer.from('small bytes from the pool');
  assert.ok(isMarkedAsUntransferable(pooled.buffer));
  const moved = movableBytes(pooled);
  assert.notEqual(moved.buffer, pooled.buffer);
  assert.ok(!isMarkedAsUntransferable(moved.buffer));
  assert.deepEqual(Buffer.from(moved), pooled);
  structuredClone(moved, { transfer: [moved.buffer] }); // throws for the pool's buffer

  const kept = movableBytes(own, own.buffer);
  assert.notEqual(kept.buffer, own.buffer, 'a buffer that must stay is copied');
  assert.deepEqual([...kept], [...own]);
});
