import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { KilnError } from '../errors/index.ts';
import { HashingStream, VerifyingStream, digestOf, isDigest, parseDigest, verifyContent, type Digest } from './digest.ts';

const HELLO = 'sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824';

function sink(): Writable {
  return new Writable({ write: (_c, _e, done) => done() });
}

describe('digest', () => {
  test('parses sha256 and sha512, refuses the rest with DIGEST_INVALID', () => {
    assert.equal(parseDigest(HELLO), HELLO);
    assert.ok(isDigest(`sha512:${'a'.repeat(128)}`));
    for (const bad of ['', 'sha256:abc', HELLO.toUpperCase(), `md5:${'a'.repeat(32)}`, `${HELLO}\n`, `sha512:${'a'.repeat(64)}`]) {
      assert.throws(() => parseDigest(bad, 'manifest.config.digest'), (e: unknown) => {
        assert.ok(e instanceof KilnError);
        assert.equal(e.code, 'DIGEST_INVALID');
        assert.match(e.message, /manifest\.config\.digest/);
        return true;
      });
    }
  });

  test('digestOf hashes bytes', () => {
    assert.equal(digestOf('hello'), HELLO);
    assert.match(digestOf('hello', 'sha512'), /^sha512:[0-9a-f]{128}$/);
  });

  test('HashingStream reports digest and size of what passed through', async () => {
    const h = new HashingStream();
    await pipeline(Readable.from([Buffer.from('hel'), Buffer.from('lo')]), h, sink());
    assert.equal(h.digest, HELLO);
    assert.equal(h.size, 5);
  });

  test('VerifyingStream passes matching content', async () => {
    await pipeline(Readable.from([Buffer.from('hello')]), new VerifyingStream(HELLO as Digest, 5, 'test'), sink());
  });

  test('VerifyingStream fails on wrong content, short content and long content', async () => {
    const run = (data: string, size?: number) =>
      pipeline(Readable.from([Buffer.from(data)]), new VerifyingStream(HELLO as Digest, size, 'http://x/blob'), sink());
    await assert.rejects(run('hellO'), { code: 'DIGEST_MISMATCH', message: /http:\/\/x\/blob: content hashes to sha256:/ });
    await assert.rejects(run('hell', 5), { code: 'SIZE_MISMATCH' });
    await assert.rejects(run('hello!', 5), { code: 'SIZE_MISMATCH' });
  });

  test('verifyContent checks size before digest', () => {
    assert.doesNotThrow(() => verifyContent(Buffer.from('hello'), HELLO as Digest, 5, 'x'));
    assert.throws(() => verifyContent(Buffer.from('hello'), HELLO as Digest, 4, 'x'), { code: 'SIZE_MISMATCH' });
    assert.throws(() => verifyContent(Buffer.from('hallo'), HELLO as Digest, 5, 'x'), { code: 'DIGEST_MISMATCH' });
  });
});
