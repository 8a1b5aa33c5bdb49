import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { generateKeyPairSync } from 'node:crypto';
import { isKilnError } from '../../errors/index.ts';
import { envelopeSignatureValid, generateImageSigningKey, loadSigningKey, loadVerificationKey, parseSigningKey, parseVerificationKey, preAuthEncoding, signEnvelope, writeImageSigningKeyFiles } from './index.ts';

function throwsKeyInvalid(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e) => isKilnError(e) && e.code === 'KEY_INVALID' && message.test(e.message));
}

void describe('image signing keys and DSSE', () => {
  test('generate, encrypt with a passphrase, load back; the key id is the SPKI hash', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kiln-keys-'));
    try {
      const k = generateImageSigningKey({ passphrase: 's3cret' });
      assert.match(k.privatePem, /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
      assert.match(k.publicPem, /^-----BEGIN PUBLIC KEY-----/);
      await writeFile(join(dir, 'k'), k.privatePem);
      await writeFile(join(dir, 'p'), 's3cret\n');
      await writeFile(join(dir, 'pub'), k.publicPem);
      const loaded = await loadSigningKey(join(dir, 'k'), { passphraseFile: join(dir, 'p') });
      assert.equal(loaded.keyId, k.keyId);
      assert.equal((await loadVerificationKey(join(dir, 'pub'))).keyId, k.keyId);
      const files = await writeImageSigningKeyFiles(join(dir, 'keys'), { passphrase: 'pw' });
      assert.equal((await stat(files.privatePath)).mode & 0o777, 0o600);
      assert.equal((await loadSigningKey(files.privatePath, { passphrase: 'pw' })).keyId, files.keyId);
      await assert.rejects(writeImageSigningKeyFiles(join(dir, 'keys')), /already exists/);
      await assert.rejects(loadSigningKey(join(dir, 'missing')), (e) => isKilnError(e) && e.code === 'KEY_INVALID' && /cannot read it \(ENOENT\)/.test(e.message));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('malformed keys, wrong passphrases and other key types are KEY_INVALID with the reason', () => {
    const k = generateImageSigningKey({ passphrase: 'right' });
    throwsKeyInvalid(() => parseSigningKey(k.privatePem, 'k.pem', 'wrong'), /k\.pem: the passphrase is wrong or the key is damaged/);
    throwsKeyInvalid(() => parseSigningKey(k.privatePem, 'k.pem'), /k\.pem: the key is encrypted; give its passphrase/);
    throwsKeyInvalid(() => parseSigningKey('hello', 'k.pem'), /k\.pem: expected a PEM private key/);
    throwsKeyInvalid(() => parseSigningKey('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', 'k.pem'), /k\.pem: not a readable private key/);
    throwsKeyInvalid(() => parseVerificationKey('-----BEGIN PUBLIC KEY-----\nbm90\n-----END PUBLIC KEY-----\n', 'p.pem'), /p\.pem: not a readable public key/);
    throwsKeyInvalid(() => parseVerificationKey(k.privatePem, 'p.pem'), /p\.pem: expected a PEM public key/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    throwsKeyInvalid(() => parseVerificationKey(rsa, 'rsa.pem'), /rsa\.pem: expected an ECDSA P-256 key, found rsa/);
  });

  test('DSSE: PAE as the spec gives it; a changed payload type breaks the signature', () => {
    assert.equal(preAuthEncoding('http://example.com/HelloWorld', Buffer.from('hello world')).toString(), 'DSSEv1 29 http://example.com/HelloWorld 11 hello world');
    const k = generateImageSigningKey();
    const key = parseSigningKey(k.privatePem, 'k');
    const env = signEnvelope('application/vnd.in-toto+json', Buffer.from('{}'), key);
    assert.ok(envelopeSignatureValid(env, key.publicKey));
    assert.ok(!envelopeSignatureValid({ ...env, payloadType: 'text/plain' }, key.publicKey));
    assert.ok(!envelopeSignatureValid(env, parseVerificationKey(generateImageSigningKey().publicPem, 'o').publicKey));
  });
});
