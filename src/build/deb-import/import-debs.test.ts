import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { formatApkConstraint, generateApkSigningKey, readApk, readApkIndex, writeApkIndex } from '../../apk/index.ts';
import { SourceCache } from '../source/index.ts';
import { AptArchive } from './apt-archive.ts';
import { importDebs, type ImportDebsOptions } from './import-debs.ts';
import { parseDebRequest } from './resolve-imports.ts';
import { buildDeb, FakeDebSource } from './test-fixtures.ts';

const key = generateApkSigningKey({ bits: 2048 });
const keys = new Map([[key.keyName, key.publicPem]]);
const scratch = await mkdtemp(join(tmpdir(), 'kiln-deb-import-'));
after(() => rm(scratch, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => join(scratch, `d${n++}`);

async function archive(): Promise<FakeDebSource> {
  const source = new FakeDebSource();
  source.add('app-data', '1.0-2', await buildDeb({ package: 'app-data', version: '1.0-2', extraControl: 'Depends: base-files (>= 12), debconf | debconf-2.0\n', controlFiles: { postinst: '#!/bin/sh\n' } }));
  source.add('base-files', '12.4+deb12u5', await buildDeb({ package: 'base-files', version: '12.4+deb12u5', architecture: 'amd64' }));
  source.add('other', '3', await buildDeb({ package: 'other', version: '3' }));
  return source;
}

const run = (source: FakeDebSource, repo: string, names: string[], extra: Partial<ImportDebsOptions> = {}) =>
  importDebs({ requests: names.map(parseDebRequest), source, repo, arch: 'x86_64', key, ...extra });

describe('importDebs', () => {
  test('imports a package and its Depends closure into a signed repository', async () => {
    const repo = freshDir();
    const results = await run(await archive(), repo, ['app-data'], { withDeps: true });
    assert.deepEqual(results.map((r) => [r.name, r.status, r.requiredBy]), [
      ['app-data', 'imported', undefined],
      ['base-files', 'imported', 'app-data'],
      ['debconf', 'skipped', 'app-data'],
    ]);
    assert.deepEqual(results[0]?.droppedDependencies, ['debconf | debconf-2.0']);
    assert.deepEqual(results[0]?.maintainerScriptsNotRun, ['postinst']);
    assert.deepEqual((await readdir(join(repo, 'x86_64'))).sort(), [
      'APKINDEX.tar.gz',
      'app-data-1.0_cvs2.apk',
      'app-data-1.0_cvs2.provenance.json',
      'base-files-12.4_p12_p5.apk',
      'base-files-12.4_p12_p5.provenance.json',
    ]);
    const index = await readApkIndex(join(repo, 'x86_64', 'APKINDEX.tar.gz'), { keys });
    const app = index.entries.find((e) => e.name === 'app-data');
    assert.equal(app?.arch, 'x86_64', 'a noarch package is listed under the directory arch, as apk index --rewrite-arch does');
    assert.deepEqual(app?.depends.map(formatApkConstraint), ['base-files>=12']);
    const apk = await readApk(join(repo, 'x86_64', 'app-data-1.0_cvs2.apk'), { keys });
    assert.equal(apk.info.arch, 'noarch');
    const provenance = JSON.parse(await readFile(join(repo, 'x86_64', 'app-data-1.0_cvs2.provenance.json'), 'utf8'));
    assert.equal(provenance.debian.version, '1.0-2');
    assert.equal(provenance.debian.source, 'app-data');
    assert.match(provenance.debian.url, /^http:\/\/archive\.invalid\//);
    assert.equal(provenance.debian.sha256, apk.info.commit);
    assert.equal(provenance.apk.checksum, apk.checksum);
  });

  test('the same .debs give byte-identical packages, provenance and index', async () => {
    const [a, b] = [freshDir(), freshDir()];
    await run(await archive(), a, ['app-data'], { withDeps: true });
    await run(await archive(), b, ['app-data'], { withDeps: true });
    for (const name of await readdir(join(a, 'x86_64'))) {
      assert.ok((await readFile(join(a, 'x86_64', name))).equals(await readFile(join(b, 'x86_64', name))), `${name} differs`);
    }
  });

  test('keeps other index entries and skips dependencies already present at the same version', async () => {
    const repo = freshDir();
    const source = await archive();
    await run(source, repo, ['base-files']);
    await run(source, repo, ['other']);
    const results = await run(source, repo, ['app-data'], { withDeps: true });
    assert.deepEqual(results.map((r) => [r.name, r.status, r.reason]).slice(0, 2), [
      ['app-data', 'imported', 'maintainer scripts not run: postinst; dependencies left out (not in the repository): debconf | debconf-2.0'],
      ['base-files', 'skipped', 'already in the repository at this version'],
    ]);
    const index = await readApkIndex(join(repo, 'x86_64', 'APKINDEX.tar.gz'), { keys });
    assert.deepEqual(index.entries.map((e) => e.name).sort(), ['app-data', 'base-files', 'other']);
  });

  test('a .deb that does not match its index record is refused and nothing is written', async () => {
    const repo = freshDir();
    const source = await archive();
    source.tamper = (bytes) => Buffer.concat([bytes.subarray(0, 100), Buffer.from('X'), bytes.subarray(101)]);
    const [r] = await run(source, repo, ['other']);
    assert.equal(r?.status, 'failed');
    assert.equal(r?.code, 'DIGEST_MISMATCH');
    await assert.rejects(readdir(join(repo, 'x86_64')), { code: 'ENOENT' });
  });

  test('the source cache serves a second import and is re-checked', async () => {
    const cache = new SourceCache(freshDir());
    const source = await archive();
    await run(source, freshDir(), ['other'], { cache });
    assert.equal(source.downloads, 1);
    const [again] = await run(source, freshDir(), ['other'], { cache });
    assert.equal(again?.status, 'imported');
    assert.equal(source.downloads, 1);
    const record = await source.record('other');
    const path = cache.path(`sha256:${record.sha256}` as Parameters<SourceCache['path']>[0]);
    await rm(path, { force: true });
    await writeFile(path, Buffer.alloc(record.size));
    const [rotten] = await run(source, freshDir(), ['other'], { cache });
    assert.equal(rotten?.code, 'DIGEST_MISMATCH');
  });

  test('an unknown package fails with PACKAGE_UNKNOWN; the others still import', async () => {
    const results = await run(await archive(), freshDir(), ['no-such-package', 'other']);
    assert.deepEqual(results.map((r) => [r.name, r.status, r.code]), [
      ['no-such-package', 'failed', 'PACKAGE_UNKNOWN'],
      ['other', 'imported', undefined],
    ]);
  });

  test('an existing index signed by another key is not silently re-signed', async () => {
    const repo = freshDir();
    const stranger = generateApkSigningKey({ bits: 2048 });
    await writeApkIndex(join(repo, 'x86_64', 'APKINDEX.tar.gz'), { entries: [], key: stranger, sourceDateEpoch: 0 });
    await assert.rejects(run(await archive(), repo, ['other']), { code: 'SIGNATURE_INVALID', message: /pass --key/ });
  });

  test('bad requests are usage errors', () => {
    for (const bad of ['Libc6', 'libc6=', 'libc6=abc', '-x', 'a']) assert.throws(() => parseDebRequest(bad), { code: 'USAGE' }, bad);
    assert.deepEqual(parseDebRequest('libc6=2.36-9+deb12u14'), { name: 'libc6', version: '2.36-9+deb12u14' });
    assert.deepEqual(parseDebRequest('git=1:2.39.5-0+deb12u2'), { name: 'git', version: '1:2.39.5-0+deb12u2' });
  });
});

describe('AptArchive', () => {
  const hasApt = spawnSync('apt-get', ['--version']).status === 0;
  test('with $KILN_DEBIAN_MIRROR, apt uses that mirror only, and an unreachable one fails clearly', { skip: hasApt ? false : 'apt-get is not installed here' }, async () => {
    const dir = freshDir();
    const archive = new AptArchive({ dir, arch: 'amd64', env: { KILN_DEBIAN_MIRROR: 'http://127.0.0.1:9/debian' } });
    await assert.rejects(archive.ensureLists(), { code: 'DEB_FETCH_FAILED', message: /apt-get update for amd64 .*127\.0\.0\.1:9/ });
    assert.match(await readFile(join(dir, 'sources.list'), 'utf8'), /^deb \[signed-by=\/usr\/share\/keyrings\/debian-archive-keyring\.gpg\] http:\/\/127\.0\.0\.1:9\/debian [a-z]+ main\n/);
  });
});
