import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { deflateRawSync } from 'node:zlib';
import { looksIncompressible } from './incompressible.ts';

const SEGMENT = 64 * 1024;

describe('looksIncompressible', () => {
  const text = Buffer.from(Array.from({ length: 8000 }, (_, i) => `line ${i}: static int kiln_layer(void) { return ${i % 97}; }\n`).join('')).subarray(0, SEGMENT);

  test('random and already-compressed bytes are incompressible', () => {
    assert.equal(looksIncompressible(randomBytes(SEGMENT), 0, SEGMENT), true);
    // deflate output of something compressible (base64: 6 bits a byte) is near-uniform bytes
    const gz = deflateRawSync(Buffer.from(randomBytes(2 * SEGMENT).toString('base64')), { level: 9 });
    assert.ok(gz.length >= SEGMENT);
    assert.equal(looksIncompressible(gz, 0, Math.min(gz.length, SEGMENT)), true);
  });

  test('text, zeros, machine-code-like tables and half-random ranges are not', () => {
    assert.equal(looksIncompressible(text, 0, SEGMENT), false);
    assert.equal(looksIncompressible(Buffer.alloc(SEGMENT), 0, SEGMENT), false);
    const skewed = Buffer.from(Array.from({ length: SEGMENT }, (_, i) => (i % 7 === 0 ? i & 0xff : i % 16)));
    assert.equal(looksIncompressible(skewed, 0, SEGMENT), false);
    const half = Buffer.concat([text.subarray(0, SEGMENT / 2), randomBytes(SEGMENT / 2)]);
    assert.equal(looksIncompressible(half, 0, SEGMENT), false);
  });

  test('judges only the range asked about, and leaves short ranges to deflate', () => {
    const data = Buffer.concat([text, randomBytes(SEGMENT)]);
    assert.equal(looksIncompressible(data, 0, SEGMENT), false);
    assert.equal(looksIncompressible(data, SEGMENT, 2 * SEGMENT), true);
    assert.equal(looksIncompressible(randomBytes(8 * 1024), 0, 8 * 1024), false);
  });

  test('the same bytes give the same answer every time', () => {
    const data = randomBytes(3 * SEGMENT);
    const first = [0, 1, 2].map((i) => looksIncompressible(data, i * SEGMENT, (i + 1) * SEGMENT));
    for (let n = 0; n < 3; n++) assert.deepEqual([0, 1, 2].map((i) => looksIncompressible(data, i * SEGMENT, (i + 1) * SEGMENT)), first);
  });
});
