import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { credentialsFor, loadCredentials, normalizeRegistryKey, parseDockerConfig } from './docker-config.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

void describe('docker config.json credentials', () => {
  void test('auth as base64 user:password, or username + password; keys normalised to host[:port]', () => {
    const store = parseDockerConfig(
      JSON.stringify({
        auths: {
          'https://index.docker.io/v1/': { auth: b64('hub:se:cret') },
          'registry.example.com:5000': { username: 'alice', password: 'pw' },
          'http://Local.Test:8080/path': { auth: b64('bob:x') },
          'ghcr.io': {},
        },
        credsStore: 'desktop',
      }),
      'config.json',
    );
    assert.deepEqual(credentialsFor(store, 'docker.io'), { username: 'hub', password: 'se:cret' });
    assert.deepEqual(credentialsFor(store, 'registry.example.com:5000'), { username: 'alice', password: 'pw' });
    assert.deepEqual(credentialsFor(store, 'local.test:8080'), { username: 'bob', password: 'x' });
    assert.equal(credentialsFor(store, 'ghcr.io'), undefined);
    assert.equal(credentialsFor(store, 'registry.example.com'), undefined);
  });

  void test('normalizeRegistryKey', () => {
    assert.equal(normalizeRegistryKey('https://index.docker.io/v1/'), 'index.docker.io');
    assert.equal(normalizeRegistryKey('127.0.0.1:5000'), '127.0.0.1:5000');
  });

  void test('bad files are CONFIG_INVALID naming the file and field', () => {
    assert.throws(() => parseDockerConfig('{', '/x/config.json'), { code: 'CONFIG_INVALID', message: /\/x\/config\.json: not valid JSON/ });
    assert.throws(() => parseDockerConfig('{"auths":{"h":{"auth":"bm9jb2xvbg=="}}}', 'c.json'), {
      code: 'CONFIG_INVALID',
      message: /auths\["h"\]\.auth/,
    });
    assert.throws(() => parseDockerConfig('{"auths":{"h":{"auth":5}}}', 'c.json'), { code: 'CONFIG_INVALID', message: /auths\.h\.auth/ });
  });

  void describe('where credentials are found', () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'kiln-dockercfg-'));
      await mkdir(join(dir, 'home', '.docker'), { recursive: true });
      await mkdir(join(dir, 'dockercfg'), { recursive: true });
      await writeFile(join(dir, 'home', '.docker', 'config.json'), JSON.stringify({ auths: { a: { auth: b64('home:1') }, b: { auth: b64('home:2') } } }));
      await writeFile(join(dir, 'dockercfg', 'config.json'), JSON.stringify({ auths: { a: { auth: b64('env:1') } } }));
      await writeFile(join(dir, 'auth.json'), JSON.stringify({ auths: { b: { username: 'podman', password: '3' } } }));
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    void test('~/.docker/config.json by default', async () => {
      const store = await loadCredentials({ env: {}, home: join(dir, 'home') });
      assert.deepEqual(credentialsFor(store, 'a'), { username: 'home', password: '1' });
    });

    void test('$DOCKER_CONFIG replaces ~/.docker; REGISTRY_AUTH_FILE comes first', async () => {
      const store = await loadCredentials({
        env: { DOCKER_CONFIG: join(dir, 'dockercfg'), REGISTRY_AUTH_FILE: join(dir, 'auth.json') },
        home: join(dir, 'home'),
      });
      assert.deepEqual(credentialsFor(store, 'a'), { username: 'env', password: '1' });
      assert.deepEqual(credentialsFor(store, 'b'), { username: 'podman', password: '3' });
    });

    void test('an explicit path is the only file read, and must exist', async () => {
      const store = await loadCredentials({ path: join(dir, 'auth.json'), env: { DOCKER_CONFIG: join(dir, 'dockercfg') } });
      assert.equal(credentialsFor(store, 'a'), undefined);
      await assert.rejects(loadCredentials({ path: join(dir, 'missing.json') }), { code: 'NOT_FOUND', message: /missing\.json/ });
    });
  });
});
