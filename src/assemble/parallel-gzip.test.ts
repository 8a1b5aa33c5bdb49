import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { parallelGzip } from './parallel-gzip.ts';

async function gzipAll(data: Buffer, chunk: number, concurrency: number, level = 6): Promise<Buffer> {
  async function* source() {
    for (let i = 0; i < data.length; i += chunk) yield data.subarray(i, i + chunk);
  }
  const parts: Buffer[] = [];
  for await (const b of parallelGzip(source(), { level, concurrency })) parts.push(b);
  return Buffer.concat(parts);
}

describe('parallelGzip', () => {
  const text = Buffer.from(Array.from({ length: 60_000 }, (_, i) => `line ${i % 613}: the quick brown fox\n`).join(''));
  const mixed = Buffer.concat([text, randomBytes(700_000), text.subarray(0, 12_345)]);

  test('one gzip member that node and GNU gzip decompress, for empty, tiny and multi-block input', async () => {
    for (const data of [Buffer.alloc(0), Buffer.from('x'), mixed]) {
      const gz = await gzipAll(data, 256 * 1024, 2);
      assert.ok(gunzipSync(gz).equals(data));
      assert.ok(execFileSync('gzip', ['-dc'], { input: gz, maxBuffer: 64 << 20 }).equals(data));
      assert.deepEqual([...gz.subarray(0, 10)], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
    }
  });

  test('the bytes do not depend on how many blocks run at once', async () => {
    const one = await gzipAll(mixed, 256 * 1024, 1);
    for (const n of [2, 3, 8]) assert.ok((await gzipAll(mixed, 256 * 1024, n)).equals(one));
    // priming each block with the previous window keeps the ratio near a single stream's
    assert.ok(one.length < mixed.length * 0.5);
  });

  test('random data is stored, not deflated, wherever it falls, and still reads back', async () => {
    const random = randomBytes(1_500_000);
    for (const data of [random, Buffer.concat([text, random]), Buffer.concat([random, text]), Buffer.concat([text, random, text])]) {
      const gz = await gzipAll(data, 1024 * 1024, 2, 3);
      assert.ok(gunzipSync(gz).equals(data));
      assert.ok(execFileSync('gzip', ['-dc'], { input: gz, maxBuffer: 64 << 20 }).equals(data));
      assert.ok((await gzipAll(data, 1024 * 1024, 1, 3)).equals(gz));
    }
    // stored blocks cost 5 bytes per 64 KiB: nothing like deflate's bookkeeping on noise
    const gz = await gzipAll(random, 1024 * 1024, 2, 3);
    assert.ok(gz.length < random.length + 200, `${gz.length} bytes for ${random.length} random bytes`);
    // the stored bytes are the data itself, passed through
    assert.ok(gz.includes(random.subarray(100_000, 100_064)));
  });

  test('a failing source fails the stream', async () => {
    async function* broken() {
      yield Buffer.from('ok');
      throw new Error('source broke');
    }
    await assert.rejects(async () => {
      for await (const _ of parallelGzip(broken(), { level: 6 })) void _;
    }, /source broke/);
  });
});
