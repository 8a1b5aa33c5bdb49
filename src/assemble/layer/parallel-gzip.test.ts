import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { crc32, gunzipSync, inflateRawSync } from 'node:zlib';
import { compressStandalone, RUN_FORMAT, type CompressedRun } from './standalone-run.ts';
import { parallelGzip } from './parallel-gzip.ts';
import type { TarSegment } from './tar-segments.ts';

async function gzipAll(data: Buffer, chunk: number, concurrency: number, level = 6): Promise<Buffer> {
  async function* source(): AsyncGenerator<TarSegment> {
    for (let i = 0; i < data.length; i += chunk) yield { kind: 'context', bytes: data.subarray(i, i + chunk) };
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
      // every block ends on a byte boundary; one empty final block closes the stream
      assert.deepEqual([...gz.subarray(-13, -8)], [0x01, 0x00, 0x00, 0xff, 0xff]);
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
    async function* broken(): AsyncGenerator<TarSegment> {
      yield { kind: 'context', bytes: Buffer.from('ok') };
      throw new Error('source broke');
    }
    await assert.rejects(async () => {
      for await (const _ of parallelGzip(broken(), { level: 6 })) void _;
    }, /source broke/);
  });
});

describe('parallelGzip standalone segments', () => {
  const text = Buffer.from(Array.from({ length: 40_000 }, (_, i) => `row ${i % 977}: standalone content\n`).join(''));
  const big = Buffer.concat([text, randomBytes(300_000), text]); // > 1 MiB: several pieces

  async function gzipSegments(segments: readonly TarSegment[], concurrency = 2): Promise<Buffer> {
    async function* source(): AsyncGenerator<TarSegment> {
      yield* segments;
    }
    const parts: Buffer[] = [];
    for await (const b of parallelGzip(source(), { level: 3, concurrency })) parts.push(b);
    return Buffer.concat(parts);
  }

  const layout = (given: (data: Buffer) => CompressedRun | undefined): TarSegment[] =>
    [
      { kind: 'context', bytes: text.subarray(0, 5000) },
      { kind: 'standalone', bytes: big, compressed: given(big) },
      { kind: 'context', bytes: text.subarray(5000, 9000) },
      { kind: 'standalone', bytes: text, compressed: given(text) },
      { kind: 'context', bytes: Buffer.alloc(1024) },
    ].map((s) => (s.kind === 'standalone' && s.compressed === undefined ? { kind: 'standalone', bytes: s.bytes } : s) as TarSegment);
  const whole = Buffer.concat(layout(() => undefined).map((s) => s.bytes));

  test('a run made on another thread (as the image builder prepares them) gives the same bytes as compressing here', async () => {
    const plain = await gzipSegments(layout(() => undefined));
    assert.ok(gunzipSync(plain).equals(whole));
    assert.ok(execFileSync('gzip', ['-dc'], { input: plain, maxBuffer: 64 << 20 }).equals(whole));
    assert.ok((await gzipSegments(layout((d) => compressStandalone(d, 3)), 1)).equals(plain));
    assert.ok((await gzipSegments(layout(() => undefined), 7)).equals(plain));
  });

  test('a given run is taken as is at its level and format, and ignored at any other', async () => {
    const plain = await gzipSegments(layout(() => undefined));
    // a marker run: if it were used the layer would be garbage, so equal bytes prove it was not
    const bogus = (level: number, format: string) => (d: Buffer): CompressedRun => ({ bytes: Buffer.from('not a run'), crc: crc32(d), level, format });
    assert.ok((await gzipSegments(layout(bogus(6, RUN_FORMAT)))).equals(plain), 'another level');
    assert.ok((await gzipSegments(layout(bogus(3, 'r0-old')))).equals(plain), 'another format');
    assert.ok((await gzipSegments(layout(bogus(3, RUN_FORMAT)))).includes(Buffer.from('not a run')), 'the same level and format: taken as given');
  });

  test("a standalone run depends on its content alone, wherever it falls in the layer", async () => {
    const run = compressStandalone(big, 3).bytes;
    const elsewhere = await gzipSegments([{ kind: 'context', bytes: randomBytes(70_000) }, { kind: 'standalone', bytes: big }]);
    assert.ok(elsewhere.includes(run), 'the same run, byte for byte, after other content');
    // and it is a deflate stream of its own: with a final block it inflates to the content
    assert.ok(inflateRawSync(Buffer.concat([run, Buffer.from([1, 0, 0, 0xff, 0xff])])).equals(big));
  });
});
