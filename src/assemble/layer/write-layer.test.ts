import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { OciLayout, digestOf, type BlobInfo } from '../../oci/index.ts';
import { normalizeEntries, type FsEntry, type FsFile } from '../fs-entry.ts';
import { compressStandalone, type CompressedRun } from './standalone-run.ts';
import { tarStream, writeLayer, type BlobSink } from './write-layer.ts';
import { tempDirs } from '../../testing/index.ts';

const EPOCH = 1_700_000_000;

const tempDir = tempDirs('kiln-layer-');

/** Keeps the last blob in memory, so tests can look at its bytes. */
class MemorySink implements BlobSink {
  blobs = new Map<string, Buffer>();
  last = Buffer.alloc(0);
  async putBlob(source: Readable | Uint8Array): Promise<BlobInfo> {
    const bytes = source instanceof Uint8Array ? Buffer.from(source) : await buffer(source);
    const info = { digest: digestOf(bytes), size: bytes.length };
    this.blobs.set(info.digest, bytes);
    this.last = bytes;
    return info;
  }
}

/** A small tree whose host files live in `dir`, with host metadata that must not leak. */
async function sampleEntries(dir: string, hostTime: Date): Promise<FsEntry[]> {
  const big = Buffer.alloc(3 * 1024 * 1024 + 17);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251;
  await writeFile(join(dir, 'big.bin'), big);
  await writeFile(join(dir, 'hello.txt'), 'hello\n');
  await chmod(join(dir, 'hello.txt'), 0o600);
  await utimes(join(dir, 'big.bin'), hostTime, hostTime);
  await utimes(join(dir, 'hello.txt'), hostTime, hostTime);
  return [
    { kind: 'file', path: '/usr/share/big.bin', mode: 0o644, uid: 0, gid: 0, content: { kind: 'host', path: join(dir, 'big.bin') } },
    { kind: 'directory', path: 'etc', mode: 0o755, uid: 0, gid: 0 },
    { kind: 'file', path: 'etc/hello', mode: 0o644, uid: 0, gid: 0, content: { kind: 'host', path: join(dir, 'hello.txt') } },
    { kind: 'file', path: 'etc/passwd', mode: 0o644, uid: 0, gid: 0, content: { kind: 'bytes', data: Buffer.from('root:x:0:0:root:/root:/bin/sh\n') } },
    { kind: 'symlink', path: 'bin/sh', mode: 0o777, uid: 0, gid: 0, target: '/usr/bin/busybox' },
    { kind: 'file', path: 'usr/bin/busybox', mode: 0o4755, uid: 0, gid: 0, content: { kind: 'bytes', data: Buffer.from('#!fake busybox\n') } },
    { kind: 'hardlink', path: 'usr/bin/a-link', target: 'usr/bin/busybox' },
    { kind: 'directory', path: 'home/nonroot', mode: 0o750, uid: 65532, gid: 65532 },
  ];
}

function tarList(tar: Buffer): string[] {
  return execFileSync('tar', ['--numeric-owner', '--quoting-style=literal', '-tvf', '-'], { input: tar, env: { ...process.env, TZ: 'UTC', LC_ALL: 'C' } })
    .toString()
    .trim()
    .split('\n')
    .map((l) => l.replace(/\s+/g, ' '));
}

