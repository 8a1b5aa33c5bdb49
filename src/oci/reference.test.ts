import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatImageRef, isLoopbackHost, isValidRepositoryName, isValidTag, parseImageRef } from './reference.ts';

const D = `sha256:${'ab'.repeat(32)}`;

describe('image references', () => {
  test('registry references with tag, digest, port and nested repositories', () => {
    assert.deepEqual(parseImageRef('localhost:5000/library/nginx:1.27.4'), {
      kind: 'registry', host: 'localhost:5000', repository: 'library/nginx', tag: '1.27.4',
    });
    assert.deepEqual(parseImageRef(`registry.example.com/app@${D}`), {
      kind: 'registry', host: 'registry.example.com', repository: 'app', digest: D,
    });
    assert.deepEqual(parseImageRef(`127.0.0.1:5000/a/b:t@${D}`), {
      kind: 'registry', host: '127.0.0.1:5000', repository: 'a/b', tag: 't', digest: D,
    });
    assert.deepEqual(parseImageRef('[::1]:5000/x'), { kind: 'registry', host: '[::1]:5000', repository: 'x' });
  });

  test('layout references', () => {
    assert.deepEqual(parseImageRef('oci:./out:v1'), { kind: 'layout', dir: './out', tag: 'v1' });
    assert.deepEqual(parseImageRef('oci:/tmp/img'), { kind: 'layout', dir: '/tmp/img' });
    assert.deepEqual(parseImageRef(`oci:/tmp/img@${D}`), { kind: 'layout', dir: '/tmp/img', digest: D });
    assert.equal(formatImageRef(parseImageRef('oci:/tmp/x:y')), 'oci:/tmp/x:y');
  });

  test('bad references are errors that say what was expected', () => {
    assert.throws(() => parseImageRef('nginx'), { code: 'REFERENCE_INVALID', message: /HOST\[:PORT\]\/REPOSITORY/ });
    assert.throws(() => parseImageRef('localhost:5000/Upper'), { code: 'NAME_INVALID' });
    assert.throws(() => parseImageRef('localhost:5000/a/../b'), { code: 'NAME_INVALID' });
    assert.throws(() => parseImageRef('localhost:5000/a:-bad'), { code: 'TAG_INVALID' });
    assert.throws(() => parseImageRef('localhost:5000/a@sha256:12'), { code: 'DIGEST_INVALID' });
    assert.throws(() => parseImageRef('oci::tag'), { code: 'REFERENCE_INVALID' });
    assert.throws(() => parseImageRef(`localhost/${'a'.repeat(256)}`), { code: 'NAME_INVALID', message: /over the limit of 255/ });
  });

  test('name and tag grammar of distribution-spec', () => {
    for (const ok of ['a', 'a/b', 'a-b', 'a--b', 'a__b', 'a.b/c_d', 'x'.repeat(255)]) assert.ok(isValidRepositoryName(ok), ok);
    for (const bad of ['', 'A', 'a/', '/a', 'a//b', '..', 'a/..', 'a_-b', 'a.', '-a', 'x'.repeat(256)]) {
      assert.ok(!isValidRepositoryName(bad), bad);
    }
    for (const ok of ['latest', '1.27.4-202503070038', '_x', 'A'.repeat(128)]) assert.ok(isValidTag(ok), ok);
    for (const bad of ['', '.x', '-x', 'a/b', 'A'.repeat(129), 'a b']) assert.ok(!isValidTag(bad), bad);
  });

  test('loopback hosts use plain HTTP', () => {
    for (const h of ['localhost', 'localhost:5000', '127.0.0.1:5000', '127.1.2.3', '[::1]:80']) assert.ok(isLoopbackHost(h), h);
    for (const h of ['example.com', '10.0.0.1:5000', 'localhost.example.com', '128.0.0.1']) assert.ok(!isLoopbackHost(h), h);
  });
});
