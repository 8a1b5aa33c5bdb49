import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import * as openpgp from 'openpgp';
import { KilnError } from '../../errors/index.ts';
import { runFetch } from './fetch-step.ts';
import { type TestDirs, type TestServer, helloEntries, makeDirs, makeTarGz, startServer, testContext } from './test-fixtures.ts';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

type TestKey = { readonly publicKey: string; readonly privateKey: openpgp.PrivateKey };

async function generate(name: string): Promise<TestKey> {
  // curve25519 keys: generated in milliseconds
  const { publicKey, privateKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name, email: `${name}@example.org` }], format: 'armored' });
  return { publicKey, privateKey: await openpgp.readPrivateKey({ armoredKey: privateKey }) };
}

async function sign(key: TestKey, data: Uint8Array, armor: boolean): Promise<Buffer> {
  const message = await openpgp.createMessage({ binary: data });
  if (armor) return Buffer.from(await openpgp.sign({ message, signingKeys: key.privateKey, detached: true, format: 'armored' }));
  return Buffer.from(await openpgp.sign({ message, signingKeys: key.privateKey, detached: true, format: 'binary' }));
}

let upstream: TestKey;
let stranger: TestKey;
let tarball: Buffer;
let tampered: Buffer;
let server: TestServer;
let dirs: TestDirs;

before(async () => {
  [upstream, stranger] = await Promise.all([generate('upstream'), generate('stranger')]);
  tarball = await makeTarGz(helloEntries());
  tampered = await makeTarGz([...helloEntries(), { name: 'hello-1.0/backdoor', content: 'evil' }]);
  server = await startServer({
    '/hello-1.0.tar.gz': tarball,
    '/hello-1.0.tar.gz.sig': await sign(upstream, tarball, false),
    '/hello-1.0.tar.gz.asc': await sign(upstream, tarball, true),
    '/tampered.tar.gz': tampered,
    '/tampered.tar.gz.sig': await sign(upstream, tarball, false),
    '/stranger.tar.gz.sig': await sign(stranger, tarball, false),
  });
});
after(() => server.close());
beforeEach(async () => {
  await dirs?.cleanup();
  dirs = await makeDirs();
  await mkdir(join(dirs.recipeDir, 'keys'));
  await writeFile(join(dirs.recipeDir, 'keys/upstream.asc'), upstream.publicKey);
  server.requests.length = 0;
});
after(() => dirs.cleanup());

const signed = (over: Record<string, string> = {}): Record<string, string> => ({
  uri: `${server.url}/hello-1.0.tar.gz`,
  'expected-sha256': sha256(tarball),
  'signature-uri': `${server.url}/hello-1.0.tar.gz.sig`,
  'signature-keys': 'keys/upstream.asc',
  ...over,
});

function signatureError(pattern: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof KilnError, String(e));
    assert.equal(e.code, 'SIGNATURE_INVALID', e.message);
    assert.match(e.message, pattern);
    return true;
  };
}

describe('fetch with a detached signature', () => {
  test('a good binary or armored signature by a pinned key passes', async () => {
    const r = await runFetch(signed(), testContext(dirs));
    assert.equal(r.signature?.fingerprint, (await openpgp.readKey({ armoredKey: upstream.publicKey })).getFingerprint().toUpperCase());
    assert.ok(r.extracted);
    const r2 = await runFetch(signed({ 'signature-uri': `${server.url}/hello-1.0.tar.gz.asc`, directory: 'again' }), testContext(dirs));
    assert.ok(r2.signature);
  });

  test('a verified signature is remembered: a rebuild needs no network at all', async () => {
    await runFetch(signed(), testContext(dirs));
    const before = server.requests.length;
    const r = await runFetch(signed({ directory: 'offline' }), testContext(dirs, { offline: true }));
    assert.equal(r.origin, 'cache');
    assert.ok(r.signature);
    assert.equal(server.requests.length, before);
  });

  test('kiln source add --signature seeds both: an offline build then verifies without a server', async () => {
    const file = join(dirs.root, 'hello-1.0.tar.gz');
    await writeFile(file, tarball);
    await writeFile(`${file}.asc`, await sign(upstream, tarball, true));
    const cli = spawnSync(process.execPath, [join(import.meta.dirname, '../../cli/main.ts'), 'source', 'add', file, '--signature', `${file}.asc`, '--state', dirs.state], {
      encoding: 'utf8',
    });
    assert.equal(cli.status, 0, cli.stderr);
    const r = await runFetch(signed({ uri: 'https://upstream.invalid/hello-1.0.tar.gz', 'signature-uri': 'https://upstream.invalid/hello-1.0.tar.gz.sig' }), testContext(dirs, { offline: true }));
    assert.equal(r.origin, 'cache');
    assert.ok(r.signature);
    assert.equal(server.requests.length, 0);
  });

  test('a tampered tarball fails the signature and nothing is extracted', async () => {
    await assert.rejects(
      runFetch(signed({ uri: `${server.url}/tampered.tar.gz`, 'expected-sha256': sha256(tampered), 'signature-uri': `${server.url}/tampered.tar.gz.sig` }), testContext(dirs)),
      signatureError(/does not verify/),
    );
    assert.deepEqual(await readdir(dirs.workspace), []);
  });

  test('a signature by a key that is not pinned is refused, naming the key', async () => {
    const strangerId = (await openpgp.readKey({ armoredKey: stranger.publicKey })).getKeyID().toHex().toUpperCase();
    await assert.rejects(
      runFetch(signed({ 'signature-uri': `${server.url}/stranger.tar.gz.sig` }), testContext(dirs)),
      signatureError(new RegExp(`key ID ${strangerId}, which is not among the pinned keys`)),
    );
    assert.deepEqual(await readdir(dirs.workspace), []);
  });

  test('a missing signature is an error, not a pass', async () => {
    await assert.rejects(runFetch(signed({ 'signature-uri': `${server.url}/none.sig` }), testContext(dirs)), signatureError(/no signature/));
    assert.deepEqual(await readdir(dirs.workspace), []);
  });

  test('key files must stay inside the recipe directory, also through symlinks', async () => {
    await writeFile(join(dirs.root, 'outside.asc'), upstream.publicKey);
    await symlink(join(dirs.root, 'outside.asc'), join(dirs.recipeDir, 'keys/link.asc'));
    for (const keys of ['../outside.asc', '/etc/passwd', 'keys/link.asc']) {
      await assert.rejects(runFetch(signed({ 'signature-keys': keys }), testContext(dirs)), { code: 'PATH_UNSAFE' }, keys);
    }
    // refused before anything was downloaded
    assert.equal(server.requests.length, 0);
  });

  test('a key file that is not a public key is KEY_INVALID; signature-uri without keys is refused', async () => {
    await writeFile(join(dirs.recipeDir, 'keys/junk.asc'), 'not a key');
    await assert.rejects(runFetch(signed({ 'signature-keys': 'keys/junk.asc' }), testContext(dirs)), { code: 'KEY_INVALID' });
    await assert.rejects(runFetch(signed({ 'signature-keys': '' }), testContext(dirs)), { code: 'PIPELINE_INVALID', message: /signature-keys/ });
  });
});
