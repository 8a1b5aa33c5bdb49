import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { lstat, mkdir, readFile, readdir, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { zstdCompressSync } from 'node:zlib';
import { KilnError } from '../../errors/index.ts';
import { extractArchive } from './extract-archive.ts';
import { type TestDirs, type TestEntry, helloEntries, makeDirs, makeTar, makeTarGz } from './test-fixtures.ts';

let dirs: TestDirs;
let n = 0;
before(async () => {
  dirs = await makeDirs();
});
after(() => dirs.cleanup());

/** Writes an archive and a fresh destination; returns both paths. */
async function setup(bytes: Buffer, name = 'a.tar'): Promise<{ archive: string; dest: string }> {
  const archive = join(dirs.root, `${n}-${name}`);
  const dest = join(dirs.root, `dest-${n++}`);
  await writeFile(archive, bytes);
  await mkdir(dest);
  return { archive, dest };
}

async function refused(entries: TestEntry[], pattern: RegExp, strip = 0): Promise<string> {
  const { archive, dest } = await setup(await makeTar(entries));
  await assert.rejects(extractArchive(archive, dest, { stripComponents: strip }), (e: unknown) => {
    assert.ok(e instanceof KilnError, String(e));
    assert.equal(e.code, 'ARCHIVE_UNSAFE');
    assert.match(e.message, pattern);
    return true;
  });
  return dest;
}

describe('extractArchive', () => {
  test('extracts a tar.gz with strip-components 1, keeping modes and times', async () => {
    const { archive, dest } = await setup(await makeTarGz(helloEntries()));
    const r = await extractArchive(archive, dest, { stripComponents: 1 });
    assert.equal(r.format, 'tar.gz');
    assert.deepEqual((await readdir(dest)).sort(), ['configure', 'src']);
    assert.equal(await readFile(join(dest, 'src/hello.c'), 'utf8'), 'int main(void) {\n  return 0;\n}\n');
    assert.equal((await stat(join(dest, 'configure'))).mode & 0o777, 0o755);
    assert.equal((await stat(join(dest, 'src/hello.c'))).mode & 0o777, 0o644);
    assert.equal((await stat(join(dest, 'src/hello.c'))).mtimeMs, 1_700_000_000_000);
    assert.equal((await stat(join(dest, 'src'))).mtimeMs, 1_700_000_000_000);
  });

  test('strip-components 0 keeps the top directory; 2 drops it and src/', async () => {
    const zero = await setup(await makeTar(helloEntries()));
    await extractArchive(zero.archive, zero.dest, { stripComponents: 0 });
    assert.deepEqual(await readdir(zero.dest), ['hello-1.0']);
    const two = await setup(await makeTar(helloEntries()));
    await extractArchive(two.archive, two.dest, { stripComponents: 2 });
    assert.deepEqual(await readdir(two.dest), ['hello.c']);
  });

  test('reads xz, bzip2 and zstd archives, detected from their bytes', async () => {
    const tar = await makeTar(helloEntries());
    const xz = spawnSync('xz', ['-c'], { input: tar }).stdout;
    const bz2 = spawnSync('bzip2', ['-c'], { input: tar }).stdout;
    for (const [bytes, format] of [[xz, 'tar.xz'], [bz2, 'tar.bz2'], [zstdCompressSync(tar), 'tar.zst']] as const) {
      const { archive, dest } = await setup(bytes, 'misnamed.tar.gz');
      const r = await extractArchive(archive, dest, { stripComponents: 1 });
      assert.equal(r.format, format);
      assert.equal(await readFile(join(dest, 'configure'), 'utf8'), '#!/bin/sh\necho configured\n');
    }
  });

  test('a corrupt archive is ARCHIVE_INVALID', async () => {
    const good = await makeTarGz(helloEntries());
    const { archive, dest } = await setup(good.subarray(0, good.length - 40), 'cut.tar.gz');
    await assert.rejects(extractArchive(archive, dest), { code: 'ARCHIVE_INVALID' });
    const xz = await setup(Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.alloc(100, 1)]), 'bad.tar.xz');
    await assert.rejects(extractArchive(xz.archive, xz.dest), { code: 'ARCHIVE_INVALID' });
  });

  test('refuses ../ in a name, and writes nothing at all', async () => {
    const dest = await refused([...helloEntries(), { name: 'hello-1.0/../../evil', content: 'x' }], /evil.*"\.\." component/);
    assert.deepEqual(await readdir(dest), []);
    assert.deepEqual(await readdir(dirs.root).then((l) => l.filter((f) => f === 'evil')), []);
  });

  test('refuses an absolute name', async () => {
    await refused([{ name: '/tmp/kiln-evil', content: 'x' }], /absolute/);
  });

  test('refuses a symlink that points outside, absolute or by ..', async () => {
    await refused([{ name: 'top/', type: 'directory' }, { name: 'top/link', type: 'symlink', linkname: '../../etc' }], /points outside/, 1);
    await refused([{ name: 'link', type: 'symlink', linkname: '/etc/passwd' }], /points outside/);
  });

  test('refuses a chain of symlinks that climbs out only when followed', async () => {
    // lexically a/up/.. is `a`, but a/up is the root, so b resolves to the root's parent
    const dest = await refused(
      [
        { name: 'a/', type: 'directory' },
        { name: 'a/up', type: 'symlink', linkname: '..' },
        { name: 'b', type: 'symlink', linkname: 'a/up/..' },
      ],
      /"b".*points outside/,
    );
    // refused by the scan, before anything was written
    assert.deepEqual(await readdir(dest), []);
  });

  test('refuses a file written through a symlink, even one that stays inside', async () => {
    await refused(
      [
        { name: 'real/', type: 'directory' },
        { name: 'link', type: 'symlink', linkname: 'real' },
        { name: 'link/file', content: 'x' },
      ],
      /through the symlink link/,
    );
  });

  test('never writes through a symlink that was already in the destination', async () => {
    const outside = join(dirs.root, `outside-${n}`);
    await mkdir(outside);
    const { archive, dest } = await setup(await makeTar([{ name: 'sub/file', content: 'x' }]));
    await symlink(outside, join(dest, 'sub'));
    await assert.rejects(extractArchive(archive, dest), { code: 'ARCHIVE_UNSAFE' });
    assert.deepEqual(await readdir(outside), []);
  });

  test('refuses a hard link to something the archive did not make', async () => {
    await refused([{ name: 'passwd', type: 'link', linkname: '/etc/passwd' }], /absolute/);
    await refused([{ name: 'x', type: 'link', linkname: 'nothing-here' }], /hard link/);
  });

  test('refuses device nodes', async () => {
    await refused([{ name: 'null', type: 'character-device', devmajor: 1, devminor: 3 }], /character-device/);
  });

  test('keeps inside symlinks and hard links; drops setuid bits', async () => {
    const { archive, dest } = await setup(
      await makeTar([
        { name: 'bin/', type: 'directory' },
        { name: 'bin/tool', content: 'run', mode: 0o4755 },
        { name: 'bin/alias', type: 'symlink', linkname: 'tool' },
        { name: 'bin/copy', type: 'link', linkname: 'bin/tool' },
        { name: 'bin/dup', content: 'first' },
        { name: 'bin/dup', content: 'second' },
      ]),
    );
    await extractArchive(archive, dest);
    assert.equal(await readlink(join(dest, 'bin/alias')), 'tool');
    assert.equal((await stat(join(dest, 'bin/tool'))).mode & 0o7777, 0o755);
    assert.equal((await stat(join(dest, 'bin/copy'))).ino, (await stat(join(dest, 'bin/tool'))).ino);
    assert.equal(await readFile(join(dest, 'bin/dup'), 'utf8'), 'second');
    assert.ok((await lstat(join(dest, 'bin/alias'))).isSymbolicLink());
  });

  test('stops at the size limit before writing', async () => {
    const { archive, dest } = await setup(await makeTar([{ name: 'big', content: 'x'.repeat(1000) }]));
    await assert.rejects(extractArchive(archive, dest, { maxBytes: 999 }), /limit of 999 bytes/);
    assert.deepEqual(await readdir(dest), []);
  });
});
