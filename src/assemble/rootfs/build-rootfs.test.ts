import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, test } from 'node:test';
import { constants, deflateRawSync } from 'node:zlib';
import { encodeApk, parseApkVersion, writeApkIndex, type ApkIndexEntry } from '../../apk/index.ts';
import { craftApk, dir, file, link } from '../../apk/test-fixtures.ts';
import { KilnError } from '../../errors/index.ts';
import { digestOf } from '../../oci/index.ts';
import type { FsEntry } from '../fs-entry.ts';
import { parseImageConfigYaml } from '../parse-image-config-yaml.ts';
import { DeflateRunCache } from '../layer-cache/deflate-run-cache.ts';
import { writeLayer } from '../layer/write-layer.ts';
import { buildRootfs, type BuiltRootfs } from './build-rootfs.ts';
import type { LayerPreparation } from './read-packages.ts';
import { ARCH, createTestRepo, MESSAGE, TEST_EPOCH, testImageConfig, type TestRepo } from './test-repo.ts';

let repo: TestRepo;
const temps: string[] = [];
before(async () => {
  repo = await createTestRepo();
});
after(async () => {
  await repo.cleanup();
  for (const d of temps) await rm(d, { recursive: true, force: true });
});


async function build(packages: readonly string[], options: { extra?: string; dirs?: readonly string[]; layer?: LayerPreparation } = {}): Promise<BuiltRootfs> {
  const { spec } = parseImageConfigYaml(testImageConfig(packages, options.extra), 'image.yaml');
  return buildRootfs({
    spec,
    arch: ARCH,
    repositories: (options.dirs ?? [repo.dir]).map((d) => ({ dir: d })),
    keys: new Map([[repo.key.keyName, repo.key.publicPem]]),
    configName: 'image.yaml',
    sourceDateEpoch: TEST_EPOCH,
    ...(options.layer !== undefined && { layer: options.layer }),
  });
}

/** The digest of the layer the root filesystem makes. */
async function layerDigest(r: BuiltRootfs): Promise<string> {
  const sink = { putBlob: async (source: Readable | Uint8Array) => ({ digest: digestOf(source instanceof Uint8Array ? source : await buffer(source)), size: 0 }) };
  return (await writeLayer(r.entries, sink, { sourceDateEpoch: TEST_EPOCH })).descriptor.digest;
}

function at(r: BuiltRootfs, path: string): FsEntry {
  const e = r.entries.find((x) => x.path === path);
  assert.ok(e, `${path} is in the rootfs`);
  return e;
}

function textOf(r: BuiltRootfs, path: string): string {
  const e = at(r, path);
  assert.equal(e.kind, 'file');
  assert.equal(e.content.kind, 'bytes');
  return Buffer.from(e.content.data).toString('utf8');
}

async function rejection(p: Promise<unknown>): Promise<KilnError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof KilnError, String(e));
    return e;
  }
  assert.fail('expected a KilnError');
}

async function copyRepo(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'kiln-test-repo-copy-'));
  temps.push(d);
  await cp(repo.dir, d, { recursive: true });
  return d;
}

