import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { constants, crc32, deflateRawSync } from 'node:zlib';
import { DeflateRunCache, findRun, keepRun, type DeflateRunKey } from './deflate-run-cache.ts';
import { FINAL_EMPTY_BLOCK } from '../layer/standalone-run.ts';
import { verifyRunEntry } from './verify-run-entry.ts';
import { tempDirs } from '../../testing/index.ts';

const tempDir = tempDirs('kiln-runs-');

const content = Buffer.from(Array.from({ length: 20_000 }, (_, i) => `line ${i}\n`).join(''));
/** A run as the layer makes one: raw deflate, sync-flushed, no final block. */
const runOf = (data: Uint8Array): Buffer => deflateRawSync(data, { level: 3, finishFlush: constants.Z_SYNC_FLUSH });
/** Any 20 bytes do as the lookup key: the content decides. */
const keyOf = (data: Uint8Array): DeflateRunKey => ({ sha1: Buffer.from(Buffer.from(data.subarray(0, 64)).toString('hex').slice(0, 40), 'hex'), level: 3, format: 'test' });

/** Files under the cache directory (not the fan-out directories). */
async function entriesIn(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const fan of await readdir(dir)) for (const name of await readdir(join(dir, fan))) out.push(join(dir, fan, name));
  return out;
}

describe('verifyRunEntry', () => {
  const run = runOf(content);
  const entry = Buffer.concat([run, FINAL_EMPTY_BLOCK]);

  test('a run of exactly this content, ended by the final empty block, is taken, with the CRC-32 of the content', () => {
    assert.deepEqual(verifyRunEntry(entry, content), { runLength: run.length, crc: crc32(content) });
  });

  test('anything else is refused, with the reason', () => {
    const other = Buffer.from(content);
    other[100] = 0x41;
    const cases: [string, Buffer, RegExp][] = [
      ['other content', Buffer.concat([runOf(other), FINAL_EMPTY_BLOCK]), /other content/],
      ['cut short', Buffer.concat([run.subarray(0, run.length >> 1), FINAL_EMPTY_BLOCK]), /does not decompress|decompresses to \d+ bytes/],
      ['no final block', run, /final empty block/],
      // a final block before the end would end the whole layer there
      ['ends early', Buffer.concat([deflateRawSync(content, { level: 3 }), FINAL_EMPTY_BLOCK]), /ends before its last byte/],
      ['garbage', Buffer.concat([randomBytes(2000), FINAL_EMPTY_BLOCK]), /does not decompress|other content|bytes, not|ends before/],
      ['too large to be a run', Buffer.concat([Buffer.alloc(content.length * 2), FINAL_EMPTY_BLOCK]), /cannot be a run/],
      ['empty', Buffer.alloc(0), /cannot be a run/],
    ];
    for (const [what, bad, why] of cases) {
      const verdict = verifyRunEntry(bad, content);
      assert.ok('refused' in verdict, what);
      assert.match(verdict.refused, why, what);
    }
  });

  test('a run that reaches back before its start is refused (it would read the layer before it)', () => {
    const primed = deflateRawSync(content, { level: 3, dictionary: content.subarray(0, 32 * 1024), finishFlush: constants.Z_SYNC_FLUSH });
    assert.ok('refused' in verifyRunEntry(Buffer.concat([primed, FINAL_EMPTY_BLOCK]), content));
  });
});

