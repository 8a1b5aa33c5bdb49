import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { KilnError } from '../errors/index.ts';
import { decodeApkIndex, encodeApkIndex, encodeApkIndexText, indexEntryFor, indexPathFor, parseApkIndexText, readRepositories, writeApkIndex, type ApkIndexEntry } from './apkindex.ts';
import { parseApkConstraint } from './constraint.ts';
import { inflateMemberAt } from './gzip.ts';
import { decodeApk } from './read-apk.ts';
import { EPOCH, sampleInput, testKeys } from './test-fixtures.ts';
import { encodeApk } from './write-apk.ts';
import { parseApkVersion } from './version.ts';

const [key, otherKey] = testKeys();
const keys = new Map([[key.keyName, key.publicPem]]);

let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'kiln-apkindex-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function entries(): Promise<ApkIndexEntry[]> {
  const versions = ['2.12.1-r0', '2.10-r3', '2.12.1-r1'];
  const out: ApkIndexEntry[] = [];
  for (const v of versions) {
    const pkg = await encodeApk(sampleInput(key, { version: parseApkVersion(v) }));
    out.push(indexEntryFor(await decodeApk(pkg.bytes, { keys })));
  }
  const lib = await encodeApk(sampleInput(key, { name: 'libhello', provides: [parseApkConstraint('so:libhello.so.1=1.0')], replaces: [], providerPriority: undefined }));
  out.push(indexEntryFor(await decodeApk(lib.bytes, { keys })));
  return out;
}

void describe('APKINDEX', () => {
  void test('a noarch package is listed under the architecture of the directory holding it', async () => {
    const data = await decodeApk((await encodeApk(sampleInput(key, { arch: 'noarch' }))).bytes, { keys });
    assert.equal(indexEntryFor(data, 'aarch64').arch, 'aarch64');
    assert.equal(indexEntryFor(data).arch, 'noarch');
    const native = await decodeApk((await encodeApk(sampleInput(key, { arch: 'x86_64' }))).bytes, { keys });
    assert.equal(indexEntryFor(native, 'aarch64').arch, 'x86_64');
  });

  void test('round trip: same records, sorted by name then version, signed', async () => {
    const list = await entries();
    const bytes = await encodeApkIndex({ entries: [...list].reverse(), description: 'kiln test repo', key, sourceDateEpoch: EPOCH });
    const index = await decodeApkIndex(bytes, { keys });
    assert.equal(index.signedBy, key.keyName);
    assert.equal(index.description, 'kiln test repo');
    assert.deepEqual(index.entries.map((e) => `${e.name}-${e.version}`), ['hello-2.10-r3', 'hello-2.12.1-r0', 'hello-2.12.1-r1', 'libhello-2.12.1-r0']);
    const byKey = new Map(list.map((e) => [e.checksum, e]));
    for (const e of index.entries) assert.deepEqual(e, byKey.get(e.checksum));
    // byte-identical when written twice, whatever the input order
    assert.ok(bytes.equals(await encodeApkIndex({ entries: list, description: 'kiln test repo', key, sourceDateEpoch: EPOCH })));
  });

  void test('C: is Q1 + base64 SHA-1 of the package control stream', async () => {
    const pkg = await encodeApk(sampleInput(key));
    const sig = inflateMemberAt(pkg.bytes, 0, 't');
    const control = inflateMemberAt(pkg.bytes, sig.end, 't').member.compressed;
    const expected = `Q1${createHash('sha1').update(control).digest('base64')}`;
    const entry = indexEntryFor(await decodeApk(pkg.bytes, { keys }));
    assert.equal(entry.checksum, expected);
    assert.equal(entry.size, pkg.bytes.length);
    const text = encodeApkIndexText([entry]);
    assert.match(text, new RegExp(`^C:${expected.replace(/[+/=]/g, '\\$&')}\nP:hello\nV:2\\.12\\.1-r0\nA:x86_64\nS:${pkg.bytes.length}\nI:12288\nT:says hello\n`));
    assert.match(text, /\nk:10\nD:so:libc\.so\.6 !hello-old\np:cmd:hello=2\.12\.1-r0 greeter\nr:hello-old\n\n$/);
  });

  void test('refuses an index signed by an unknown key, a tampered index, and an unsigned one', async () => {
    const list = await entries();
    const bytes = await encodeApkIndex({ entries: list, key: otherKey, sourceDateEpoch: EPOCH });
    await assert.rejects(decodeApkIndex(bytes, { keys }), (e: unknown) => e instanceof KilnError && e.code === 'SIGNATURE_INVALID' && /unknown key other-/.test(e.message));
    const good = Buffer.from(await encodeApkIndex({ entries: list, key, sourceDateEpoch: EPOCH }));
    const sigEnd = inflateMemberAt(good, 0, 't').end;
    good[sigEnd + 30] = (good[sigEnd + 30] ?? 0) ^ 0x01;
    await assert.rejects(decodeApkIndex(good, { keys }), (e: unknown) => e instanceof KilnError && e.code === 'SIGNATURE_INVALID' && /does not match/.test(e.message));
    const unsigned = Buffer.from(await encodeApkIndex({ entries: list, key, sourceDateEpoch: EPOCH })).subarray(sigEnd);
    await assert.rejects(decodeApkIndex(unsigned, { keys }), (e: unknown) => e instanceof KilnError && e.code === 'SIGNATURE_INVALID' && /unsigned/.test(e.message));
  });

  void test('parses records written by apk-tools, naming bad lines', () => {
    const text = 'C:Q1H2r0orye8DJiDUNqLI31sZeA2lo=\nP:musl\nV:1.2.5-r0\nA:x86_64\nS:411323\nI:641024\nT:the musl c library\nU:https://musl.libc.org/\nL:MIT\no:musl\nm:Someone <x@example.org>\nt:1712000000\nc:abc\np:so:libc.musl-x86_64.so.1=1\nX:future field\n\n';
    const [e] = parseApkIndexText(text);
    assert.equal(e?.name, 'musl');
    assert.equal(e?.provides[0]?.name, 'so:libc.musl-x86_64.so.1');
    assert.throws(() => parseApkIndexText('C:Q1H2r0orye8DJiDUNqLI31sZeA2lo=\nP:x\nV:1.0_bogus\n'), /APKINDEX:3: V: .*unknown suffix "_bogus"/);
    assert.throws(() => parseApkIndexText('P:x\nV:1.0\n'), /APKINDEX:1: record without C:/);
    assert.throws(() => parseApkIndexText('C:Q1H2r0orye8DJiDUNqLI31sZeA2lo=\nP:x\nV:1\nD:foo=>1\n'), /APKINDEX:4: D: .*unknown operator/);
    assert.throws(() => parseApkIndexText('garbage\n'), /APKINDEX:1: expected "X:value"/);
  });

  void test('reads several repositories at once', async () => {
    const list = await entries();
    const repoA = join(tmp, 'a');
    const repoB = join(tmp, 'b');
    await mkdir(join(repoA, 'x86_64'), { recursive: true });
    await mkdir(join(repoB, 'x86_64'), { recursive: true });
    await writeApkIndex(indexPathFor(repoA, 'x86_64'), { entries: list.slice(0, 2), key, sourceDateEpoch: EPOCH });
    await writeApkIndex(indexPathFor(repoB, 'x86_64'), { entries: list.slice(2), key, sourceDateEpoch: EPOCH });
    const repos = await readRepositories([repoA, repoB], 'x86_64', { keys });
    assert.deepEqual(repos.map((r) => [r.url, r.index.entries.length]), [[repoA, 2], [repoB, 2]]);
  });
});
