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