describe('buildRootfs', () => {
  test('solves, installs dependencies first, and writes the apk database and system files', async () => {
    const r = await build(['hello']);
    assert.deepEqual(r.resolution.packages.map((p) => `${p.entry.name}-${p.entry.version}`), ['hello-1.0-r0', 'hello-data-1.0-r0', 'libgreet-1.0-r0']);
    assert.deepEqual(r.installed.map((p) => p.entry.name), ['hello-data', 'libgreet', 'hello']);
    assert.deepEqual(r.resolution.packages[0]?.reasons, [{ kind: 'world', constraint: 'hello', origin: 'image.yaml contents.packages[0]' }]);

    assert.deepEqual({ ...at(r, 'usr/bin/hello'), content: undefined }, { kind: 'file', path: 'usr/bin/hello', mode: 0o755, uid: 0, gid: 0, content: undefined });
    assert.deepEqual(at(r, 'var/lib/hello'), { kind: 'directory', path: 'var/lib/hello', mode: 0o750, uid: 65532, gid: 65532 });
    assert.equal(textOf(r, 'usr/share/hello/message.txt'), MESSAGE);
    assert.deepEqual(at(r, 'usr/lib/libgreet.so'), { kind: 'symlink', path: 'usr/lib/libgreet.so', mode: 0o777, uid: 0, gid: 0, target: 'libgreet.so.1' });
    assert.deepEqual(at(r, 'usr/bin/greet-again'), { kind: 'hardlink', path: 'usr/bin/greet-again', target: 'usr/bin/greet' });
    assert.equal(r.entries.some((e) => e.path === 'bin/sh' || e.path === 'bin/busybox'), false, 'no shell unless a package brings one');

    assert.equal(textOf(r, 'etc/apk/world'), 'hello\n');
    assert.equal(textOf(r, 'etc/apk/repositories'), '');
    assert.equal(textOf(r, 'etc/apk/arch'), 'x86_64\n');
    assert.equal(textOf(r, `etc/apk/keys/${repo.key.keyName}`), repo.key.publicPem);
    assert.equal(textOf(r, 'etc/passwd'), 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:Account created by kiln:/home/nonroot:/bin/sh\n');
    assert.equal(textOf(r, 'etc/group'), 'root:x:0:\nnonroot:x:65532:\n');
    assert.deepEqual(at(r, 'home/nonroot'), { kind: 'directory', path: 'home/nonroot', mode: 0o755, uid: 65532, gid: 65532 });
    assert.equal(
      textOf(r, 'etc/os-release'),
      'ID=kiln\nNAME="kiln"\nPRETTY_NAME="kiln hardened image"\nVERSION_ID=20231114\nHOME_URL="https://kiln.invalid/"\n',
    );

    const db = textOf(r, 'lib/apk/db/installed');
    const records = db.split('\n\n').filter((s) => s !== '');
    assert.deepEqual(records.map((s) => /^P:(.*)$/m.exec(s)?.[1]), ['hello-data', 'libgreet', 'hello']);
    const greet = records[1] ?? '';
    const entry = repo.entries().find((e) => e.name === 'libgreet') as ApkIndexEntry;
    assert.ok(greet.startsWith(`C:${entry.checksum}\nP:libgreet\nV:1.0-r0\nA:x86_64\nS:${entry.size}\nI:${entry.installedSize}\n`), greet);
    assert.match(greet, /\np:so:libgreet\.so\.1=1 cmd:greet=1\.0-r0\n/);
    assert.match(greet, /\nF:usr\nF:usr\/bin\nR:greet\na:0:0:755\nZ:Q1[A-Za-z0-9+/]{27}=\nR:greet-again\na:0:0:755\nZ:Q1/);
    assert.match(greet, /\nF:usr\/lib\nR:libgreet\.so\na:0:0:777\nZ:Q1/);
    assert.match(records[0] ?? '', /\nF:var\/lib\/hello\nM:65532:65532:750\nR:state\na:65532:65532:600\nZ:Q1/);
  });

  test('two versions: the newest allowed one', async () => {
    const newest = await build(['tool']);
    assert.equal(newest.resolution.packages[0]?.entry.version, '2.0-r0');
    assert.equal(textOf(newest, 'usr/share/tool/version'), '2.0\n');
    const older = await build(['tool<2']);
    assert.equal(textOf(older, 'usr/share/tool/version'), '1.0\n');
    assert.equal(textOf(older, 'etc/apk/world'), 'tool<2\n');
  });

  test('a package that replaces another takes over its file, in the files and in the database', async () => {
    const r = await build(['hello', 'hello-patch']);
    assert.equal(textOf(r, 'usr/share/hello/message.txt'), 'patched message');
    const records = textOf(r, 'lib/apk/db/installed').split('\n\n');
    const data = records.find((s) => s.includes('\nP:hello-data\n')) ?? '';
    const patch = records.find((s) => s.includes('\nP:hello-patch\n')) ?? '';
    assert.doesNotMatch(data, /R:message\.txt/);
    assert.match(patch, /F:usr\/share\/hello\nR:message\.txt\n/);
  });

  test('paths: mutations and os-release from the configuration', async () => {
    const extra = `paths:
  - { path: /data, type: directory, uid: 65532, gid: 65532, permissions: 0o700 }
  - { path: /var/lib/hello, type: permissions, uid: 1000, gid: 1000, permissions: 0o755, recursive: true }
  - { path: /etc/ready, type: empty-file, permissions: 0o600 }
  - { path: /usr/bin/hi, type: symlink, source: hello }
  - { path: /usr/bin/hello2, type: hardlink, source: /usr/bin/hello, permissions: 0o750 }
os-release:
  id: acme
  name: Acme Linux
  version-id: "1.2"
`;
    const r = await build(['hello'], { extra });
    assert.deepEqual(at(r, 'data'), { kind: 'directory', path: 'data', mode: 0o700, uid: 65532, gid: 65532 });
    assert.deepEqual(at(r, 'var/lib/hello'), { kind: 'directory', path: 'var/lib/hello', mode: 0o755, uid: 1000, gid: 1000 });
    assert.equal((at(r, 'var/lib/hello/state') as { mode: number }).mode, 0o755);
    assert.equal(textOf(r, 'etc/ready'), '');
    assert.equal((at(r, 'usr/bin/hi') as { target: string }).target, 'hello');
    assert.deepEqual(at(r, 'usr/bin/hello2'), { kind: 'hardlink', path: 'usr/bin/hello2', target: 'usr/bin/hello' });
    assert.equal((at(r, 'usr/bin/hello') as { mode: number }).mode, 0o750, 'a hard link shares its file’s mode');
    assert.match(textOf(r, 'etc/os-release'), /^ID=acme\nNAME="Acme Linux"\nPRETTY_NAME="kiln hardened image"\nVERSION_ID=1\.2\n/);
  });

  test('an unknown package names itself and the repositories searched', async () => {
    const e = await rejection(build(['hello', 'no-such-package']));
    assert.equal(e.code, 'PACKAGE_UNKNOWN');
    assert.match(e.message, /no-such-package/);
    assert.match(e.message, /image\.yaml contents\.packages\[1\]/);
    assert.ok(e.message.includes(repo.dir), e.message);
  });

  test('unsatisfiable constraints name the clashing constraints', async () => {
    const e = await rejection(build(['hello', 'refuses-hello']));
    assert.equal(e.code, 'UNSATISFIABLE');
    assert.match(e.message, /hello/);
    assert.match(e.message, /refuses-hello/);
    const v = await rejection(build(['tool>3']));
    assert.equal(v.code, 'UNSATISFIABLE');
    assert.match(v.message, /tool>3/);
  });

  test('the layer cache: runs prepared while reading, kept, found again, a tampered one refused; one layer digest throughout', async (t) => {
    if (!repo.staticBinary) return t.skip('gcc -static is unavailable: no file is large enough to be compressed on its own');
    const expected = await layerDigest(await build(['hello']));
    const dir = await mkdtemp(join(tmpdir(), 'kiln-layer-cache-'));
    temps.push(dir);
    const cache = await DeflateRunCache.open(join(dir, 'cache'));
    const round = async (): Promise<BuiltRootfs> => {
      const r = await build(['hello'], { layer: { level: 3, cache } });
      assert.equal(await layerDigest(r), expected);
      return r;
    };
    const cold = await round();
    const hello = at(cold, 'usr/bin/hello');
    assert.ok(hello.kind === 'file' && hello.content.kind === 'bytes' && hello.content.compressed !== undefined, 'the large file comes with its run');
    assert.deepEqual(await cache.settle(), { hits: 0, misses: 1, refused: 0, kept: 1, keepFailures: 0, pruned: 0 });
    await round();
    assert.equal((await cache.settle()).hits, 1);
    // plant a well-formed run of other bytes under the binary's entry
    const [fan] = await readdir(cache.dir);
    const [name] = await readdir(join(cache.dir, fan as string));
    const planted = deflateRawSync(Buffer.alloc(hello.kind === 'file' && hello.content.kind === 'bytes' ? hello.content.data.length : 0, 0x90), { finishFlush: constants.Z_SYNC_FLUSH });
    await writeFile(join(cache.dir, fan as string, name as string), Buffer.concat([planted, Buffer.from([1, 0, 0, 0xff, 0xff])]));
    await round();
    assert.deepEqual(await cache.settle(), { hits: 1, misses: 2, refused: 1, kept: 2, keepFailures: 0, pruned: 0 });
    await round();
    assert.equal((await cache.settle()).hits, 2, 'the good run replaced the planted one');
  });

  test('two packages with different files at one path: FILE_CONFLICT naming both', async () => {
    const e = await rejection(build(['hello', 'clash']));
    assert.equal(e.code, 'FILE_CONFLICT');
    assert.match(e.message, /usr\/bin\/hello/);
    assert.match(e.message, /clash-1\.0-r0/);
    assert.match(e.message, /hello-1\.0-r0/);
  });

  test('a tampered package, a package by an unknown key, a checksum the index does not list, an index by an unknown key: refused', async () => {
    const d = await copyRepo();
    const apk = join(d, ARCH, 'hello-data-1.0-r0.apk');
    const good = await readFile(apk);
    const tampered = Buffer.from(good);
    tampered[tampered.length - 20] = (tampered[tampered.length - 20] ?? 0) ^ 0xff;
    await writeFile(apk, tampered);
    const datahash = await rejection(build(['hello'], { dirs: [d] }));
    assert.equal(datahash.code, 'DIGEST_MISMATCH');
    assert.match(datahash.message, /hello-data-1\.0-r0\.apk.*datahash/);

    const stranger = await encodeApk({ info: { ...baseInfo('hello-data'), version: parseApkVersion('1.0-r0') }, files: [], key: repo.otherKey, sourceDateEpoch: TEST_EPOCH });
    await writeFile(apk, stranger.bytes);
    const unknownKey = await rejection(build(['hello'], { dirs: [d] }));
    assert.equal(unknownKey.code, 'SIGNATURE_INVALID');
    assert.match(unknownKey.message, /unknown key stranger-/);

    const resigned = await encodeApk({ info: { ...baseInfo('hello-data'), version: parseApkVersion('1.0-r0'), description: 'changed' }, files: [], key: repo.key, sourceDateEpoch: TEST_EPOCH });
    await writeFile(apk, resigned.bytes);
    const mismatch = await rejection(build(['hello'], { dirs: [d] }));
    assert.equal(mismatch.code, 'DIGEST_MISMATCH');
    assert.match(mismatch.message, /control checksum .* index lists hello-data-1\.0-r0/);

    await writeFile(apk, good);
    await writeApkIndex(join(d, ARCH, 'APKINDEX.tar.gz'), { entries: repo.entries(), key: repo.otherKey, sourceDateEpoch: TEST_EPOCH });
    const index = await rejection(build(['hello'], { dirs: [d] }));
    assert.equal(index.code, 'SIGNATURE_INVALID');
    assert.match(index.message, /APKINDEX\.tar\.gz: signed by unknown key stranger-/);
  });

  test('package entries that escape the root are refused: "../", absolute paths, symlinks leading out', async () => {
    const d = await mkdtemp(join(tmpdir(), 'kiln-test-escape-'));
    temps.push(d);
    await mkdir(join(d, ARCH));
    const cases = [
      { data: [dir('usr/'), file('usr/../../etc/passwd', 'x')], why: /"\.\." component/ },
      { data: [file('/etc/passwd', 'x')], why: /is absolute/ },
      { data: [dir('usr/'), link('usr/escape', 'symlink', '../../etc')], why: /leads outside the root/ },
    ];
    for (const c of cases) {
      const bytes = await craftApk(c.data, repo.key);
      await writeFile(join(d, ARCH, 'crafted-1.0-r0.apk'), bytes);
      const entry: ApkIndexEntry = { ...baseInfo('crafted'), version: parseApkVersion('1.0-r0'), checksum: `Q1${Buffer.alloc(20).toString('base64')}`, size: bytes.length, installedSize: 4096 };
      await writeApkIndex(join(d, ARCH, 'APKINDEX.tar.gz'), { entries: [entry], key: repo.key, sourceDateEpoch: TEST_EPOCH });
      const e = await rejection(build(['crafted'], { dirs: [d] }));
      assert.equal(e.code, 'PATH_UNSAFE', e.message);
      assert.match(e.message, c.why);
    }
  });
});

function baseInfo(name: string) {
  return {
    name,
    arch: ARCH,
    description: '',
    url: '',
    license: 'MIT',
    buildDate: TEST_EPOCH,
    depends: [],
    provides: [],
    replaces: [],
    installIf: [],
    triggers: [],
  };
}
