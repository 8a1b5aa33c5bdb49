import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { KilnError } from '../../errors/index.ts';
import { runFetch } from './fetch-step.ts';
import { SourceCache } from './source-cache.ts';
import type { DownloadProgress } from './download.ts';
import { type TestDirs, type TestServer, helloEntries, makeDirs, makeTarGz, startServer, testContext } from './test-fixtures.ts';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const sha512 = (b: Buffer): string => createHash('sha512').update(b).digest('hex');

let server: TestServer;
let tarball: Buffer;
let dirs: TestDirs;

before(async () => {
  tarball = await makeTarGz(helloEntries());
  server = await startServer({ '/releases/hello-1.0.tar.gz': tarball });
});
after(() => server.close());
beforeEach(async () => {
  await dirs?.cleanup();
  dirs = await makeDirs();
  server.requests.length = 0;
  server.failures.clear();
  server.truncations.clear();
  server.redirects.clear();
  server.headers.clear();
  server.stalls.clear();
});
after(() => dirs.cleanup());

const uri = (): string => `${server.url}/releases/hello-1.0.tar.gz`;

describe('fetch', () => {
  test('downloads, verifies sha256, caches and extracts with strip-components 1', async () => {
    const progress: DownloadProgress[] = [];
    const ctx = testContext(dirs, { download: { retryDelayMs: 5, onProgress: (p) => progress.push(p) } });
    const r = await runFetch({ uri: uri(), 'expected-sha256': sha256(tarball) }, ctx);
    assert.equal(r.origin, 'upstream');
    assert.equal(r.sha256, `sha256:${sha256(tarball)}`);
    assert.equal(await readFile(join(dirs.workspace, 'src/hello.c'), 'utf8'), 'int main(void) {\n  return 0;\n}\n');
    // as in melange, the archive stays in the workspace unless delete: true
    assert.deepEqual((await readdir(dirs.workspace)).sort(), ['configure', 'hello-1.0.tar.gz', 'src']);
    assert.ok(await ctx.cache.has(r.sha256));
    assert.ok(await ctx.cache.has(r.sha512));
    assert.deepEqual(progress.at(-1), { url: uri(), received: tarball.length, total: tarball.length });
  });

  test('accepts expected-sha512 alone; delete: true leaves only the extracted tree', async () => {
    // an empty value takes the default, as in melange (strip-components 1)
    const r = await runFetch({ uri: uri(), 'expected-sha512': sha512(tarball), delete: 'true', directory: 'src-tree', 'strip-components': '' }, testContext(dirs));
    assert.equal(r.sha512, `sha512:${sha512(tarball)}`);
    assert.deepEqual(await readdir(dirs.workspace), ['src-tree']);
    assert.deepEqual((await readdir(join(dirs.workspace, 'src-tree'))).sort(), ['configure', 'src']);
  });

  test('extract: false saves the file in directory and extracts nothing', async () => {
    await runFetch({ uri: uri(), 'expected-sha256': sha256(tarball), extract: 'false', directory: 'dl' }, testContext(dirs));
    assert.deepEqual(await readdir(join(dirs.workspace, 'dl')), ['hello-1.0.tar.gz']);
    assert.deepEqual(await readFile(join(dirs.workspace, 'dl', 'hello-1.0.tar.gz')), tarball);
  });

  test('a checksum mismatch stops before extraction and leaves nothing in the cache', async () => {
    const ctx = testContext(dirs);
    const wrong = 'a'.repeat(64);
    await assert.rejects(runFetch({ uri: uri(), 'expected-sha256': wrong }, ctx), (e: unknown) => {
      assert.ok(e instanceof KilnError);
      assert.equal(e.code, 'DIGEST_MISMATCH');
      assert.match(e.message, new RegExp(`expected sha256:${wrong}, found sha256:${sha256(tarball)}`));
      assert.ok(e.message.includes(uri()), e.message);
      return true;
    });
    assert.deepEqual(await readdir(dirs.workspace), []);
    for (const d of ['sha256', 'sha512', 'tmp']) {
      assert.deepEqual(await readdir(join(ctx.cache.root, d)).catch(() => []), [], d);
    }
    // not retried: a wrong checksum is not a network blip
    assert.equal(server.requests.length, 1);
  });

  test('a cache hit makes no request', async () => {
    const ctx = testContext(dirs);
    await runFetch({ uri: uri(), 'expected-sha256': sha256(tarball) }, ctx);
    assert.equal(server.requests.length, 1);
    const again = await runFetch({ uri: uri(), 'expected-sha256': sha256(tarball) }, ctx);
    assert.equal(again.origin, 'cache');
    const bySha512 = await runFetch({ uri: uri(), 'expected-sha512': sha512(tarball) }, ctx);
    assert.equal(bySha512.origin, 'cache');
    assert.equal(server.requests.length, 1);
  });

  test('a tampered cache entry is refused, not extracted', async () => {
    const ctx = testContext(dirs);
    const r = await runFetch({ uri: uri(), 'expected-sha256': sha256(tarball), delete: 'true' }, ctx);
    const { chmod } = await import('node:fs/promises');
    await chmod(ctx.cache.path(r.sha256), 0o644);
    await writeFile(ctx.cache.path(r.sha256), 'tampered');
    await assert.rejects(runFetch({ uri: uri(), 'expected-sha256': sha256(tarball), directory: 'again' }, ctx), { code: 'DIGEST_MISMATCH' });
    assert.deepEqual(await readdir(dirs.workspace), ['configure', 'src']);
  });

  test('mirrors are tried first: by digest, then by name; a bad mirror is skipped', async () => {
    const mirror = await startServer({ [`/m/sha256/${sha256(tarball)}`]: tarball });
    const byName = await startServer({ '/n/hello-1.0.tar.gz': tarball });
    const liar = await startServer({ '/l/hello-1.0.tar.gz': Buffer.from('not the tarball') });
    try {
      const lines: string[] = [];
      const r = await runFetch({ uri: uri(), 'expected-sha256': sha256(tarball) }, testContext(dirs, { mirrors: [`${mirror.url}/m`], log: (l) => lines.push(l) }));
      assert.equal(r.origin, 'mirror');
      assert.deepEqual(mirror.requests, [`/m/sha256/${sha256(tarball)}`]);
      assert.equal(server.requests.length, 0);

      await dirs.cleanup();
      dirs = await makeDirs();
      const r2 = await runFetch(
        { uri: uri(), 'expected-sha256': sha256(tarball) },
        testContext(dirs, { mirrors: [`${liar.url}/l`, `${byName.url}/n/`], log: (l) => lines.push(l) }),
      );
      assert.equal(r2.origin, 'mirror');
      assert.deepEqual(liar.requests, [`/l/sha256/${sha256(tarball)}`, '/l/hello-1.0.tar.gz']);
      assert.deepEqual(byName.requests, [`/n/sha256/${sha256(tarball)}`, '/n/hello-1.0.tar.gz']);
      assert.ok(lines.some((l) => /mirror .* failed: .*expected sha256/.test(l)), lines.join('\n'));
      assert.equal(server.requests.length, 0);
    } finally {
      await Promise.all([mirror.close(), byName.close(), liar.close()]);
    }
  });

  test('a file:// mirror directory, e.g. another kiln state directory, serves the file', async () => {
    const other = await makeDirs();
    try {
      await SourceCache.forState(other.state).add(tarball);
      const r = await runFetch({ uri: uri(), 'expected-sha256': sha256(tarball) }, testContext(dirs, { mirrors: [join(other.state, 'sources')], offline: true }));
      assert.equal(r.origin, 'mirror');
      assert.equal(server.requests.length, 0);
    } finally {
      await other.cleanup();
    }
  });

  test('5xx answers are retried with backoff', async () => {
    server.failures.set('/releases/hello-1.0.tar.gz', 2);
    const lines: string[] = [];
    const r = await runFetch({ uri: uri(), 'expected-sha256': sha256(tarball) }, testContext(dirs, { log: (l) => lines.push(l) }));
    assert.equal(r.origin, 'upstream');
    assert.equal(server.requests.length, 3);
    assert.equal(lines.filter((l) => /HTTP 503; retry/.test(l)).length, 2);
  });

  test('a connection that breaks mid-body is retried from the start', async () => {
    server.truncations.set('/releases/hello-1.0.tar.gz', 1);
    const r = await runFetch({ uri: uri(), 'expected-sha256': sha256(tarball) }, testContext(dirs));
    assert.equal(r.origin, 'upstream');
    assert.equal(server.requests.length, 2);
    assert.deepEqual(await readdir(join(testContext(dirs).cache.root, 'tmp')), []);
  });

  test('follows redirects, and keeps a body served with Content-Encoding: gzip as published', async () => {
    server.redirects.set('/latest.tar.gz', '/releases/hello-1.0.tar.gz');
    server.headers.set('/releases/hello-1.0.tar.gz', { 'content-encoding': 'gzip' });
    const r = await runFetch({ uri: `${server.url}/latest.tar.gz`, 'expected-sha256': sha256(tarball) }, testContext(dirs));
    assert.equal(r.size, tarball.length);
    assert.deepEqual(server.requests, ['/latest.tar.gz', '/releases/hello-1.0.tar.gz']);
  });

  test('a server that stops sending times out (and is retried)', async () => {
    server.stalls.add('/releases/hello-1.0.tar.gz');
    await assert.rejects(
      runFetch({ uri: uri(), 'expected-sha256': sha256(tarball) }, testContext(dirs, { download: { idleTimeoutMs: 100, retries: 1, retryDelayMs: 1 } })),
      { code: 'SOURCE_FETCH_FAILED', message: /gave up after 2 attempts: no data for 100 ms/ },
    );
  });

  test('gives up after the retries with SOURCE_FETCH_FAILED; retry-limit counts attempts as wget --tries', async () => {
    server.failures.set('/releases/hello-1.0.tar.gz', 10);
    await assert.rejects(runFetch({ uri: uri(), 'expected-sha256': sha256(tarball) }, testContext(dirs, { download: { retryDelayMs: 1, retries: 2 } })), {
      code: 'SOURCE_FETCH_FAILED',
      message: /gave up after 3 attempts: HTTP 503/,
    });
    assert.equal(server.requests.length, 3);
    await assert.rejects(runFetch({ uri: uri(), 'expected-sha256': sha256(tarball), 'retry-limit': '2' }, testContext(dirs)), {
      message: /gave up after 2 attempts/,
    });
    assert.equal(server.requests.length, 5);
  });

  test('a 404 upstream and a connection refused are SOURCE_FETCH_FAILED', async () => {
    await assert.rejects(runFetch({ uri: `${server.url}/nothing.tar.gz`, 'expected-sha256': sha256(tarball) }, testContext(dirs)), {
      code: 'SOURCE_FETCH_FAILED',
      message: /HTTP 404/,
    });
    await assert.rejects(
      runFetch({ uri: 'http://127.0.0.1:1/x.tar.gz', 'expected-sha256': sha256(tarball) }, testContext(dirs, { download: { retries: 1, retryDelayMs: 1 } })),
      { code: 'SOURCE_FETCH_FAILED', message: /gave up after 2 attempts/ },
    );
  });

  test('the size cap stops a download', async () => {
    await assert.rejects(
      runFetch({ uri: uri(), 'expected-sha256': sha256(tarball) }, testContext(dirs, { download: { maxBytes: 100 } })),
      { code: 'SOURCE_FETCH_FAILED', message: /limit of 100/ },
    );
    assert.deepEqual(await readdir(dirs.workspace), []);
  });

  test('offline with an empty cache fails without a request', async () => {
    await assert.rejects(runFetch({ uri: uri(), 'expected-sha256': sha256(tarball) }, testContext(dirs, { offline: true })), /skipped \(offline\)/);
    assert.equal(server.requests.length, 0);
  });

  test('inputs are checked: a checksum is required, unknown keys and escaping directories refused', async () => {
    const ctx = testContext(dirs);
    await assert.rejects(runFetch({ uri: uri() }, ctx), { code: 'PIPELINE_INVALID', message: /expected-sha256 or expected-sha512 is required/ });
    await assert.rejects(runFetch({ uri: uri(), 'expected-none': 'true' }, ctx), { code: 'PIPELINE_INVALID' });
    await assert.rejects(runFetch({ uri: uri(), 'expected-sha256': sha256(tarball), colour: 'red' }, ctx), { code: 'PIPELINE_INVALID', message: /colour/ });
    await assert.rejects(runFetch({ uri: 'ftp://x/y.tgz', 'expected-sha256': sha256(tarball) }, ctx), { code: 'PIPELINE_INVALID', message: /uri/ });
    await assert.rejects(runFetch({ uri: uri(), 'expected-sha256': sha256(tarball), directory: '../out' }, ctx), { code: 'PATH_UNSAFE' });
    await mkdir(join(dirs.root, 'elsewhere'));
    assert.deepEqual(await readdir(join(dirs.root, 'elsewhere')), []);
  });
});
