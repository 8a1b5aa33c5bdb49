import assert from 'node:assert/strict';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import bcrypt from 'bcryptjs';
import {
  makeImage,
  pushManifests,
  startDockerRegistry,
  startProxy,
  startTokenServer,
  type RunningProxy,
  type RunningRegistry,
  type TokenServer,
} from '../../testing/index.ts';
import { parseChallenges } from './auth.ts';
import { RegistryClient } from './client.ts';

void test('parseChallenges: quoted values with commas, several challenges', () => {
  const header = 'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push", Basic realm="x"';
  assert.deepEqual(parseChallenges(header), [
    { scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' } },
    { scheme: 'basic', params: { realm: 'x' } },
  ]);
  assert.deepEqual(parseChallenges('Basic realm=simple'), [{ scheme: 'basic', params: { realm: 'simple' } }]);
  assert.deepEqual(parseChallenges(''), []);
});

void describe('bearer token flow (fake token server, real docker-registry behind a gate)', () => {
  let registry: RunningRegistry;
  let tokens: TokenServer;
  let proxy: RunningProxy;
  before(async () => {
    registry = await startDockerRegistry();
    tokens = await startTokenServer({ credentials: { username: 'ci', password: 's3cret' } });
    proxy = await startProxy({ target: registry.url, intercept: tokens.gate });
  });
  after(async () => {
    await proxy?.close();
    await tokens?.close();
    await registry?.close();
  });

  void test('push and pull with tokens fetched from the realm, cached per scope', async () => {
    const client = new RegistryClient({ host: proxy.host, credentials: { username: 'ci', password: 's3cret' } });
    const image = makeImage();
    await pushManifests(client, 'auth/app', [image], 'v1');
    const got = await client.getManifest('auth/app', 'v1');
    assert.equal(got.digest, image.digest);
    for (const b of image.blobs) assert.ok((await client.readBlob('auth/app', b.digest, b.size)).equals(b.data));
    // one token for pushing, one for pulling; every other request reused them
    assert.deepEqual([...tokens.requests].sort(), ['repository:auth/app:pull', 'repository:auth/app:pull,push']);
    assert.ok(proxy.log.length > 8);
  });

  void test('concurrent requests share one token request', async () => {
    const client = new RegistryClient({ host: proxy.host, credentials: { username: 'ci', password: 's3cret' } });
    const before = tokens.requests.length;
    const results = await Promise.all(Array.from({ length: 20 }, () => client.headManifest('auth/app', 'v1')));
    assert.ok(results.every((r) => r !== undefined));
    assert.equal(tokens.requests.length - before, 1);
  });

  void test('the token server refusing the credentials is UNAUTHORIZED', async () => {
    const client = new RegistryClient({ host: proxy.host, credentials: { username: 'ci', password: 'wrong' } });
    await assert.rejects(client.getManifest('auth/app', 'v1'), { code: 'UNAUTHORIZED', message: /token from http:\/\/127\.0\.0\.1:[0-9]+\/token.*HTTP 401/ });
  });

  void test('anonymous pulls with tokens from an open token server (access_token field)', async () => {
    const open = await startTokenServer({ accessTokenField: true });
    const gated = await startProxy({ target: registry.url, intercept: open.gate });
    try {
      const client = new RegistryClient({ host: gated.host });
      await client.ping();
      assert.ok(await client.headManifest('auth/app', 'v1'));
      assert.deepEqual(open.requests, ['', 'repository:auth/app:pull']);
    } finally {
      await gated.close();
      await open.close();
    }
  });

  void test('without credentials, a token server that demands them gives UNAUTHORIZED', async () => {
    await assert.rejects(new RegistryClient({ host: proxy.host }).ping(), { code: 'UNAUTHORIZED' });
  });
});

void describe('basic auth (docker-registry with htpasswd)', () => {
  let registry: RunningRegistry;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiln-htpasswd-'));
    const htpasswd = join(dir, 'htpasswd');
    await writeFile(htpasswd, `alice:${bcrypt.hashSync('wonderland', 4)}\n`);
    registry = await startDockerRegistry({ htpasswd });
  });
  after(async () => {
    await registry?.close();
    await rm(dir, { recursive: true, force: true });
  });

  void test('credentials are sent after the Basic challenge and then kept', async () => {
    const client = new RegistryClient({ host: registry.host, credentials: { username: 'alice', password: 'wonderland' } });
    await client.ping();
    const image = makeImage();
    await pushManifests(client, 'basic/app', [image], 'v1');
    assert.equal((await client.getManifest('basic/app', 'v1')).digest, image.digest);
  });

  void test('no or wrong credentials are UNAUTHORIZED, naming the host', async () => {
    await assert.rejects(new RegistryClient({ host: registry.host }).ping(), { code: 'UNAUTHORIZED', message: new RegExp(registry.host) });
    const wrong = new RegistryClient({ host: registry.host, credentials: { username: 'alice', password: 'nope' } });
    await assert.rejects(wrong.getManifest('basic/app', 'v1'), { code: 'UNAUTHORIZED', message: /GET manifest v1 on 127\.0\.0\.1:[0-9]+\/basic\/app: HTTP 401/ });
  });
});
