import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, test } from 'node:test';
import type { Digest } from '../../oci/index.ts';
import { runFetch } from './fetch-step.ts';
import { SourceCache } from './source-cache.ts';
import { type TestDirs, helloEntries, makeDirs, makeTarGz, testContext } from './test-fixtures.ts';

const MAIN = join(import.meta.dirname, '../../cli/main.ts');
const hex = (alg: 'sha256' | 'sha512', b: Uint8Array): string => createHash(alg).update(b).digest('hex');

let dirs: TestDirs;
let tarball: Buffer;
before(async () => {
  dirs = await makeDirs();
  tarball = await makeTarGz(helloEntries('2.0'));
});
after(() => dirs.cleanup());

describe('SourceCache', () => {
  test('add hashes with both algorithms, stores once, and reads back verified', async () => {
    const cache = new SourceCache(join(dirs.root, 'c1'));
    const e = await cache.add(Readable.from([tarball]), { name: 'hello-2.0.tar.gz', uri: 'https://example.org/hello-2.0.tar.gz' });
    assert.equal(e.sha256, `sha256:${hex('sha256', tarball)}`);
    assert.equal(e.sha512, `sha512:${hex('sha512', tarball)}`);
    assert.equal(e.size, tarball.length);
    assert.equal(cache.path(e.sha256), join(cache.root, 'sha256', hex('sha256', tarball)));
    assert.ok(await cache.has(e.sha256));
    assert.ok(await cache.has(e.sha512));
    assert.deepEqual(await buffer(cache.open(e.sha512)), tarball);
    // the two names are one file
    assert.equal((await stat(cache.path(e.sha256))).ino, (await stat(cache.path(e.sha512))).ino);
    assert.equal((await stat(cache.path(e.sha256))).mode & 0o777, 0o444);
    const again = await cache.add(tarball, { name: 'other-name.tgz' });
    assert.deepEqual(again.record.names, ['hello-2.0.tar.gz', 'other-name.tgz']);
    assert.deepEqual(again.record.uris, ['https://example.org/hello-2.0.tar.gz']);
    assert.deepEqual((await cache.record(e.sha512))?.names, ['hello-2.0.tar.gz', 'other-name.tgz']);
  });

  test('a wrong expected digest keeps nothing', async () => {
    const cache = new SourceCache(join(dirs.root, 'c2'));
    const wrong = `sha512:${'0'.repeat(128)}` as Digest;
    await assert.rejects(cache.add(tarball, { expected: wrong, origin: 'https://example.org/x' }), {
      code: 'DIGEST_MISMATCH',
      message: new RegExp(`from https://example.org/x: expected ${wrong}, found sha512:${hex('sha512', tarball)}`),
    });
    for (const d of ['sha256', 'sha512', 'tmp']) assert.deepEqual(await readdir(join(cache.root, d)).catch(() => []), []);
    assert.equal(await cache.has(`sha256:${hex('sha256', tarball)}` as Digest), false);
  });

  test('a verified read and verify() catch a blob that changed on disk', async () => {
    const cache = new SourceCache(join(dirs.root, 'c3'));
    const e = await cache.add(tarball);
    await chmod(e.path, 0o644);
    await writeFile(e.path, 'rotten');
    await assert.rejects(buffer(cache.open(e.sha256)), { code: 'DIGEST_MISMATCH' });
    await assert.rejects(cache.verify(e.sha256), { code: 'DIGEST_MISMATCH' });
    await assert.rejects(buffer(cache.open(`sha256:${'1'.repeat(64)}` as Digest)), { code: 'NOT_FOUND' });
  });
});

describe('kiln source add', () => {
  test('prints the digests; a later fetch is served from the cache with no server at all', async () => {
    const file = join(dirs.root, 'hello-2.0.tar.gz');
    await writeFile(file, tarball);
    const state = join(dirs.root, 'cli-state');
    const r = spawnSync(process.execPath, [MAIN, 'source', 'add', file, '--state', state], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`expected-sha256: ${hex('sha256', tarball)}`));
    assert.match(r.stdout, new RegExp(`expected-sha512: ${hex('sha512', tarball)}`));

    const json = spawnSync(process.execPath, [MAIN, 'source', 'add', file, '--state', state, '--json'], { encoding: 'utf8' });
    assert.equal((JSON.parse(json.stdout) as { source: { sha256: string } }).source.sha256, `sha256:${hex('sha256', tarball)}`);

    // nothing listens on port 1: any download attempt would fail
    const ctx = { ...testContext({ ...dirs, state }), download: { retries: 0 } };
    const fetched = await runFetch({ uri: 'http://127.0.0.1:1/hello-2.0.tar.gz', 'expected-sha512': hex('sha512', tarball) }, ctx);
    assert.equal(fetched.origin, 'cache');
    assert.equal(await readFile(join(dirs.workspace, 'configure'), 'utf8'), '#!/bin/sh\necho configured\n');
  });

  test('a missing file is bad input (exit 2)', () => {
    const r = spawnSync(process.execPath, [MAIN, 'source', 'add', join(dirs.root, 'nope.tar.gz'), '--state', join(dirs.root, 's')], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /error\[INPUT_INVALID\] .*nope\.tar\.gz: no such file/);
  });
});
