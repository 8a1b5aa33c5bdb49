import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { formatApkConstraint, generateApkSigningKey, readApk, readApkIndex } from '../../apk/index.ts';
import { SourceCache } from '../source/index.ts';
import { AptArchive } from './apt-archive.ts';
import { debianArchOf } from './debian-arch.ts';
import { importDebs } from './import-debs.ts';
import { parseDebRequest } from './resolve-imports.ts';

// Real packages from the machine's Debian archive. The apt indexes and the .debs are kept
// in a stable cache so reruns download nothing; KILN_OFFLINE=1 skips, anything else that
// cannot reach the archive fails with the reason.
const offline = process.env['KILN_OFFLINE'] === '1';
const HOST_ARCH: Readonly<Record<string, string>> = { x64: 'x86_64', arm64: 'aarch64' };
const arch = HOST_ARCH[process.arch];
const skip = offline ? 'KILN_OFFLINE=1: the Debian archive is not used' : arch === undefined ? `no Debian test packages for ${process.arch}` : false;

async function cacheRoot(): Promise<string> {
  const wanted = process.env['KILN_TEST_CACHE'] ?? '/var/cache/kiln-test';
  try {
    await mkdir(wanted, { recursive: true });
    return wanted;
  } catch {
    const fallback = join(tmpdir(), 'kiln-test-cache');
    await mkdir(fallback, { recursive: true });
    return fallback;
  }
}

describe('import-deb from the Debian archive', { skip }, () => {
  const scratch = mkdtemp(join(tmpdir(), 'kiln-deb-net-'));
  after(async () => rm(await scratch, { recursive: true, force: true }));

  test('netbase (data only) and libc6 (the C library) become verified, reproducible APKs', { timeout: 15 * 60_000 }, async () => {
    const root = join(await cacheRoot(), 'deb-import');
    const debianArch = debianArchOf(arch as string);
    const source = new AptArchive({ dir: join(root, 'apt', debianArch), arch: debianArch });
    try {
      await source.ensureLists();
    } catch (e) {
      assert.fail(`the machine's Debian archive could not be reached (set KILN_OFFLINE=1 to skip this test): ${(e as Error).message}`);
    }
    const key = generateApkSigningKey({ bits: 2048 });
    const keys = new Map([[key.keyName, key.publicPem]]);
    const cache = new SourceCache(join(root, 'debs'));
    const importInto = (repo: string) => importDebs({ requests: ['netbase', 'libc6'].map(parseDebRequest), source, repo, arch: arch as string, key, cache });

    const repo = join(await scratch, 'a');
    const results = await importInto(repo);
    assert.deepEqual(results.map((r) => [r.name, r.status]), [['netbase', 'imported'], ['libc6', 'imported']], JSON.stringify(results, null, 2));

    const libc6 = results[1];
    const apk = await readApk(libc6?.file as string, { keys });
    assert.equal(apk.info.origin, 'glibc');
    assert.equal(apk.info.commit?.length, 64);
    const provides = apk.info.provides.map(formatApkConstraint);
    assert.ok(provides.includes('so:libc.so.6=6'), provides.join(' '));
    assert.ok(apk.files.some((f) => f.kind === 'file' && f.path.endsWith('/libc.so.6')));
    assert.match(apk.info.description, /\(Debian libc6 2\.[0-9]+-/);
    assert.deepEqual(libc6?.droppedDependencies, ['libgcc-s1']);
    assert.ok((libc6?.maintainerScriptsNotRun ?? []).includes('postinst'));

    const provenance = JSON.parse(await readFile(libc6?.provenance as string, 'utf8'));
    assert.equal(provenance.debian.source, 'glibc');
    assert.equal(provenance.debian.sha256, apk.info.commit);
    assert.match(provenance.debian.url, /^https?:\/\/.+\/pool\/.+\/libc6_.+\.deb$/);

    const netbase = await readApk(results[0]?.file as string, { keys });
    assert.ok(netbase.files.some((f) => f.path === 'etc/services'));
    const index = await readApkIndex(join(repo, arch as string, 'APKINDEX.tar.gz'), { keys });
    assert.deepEqual(index.entries.map((e) => e.name).sort(), ['libc6', 'netbase']);

    // again, from the cache, into another repository: the same bytes
    const again = join(await scratch, 'b');
    await importInto(again);
    for (const name of await readdir(join(repo, arch as string))) {
      assert.ok((await readFile(join(repo, arch as string, name))).equals(await readFile(join(again, arch as string, name))), `${name} differs between two imports`);
    }
  });
});
