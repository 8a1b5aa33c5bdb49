import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashSync } from 'bcryptjs';
import { digestOf } from '../oci/index.ts';
import { parseHtpasswd } from './auth-config.ts';
import { errorCode, pushBlob, startTestRegistry, type TestRegistry } from './test-kit.ts';

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const TOKEN = 'kiln-test-token-0123456789';

describe('registry auth', () => {
  let reg: TestRegistry;
  before(async () => {
    // cost 4 keeps the test fast; htpasswd -B writes $2y$, which must be accepted
    const hash = hashSync('s3cret', 4).replace(/^\$2b\$/, '$2y$');
    reg = await startTestRegistry({ auth: { users: parseHtpasswd(`# users\nalice:${hash}\n`, 'htpasswd'), tokens: [TOKEN] } });
  });
  after(async () => {
    await reg.stop();
  });

  test('a push without credentials is 401 with a Basic challenge', async () => {
    const res = await fetch(`${reg.url}/v2/private/blobs/uploads/`, { method: 'POST' });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), 'Basic realm="kiln"');
    assert.equal(await errorCode(res), 'UNAUTHORIZED');
    const del = await fetch(`${reg.url}/v2/private/manifests/latest`, { method: 'DELETE' });
    assert.equal(del.status, 401);
    await del.arrayBuffer();
  });

  test('wrong credentials are 401, and nothing is stored', async () => {
    for (const authorization of [basic('alice', 'wrong'), basic('mallory', 's3cret'), 'Bearer not-the-token', 'Digest xyz', 'Basic !!!']) {
      const res = await fetch(`${reg.url}/v2/private/blobs/uploads/?digest=${digestOf('x')}`, { method: 'POST', body: 'x', headers: { authorization } });
      assert.equal(res.status, 401, authorization);
      await res.arrayBuffer();
    }
    assert.equal((await fetch(`${reg.url}/v2/private/blobs/${digestOf('x')}`, { method: 'HEAD' })).status, 404);
  });

  test('right credentials push, by password and by token; anyone may pull', async () => {
    const a = await pushBlob(reg.url, 'private', 'by password', { authorization: basic('alice', 's3cret') });
    // again: the verdict cache answers, and must give the same verdict
    await pushBlob(reg.url, 'private', 'by password 2', { authorization: basic('alice', 's3cret') });
    const b = await pushBlob(reg.url, 'private', 'by token', { authorization: `Bearer ${TOKEN}` });
    assert.equal(await (await fetch(`${reg.url}/v2/private/blobs/${a}`)).text(), 'by password');
    assert.equal(await (await fetch(`${reg.url}/v2/private/blobs/${b}`)).text(), 'by token');
    assert.equal((await fetch(`${reg.url}/v2/`)).status, 200);
    // the base endpoint checks credentials when given, so that `docker login` can tell a typo
    assert.equal((await fetch(`${reg.url}/v2/`, { headers: { authorization: basic('alice', 's3cret') } })).status, 200);
    const typo = await fetch(`${reg.url}/v2/`, { headers: { authorization: basic('alice', 's3cert') } });
    assert.equal(typo.status, 401);
    await typo.arrayBuffer();
    // a cached success must not leak to a wrong password
    const wrong = await fetch(`${reg.url}/v2/private/blobs/uploads/`, { method: 'POST', headers: { authorization: basic('alice', 's3cret!') } });
    assert.equal(wrong.status, 401);
    await wrong.arrayBuffer();
  });

  test('with anonymousPull off, pulls need credentials too', async () => {
    const closed = await startTestRegistry({ auth: { tokens: [TOKEN], anonymousPull: false } });
    try {
      const anon = await fetch(`${closed.url}/v2/_catalog`);
      assert.equal(anon.status, 401);
      await anon.arrayBuffer();
      assert.equal((await fetch(`${closed.url}/v2/_catalog`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
    } finally {
      await closed.stop();
    }
  });

  test('htpasswd lines that are not bcrypt are refused, naming the line but not its content', () => {
    assert.throws(() => parseHtpasswd('bob:{SHA}abcdef\n', 'users.htpasswd'), (e: Error) => {
      assert.match(e.message, /users\.htpasswd:1:/);
      assert.doesNotMatch(e.message, /abcdef/);
      return true;
    });
  });
});
