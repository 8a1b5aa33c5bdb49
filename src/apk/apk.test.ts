import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { KilnError } from '../errors/index.ts';
import { extractApkFiles } from './extract-apk.ts';
import { inflateMemberAt } from './gzip.ts';
import { decodeApk, readApk } from './read-apk.ts';
import { loadApkKeys } from './signing.ts';
import { craftApk, dir, EPOCH, file, link, SAMPLE_FILES, sampleInput, testKeys } from './test-fixtures.ts';
import { apkChecksumOf, encodeApk, writeApk } from './write-apk.ts';

const [key, otherKey] = testKeys();
const keys = new Map([[key.keyName, key.publicPem]]);

async function rejects(p: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof KilnError, String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

/** The three gzip streams of a package. */
function streams(bytes: Buffer): [Buffer, Buffer, Buffer] {
  const a = inflateMemberAt(bytes, 0, 't');
  const b = inflateMemberAt(bytes, a.end, 't');
  return [a.member.compressed, b.member.compressed, bytes.subarray(b.end)];
}

let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'kiln-apk-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

void describe('APK v2 write and read', () => {
  void test('round trip: same metadata, files and scripts', async () => {
    const input = sampleInput(key);
    const written = await writeApk(join(tmp, 'hello-2.12.1-r0.apk'), input);
    const read = await readApk(join(tmp, 'hello-2.12.1-r0.apk'), { keys });
    assert.equal(read.signedBy, key.keyName);
    assert.deepEqual(read.info, written.info);
    assert.equal(read.info.installedSize, 3 * 4096);
    assert.equal(read.checksum, written.checksum);
    assert.equal(read.size, written.bytes.length);
    assert.deepEqual(read.scripts, input.scripts);
    const paths = read.files.map((f) => f.path);
    // every parent directory is present and precedes what it holds; entries are sorted
    assert.deepEqual(paths, ['etc', 'etc/hello.conf', 'usr', 'usr/bin', 'usr/bin/hello', 'usr/bin/hi', 'usr/share', 'usr/share/doc', 'usr/share/doc/hello', 'usr/share/doc/hello/README', 'usr/share/doc/hello/README.txt', 'var', 'var/lib', 'var/lib/hello']);
    for (const f of SAMPLE_FILES) {
      const got = read.files.find((r) => r.path === f.path);
      assert.ok(got, f.path);
      const plain = (x: typeof f): object => ({ ...x, uname: undefined, gname: undefined, ...('content' in x ? { content: Buffer.from(x.content) } : {}) });
      assert.deepEqual(plain(got), plain(f), f.path);
    }
    const varLib = read.files.find((f) => f.path === 'var/lib/hello');
    assert.equal(varLib?.uname, 'nonroot');
  });

  void test('byte-identical when written twice; C: is the SHA-1 of the control stream', async () => {
    const a = await encodeApk(sampleInput(key));
    const b = await encodeApk(sampleInput(key));
    assert.ok(a.bytes.equals(b.bytes));
    const [, control, data] = streams(a.bytes);
    assert.equal(a.checksum, apkChecksumOf(control));
    assert.equal(a.info.dataHash, createHash('sha256').update(data).digest('hex'));
    // gzip headers: no name, mtime 0, level-9 flag, OS Unix
    for (const s of streams(a.bytes)) assert.equal(s.subarray(0, 10).toString('hex'), '1f8b0800000000000203');
  });

  void test('signature and control tars have no end-of-archive blocks; the data tar has them', async () => {
    const a = await encodeApk(sampleInput(key));
    const [sig, control, data] = streams(a.bytes).map((s) => gunzipSync(s));
    for (const t of [sig, control]) assert.notEqual(t?.subarray(-512).toString('hex'), '00'.repeat(512));
    assert.equal(data?.subarray(-1024).toString('hex'), '00'.repeat(1024));
    assert.match(sig?.subarray(0, 100).toString('latin1') ?? '', /^\.SIGN\.RSA256\.kiln-[0-9a-f]{8}\.rsa\.pub\0/);
    assert.match(data?.toString('latin1') ?? '', /APK-TOOLS\.checksum\.SHA1=[0-9a-f]{40}\n/);
  });

  void test('long and non-ASCII paths and long symlink targets survive (PAX records)', async () => {
    const long = `usr/share/${'d'.repeat(120)}/${'f'.repeat(110)}`;
    const files = [
      { kind: 'file', path: long, mode: 0o644, uid: 0, gid: 0, content: new TextEncoder().encode('long') },
      { kind: 'file', path: 'usr/share/naïve-日本.txt', mode: 0o644, uid: 0, gid: 0, content: new TextEncoder().encode('utf8') },
      { kind: 'symlink', path: 'usr/share/far', target: `../${'t'.repeat(150)}`, uid: 0, gid: 0 },
    ] as const;
    const read = await decodeApk((await encodeApk({ ...sampleInput(key), files })).bytes, { keys });
    assert.deepEqual(read.files.filter((f) => f.kind !== 'directory').map((f) => f.path), [long, 'usr/share/far', 'usr/share/naïve-日本.txt']);
    const far = read.files.find((f) => f.path === 'usr/share/far');
    assert.equal(far?.kind === 'symlink' ? far.target : undefined, `../${'t'.repeat(150)}`);
  });

  void test('a flipped byte in the data stream is a datahash error', async () => {
    const bytes = Buffer.from((await encodeApk(sampleInput(key))).bytes);
    const [sig, control] = streams(bytes);
    const at = sig.length + control.length + 40;
    bytes[at] = (bytes[at] ?? 0) ^ 0x55;
    await rejects(decodeApk(bytes, { keys }), 'DIGEST_MISMATCH', /datahash/);
  });

  void test('an unknown key, a wrong key, or a changed control stream is a signature error', async () => {
    const bytes = (await encodeApk(sampleInput(key))).bytes;
    await rejects(decodeApk(bytes, { keys: new Map() }), 'SIGNATURE_INVALID', /unknown key kiln-[0-9a-f]{8}\.rsa\.pub; trusted keys: \(none\)/);
    // the right name but another key's public half
    await rejects(decodeApk(bytes, { keys: new Map([[key.keyName, otherKey.publicPem]]) }), 'SIGNATURE_INVALID', /does not match/);
    const signedByOther = (await encodeApk({ ...sampleInput(key), key: otherKey })).bytes;
    await rejects(decodeApk(signedByOther, { keys }), 'SIGNATURE_INVALID', /unknown key other-/);
    // allowUntrusted skips only the signature
    const read = await decodeApk(signedByOther, { keys, allowUntrusted: true });
    assert.equal(read.signedBy, undefined);
  });

  void test('SHA-1-only signatures verify too', async () => {
    const bytes = (await encodeApk({ ...sampleInput(key), signatureTypes: ['RSA'] })).bytes;
    assert.equal((await decodeApk(bytes, { keys })).signedBy, key.keyName);
  });

  void test('a file whose content does not match its checksum is refused', async () => {
    const bytes = await craftApk([dir('etc'), file('etc/a', 'hello', createHash('sha1').update('other').digest('hex'))], key);
    await rejects(decodeApk(bytes, { keys }), 'DIGEST_MISMATCH', /"etc\/a": content hashes to SHA-1/);
  });

  void test('a data tar without parent directory entries is refused, as apk-tools does', async () => {
    const bytes = await craftApk([file('etc/a', 'x')], key);
    await rejects(decodeApk(bytes, { keys }), 'PACKAGE_INVALID', /directory entry for its parent "etc"/);
  });

  void test('the writer refuses unsafe paths, duplicates and dangling hard links', async () => {
    const bad = async (files: typeof SAMPLE_FILES, code: string, pattern: RegExp): Promise<void> => rejects(encodeApk({ ...sampleInput(key), files }), code, pattern);
    const f = { kind: 'file', mode: 0o644, uid: 0, gid: 0, content: new Uint8Array() } as const;
    await bad([{ ...f, path: '../etc/passwd' }], 'PATH_UNSAFE', /leads outside the root/);
    await bad([{ ...f, path: '/etc/passwd' }], 'PATH_UNSAFE', /is absolute/);
    await bad([{ ...f, path: 'a//b' }], 'PATH_UNSAFE', /empty or "\." component/);
    await bad([{ ...f, path: 'a' }, { ...f, path: 'a' }], 'PACKAGE_INVALID', /listed twice/);
    await bad([{ ...f, path: 'a' }, { ...f, path: 'a/b' }], 'PACKAGE_INVALID', /parent "a" is a file/);
    await bad([{ kind: 'hardlink', path: 'a', target: 'b', mode: 0o644, uid: 0, gid: 0 }, { ...f, path: 'b' }], 'PACKAGE_INVALID', /must be a regular file that sorts before/);
  });
});

void describe('APK path-escape refusal', () => {
  void test('the reader refuses "..", absolute names, escaping symlinks and hard links', async () => {
    await rejects(decodeApk(await craftApk([file('../evil', 'x')], key), { keys }), 'PATH_UNSAFE', /"\.\.\/evil" has a "\.\." component/);
    await rejects(decodeApk(await craftApk([dir('usr'), file('usr/../../evil', 'x')], key), { keys }), 'PATH_UNSAFE', /leads outside the root/);
    await rejects(decodeApk(await craftApk([file('/etc/passwd', 'x')], key), { keys }), 'PATH_UNSAFE', /is absolute/);
    await rejects(decodeApk(await craftApk([dir('usr'), link('usr/x', 'symlink', '../../etc')], key), { keys }), 'PATH_UNSAFE', /symlink target "\.\.\/\.\.\/etc" leads outside the root/);
    await rejects(decodeApk(await craftApk([dir('usr'), link('usr/x', 'link', '../etc/shadow')], key), { keys }), 'PATH_UNSAFE', /hard link target/);
    await rejects(decodeApk(await craftApk([dir('usr'), link('usr/x', 'link', 'etc/shadow')], key), { keys }), 'PATH_UNSAFE', /not a regular file earlier in the package/);
  });

  void test('extraction writes the files and follows parent symlinks only inside the root', async () => {
    const root = join(tmp, 'root1');
    await mkdir(root);
    const read = await decodeApk((await encodeApk(sampleInput(key))).bytes, { keys });
    await extractApkFiles(read.files, root);
    assert.equal(await readFile(join(root, 'usr/bin/hello'), 'utf8'), '#!/bin/sh\necho hello\n');
    assert.equal(await readlink(join(root, 'usr/bin/hi')), 'hello');
    assert.equal((await lstat(join(root, 'usr/share/doc/hello/README.txt'))).nlink, 2);
    assert.equal((await lstat(join(root, 'usr/bin/hello'))).mode & 0o7777, 0o755);
    assert.equal((await lstat(join(root, 'var/lib/hello'))).mode & 0o7777, 0o750);

    // an absolute symlink means "from the root": lib64/x lands in <root>/usr/lib/x
    const root2 = join(tmp, 'root2');
    await mkdir(root2);
    const base = await decodeApk(await craftApk([link('lib64', 'symlink', '/usr/lib'), dir('usr'), dir('usr/lib')], key), { keys });
    const lib = await decodeApk(await craftApk([dir('lib64'), file('lib64/x', 'x')], key), { keys });
    await extractApkFiles(base.files, root2);
    await extractApkFiles(lib.files, root2);
    assert.equal(await readlink(join(root2, 'lib64')), '/usr/lib');
    assert.equal(await readFile(join(root2, 'usr/lib/x'), 'utf8'), 'x');
  });

  void test('extraction refuses to write through a symlink that leads outside the root', async () => {
    const outside = join(tmp, 'outside');
    await mkdir(outside, { recursive: true });
    const root = join(tmp, 'root3');
    await mkdir(root);
    // a symlink already in the root (from an earlier package) that climbs out
    await symlink('../outside', join(root, 'escape'));
    const pkg = await decodeApk(await craftApk([dir('escape'), file('escape/pwned', 'x')], key), { keys });
    await rejects(extractApkFiles(pkg.files.slice(1), root), 'PATH_UNSAFE', /leads above the root/);
    await assert.rejects(lstat(join(outside, 'pwned')));
    // and never writes through a symlink in the final component
    await writeFile(join(outside, 'target'), 'keep');
    await symlink(join(outside, 'target'), join(root, 'victim'));
    await rejects(extractApkFiles([{ kind: 'file', path: 'victim', mode: 0o644, uid: 0, gid: 0, content: new TextEncoder().encode('overwritten') }], root), 'PATH_UNSAFE', /already exists/);
    assert.equal(await readFile(join(outside, 'target'), 'utf8'), 'keep');
  });
});

void describe('APK keys', () => {
  void test('a keys directory maps key names to PEM', async () => {
    const keysDir = join(tmp, 'keys');
    await mkdir(keysDir);
    await writeFile(join(keysDir, key.keyName), key.publicPem);
    await writeFile(join(keysDir, 'README'), 'not a key');
    const loaded = await loadApkKeys(keysDir);
    assert.deepEqual([...loaded.keys()], [key.keyName]);
    assert.match(key.keyName, /^kiln-[0-9a-f]{8}\.rsa\.pub$/);
    assert.equal(EPOCH, 1_700_000_000);
  });
});