describe('findRun and keepRun', () => {
  test('a kept run is found again, in a private directory; another level or content is missing', async () => {
    const dir = join(await tempDir(), 'cache');
    assert.equal(findRun(dir, keyOf(content), content), 'missing');
    keepRun(dir, keyOf(content), content.length, runOf(content));
    const found = findRun(dir, keyOf(content), content);
    assert.ok(typeof found !== 'string');
    assert.ok(found.bytes.equals(runOf(content)));
    assert.deepEqual([found.crc, found.level, found.format], [crc32(content), 3, 'test']);
    assert.equal(findRun(dir, { ...keyOf(content), level: 4 }, content), 'missing');
    assert.equal(findRun(dir, keyOf(content), content.subarray(1)), 'missing', 'the length is part of the name');
    const [entry] = await entriesIn(dir);
    assert.equal(((await stat(entry as string)).mode & 0o777).toString(8), '600');
    assert.equal(((await stat(join(dir, (await readdir(dir))[0] as string))).mode & 0o777).toString(8), '700');
  });

  test('a tampered entry is refused, never returned; keeping the good run replaces it', async () => {
    const dir = join(await tempDir(), 'cache');
    keepRun(dir, keyOf(content), content.length, runOf(content));
    const [entry] = await entriesIn(dir);
    const evil = Buffer.from(content);
    evil.write('rm -rf /', 0);
    // a well-formed run, of other bytes: what an attacker with write access would plant
    await writeFile(entry as string, Buffer.concat([runOf(evil), FINAL_EMPTY_BLOCK]));
    assert.equal(findRun(dir, keyOf(content), content), 'refused');
    keepRun(dir, keyOf(content), content.length, runOf(content));
    assert.ok(typeof findRun(dir, keyOf(content), content) !== 'string');
    assert.ok((await readFile(entry as string)).equals(Buffer.concat([runOf(content), FINAL_EMPTY_BLOCK])));
  });
});

describe('DeflateRunCache', () => {
  test('adds up what the reader threads report', async () => {
    const cache = await DeflateRunCache.open(join(await tempDir(), 'cache'));
    cache.record({ hits: 2, misses: 1, refused: 1, kept: 1, keepFailures: 0, keptBytes: 10 });
    cache.record({ hits: 3, misses: 0, refused: 0, kept: 0, keepFailures: 1, keptBytes: 0 });
    assert.deepEqual(await cache.settle(), { hits: 5, misses: 1, refused: 1, kept: 1, keepFailures: 1, pruned: 0 });
  });

  test('pruning removes the entries used longest ago, and stale temporary files, once the cache passes its limit', async () => {
    const dir = join(await tempDir(), 'cache');
    const cache = await DeflateRunCache.open(dir, { maxBytes: 180_000 });
    const pieces = Array.from({ length: 6 }, () => randomBytes(40_000));
    const keep = (p: Buffer): void => {
      keepRun(dir, keyOf(p), p.length, runOf(p));
      cache.record({ hits: 0, misses: 1, refused: 0, kept: 1, keepFailures: 0, keptBytes: runOf(p).length });
    };
    for (const p of pieces.slice(0, 3)) keep(p);
    await cache.settle(); // ~120 kB: under the limit; six would be ~240 kB, four fit under 90% of it
    assert.equal((await entriesIn(dir)).length, 3);
    // make all old, then use the first: the second is now the longest unused
    const old = new Date(Date.now() - 3 * 3600_000);
    for (const f of await entriesIn(dir)) await utimes(f, old, old);
    const stale = join(dir, (await readdir(dir))[0] as string, '.tmp-1-abc');
    await writeFile(stale, 'half an entry');
    await utimes(stale, old, old);
    assert.ok(typeof findRun(dir, keyOf(pieces[0] as Buffer), pieces[0] as Buffer) !== 'string');
    for (const p of pieces.slice(3)) keep(p);
    const stats = await cache.settle();
    const left = await entriesIn(dir);
    const total = (await Promise.all(left.map(async (f) => (await stat(f)).size))).reduce((a, b) => a + b, 0);
    assert.ok(total <= 180_000 * 0.9, `${total} bytes left`);
    assert.equal(stats.pruned, 2);
    assert.ok(!left.includes(stale), 'a crashed writer’s temporary file goes');
    assert.ok(typeof findRun(dir, keyOf(pieces[0] as Buffer), pieces[0] as Buffer) !== 'string', 'the recently used entry stays');
    assert.equal(findRun(dir, keyOf(pieces[1] as Buffer), pieces[1] as Buffer), 'missing', 'the longest unused goes first');
  });
});
