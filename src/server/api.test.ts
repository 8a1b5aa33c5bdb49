import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openDatabase, type KilnDatabase } from '../store/index.ts';
import { DAY1, DAY3, DAY5, seedHistory } from './api/history-test-fixtures.ts';
import { startKilnServer, type RunningKilnServer } from './index.ts';

let state: string;
let store: KilnDatabase;
let server: RunningKilnServer;

before(async () => {
  state = await mkdtemp(join(tmpdir(), 'kiln-api-'));
  store = await openDatabase({ url: 'memory:' });
  await seedHistory(store.db);
  server = await startKilnServer({ stateDir: state, host: '127.0.0.1', port: 0, database: store });
});

after(async () => {
  await server?.close();
  await store?.close();
  await rm(state, { recursive: true, force: true });
});

async function get(path: string, status = 200): Promise<unknown> {
  const res = await fetch(`${server.url}${path}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/, path);
  const body = (await res.json()) as unknown;
  assert.equal(res.status, status, `${path}: ${JSON.stringify(body)}`);
  return body;
}

async function error(path: string, status: number, code: string): Promise<void> {
  const body = (await get(path, status)) as { error: { code: string; message: string } };
  assert.equal(body.error.code, code, path);
  assert.ok(body.error.message.length > 0);
}

test('GET /api/v1/images: names with current tags', async () => {
  const body = (await get('/api/v1/images')) as { images: { name: string; tags: { tag: string; digest: string }[] }[] };
  assert.deepEqual(body.images.map((i) => i.name), ['python']);
  const tags = Object.fromEntries(body.images[0]!.tags.map((t) => [t.tag, t.digest]));
  assert.equal(tags['latest'], DAY5);
  assert.equal(tags['3.14'], DAY5);
  assert.equal(tags['3.14.1'], DAY3);
  assert.equal(tags['3.14.1-20260301T0500Z'], DAY1);
});

test('GET /api/v1/images/{name}/tags and /versions', async () => {
  const tags = (await get('/api/v1/images/python/tags')) as { image: string; tags: { repository: string; tag: string; version: string }[] };
  assert.equal(tags.image, 'python');
  assert.deepEqual(
    tags.tags.map((t) => `${t.repository}:${t.tag}`),
    ['3.14', '3.14.1', '3.14.1-20260301T0500Z', '3.14.1-20260303T0500Z', '3.14.2', '3.14.2-20260305T0500Z', 'latest'].map((t) => `kiln/python:${t}`),
  );
  const versions = await get('/api/v1/images/python/versions');
  assert.deepEqual(versions, {
    image: 'python',
    versions: [
      {
        line: '3.14',
        version: '3.14.2',
        maintained: true,
        variants: [{ variant: 'prod', maintained: true, latest: { digest: DAY5, timestampTag: '3.14.2-20260305T0500Z', publishedAt: '2026-03-05T05:00:00.000Z' } }],
      },
      {
        line: '3.14',
        version: '3.14.1',
        maintained: true,
        variants: [{ variant: 'prod', maintained: true, latest: { digest: DAY3, timestampTag: '3.14.1-20260303T0500Z', publishedAt: '2026-03-03T05:00:00.000Z' } }],
      },
    ],
  });
});

test('GET changelog: both digests of 3.14.1, newest first, with the upgrade', async () => {
  const body = (await get('/api/v1/images/python/versions/3.14.1/changelog')) as {
    entries: { digest: string; timestampTag: string; previousDigest: string | null; trigger: { kind: string }; changes: unknown[] }[];
  };
  assert.deepEqual(body.entries.map((e) => e.digest), [DAY3, DAY1]);
  assert.equal(body.entries[0]!.previousDigest, DAY1);
  assert.equal(body.entries[0]!.trigger.kind, 'package-updated');
  assert.deepEqual(body.entries[0]!.changes, [{ kind: 'upgraded', name: 'openssl', from: '3.3.1-r0', to: '3.3.2-r0' }]);
  assert.equal(body.entries[1]!.changes.length, 3);
});

test('GET /api/v1/digests/{digest}: packages and publication', async () => {
  const body = (await get(`/api/v1/digests/${DAY3}`)) as { digest: string; publication: { version: string; publishedAt: string }; packages: { name: string; version: string }[] };
  assert.equal(body.digest, DAY3);
  assert.equal(body.publication.version, '3.14.1');
  assert.equal(body.publication.publishedAt, '2026-03-03T05:00:00.000Z');
  assert.deepEqual(body.packages.map((p) => `${p.name}=${p.version}`), ['ca-certificates=20250101-r0', 'openssl=3.3.2-r0', 'python-3.14=3.14.1-r0']);
});

test('GET /api/v1/diff: exactly the one upgraded package', async () => {
  assert.deepEqual(await get(`/api/v1/diff?from=${DAY1}&to=${DAY3}`), {
    from: DAY1,
    to: DAY3,
    changes: [{ kind: 'upgraded', name: 'openssl', from: '3.3.1-r0', to: '3.3.2-r0' }],
  });
});

test('GET /api/v1/search: a fragment finds the digest', async () => {
  const body = (await get('/api/v1/search?q=sha256:3b3b3b')) as { prefix: string; matches: { digest: string; version: string }[]; truncated: boolean };
  assert.equal(body.prefix, '3b3b3b');
  assert.deepEqual(body.matches.map((m) => [m.digest, m.version]), [[DAY3, '3.14.1']]);
  assert.equal(body.truncated, false);
});

test('GET /api/v1/tags/{repository}/{tag}/at: what the tag pointed to then', async () => {
  const at = (time: string) => get(`/api/v1/tags/kiln/python/3.14/at?time=${encodeURIComponent(time)}`) as Promise<{ digest: string | null; since: string | null }>;
  assert.deepEqual(await at('2026-03-02T00:00:00Z'), {
    repository: 'kiln/python',
    tag: '3.14',
    at: '2026-03-02T00:00:00.000Z',
    digest: DAY1,
    since: '2026-03-01T05:00:00.000Z',
  });
  assert.equal((await at('2026-03-04')).digest, DAY3);
  assert.equal((await at('2026-03-06T01:00:00+01:00')).digest, DAY5);
  const before = await at('2026-02-01T00:00:00Z');
  assert.equal(before.digest, null);
  assert.equal(before.since, null);
});

test('bad input is 400 with a code', async () => {
  await error('/api/v1/digests/sha256:nothex', 400, 'DIGEST_INVALID');
  await error(`/api/v1/diff?from=${DAY1}&to=abc`, 400, 'DIGEST_INVALID');
  await error(`/api/v1/diff?from=${DAY1}`, 400, 'DIGEST_INVALID');
  await error('/api/v1/search?q=3b', 400, 'INPUT_INVALID');
  await error('/api/v1/search', 400, 'INPUT_INVALID');
  await error('/api/v1/tags/kiln/python/3.14/at?time=yesterday', 400, 'INPUT_INVALID');
  await error('/api/v1/tags/kiln/python/3.14/at', 400, 'INPUT_INVALID');
  await error('/api/v1/images/Not_An_Image/tags', 400, 'INPUT_INVALID');
  await error('/api/v1/images/python/versions/3.14.1/changelog?variant=huge', 400, 'INPUT_INVALID');
});

test('unknown image, version, digest or path is 404', async () => {
  await error('/api/v1/images/ruby/tags', 404, 'NOT_FOUND');
  await error('/api/v1/images/ruby/versions', 404, 'NOT_FOUND');
  await error('/api/v1/images/python/versions/9.9/changelog', 404, 'NOT_FOUND');
  await error(`/api/v1/digests/sha256:${'ff'.repeat(32)}`, 404, 'NOT_FOUND');
  await error(`/api/v1/diff?from=${DAY1}&to=sha256:${'ff'.repeat(32)}`, 404, 'NOT_FOUND');
  await error('/api/v1/nothing', 404, 'NOT_FOUND');
  await error('/nothing', 404, 'NOT_FOUND');
});

test('image names with a slash reach their routes', async () => {
  await error('/api/v1/images/team/python/tags', 404, 'NOT_FOUND');
  const body = (await get('/api/v1/images/team%2Fpython/versions', 404)) as { error: { message: string } };
  assert.match(body.error.message, /image team\/python/);
});

test('without a database the API paths are 404 and the registry still answers', async () => {
  const bare = await startKilnServer({ stateDir: state, host: '127.0.0.1', port: 0 });
  try {
    const res = await fetch(`${bare.url}/api/v1/images`);
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'NOT_FOUND');
    assert.equal((await fetch(`${bare.url}/v2/`)).status, 200);
  } finally {
    await bare.close();
  }
});
