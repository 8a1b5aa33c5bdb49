import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { crc32 } from 'node:zlib';
import { crc32Combine } from './crc32-combine.ts';

test('crc32Combine gives the CRC-32 of the two byte strings joined', () => {
  for (const [a, b] of [
    [randomBytes(1000), randomBytes(777)],
    [Buffer.alloc(0), randomBytes(5)],
    [randomBytes(5), Buffer.alloc(0)],
    [Buffer.from('hello '), Buffer.from('world')],
    [randomBytes(3 << 20), randomBytes((1 << 20) + 3)],
  ] as const) {
    assert.equal(crc32Combine(crc32(a), crc32(b), b.length), crc32(Buffer.concat([a, b])), `${a.length} + ${b.length}`);
  }
  // many pieces in turn, as a layer's blocks are
  const pieces = Array.from({ length: 50 }, (_, i) => randomBytes(1 + i * 997));
  let crc = 0;
  for (const p of pieces) crc = crc32Combine(crc, crc32(p), p.length);
  assert.equal(crc, crc32(Buffer.concat(pieces)));
});

test('lengths beyond 4 GiB combine too (no 32-bit overflow in the length)', () => {
  // appending 2^32 zero bytes to A, computed as 2^31 twice, must equal one combine over 2^32
  const a = crc32(Buffer.from('abc'));
  const zeros31 = crc32Combine(0, 0, 2 ** 31); // the CRC of 2^31 zeros is 0 for a zero start
  assert.equal(crc32Combine(crc32Combine(a, zeros31, 2 ** 31), zeros31, 2 ** 31), crc32Combine(a, 0, 2 ** 32));
});