describe('writeLayer', () => {
  test('the same entries give the same layer, built in different places at different times', async () => {
    const sinkA = new MemorySink();
    const sinkB = new MemorySink();
    const a = await writeLayer(await sampleEntries(await tempDir(), new Date(2001, 1, 1)), sinkA, { sourceDateEpoch: EPOCH });
    const shuffled = (await sampleEntries(await tempDir(), new Date())).reverse();
    const b = await writeLayer(shuffled, sinkB, { sourceDateEpoch: EPOCH });
    assert.deepEqual(a, b);
    assert.ok(sinkA.last.equals(sinkB.last));
    assert.equal(a.descriptor.mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');
    assert.equal(a.descriptor.digest, digestOf(sinkA.last));
    const tar = gunzipSync(sinkA.last);
    assert.equal(a.diffId, digestOf(tar));
    assert.equal(a.uncompressedSize, tar.length);
    // gzip header: no mtime, no name, OS byte 3 (unix)
    assert.deepEqual([...sinkA.last.subarray(0, 10)], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
  });

  test('a layer of many blocks, its chunks reused as it goes, unpacks to exactly its tar', async () => {
    // 40 MiB in files of text and random bytes: well past the chunks the writer keeps for reuse
    const entries: FsEntry[] = [];
    for (let i = 0; i < 20; i++) {
      const data = i % 2 === 0 ? randomBytes(2 * 1024 * 1024 + i) : Buffer.from(`line ${i} of a text file\n`.repeat(80_000 + i));
      entries.push({ kind: 'file', path: `data/file-${String(i).padStart(2, '0')}`, mode: 0o644, uid: 0, gid: 0, content: { kind: 'bytes', data } });
    }
    const tar = await buffer(tarStream(entries, EPOCH));
    const sinks = [new MemorySink(), new MemorySink()];
    const one = await writeLayer(entries, sinks[0] as MemorySink, { sourceDateEpoch: EPOCH, gzipConcurrency: 1 });
    const three = await writeLayer(entries, sinks[1] as MemorySink, { sourceDateEpoch: EPOCH, gzipConcurrency: 3 });
    assert.equal(one.descriptor.digest, three.descriptor.digest);
    assert.equal(one.diffId, digestOf(tar));
    assert.ok(gunzipSync(sinks[0]?.last ?? Buffer.alloc(0)).equals(tar), 'the layer unpacks to the tar, byte for byte');
  });

  test('entries that bring their compressed runs give the same layer as entries that do not', async () => {
    const text = Buffer.from('a line of a text file in a package\n'.repeat(60_000));
    const files: [string, Buffer][] = [
      ['usr/bin/tool', Buffer.concat([text, randomBytes(200_000)])],
      ['usr/lib/libbig.so', Buffer.concat([randomBytes(1_500_000), text])],
      ['usr/share/doc/small', Buffer.from('under the standalone size\n'.repeat(100))],
      ['usr/share/data.bin', text.subarray(0, 70_000)],
    ];
    const entriesWith = (run: (data: Buffer) => CompressedRun | undefined): FsEntry[] =>
      files.map(([path, data]) => {
        const compressed = run(data);
        return { kind: 'file', path, mode: 0o644, uid: 0, gid: 0, content: { kind: 'bytes', data, ...(compressed !== undefined && { compressed }) } };
      });
    const plain = new MemorySink();
    const reference = await writeLayer(entriesWith(() => undefined), plain, { sourceDateEpoch: EPOCH });
    assert.ok(gunzipSync(plain.last).equals(await buffer(tarStream(entriesWith(() => undefined), EPOCH))));
    const prepared = new MemorySink();
    assert.deepEqual(await writeLayer(entriesWith((d) => compressStandalone(d, 3)), prepared, { sourceDateEpoch: EPOCH }), reference);
    assert.ok(prepared.last.equals(plain.last));
    // runs made at another level are compressed again at the layer's
    const other = new MemorySink();
    await writeLayer(entriesWith((d) => compressStandalone(d, 6)), other, { sourceDateEpoch: EPOCH });
    assert.ok(other.last.equals(plain.last));
    // GNU tar reads the layer with its standalone runs
    assert.equal(tarList(gunzipSync(plain.last)).length, 9); // the four files and their five directories
  });

  test('the tar format is pinned: a known tree has a known diff_id', async () => {
    const entries: FsEntry[] = [
      { kind: 'directory', path: 'etc', mode: 0o755, uid: 0, gid: 0 },
      { kind: 'file', path: 'etc/os-release', mode: 0o644, uid: 0, gid: 0, content: { kind: 'bytes', data: Buffer.from('ID=kiln\n') } },
      { kind: 'symlink', path: 'bin/sh', mode: 0o777, uid: 0, gid: 0, target: '/bin/busybox' },
      { kind: 'file', path: `usr/share/${'x'.repeat(150)}`, mode: 0o600, uid: 65532, gid: 65532, content: { kind: 'bytes', data: Buffer.from('long') } },
    ];
    const info = await writeLayer(entries, new MemorySink(), { sourceDateEpoch: EPOCH });
    // Changing this digest changes every image kiln has built: only on purpose.
    assert.equal(info.diffId, 'sha256:80a4a2feaaa42feab45258d0f950d8f754a40c4ae341b87dcbf3648259000a3c');
  });

  test('a different mode, owner or epoch gives a different layer', async () => {
    const base: FsEntry = { kind: 'file', path: 'x', mode: 0o644, uid: 0, gid: 0, content: { kind: 'bytes', data: Buffer.from('x') } };
    const digests = new Set<string>();
    for (const [e, epoch] of [
      [base, EPOCH],
      [{ ...base, mode: 0o755 }, EPOCH],
      [{ ...base, uid: 1 }, EPOCH],
      [base, EPOCH + 1],
    ] as const) {
      digests.add((await writeLayer([e], new MemorySink(), { sourceDateEpoch: epoch })).diffId);
    }
    assert.equal(digests.size, 4);
  });

  test('tar lists entries sorted, parents first, with owners, modes, links and the epoch', async () => {
    const sink = new MemorySink();
    await writeLayer(await sampleEntries(await tempDir(), new Date()), sink, { sourceDateEpoch: EPOCH });
    assert.deepEqual(tarList(gunzipSync(sink.last)), [
      'drwxr-xr-x 0/0 0 2023-11-14 22:13 bin/',
      'lrwxrwxrwx 0/0 0 2023-11-14 22:13 bin/sh -> /usr/bin/busybox',
      'drwxr-xr-x 0/0 0 2023-11-14 22:13 etc/',
      '-rw-r--r-- 0/0 6 2023-11-14 22:13 etc/hello',
      '-rw-r--r-- 0/0 30 2023-11-14 22:13 etc/passwd',
      'drwxr-xr-x 0/0 0 2023-11-14 22:13 home/',
      'drwxr-x--- 65532/65532 0 2023-11-14 22:13 home/nonroot/',
      'drwxr-xr-x 0/0 0 2023-11-14 22:13 usr/',
      'drwxr-xr-x 0/0 0 2023-11-14 22:13 usr/bin/',
      // the name that sorts first carries the content; the other links to it
      '-rwsr-xr-x 0/0 15 2023-11-14 22:13 usr/bin/a-link',
      'hrwsr-xr-x 0/0 0 2023-11-14 22:13 usr/bin/busybox link to usr/bin/a-link',
      'drwxr-xr-x 0/0 0 2023-11-14 22:13 usr/share/',
      '-rw-r--r-- 0/0 3145745 2023-11-14 22:13 usr/share/big.bin',
    ]);
  });

  test('long names, long link targets, non-ASCII names and large ids use PAX; GNU tar reads them back', async () => {
    const long = `${'d'.repeat(120)}/${'f'.repeat(150)}`; // no ustar split fits (name part > 100)
    const split = `${'p'.repeat(140)}/${'n'.repeat(90)}`; // fits ustar prefix + name
    const entries: FsEntry[] = [
      { kind: 'file', path: long, mode: 0o644, uid: 0, gid: 0, content: { kind: 'bytes', data: Buffer.from('long') } },
      { kind: 'file', path: split, mode: 0o644, uid: 0, gid: 0, content: { kind: 'bytes', data: Buffer.from('split') } },
      { kind: 'symlink', path: 'l', mode: 0o777, uid: 0, gid: 0, target: `/${'t'.repeat(200)}` },
      { kind: 'file', path: 'café/ünï', mode: 0o600, uid: 3_000_000, gid: 4_000_000_000, content: { kind: 'bytes', data: Buffer.from('u') } },
      { kind: 'hardlink', path: `z/${'h'.repeat(130)}`, target: long },
    ];
    const tar = await buffer(tarStream(entries, EPOCH));
    assert.equal(tar.length % 512, 0);
    const listed = tarList(tar);
    assert.ok(listed.includes(`-rw-r--r-- 0/0 4 2023-11-14 22:13 ${long}`), listed.join('\n'));
    assert.ok(listed.includes(`-rw-r--r-- 0/0 5 2023-11-14 22:13 ${split}`));
    assert.ok(listed.includes(`lrwxrwxrwx 0/0 0 2023-11-14 22:13 l -> /${'t'.repeat(200)}`));
    assert.ok(listed.includes('-rw------- 3000000/4000000000 1 2023-11-14 22:13 café/ünï'), listed.join('\n'));
    assert.ok(listed.includes(`hrw-r--r-- 0/0 0 2023-11-14 22:13 z/${'h'.repeat(130)} link to ${long}`));
    // no PaxHeaders.<pid> style names: the PAX header name is fixed
    assert.ok(!tar.includes(Buffer.from(`PaxHeaders.${process.pid}`)));
    // extract with GNU tar and compare content
    const out = await tempDir();
    execFileSync('tar', ['-xf', '-', '-C', out], { input: tar });
    assert.equal(execFileSync('cat', [join(out, long)]).toString(), 'long');
    assert.equal(execFileSync('cat', [join(out, 'z', 'h'.repeat(130))]).toString(), 'long');
  });

  test('xattrs travel as PAX SCHILY.xattr records', async () => {
    const cap = Buffer.from([1, 0, 0, 2, 0, 32, 0, 0]);
    const tar = await buffer(
      tarStream([{ kind: 'file', path: 'bin/ping', mode: 0o755, uid: 0, gid: 0, xattrs: { 'security.capability': cap }, content: { kind: 'bytes', data: Buffer.from('p') } }], EPOCH),
    );
    const record = Buffer.concat([Buffer.from(' SCHILY.xattr.security.capability='), cap, Buffer.from('\n')]);
    const at = tar.indexOf(record);
    assert.ok(at > 0);
    assert.equal(tar.subarray(at - 2, at).toString(), '45'); // 2 + 1 + 32 + 1 + 8 + 1: the length counts itself
  });

  test('entries are validated: duplicates, "..", dangling hardlinks, files under non-directories', () => {
    const f = (path: string): FsFile => ({ kind: 'file', path, mode: 0o644, uid: 0, gid: 0, content: { kind: 'bytes', data: Buffer.alloc(0) } });
    assert.throws(() => normalizeEntries([f('a'), f('/a')]), { code: 'INPUT_INVALID', message: /appears twice/ });
    assert.throws(() => normalizeEntries([f('a/../../etc/x')]), { code: 'PATH_UNSAFE' });
    assert.throws(() => normalizeEntries([f('/')]), { code: 'PATH_UNSAFE' });
    assert.throws(() => normalizeEntries([{ kind: 'hardlink', path: 'h', target: 'nope' }]), { code: 'INPUT_INVALID', message: /not in the layer/ });
    assert.throws(() => normalizeEntries([f('a'), f('a/b')]), { code: 'INPUT_INVALID', message: /not a directory/ });
    assert.throws(() => normalizeEntries([{ ...f('a'), mode: 0o10644 }]), { code: 'INPUT_INVALID', message: /permission bits/ });
  });

  test('a host file that cannot be read fails the layer and leaves nothing in the layout', async () => {
    const dir = await tempDir();
    const layout = await OciLayout.open(dir, { create: true });
    const entries: FsEntry[] = [
      { kind: 'file', path: 'a', mode: 0o644, uid: 0, gid: 0, content: { kind: 'bytes', data: randomBytes(3 << 20) } },
      { kind: 'file', path: 'x', mode: 0o644, uid: 0, gid: 0, content: { kind: 'host', path: '/nonexistent/kiln' } },
    ];
    await assert.rejects(writeLayer(entries, layout, { sourceDateEpoch: EPOCH }), { code: 'IO', message: /cannot open \/nonexistent\/kiln/ });
    assert.deepEqual(await readdir(join(dir, 'blobs', 'sha256')), []);
  });
});
